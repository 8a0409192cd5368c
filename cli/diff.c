/* nfbackup diff: what changed between two sets of records, each read with
 * --unique (unique.c). Both sets' ids are sorted in memory (an id and
 * where its record is: the records stay in the temporary files) and
 * walked together in byte order, as a merge does; a record is read back
 * only when its id comes up. Two records are the same when their
 * canonical JSON lines (the json writer's) are the same bytes; when they
 * differ, both lines are parsed (yajl's tree) and compared member by
 * member, objects recursively: a field is named by its dotted path
 * (status, config.addonVersion, lastRestore), an array as a whole
 * (config.additionalDestinations). */
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "cli.h"

typedef struct out {
    nfb_write_fn write;
    void *ctx;
    char *p;
    size_t len, cap;
    int failed; /* NFB_EWRITE or NFB_ENOMEM */
} out;

enum { FLUSH_AT = 64 * 1024 };

static void put(out *o, const char *s, size_t n)
{
    if (o->failed) return;
    if (o->len + n > o->cap) {
        size_t cap = o->cap ? o->cap : FLUSH_AT * 2;
        while (cap < o->len + n)
            cap *= 2;
        char *p = realloc(o->p, cap);
        if (!p) {
            o->failed = NFB_ENOMEM;
            return;
        }
        o->p = p, o->cap = cap;
    }
    memcpy(o->p + o->len, s, n);
    o->len += n;
}

static void puts_(out *o, const char *s)
{
    put(o, s, strlen(s));
}

static void flush(out *o, int always)
{
    if (o->failed || !o->len || (!always && o->len < FLUSH_AT)) return;
    if (o->write(o->ctx, o->p, o->len) != 0) o->failed = NFB_EWRITE;
    o->len = 0;
}

/* A line without its '\n'. */
static size_t trim(const char *line, size_t len)
{
    return len && line[len - 1] == '\n' ? len - 1 : len;
}

/* The id as the line writes it (the canonical writer puts it first,
 * escaped as it escapes every string): its quoted JSON text. */
static void put_id_json(out *o, const char *line, size_t len)
{
    const char *s = line + sizeof "{\"id\":" - 1, *end = line + len;
    const char *p = s + 1;
    while (p < end && *p != '"')
        p += *p == '\\' ? 2 : 1;
    put(o, s, (size_t)(p + 1 - s));
}

/* ---- comparing two records ------------------------------------------ */

typedef struct paths {
    char **p;
    size_t n, cap;
} paths;

static int add_path(paths *ps, const char *prefix, const char *key)
{
    if (ps->n == ps->cap) {
        size_t cap = ps->cap ? ps->cap * 2 : 8;
        char **p = realloc(ps->p, cap * sizeof *p);
        if (!p) return -1;
        ps->p = p, ps->cap = cap;
    }
    size_t a = strlen(prefix), b = strlen(key);
    char *s = malloc(a + b + 2);
    if (!s) return -1;
    memcpy(s, prefix, a);
    if (a) s[a++] = '.';
    memcpy(s + a, key, b + 1);
    ps->p[ps->n++] = s;
    return 0;
}

static void free_paths(paths *ps)
{
    for (size_t i = 0; i < ps->n; i++)
        free(ps->p[i]);
    free(ps->p);
}

static yajl_val member(yajl_val obj, const char *key)
{
    if (!YAJL_IS_OBJECT(obj)) return NULL;
    for (size_t i = 0; i < obj->u.object.len; i++)
        if (strcmp(obj->u.object.keys[i], key) == 0)
            return obj->u.object.values[i];
    return NULL;
}

static int same(yajl_val a, yajl_val b)
{
    if (!a || !b) return a == b;
    if (a->type != b->type) return 0;
    switch (a->type) {
    case yajl_t_string:
        return strcmp(a->u.string, b->u.string) == 0;
    case yajl_t_number:
        return strcmp(a->u.number.r, b->u.number.r) == 0;
    case yajl_t_object:
        if (a->u.object.len != b->u.object.len) return 0;
        for (size_t i = 0; i < a->u.object.len; i++)
            if (strcmp(a->u.object.keys[i], b->u.object.keys[i]) != 0 ||
                !same(a->u.object.values[i], b->u.object.values[i]))
                return 0;
        return 1;
    case yajl_t_array:
        if (a->u.array.len != b->u.array.len) return 0;
        for (size_t i = 0; i < a->u.array.len; i++)
            if (!same(a->u.array.values[i], b->u.array.values[i])) return 0;
        return 1;
    default: /* true, false, null: the type says it all */
        return 1;
    }
}

/* The paths under prefix where objects a and b differ: a's members in
 * its order (the canonical one), then those only b has. */
