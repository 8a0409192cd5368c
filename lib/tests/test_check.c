/* Unit tests of the field checkers of check.h: RFC 3339 date-times, byte
 * sizes and strict UTF-8.
 *
 * Every input is first copied into a heap block of exactly its length, with
 * no NUL after it, so that AddressSanitizer catches any read past the end
 * (the checkers get (pointer, length) views into the parser's buffers). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <setjmp.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/check.h"

/* An exact-size copy of bytes; malloc(0) may return NULL, so keep 1 byte. */
static char *exact_copy(const char *bytes, size_t len)
{
    char *copy = malloc(len > 0 ? len : 1);

    assert_non_null(copy);
    if (len > 0) memcpy(copy, bytes, len);
    return copy;
}

/* ---- date-times ------------------------------------------------------- */

typedef struct dt_valid_case {
    const char *text;
    int64_t unix_seconds;
    uint32_t nanoseconds;
    int16_t offset_minutes;
} dt_valid_case;

/* Expected values computed independently of the code under test (Python's
 * calendar.timegm on the fields, minus the offset). */
static const dt_valid_case dt_valid_cases[] = {
    {"2021-01-20T11:19:53.175Z", 1611141593, 175000000, 0},
    {"2021-01-20T11:19:53Z", 1611141593, 0, 0},
    {"2021-01-20t11:19:53z", 1611141593, 0, 0},
    {"1970-01-01T00:00:00Z", 0, 0, 0},
    {"1969-12-31T23:59:59.999999999999Z", -1, 999999999, 0},
    {"1985-04-12T23:20:50.52Z", 482196050, 520000000, 0},
    {"1996-12-19T16:39:57-08:00", 851042397, 0, -480},
    {"1937-01-01T12:00:27.87+00:20", -1041337173, 870000000, 20},
    {"2024-02-29T12:00:00+05:30", 1709188200, 0, 330},
    {"2000-02-29T00:00:00.5z", 951782400, 500000000, 0},
    {"2021-03-01T00:30:00+01:00", 1614555000, 0, 60},
    {"2021-01-20T11:19:53+23:59", 1611055253, 0, 1439},
    {"2021-01-20T11:19:53-23:59", 1611227933, 0, -1439},
    {"2021-01-20T11:19:53-00:00", 1611141593, 0, 0},
    {"0000-01-01T00:00:00Z", -62167219200, 0, 0},
    {"9999-12-31T23:59:59Z", 253402300799, 0, 0},
    /* leap seconds count as the next second: 1991-01-01T00:00:00Z */
    {"1990-12-31T23:59:60Z", 662688000, 0, 0},
    {"1990-12-31T15:59:60-08:00", 662688000, 0, -480},
    {"1991-01-01T00:29:60+00:30", 662688000, 0, 30},
    {"1990-12-31T23:59:60.25Z", 662688000, 250000000, 0},
};

static void check_dt_valid(const dt_valid_case *c)
{
    size_t len = strlen(c->text);
    char *s = exact_copy(c->text, len);
    char buf[128];
    nfb_time t;
    const char *why;

    memset(&t, 0xa5, sizeof t);
    why = nfb__parse_datetime(s, len, &t, buf, sizeof buf);
    if (why != NULL) fail_msg("\"%s\" rejected: %s", c->text, why);
    assert_ptr_equal(t.text.ptr, s);
    assert_int_equal(t.text.len, len);
    assert_int_equal(t.unix_seconds, c->unix_seconds);
    assert_int_equal(t.nanoseconds, c->nanoseconds);
    assert_int_equal(t.offset_minutes, c->offset_minutes);
    free(s);
}

static void test_datetime_values(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof dt_valid_cases / sizeof *dt_valid_cases; i++)
        check_dt_valid(&dt_valid_cases[i]);
}

/* The fraction is truncated to nanoseconds, never rounded, whatever its
 * length. */
static void test_datetime_fraction(void **state)
{
    static const dt_valid_case cases[] = {
        {"2021-01-20T11:19:53.1Z", 1611141593, 100000000, 0},
        {"2021-01-20T11:19:53.000000001Z", 1611141593, 1, 0},
        {"2021-01-20T11:19:53.123456789Z", 1611141593, 123456789, 0},
        {"2021-01-20T11:19:53.123456789999Z", 1611141593, 123456789, 0},
        {"2021-01-20T11:19:53.0000000009Z", 1611141593, 0, 0},
        {"2021-01-20T11:19:53.999999999999999999999999999999+01:00", 1611137993,
         999999999, 60},
    };

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        check_dt_valid(&cases[i]);
}

static const char *parse_dt(const char *bytes, size_t len, char *buf,
                            size_t buflen)
{
    char *s = exact_copy(bytes, len);
    nfb_time t;
    const char *why = nfb__parse_datetime(s, len, &t, buf, buflen);

    free(s);
    return why;
}

