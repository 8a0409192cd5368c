/* UTF-8, strict as the reader takes it (Unicode table 3-7, "well-formed
 * UTF-8 byte sequences"), checked and decoded: the one place that knows
 * what a well-formed sequence is. */
#include <string.h>

#include <nfbackup/text.h>

#include "utf8.h"

/* Number of ASCII bytes at the start of s[0..n). This is the hot path of
 * the parser: eight bytes at a time while none has its top bit set, then
 * byte by byte to find the exact position. memcpy keeps the load free of
 * alignment and aliasing trouble; compilers turn it into one move. */
static size_t ascii_prefix(const char *s, size_t n)
{
    const uint64_t high_bits = UINT64_C(0x8080808080808080);
    size_t i = 0;

    while (n - i >= 8) {
        uint64_t word;
        memcpy(&word, s + i, 8);
        if (word & high_bits) break;
        i += 8;
    }
    while (i < n && (unsigned char)s[i] < 0x80)
        i++;
    return i;
}

/* Bytes F5..FF never occur in UTF-8. */
static const char *const invalid_byte_reason[0x100 - 0xf5] = {
    "invalid byte 0xf5", "invalid byte 0xf6", "invalid byte 0xf7",
    "invalid byte 0xf8", "invalid byte 0xf9", "invalid byte 0xfa",
    "invalid byte 0xfb", "invalid byte 0xfc", "invalid byte 0xfd",
    "invalid byte 0xfe", "invalid byte 0xff"};

/* What a lead byte needs after it (Unicode table 3-7, "well-formed UTF-8
 * byte sequences"): the sequence length and the range allowed for the
 * second byte, which is narrower than 80..BF after E0 (overlong), ED
 * (surrogates), F0 (overlong) and F4 (above U+10FFFF). Later bytes are
 * always 80..BF. */
typedef struct utf8_lead {
    size_t len;
    unsigned char lo, hi;
    const char *narrow_why; /* why a second byte outside lo..hi is wrong */
} utf8_lead;

/* Fills *lead for a byte >= 0x80, or returns why it cannot start one. */
static const char *classify_lead(unsigned char b, utf8_lead *lead)
{
    *lead = (utf8_lead){0, 0x80, 0xbf, NULL};
    if (b < 0xc0) return "unexpected continuation byte";
    if (b < 0xc2) /* C0 and C1 could only encode U+0000..U+007F */
        return "overlong encoding";
    if (b >= 0xf5) return invalid_byte_reason[b - 0xf5];
    lead->len = b < 0xe0 ? 2 : b < 0xf0 ? 3 : 4;
    if (b == 0xe0 || b == 0xf0) {
        lead->lo = b == 0xe0 ? 0xa0 : 0x90;
        lead->narrow_why = "overlong encoding";
    } else if (b == 0xed) {
        lead->hi = 0x9f;
        lead->narrow_why = "surrogate code point";
    } else if (b == 0xf4) {
        lead->hi = 0x8f;
        lead->narrow_why = "code point above U+10FFFF";
    }
    return NULL;
}

/* Length of the well-formed multi-byte sequence at s[0..n), whose first
 * byte is >= 0x80; 0 with *why set when it is not well formed. */
static size_t utf8_sequence(const unsigned char *s, size_t n, const char **why)
{
    utf8_lead lead;

    if ((*why = classify_lead(s[0], &lead)) != NULL) return 0;
    for (size_t k = 1; k < lead.len; k++) {
        if (k >= n) {
            *why = "truncated sequence";
            return 0;
        }
        if ((s[k] & 0xc0) != 0x80) {
            *why = "missing continuation byte";
            return 0;
        }
        if (k == 1 && (s[k] < lead.lo || s[k] > lead.hi)) {
            *why = lead.narrow_why;
            return 0;
        }
    }
    return lead.len;
}

size_t nfb__utf8_copy(char *dst, const char *src, size_t len, const char **why)
{
    const char *reason = NULL;
    size_t i = 0;

    while (i < len) {
        size_t run = ascii_prefix(src + i, len - i);
        size_t seq;

        /* ASCII is copied in one block per run, not byte by byte. */
        if (dst != NULL && run > 0) memcpy(dst + i, src + i, run);
        i += run;
        if (i == len) break;
        seq = utf8_sequence((const unsigned char *)src + i, len - i, &reason);
        if (seq == 0) {
            if (why != NULL) *why = reason;
            return i;
        }
        if (dst != NULL) memcpy(dst + i, src + i, seq);
        i += seq;
    }
    if (why != NULL) *why = NULL;
    return len;
}

size_t nfb__utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
    const char *why;
    size_t len = utf8_sequence(s, n, &why);
    if (!len) return 0;
    /* The lead byte keeps 7 - len bits of the code point. */
    uint32_t v = s[0] & (0x7fu >> len);
    for (size_t k = 1; k < len; k++)
        v = v << 6 | (s[k] & 0x3fu);
    *cp = v;
    return len;
}

size_t nfb_utf8_char(const char *s, size_t n, uint32_t *cp)
{
    const unsigned char *u = (const unsigned char *)s;
    if (!s || !n) return 0;
    if (u[0] < 0x80) {
        if (cp) *cp = u[0];
        return 1;
    }
    uint32_t c;
    size_t len = nfb__utf8_decode(u, n, &c);
    if (len && cp) *cp = c;
    return len;
}