static int compare(yajl_val a, yajl_val b, const char *prefix, paths *ps)
{
    for (size_t i = 0; i < a->u.object.len; i++) {
        const char *k = a->u.object.keys[i];
        yajl_val va = a->u.object.values[i], vb = member(b, k);
        if (vb && YAJL_IS_OBJECT(va) && YAJL_IS_OBJECT(vb)) {
            size_t pl = strlen(prefix), kl = strlen(k);
            char *sub = malloc(pl + kl + 2);
            if (!sub) return -1;
            memcpy(sub, prefix, pl);
            size_t at = pl;
            if (pl) sub[at++] = '.';
            memcpy(sub + at, k, kl + 1);
            int rc = compare(va, vb, sub, ps);
            free(sub);
            if (rc) return rc;
        } else if (!same(va, vb) && add_path(ps, prefix, k) != 0) {
            return -1;
        }
    }
    for (size_t i = 0; i < b->u.object.len; i++) {
        const char *k = b->u.object.keys[i];
        if (member(a, k)) continue;
        if (add_path(ps, prefix, k) != 0) return -1;
    }
    return 0;
}

/* The value at a dotted path, or NULL. */
static yajl_val at_path(yajl_val v, const char *path)
{
    char key[256];
    while (v && *path) {
        size_t n = strcspn(path, ".");
        if (n >= sizeof key) return NULL;
        memcpy(key, path, n);
        key[n] = '\0';
        v = member(v, key);
        path += n + (path[n] == '.');
    }
    return v;
}

/* A copy of a line, NUL-terminated, parsed. */
static yajl_val parse(const char *line, size_t len)
{
    char *s = malloc(len + 1);
    if (!s) return NULL;
    memcpy(s, line, len);
    s[len] = '\0';
    yajl_val v = yajl_tree_parse(s, NULL, 0);
    free(s);
    return v;
}

/* ---- csv ------------------------------------------------------------ */

/* One cell, quoted as the csv writer quotes (when it holds a comma, a
 * quote, CR or LF), with its formula guard: a ' before a cell that a
 * spreadsheet would take for a formula, or that starts with '. */
static void put_cell(out *o, const char *s, size_t n, int guard)
{
    int g = guard && n && strchr("=+-@\t\r\n'", s[0]) != NULL;
    int quote = 0;
    for (size_t i = 0; i < n && !quote; i++)
        quote = s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n';
    if (quote) put(o, "\"", 1);
    if (g) put(o, "'", 1);
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"') put(o, "\"", 1);
        put(o, s + i, 1);
    }
    if (quote) put(o, "\"", 1);
}

static void gen_value(yajl_gen g, yajl_val v)
{
    switch (v->type) {
    case yajl_t_string:
        yajl_gen_string(g, (const unsigned char *)v->u.string,
                        strlen(v->u.string));
        break;
    case yajl_t_number:
        yajl_gen_number(g, v->u.number.r, strlen(v->u.number.r));
        break;
    case yajl_t_object:
        yajl_gen_map_open(g);
        for (size_t i = 0; i < v->u.object.len; i++) {
            const char *k = v->u.object.keys[i];
            yajl_gen_string(g, (const unsigned char *)k, strlen(k));
            gen_value(g, v->u.object.values[i]);
        }
        yajl_gen_map_close(g);
        break;
    case yajl_t_array:
        yajl_gen_array_open(g);
        for (size_t i = 0; i < v->u.array.len; i++)
            gen_value(g, v->u.array.values[i]);
        yajl_gen_array_close(g);
        break;
    case yajl_t_true:
        yajl_gen_bool(g, 1);
        break;
    case yajl_t_false:
        yajl_gen_bool(g, 0);
        break;
    default:
        yajl_gen_null(g);
        break;
    }
}

/* A value's cell: a string's text, a number as written, an object or
 * array as compact JSON; an absent value is an empty cell. */
static void put_value_cell(out *o, yajl_val v, int guard)
{
    if (!v) return;
    if (YAJL_IS_STRING(v)) {
        put_cell(o, v->u.string, strlen(v->u.string), guard);
        return;
    }
    yajl_gen g = yajl_gen_alloc(NULL);
    if (!g) {
        o->failed = NFB_ENOMEM;
        return;
    }
    gen_value(g, v);
    const unsigned char *buf;
    size_t len;
    yajl_gen_get_buf(g, &buf, &len);
    put_cell(o, (const char *)buf, len, guard);
    yajl_gen_free(g);
}

/* A csv row's first two cells: the change and the id. */
static void put_row_head(out *o, const char *change, const char *id,
                         size_t id_len, int guard)
{
    puts_(o, change);
    put(o, ",", 1);
    put_cell(o, id, id_len, guard);
    put(o, ",", 1);
}

/* ---- the walk ------------------------------------------------------- */

/* An added or removed backup: json, its line; csv, one row with no field
 * and the whole record as JSON in the before or after cell. */
