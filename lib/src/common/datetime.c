/* RFC 3339 date-times (section 5.6, "date-time"):
 *
 *   YYYY-MM-DD ("T" | "t") hh:mm:ss ["." 1*DIGIT] ("Z" | "z" | ("+"|"-") hh:mm)
 *
 * checked against the real calendar. The input is a (pointer, length) view
 * that is not NUL-terminated, so every read is bounded by the length. */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

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

static bool digits(const char *s, int n)
{
    for (int i = 0; i < n; i++)
        if ((unsigned)(s[i] - '0') > 9) return false;
    return true;
}

static int num2(const char *s)
{
    return (s[0] - '0') * 10 + (s[1] - '0');
}

/* The common shape, checked at fixed positions: most timestamps in the
 * data are valid and this costs a fraction of the general parser. Anything
 * unusual (errors, second 60) is left to the general parser, which also
 * says what is wrong. Returns true when s is valid and out is filled.
 * Always inline: it runs for every date-time read. */
static NFB_ALWAYS_INLINE bool parse_fast(const char *s, size_t len,
                                         nfb_time *out)
{
    if (len < 20 || !digits(s, 4) || s[4] != '-' || !digits(s + 5, 2) ||
        s[7] != '-' || !digits(s + 8, 2) || (s[10] != 'T' && s[10] != 't') ||
        !digits(s + 11, 2) || s[13] != ':' || !digits(s + 14, 2) ||
        s[16] != ':' || !digits(s + 17, 2))
        return false;
    int year = num2(s) * 100 + num2(s + 2), month = num2(s + 5);
    int day = num2(s + 8), hour = num2(s + 11), minute = num2(s + 14);
    int second = num2(s + 17);
    if (month < 1 || month > 12 || day < 1 ||
        day > days_in_month(year, month) || hour > 23 || minute > 59 ||
        second > 59)
        return false;
    size_t i = 19;
    uint32_t ns = 0;
    if (s[i] == '.') {
        size_t start = ++i;
        int nd = 0;
        for (; i < len && (unsigned)(s[i] - '0') <= 9; i++)
            if (nd < 9) ns = ns * 10 + (uint32_t)(s[i] - '0'), nd++;
        if (i == start) return false;
        for (; nd < 9; nd++)
            ns *= 10;
    }
    int offset = 0;
    if (i + 1 == len && (s[i] == 'Z' || s[i] == 'z')) {
        i++;
    } else if (i + 6 == len && (s[i] == '+' || s[i] == '-') &&
               digits(s + i + 1, 2) && s[i + 3] == ':' &&
               digits(s + i + 4, 2)) {
        int oh = num2(s + i + 1), om = num2(s + i + 4);
        if (oh > 23 || om > 59) return false;
        offset = (s[i] == '-' ? -1 : 1) * (oh * 60 + om);
        i += 6;
    } else {
        return false;
    }
    if (out != NULL) {
        out->text.ptr = s;
        out->text.len = len;
        out->unix_seconds = days_from_civil(year, month, day) * 86400 +
                            hour * 3600 + minute * 60 + second -
                            (int64_t)offset * 60;
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
