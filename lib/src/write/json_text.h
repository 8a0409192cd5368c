/* JSON text, the one place that writes it: a string's escapes in the two
 * modes of nfb_json_escape (nfbackup/text.h), the line ends JSON allows raw
 * but line readers split at, and a value's compact JSON (a csv or xlsx
 * cell's array). The json writer's fast path writes its strings with
 * nfb__json_escape, byte for byte what yajl's generator writes (with the
 * line ends escaped); the CLI's JSON diagnostics go through
 * nfb_json_write_string. */
#ifndef NFB_JSON_TEXT_H
#define NFB_JSON_TEXT_H

#include "common/internal.h"
#include "common/schema.h"
#include "scan.h"
#include "sink.h"

/* JSON text from record strings escapes the line ends that JSON allows
 * raw: U+0085 (C2 85), U+2028 (E2 80 A8) and U+2029 (E2 80 A9). JavaScript
 * ends a line at the last two and Python's str.splitlines at all three,
 * which would cut an NDJSON record or a CSV cell's JSON in two.
 *
 * The length of such a character at s[i..n), or 0. */
static inline size_t nfb__json_line_end_at(const unsigned char *s, size_t i,
                                           size_t n)
{
    if (n - i >= 2 && s[i] == 0xc2 && s[i + 1] == 0x85) return 2;
    if (n - i >= 3 && s[i] == 0xe2 && s[i + 1] == 0x80 &&
        (s[i + 2] == 0xa8 || s[i + 2] == 0xa9))
        return 3;
    return 0;
}

/* The escape of the character nfb__json_line_end_at found at s: six
 * bytes, "\u0085", "\u2028" or "\u2029". */
static inline const char *nfb__json_line_end_escape(const unsigned char *s)
{
    return s[0] == 0xc2 ? "\\u0085" : s[2] == 0xa8 ? "\\u2028" : "\\u2029";
}

/* Has any byte of the word w to be looked at: a control character, '"',
 * '\\', or a byte of 0x80 or more (a line end is made of those)? Such a
 * byte sets its high bit in one of the terms: below 0x20 it borrows in
 * the first subtraction, '"' and '\\' are 0 after their xor and borrow in
 * theirs. A byte that needs no look borrows in none of them, so the bytes
 * above the first that needs a look, which may borrow, do not change the
 * answer: it is exact, with no test per byte. */
static inline int nfb__json_look_8(uint64_t w)
{
    uint64_t q = w ^ (NFB__ONES * '"'), b = w ^ (NFB__ONES * '\\');
    return (((w - NFB__ONES * 0x20) | (q - NFB__ONES) | (b - NFB__ONES) | w) &
            NFB__HIGH) != 0;
}

#if defined(NFB_HAVE_VECTORS)
/* The bytes of v to be looked at (as nfb__json_look_8), as 0xff each.
 * Signed, a byte of 0x80 or more is below 0x20 too. */
static inline nfb__bytes16 nfb__json_look_mask(nfb__bytes16 v)
{
    return (v < 0x20) | (v == '"') | (v == '\\');
}

/* Has any of the 16 bytes at s to be looked at? */
static inline int nfb__json_look_16(const unsigned char *s)
{
    return nfb__any16(nfb__json_look_mask(nfb__load16(s)));
}

/* The same for the 16 bytes at a and the 16 at b: one test of both. */
static inline int nfb__json_look_2x16(const unsigned char *a,
                                      const unsigned char *b)
{
    return nfb__any16(nfb__json_look_mask(nfb__load16(a)) |
                      nfb__json_look_mask(nfb__load16(b)));
}

/* The same for the two words a and b. */
static inline int nfb__json_look_2x8(uint64_t a, uint64_t b)
{
    return nfb__any16(nfb__json_look_mask(nfb__join16(a, b)));
}
#else
/* Has any of the 16 bytes at s to be looked at (as above), in two words
 * (without GNU vectors). */
static inline int nfb__json_look_16(const unsigned char *s)
{
    return nfb__json_look_8(nfb__load8(s)) ||
           nfb__json_look_8(nfb__load8(s + 8));
}