static void check_dt_reason(const char *text, const char *reason)
{
    char buf[128];
    const char *why = parse_dt(text, strlen(text), buf, sizeof buf);

    if (why == NULL) fail_msg("\"%s\" accepted, expected: %s", text, reason);
    if (strcmp(why, reason) != 0)
        fail_msg("\"%s\": got \"%s\", expected \"%s\"", text, why, reason);
}

typedef struct dt_bad_case {
    const char *text;
    const char *reason;
} dt_bad_case;

static const dt_bad_case dt_bad_cases[] = {
    {"", "empty"},
    /* calendar */
    {"1900-02-29T00:00:00Z", "day 29 does not exist in February 1900"},
    {"2100-02-29T00:00:00Z", "day 29 does not exist in February 2100"},
    {"2021-02-29T00:00:00Z", "day 29 does not exist in February 2021"},
    {"2024-02-30T00:00:00Z", "day 30 does not exist in February 2024"},
    {"2021-04-31T00:00:00Z", "day 31 does not exist in April 2021"},
    {"2021-01-32T00:00:00Z", "day 32 does not exist in January 2021"},
    {"2021-00-20T11:19:53Z", "month 00 is out of range"},
    {"2021-13-20T11:19:53Z", "month 13 is out of range"},
    {"2021-01-00T11:19:53Z", "day 00 is out of range"},
    /* clock */
    {"2021-01-20T24:00:00Z", "hour 24 is out of range"},
    {"2021-01-20T11:60:00Z", "minute 60 is out of range"},
    {"2021-01-20T11:19:61Z", "second 61 is out of range"},
    {"2021-01-20T11:19:99Z", "second 99 is out of range"},
    {"2021-01-20T11:19:60Z", "second 60 is only allowed at 23:59 UTC"},
    {"1990-12-31T23:58:60Z", "second 60 is only allowed at 23:59 UTC"},
    {"1990-12-31T23:59:60-08:00", "second 60 is only allowed at 23:59 UTC"},
    {"1990-12-31T15:59:60+08:00", "second 60 is only allowed at 23:59 UTC"},
    /* shape of the date */
    {"21-01-20T11:19:53Z", "expected a 4-digit year, found '-'"},
    {"+2021-01-20T11:19:53Z", "expected a 4-digit year, found '+'"},
    {"2021/01/20T11:19:53Z", "expected '-' after the year, found '/'"},
    {"20210-01-20T11:19:53Z", "expected '-' after the year, found '0'"},
    {"2021-1-20T11:19:53Z", "expected a 2-digit month, found '-'"},
    {"2021-01/20T11:19:53Z", "expected '-' after the month, found '/'"},
    {"2021-01-2T11:19:53Z", "expected a 2-digit day, found 'T'"},
    /* separator */
    {"2021-01-20 11:19:53Z", "expected 'T' between date and time, found ' '"},
    {"2021-01-20_11:19:53Z", "expected 'T' between date and time, found '_'"},
    {"2021-01-2011:19:53Z", "expected 'T' between date and time, found '1'"},
    /* shape of the time */
    {"2021-01-20T1:19:53Z", "expected a 2-digit hour, found ':'"},
    {"2021-01-20T11-19:53Z", "expected ':' after the hour, found '-'"},
    {"2021-01-20T11:1:53Z", "expected a 2-digit minute, found ':'"},
    {"2021-01-20T11:19-53Z", "expected ':' after the minute, found '-'"},
    {"2021-01-20T11:19Z", "expected ':' after the minute, found 'Z'"},
    {"2021-01-20T11:19:5Z", "expected a 2-digit second, found 'Z'"},
    {"2021-01-20T11:19:53.Z", "expected a digit after '.', found 'Z'"},
    {"2021-01-20T11:19:53.", "expected a digit after '.', found end of text"},
    /* time zone offset */
    {"2021-01-20T11:19:53", "missing time zone offset"},
    {"2021-01-20T11:19:53.175", "missing time zone offset"},
    {"2021-01-20T11:19:53 Z",
     "expected 'Z' or a +hh:mm/-hh:mm offset, found ' '"},
    {"2021-01-20T11:19:53UTC",
     "expected 'Z' or a +hh:mm/-hh:mm offset, found 'U'"},
    {"2021-01-20T11:19:53,175Z",
     "expected 'Z' or a +hh:mm/-hh:mm offset, found ','"},
    {"2021-01-20T11:19:53\xc3\xa9",
     "expected 'Z' or a +hh:mm/-hh:mm offset, found byte 0xc3"},
    {"2021-01-20T11:19:53+24:00", "offset hour 24 is out of range"},
    {"2021-01-20T11:19:53-99:00", "offset hour 99 is out of range"},
    {"2021-01-20T11:19:53+05:60", "offset minute 60 is out of range"},
    {"2021-01-20T11:19:53+5:30", "expected a 2-digit offset hour, found ':'"},
    {"2021-01-20T11:19:53+0530", "expected ':' in the offset, found '3'"},
    {"2021-01-20T11:19:53+05:3",
     "expected a 2-digit offset minute, found end of text"},
    /* trailing text */
    {"2021-01-20T11:19:53ZZ", "unexpected text after the time zone offset"},
    {"2021-01-20T11:19:53Z ", "unexpected text after the time zone offset"},
    {"2021-01-20T11:19:53+01:00x",
     "unexpected text after the time zone offset"},
    {"2021-01-20T11:19:53+01:000",
     "unexpected text after the time zone offset"},
};

