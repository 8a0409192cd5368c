/* Byte sizes. Strict UTF-8 lives in utf8.c, date-times in datetime.c. */
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
    /* Every byte is looked at before the value is judged, so that
     * "99...9kB" is reported for its 'k' rather than for its size; the
     * value of up to 19 digits, which cannot overflow, is summed on the
     * way (the common case: one pass). */
    for (size_t i = 0; i < len; i++) {
        uint64_t d = (uint64_t)(unsigned char)s[i] - '0'; /* no sign */
        if (d > 9) return not_digit((unsigned char)s[i]);
        v = v * 10 + d;
    }
    if (s[0] == '0' && len > 1) return "leading zero";
    if (len > 19) {
        v = 0;
        for (size_t i = 0; i < len; i++) {
            unsigned d = (unsigned)(s[i] - '0');
            if (v > (UINT64_MAX - d) / 10)
                return "more than 18446744073709551615";
            v = v * 10 + d;
        }
    }
    *out = v;
    return NULL;
}