static inline int nfb__json_look_2x16(const unsigned char *a,
                                      const unsigned char *b)
{
    return nfb__json_look_16(a) || nfb__json_look_16(b);
}

static inline int nfb__json_look_2x8(uint64_t a, uint64_t b)
{
    return nfb__json_look_8(a) || nfb__json_look_8(b);
}
#endif

/* Writes s[from..len) escaped at out, s[0..from) having been copied as it
 * is just before out (nfb__json_escape's slow part); returns the end. */
unsigned char *nfb__json_escape_from(unsigned char *out, const unsigned char *s,
                                     size_t from, size_t len);

/* Writes the body of string s[0..len) (no quotes) at out as
 * NFB_JSON_RECORD escapes it; out has room for 6 bytes per byte of s.
 * Returns the end. Inline: it runs for every string the json writer
 * writes. Most strings have nothing to escape, and are tested and copied
 * in a few wide moves: from 4 to 32 bytes as two pieces that overlap (the
 * first and the last 16, 8 or 4 bytes), the last copied again over what
 * the first wrote; past 32, 16 bytes at a time and the end of the string
 * as its last 16. A string with something to look at goes on in
 * nfb__json_escape_from (8 bytes at a time, and a word that has a byte to
 * escape or a line end byte by byte); one of fewer than 4 bytes is
 * tested as its first, middle and last byte. */
static inline unsigned char *
nfb__json_escape(unsigned char *out, const unsigned char *s, size_t len)
{
    size_t i = 0;
    if (len > 32) {
        do {
            if (nfb__json_look_16(s + i))
                return nfb__json_escape_from(out, s, i, len);
            memcpy(out, s + i, 16);
            out += 16, i += 16;
        } while (len - i >= 16);
        if (i == len) return out;
        if (!nfb__json_look_16(s + len - 16)) {
            /* As for the last 8 bytes in escape_from. */
            memcpy(out - (16 - (len - i)), s + len - 16, 16);
            return out + (len - i);
        }
    } else if (len >= 16) {
        if (!nfb__json_look_2x16(s, s + len - 16)) {
            memcpy(out, s, 16);
            memcpy(out + len - 16, s + len - 16, 16);
            return out + len;
        }
    } else if (len >= 8) {
        uint64_t a, b;
        memcpy(&a, s, 8);
        memcpy(&b, s + len - 8, 8);
        if (!nfb__json_look_2x8(a, b)) {
            memcpy(out, &a, 8);
            memcpy(out + len - 8, &b, 8);
            return out + len;
        }
    } else if (len >= 4) {
        uint32_t a, b;
        memcpy(&a, s, 4);
        memcpy(&b, s + len - 4, 4);
        if (!nfb__json_look_8(a | (uint64_t)b << 32)) {
            memcpy(out, &a, 4);
            memcpy(out + len - 4, &b, 4);
            return out + len;
        }
    } else if (len) {
        /* 1 to 3 bytes: s[0], s[len / 2] and s[len - 1] are all of them,
         * tested as one word ('a' above them needs no look). */
        unsigned char x = s[0], y = s[len / 2], z = s[len - 1];
        if (!nfb__json_look_8(x | (uint64_t)y << 8 | (uint64_t)z << 16 |
                              UINT64_C(0x6161616161) << 24)) {
            out[0] = x, out[len / 2] = y, out[len - 1] = z;
            return out + len;
        }
    } else {
        return out;
    }
    return nfb__json_escape_from(out, s, i, len);
}

/* The same as NFB_JSON_LINES escapes it. */
unsigned char *nfb__json_escape_lines(unsigned char *out,
                                      const unsigned char *s, size_t len);

/* Where to cut s, which goes on past s[n], at n or at most 3 bytes before
 * so that no UTF-8 character (a line end among them) is split between
 * two pieces escaped one after the other. n > 3. */
size_t nfb__json_cut(const unsigned char *s, size_t n);

/* The value of field f of the struct at base as compact JSON (the json
 * writer's bytes) into b, from b->ptr[0], its length in b->len. */
int nfb__json_text(nfb__buf *b, const nfb_allocator *a, const nfb__field *f,
                   const void *base);

#endif
