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

/* An allocator with every member filled in, so calls need no NULL checks. */
void nfb__allocator_init(nfb_allocator *dst, const nfb_allocator *src);

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
