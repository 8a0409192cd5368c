/* nfbackup stats: audit figures over a stream of records, in one pass and
 * constant memory. Counts are exact; the size total is kept in 128 bits;
 * duration percentiles come from a fixed log-linear histogram.
 *
 * The duration histogram. A duration is a signed count of nanoseconds
 * (completedAt - createdAt, in 128 bits: years 0000..9999 apart do not fit
 * 64). Its magnitude m >= 1 falls in octave k = floor(log2 m), split into
 * SUB = 2^SUB_BITS equal sub-buckets of width w = 2^k / SUB: [lo, lo + w).
 * A bucket is reported as one value inside it, so at most w from any value
 * counted in it; every such value is at least 2^k = SUB w, so the relative
 * error is below 1 / SUB = 1/256 (0.39%), stated as 0.4%. Within the bucket
 * the value with the fewest significant digits is taken, the one nearest
 * the middle among those: a bucket holding exactly 5 s reads 5, not
 * 5.0081. (Where w <= 1 the bucket holds one integer: it is exact.) The
 * maximum is exact; a percentile is also clamped to the exact minimum and
 * maximum. Negative durations (a completedAt before createdAt, a lint
 * warning) have their own histogram, and zero its own count. Percentiles
 * are nearest-rank: the p-th percentile of n durations is the
 * ceil(p n / 100)-th smallest. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "wide.h"

enum {
    N_STATUS = NFB_STATUS_COUNT,
    N_SOURCE = NFB_SOURCE_TYPE_COUNT,
    N_COMPRESSION = NFB_COMPRESSION_COUNT,
    SUB_BITS = 8,
    SUB = 1 << SUB_BITS,
    OCTAVES = 72, /* 2^72 ns is about 150,000 years */
    BUCKETS = OCTAVES * SUB
};

/* A copy of a timestamp's text, with its instant. */
typedef struct instant {
    int set;
    int64_t sec;
    uint32_t ns;
    char *text;
    size_t len, cap;
} instant;

struct stats {
    uint64_t records;
    int has_duplicates; /* --unique */
    uint64_t duplicates;
    uint64_t status[N_STATUS];
    uint64_t source[N_SOURCE + 1]; /* the last: no source type */
    uint64_t compression[N_COMPRESSION + 1];
    wide size_total;
    uint64_t size_min, size_max;
    instant first, last;
    uint64_t durations, zero;
    wide dmin, dmax; /* signed */
    uint64_t pos[BUCKETS], neg[BUCKETS];
    uint64_t restores;
    uint64_t restore_status[N_STATUS];
    stats_extra *x; /* stats_html.c: per day, list pages, the page */
};

stats *stats_new(void)
{
    stats *s = calloc(1, sizeof(stats));
    if (s && !(s->x = extra_new())) {
        free(s);
        return NULL;
    }
    return s;
}

int stats_page(void *ctx, const nfb_list_page *p)
{
    return extra_page(((stats *)ctx)->x, p);
}

int stats_applied(stats *s, const char *text)
{
    return extra_applied(s->x, text);
}

int stats_describe(stats *s, const filter *f, char **paths, int n)
{
    return extra_describe(s->x, f, paths, n);
}

void stats_free(stats *s)
{
    if (!s) return;
    extra_free(s->x);
    free(s->first.text);
    free(s->last.text);
    free(s);
}

void stats_set_duplicates(stats *s, uint64_t n)
{
    s->has_duplicates = 1;
    s->duplicates = n;
}

static int keep(instant *in, const nfb_time *t)
{
    if (t->text.len > in->cap) {
        size_t cap = t->text.len < 64 ? 64 : t->text.len;
        char *p = realloc(in->text, cap);
        if (!p) return -1;
        in->text = p, in->cap = cap;
    }
    memcpy(in->text, t->text.ptr, t->text.len);
    in->len = t->text.len;
    in->sec = t->unix_seconds, in->ns = t->nanoseconds;
    in->set = 1;
    return 0;
}

