/* Shared by the fuzz targets and the replay main: the libFuzzer entry point
 * and small independent checks used as oracles.
 *
 * The checks here are written again on purpose rather than taken from
 * lib/src: an oracle that shares the code under test shares its bugs. */
#ifndef NFB_FUZZ_H
#define NFB_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The entry point libFuzzer calls once per input; replay_main.c calls it
 * once per file. Returns 0 (libFuzzer reserves other values). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Reports a broken invariant and aborts, so that libFuzzer (or ctest) sees
 * a crash with the reason on stderr. */
#define FUZZ_CHECK(cond)                                                       \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__,         \
                    __LINE__, #cond);                                          \
            abort();                                                           \
        }                                                                      \
    } while (0)

/* A growable memory buffer, kept NUL-terminated for the string functions
 * of the log comparisons. */
typedef struct fuzz_mem {
    char *p;
    size_t n, cap;
} fuzz_mem;

static inline void fuzz_mem_put(fuzz_mem *m, const void *data, size_t len)
{
    if (len >= m->cap - m->n) {
        size_t cap = m->cap ? m->cap : 256;
        while (cap - m->n <= len)
            cap *= 2;
        m->p = realloc(m->p, cap);
        FUZZ_CHECK(m->p != NULL);
        m->cap = cap;
    }
    if (len) memcpy(m->p + m->n, data, len);
    m->n += len;
    m->p[m->n] = 0;
}

/* True when s[0..len) is strict UTF-8 (RFC 3629): shortest forms only, no
 * surrogates, nothing above U+10FFFF. Written from the RFC's table of
 * well-formed byte sequences. */
static inline int fuzz_utf8_ok(const unsigned char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        unsigned c = s[i];
        size_t n;
        unsigned lo = 0x80, hi = 0xbf; /* range of the second byte */
        if (c < 0x80) {
            i++;
            continue;
        } else if (c >= 0xc2 && c <= 0xdf) {
            n = 2;
        } else if (c >= 0xe0 && c <= 0xef) {
            n = 3;
            if (c == 0xe0) lo = 0xa0;
            if (c == 0xed) hi = 0x9f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            n = 4;
            if (c == 0xf0) lo = 0x90;
            if (c == 0xf4) hi = 0x8f;
        } else {
            return 0;
        }
        if (len - i < n) return 0;
        if (s[i + 1] < lo || s[i + 1] > hi) return 0;
        for (size_t k = 2; k < n; k++)
            if (s[i + k] < 0x80 || s[i + k] > 0xbf) return 0;
        i += n;
    }
    return 1;
}

#endif
