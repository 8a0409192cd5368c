/* Names of enum values, codes and results; version queries; allocator. */
#include <stdlib.h>

#include "internal.h"
#include "schema.h"

static const char *const code_names[] = {
    "syntax",          "missing-field", "wrong-type",
    "bad-enum",        "bad-date-time", "bad-size",
    "duplicate-field", "unknown-field", "api-error",
    "limit",           "lint",          "secret"};

#define NAME_OF(table, i)                                                      \
    ((unsigned)(i) < sizeof table / sizeof table[0] ? table[i] : NULL)

/* The enum names are schema.c's (NUL-terminated string literals). */
#define ENUM_NAME(table, i)                                                    \
    ((unsigned)(i) < sizeof table / sizeof table[0] ? table[i].ptr : NULL)

const char *nfb_status_name(nfb_status s)
{
    return ENUM_NAME(nfb__status_names, s);
}
const char *nfb_source_type_name(nfb_source_type t)
{
    return ENUM_NAME(nfb__source_type_names, t);
}
const char *nfb_compression_name(nfb_compression c)
{
    return ENUM_NAME(nfb__compression_names, c);
}
const char *nfb_code_name(nfb_code code)
{
    const char *n = NAME_OF(code_names, code);
    return n ? n : "unknown";
}
const char *nfb_severity_name(nfb_severity severity)
{
    return severity == NFB_ERROR ? "error" : "warning";
}

const char *nfb_result_str(nfb_result result)
{
    switch (result) {
    case NFB_OK:
        return "success";
    case NFB_STOPPED:
        return "stopped by a callback";
    case NFB_ENOMEM:
        return "out of memory";
    case NFB_EINVAL:
        return "invalid argument";
    case NFB_EWRITE:
        return "write failed";
    case NFB_ESTATE:
        return "call not allowed in this state";
    case NFB_EIO:
        return "input/output error";
    default:
        return "unknown result";
    }
}

const char *nfb_version(void)
{
    return NFB_VERSION_STRING;
}
unsigned long nfb_version_hex(void)
{
    return NFB_VERSION_HEX;
}

static void *std_malloc(void *ctx, size_t n)
{
    (void)ctx;
    return malloc(n);
}
static void *std_realloc(void *ctx, void *p, size_t n)
{
    (void)ctx;
    return realloc(p, n);
}
static void std_free(void *ctx, void *p)
{
    (void)ctx;
    free(p);
}

int nfb__allocator_init(nfb_allocator *dst, const nfb_allocator *src)
{
    static const nfb_allocator std = {std_malloc, std_realloc, std_free, NULL};
    if (!src) {
        *dst = std;
        return 0;
    }
    /* Mixing the user's functions with the C library's would free memory
     * with the wrong function. */
    if (!src->malloc_fn || !src->realloc_fn || !src->free_fn) return -1;
    *dst = *src;
    return 0;
}
