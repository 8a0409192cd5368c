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
    return b;
}

/* Allocation goes on at p in block b, total bytes handed out so far: the
 * fast path's room is b's rest, or less where the limit comes first. */
static void room_from(nfb__arena *a, nfb__arena_block *b, unsigned char *p,
                      size_t total)
{
    size_t in_block = b->cap - (size_t)(p - b->data);
    size_t in_limit = a->limit - total;
    a->next = p;
    a->end = p + (in_block < in_limit ? in_block : in_limit);
}

void *nfb__arena_alloc_slow(nfb__arena *a, size_t n)
{
    /* Zero-length requests still get a distinct valid pointer. */
    n = n ? (n + ALIGN - 1) & ~(size_t)(ALIGN - 1) : ALIGN;
    size_t total = nfb__arena_total(a);
    if (n > a->limit - total) {
        a->over_limit = 1;
        return NULL;
    }
    nfb__arena_block *b = a->cur;
    unsigned char *p = a->next;
    if (!b || b->cap - (size_t)(p - b->data) < n) {
        nfb__arena_block *nb = block_new(a, n);
        if (!nb) return NULL;
        if (b)
            b->next = nb;
        else
            a->first = nb;
        a->cur = b = nb;
        a->before = total; /* the old block's rest is not handed out */
        p = b->data;
    }
    room_from(a, b, p + n, total + n);
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
    a->cur = a->first;
    a->before = 0;
    room_from(a, a->first, a->first->data, 0);
    a->over_limit = 0;
}

void nfb__arena_free(nfb__arena *a)
{
    nfb__arena_reset(a);
    nfb__free(a->alloc, a->first);
    a->first = a->cur = NULL;
    a->next = a->end = NULL;
}
