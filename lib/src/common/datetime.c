/* RFC 3339 date-times (section 5.6, "date-time"):
 *
 *   YYYY-MM-DD ("T" | "t") hh:mm:ss ["." 1*DIGIT] ("Z" | "z" | ("+"|"-") hh:mm)
 *
 * checked against the real calendar. The input is a (pointer, length) view
 * that is not NUL-terminated, so every read is bounded by the length. */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <nfbackup/text.h>

#include "check.h"
#include "internal.h"

/* Where the parse stands, and where reasons that need numbers are written. */
typedef struct dt_parser {
    const char *s;
    size_t len;
    size_t pos;
    char *buf;
    size_t buflen;
} dt_parser;

/* The fields as written; offset_minutes is signed (west of UTC < 0). */
typedef struct dt_fields {
    int year, month, day;
    int hour, minute, second;
    uint32_t nanoseconds;
    int offset_minutes;
} dt_fields;

static const char *const month_names[12] = {
    "January", "February", "March",     "April",   "May",      "June",
    "July",    "August",   "September", "October", "November", "December"};

/* Formats a reason into the caller's buffer. Without a buffer, or with
 * one too small for the whole reason, the caller still deserves a reason,
 * so the fixed generic one is returned instead of a cut one. */
NFB_PRINTF(3, 4)
static const char *fail(const dt_parser *p, const char *generic,
                        const char *fmt, ...)
{
    va_list ap;
    int n;

    if (p->buf == NULL || p->buflen == 0) return generic;
    va_start(ap, fmt);
    n = vsnprintf(p->buf, p->buflen, fmt, ap);
    va_end(ap);
    return n >= 0 && (size_t)n < p->buflen ? p->buf : generic;
}

/* "expected X, found Y", where Y describes the byte at the current position
 * in a way that stays readable for control and non-ASCII bytes. */
static const char *unexpected(const dt_parser *p, const char *expected)
{
    char found[16];

    if (p->pos >= p->len) {
        snprintf(found, sizeof found, "end of text");
    } else {
        unsigned char c = (unsigned char)p->s[p->pos];
        if (c >= 0x20 && c < 0x7f)
            snprintf(found, sizeof found, "'%c'", c);
        else
            snprintf(found, sizeof found, "byte 0x%02x", c);
    }
    return fail(p, expected, "%s, found %s", expected, found);
}

static bool at_digit(const dt_parser *p)
{
    return p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9';
}

/* Reads exactly n digits (every field of RFC 3339 has a fixed width). */
static const char *read_digits(dt_parser *p, int n, const char *expected,
                               int *value)
{
    int v = 0;

    for (int i = 0; i < n; i++) {
        if (!at_digit(p)) return unexpected(p, expected);
        v = v * 10 + (p->s[p->pos++] - '0');
    }
    *value = v;
    return NULL;
}

/* Consumes one separator byte, either of two spellings ('T' or 't'). */
static const char *expect_char(dt_parser *p, char a, char b,
                               const char *expected)
{
    if (p->pos < p->len && (p->s[p->pos] == a || p->s[p->pos] == b)) {
        p->pos++;
        return NULL;
    }
    return unexpected(p, expected);
}

static bool is_leap_year(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30,
                                 31, 31, 30, 31, 30, 31};

    return m == 2 && is_leap_year(y) ? 29 : days[m - 1];
}

static const char *parse_date(dt_parser *p, dt_fields *f)
{
    const char *why;

    if ((why = read_digits(p, 4, "expected a 4-digit year", &f->year)) ||
        (why = expect_char(p, '-', '-', "expected '-' after the year")) ||
        (why = read_digits(p, 2, "expected a 2-digit month", &f->month)))
        return why;
    if (f->month < 1 || f->month > 12)
        return fail(p, "month is out of range", "month %02d is out of range",
                    f->month);
    if ((why = expect_char(p, '-', '-', "expected '-' after the month")) ||
        (why = read_digits(p, 2, "expected a 2-digit day", &f->day)))
        return why;
    if (f->day < 1)
        return fail(p, "day is out of range", "day %02d is out of range",
                    f->day);
    if (f->day > days_in_month(f->year, f->month))
        return fail(p, "day does not exist in that month",
                    "day %02d does not exist in %s %04d", f->day,
                    month_names[f->month - 1], f->year);
    return NULL;
}

/* The fraction may be longer than 9 digits: the rest is truncated. */
static void parse_fraction(dt_parser *p, dt_fields *f)
{
    uint32_t ns = 0;
    int digits = 0;

    for (; at_digit(p); p->pos++) {
        if (digits < 9) {
            ns = ns * 10 + (uint32_t)(p->s[p->pos] - '0');
            digits++;
        }
    }
    for (; digits < 9; digits++)
        ns *= 10;
    f->nanoseconds = ns;
}

