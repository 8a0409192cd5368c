/* The column table of the tabular writers, made from the schema's rows
 * (see columns.h). */
#include "columns.h"

#include <stdio.h>

/* The path above the record's own fields: no presence flag. */
static const int16_t no_path[NFB__MAX_PATH] = {-1, -1, -1, -1};

/* Adds the columns of kind k's fields, path holding the depth presence
 * flags above them. */
static void collect(nfb__kind k, const int16_t *path, int depth,
                    nfb__columns *out)
{
    const nfb__object *o = &nfb__objects[k];
    for (int i = 0; i < o->count; i++) {
        const nfb__field *f = &o->fields[i];
        int16_t p[NFB__MAX_PATH];
        int d = nfb__field_path(f, path, depth, p);
        if (f->column && out->n < NFB__MAX_COLUMNS) {
            nfb__column *c = &out->col[out->n++];
            c->name = f->column;
            c->field = f;
            memcpy(c->has, p, sizeof p);
        } else if (!f->column && f->type == NFB_T_OBJECT) {
            collect((nfb__kind)f->kind, p, d, out);
        }
    }
}

void nfb__all_columns(nfb__columns *out)
{
    out->n = 0;
    collect(NFB_K_BACKUP, no_path, 0, out);
}

const char *nfb_column_name(size_t i)
{
    nfb__columns all;
    nfb__all_columns(&all);
    return i < all.n ? all.col[i].name : NULL;
}

static void usage_list(char *err, size_t errlen, size_t n)
{
    nfb__columns all;
    nfb__all_columns(&all);
    for (size_t i = 0; i < all.n && n < errlen; i++)
        n += (size_t)snprintf(err + n, errlen - n, "%s%s", i ? ", " : "",
                              all.col[i].name);
}

/* The index of the column named p[0..len) in all, or -1. */
static int column_index(const nfb__columns *all, const char *p, size_t len)
{
    for (int i = 0; i < all->n; i++)
        if (strlen(all->col[i].name) == len &&
            memcmp(all->col[i].name, p, len) == 0)
            return i;
    return -1;
}

int nfb__parse_columns(const char *list, nfb__columns *out, char *err,
                       size_t errlen)
{
    nfb__columns all;
    nfb__all_columns(&all);
    if (!list) {
        *out = all;
        return NFB_OK;
    }
    const char *p = list;
    uint32_t seen = 0;
    out->n = 0;
    for (;;) {
        while (*p == ' ')
            p++;
        const char *q = p;
        while (*q && *q != ',')
            q++;
        const char *e = q;
        while (e > p && e[-1] == ' ')
            e--;
        size_t len = (size_t)(e - p);
        if (len == 0) {
            snprintf(err, errlen, "%s; columns: ",
                     *list ? "empty column name in the list"
                           : "the column list is empty");
            usage_list(err, errlen, strlen(err));
            return NFB_EINVAL;
        }
        int col = column_index(&all, p, len);
        if (col < 0) {
            int n = snprintf(err, errlen, "unknown column \"%.*s\"; columns: ",
                             len > 200 ? 200 : (int)len, p);
            if (n > 0) usage_list(err, errlen, (size_t)n);
            return NFB_EINVAL;
        }
        if (seen & UINT32_C(1) << col) {
            snprintf(err, errlen, "column \"%s\" is listed twice",
                     all.col[col].name);
            return NFB_EINVAL;
        }
        seen |= UINT32_C(1) << col;
        out->col[out->n++] = all.col[col];
        if (!*q) return NFB_OK;
        p = q + 1;
    }
}