static int before(const nfb_time *t, const instant *in)
{
    return t->unix_seconds < in->sec ||
           (t->unix_seconds == in->sec && t->nanoseconds < in->ns);
}

static int after(const nfb_time *t, const instant *in)
{
    return t->unix_seconds > in->sec ||
           (t->unix_seconds == in->sec && t->nanoseconds > in->ns);
}

/* The bucket of a magnitude m >= 1. */
static size_t bucket_of(wide m)
{
    int k = wide_log2(m);
    wide rest = wide_sub(m, wide_shl(wide_u64(1), k));
    size_t sub = (size_t)wide_low(k >= SUB_BITS ? wide_shr(rest, k - SUB_BITS)
                                                : wide_shl(rest, SUB_BITS - k));
    size_t i = (size_t)k * SUB + sub;
    return i < BUCKETS ? i : BUCKETS - 1;
}

/* The value a bucket stands for (see the top of the file). */
static wide bucket_value(size_t i)
{
    int k = (int)(i / SUB);
    size_t sub = i % SUB;
    wide one = wide_u64(1);
    if (k < SUB_BITS)
        return wide_add(wide_shl(one, k), wide_u64(sub >> (SUB_BITS - k)));
    wide w = wide_shl(one, k - SUB_BITS);
    wide lo = wide_add(wide_shl(one, k), wide_mul(wide_u64(sub), w));
    wide hi = wide_add(lo, w), mid = wide_add(lo, wide_shr(w, 1));
    wide best = mid, q = mid; /* q = floor(mid / p) */
    /* A bucket without a multiple of p has none of 10 p either. */
    for (wide p = wide_u64(10); wide_cmp(p, hi) <= 0;
         p = wide_mul(p, wide_u64(10))) {
        wide_divmod(&q, 10);
        /* The multiple of p nearest the middle, then into [lo, hi). */
        wide c = wide_mul(q, p);
        if (wide_cmp(wide_shl(wide_sub(mid, c), 1), p) >= 0) c = wide_add(c, p);
        if (wide_cmp(c, lo) < 0) c = wide_add(c, p);
        if (wide_cmp(c, hi) >= 0) c = wide_sub(c, p);
        if (wide_cmp(c, lo) < 0 || wide_cmp(c, hi) >= 0) break;
        best = c;
    }
    return best;
}

int stats_add(stats *s, const nfb_backup *b)
{
    if (extra_add(s->x, b) != 0) return -1;
    s->records++;
    s->status[b->status]++;
    s->source[b->config.has_source_type ? (int)b->config.source_type
                                        : N_SOURCE]++;
    s->compression[b->config.has_compression_type
                       ? (int)b->config.compression_type
                       : N_COMPRESSION]++;
    uint64_t size = b->config.size;
    s->size_total = wide_add(s->size_total, wide_u64(size));
    if (s->records == 1 || size < s->size_min) s->size_min = size;
    if (s->records == 1 || size > s->size_max) s->size_max = size;

    const nfb_time *c = &b->created_at;
    if (!s->first.set || before(c, &s->first))
        if (keep(&s->first, c) != 0) return -1;
    if (!s->last.set || after(c, &s->last))
        if (keep(&s->last, c) != 0) return -1;

    if (b->has_completed_at) {
        /* Years 0000..9999 apart: seconds fit 64 bits, nanoseconds not. */
        wide d = wide_add(
            wide_mul(wide_i64(b->completed_at.unix_seconds - c->unix_seconds),
                     wide_u64(1000000000)),
            wide_i64((int64_t)b->completed_at.nanoseconds - c->nanoseconds));
        if (s->durations == 0 || wide_scmp(d, s->dmin) < 0) s->dmin = d;
        if (s->durations == 0 || wide_scmp(d, s->dmax) > 0) s->dmax = d;
        s->durations++;
        int sign = wide_scmp(d, wide_u64(0));
        if (sign > 0)
            s->pos[bucket_of(d)]++;
        else if (sign < 0)
            s->neg[bucket_of(wide_neg(d))]++;
        else
            s->zero++;
    }
    if (b->has_last_restore) {
        s->restores++;
        s->restore_status[b->last_restore.status]++;
    }
    return 0;
}

