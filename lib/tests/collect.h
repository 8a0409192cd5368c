/* What a writer hands its write function, collected in memory: the write
 * function of the writer tests. */
#ifndef NFB_TESTS_COLLECT_H
#define NFB_TESTS_COLLECT_H

#include <stdlib.h>
#include <string.h>

typedef struct out {
    unsigned char *p;
    size_t n, cap;
    size_t calls; /* of collect */
} out;

/* The write function: appends data to the out at ctx. */
static inline int collect(void *ctx, const void *data, size_t len)
{
    out *o = ctx;
    o->calls++;
    if (len > o->cap - o->n) {
        size_t cap = o->cap ? o->cap : 4096;
        while (cap - o->n < len)
            cap *= 2;
        unsigned char *p = realloc(o->p, cap);
        assert_non_null(p);
        o->p = p;
        o->cap = cap;
    }
    if (len) memcpy(o->p + o->n, data, len);
    o->n += len;
    return 0;
}

#endif
