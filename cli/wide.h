/* 128-bit integers for nfbackup stats: the size total and durations in
 * nanoseconds, which do not fit 64 bits. A wide holds 128 bits, read as
 * unsigned or as two's complement, and only the operations stats.c uses
 * are here. Where the compiler has __int128 (gcc and clang on 64-bit
 * targets) a wide is one; elsewhere, and in the portable build
 * (NFB_PORTABLE), it is a pair of 64-bit halves and the operations are
 * written out. WIDE_NATIVE says which. */
#ifndef NFB_CLI_WIDE_H
#define NFB_CLI_WIDE_H

#include <stddef.h>
#include <stdint.h>

#if defined(__SIZEOF_INT128__) && !defined(NFB_PORTABLE)
#define WIDE_NATIVE 1
#else
#define WIDE_NATIVE 0
#endif

#if WIDE_NATIVE

__extension__ typedef unsigned __int128 wide;

static inline wide wide_u64(uint64_t v)
{
    return v;
}
static inline wide wide_i64(int64_t v)
{
    return (wide)(__extension__(__int128) v);
}
static inline uint64_t wide_low(wide a)
{
    return (uint64_t)a;
}
static inline wide wide_add(wide a, wide b)
{
    return a + b;
}
static inline wide wide_sub(wide a, wide b)
{
    return a - b;
}
/* The product modulo 2^128 (right for signed operands too). */
static inline wide wide_mul(wide a, wide b)
{
    return a * b;
}
/* Shifts by 0..127 bits; shr is logical. */
static inline wide wide_shl(wide a, int n)
{
    return a << n;
}
static inline wide wide_shr(wide a, int n)
{
    return a >> n;
}
static inline int wide_negative(wide a)
{
    return (int)(a >> 127);
}
/* Unsigned comparison: -1, 0 or 1. */
static inline int wide_cmp(wide a, wide b)
{
    return (a > b) - (a < b);
}
/* a /= d (unsigned, 0 < d < 2^32); returns the remainder. */
static inline uint64_t wide_divmod(wide *a, uint64_t d)
{
    uint64_t r = (uint64_t)(*a % d);
    *a /= d;
    return r;
}
/* The nearest double to a, unsigned. */
static inline double wide_double(wide a)
{
    return (double)a;
}

#else

typedef struct wide {
    uint64_t hi, lo;
} wide;

static inline wide wide_u64(uint64_t v)
{
    wide w = {0, v};
    return w;
}
static inline wide wide_i64(int64_t v)
{
    wide w = {v < 0 ? UINT64_MAX : 0, (uint64_t)v};
    return w;
}
static inline uint64_t wide_low(wide a)
{
    return a.lo;
}
static inline wide wide_add(wide a, wide b)
{
    wide w = {a.hi + b.hi, a.lo + b.lo};
    w.hi += w.lo < a.lo;
    return w;
}
static inline wide wide_sub(wide a, wide b)
{
    wide w = {a.hi - b.hi - (a.lo < b.lo), a.lo - b.lo};
    return w;
}
/* The full 128-bit product of two 64-bit numbers, from 32-bit halves. */
static inline wide wide_mul64(uint64_t a, uint64_t b)
{
    uint64_t a0 = a & 0xffffffffu, a1 = a >> 32;
    uint64_t b0 = b & 0xffffffffu, b1 = b >> 32;
    uint64_t p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
    uint64_t mid = (p00 >> 32) + (p01 & 0xffffffffu) + (p10 & 0xffffffffu);
    wide w = {p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32),
              (mid << 32) | (p00 & 0xffffffffu)};
    return w;
}
/* The product modulo 2^128 (right for signed operands too). */
static inline wide wide_mul(wide a, wide b)
{
    wide w = wide_mul64(a.lo, b.lo);
    w.hi += a.hi * b.lo + a.lo * b.hi;
    return w;
}
/* Shifts by 0..127 bits; shr is logical. */
static inline wide wide_shl(wide a, int n)
{
    if (n == 0) return a;
    wide w;
    if (n >= 64)
        w.hi = a.lo << (n - 64), w.lo = 0;
    else
        w.hi = a.hi << n | a.lo >> (64 - n), w.lo = a.lo << n;
    return w;
}
static inline wide wide_shr(wide a, int n)
{
    if (n == 0) return a;
    wide w;
    if (n >= 64)
        w.lo = a.hi >> (n - 64), w.hi = 0;
    else
        w.lo = a.lo >> n | a.hi << (64 - n), w.hi = a.hi >> n;
    return w;
}
static inline int wide_negative(wide a)
{
    return (int)(a.hi >> 63);
}
/* Unsigned comparison: -1, 0 or 1. */
static inline int wide_cmp(wide a, wide b)
{
    if (a.hi != b.hi) return a.hi < b.hi ? -1 : 1;
    return (a.lo > b.lo) - (a.lo < b.lo);
}
/* a /= d (unsigned, 0 < d < 2^32); returns the remainder. Long division
 * in 32-bit digits, so that each step divides a 64-bit number. */
static inline uint64_t wide_divmod(wide *a, uint64_t d)
{
    uint32_t digit[4] = {(uint32_t)(a->hi >> 32), (uint32_t)a->hi,
                         (uint32_t)(a->lo >> 32), (uint32_t)a->lo};
    uint64_t r = 0;
    for (int i = 0; i < 4; i++) {
        uint64_t cur = r << 32 | digit[i];
        digit[i] = (uint32_t)(cur / d);
        r = cur % d;
    }
    a->hi = (uint64_t)digit[0] << 32 | digit[1];
    a->lo = (uint64_t)digit[2] << 32 | digit[3];
    return r;
}
/* The nearest double to a, unsigned: the bits below the 64 kept are
 * folded into the lowest one, so that the one rounding is still right. */
static inline double wide_double(wide a)
{
    if (!a.hi) return (double)a.lo;
    int n = 0; /* the bit length of hi */
    for (uint64_t h = a.hi; h; h >>= 1)
        n++;
    uint64_t lost = n == 64 ? a.lo : a.lo & ((UINT64_C(1) << n) - 1);
    wide kept = wide_shr(a, n);
    return (double)(kept.lo | (lost != 0)) * 2.0 *
           (double)(UINT64_C(1) << (n - 1)); /* times 2^n, exactly */
}

#endif

static inline wide wide_neg(wide a)
{
    return wide_sub(wide_u64(0), a);
}
/* Signed comparison: -1, 0 or 1. */
static inline int wide_scmp(wide a, wide b)
{
    int na = wide_negative(a), nb = wide_negative(b);
    if (na != nb) return na ? -1 : 1;
    return wide_cmp(a, b);
}
/* The magnitude of a signed wide. */
static inline wide wide_abs(wide a)
{
    return wide_negative(a) ? wide_neg(a) : a;
}
/* floor(log2 a), for a > 0. */
static inline int wide_log2(wide a)
{
    int k = 0;
    for (int step = 64; step; step /= 2)
        if (wide_cmp(wide_shr(a, k + step), wide_u64(0)) != 0) k += step;
    return k;
}
/* The unsigned decimal text of a, written to the end of buf (len >= 40);
 * returns where it starts. */
static inline char *wide_text(wide a, char *buf, size_t len)
{
    char *p = buf + len;
    *--p = '\0';
    do
        *--p = (char)('0' + (int)wide_divmod(&a, 10));
    while (wide_cmp(a, wide_u64(0)) != 0);
    return p;
}

#endif
