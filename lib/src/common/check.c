/* Byte sizes and strict UTF-8. The date-time checker lives in datetime.c. */
#include <string.h>

#include "check.h"

/* The reasons are returned without a caller buffer, so a reason that names
 * the offending byte must be a string of its own: one per printable ASCII
 * character, indexed from ' ' (the digits are never used). */
#define ND(c) "not a decimal digit '" c "'"
static const char *const not_digit_reason[0x7f - 0x20] = {
    ND(" "), ND("!"), ND("\""), ND("#"), ND("$"),  ND("%"), ND("&"), ND("'"),
    ND("("), ND(")"), ND("*"),  ND("+"), ND(","),  ND("-"), ND("."), ND("/"),
    ND("0"), ND("1"), ND("2"),  ND("3"), ND("4"),  ND("5"), ND("6"), ND("7"),
    ND("8"), ND("9"), ND(":"),  ND(";"), ND("<"),  ND("="), ND(">"), ND("?"),
    ND("@"), ND("A"), ND("B"),  ND("C"), ND("D"),  ND("E"), ND("F"), ND("G"),
    ND("H"), ND("I"), ND("J"),  ND("K"), ND("L"),  ND("M"), ND("N"), ND("O"),
    ND("P"), ND("Q"), ND("R"),  ND("S"), ND("T"),  ND("U"), ND("V"), ND("W"),
    ND("X"), ND("Y"), ND("Z"),  ND("["), ND("\\"), ND("]"), ND("^"), ND("_"),
    ND("`"), ND("a"), ND("b"),  ND("c"), ND("d"),  ND("e"), ND("f"), ND("g"),
    ND("h"), ND("i"), ND("j"),  ND("k"), ND("l"),  ND("m"), ND("n"), ND("o"),
    ND("p"), ND("q"), ND("r"),  ND("s"), ND("t"),  ND("u"), ND("v"), ND("w"),
    ND("x"), ND("y"), ND("z"),  ND("{"), ND("|"),  ND("}"), ND("~")};
#undef ND

static const char *not_digit(unsigned char c)
{
    if (c >= 0x20 && c < 0x7f) return not_digit_reason[c - 0x20];
    return "not a decimal digit";
}

const char *nfb__parse_size(const char *s, size_t len, uint64_t *out)
{
    uint64_t v = 0;

    if (len == 0) return "empty";
    if (s[0] == '+' || s[0] == '-') return "sign not allowed";
    /* Every byte is looked at before the value, so that "99...9kB" is
     * reported for its 'k' rather than for its size. */
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') return not_digit((unsigned char)s[i]);
    }
    if (s[0] == '0' && len > 1) return "leading zero";
    for (size_t i = 0; i < len; i++) {
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10) return "more than 18446744073709551615";
        v = v * 10 + d;
    }
    *out = v;
    return NULL;
}

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
