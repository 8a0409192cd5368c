/* A bump allocator for the strings and arrays of one record. Reset between
 * records keeps the first block, so a stream of any length reuses the same
 * memory and allocates nothing per token. */
#ifndef NFB_ARENA_H
#define NFB_ARENA_H

#include "internal.h"

typedef struct nfb__arena_block nfb__arena_block;

typedef struct nfb__arena {
    const nfb_allocator *alloc;
    nfb__arena_block *first; /* kept across resets */
    nfb__arena_block *cur;   /* where allocation happens */
    size_t total;            /* bytes handed out since the last reset */
    size_t limit;            /* total above which allocation fails */
    int over_limit;          /* set when a failure was the limit, not OOM */
} nfb__arena;

void nfb__arena_init(nfb__arena *a, const nfb_allocator *alloc, size_t limit);

/* Returns n bytes aligned for any scalar, or NULL: out of memory, or over
 * the limit (then over_limit is set). */
void *nfb__arena_alloc(nfb__arena *a, size_t n);

/* Forgets everything allocated; frees all blocks but the first. */
void nfb__arena_reset(nfb__arena *a);

void nfb__arena_free(nfb__arena *a);

#endif
