/* The resource's schema as tables: for each kind of object, its fields,
 * their types, whether they are required and where the decoder stores them.
 * decode.c is driven by these tables. */
#ifndef NFB_SCHEMA_H
#define NFB_SCHEMA_H

#include "internal.h"

/* What a JSON value is expected to be. */
typedef enum nfb__type {
    NFB_T_STRING,   /* any string */
    NFB_T_ENUM,     /* a string from the field's enum table */
    NFB_T_DATETIME, /* an RFC 3339 date-time string */
    NFB_T_SIZE,     /* a canonical decimal byte count string */
    NFB_T_NUMBER,   /* a JSON number */
    NFB_T_OBJECT,   /* an object of the field's kind */
    NFB_T_ARRAY,    /* an array of objects of the field's kind */
    NFB_T_ANY,      /* anything, skipped */
    NFB_T_CLIENT    /* the client's: an object of the field's kind when it
                       is an object, anything else skipped without a word */
} nfb__type;

/* Kinds of object (and arrays) the decoder knows. */
typedef enum nfb__kind {
    NFB_K_TOP,     /* a top-level object, form not known yet */
    NFB_K_DATA,    /* "data" of a wrapper: a backup or {"backups": [...]} */
    NFB_K_WRAPPER, /* a top-level {"data": ...} / {"error": ...} object */
    NFB_K_LIST,    /* {"backups": [...]} (top level or under "data") */
    NFB_K_BACKUP,
    NFB_K_CONFIG,
    NFB_K_SOURCE,
    NFB_K_DEST,
    NFB_K_RESTORE,
    NFB_K_APIERR,  /* {"status": 404, "message": ...} of an API error */
    NFB_K_REQUEST, /* a JS client result's "request": only "headers" read,
                      its other keys skipped without a word */
    NFB_K_HEADERS, /* its "headers": the names checked for credentials */
    NFB_K_ARRAY,   /* an array whose elements are objects of elem kind */
    NFB_K_COUNT
} nfb__kind;

typedef struct nfb__field {
    const char *name;
    uint8_t len;
    uint8_t type; /* nfb__type */
    uint8_t kind; /* NFB_T_OBJECT / NFB_T_ARRAY: the (element) kind */
    uint8_t required;
    const nfb_str *enums; /* NFB_T_ENUM: names, indexed by value */
    uint8_t nenums;
    int16_t off;     /* where the value goes in the kind's struct, or -1 */
    int16_t has_off; /* its bool presence flag, or -1 */
    int16_t off2;    /* NFB_T_SIZE: the uint64_t; NFB_T_NUMBER: a double */
    /* Members below are the writers' (write/: walk.c, columns.c,
     * check_record.c); rows name every member they set, so a new member
     * goes here, at the end. */
    const char *column; /* the csv/tsv/xlsx column ("config.size"), or NULL
                           for none (objects: their fields have columns) */
    int16_t count_off;  /* NFB_T_ARRAY: the size_t count; off is the
                           pointer to the first element */
    uint16_t elem_size; /* NFB_T_ARRAY: the size of an element */
} nfb__field;

typedef struct nfb__object {
    const char *what; /* "a backup", for messages */
    const nfb__field *fields;
    uint8_t count; /* at most 32: presence is a bit mask */
} nfb__object;

extern const nfb__object nfb__objects[NFB_K_COUNT];

/* The table of kind k, or NULL for kinds without one (top, data, array). */
static inline const nfb__object *nfb__schema(nfb__kind k)
{
    return nfb__objects[k].fields ? &nfb__objects[k] : NULL;
}

/* The index of key in o's fields, or -1. Objects have at most eight
 * fields, of distinct length and first letter mostly: comparing those two
 * first rejects almost every candidate without a call to memcmp. */
static inline int nfb__schema_find(const nfb__object *o, const char *key,
                                   size_t len)
{
    for (int i = 0; i < o->count; i++) {
        const nfb__field *f = &o->fields[i];
        if (f->len != len || f->name[0] != key[0]) continue;
        size_t j = 1;
        while (j < len && f->name[j] == key[j])
            j++;
        if (j == len) return i;
    }
    return -1;
}

/* Private struct of an API error object. */
typedef struct nfb__api_error {
    nfb_str status; /* number text */
    nfb_str message;
    nfb_str id;
} nfb__api_error;

/* The names of the public enums, indexed by value: the one list that the
 * decoder, the writers and nfb_status_name (names.c) use. */
enum { NFB__NSTATUS = 7, NFB__NSOURCE_TYPE = 5, NFB__NCOMPRESSION = 2 };
extern const nfb_str nfb__status_names[NFB__NSTATUS];
extern const nfb_str nfb__source_type_names[NFB__NSOURCE_TYPE];
extern const nfb_str nfb__compression_names[NFB__NCOMPRESSION];

/* "a string", "an object", ... for a type. */
const char *nfb__type_expect(const nfb__field *f);

#endif
