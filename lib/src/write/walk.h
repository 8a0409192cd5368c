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
 * The tabular writers (csv, tsv, xlsx) use the column table instead
 * (columns.h), and every writer the record check (check_record.h); both
 * read the rows with the helpers below. */
#ifndef NFB_WALK_H
#define NFB_WALK_H

#include "common/internal.h"
#include "common/schema.h"

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

/* The most columns, and the most presence flags on a field's path. */
enum { NFB__MAX_COLUMNS = 32, NFB__MAX_PATH = 4 };

/* The presence flags on the path of field f, whose object's are
 * path[0..depth) (the record's own fields: depth 0): those, then f's own
 * flag if it is optional, into p, -1 past them. Returns p's depth. */
static inline int nfb__field_path(const nfb__field *f, const int16_t *path,
                                  int depth, int16_t p[NFB__MAX_PATH])
{
    for (int j = 0; j < NFB__MAX_PATH; j++)
        p[j] = j < depth ? path[j] : -1;
    if (f->has_off >= 0 && depth < NFB__MAX_PATH) p[depth++] = f->has_off;
    return depth;
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

/* Is optional field f there in the struct at base? Required: always. */
static inline int nfb__field_present(const nfb__field *f, const void *base)
{
    return f->has_off < 0 || *NFB__AT(bool, base, f->has_off);
}

/* The first element of array field f and their count. The pointer is
 * copied out by memcpy: its C type is the element's, not void's. */
static inline const char *nfb__array_items(const nfb__field *f,
                                           const void *base, size_t *n)
{
    const void *items;
    memcpy(&items, (const char *)base + f->off, sizeof items);
    *n = *NFB__AT(size_t, base, f->count_off);
    return items;
}

#endif