/* The nearest-rank percentile p (0 < p <= 100), clamped to the exact
 * extremes. Only called when there are durations. */
static wide percentile(const stats *s, unsigned p)
{
    /* ceil(n p / 100) without overflow: n = 100 a + b. */
    uint64_t n = s->durations;
    uint64_t rank = n / 100 * p + (n % 100 * p + 99) / 100, seen = 0;
    wide v = s->dmax;
    int found = 0;
    for (size_t i = BUCKETS; i-- > 0 && !found;)
        if ((seen += s->neg[i]) >= rank)
            v = wide_neg(bucket_value(i)), found = 1;
    if (!found && (seen += s->zero) >= rank) v = wide_u64(0), found = 1;
    for (size_t i = 0; i < BUCKETS && !found; i++)
        if ((seen += s->pos[i]) >= rank) v = bucket_value(i), found = 1;
    if (wide_scmp(v, s->dmin) < 0) v = s->dmin;
    if (wide_scmp(v, s->dmax) > 0) v = s->dmax;
    return v;
}

/* Nanoseconds as seconds: "-12.5", "3600", "0.000000001". */
static void seconds_text(wide ns, char *buf, size_t len)
{
    wide m = wide_abs(ns);
    unsigned frac = (unsigned)wide_divmod(&m, 1000000000);
    char whole[48];
    const char *w = wide_text(m, whole, sizeof whole);
    int n = snprintf(buf, len, "%s%s", wide_negative(ns) ? "-" : "", w);
    if (frac && n > 0 && (size_t)n < len) {
        char f[16];
        snprintf(f, sizeof f, "%09u", frac);
        size_t fl = strlen(f);
        while (fl > 0 && f[fl - 1] == '0')
            f[--fl] = '\0';
        snprintf(buf + n, len - (size_t)n, ".%s", f);
    }
}

static void json_counts(FILE *m, const uint64_t *counts, int n,
                        const char *(*name_of)(int), const char *extra)
{
    int first = 1;
    fputc('{', m);
    for (int i = 0; i < n; i++) {
        if (!counts[i]) continue;
        fprintf(m, "%s\"%s\":%llu", first ? "" : ",",
                i < n - (extra != NULL) ? name_of(i) : extra,
                (unsigned long long)counts[i]);
        first = 0;
    }
    fputc('}', m);
}

static const char *status_name(int i)
{
    return nfb_status_name((nfb_status)i);
}
static const char *source_name(int i)
{
    return nfb_source_type_name((nfb_source_type)i);
}
static const char *compression_name(int i)
{
    return nfb_compression_name((nfb_compression)i);
}

static const unsigned pcts[3] = {50, 90, 99};

