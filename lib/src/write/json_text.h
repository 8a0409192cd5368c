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

#if defined(NFB_HAVE_VECTORS)
/* 16 bytes as one vector of signed bytes (GNU C): a comparison tests
 * them all at once. */
typedef signed char nfb__bytes_16 __attribute__((vector_size(16)));

/* Has any of the 16 bytes at s to be looked at: a control character,
 * '"', '\\', or a byte of 0x80 or more (a line end is made of those)?
 * Signed, a byte of 0x80 or more is below 0x20 too. */
static inline int nfb__json_look_16(const unsigned char *s)
{
    nfb__bytes_16 v, t;
    uint64_t half[2];
    memcpy(&v, s, sizeof v);
    t = (v < 0x20) | (v == '"') | (v == '\\');
    memcpy(half, &t, sizeof half);
    return (half[0] | half[1]) != 0;
}
#else
/* Has any of the 16 bytes at s to be looked at (as above), one at a time
 * (without GNU vectors). */
static inline int nfb__json_look_16(const unsigned char *s)
{
    for (int i = 0; i < 16; i++)
        if (s[i] < 0x20 || s[i] >= 0x80 || s[i] == '"' || s[i] == '\\')
            return 1;
    return 0;
}
#endif

/* Writes s[from..len) escaped at out, s[0..from) having been copied as it
 * is just before out (nfb__json_escape's slow part); returns the end. */
unsigned char *nfb__json_escape_from(unsigned char *out, const unsigned char *s,
                                     size_t from, size_t len);

/* Writes the body of string s[0..len) (no quotes) at out as
 * NFB_JSON_RECORD escapes it; out has room for 6 bytes per byte of s.
 * Returns the end. Inline: it runs for every string the json writer
 * writes. Most strings have nothing to
 * escape: 16 bytes are tested (nfb__json_look_16) and copied at once, and the
 * end of the string is its last 16 bytes copied again over what is already out.
 * Shorter strings and the rest of one that has something to look at go 8
 * bytes at a time, and a word that has a byte to escape or a line end byte
 * by byte. */
static inline unsigned char *
nfb__json_escape(unsigned char *out, const unsigned char *s, size_t len)
{
    size_t i = 0;
    while (len - i >= 16) {
        if (nfb__json_look_16(s + i))
            return nfb__json_escape_from(out, s, i, len);
        memcpy(out, s + i, 16);
        out += 16, i += 16;
    }
    if (i == len) return out;
    if (len >= 16 && !nfb__json_look_16(s + len - 16)) {
        /* As for the last 8 bytes in escape_from. */
        memcpy(out - (16 - (len - i)), s + len - 16, 16);
        return out + (len - i);
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
