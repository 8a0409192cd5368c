/* The record walker: the schema's tables (schema.c) turned into the calls
 * a writer needs, so that no writer names a field of nfb_backup.
 *
 * nfb__walk emits a record as a tree, in the canonical order of the table
 * rows: objects, keys, strings, numbers, enum names and the destinations
 * array; an optional field that is absent is left out. The yaml writer and
 * the json writer's reference path are receivers of this walk (the json
 * writer's fast path reads the same rows itself, without a call per
 * token).
 *
 * The tabular writers (csv, tsv, xlsx) use the column table instead: one
 * column per row that has a .column name, in the same order, each with the
 * presence flags on its path. A column's value is read with the functions
 * below; an array's value is its compact JSON text. */
#ifndef NFB_WALK_H
#define NFB_WALK_H

#include "common/internal.h"
#include "common/schema.h"
#include "sink.h"

/* What a receiver is called with. Every function returns NFB_OK to go on,
 * or an nfb_result that stops the walk and is returned by nfb__walk. The
 * strings are the record's (valid as long as it is). */
typedef struct nfb__walk_ops {
    int (*begin_object)(void *ctx);
    int (*end_object)(void *ctx);
    int (*begin_array)(void *ctx);
    int (*end_array)(void *ctx);
    int (*key)(void *ctx, const char *name, size_t len);
    /* A string value, as read (date-times and sizes are their text). */
    int (*string)(void *ctx, nfb_str s);
    /* A JSON number's text, as read; never empty. */
    int (*number)(void *ctx, nfb_str text);
    /* An enum value's name: one of a few fixed words. */
    int (*name)(void *ctx, nfb_str name);
} nfb__walk_ops;

/* Walks b (see the top of the file), which nfb__walk_check accepted
 * (nfb_writer_record sees to it): a value that cannot be written would
 * stop the walk with NFB_EINVAL half way. */
int nfb__walk(const nfb_backup *b, const nfb__walk_ops *ops, void *ctx);

/* Walks the value of field f of the struct at base. */
int nfb__walk_value(const nfb__field *f, const void *base,
                    const nfb__walk_ops *ops, void *ctx);

/* ---- columns ---- */

enum { NFB__MAX_COLUMNS = 32, NFB__MAX_PATH = 4 };

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

/* ---- the check ---- */

/* What makes a record writable, flattened from the rows once per writer
 * so that a record is checked by a few short loops: its strings not NULL
 * with a length and UTF-8 (present or not), its enums in range and its
 * numbers' text not empty where present, its arrays not NULL when
 * counted. */
typedef struct nfb__check {
    int16_t str[NFB__MAX_COLUMNS]; /* nfb_str offsets (date-times: text) */
    struct {
        const nfb__field *field;    /* an enum or a number */
        int16_t has[NFB__MAX_PATH]; /* as in nfb__column */
    } when[NFB__MAX_COLUMNS];
    const nfb__field *array[NFB__MAX_PATH];
    unsigned char nstr, nwhen, narray;
} nfb__check;

void nfb__check_init(nfb__check *c);

/* Can every writer write b (see nfb__check)? NFB_OK or NFB_EINVAL. */
int nfb__walk_check(const nfb__check *c, const nfb_backup *b);

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

/* The member at offset off of the struct at base. */
#define NFB__AT(T, base, off) ((const T *)((const char *)(base) + (off)))

/* The name of an enum field's value in the struct at base; {NULL, 0} when
 * the value is out of range. */
static inline nfb_str nfb__enum_name(const nfb__field *f, const void *base)
{
    int v = f->off >= 0 ? *NFB__AT(int, base, f->off) : 0;
    if ((unsigned)v >= f->nenums) return (nfb_str){NULL, 0};
    return f->enums[v];
}

/* The text of b's value in column c, which must be present: a string as
 * read, an enum's name, an array's compact JSON (made in json, grown with
 * a). NFB_OK, NFB_EINVAL (an enum out of range) or NFB_ENOMEM. Inline: it
 * runs for every cell. */
static inline int nfb__column_text(const nfb__column *c, const nfb_backup *b,
                                   nfb__buf *json, const nfb_allocator *a,
                                   nfb_str *out);

/* The value of field f of the struct at base as compact JSON (the json
 * writer's bytes) into b, from b->ptr[0], its length in b->len. */
int nfb__json_text(nfb__buf *b, const nfb_allocator *a, const nfb__field *f,
                   const void *base);

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
