/* fuzz_datetime: the RFC 3339 checker (nfb__parse_datetime, private)
 * against an oracle written here from RFC 3339 section 5.6 alone.
 *
 * The oracle reads the fixed-width fields by position, then lets the C
 * library judge the calendar: the fields go through timegm and back
 * through gmtime_r, and a date or time that does not exist (30 February,
 * hour 24, month 13) comes back different. Second 60 is checked with the
 * leap second rule (only where the time taken to UTC is 23:59) and counts
 * as the next second.
 *
 * Byte 0 picks how the rest makes the text: with its low bit clear the
 * rest is the text itself; with it set, the rest is a recipe for a
 * near-valid date-time (fields in and just out of range, leap seconds at
 * and off 23:59 UTC, offsets, fractions of every length, a few byte
 * edits), which reaches every check far more often than raw bytes do. */
#define _DEFAULT_SOURCE /* timegm, gmtime_r */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/check.h"
#include "fuzz.h"

/* ---- the oracle ------------------------------------------------------- */

typedef struct expect {
    int64_t unix_seconds;
    uint32_t nanoseconds;
    int offset_minutes;
} expect;

static bool num(const char *s, size_t len, size_t at, size_t n, int *v)
{
    *v = 0;
    if (at + n > len) return false;
    for (size_t i = at; i < at + n; i++) {
        if (s[i] < '0' || s[i] > '9') return false;
        *v = *v * 10 + (s[i] - '0');
    }
    return true;
}

static bool is(const char *s, size_t len, size_t at, const char *set)
{
    return at < len && s[at] != 0 && strchr(set, s[at]) != NULL;
}

/* True when s is an RFC 3339 date-time; its value in *e. */
static bool oracle(const char *s, size_t len, expect *e)
{
    int Y, M, D, h, m, sec, oh = 0, om = 0;
    if (!num(s, len, 0, 4, &Y) || !is(s, len, 4, "-") ||
        !num(s, len, 5, 2, &M) || !is(s, len, 7, "-") ||
        !num(s, len, 8, 2, &D) || !is(s, len, 10, "Tt") ||
        !num(s, len, 11, 2, &h) || !is(s, len, 13, ":") ||
        !num(s, len, 14, 2, &m) || !is(s, len, 16, ":") ||
        !num(s, len, 17, 2, &sec))
        return false;
    size_t i = 19;
    uint32_t ns = 0;
    if (is(s, len, i, ".")) {
        size_t start = ++i;
        while (i < len && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == start) return false;
        for (size_t k = 0; k < 9; k++)
            ns = ns * 10 + (start + k < i ? (uint32_t)(s[start + k] - '0') : 0);
    }
    int sign = 0;
    if (is(s, len, i, "Zz")) {
        i++;
    } else if (is(s, len, i, "+-")) {
        sign = s[i] == '-' ? -1 : 1;
        if (!num(s, len, i + 1, 2, &oh) || !is(s, len, i + 3, ":") ||
            !num(s, len, i + 4, 2, &om))
            return false;
        if (oh > 23 || om > 59) return false;
        i += 6;
    } else {
        return false;
    }
    if (i != len) return false;
    int off = sign * (oh * 60 + om);

    struct tm t = {0}, back;
    t.tm_year = Y - 1900;
    t.tm_mon = M - 1;
    t.tm_mday = D;
    t.tm_hour = h;
    t.tm_min = m;
    t.tm_sec = sec == 60 ? 59 : sec;
    time_t tt = timegm(&t);
    FUZZ_CHECK(gmtime_r(&tt, &back) != NULL);
    if (back.tm_year != Y - 1900 || back.tm_mon != M - 1 || back.tm_mday != D ||
        back.tm_hour != h || back.tm_min != m ||
        back.tm_sec != (sec == 60 ? 59 : sec))
        return false;
    if (sec == 60 && ((h * 60 + m - off) % 1440 + 1440) % 1440 != 1439)
        return false;
    e->unix_seconds = (int64_t)tt + (sec == 60) - (int64_t)off * 60;
    e->nanoseconds = ns;
    e->offset_minutes = off;
    return true;
}

/* ---- building a near-valid date-time from the input ------------------- */

typedef struct src {
    const uint8_t *p;
    size_t n;
} src;

static unsigned take(src *s)
{
    if (!s->n) return 0;
    s->n--;
    return *s->p++;
}