static void write_json(const stats *s, const nfb_reader_stats *rs, FILE *m)
{
    char a[48], b[48], c[48];
    fprintf(m,
            "{\"records\":%llu,\"documents\":%llu,\"errors\":%llu,"
            "\"warnings\":%llu,",
            (unsigned long long)s->records, (unsigned long long)rs->documents,
            (unsigned long long)rs->errors, (unsigned long long)rs->warnings);
    if (s->has_duplicates)
        fprintf(m, "\"duplicates\":%llu,", (unsigned long long)s->duplicates);
    fputs("\"status\":", m);
    json_counts(m, s->status, N_STATUS, status_name, NULL);
    fputs(",\"sourceType\":", m);
    json_counts(m, s->source, N_SOURCE + 1, source_name, "none");
    fputs(",\"compressionType\":", m);
    json_counts(m, s->compression, N_COMPRESSION + 1, compression_name, "none");
    fprintf(m, ",\"size\":{\"total\":\"%s\"",
            wide_text(s->size_total, a, sizeof a));
    if (s->records)
        fprintf(m, ",\"min\":\"%llu\",\"max\":\"%llu\"}",
                (unsigned long long)s->size_min,
                (unsigned long long)s->size_max);
    else
        fputs(",\"min\":null,\"max\":null}", m);
    /* Timestamps were checked as RFC 3339: nothing in them needs escaping. */
    if (s->records)
        fprintf(m, ",\"createdAt\":{\"first\":\"%.*s\",\"last\":\"%.*s\"}",
                (int)s->first.len, s->first.text, (int)s->last.len,
                s->last.text);
    else
        fputs(",\"createdAt\":{\"first\":null,\"last\":null}", m);
    if (s->durations) {
        seconds_text(percentile(s, pcts[0]), a, sizeof a);
        seconds_text(percentile(s, pcts[1]), b, sizeof b);
        seconds_text(percentile(s, pcts[2]), c, sizeof c);
        fprintf(m, ",\"duration\":{\"p50\":%s,\"p90\":%s,\"p99\":%s,", a, b, c);
        seconds_text(s->dmax, a, sizeof a);
        fprintf(m, "\"max\":%s}", a);
    } else {
        fputs(",\"duration\":{\"p50\":null,\"p90\":null,\"p99\":null,"
              "\"max\":null}",
              m);
    }
    fprintf(m, ",\"lastRestore\":{\"count\":%llu,\"status\":",
            (unsigned long long)s->restores);
    json_counts(m, s->restore_status, N_STATUS, status_name, NULL);
    uint64_t pages, next, incomplete;
    extra_pages(s->x, &pages, &next, &incomplete);
    fprintf(m,
            "},\"listPages\":{\"count\":%llu,\"hasNextPage\":%llu,"
            "\"incomplete\":%llu,\"incompleteInputs\":[",
            (unsigned long long)pages, (unsigned long long)next,
            (unsigned long long)incomplete);
    for (int i = 0; extra_incomplete(s->x, i); i++) {
        if (i) fputc(',', m);
        extra_json_str(m, extra_incomplete(s->x, i));
    }
    fputs("]}}\n", m);
}

/* The text table: rows of a label, a value and a note, aligned. */
typedef struct row {
    int indent;
    const char *label;
    char value[48];
    char note[48];
    const char *text; /* a value too long for value[] (a timestamp) */
    size_t text_len;
} row;

enum { MAX_ROWS = 64 };

typedef struct table {
    row rows[MAX_ROWS];
    int n;
} table;

static row *add_row(table *t, int indent, const char *label)
{
    row *r = &t->rows[t->n++];
    memset(r, 0, sizeof *r);
    r->indent = indent;
    r->label = label;
    return r;
}

static void share(char *buf, size_t len, uint64_t part, uint64_t whole)
{
    if (whole)
        snprintf(buf, len, "%5.1f%%", 100.0 * (double)part / (double)whole);
}

static void count_rows(table *t, const uint64_t *counts, int n,
                       const char *(*name_of)(int), const char *extra,
                       uint64_t whole)
{
    for (int i = 0; i < n; i++) {
        if (!counts[i]) continue;
        row *r = add_row(t, 2, i < n - (extra != NULL) ? name_of(i) : extra);
        snprintf(r->value, sizeof r->value, "%llu",
                 (unsigned long long)counts[i]);
        share(r->note, sizeof r->note, counts[i], whole);
    }
}

/* Bytes for people: "1.5 GiB". */
static void human_size(char *buf, size_t len, wide v)
{
    static const char *const units[] = {"B",   "KiB", "MiB", "GiB", "TiB",
                                        "PiB", "EiB", "ZiB", "YiB"};
    double x = wide_double(v);
    int u = 0;
    while (x >= 1024 && u < 8)
        x /= 1024, u++;
    if (u == 0)
        snprintf(buf, len, "%d B", (int)wide_low(v));
    else
        snprintf(buf, len, "%.1f %s", x, units[u]);
}

