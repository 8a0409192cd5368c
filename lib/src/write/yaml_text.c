/* Scalars as libyaml's emitter writes them (see yaml_text.h). */
#include "yaml_text.h"

#include "common/utf8.h"

/* ---- the style: yaml_emitter_analyze_scalar, in a block mapping ----
 *
 * The emitter keeps a scalar asked for plain only when its analysis allows
 * plain style in block context ("block_plain_allowed"); otherwise it takes
 * single quotes, or double quotes when the text has a character that is
 * not printable (then neither plain nor single quotes may carry it). A key
 * also needs to be a "simple key": one line, at most 128 bytes, else it is
 * written after "? ". Only printable ASCII with no line break is analysed
 * here, which covers the keys, enum names and numbers the writer asks plain
 * for; the rest goes to the emitter. */

/* Is the text, printable ASCII with no line break, barred from plain style
 * in block context by one of the emitter's "block indicators"? */
static int block_indicator(const unsigned char *s, size_t n)
{
    /* A document marker at the start, whatever follows. */
    if (n >= 3 && (s[0] == '-' || s[0] == '.') && s[1] == s[0] && s[2] == s[0])
        return 1;
    if (strchr("#,[]{}&*!|>'\"%@`", s[0])) return 1;
    /* The emitter reads the byte after the last one as its NUL terminator,
     * which counts as white space. */
    int space_after = n == 1 || s[1] == ' ';
    if ((s[0] == '?' || s[0] == ':' || s[0] == '-') && space_after) return 1;
    for (size_t i = 1; i < n; i++) {
        if (s[i] == ':' && (i + 1 == n || s[i + 1] == ' ')) return 1;
        if (s[i] == '#' && s[i - 1] == ' ') return 1;
    }
    return 0;
}

nfb__yaml_style nfb__yaml_plain_style(const unsigned char *s, size_t n, int key)
{
    /* Empty: plain in a value (nothing at all), quoted as a key; rare
     * enough to leave to the emitter. */
    if (n == 0 || (key && n > 128)) return NFB__YAML_OTHER;
    int control = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned c = s[i];
        if (c >= 0x80 || c == '\n') return NFB__YAML_OTHER;
        if (c < 0x20 || c == 0x7f) control = 1;
    }
    /* A control character is not printable: double quotes, except in a
     * key, where '\r' would also make it a multi-line "? " key. */
    if (control) return key ? NFB__YAML_OTHER : NFB__YAML_DOUBLE;
    /* Leading or trailing spaces, or an indicator: single quotes. */
    if (s[0] == ' ' || s[n - 1] == ' ' || block_indicator(s, n))
        return NFB__YAML_OTHER;
    return NFB__YAML_PLAIN;
}

/* ---- double quotes: yaml_emitter_write_double_quoted_scalar ----
 *
 * The emitter escapes every character that is not printable in its sense
 * (printable ASCII, LF, and U+00A0 to U+FFFD but for the surrogates and
 * U+FEFF: so tab, CR, DEL, the other controls, the C1 controls and every
 * character past U+FFFF are escaped), the line breaks (LF, CR, NEL,
 * U+2028, U+2029), the BOM, '"' and '\': a letter where
 * YAML has one, else \xXX, \uXXXX or \UXXXXXXXX with upper-case digits.
 * With unicode on, every other character is written as is. A space is
 * never a fold point at width -1. */

static const char hex[] = "0123456789ABCDEF";

/* The escape of code point c, its backslash first, into o; returns the end. */
static unsigned char *escape(unsigned char *o, uint32_t c)
{
    /* By code point: \0, \a \b \t \n \v \f \r, \e; '.' for none. */
    static const char letters[] = "0......abtnvfr.............e";
    _Static_assert(sizeof letters == 0x1b + 2, "letters end at ESC");
    *o++ = '\\';
    if (c < sizeof letters - 1 && letters[c] != '.') {
        *o++ = (unsigned char)letters[c];
        return o;
    }
    int digits = 8;
    switch (c) {
    case '"':
    case '\\':
        *o++ = (unsigned char)c;
        return o;
    case 0x85:
        *o++ = 'N';
        return o;
    case 0xa0: /* printable, so never escaped; listed as emitter.c does */
        *o++ = '_';
        return o;
    case 0x2028:
        *o++ = 'L';
        return o;
    case 0x2029:
        *o++ = 'P';
        return o;
    default:
        break;
    }
    if (c <= 0xff)
        *o++ = 'x', digits = 2;
    else if (c <= 0xffff)
        *o++ = 'u', digits = 4;
    else
        *o++ = 'U';
    for (int k = (digits - 1) * 4; k >= 0; k -= 4)
        *o++ = (unsigned char)hex[(c >> k) & 0xf];
    return o;
}

/* Is c, a code point of 2 to 4 bytes, written as is? */
static int as_is(uint32_t c)
{
    return (c >= 0xa0 && c <= 0xd7ff && c != 0x2028 && c != 0x2029) ||
           (c >= 0xe000 && c <= 0xfffd && c != 0xfeff);
}

/* Has x a byte that is not copied as is: a control, '"', '\\', DEL or a
 * byte of a multi-byte character? */
static int not_as_is8(uint64_t x)
{
    return (nfb__bytes_lt_or_high(x, 0x20) | nfb__bytes_eq(x, '"') |
            nfb__bytes_eq(x, '\\') | nfb__bytes_eq(x, 0x7f)) != 0;
}

size_t nfb__yaml_quote(unsigned char *out, const unsigned char *s, size_t n)
{
    unsigned char *o = out;
    *o++ = '"';
    for (size_t i = 0, stop = 0; i < n;) {
        /* Eight bytes copied at once, or looked at one by one. */
        if (i >= stop) {
            if (n - i >= 8 && !not_as_is8(nfb__load8(s + i))) {
                memcpy(o, s + i, 8);
                o += 8, i += 8;
                continue;
            }
            stop = i + 8;
        }
        unsigned c = s[i];
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
            *o++ = (unsigned char)c, i++;
            continue;
        }
        if (c < 0x80) {
            o = escape(o, c), i++;
            continue;
        }
        uint32_t cp;
        /* Strict UTF-8, as the record check takes it (libyaml takes
         * surrogates too: they never reach here). */
        size_t len = nfb__utf8_decode(s + i, n - i, &cp);
        if (!len) return 0;
        if (as_is(cp)) {
            memcpy(o, s + i, len);
            o += len;
        } else {
            o = escape(o, cp);
        }
        i += len;
    }
    *o++ = '"';
    return (size_t)(o - out);
}