static void test_datetime_rejects(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof dt_bad_cases / sizeof *dt_bad_cases; i++)
        check_dt_reason(dt_bad_cases[i].text, dt_bad_cases[i].reason);
}

/* Every month of a common and of a leap year: the last day is accepted and
 * the day after it rejected, with century years following the Gregorian
 * rule (1900 and 2100 common, 2000 leap). */
static void test_datetime_month_lengths(void **state)
{
    static const int common[12] = {31, 28, 31, 30, 31, 30,
                                   31, 31, 30, 31, 30, 31};
    static const char *const names[12] = {
        "January", "February", "March",     "April",   "May",      "June",
        "July",    "August",   "September", "October", "November", "December"};
    static const struct {
        int year;
        int leap;
    } years[] = {{2021, 0}, {2024, 1}, {1900, 0}, {2000, 1}, {2100, 0},
                 {1600, 1}, {2023, 0}, {4, 1},    {0, 1}};

    (void)state;
    for (size_t y = 0; y < sizeof years / sizeof *years; y++) {
        for (int m = 1; m <= 12; m++) {
            int last = common[m - 1] + (m == 2 && years[y].leap);
            char text[32], reason[64], buf[128];
            const char *why;

            snprintf(text, sizeof text, "%04d-%02d-%02dT12:00:00Z",
                     years[y].year, m, last);
            why = parse_dt(text, strlen(text), buf, sizeof buf);
            if (why != NULL) fail_msg("\"%s\" rejected: %s", text, why);
            snprintf(text, sizeof text, "%04d-%02d-%02dT12:00:00Z",
                     years[y].year, m, last + 1);
            snprintf(reason, sizeof reason,
                     "day %02d does not exist in %s %04d", last + 1,
                     names[m - 1], years[y].year);
            check_dt_reason(text, reason);
        }
    }
}

/* Consecutive days must be 86400 s apart across month and year ends and
 * leap days, which checks the days-from-civil arithmetic everywhere. */
static void test_datetime_days_are_contiguous(void **state)
{
    static const int common[12] = {31, 28, 31, 30, 31, 30,
                                   31, 31, 30, 31, 30, 31};
    int64_t expected = -62167219200; /* 0000-01-01T00:00:00Z */

    (void)state;
    for (int y = 0; y <= 2400; y++) {
        int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        for (int m = 1; m <= 12; m++) {
            int days = common[m - 1] + (m == 2 && leap);
            for (int d = 1; d <= days; d++, expected += 86400) {
                char text[32];
                nfb_time t;

                /* only a sample of days, to keep the test fast */
                if (d != 1 && d != days && (y % 97 != 0 || d % 7 != 0))
                    continue;
                snprintf(text, sizeof text, "%04d-%02d-%02dT00:00:00Z", y, m,
                         d);
                assert_null(
                    nfb__parse_datetime(text, strlen(text), &t, NULL, 0));
                assert_int_equal(t.unix_seconds, expected);
            }
        }
    }
}

/* A grid of date-times in the common shape, valid and not: calendar
 * edges over ten thousand years (leap days of century years, day 00, 31
 * of short months, month 00 and 13), the clock's edges (24:00, minute 60,
 * second 60 at and off 23:59 UTC), offsets at and past their bounds,
 * fractions of 0 to 12 digits, upper- and lower-case T and Z. Each is
 * judged here by counting days, apart from the parser; the decoder's
 * fast parse, where it accepts one, must agree as well. */