static const char *parse_time(dt_parser *p, dt_fields *f)
{
    const char *why;

    if ((why =
             expect_char(p, 'T', 't', "expected 'T' between date and time")) ||
        (why = read_digits(p, 2, "expected a 2-digit hour", &f->hour)))
        return why;
    if (f->hour > 23)
        return fail(p, "hour is out of range", "hour %02d is out of range",
                    f->hour);
    if ((why = expect_char(p, ':', ':', "expected ':' after the hour")) ||
        (why = read_digits(p, 2, "expected a 2-digit minute", &f->minute)))
        return why;
    if (f->minute > 59)
        return fail(p, "minute is out of range", "minute %02d is out of range",
                    f->minute);
    if ((why = expect_char(p, ':', ':', "expected ':' after the minute")) ||
        (why = read_digits(p, 2, "expected a 2-digit second", &f->second)))
        return why;
    /* 60 is a leap second; whether it falls at 23:59 UTC is checked once
     * the offset is known. */
    if (f->second > 60)
        return fail(p, "second is out of range", "second %02d is out of range",
                    f->second);
    f->nanoseconds = 0;
    if (p->pos < p->len && p->s[p->pos] == '.') {
        p->pos++;
        if (!at_digit(p)) return unexpected(p, "expected a digit after '.'");
        parse_fraction(p, f);
    }
    return NULL;
}

static const char *parse_offset(dt_parser *p, dt_fields *f)
{
    const char *why;
    int hours = 0, minutes = 0;
    char sign;

    if (p->pos >= p->len) return "missing time zone offset";
    sign = p->s[p->pos];
    if (sign == 'Z' || sign == 'z') {
        p->pos++;
        f->offset_minutes = 0;
        return NULL;
    }
    if (sign != '+' && sign != '-')
        return unexpected(p, "expected 'Z' or a +hh:mm/-hh:mm offset");
    p->pos++;
    if ((why = read_digits(p, 2, "expected a 2-digit offset hour", &hours)))
        return why;
    if (hours > 23)
        return fail(p, "offset hour is out of range",
                    "offset hour %02d is out of range", hours);
    if ((why = expect_char(p, ':', ':', "expected ':' in the offset")) ||
        (why = read_digits(p, 2, "expected a 2-digit offset minute", &minutes)))
        return why;
    if (minutes > 59)
        return fail(p, "offset minute is out of range",
                    "offset minute %02d is out of range", minutes);
    f->offset_minutes = (sign == '-' ? -1 : 1) * (hours * 60 + minutes);
    return NULL;
}

/* A leap second is inserted at the end of a UTC day, so second 60 is only
 * possible when the local time, taken back to UTC, reads 23:59. */
static bool leap_second_allowed(const dt_fields *f)
{
    int utc = f->hour * 60 + f->minute - f->offset_minutes;

    return (utc % 1440 + 1440) % 1440 == 23 * 60 + 59;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
 * days_from_civil): eras of 400 years, with years starting in March so
 * that the leap day is the last day of a year. */
static NFB_ALWAYS_INLINE int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

    return era * 146097 + doe - 719468;
}

/* Eight bytes at s as a word whose low byte is s[0], whatever the
 * machine's byte order. */
