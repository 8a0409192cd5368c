#include "arena.h"

#include <stdalign.h>

enum { BLOCK_MIN = 16 * 1024, ALIGN = alignof(max_align_t) };

void nfb__arena_init(nfb__arena *a, const nfb_allocator *alloc, size_t limit)
{
    memset(a, 0, sizeof *a);
    a->alloc = alloc;
    a->limit = limit;
}

static nfb__arena_block *block_new(nfb__arena *a, size_t n)
{
    size_t cap = n > BLOCK_MIN ? n : BLOCK_MIN;
    nfb__arena_block *b = nfb__malloc(a->alloc, sizeof *b + cap);
    if (!b) return NULL;
    b->next = NULL;
    b->cap = cap;
    b->used = 0;
    return b;
}

void *nfb__arena_alloc_slow(nfb__arena *a, size_t n)
{
    /* Zero-length requests still get a distinct valid pointer. */
    n = n ? (n + ALIGN - 1) & ~(size_t)(ALIGN - 1) : ALIGN;
    if (n > a->limit - a->total) {
        a->over_limit = 1;
        return NULL;
    }
    nfb__arena_block *b = a->cur;
    if (!b || b->cap - b->used < n) {
        nfb__arena_block *nb = block_new(a, n);
        if (!nb) return NULL;
        if (b)
            b->next = nb;
        else
            a->first = nb;
        a->cur = b = nb;
    }
    void *p = b->data + b->used;
    b->used += n;
    a->total += n;
    return p;
}

void nfb__arena_reset(nfb__arena *a)
{
    if (!a->first) return;
    nfb__arena_block *b = a->first->next;
    while (b) {
        nfb__arena_block *next = b->next;
        nfb__free(a->alloc, b);
        b = next;
    }
    a->first->next = NULL;
    a->first->used = 0;
    a->cur = a->first;
    a->total = 0;
    a->over_limit = 0;
}

void nfb__arena_free(nfb__arena *a)
{
    nfb__arena_reset(a);
    nfb__free(a->alloc, a->first);
    a->first = a->cur = NULL;
}
