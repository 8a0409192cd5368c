/* A bump allocator for the strings and arrays of one record. Reset between
 * records keeps the first block, so a stream of any length reuses the same
 * memory and allocates nothing per token. */
#ifndef NFB_ARENA_H
#define NFB_ARENA_H

#include <stdalign.h>

#include "internal.h"

typedef struct nfb__arena_block {
    struct nfb__arena_block *next;
    size_t cap;
    alignas(max_align_t) unsigned char data[];
} nfb__arena_block;

/* The fast path (nfb__arena_alloc) is one compare: next and end bound the
 * room left, which is the current block's rest cut short where the limit
 * would be passed; the slow path moves them (a new block, or the limit
 * reached). With no block, both are NULL. */
typedef struct nfb__arena {
    unsigned char *next; /* where the next allocation begins */
    unsigned char *end;  /* what the fast path may hand out ends here */
    const nfb_allocator *alloc;
    nfb__arena_block *first; /* kept across resets */
    nfb__arena_block *cur;   /* where allocation happens */
    size_t before;           /* bytes handed out in blocks before cur */
    size_t limit;            /* total above which allocation fails */
    int over_limit;          /* set when a failure was the limit, not OOM */
} nfb__arena;

void nfb__arena_init(nfb__arena *a, const nfb_allocator *alloc, size_t limit);

void *nfb__arena_alloc_slow(nfb__arena *a, size_t n);

/* Bytes handed out since the last reset (each request rounded up to the
 * alignment; 0 bytes count as one unit). */
static inline size_t nfb__arena_total(const nfb__arena *a)
{
    return a->before + (a->cur ? (size_t)(a->next - a->cur->data) : 0);
}

/* nfb__arena_alloc's common case alone: n bytes from the room [next, end),
 * or NULL when they do not fit it, with nothing changed (then
 * nfb__arena_alloc gives the same n bytes, or fails). It calls nothing, for
 * the straight paths of the decoder. */
static inline void *nfb__arena_try(nfb__arena *a, size_t n)
{
    enum { ALIGN = alignof(max_align_t) };
    size_t m = n ? (n + ALIGN - 1) & ~(size_t)(ALIGN - 1) : ALIGN;
    if (NFB_LIKELY(m <= (size_t)(a->end - a->next))) {
        void *p = a->next;
        a->next += m;
        return p;
    }
    return NULL;
}

/* Returns n bytes aligned for any scalar, or NULL: out of memory, or over
 * the limit (then over_limit is set). Inline: a record takes a dozen of
 * these, nearly all served from the current block within the limit, which
 * [next, end) stands for. */
static inline void *nfb__arena_alloc(nfb__arena *a, size_t n)
{
    void *p = nfb__arena_try(a, n);
    return NFB_LIKELY(p) ? p : nfb__arena_alloc_slow(a, n);
}

/* Forgets everything allocated; frees all blocks but the first. */
void nfb__arena_reset(nfb__arena *a);

void nfb__arena_free(nfb__arena *a);

#endif
