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

/* Where the next n bytes go (n at most the block's size): the end of the
 * block, handed to the write function first when they do not fit. The
 * writer writes them there and moves the end with nfb__sink_commit: one
 * bounds check for a token instead of one per piece. */
static inline unsigned char *nfb__sink_reserve(nfb__sink *s, size_t n)
{
    if (NFB_LIKELY(n <= s->cap - s->len)) return s->buf + s->len;
    /* After a failed write every byte is dropped: start the block again. */
    if (nfb__sink_flush(s) != 0) s->len = 0;
    return s->buf;
}

/* The block now ends at end, which nfb__sink_reserve gave room for. */
static inline void nfb__sink_commit(nfb__sink *s, unsigned char *end)
{
    s->len = (size_t)(end - s->buf);
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
