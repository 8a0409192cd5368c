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
    size_t used;
    alignas(max_align_t) unsigned char data[];
} nfb__arena_block;

typedef struct nfb__arena {
    const nfb_allocator *alloc;
    nfb__arena_block *first; /* kept across resets */
    nfb__arena_block *cur;   /* where allocation happens */
    size_t total;            /* bytes handed out since the last reset */
    size_t limit;            /* total above which allocation fails */
    int over_limit;          /* set when a failure was the limit, not OOM */
} nfb__arena;

void nfb__arena_init(nfb__arena *a, const nfb_allocator *alloc, size_t limit);

void *nfb__arena_alloc_slow(nfb__arena *a, size_t n);

/* nfb__arena_alloc's common case alone: n bytes from the current block,
 * or NULL when they do not fit it or the limit, with nothing changed (then
 * nfb__arena_alloc gives the same n bytes, or fails). It calls nothing, for
 * the straight paths of the decoder. */
static inline void *nfb__arena_try(nfb__arena *a, size_t n)
{
    enum { ALIGN = alignof(max_align_t) };
    size_t m = n ? (n + ALIGN - 1) & ~(size_t)(ALIGN - 1) : ALIGN;
    nfb__arena_block *b = a->cur;
    if (NFB_LIKELY(b && m <= b->cap - b->used && m <= a->limit - a->total)) {
        void *p = b->data + b->used;
        b->used += m;
        a->total += m;
        return p;
    }
    return NULL;
}

/* Returns n bytes aligned for any scalar, or NULL: out of memory, or over
 * the limit (then over_limit is set). Inline: a record takes a dozen of
 * these, nearly all served from the current block. */
static inline void *nfb__arena_alloc(nfb__arena *a, size_t n)
{
    void *p = nfb__arena_try(a, n);
    return NFB_LIKELY(p) ? p : nfb__arena_alloc_slow(a, n);
}

/* Forgets everything allocated; frees all blocks but the first. */
void nfb__arena_reset(nfb__arena *a);

void nfb__arena_free(nfb__arena *a);

#endif
