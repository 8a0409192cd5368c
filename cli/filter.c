/* Record filters of convert and stats: --status, --source-type, --since and
 * --until. A filter only decides which valid records go on; diagnostics and
 * their counts are never filtered. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cli.h"

enum {
    N_STATUS = NFB_STATUS_COUNT,
    N_SOURCE = NFB_SOURCE_TYPE_COUNT,
    NO_SOURCE_BIT = 1u << N_SOURCE /* --source-type none */
};

/* 'unknown status "x"; statuses: ...' into err: the valid names, from the
 * library. */
static int bad_name(char *err, size_t errlen, const char *option,
                    const char *what, const char *item, size_t len,
                    const char *(*name_of)(int), int extra_none)
{
    int n = snprintf(err, errlen, "%s: unknown %s \"%.*s\"; %s:", option, what,
                     (int)len, item, extra_none ? "source types" : "statuses");
    for (int i = 0; n >= 0 && (size_t)n < errlen; i++) {
        const char *name = name_of(i);
        if (!name) break;
        n += snprintf(err + n, errlen - (size_t)n, " %s", name);
    }
    if (extra_none && n >= 0 && (size_t)n < errlen)
        snprintf(err + n, errlen - (size_t)n, " none");
    return -1;
}

static const char *status_name(int i)
{
    return nfb_status_name((nfb_status)i);
}

static const char *source_name(int i)
{
    return nfb_source_type_name((nfb_source_type)i);
}

/* The index of name in the library's list of enum names, in any case
 * (FAILED is failed), or -1. */
static int find_name(const char *item, size_t len, const char *(*name_of)(int))
{
    const char *name;
    for (int i = 0; (name = name_of(i)) != NULL; i++)
        if (strlen(name) == len && strncasecmp(name, item, len) == 0) return i;
    return -1;
}

static int is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* A comma-separated list of enum names into a bit set (added to *bits, so
 * that a repeated option widens the choice). Blanks around a name are
 * left out ("failed, aborted"). */
static int parse_list(const char *arg, unsigned *bits, const char *option,
                      const char *what, const char *(*name_of)(int),
                      unsigned none_bit, char *err, size_t errlen)
{
    const char *p = arg;
    for (;;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        while (len && is_blank(*p))
            p++, len--;
        while (len && is_blank(p[len - 1]))
            len--;
        int i = find_name(p, len, name_of);
        if (i >= 0)
            *bits |= 1u << i;
        else if (none_bit && len == 4 && strncasecmp(p, "none", 4) == 0)
            *bits |= none_bit;
        else
            return bad_name(err, errlen, option, what, p, len, name_of,
                            none_bit != 0);
        if (!end) return 0;
        p = end + 1;
    }
}

