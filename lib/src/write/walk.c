/* The record walker, the column table and the compact JSON of a value,
 * all driven by the schema's tables (see walk.h). */
#include "walk.h"

#include <stdio.h>

#include "common/check.h"
#include "writer_impl.h"

#define TRY(x)                                                                 \
    do {                                                                       \
        int res_ = (x);                                                        \
        if (res_ != NFB_OK) return res_;                                       \
    } while (0)

/* Is optional field f there in the struct at base? Required: always. */
static int present(const nfb__field *f, const void *base)
{
    return f->has_off < 0 || *NFB__AT(bool, base, f->has_off);
}

/* The first element of array field f and their count. The pointer is
 * copied out by memcpy: its C type is the element's, not void's. */
static const char *array_items(const nfb__field *f, const void *base, size_t *n)
{
    const void *items;
    memcpy(&items, (const char *)base + f->off, sizeof items);
    *n = *NFB__AT(size_t, base, f->count_off);
    return items;
}

static int walk_object(nfb__kind k, const void *base, const nfb__walk_ops *ops,
                       void *ctx)
{
    const nfb__object *o = &nfb__objects[k];
    TRY(ops->begin_object(ctx));
    for (int i = 0; i < o->count; i++) {
        const nfb__field *f = &o->fields[i];
        if (!present(f, base)) continue;
        TRY(ops->key(ctx, f->name, f->len));
        TRY(nfb__walk_value(f, base, ops, ctx));
    }
    return ops->end_object(ctx);
}

int nfb__walk_value(const nfb__field *f, const void *base,
                    const nfb__walk_ops *ops, void *ctx)
{
    switch (f->type) {
    case NFB_T_STRING:
    case NFB_T_SIZE:
        return ops->string(ctx, *NFB__AT(nfb_str, base, f->off));
    case NFB_T_DATETIME:
        return ops->string(ctx, NFB__AT(nfb_time, base, f->off)->text);
    case NFB_T_NUMBER:
        return ops->number(ctx, *NFB__AT(nfb_str, base, f->off));
    case NFB_T_ENUM: {
        nfb_str name = nfb__enum_name(f, base);
        return name.ptr ? ops->name(ctx, name) : NFB_EINVAL;
    }
    case NFB_T_OBJECT:
        return walk_object((nfb__kind)f->kind, base, ops, ctx);
    case NFB_T_ARRAY: {
        size_t n;
        const char *items = array_items(f, base, &n);
        TRY(ops->begin_array(ctx));
        for (size_t i = 0; i < n; i++)
            TRY(walk_object((nfb__kind)f->kind, items + i * f->elem_size, ops,
                            ctx));
        return ops->end_array(ctx);
    }
    default:
        return NFB_EINVAL;
    }
}

int nfb__walk(const nfb_backup *b, const nfb__walk_ops *ops, void *ctx)
{
    return walk_object(NFB_K_BACKUP, b, ops, ctx);
}

/* ---- the check ---- */

/* The path above the record's own fields: no presence flag. */
static const int16_t no_path[NFB__MAX_PATH] = {-1, -1, -1, -1};

/* The bytes of p[0..n) OR-ed together, in words that may overlap: the
 * result has no top bit set when they are all ASCII. */
static inline uint64_t or_bytes(const char *p, size_t n)
{
    uint64_t acc = 0, w;
    if (n >= 8) {
        for (size_t i = 0; i + 8 < n; i += 8) {
            memcpy(&w, p + i, 8);
            acc |= w;
        }
        memcpy(&w, p + n - 8, 8);
        acc |= w;
    } else if (n >= 4) {
        uint32_t a, b;
        memcpy(&a, p, 4);
        memcpy(&b, p + n - 4, 4);
        acc = a | b;
    } else {
        for (size_t i = 0; i < n; i++)
            acc |= (unsigned char)p[i];
    }
    return acc;
}

#define HIGH_BITS UINT64_C(0x8080808080808080)

/* Not NULL with a length, and UTF-8 (strict, as the reader takes it):
 * JSON, YAML, csv and xlsx text are all UTF-8, so a string that is not
 * would make any output invalid. Checked once per string of the record,
 * before a writer sees it, so that no format needs to check it again. */