static int grid_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static void test_datetime_grid(void **state)
{
    static const int years[] = {0,    1,    4,    99,   100,  400,  1600,
                                1899, 1900, 1969, 1970, 1999, 2000, 2023,
                                2024, 2100, 2400, 2401, 4000, 5900, 9999};
    static const int days[] = {0, 1, 27, 28, 29, 30, 31, 32};
    static const struct {
        int h, m, s;
    } clocks[] = {{0, 0, 0},   {23, 59, 59}, {24, 0, 0},  {12, 60, 0},
                  {12, 0, 60}, {23, 59, 60}, {0, 29, 60}, {12, 34, 56}};
    static const struct {
        const char *text;
        int minutes, valid;
    } zones[] = {{"Z", 0, 1},        {"z", 0, 1},         {"+00:00", 0, 1},
                 {"-00:00", 0, 1},   {"+23:59", 1439, 1}, {"-23:59", -1439, 1},
                 {"+05:30", 330, 1}, {"-00:30", -30, 1},  {"+24:00", 0, 0},
                 {"-05:60", 0, 0}};
    static const char *const fractions[] = {
        "",           ".0",          ".5",           ".12",      ".123",
        ".1234",      ".12345",      ".123456",      ".1234567", ".12345678",
        ".123456789", ".1234567891", ".999999999999"};
    static const int common[12] = {31, 28, 31, 30, 31, 30,
                                   31, 31, 30, 31, 30, 31};
    static int64_t year_start[10000]; /* days from 1970-01-01 */
    size_t n = 0, fast = 0, valids = 0;

    (void)state;
    year_start[1970] = 0;
    for (int y = 1971; y < 10000; y++)
        year_start[y] = year_start[y - 1] + 365 + grid_leap(y - 1);
    for (int y = 1969; y >= 0; y--)
        year_start[y] = year_start[y + 1] - 365 - grid_leap(y);
    for (size_t yi = 0; yi < sizeof years / sizeof *years; yi++) {
        for (int mo = 0; mo <= 13; mo++) {
            for (size_t di = 0; di < sizeof days / sizeof *days; di++, n++) {
                int y = years[yi], d = days[di];
                int c = (int)(n % (sizeof clocks / sizeof *clocks));
                size_t zi = n % (sizeof zones / sizeof *zones);
                const char *fr =
                    fractions[n % (sizeof fractions / sizeof *fractions)];
                char text[64];
                snprintf(text, sizeof text,
                         "%04d-%02d-%02d%c%02d:%02d:%02d%s%s", y, mo, d,
                         n % 3 ? 'T' : 't', clocks[c].h, clocks[c].m,
                         clocks[c].s, fr, zones[zi].text);

                /* the verdict and value, by counting */
                int off = zones[zi].minutes;
                int utc = (clocks[c].h * 60 + clocks[c].m - off + 1440) % 1440;
                int valid = mo >= 1 && mo <= 12 && d >= 1 &&
                            d <= common[mo - 1] + (mo == 2 && grid_leap(y)) &&
                            clocks[c].h <= 23 && clocks[c].m <= 59 &&
                            (clocks[c].s <= 59 ||
                             (clocks[c].s == 60 && utc == 23 * 60 + 59)) &&
                            zones[zi].valid;
                int64_t day = year_start[y];
                for (int k = 1; valid && k < mo; k++)
                    day += common[k - 1] + (k == 2 && grid_leap(y));
                int64_t secs = (day + d - 1) * 86400 + clocks[c].h * 3600 +
                               clocks[c].m * 60 + clocks[c].s - off * 60;
                uint32_t ns = 0;
                for (int k = 1; k <= 9; k++)
                    ns = ns * 10 +
                         (k < (int)strlen(fr) ? (uint32_t)(fr[k] - '0') : 0);

                valids += (size_t)valid;
                size_t len = strlen(text);
                char *s = exact_copy(text, len);
                nfb_time t, f;
                const char *why = nfb__parse_datetime(s, len, &t, NULL, 0);
                if ((why == NULL) != valid)
                    fail_msg("\"%s\": %s", text, why ? why : "accepted");
                if (valid && (t.unix_seconds != secs || t.nanoseconds != ns ||
                              t.offset_minutes != off || t.text.ptr != s ||
                              t.text.len != len))
                    fail_msg("\"%s\": %lld.%09u %+d, expected %lld.%09u %+d",
                             text, (long long)t.unix_seconds, t.nanoseconds,
                             t.offset_minutes, (long long)secs, ns, off);
                if (nfb__parse_datetime_fast(s, len, &f)) {
                    fast++;
                    if (!valid)
                        fail_msg("\"%s\" accepted by the fast parse", text);
                    if (f.unix_seconds != t.unix_seconds ||
                        f.nanoseconds != t.nanoseconds ||
                        f.offset_minutes != t.offset_minutes ||
                        f.text.ptr != s || f.text.len != len)
                        fail_msg("\"%s\": the fast parse's value differs",
                                 text);
                }
                free(s);
            }
        }
    }
    /* the fast parse took most of the valid ones */
    assert_true(fast > valids / 2);
}

/* Every proper prefix of a valid date-time is invalid, and the parser must
 * not read past the cut (the copy has exactly the prefix's length). */