/* Seconds for people: "1h 02m 03s", "2d 04h 00m". */
static void human_duration(char *buf, size_t len, wide ns)
{
    wide m = wide_abs(ns);
    wide_divmod(&m, 1000000000);
    unsigned long long s = wide_low(m);
    const char *sign = wide_negative(ns) ? "-" : "";
    if (s >= 86400)
        snprintf(buf, len, "%s%llud %02lluh %02llum", sign, s / 86400,
                 s % 86400 / 3600, s % 3600 / 60);
    else if (s >= 3600)
        snprintf(buf, len, "%s%lluh %02llum %02llus", sign, s / 3600,
                 s % 3600 / 60, s % 60);
    else if (s >= 60)
        snprintf(buf, len, "%s%llum %02llus", sign, s / 60, s % 60);
}

static void write_text(const stats *s, const nfb_reader_stats *rs, FILE *m)
{
    table tab, *t = &tab;
    t->n = 0;
    row *r;
    char buf[48];
    r = add_row(t, 0, "records");
    snprintf(r->value, sizeof r->value, "%llu", (unsigned long long)s->records);
    r = add_row(t, 0, "documents");
    snprintf(r->value, sizeof r->value, "%llu",
             (unsigned long long)rs->documents);
    r = add_row(t, 0, "errors");
    snprintf(r->value, sizeof r->value, "%llu", (unsigned long long)rs->errors);
    r = add_row(t, 0, "warnings");
    snprintf(r->value, sizeof r->value, "%llu",
             (unsigned long long)rs->warnings);
    if (s->has_duplicates) {
        r = add_row(t, 0, "duplicates");
        snprintf(r->value, sizeof r->value, "%llu",
                 (unsigned long long)s->duplicates);
    }

    if (s->records) {
        add_row(t, 0, "status");
        count_rows(t, s->status, N_STATUS, status_name, NULL, s->records);
        add_row(t, 0, "source type");
        count_rows(t, s->source, N_SOURCE + 1, source_name, "none", s->records);
        add_row(t, 0, "compression type");
        count_rows(t, s->compression, N_COMPRESSION + 1, compression_name,
                   "none", s->records);

        add_row(t, 0, "size (bytes)");
        r = add_row(t, 2, "total");
        snprintf(r->value, sizeof r->value, "%s",
                 wide_text(s->size_total, buf, sizeof buf));
        human_size(r->note, sizeof r->note, s->size_total);
        r = add_row(t, 2, "min");
        snprintf(r->value, sizeof r->value, "%llu",
                 (unsigned long long)s->size_min);
        human_size(r->note, sizeof r->note, wide_u64(s->size_min));
        r = add_row(t, 2, "max");
        snprintf(r->value, sizeof r->value, "%llu",
                 (unsigned long long)s->size_max);
        human_size(r->note, sizeof r->note, wide_u64(s->size_max));

        add_row(t, 0, "createdAt");
        r = add_row(t, 2, "first");
        r->text = s->first.text, r->text_len = s->first.len;
        r = add_row(t, 2, "last");
        r->text = s->last.text, r->text_len = s->last.len;
    }
    if (s->durations) {
        static const char *const names[3] = {"p50", "p90", "p99"};
        r = add_row(t, 0, "duration (seconds)");
        snprintf(r->value, sizeof r->value, "%llu",
                 (unsigned long long)s->durations);
        snprintf(r->note, sizeof r->note, "records with completedAt");
        for (int i = 0; i < 4; i++) {
            wide v = i < 3 ? percentile(s, pcts[i]) : s->dmax;
            r = add_row(t, 2, i < 3 ? names[i] : "max");
            seconds_text(v, r->value, sizeof r->value);
            human_duration(r->note, sizeof r->note, v);
        }
    }
    r = add_row(t, 0, "lastRestore");
    snprintf(r->value, sizeof r->value, "%llu",
             (unsigned long long)s->restores);
    count_rows(t, s->restore_status, N_STATUS, status_name, NULL, s->restores);
    uint64_t pages, next, incomplete;
    extra_pages(s->x, &pages, &next, &incomplete);
    if (pages) {
        r = add_row(t, 0, "list pages");
        snprintf(r->value, sizeof r->value, "%llu", (unsigned long long)pages);
        r = add_row(t, 2, "hasNextPage");
        snprintf(r->value, sizeof r->value, "%llu", (unsigned long long)next);
        r = add_row(t, 2, "incomplete");
        snprintf(r->value, sizeof r->value, "%llu",
                 (unsigned long long)incomplete);
        if (incomplete)
            snprintf(r->note, sizeof r->note, "possibly incomplete");
    }

    /* Labels left-aligned; numbers right-aligned in one column, notes
     * after it; a timestamp starts where that column starts. */
    int lw = 0, vw = 0;
    for (int i = 0; i < t->n; i++) {
        r = &t->rows[i];
        int l = r->indent + (int)strlen(r->label);
        int v = (int)strlen(r->value);
        if (l > lw) lw = l;
        if (!r->text && v > vw) vw = v;
    }
    for (int i = 0; i < t->n; i++) {
        r = &t->rows[i];
        int pad = lw - r->indent - (int)strlen(r->label) + 2;
        fprintf(m, "%*s%s", r->indent, "", r->label);
        if (r->text) {
            fprintf(m, "%*s%.*s", pad, "", (int)r->text_len, r->text);
        } else if (r->value[0]) {
            fprintf(m, "%*s%*s", pad, "", vw, r->value);
            if (r->note[0]) fprintf(m, "  %s", r->note);
        }
        fputc('\n', m);
    }
    /* The inputs that end on a page after which the API has more. */
    for (int i = 0; extra_incomplete(s->x, i); i++)
        fprintf(m,
                "possibly incomplete: %s: its last list page says "
                "hasNextPage: true\n",
                extra_incomplete(s->x, i));
    if (incomplete > EXTRA_NAMES)
        fprintf(m, "possibly incomplete: %llu more inputs\n",
                (unsigned long long)(incomplete - EXTRA_NAMES));
}