static int str_ok(const nfb_str *s)
{
    if (!s->ptr) return !s->len;
    return !(or_bytes(s->ptr, s->len) & HIGH_BITS) ||
           nfb__utf8_copy(NULL, s->ptr, s->len, NULL) == s->len;
}

/* The run of digits at s[i..n): where it ends. */
static size_t digits_end(const char *s, size_t i, size_t n)
{
    while (i < n && s[i] >= '0' && s[i] <= '9')
        i++;
    return i;
}

/* A number field's text: there, and a JSON number (RFC 8259: an optional
 * minus, 0 or digits not starting with 0, an optional fraction, an
 * optional exponent), which the json writer writes as it is. */
static int number_ok(const nfb_str *s)
{
    const char *p = s->ptr;
    size_t n = s->len, i = 0, e;
    if (!p || !n) return 0;
    if (p[i] == '-') i++;
    if (i < n && p[i] == '0')
        i++;
    else if ((e = digits_end(p, i, n)) > i)
        i = e;
    else
        return 0;
    if (i < n && p[i] == '.') {
        if ((e = digits_end(p, i + 1, n)) == i + 1) return 0;
        i = e;
    }
    if (i < n && (p[i] == 'e' || p[i] == 'E')) {
        i++;
        if (i < n && (p[i] == '+' || p[i] == '-')) i++;
        if ((e = digits_end(p, i, n)) == i) return 0;
        i = e;
    }
    return i == n;
}

/* here: the object is present (its enums must then be in range, its
 * numbers JSON numbers). Only
 * enums and numbers look at their presence: strings are checked in any
 * case. */
static int check_object(nfb__kind k, const char *base, int here)
{
    const nfb__object *o = &nfb__objects[k];
    for (int i = 0; i < o->count; i++) {
        const nfb__field *f = &o->fields[i];
        const nfb_str *s;
        size_t n;
        const char *items;
        switch (f->type) {
        case NFB_T_STRING:
        case NFB_T_SIZE:
            if (!str_ok(NFB__AT(nfb_str, base, f->off))) return 0;
            break;
        case NFB_T_DATETIME:
            if (!str_ok(&NFB__AT(nfb_time, base, f->off)->text)) return 0;
            break;
        case NFB_T_NUMBER:
            s = NFB__AT(nfb_str, base, f->off);
            if (here && present(f, base) && !number_ok(s)) return 0;
            break;
        case NFB_T_ENUM:
            if (f->off >= 0 && here && present(f, base) &&
                (unsigned)*NFB__AT(int, base, f->off) >= f->nenums)
                return 0;
            break;
        case NFB_T_OBJECT:
            if (!check_object((nfb__kind)f->kind, base,
                              here && present(f, base)))
                return 0;
            break;
        case NFB_T_ARRAY:
            items = array_items(f, base, &n);
            if (n && !items) return 0;
            /* Elements are checked as if present: a caller that counts
             * them means them. */
            for (size_t j = 0; j < n; j++)
                if (!check_object((nfb__kind)f->kind, items + j * f->elem_size,
                                  1))
                    return 0;
            break;
        default:
            break;
        }
    }
    return 1;
}

/* Adds the checks of kind k's fields, path holding the depth presence
 * flags above them. */
static void plan(nfb__kind k, const int16_t *path, int depth, nfb__check *c)
{
    const nfb__object *o = &nfb__objects[k];
    for (int i = 0; i < o->count; i++) {
        const nfb__field *f = &o->fields[i];
        int16_t p[NFB__MAX_PATH];
        int d = depth;
        for (int j = 0; j < NFB__MAX_PATH; j++)
            p[j] = j < depth ? path[j] : -1;
        if (f->has_off >= 0 && d < NFB__MAX_PATH) p[d++] = f->has_off;
        switch (f->type) {
        case NFB_T_STRING:
        case NFB_T_SIZE:
            if (c->nstr < NFB__MAX_COLUMNS) c->str[c->nstr++] = f->off;
            break;
        case NFB_T_DATETIME:
            if (c->nstr < NFB__MAX_COLUMNS)
                c->str[c->nstr++] =
                    (int16_t)(f->off + (int16_t)offsetof(nfb_time, text));
            break;
        case NFB_T_ENUM:
        case NFB_T_NUMBER:
            if (f->off >= 0 && c->nwhen < NFB__MAX_COLUMNS) {
                c->when[c->nwhen].field = f;
                memcpy(c->when[c->nwhen++].has, p, sizeof p);
            }
            break;
        case NFB_T_OBJECT:
            plan((nfb__kind)f->kind, p, d, c);
            break;
        case NFB_T_ARRAY:
            if (c->narray < NFB__MAX_PATH) c->array[c->narray++] = f;
            break;
        default:
            break;
        }
    }
}