static int is_leap(long y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int month_days(long y, int m)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30,
                                 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/* Days since 1970-01-01 of a proleptic Gregorian date: eras of 400 years
 * that start in March, so that the leap day ends a year. */
static int64_t days_since_epoch(long y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
}

/* n digits at s, or -1. */
static long digits(const char *s, int n)
{
    long v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

/* An RFC 3339 date-time (as the reader accepts it: T or t, Z, z or
 * +hh:mm/-hh:mm, a fraction of any length truncated to nanoseconds, second
 * 60 only at 23:59 UTC, where it counts as the next second), or a plain
 * date YYYY-MM-DD meaning its 00:00:00Z. Returns 0 or -1. */
static int parse_instant(const char *s, int64_t *sec, uint32_t *ns)
{
    size_t len = strlen(s);
    long y, mo, d, h = 0, mi = 0, se = 0;
    long off = 0;
    uint32_t frac = 0;
    if (len < 10 || (y = digits(s, 4)) < 0 || s[4] != '-' ||
        (mo = digits(s + 5, 2)) < 1 || mo > 12 || s[7] != '-' ||
        (d = digits(s + 8, 2)) < 1 || d > month_days(y, (int)mo))
        return -1;
    if (len > 10) {
        const char *t = s + 10;
        if ((*t != 'T' && *t != 't') || len < 20 ||
            (h = digits(t + 1, 2)) < 0 || h > 23 || t[3] != ':' ||
            (mi = digits(t + 4, 2)) < 0 || mi > 59 || t[6] != ':' ||
            (se = digits(t + 7, 2)) < 0 || se > 60)
            return -1;
        const char *p = t + 9;
        if (*p == '.') {
            int n = 0;
            for (p++; *p >= '0' && *p <= '9'; p++, n++)
                if (n < 9) frac = frac * 10 + (uint32_t)(*p - '0');
            if (n == 0) return -1;
            for (; n < 9; n++)
                frac *= 10;
        }
        if ((*p == 'Z' || *p == 'z') && p[1] == '\0') {
            off = 0;
        } else if ((*p == '+' || *p == '-') && strlen(p) == 6 && p[3] == ':') {
            long oh = digits(p + 1, 2), om = digits(p + 4, 2);
            if (oh < 0 || oh > 23 || om < 0 || om > 59) return -1;
            off = (*p == '-' ? -1 : 1) * (oh * 60 + om);
        } else {
            return -1;
        }
        long utc = ((h * 60 + mi - off) % 1440 + 1440) % 1440;
        if (se == 60 && utc != 23 * 60 + 59) return -1;
    }
    *sec = days_since_epoch(y, (int)mo, (int)d) * 86400 + h * 3600 + mi * 60 +
           se - off * 60;
    *ns = frac;
    return 0;
}

int filter_option(filter *f, int which, const char *arg, char *err,
                  size_t errlen)
{
    f->active = 1;
    switch (which) {
    case FILTER_STATUS:
        return parse_list(arg, &f->statuses, "--status", "status", status_name,
                          0, err, errlen);
    case FILTER_SOURCE_TYPE:
        return parse_list(arg, &f->source_types, "--source-type", "source type",
                          source_name, NO_SOURCE_BIT, err, errlen);
    default: {
        int since = which == FILTER_SINCE;
        int64_t sec;
        uint32_t ns;
        if (parse_instant(arg, &sec, &ns) != 0) {
            snprintf(err, errlen,
                     "%s: expected an RFC 3339 date-time "
                     "(2021-01-20T11:19:53.175Z, 2021-01-20T12:19:53+01:00) "
                     "or a date (2021-01-20), found \"%s\"",
                     since ? "--since" : "--until", arg);
            return -1;
        }
        if (since)
            f->has_since = 1, f->since_sec = sec, f->since_ns = ns;
        else
            f->has_until = 1, f->until_sec = sec, f->until_ns = ns;
        return 0;
    }
    }
}

int filter_check(const filter *f, char *err, size_t errlen)
{
    if (f->has_since && f->has_until &&
        (f->since_sec > f->until_sec ||
         (f->since_sec == f->until_sec && f->since_ns >= f->until_ns))) {
        snprintf(err, errlen,
                 "expected --since before --until, found an empty range");
        return -1;
    }
    return 0;
}

int filter_match(const filter *f, const nfb_backup *b)
{
    if (f->statuses && !(f->statuses & (1u << b->status))) return 0;
    if (f->source_types) {
        unsigned bit = b->config.has_source_type ? 1u << b->config.source_type
                                                 : (unsigned)NO_SOURCE_BIT;
        if (!(f->source_types & bit)) return 0;
    }
    const nfb_time *t = &b->created_at;
    if (f->has_since &&
        (t->unix_seconds < f->since_sec ||
         (t->unix_seconds == f->since_sec && t->nanoseconds < f->since_ns)))
        return 0;
    if (f->has_until &&
        (t->unix_seconds > f->until_sec ||
         (t->unix_seconds == f->until_sec && t->nanoseconds >= f->until_ns)))
        return 0;
    return 1;
}