static NFB_ALWAYS_INLINE uint64_t load8(const char *s)
{
    uint64_t w;
    memcpy(&w, s, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    w = __builtin_bswap64(w);
#endif
    return w;
}

#define ONES UINT64_C(0x0101010101010101)

/* Bytes i of the words below: a mask of 0xff (or v) at the given bytes. */
#define B(i, v) ((uint64_t)(v) << (8 * (i)))

/* A word of the text checked against its pattern: "x" below is the word
 * XOR the pattern, which has '0' where a digit belongs and the very byte
 * elsewhere, so that a valid word becomes its digits' values (0 to 9) with
 * 0 in the other bytes. The mask "digits" has 0xff at the digits, "sel"
 * at every byte that is checked.
 *
 * Nonzero when a checked byte of x is out of bounds: a digit's above 9, or
 * another's not 0. Adding 0x76 (0x7f) to a byte sets its high bit exactly
 * when it is above 9 (0); a byte whose high bit is already set is caught
 * as it is, and only such a byte can carry into the next. Unchecked bytes
 * get nothing added, so carry nothing. */
static NFB_ALWAYS_INLINE uint64_t out_of_bounds(uint64_t x, uint64_t digits,
                                                uint64_t sel)
{
    uint64_t add = (0x76 * ONES & digits) | (0x7f * ONES & sel & ~digits);
    return ((x + add) | x) & (0x80 * ONES & sel);
}

/* The two-digit numbers of a checked x (above): byte i of the result is
 * 10 * digit i + digit i + 1 (at most 99, so no byte carries); the bytes
 * that begin a field are the ones read. */
static NFB_ALWAYS_INLINE uint64_t pairs(uint64_t x)
{
    return x * 10 + (x >> 8);
}

/* The value of eight digits, the first in x's low byte, each as its value
 * (0 to 9, as out_of_bounds leaves them). */
static NFB_ALWAYS_INLINE uint32_t value8(uint64_t x)
{
    uint64_t w = (x * 2561) >> 8;
    w = ((w & UINT64_C(0x00ff00ff00ff00ff)) * 6553601) >> 16;
    return (uint32_t)(((w & UINT64_C(0x0000ffff0000ffff)) * 42949672960001) >>
                      32);
}

/* The fraction's n digits at s (n >= 1, as nanoseconds: digits after the
 * ninth are checked and dropped), read eight at a time. s[n - 8 .. n)
 * must be readable. False when one is not a digit. */
static NFB_ALWAYS_INLINE bool fraction(const char *s, size_t n, uint32_t *ns)
{
    static const uint32_t scale[9] = {
        1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000};
    const uint64_t all = ~UINT64_C(0);
    if (n < 8) {
        /* The eight bytes that end with the fraction, those before it
         * dropped (their x is 0, a digit 0). */
        uint64_t before = all >> (8 * n);
        uint64_t x = (load8(s + n - 8) ^ 0x30 * ONES) & ~before;
        if (out_of_bounds(x, all, all)) return false;
        *ns = value8(x) * scale[9 - n];
        return true;
    }
    uint64_t x = load8(s) ^ 0x30 * ONES;
    if (out_of_bounds(x, all, all)) return false;
    uint32_t v = value8(x) * 10;
    for (size_t i = 8; i < n; i++) {
        if ((unsigned)(s[i] - '0') > 9) return false;
        if (i == 8) v += (uint32_t)(s[i] - '0');
    }
    *ns = v;
    return true;
}

#define BYTE(w, i) ((unsigned)((w) >> (8 * (i))) & 0xff)

/* Days since 0000-03-01 of the first of each month, for a year taken to
 * begin in March (January and February count in the year before), so
 * that a leap day is the last day of its year and needs no term here. */
static const uint16_t march_days[13] = {0,   306, 337, 0,   31,  61, 92,
                                        122, 153, 184, 214, 245, 275};

/* The common shape, checked at fixed positions a word at a time: most
 * timestamps in the data are valid and this costs a fraction of the
 * general parser. "YYYY-MM-", "DDThh:mm" and "hh:mm:ss" are three words
 * (the last two overlap), each checked against its pattern of digits and
 * separators with one compare; the time zone is at the end (the last byte
 * 'Z' or 'z', or the last six "+hh:mm"), and between the seconds and it
 * the fraction, if any. Anything unusual (any error, second 60, a day
 * past the month's common length) is left to the general parser, which
 * also says what is wrong; the values here are the general parser's.
 * Returns true when s is valid and out is filled. Always inline: it runs
 * for every date-time read. */
static NFB_ALWAYS_INLINE bool parse_fast(const char *s, size_t len,
                                         nfb_time *out)
{
    if (len < 20) return false;
    /* "YYYY-MM-", "DDThh:mm" and "hh:mm:ss"; 'T' or 't' in byte 2 of the
     * second (0x20 makes both 't'). The second and third words have their
     * digits at the same bytes. */
    const uint64_t all = ~UINT64_C(0), date_digits = 0x00ffff00ffffffff,
                   time_digits = 0xffff00ffff00ffff;
    uint64_t date = load8(s) ^
                    ((0x30 * ONES & date_digits) | B(4, '-') | B(7, '-')),
             mid = (load8(s + 8) | B(2, 0x20)) ^
                   ((0x30 * ONES & time_digits) | B(2, 't') | B(5, ':')),
             time = load8(s + 11) ^
                    ((0x30 * ONES & time_digits) | B(2, ':') | B(5, ':'));
    if (out_of_bounds(date, date_digits, all) |
        out_of_bounds(mid, time_digits, all) |
        out_of_bounds(time, time_digits, all))
        return false;
    uint64_t dv = pairs(date), mv = pairs(mid);
    unsigned year = BYTE(dv, 0) * 100 + BYTE(dv, 2), month = BYTE(dv, 5);
    unsigned mday = BYTE(mv, 0), hour = BYTE(mv, 3), minute = BYTE(mv, 6);
    unsigned second = BYTE(pairs(time), 6);
    static const uint8_t month_days[13] = {0,  31, 28, 31, 30, 31, 30,
                                           31, 31, 30, 31, 30, 31};
    if (hour > 23 || minute > 59 || second > 59 || month > 12) return false;
    /* Month 00 reads month_days[0], 0: any day is past it; so is day 00. */
    if (mday - 1 >= month_days[month] &&
        !(month == 2 && mday == 29 && is_leap_year((int)year)))
        return false;
    int offset = 0;
    size_t zone;
    if ((s[len - 1] | 0x20) == 'z') {
        zone = len - 1;
    } else {
        /* "+hh:mm" or "-hh:mm", the last six bytes of the last word */
        if (len < 25) return false;
        zone = len - 6;
        const uint64_t z_digits =
            B(3, 0xff) | B(4, 0xff) | B(6, 0xff) | B(7, 0xff);
        uint64_t z =
            load8(s + len - 8) ^ ((0x30 * ONES & z_digits) | B(5, ':'));
        char sign = s[zone];
        if ((sign != '+' && sign != '-') ||
            out_of_bounds(z, z_digits, all << 24))
            return false;
        uint64_t zv = pairs(z & all << 24); /* not the bytes before */
        unsigned oh = BYTE(zv, 3), om = BYTE(zv, 6);
        if (oh > 23 || om > 59) return false;
        offset = (int)(oh * 60 + om);
        if (sign == '-') offset = -offset;
    }
    uint32_t ns = 0;
    if (zone != 19 &&
        (s[19] != '.' || zone == 20 || !fraction(s + 20, zone - 20, &ns)))
        return false;
    if (out != NULL) {
        /* days_from_civil's value without signed division: the year,
         * begun in March, moved on by one 400-year era (146097 days) so
         * that it is never negative (0000-01 is in year -1). */
        unsigned y = year + 400 - (month <= 2), c = y / 100;
        int32_t days = (int32_t)(y * 365 + y / 4 - c + c / 4 +
                                 march_days[month] + mday - 1) -
                       (719468 + 146097);
        out->text.ptr = s;
        out->text.len = len;
        out->unix_seconds = (int64_t)days * 86400 +
                            ((int)(hour * 60 + minute) - offset) * 60 +
                            (int)second;
        out->nanoseconds = ns;
        out->offset_minutes = (int16_t)offset;
    }
    return true;
}

/* The general parser, for what parse_fast leaves: out of line, so that
 * nfb__parse_datetime stays small enough to be inlined where it is
 * called (the decoder's date-time fields). */
NFB_NOINLINE
static const char *parse_general(const char *s, size_t len, nfb_time *out,
                                 char *buf, size_t buflen)
{
    dt_parser p = {s, len, 0, buf, buflen};
    dt_fields f = {0};
    const char *why;

    if (len == 0) return "empty";
    if ((why = parse_date(&p, &f)) || (why = parse_time(&p, &f)) ||
        (why = parse_offset(&p, &f)))
        return why;
    if (p.pos != len) return "unexpected text after the time zone offset";
    if (f.second == 60 && !leap_second_allowed(&f))
        return "second 60 is only allowed at 23:59 UTC";
    if (out != NULL) {
        out->text.ptr = s;
        out->text.len = len;
        /* A leap second 60 lands on second 0 of the next minute, which is
         * what nfb_time asks for ("counts as the next second"). */
        out->unix_seconds = days_from_civil(f.year, f.month, f.day) * 86400 +
                            f.hour * 3600 + f.minute * 60 + f.second -
                            (int64_t)f.offset_minutes * 60;
        out->nanoseconds = f.nanoseconds;
        out->offset_minutes = (int16_t)f.offset_minutes;
    }
    return NULL;
}

/* The parse, inlined into both names below, so that the decoder, the one
 * caller of the private name, has it inlined in its turn. */
static NFB_ALWAYS_INLINE const char *
parse(const char *s, size_t len, nfb_time *out, char *buf, size_t buflen)
{
    if (parse_fast(s, len, out)) return NULL;
    return parse_general(s, len, out, buf, buflen);
}

bool nfb__parse_datetime_fast(const char *s, size_t len, nfb_time *out)
{
    return parse_fast(s, len, out);
}

const char *nfb__parse_datetime(const char *s, size_t len, nfb_time *out,
                                char *buf, size_t buflen)
{
    return parse(s, len, out, buf, buflen);
}

/* The public name, apart from the private one that the decoder calls: a
 * call inside the library to an exported function would go through the
 * PLT and could not be inlined. */
const char *nfb_datetime_parse(const char *s, size_t len, nfb_time *out,
                               char *buf, size_t buflen)
{
    return parse(s, len, out, buf, buflen);
}