/* The figures as write_json writes them, for the page. */
static void figures(const stats *s, const nfb_reader_stats *rs, stats_fig *f)
{
    memset(f, 0, sizeof *f);
    f->rs = rs;
    f->records = s->records, f->durations = s->durations;
    f->restores = s->restores;
    f->has_duplicates = s->has_duplicates, f->duplicates = s->duplicates;
    memcpy(f->status, s->status, sizeof f->status);
    memcpy(f->restore_status, s->restore_status, sizeof f->restore_status);
    memcpy(f->source, s->source, sizeof f->source);
    memcpy(f->compression, s->compression, sizeof f->compression);
    char buf[48];
    snprintf(f->size_total, sizeof f->size_total, "%s",
             wide_text(s->size_total, buf, sizeof buf));
    if (s->records) {
        snprintf(f->size_min, sizeof f->size_min, "%llu",
                 (unsigned long long)s->size_min);
        snprintf(f->size_max, sizeof f->size_max, "%llu",
                 (unsigned long long)s->size_max);
        f->first = s->first.text, f->first_len = s->first.len;
        f->last = s->last.text, f->last_len = s->last.len;
    }
    if (s->durations) {
        for (int i = 0; i < 3; i++)
            seconds_text(percentile(s, pcts[i]), f->pct[i], sizeof f->pct[i]);
        seconds_text(s->dmax, f->pct[3], sizeof f->pct[3]);
    }
}

nfb_result stats_write(const stats *s, const nfb_reader_stats *rs, int view,
                       nfb_write_fn write, void *ctx)
{
    char *text = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&text, &len);
    if (!m) return NFB_ENOMEM;
    if (view == STATS_HTML) {
        stats_fig f;
        figures(s, rs, &f);
        extra_html(s->x, &f, m);
    } else if (view == STATS_JSON) {
        write_json(s, rs, m);
    } else {
        write_text(s, rs, m);
    }
    int failed = ferror(m);
    if (fclose(m) != 0 || failed) {
        free(text);
        return NFB_ENOMEM;
    }
    int rc = write(ctx, text, len);
    free(text);
    return rc == 0 ? NFB_OK : NFB_EWRITE;
}