static void one_side(out *o, int csv, int guard, const char *change,
                     const char *id, size_t id_len, const char *line,
                     size_t len, int is_after)
{
    len = trim(line, len);
    if (csv) {
        put_row_head(o, change, id, id_len, guard);
        put(o, ",", 1);
        if (is_after) put(o, ",", 1);
        put_cell(o, line, len, guard);
        if (!is_after) put(o, ",", 1);
        put(o, "\n", 1);
        return;
    }
    puts_(o, "{\"change\":\"");
    puts_(o, change);
    puts_(o, "\",\"id\":");
    put_id_json(o, line, len);
    puts_(o, ",\"fields\":[],\"before\":");
    if (is_after) {
        puts_(o, "null,\"after\":");
        put(o, line, len);
    } else {
        put(o, line, len);
        puts_(o, ",\"after\":null");
    }
    puts_(o, "}\n");
}

/* Two records of one id whose lines differ. Returns 0, or -1 when out of
 * memory. */
static int changed(out *o, int csv, int guard, const char *id, size_t id_len,
                   const char *a, size_t alen, const char *b, size_t blen)
{
    yajl_val va = parse(a, alen), vb = parse(b, blen);
    paths ps = {NULL, 0, 0};
    int rc = va && vb && YAJL_IS_OBJECT(va) && YAJL_IS_OBJECT(vb)
                 ? compare(va, vb, "", &ps)
                 : -1;
    if (rc == 0 && csv) {
        for (size_t i = 0; i < ps.n; i++) {
            put_row_head(o, "changed", id, id_len, guard);
            put_cell(o, ps.p[i], strlen(ps.p[i]), guard);
            put(o, ",", 1);
            put_value_cell(o, at_path(va, ps.p[i]), guard);
            put(o, ",", 1);
            put_value_cell(o, at_path(vb, ps.p[i]), guard);
            put(o, "\n", 1);
        }
    } else if (rc == 0) {
        puts_(o, "{\"change\":\"changed\",\"id\":");
        put_id_json(o, a, alen);
        puts_(o, ",\"fields\":[");
        for (size_t i = 0; i < ps.n; i++) {
            /* Paths are schema names: nothing to escape. */
            puts_(o, i ? ",\"" : "\"");
            puts_(o, ps.p[i]);
            puts_(o, "\"");
        }
        puts_(o, "],\"before\":");
        put(o, a, alen);
        puts_(o, ",\"after\":");
        put(o, b, blen);
        puts_(o, "}\n");
    }
    free_paths(&ps);
    yajl_tree_free(va);
    yajl_tree_free(vb);
    return rc;
}

static int cmp_ids(const char *a, size_t an, const char *b, size_t bn)
{
    int c = memcmp(a, b, an < bn ? an : bn);
    return c ? c : (an > bn) - (an < bn);
}

nfb_result diff_write(unique *before, unique *after, int csv, int guard,
                      nfb_write_fn write, void *ctx, diff_counts *c)
{
    memset(c, 0, sizeof *c);
    if (unique_sort(before) != 0 || unique_sort(after) != 0) return NFB_ENOMEM;
    out o = {write, ctx, NULL, 0, 0, 0};
    if (csv) puts_(&o, "change,id,field,before,after\n");
    size_t nb = unique_count(before), na = unique_count(after);
    size_t i = 0, k = 0;
    nfb_result res = NFB_OK;
    /* The line of a record is valid until the next read of its set: the
     * line of before is copied when both are needed. */
    char *copy = NULL;
    size_t copy_cap = 0;
    while ((i < nb || k < na) && !o.failed) {
        size_t il = 0, kl = 0, len;
        const char *ib = i < nb ? unique_id(before, i, &il) : NULL;
        const char *ka = k < na ? unique_id(after, k, &kl) : NULL;
        int cmp = !ib ? 1 : !ka ? -1 : cmp_ids(ib, il, ka, kl);
        if (cmp < 0) {
            const char *line = unique_line(before, i++, &len);
            if (!line) {
                res = NFB_EIO;
                break;
            }
            one_side(&o, csv, guard, "removed", ib, il, line, len, 0);
            c->removed++;
        } else if (cmp > 0) {
            const char *line = unique_line(after, k++, &len);
            if (!line) {
                res = NFB_EIO;
                break;
            }
            one_side(&o, csv, guard, "added", ka, kl, line, len, 1);
            c->added++;
        } else {
            size_t alen, blen;
            const char *a = unique_line(before, i++, &alen);
            if (a && alen > copy_cap) {
                char *p = realloc(copy, alen);
                if (!p) {
                    res = NFB_ENOMEM;
                    break;
                }
                copy = p, copy_cap = alen;
            }
            if (a) memcpy(copy, a, alen);
            const char *b = a ? unique_line(after, k++, &blen) : NULL;
            if (!b) {
                res = NFB_EIO;
                break;
            }
            alen = trim(copy, alen), blen = trim(b, blen);
            if (alen == blen && memcmp(copy, b, alen) == 0) {
                c->same++;
            } else {
                if (changed(&o, csv, guard, ib, il, copy, alen, b, blen) != 0)
                    o.failed = NFB_ENOMEM;
                c->changed++;
            }
        }
        flush(&o, 0);
    }
    flush(&o, 1);
    free(copy);
    free(o.p);
    if (res == NFB_OK && o.failed) res = (nfb_result)o.failed;
    return res;
}
