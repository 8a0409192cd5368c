/* Private definitions shared by the library's sources. */
#ifndef NFB_INTERNAL_H
#define NFB_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <nfbackup/nfbackup.h>

#if defined(__GNUC__)
#define NFB_LIKELY(x) __builtin_expect(!!(x), 1)
#define NFB_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define NFB_LIKELY(x) (x)
#define NFB_UNLIKELY(x) (x)
#endif

/* Copies the user's allocator, or the C library's when src is NULL. Returns
 * -1 when src is only partly filled in. */
int nfb__allocator_init(nfb_allocator *dst, const nfb_allocator *src);

static inline void *nfb__malloc(const nfb_allocator *a, size_t n)
{
    return a->malloc_fn(a->ctx, n);
}
static inline void *nfb__realloc(const nfb_allocator *a, void *p, size_t n)
{
    return a->realloc_fn(a->ctx, p, n);
}
static inline void nfb__free(const nfb_allocator *a, void *p)
{
    if (p) a->free_fn(a->ctx, p);
}

#endif
