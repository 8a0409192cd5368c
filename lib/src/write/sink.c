#include "sink.h"

int nfb__sink_init(nfb__sink *s, const nfb_allocator *a, nfb_write_fn write,
                   void *ctx, size_t cap)
{
    memset(s, 0, sizeof *s);
    s->write = write;
    s->ctx = ctx;
    s->cap = cap;
    s->buf = nfb__malloc(a, cap);
    return s->buf ? 0 : -1;
}

void nfb__sink_free(nfb__sink *s, const nfb_allocator *a)
{
    nfb__free(a, s->buf);
    s->buf = NULL;
}

int nfb__sink_flush(nfb__sink *s)
{
    if (s->failed) return -1;
    if (s->len && s->write(s->ctx, s->buf, s->len) != 0) s->failed = 1;
    s->len = 0;
    return s->failed ? -1 : 0;
}

int nfb__sink_put_slow(nfb__sink *s, const void *p, size_t n)
{
    if (nfb__sink_flush(s) != 0) return -1;
    if (n >= s->cap) { /* too large to buffer: pass it through */
        if (s->write(s->ctx, p, n) != 0) s->failed = 1;
        return s->failed ? -1 : 0;
    }
    memcpy(s->buf, p, n);
    s->len = n;
    return 0;
}

int nfb__buf_reserve(nfb__buf *b, const nfb_allocator *a, size_t need)
{
    if (need <= b->cap) return NFB_OK;
    size_t n = b->cap ? b->cap : 256;
    while (n < need)
        n = n > SIZE_MAX / 2 ? need : n * 2;
    unsigned char *p = nfb__realloc(a, b->ptr, n);
    if (!p) return NFB_ENOMEM;
    b->ptr = p;
    b->cap = n;
    return NFB_OK;
}

void nfb__buf_free(nfb__buf *b, const nfb_allocator *a)
{
    nfb__free(a, b->ptr);
    b->ptr = NULL;
    b->len = b->cap = 0;
}
