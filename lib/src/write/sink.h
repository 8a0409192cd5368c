/* A buffered output: writers append small pieces, the user's write
 * function receives large blocks. */
#ifndef NFB_SINK_H
#define NFB_SINK_H

#include "common/internal.h"

typedef struct nfb__sink {
    nfb_write_fn write;
    void *ctx;
    unsigned char *buf;
    size_t len, cap;
    int failed; /* a write failed: everything after is dropped */
} nfb__sink;

/* 0 on success, -1 when out of memory. */
int nfb__sink_init(nfb__sink *s, const nfb_allocator *a, nfb_write_fn write,
                   void *ctx, size_t cap);
void nfb__sink_free(nfb__sink *s, const nfb_allocator *a);

/* Hands the buffered bytes to the write function. 0 on success. */
int nfb__sink_flush(nfb__sink *s);

int nfb__sink_put_slow(nfb__sink *s, const void *p, size_t n);

/* Appends n bytes. 0 on success, -1 once a write has failed. */
static inline int nfb__sink_put(nfb__sink *s, const void *p, size_t n)
{
    if (NFB_LIKELY(n <= s->cap - s->len)) {
        /* yajl's generator prints a token in pieces of a few bytes, where
         * a call to memcpy costs more than the copy. */
        if (n <= 16) {
            const unsigned char *q = p;
            unsigned char *d = s->buf + s->len;
            for (size_t i = 0; i < n; i++)
                d[i] = q[i];
        } else {
            memcpy(s->buf + s->len, p, n);
        }
        s->len += n;
        return 0;
    }
    return nfb__sink_put_slow(s, p, n);
}

/* A growable byte buffer: a writer keeps one per use and reuses it for
 * each value. */
typedef struct nfb__buf {
    unsigned char *ptr;
    size_t len, cap;
} nfb__buf;

/* Makes b hold at least need bytes, doubling from 256. NFB_OK or
 * NFB_ENOMEM (b unchanged). */
int nfb__buf_reserve(nfb__buf *b, const nfb_allocator *a, size_t need);
void nfb__buf_free(nfb__buf *b, const nfb_allocator *a);

#endif
