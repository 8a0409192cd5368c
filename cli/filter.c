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

/* An RFC 3339 date-time, as the reader accepts it (nfb_datetime_parse:
 * the calendar checked, a leap second counting as the next second), or a
 * plain date YYYY-MM-DD meaning its 00:00:00Z. Returns 0 or -1. */
static int parse_instant(const char *s, int64_t *sec, uint32_t *ns)
{
    char day[sizeof "YYYY-MM-DDT00:00:00Z"];
    size_t len = strlen(s);
    nfb_time t;
    if (len == 10) {
        memcpy(day, s, 10);
        memcpy(day + 10, "T00:00:00Z", sizeof "T00:00:00Z");
        s = day, len = sizeof day - 1;
    }
    if (nfb_datetime_parse(s, len, &t, NULL, 0) != NULL) return -1;
    *sec = t.unix_seconds;
    *ns = t.nanoseconds;
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