void nfb__check_init(nfb__check *c)
{
    memset(c, 0, sizeof *c);
    plan(NFB_K_BACKUP, no_path, 0, c);
}

int nfb__walk_check(const nfb__check *c, const nfb_backup *b)
{
    const char *base = (const char *)b;
    /* Most records are ASCII: their strings' bytes OR-ed together, and
     * each string decoded only when that finds a byte above 0x7F. */
    uint64_t acc = 0;
    for (unsigned i = 0; i < c->nstr; i++) {
        const nfb_str *s = NFB__AT(nfb_str, base, c->str[i]);
        if (!s->ptr && s->len) return NFB_EINVAL;
        acc |= or_bytes(s->ptr, s->len);
    }
    if (acc & HIGH_BITS)
        for (unsigned i = 0; i < c->nstr; i++)
            if (!str_ok(NFB__AT(nfb_str, base, c->str[i]))) return NFB_EINVAL;
    for (unsigned i = 0; i < c->nwhen; i++) {
        const nfb__field *f = c->when[i].field;
        const int16_t *has = c->when[i].has;
        int there = 1;
        for (int j = 0; there && j < NFB__MAX_PATH && has[j] >= 0; j++)
            there = *NFB__AT(bool, base, has[j]);
        if (!there) continue;
        if (f->type == NFB_T_ENUM
                ? (unsigned)*NFB__AT(int, base, f->off) >= f->nenums
                : !number_ok(NFB__AT(nfb_str, base, f->off)))
            return NFB_EINVAL;
    }
    for (unsigned i = 0; i < c->narray; i++) {
        size_t n;
        const nfb__field *f = c->array[i];
        const char *items = array_items(f, base, &n);
        if (n && !items) return NFB_EINVAL;
        /* Elements are checked as if present: a caller that counts them
         * means them. */
        for (size_t j = 0; j < n; j++)
            if (!check_object((nfb__kind)f->kind, items + j * f->elem_size, 1))
                return NFB_EINVAL;
    }
    return NFB_OK;
}

/* ---- columns ---- */

/* Adds the columns of kind k's fields, path holding the depth presence
 * flags above them. */
