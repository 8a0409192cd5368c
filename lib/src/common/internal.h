/* Private definitions shared by the library's sources. */
#ifndef NFB_INTERNAL_H
#define NFB_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <nfbackup/nfbackup.h>

/* Compiler extensions, each behind a check of the compiler, with a plain
 * C fallback. NFB_PORTABLE (cmake -DNFB_PORTABLE=ON) leaves out those that
 * choose code (GNU vectors), so that the fallbacks are built and tested
 * too. */
#if defined(__has_attribute)
#if __has_attribute(format)
#define NFB_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#endif
#elif defined(__GNUC__)
#define NFB_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#endif
#ifndef NFB_PRINTF
#define NFB_PRINTF(fmt, args)
#endif

/* Inlining forced or refused where a measured hot path needs it. */
#if defined(__GNUC__)
#define NFB_NOINLINE __attribute__((noinline))
#define NFB_ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define NFB_NOINLINE
#define NFB_ALWAYS_INLINE inline
#endif

/* GNU C vectors (gcc 4.x and clang): 16 bytes compared at once. */
#if defined(__GNUC__) && !defined(NFB_PORTABLE)
#define NFB_HAVE_VECTORS 1
#endif

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