static void test_datetime_prefixes(void **state)
{
    static const char *const texts[] = {
        "2021-01-20T11:19:53.175Z",
        "1990-12-31T15:59:60-08:00",
        "2024-02-29t00:00:00.123456789012+05:30",
    };

    (void)state;
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
        size_t len = strlen(texts[i]);
        char buf[128];

        assert_null(parse_dt(texts[i], len, buf, sizeof buf));
        for (size_t cut = 0; cut < len; cut++) {
            if (parse_dt(texts[i], cut, buf, sizeof buf) == NULL)
                fail_msg("prefix \"%.*s\" accepted", (int)cut, texts[i]);
            if (parse_dt(texts[i], cut, NULL, 0) == NULL)
                fail_msg("prefix \"%.*s\" accepted without buf", (int)cut,
                         texts[i]);
        }
    }
}

/* NUL bytes are bytes like any other: never a terminator. */
static void test_datetime_embedded_nul(void **state)
{
    static const char with_nul[] = "2021-01-20T11:19:53Z\0";
    static const char nul_offset[] = "2021-01-20T11:19:53\0Z";
    char buf[128];

    (void)state;
    assert_string_equal(
        parse_dt(with_nul, sizeof with_nul - 1, buf, sizeof buf),
        "unexpected text after the time zone offset");
    assert_string_equal(
        parse_dt(nul_offset, sizeof nul_offset - 1, buf, sizeof buf),
        "expected 'Z' or a +hh:mm/-hh:mm offset, found byte "
        "0x00");
}

/* Without a buffer the reasons are fixed strings, still saying what is
 * wrong; a short buffer is truncated and stays NUL-terminated. */
static void test_datetime_without_buffer(void **state)
{
    static const dt_bad_case cases[] = {
        {"2021-13-20T11:19:53Z", "month is out of range"},
        {"2021-01-00T11:19:53Z", "day is out of range"},
        {"2021-02-29T11:19:53Z", "day does not exist in that month"},
        {"2021-01-20T24:19:53Z", "hour is out of range"},
        {"2021-01-20T11:60:53Z", "minute is out of range"},
        {"2021-01-20T11:19:61Z", "second is out of range"},
        {"2021-01-20T11:19:53+24:00", "offset hour is out of range"},
        {"2021-01-20T11:19:53+00:60", "offset minute is out of range"},
        {"2021-01-20 11:19:53Z", "expected 'T' between date and time"},
        {"2021-01-20T11:19:53.Z", "expected a digit after '.'"},
        {"2021-01-20T11:19:53", "missing time zone offset"},
        {"2021-01-20T11:19:60Z", "second 60 is only allowed at 23:59 UTC"},
    };
    char small[8];

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const char *text = cases[i].text;
        char buf[4] = "xyz";

        assert_string_equal(parse_dt(text, strlen(text), NULL, 0),
                            cases[i].reason);
        /* buflen 0: buf must not be touched */
        assert_string_equal(parse_dt(text, strlen(text), buf, 0),
                            cases[i].reason);
        assert_string_equal(buf, "xyz");
    }
    /* A buffer too small for the reason: the generic reason, never a cut
     * one ("month 1" would name the wrong month). */
    memset(small, 'x', sizeof small);
    assert_string_equal(
        parse_dt("2021-13-20T11:19:53Z", 20, small, sizeof small),
        "month is out of range");
}

/* ---- sizes ------------------------------------------------------------ */

static const char *parse_size(const char *bytes, size_t len, uint64_t *out)
{
    char *s = exact_copy(bytes, len);
    const char *why = nfb__parse_size(s, len, out);

    free(s);
    return why;
}

static void test_size_valid(void **state)
{
    static const struct {
        const char *text;
        uint64_t value;
    } cases[] = {
        {"0", 0},
        {"7", 7},
        {"10", 10},
        {"1234", 1234},
        {"4294967296", UINT64_C(4294967296)},
        {"18446744073709551609", UINT64_C(18446744073709551609)},
        {"18446744073709551615", UINT64_MAX},
    };

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        uint64_t v = 1;
        const char *why = parse_size(cases[i].text, strlen(cases[i].text), &v);

        if (why != NULL) fail_msg("\"%s\" rejected: %s", cases[i].text, why);
        assert_int_equal(v, cases[i].value);
    }
}

