/* The record check: what every writer needs of a record, flattened from
 * the schema's rows once per writer (see check_record.h). */
#include "check_record.h"

#include "common/utf8.h"

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
            if (here && nfb__field_present(f, base) && !number_ok(s)) return 0;
            break;
        case NFB_T_ENUM:
            if (f->off >= 0 && here && nfb__field_present(f, base) &&
                (unsigned)*NFB__AT(int, base, f->off) >= f->nenums)
                return 0;
            break;
        case NFB_T_OBJECT:
            if (!check_object((nfb__kind)f->kind, base,
                              here && nfb__field_present(f, base)))
                return 0;
            break;
        case NFB_T_ARRAY:
            items = nfb__array_items(f, base, &n);
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
        int d = nfb__field_path(f, path, depth, p);
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
        const char *items = nfb__array_items(f, base, &n);
        if (n && !items) return NFB_EINVAL;
        /* Elements are checked as if present: a caller that counts them
         * means them. */
        for (size_t j = 0; j < n; j++)
            if (!check_object((nfb__kind)f->kind, items + j * f->elem_size, 1))
                return NFB_EINVAL;
    }
    return NFB_OK;
}
