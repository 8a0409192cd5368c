/* The column table of the tabular writers (csv, tsv, xlsx): one column
 * per row of the schema that has a .column name, in the same order, each
 * with the presence flags on its path. A column's value is read with the
 * functions below; an array's value is its compact JSON text
 * (json_text.h). */
#ifndef NFB_COLUMNS_H
#define NFB_COLUMNS_H

#include "json_text.h"
#include "sink.h"
#include "walk.h"

typedef struct nfb__column {
    const char *name;           /* "config.size" */
    const nfb__field *field;    /* its row; offsets from nfb_backup */
    int16_t has[NFB__MAX_PATH]; /* the flags on its path that must be
                                   true, -1 past the last */
} nfb__column;

/* The columns in output order, chosen from every column. */
typedef struct nfb__columns {
    nfb__column col[NFB__MAX_COLUMNS];
    unsigned char n;
} nfb__columns;

/* Fills out with every column, in canonical order. */
void nfb__all_columns(nfb__columns *out);

/* Fills out with the columns of a comma-separated list of names, or every
 * column when list is NULL. NFB_EINVAL with a reason that lists the
 * columns in err for an unknown, empty or repeated name. */
int nfb__parse_columns(const char *list, nfb__columns *out, char *err,
                       size_t errlen);

/* Has b a value in column c? */
static inline int nfb__column_present(const nfb__column *c, const nfb_backup *b)
{
    const char *p = (const char *)b;
    for (int i = 0; i < NFB__MAX_PATH && c->has[i] >= 0; i++)
        if (!*(const bool *)(p + c->has[i])) return 0;
    return 1;
}

/* The text of b's value in column c, which must be present: a string as
 * read, an enum's name, an array's compact JSON (made in json, grown with
 * a). NFB_OK, NFB_EINVAL (an enum out of range) or NFB_ENOMEM. Inline: it
 * runs for every cell. */
static inline int nfb__column_text(const nfb__column *c, const nfb_backup *b,
                                   nfb__buf *json, const nfb_allocator *a,
                                   nfb_str *out)
{
    const nfb__field *f = c->field;
    switch (f->type) {
    case NFB_T_STRING:
    case NFB_T_SIZE:
    case NFB_T_NUMBER:
        *out = *NFB__AT(nfb_str, b, f->off);
        return NFB_OK;
    case NFB_T_DATETIME:
        *out = NFB__AT(nfb_time, b, f->off)->text;
        return NFB_OK;
    case NFB_T_ENUM:
        *out = nfb__enum_name(f, b);
        return out->ptr ? NFB_OK : NFB_EINVAL;
    case NFB_T_ARRAY:
    case NFB_T_OBJECT: {
        int res = nfb__json_text(json, a, f, b);
        if (res == NFB_OK) *out = (nfb_str){(const char *)json->ptr, json->len};
        return res;
    }
    default:
        return NFB_EINVAL;
    }
}

#endif