static void test_size_rejects(void **state)
{
    static const struct {
        const char *text;
        size_t len; /* 0: strlen */
        const char *reason;
    } cases[] = {
        {"", 0, "empty"},
        {"18446744073709551616", 0, "more than 18446744073709551615"},
        {"18446744073709551620", 0, "more than 18446744073709551615"},
        {"99999999999999999999", 0, "more than 18446744073709551615"},
        {"184467440737095516150", 0, "more than 18446744073709551615"},
        {"100000000000000000000000000000", 0, "more than 18446744073709551615"},
        {"01", 0, "leading zero"},
        {"00", 0, "leading zero"},
        {"0018446744073709551615", 0, "leading zero"},
        {"-1", 0, "sign not allowed"},
        {"+1", 0, "sign not allowed"},
        {"-0", 0, "sign not allowed"},
        {" 1", 0, "not a decimal digit ' '"},
        {"1 ", 0, "not a decimal digit ' '"},
        {"1.0", 0, "not a decimal digit '.'"},
        {"12kB", 0, "not a decimal digit 'k'"},
        {"1e3", 0, "not a decimal digit 'e'"},
        {"0x10", 0, "not a decimal digit 'x'"},
        {"1-2", 0, "not a decimal digit '-'"},
        {"\"1\"", 0, "not a decimal digit '\"'"},
        {"99999999999999999999kB", 0, "not a decimal digit 'k'"},
        {"\xc2\xb2", 0, "not a decimal digit"},
        {"1\0", 2, "not a decimal digit"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        size_t len = cases[i].len ? cases[i].len : strlen(cases[i].text);
        uint64_t v;
        const char *why = parse_size(cases[i].text, len, &v);

        if (why == NULL) fail_msg("\"%s\" accepted", cases[i].text);
        if (strcmp(why, cases[i].reason) != 0)
            fail_msg("\"%s\": got \"%s\", expected \"%s\"", cases[i].text, why,
                     cases[i].reason);
    }
}

/* ---- UTF-8 ------------------------------------------------------------ */

/* Checks bytes both with and without a destination; when valid, the copy
 * must be exact and must not write past len. Returns the index. */
static size_t utf8_check(const char *bytes, size_t len, const char **why)
{
    char *src = exact_copy(bytes, len);
    char *dst = malloc(len + 1);
    const char *why_nodst = "unset";
    size_t at, at_nodst;

    assert_non_null(dst);
    memset(dst, 0x5a, len + 1);
    *why = "unset";
    at = nfb__utf8_copy(dst, src, len, why);
    at_nodst = nfb__utf8_copy(NULL, src, len, &why_nodst);
    assert_int_equal(at, at_nodst);
    if (at < len) {
        assert_non_null(*why);
        assert_string_equal(*why, why_nodst);
    } else if (len > 0) {
        assert_memory_equal(dst, bytes, len);
    }
    assert_int_equal((unsigned char)dst[len], 0x5a);
    free(dst);
    free(src);
    return at;
}

typedef struct utf8_case {
    const char *bytes;
    size_t len; /* 0: strlen, unless bytes is "" */
    size_t index;
    const char *why;
} utf8_case;

static size_t case_len(const utf8_case *c)
{
    return c->len ? c->len : strlen(c->bytes);
}

static void test_utf8_valid(void **state)
{
    static const utf8_case cases[] = {
        {"", 0, 0, NULL},
        {"hello, world", 0, 0, NULL},
        {"\xc2\x80", 0, 0, NULL},         /* U+0080 */
        {"\xdf\xbf", 0, 0, NULL},         /* U+07FF */
        {"\xe0\xa0\x80", 0, 0, NULL},     /* U+0800 */
        {"\xed\x9f\xbf", 0, 0, NULL},     /* U+D7FF */
        {"\xee\x80\x80", 0, 0, NULL},     /* U+E000 */
        {"\xef\xbf\xbf", 0, 0, NULL},     /* U+FFFF */
        {"\xf0\x90\x80\x80", 0, 0, NULL}, /* U+10000 */
        {"\xf3\xbf\xbf\xbf", 0, 0, NULL}, /* U+FFFFF */
        {"\xf4\x8f\xbf\xbf", 0, 0, NULL}, /* U+10FFFF */
        {"a\0b", 3, 0, NULL},             /* NUL from \u0000 */
        {"\0\0\0\0\0\0\0\0\0\0", 10, 0, NULL},
        {"h\xc3\xa9llo w\xc3\xb6rld \xe2\x9c\x93 \xf0\x9f\x98\x80 ok", 0, 0,
         NULL},
        {"\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f", 0, 0, NULL},
    };

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        size_t len = case_len(&cases[i]);
        const char *why;

        assert_int_equal(utf8_check(cases[i].bytes, len, &why), len);
    }
}

static void test_utf8_all_ascii(void **state)
{
    char all[128];
    const char *why;

    (void)state;
    for (int i = 0; i < 128; i++)
        all[i] = (char)i;
    assert_int_equal(utf8_check(all, sizeof all, &why), sizeof all);
}