static size_t build(src *in, char *out, size_t cap)
{
    static const int years[] = {1970, 2000, 2100, 1900, 2024, 2021,
                                0,    9999, 1600, 1969, 2023, 2400};
    char buf[128];
    size_t n = 0;
    unsigned sel = take(in);
    int year = sel & 1 ? years[(sel >> 1) % 12]
                       : (int)((take(in) << 8 | take(in)) % 10000);
    int month = (int)(take(in) % 14);
    int day = (int)(take(in) % 33);
    int hour = (int)(take(in) % 26);
    int minute = (int)(take(in) % 61);
    int second = (int)(take(in) % 62);
    unsigned fr = take(in) % 16;
    unsigned zone = take(in);
    int oh = (int)(take(in) % 26), om = (int)(take(in) % 62);

    /* Leap seconds: 23:59:60 taken to UTC, through the written offset. */
    if (sel & 0x80) {
        int off = (zone & 4 ? -1 : 1) * (oh % 24 * 60 + om % 60);
        int local = ((23 * 60 + 59 + off) % 1440 + 1440) % 1440;
        hour = local / 60, minute = local % 60, second = 60;
        if (sel & 0x40) minute = (minute + 1) % 60; /* one minute off */
    }
    const char *t = (sel & 0x20)                    ? "t"
                    : (sel & 0x10) && (zone & 0x80) ? " "
                                                    : "T";
    n = (size_t)snprintf(buf, sizeof buf, "%04d-%02d-%02d%s%02d:%02d:%02d",
                         year, month, day, t, hour, minute, second);
    if (fr) {
        buf[n++] = '.';
        for (unsigned k = 1; k < fr; k++)
            buf[n++] = (char)('0' + take(in) % 10);
    }
    switch (zone & 7) {
    case 0:
        buf[n++] = 'Z';
        break;
    case 1:
        buf[n++] = 'z';
        break;
    case 2:
    case 3:
    case 4:
    case 5:
        n += (size_t)snprintf(buf + n, sizeof buf - n, "%c%02d:%02d",
                              zone & 4 ? '-' : '+', oh, om);
        break;
    case 6:
        break; /* no offset */
    default:
        buf[n++] = (char)take(in);
        break;
    }
    /* A few edits: replace, insert or delete one byte. */
    for (unsigned edits = take(in) % 4; edits > 0 && n > 0; edits--) {
        unsigned op = take(in);
        size_t at = take(in) % (n + 1);
        char c = (char)take(in);
        if ((op & 3) == 0 && at < n) {
            buf[at] = c;
        } else if ((op & 3) == 1 && n < sizeof buf) {
            memmove(buf + at + 1, buf + at, n - at);
            buf[at] = c, n++;
        } else if ((op & 3) == 2 && at < n) {
            memmove(buf + at, buf + at + 1, n - at - 1);
            n--;
        }
    }
    if (n > cap) n = cap;
    memcpy(out, buf, n);
    return n;
}

/* ---- the target ------------------------------------------------------- */

static void check_reason(const char *why, const char *buf, size_t buflen)
{
    FUZZ_CHECK(why != NULL && why[0] != 0);
    if (why >= buf && why < buf + buflen)
        FUZZ_CHECK(memchr(buf, 0, buflen) != NULL);
    FUZZ_CHECK(fuzz_utf8_ok((const unsigned char *)why, strlen(why)));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char text[256];
    size_t len;
    if (size == 0) return 0;
    src in = {data + 1, size - 1};
    if (data[0] & 1) {
        len = build(&in, text, sizeof text);
    } else {
        len = in.n < sizeof text ? in.n : sizeof text;
        memcpy(text, in.p, len);
    }

    /* An exact-size copy: a read past the end is caught by ASan. */
    char *s = malloc(len ? len : 1);
    FUZZ_CHECK(s != NULL);
    memcpy(s, text, len);

    expect e;
    bool valid = oracle(s, len, &e);
    nfb_time t;
    char buf[128];
    size_t buflen = data[0] & 2 ? (size_t)(data[0] >> 2) % 8 : sizeof buf;
    memset(&t, 0xa5, sizeof t);
    const char *why = nfb__parse_datetime(s, len, &t, buf, buflen);
    if (valid != (why == NULL)) {
        fprintf(stderr, "\"%.*s\": oracle says %s, checker says %s\n", (int)len,
                s, valid ? "valid" : "invalid", why ? why : "valid");
        FUZZ_CHECK(!"the checker agrees with the oracle");
    }
    if (valid) {
        FUZZ_CHECK(t.text.ptr == s && t.text.len == len);
        if (t.unix_seconds != e.unix_seconds ||
            t.nanoseconds != e.nanoseconds ||
            t.offset_minutes != e.offset_minutes) {
            fprintf(stderr,
                    "\"%.*s\": got %lld s %u ns %+d min, expected %lld s "
                    "%u ns %+d min\n",
                    (int)len, s, (long long)t.unix_seconds, t.nanoseconds,
                    t.offset_minutes, (long long)e.unix_seconds, e.nanoseconds,
                    e.offset_minutes);
            FUZZ_CHECK(!"the value agrees with the oracle");
        }
    } else {
        check_reason(why, buf, buflen);
    }
    /* The verdict does not depend on the reason's buffer or on out. */
    FUZZ_CHECK((nfb__parse_datetime(s, len, NULL, NULL, 0) == NULL) == valid);
    free(s);
    return 0;
}
