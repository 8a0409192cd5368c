/* Many bytes tested at once: the writers' scans of record strings
 * (json_text.h, yaml_text.c, write_yaml.c, write_csv.c). Record strings
 * are mostly printable ASCII written as is, so a scan asks of 8 or 16
 * bytes at a time whether any needs a closer look, and looks byte by byte
 * only where one does. */
#ifndef NFB_WRITE_SCAN_H
#define NFB_WRITE_SCAN_H

#include "common/internal.h"

/* ---- eight bytes in a word (every build) ----
 *
 * Each function gives the high bit of the bytes of x it finds. A byte
 * found may be a false one when a byte before it (in memory order) is a
 * true one, so "none" and "the first" are exact, which is all the scans
 * ask. */

#define NFB__ONES UINT64_C(0x0101010101010101)
#define NFB__HIGH UINT64_C(0x8080808080808080)

static inline uint64_t nfb__load8(const unsigned char *p)
{
    uint64_t x;
    memcpy(&x, p, sizeof x);
    return x;
}

/* Bytes of x equal to the byte that fills every byte of rep. */
static inline uint64_t nfb__bytes_match(uint64_t x, uint64_t rep)
{
    uint64_t y = x ^ rep;
    return (y - NFB__ONES) & ~y & NFB__HIGH;
}

/* Bytes of x equal to c. */
static inline uint64_t nfb__bytes_eq(uint64_t x, unsigned char c)
{
    return nfb__bytes_match(x, NFB__ONES * c);
}

/* Bytes of x below c (at most 0x80). */
static inline uint64_t nfb__bytes_lt(uint64_t x, unsigned char c)
{
    return (x - NFB__ONES * c) & ~x & NFB__HIGH;
}

/* Bytes of x below c (at most 0x80), or from 0x80 up. */
static inline uint64_t nfb__bytes_lt_or_high(uint64_t x, unsigned char c)
{
    return nfb__bytes_lt(x, c) | (x & NFB__HIGH);
}

/* ---- sixteen bytes in a vector (GNU C) ----
 *
 * A comparison of an nfb__bytes16 gives 0xff in each byte where it holds;
 * nfb__any16 asks whether any byte of such a mask is set. The bytes are
 * signed, so a byte from 0x80 up is below 0x20 too: one comparison finds
 * the control characters and the bytes of multi-byte characters. */
#if defined(NFB_HAVE_VECTORS)
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

typedef signed char nfb__bytes16 __attribute__((vector_size(16)));

/* Is any byte of mask t set? With SSE2 one instruction gathers the top
 * bits; elsewhere the two halves are OR-ed. */
static inline int nfb__any16(nfb__bytes16 t)
{
#if defined(__SSE2__)
    return _mm_movemask_epi8((__m128i)t) != 0;
#else
    uint64_t half[2];
    memcpy(half, &t, sizeof half);
    return (half[0] | half[1]) != 0;
#endif
}

/* The 16 bytes at p. */
static inline nfb__bytes16 nfb__load16(const unsigned char *p)
{
    nfb__bytes16 v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* The words a and b (as loaded by nfb__load8) as one vector, a first. */
static inline nfb__bytes16 nfb__join16(uint64_t a, uint64_t b)
{
    uint64_t w[2] = {a, b};
    nfb__bytes16 v;
    memcpy(&v, w, sizeof v);
    return v;
}

/* Every byte c. */
static inline nfb__bytes16 nfb__fill16(unsigned char c)
{
    return (nfb__bytes16){0} + (signed char)c;
}
#endif

#endif