static void test_utf8_rejects(void **state)
{
    static const utf8_case cases[] = {
        {"\xc0\x80", 0, 0, "overlong encoding"},
        {"\xc1\xbf", 0, 0, "overlong encoding"},
        {"\xe0\x80\x80", 0, 0, "overlong encoding"},
        {"\xe0\x9f\xbf", 0, 0, "overlong encoding"},
        {"\xf0\x80\x80\x80", 0, 0, "overlong encoding"},
        {"\xf0\x8f\xbf\xbf", 0, 0, "overlong encoding"},
        {"\xed\xa0\x80", 0, 0, "surrogate code point"},
        {"\xed\xbf\xbf", 0, 0, "surrogate code point"},
        {"ab\xed\xb0\x80", 0, 2, "surrogate code point"},
        {"\xf4\x90\x80\x80", 0, 0, "code point above U+10FFFF"},
        {"\xf4\xbf\xbf\xbf", 0, 0, "code point above U+10FFFF"},
        {"\xf5\x80\x80\x80", 0, 0, "invalid byte 0xf5"},
        {"\xf8\x88\x80\x80\x80", 0, 0, "invalid byte 0xf8"},
        {"\xfe", 0, 0, "invalid byte 0xfe"},
        {"\xff", 0, 0, "invalid byte 0xff"},
        {"\x80", 0, 0, "unexpected continuation byte"},
        {"a\xbf", 0, 1, "unexpected continuation byte"},
        {"\xc3\xa9\x80", 0, 2, "unexpected continuation byte"},
        {"\xc3", 0, 0, "truncated sequence"},
        {"\xe2\x82", 0, 0, "truncated sequence"},
        {"\xc3"
         "A",
         0, 0, "missing continuation byte"},
        {"\xe2\x82"
         "A",
         0, 0, "missing continuation byte"},
        {"x\xf0\x9f\x98"
         "A",
         0, 1, "missing continuation byte"},
        {"\xc3\xc3\xa9", 0, 0, "missing continuation byte"},
        {"\xc3\0", 2, 0, "missing continuation byte"},
        {"abcdefghij\xc3\xa9\xc3\xa9\xed\xa0\x80", 0, 14,
         "surrogate code point"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const char *why;
        size_t at = utf8_check(cases[i].bytes, case_len(&cases[i]), &why);

        if (at != cases[i].index || strcmp(why, cases[i].why) != 0)
            fail_msg("case %zu: got %zu \"%s\", expected %zu \"%s\"", i, at,
                     at < case_len(&cases[i]) ? why : "(valid)", cases[i].index,
                     cases[i].why);
    }
}

/* A 4-byte sequence cut after 1, 2 and 3 bytes at the end of the input,
 * behind ASCII runs long and short enough to go through both paths. */
static void test_utf8_truncated_at_end(void **state)
{
    static const char emoji[] = "\xf0\x9f\x98\x80"; /* U+1F600 */
    static const char euro[] = "\xe2\x82\xac";      /* U+20AC */

    (void)state;
    for (size_t lead = 0; lead < 20; lead++) {
        char text[32];

        memset(text, 'a', lead);
        for (size_t cut = 1; cut < 4; cut++) {
            const char *why;

            memcpy(text + lead, emoji, cut);
            assert_int_equal(utf8_check(text, lead + cut, &why), lead);
            assert_string_equal(why, "truncated sequence");
        }
        for (size_t cut = 1; cut < 3; cut++) {
            const char *why;

            memcpy(text + lead, euro, cut);
            assert_int_equal(utf8_check(text, lead + cut, &why), lead);
            assert_string_equal(why, "truncated sequence");
        }
        memcpy(text + lead, emoji, 4);
        {
            const char *why;
            assert_int_equal(utf8_check(text, lead + 4, &why), lead + 4);
        }
    }
}

/* One bad byte in a long ASCII string, at every position: the fast path
 * must hand back its exact index, not the start of its 8-byte block. */
static void test_utf8_bad_byte_every_position(void **state)
{
    static const struct {
        unsigned char byte;
        const char *why;
    } bad[] = {
        {0xff, "invalid byte 0xff"},
        {0x80, "unexpected continuation byte"},
        {0xc0, "overlong encoding"},
        {0xc3, "missing continuation byte"},
    };

    (void)state;
    for (size_t b = 0; b < sizeof bad / sizeof *bad; b++) {
        for (size_t pos = 0; pos <= 40; pos++) {
            char text[48];
            const char *why;

            memset(text, 'x', sizeof text);
            text[pos] = (char)bad[b].byte;
            assert_int_equal(utf8_check(text, sizeof text, &why), pos);
            assert_string_equal(why, bad[b].why);
        }
    }
}

/* A valid multi-byte character at every position of an ASCII string, and
 * strings of mixed content: the copy must be exact wherever the blocks of
 * the fast path start and end. */
static void test_utf8_copy_every_alignment(void **state)
{
    static const char *const chars[] = {"\xc3\xa9", "\xe2\x82\xac",
                                        "\xf0\x9f\x98\x80"};

    (void)state;
    for (size_t c = 0; c < 3; c++) {
        size_t n = strlen(chars[c]);
        for (size_t pos = 0; pos <= 40; pos++) {
            char text[48];
            const char *why;

            memset(text, 'y', sizeof text);
            memcpy(text + pos, chars[c], n);
            assert_int_equal(utf8_check(text, sizeof text, &why), sizeof text);
        }
    }
}

/* A long string of ASCII runs of many lengths, NULs and characters of
 * every length, in an irregular order: the copy must be exact. */
static void test_utf8_long_mixed_copy(void **state)
{
    static const char *const pieces[] = {
        "abc",          "\xc3\xa9",         "0123456789",       "",
        "\xe2\x82\xac", "\xf4\x8f\xbf\xbf", "ABCDEFGHIJKLMNOPQ"};
    char text[4096];
    size_t len = 0;
    const char *why;

    (void)state;
    for (size_t i = 0; len + 20 < sizeof text; i++) {
        size_t k = (i * 5 + i / 3) % 7;

        if (k == 3) { /* "" stands for a NUL byte */
            text[len++] = '\0';
        } else {
            memcpy(text + len, pieces[k], strlen(pieces[k]));
            len += strlen(pieces[k]);
        }
    }
    assert_int_equal(utf8_check(text, len, &why), len);
}

/* A validator written from the code point arithmetic rather than from the
 * byte table: decode, then reject values below the minimum for the length,
 * surrogates and values above U+10FFFF. Returns the index of the first bad
 * sequence, or n. */
static size_t reference_utf8(const unsigned char *s, size_t n)
{
    static const uint32_t min[5] = {0, 0, 0x80, 0x800, 0x10000};
    size_t i = 0;

    while (i < n) {
        size_t need;
        uint32_t cp;

        if (s[i] < 0x80) {
            i++;
            continue;
        }
        if ((s[i] & 0xe0) == 0xc0)
            need = 2, cp = s[i] & 0x1fu;
        else if ((s[i] & 0xf0) == 0xe0)
            need = 3, cp = s[i] & 0x0fu;
        else if ((s[i] & 0xf8) == 0xf0)
            need = 4, cp = s[i] & 0x07u;
        else
            return i;
        if (n - i < need) return i;
        for (size_t k = 1; k < need; k++) {
            if ((s[i + k] & 0xc0) != 0x80) return i;
            cp = cp << 6 | (s[i + k] & 0x3fu);
        }
        if (cp < min[need] || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
            return i;
        i += need;
    }
    return n;
}

static void compare_with_reference(const unsigned char *s, size_t n)
{
    const char *why = NULL;
    size_t got = nfb__utf8_copy(NULL, (const char *)s, n, &why);
    size_t want = reference_utf8(s, n);

    if (got != want)
        fail_msg("%02x %02x %02x %02x (len %zu): got %zu, expected %zu", s[0],
                 n > 1 ? s[1] : 0, n > 2 ? s[2] : 0, n > 3 ? s[3] : 0, n, got,
                 want);
    if (got < n && why == NULL)
        fail_msg("no reason for %02x %02x", s[0], n > 1 ? s[1] : 0);
}

/* All 1- and 2-byte inputs; 3- and 4-byte inputs with every first and
 * second byte and the later bytes taken from the edges of each class
 * (ASCII, continuation, lead), since only their class matters. */
static void test_utf8_against_reference(void **state)
{
    static const unsigned char edges[] = {0x00, 0x7f, 0x80, 0x8f, 0x90,
                                          0xbf, 0xc0, 0xf4, 0xff};
    const size_t ne = sizeof edges;

    (void)state;
    for (unsigned a = 0; a < 256; a++) {
        for (unsigned b = 0; b < 256; b++) {
            unsigned char s[4] = {(unsigned char)a, (unsigned char)b, 0, 0};

            compare_with_reference(s, 1);
            compare_with_reference(s, 2);
            for (size_t c = 0; c < ne; c++) {
                s[2] = edges[c];
                compare_with_reference(s, 3);
                for (size_t d = 0; d < ne; d++) {
                    s[3] = edges[d];
                    compare_with_reference(s, 4);
                }
            }
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_datetime_values),
        cmocka_unit_test(test_datetime_fraction),
        cmocka_unit_test(test_datetime_rejects),
        cmocka_unit_test(test_datetime_month_lengths),
        cmocka_unit_test(test_datetime_days_are_contiguous),
        cmocka_unit_test(test_datetime_grid),
        cmocka_unit_test(test_datetime_prefixes),
        cmocka_unit_test(test_datetime_embedded_nul),
        cmocka_unit_test(test_datetime_without_buffer),
        cmocka_unit_test(test_size_valid),
        cmocka_unit_test(test_size_rejects),
        cmocka_unit_test(test_utf8_valid),
        cmocka_unit_test(test_utf8_all_ascii),
        cmocka_unit_test(test_utf8_rejects),
        cmocka_unit_test(test_utf8_truncated_at_end),
        cmocka_unit_test(test_utf8_bad_byte_every_position),
        cmocka_unit_test(test_utf8_copy_every_alignment),
        cmocka_unit_test(test_utf8_long_mixed_copy),
        cmocka_unit_test(test_utf8_against_reference),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