static void collect(nfb__kind k, const int16_t *path, int depth,
                    nfb__columns *out)
{
    const nfb__object *o = &nfb__objects[k];
    for (int i = 0; i < o->count; i++) {
        const nfb__field *f = &o->fields[i];
        int16_t p[NFB__MAX_PATH];
        int d = depth;
        for (int j = 0; j < NFB__MAX_PATH; j++)
            p[j] = j < depth ? path[j] : -1;
        if (f->has_off >= 0 && d < NFB__MAX_PATH) p[d++] = f->has_off;
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

/* ---- compact JSON ---- */

/* Appends s as a JSON string body (without quotes) at out, which has room
 * for 6 bytes per input byte; returns the bytes written. Line ends are
 * escaped as the json writer does (see writer_impl.h), and so are control
 * characters: yajl's upper-case hex digits (test_json_fast compares). */
static size_t json_escape(unsigned char *out, const unsigned char *s,
                          size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    static const char short_escape[32] = {
        ['\b'] = 'b', ['\f'] = 'f', ['\n'] = 'n', ['\r'] = 'r', ['\t'] = 't'};
    size_t k = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = s[i];
        if (ch >= 0x20 && ch != '"' && ch != '\\' && ch != 0xc2 && ch != 0xe2) {
            out[k++] = ch;
            continue;
        }
        if (ch == 0xc2 || ch == 0xe2) {
            size_t n = nfb__json_line_end_at(s, i, len);
            if (!n) {
                out[k++] = ch;
                continue;
            }
            memcpy(out + k, nfb__json_line_end_escape(s + i), 6);
            k += 6;
            i += n - 1;
            continue;
        }
        out[k++] = '\\';
        if (ch == '"' || ch == '\\') {
            out[k++] = ch;
        } else if (short_escape[ch]) {
            out[k++] = (unsigned char)short_escape[ch];
        } else {
            memcpy(out + k, "u00", 3);
            out[k + 3] = (unsigned char)hex[ch >> 4];
            out[k + 4] = (unsigned char)hex[ch & 15];
            k += 5;
        }
    }
    return k;
}

typedef struct json_text {
    nfb__buf *b;
    const nfb_allocator *a;
    int first;     /* nothing in the current object or array yet */
    int after_key; /* the next value follows its key: no comma */
} json_text;

/* Appends the separator the next item needs and n more bytes of room. */
static int room(json_text *t, size_t n)
{
    int comma = !t->first && !t->after_key;
    t->first = t->after_key = 0;
    if (n > SIZE_MAX / 2 - t->b->len) return NFB_ENOMEM;
    TRY(nfb__buf_reserve(t->b, t->a, t->b->len + n + 1));
    if (comma) t->b->ptr[t->b->len++] = ',';
    return NFB_OK;
}

static int put_quoted(json_text *t, const char *s, size_t len, int key)
{
    if (len > SIZE_MAX / 8) return NFB_ENOMEM;
    TRY(room(t, 6 * len + 3));
    nfb__buf *b = t->b;
    b->ptr[b->len++] = '"';
    b->len += json_escape(b->ptr + b->len, (const unsigned char *)s, len);
    b->ptr[b->len++] = '"';
    if (key) b->ptr[b->len++] = ':';
    t->after_key = key;
    return NFB_OK;
}

static int open_(json_text *t, char c)
{
    TRY(room(t, 1));
    t->b->ptr[t->b->len++] = (unsigned char)c;
    t->first = 1;
    return NFB_OK;
}

static int close_(json_text *t, char c)
{
    TRY(nfb__buf_reserve(t->b, t->a, t->b->len + 1));
    t->b->ptr[t->b->len++] = (unsigned char)c;
    t->first = t->after_key = 0;
    return NFB_OK;
}

static int jt_begin_object(void *ctx)
{
    return open_(ctx, '{');
}
static int jt_end_object(void *ctx)
{
    return close_(ctx, '}');
}
static int jt_begin_array(void *ctx)
{
    return open_(ctx, '[');
}
static int jt_end_array(void *ctx)
{
    return close_(ctx, ']');
}
/* A key or an enum name: a fixed ASCII word, nothing to escape. */
static int put_word(json_text *t, const char *s, size_t len, int key)
{
    TRY(room(t, len + 3));
    nfb__buf *b = t->b;
    b->ptr[b->len++] = '"';
    memcpy(b->ptr + b->len, s, len);
    b->len += len;
    b->ptr[b->len++] = '"';
    if (key) b->ptr[b->len++] = ':';
    t->after_key = key;
    return NFB_OK;
}

static int jt_key(void *ctx, const char *name, size_t len)
{
    return put_word(ctx, name, len, 1);
}
static int jt_name(void *ctx, nfb_str s)
{
    return put_word(ctx, s.ptr, s.len, 0);
}
static int jt_string(void *ctx, nfb_str s)
{
    return put_quoted(ctx, s.ptr, s.len, 0);
}
static int jt_number(void *ctx, nfb_str text)
{
    json_text *t = ctx;
    TRY(room(t, text.len));
    memcpy(t->b->ptr + t->b->len, text.ptr, text.len);
    t->b->len += text.len;
    return NFB_OK;
}

static const nfb__walk_ops json_text_ops = {
    jt_begin_object, jt_end_object, jt_begin_array, jt_end_array,
    jt_key,          jt_string,     jt_number,      jt_name};

int nfb__json_text(nfb__buf *b, const nfb_allocator *a, const nfb__field *f,
                   const void *base)
{
    json_text t = {b, a, 1, 0};
    b->len = 0;
    return nfb__walk_value(f, base, &json_text_ops, &t);
}
