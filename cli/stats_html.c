/* nfbackup stats: what its views keep beyond the figures of stats.c, and
 * the HTML page (stats --to html).
 *
 * Memory is bounded whatever the input's length: counts per UTC day (per
 * status, and bytes) over the days between the first and last createdAt
 * seen, given up for counts per month when that span passes MAX_DAYS; the
 * same for lastRestore.restoreTimestamp; a duration histogram of fixed
 * bins; the TABLE_CAP latest failed and aborted backups; the names of the
 * first EXTRA_NAMES inputs and incomplete inputs.
 *
 * The page is one file that loads nothing: its style is inline, its
 * charts are inline SVG, and it has no script. Every text from the input
 * (names, ids, file names) is escaped for HTML. Its figures are those of
 * stats --to json, each in an element with a data-key naming its JSON
 * path ("status.failed"), so that they can be checked. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

enum {
    NS = STATS_NSTATUS,
    MAX_DAYS = 3700,  /* about ten years of days, then months */
    MAX_BARS = 120,   /* bars of a chart: units are merged past it */
    TABLE_CAP = 50,   /* failed and aborted backups listed */
    MAX_APPLIED = 32, /* lines of "what was applied" */
    TEXT_CAP = 200    /* bytes kept of a name or an id */
};

/* Counts per unit (a day or a month) between lo and lo + n - 1. */
typedef struct series {
    int64_t lo;
    size_t n;
    uint64_t (*count)[NS];
    double *bytes;
} series;

typedef struct timeline {
    series day, month;
    int no_days; /* the span passed MAX_DAYS: months only */
    uint64_t total;
} timeline;

typedef struct failed_row {
    int64_t sec;
    uint32_t ns;
    int status;
    char id[TEXT_CAP + 1], name[TEXT_CAP + 1], created[64];
} failed_row;

/* The duration bins: upper bounds in seconds (the last is open). */
static const double bin_hi[] = {0,    1,     10,    60,     600,
                                3600, 21600, 86400, 604800, 1e300};
static const char *const bin_label[] = {
    "< 0",      "0-1 s", "1-10 s", "10 s-1 m", "1-10 m",
    "10 m-1 h", "1-6 h", "6-24 h", "1-7 d",    "> 7 d"};
enum { BINS = sizeof bin_hi / sizeof bin_hi[0] };

struct stats_extra {
    timeline created, restored;
    uint64_t bins[BINS];
    failed_row *failed;
    size_t nfailed;
    uint64_t failed_total;
    /* list pages */
    uint64_t pages, pages_next, incomplete;
    char *cur_input; /* the input of the last page, and whether it said */
    int cur_next;    /* more pages follow */
    char *incomplete_names[EXTRA_NAMES];
    /* the header */
    char *applied[MAX_APPLIED];
    int napplied;
    char *inputs[EXTRA_NAMES];
    int ninputs_kept;
    uint64_t ninputs;
};

stats_extra *extra_new(void)
{
    return calloc(1, sizeof(stats_extra));
}

static void series_free(series *s)
{
    free(s->count);
    free(s->bytes);
    memset(s, 0, sizeof *s);
}

void extra_free(stats_extra *x)
{
    if (!x) return;
    series_free(&x->created.day);
    series_free(&x->created.month);
    series_free(&x->restored.day);
    series_free(&x->restored.month);
    free(x->failed);
    free(x->cur_input);
    for (int i = 0; i < EXTRA_NAMES; i++)
        free(x->incomplete_names[i]), free(x->inputs[i]);
    for (int i = 0; i < x->napplied; i++)
        free(x->applied[i]);
    free(x);
}

/* ---- counting ---------------------------------------------------------- */

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* The civil date of a day count since 1970-01-01 (Howard Hinnant's
 * days_from_civil inverted). */
static void civil(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = floor_div(z, 146097);
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

/* Makes room for unit u in s; -1 when out of memory. */
static int series_reach(series *s, int64_t u)
{
    if (s->n && u >= s->lo && u < s->lo + (int64_t)s->n) return 0;
    int64_t lo = s->n ? (u < s->lo ? u : s->lo) : u;
    int64_t hi =
        s->n ? (u >= s->lo + (int64_t)s->n ? u : s->lo + (int64_t)s->n - 1) : u;
    size_t n = (size_t)(hi - lo + 1), shift = s->n ? (size_t)(s->lo - lo) : 0;
    uint64_t(*c)[NS] = calloc(n, sizeof *c);
    double *b = calloc(n, sizeof *b);
    if (!c || !b) {
        free(c), free(b);
        return -1;
    }
    if (s->n) {
        memcpy(c + shift, s->count, s->n * sizeof *c);
        memcpy(b + shift, s->bytes, s->n * sizeof *b);
    }
    free(s->count), free(s->bytes);
    s->count = c, s->bytes = b, s->lo = lo, s->n = n;
    return 0;
}

static int series_add(series *s, int64_t u, int status, double bytes)
{
    if (series_reach(s, u) != 0) return -1;
    s->count[u - s->lo][status]++;
    s->bytes[u - s->lo] += bytes;
    return 0;
}

static int timeline_add(timeline *t, int64_t sec, int status, double bytes)
{
    int64_t day = floor_div(sec, 86400), y;
    unsigned m, d;
    civil(day, &y, &m, &d);
    if (series_add(&t->month, y * 12 + (m - 1), status, bytes) != 0) return -1;
    t->total++;
    if (t->no_days) return 0;
    int64_t lo = t->day.n && day > t->day.lo ? t->day.lo : day;
    int64_t hi = t->day.n && day < t->day.lo + (int64_t)t->day.n - 1
                     ? t->day.lo + (int64_t)t->day.n - 1
                     : day;
    if (hi - lo >= MAX_DAYS) {
        series_free(&t->day);
        t->no_days = 1;
        return 0;
    }
    return series_add(&t->day, day, status, bytes);
}

static void copy_text(char *dst, const char *s, size_t len)
{
    if (len > TEXT_CAP) len = TEXT_CAP;
    memcpy(dst, s, len);
    dst[len] = '\0';
}

static int later(int64_t sec, uint32_t ns, const failed_row *r)
{
    return sec > r->sec || (sec == r->sec && ns > r->ns);
}

int extra_add(stats_extra *x, const nfb_backup *b)
{
    const nfb_time *c = &b->created_at;
    if (timeline_add(&x->created, c->unix_seconds, (int)b->status,
                     (double)b->config.size) != 0)
        return -1;
    if (b->has_last_restore &&
        timeline_add(&x->restored,
                     b->last_restore.restore_timestamp.unix_seconds,
                     (int)b->last_restore.status, 0) != 0)
        return -1;
    if (b->has_completed_at) {
        double d = (double)(b->completed_at.unix_seconds - c->unix_seconds) +
                   ((double)b->completed_at.nanoseconds - c->nanoseconds) / 1e9;
        int i = 0;
        if (d < 0)
            i = 0;
        else
            for (i = 1; i < BINS - 1 && d >= bin_hi[i]; i++)
                ;
        x->bins[i]++;
    }
    if (b->status != NFB_STATUS_FAILED && b->status != NFB_STATUS_ABORTED)
        return 0;
    x->failed_total++;
    /* Keep the latest TABLE_CAP: a new one replaces the oldest kept. */
    failed_row *r;
    if (!x->failed && !(x->failed = calloc(TABLE_CAP, sizeof *x->failed)))
        return -1;
    if (x->nfailed < TABLE_CAP) {
        r = &x->failed[x->nfailed++];
    } else {
        r = &x->failed[0];
        for (size_t i = 1; i < x->nfailed; i++)
            if (later(r->sec, r->ns, &x->failed[i])) r = &x->failed[i];
        if (!later(c->unix_seconds, c->nanoseconds, r)) return 0;
    }
    r->sec = c->unix_seconds, r->ns = c->nanoseconds;
    r->status = (int)b->status;
    copy_text(r->id, b->id.ptr, b->id.len);
    copy_text(r->name, b->name.ptr, b->name.len);
    copy_text(r->created, c->text.ptr,
              c->text.len < sizeof r->created ? c->text.len
                                              : sizeof r->created - 1);
    return 0;
}

/* The input of the last page ends: counted when its last page said more
 * pages follow. */
static int end_input(stats_extra *x)
{
    if (!x->cur_input) return 0;
    if (x->cur_next) {
        if (x->incomplete < EXTRA_NAMES) {
            x->incomplete_names[x->incomplete] = x->cur_input;
            x->cur_input = NULL;
        }
        x->incomplete++;
    }
    free(x->cur_input);
    x->cur_input = NULL;
    return 0;
}

int extra_page(stats_extra *x, const nfb_list_page *p)
{
    x->pages++;
    if (p->has_next_page) x->pages_next++;
    if (!x->cur_input || strcmp(x->cur_input, p->input) != 0) {
        end_input(x);
        if (!(x->cur_input = strdup(p->input))) return -1;
    }
    x->cur_next = p->has_next_page;
    return 0;
}

void extra_pages(const stats_extra *x, uint64_t *pages, uint64_t *with_next,
                 uint64_t *incomplete)
{
    *pages = x->pages;
    *with_next = x->pages_next;
    *incomplete = x->incomplete + (x->cur_input && x->cur_next);
}

const char *extra_incomplete(const stats_extra *x, int i)
{
    if (i < 0 || i >= EXTRA_NAMES) return NULL;
    if ((uint64_t)i < x->incomplete) return x->incomplete_names[i];
    if ((uint64_t)i == x->incomplete && x->cur_input && x->cur_next)
        return x->cur_input;
    return NULL;
}

int extra_applied(stats_extra *x, const char *text)
{
    if (x->napplied == MAX_APPLIED) return 0;
    if (!(x->applied[x->napplied] = strdup(text))) return -1;
    x->napplied++;
    return 0;
}

/* An instant as RFC 3339 UTC text. */
static void utc_text(char *buf, size_t len, int64_t sec, uint32_t ns)
{
    int64_t day = floor_div(sec, 86400), y, t = sec - day * 86400;
    unsigned mo, d;
    civil(day, &y, &mo, &d);
    int n = snprintf(buf, len, "%04lld-%02u-%02uT%02d:%02d:%02d", (long long)y,
                     mo, d, (int)(t / 3600), (int)(t / 60 % 60), (int)(t % 60));
    if (ns && n > 0 && (size_t)n < len)
        n += snprintf(buf + n, len - (size_t)n, ".%09u", ns);
    if (n > 0 && (size_t)n < len) snprintf(buf + n, len - (size_t)n, "Z");
}

static void list_names(char *buf, size_t len, unsigned bits, int n,
                       const char *(*name)(int), const char *last)
{
    size_t at = strlen(buf);
    int first = 1;
    for (int i = 0; i < n && at < len; i++) {
        if (!(bits & (1u << i))) continue;
        at += (size_t)snprintf(buf + at, len - at, "%s%s", first ? "" : ",",
                               last && i == n - 1 ? last : name(i));
        first = 0;
    }
}

static const char *st_name(int i);
static const char *src_name(int i);

int extra_describe(stats_extra *x, const filter *f, char **paths, int n)
{
    char buf[256];
    if (f->statuses) {
        snprintf(buf, sizeof buf, "--status ");
        list_names(buf, sizeof buf, f->statuses, NS, st_name, NULL);
        if (extra_applied(x, buf) != 0) return -1;
    }
    if (f->source_types) {
        snprintf(buf, sizeof buf, "--source-type ");
        list_names(buf, sizeof buf, f->source_types, NFB_SOURCE_SAME_ADDON + 2,
                   src_name, "none");
        if (extra_applied(x, buf) != 0) return -1;
    }
    static const char *const opt[2] = {"--since ", "--until "};
    for (int k = 0; k < 2; k++) {
        if (!(k ? f->has_until : f->has_since)) continue;
        snprintf(buf, sizeof buf, "%s", opt[k]);
        utc_text(buf + 8, sizeof buf - 8, k ? f->until_sec : f->since_sec,
                 k ? f->until_ns : f->since_ns);
        if (extra_applied(x, buf) != 0) return -1;
    }
    x->ninputs = n > 0 ? (uint64_t)n : 0;
    for (int i = 0; i < n && i < EXTRA_NAMES; i++) {
        if (!(x->inputs[i] = strdup(paths[i]))) return -1;
        x->ninputs_kept = i + 1;
    }
    return 0;
}

/* ---- text -------------------------------------------------------------- */

/* The length of the UTF-8 sequence at s (of n bytes), 0 when invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t len = c < 0x80                ? 1
                 : c >= 0xC2 && c < 0xE0 ? 2
                 : c >= 0xE0 && c < 0xF0 ? 3
                 : c >= 0xF0 && c < 0xF5 ? 4
                                         : 0;
    if (!len || len > n) return 0;
    for (size_t i = 1; i < len; i++)
        if ((s[i] & 0xC0) != 0x80) return 0;
    if (c == 0xE0 && s[1] < 0xA0) return 0;  /* overlong */
    if (c == 0xED && s[1] >= 0xA0) return 0; /* surrogate */
    if (c == 0xF0 && s[1] < 0x90) return 0;  /* overlong */
    if (c == 0xF4 && s[1] >= 0x90) return 0; /* past U+10FFFF */
    return len;
}

void extra_json_str(FILE *m, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s);
    fputc('"', m);
    for (size_t i = 0; i < n;) {
        unsigned c = p[i];
        size_t l = utf8_len(p + i, n - i);
        if (!l) {
            fputs("\\ufffd", m);
            i++;
        } else if (c == '"' || c == '\\') {
            fputc('\\', m), fputc((int)c, m), i++;
        } else if (c < 0x20 || c == 0x7F) {
            fprintf(m, "\\u%04x", c), i++;
        } else {
            fwrite(p + i, 1, l, m), i += l;
        }
    }
    fputc('"', m);
}

/* Text for HTML, in an element or a quoted attribute: the markup
 * characters as references; a control character, or a byte that is not
 * UTF-8, as a visible \xHH. */
static void html_n(FILE *m, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        unsigned c = p[i];
        size_t l = utf8_len(p + i, n - i);
        if (!l || c < 0x20 || c == 0x7F) {
            fprintf(m, "\\x%02X", c), i++;
            continue;
        }
        switch (c) {
        case '&':
            fputs("&amp;", m);
            break;
        case '<':
            fputs("&lt;", m);
            break;
        case '>':
            fputs("&gt;", m);
            break;
        case '"':
            fputs("&quot;", m);
            break;
        case '\'':
            fputs("&#39;", m);
            break;
        default:
            fwrite(p + i, 1, l, m);
        }
        i += l;
    }
}

static void html(FILE *m, const char *s)
{
    html_n(m, s, strlen(s));
}

/* ---- charts ------------------------------------------------------------ */

static const char *const colors[NS] = {"#94a3b8", "#2563eb", "#16a34a",
                                       "#f59e0b", "#a16207", "#dc2626",
                                       "#7c3aed"};

/* A chart's bars: units of a series merged per bar. */
typedef struct bar {
    char label[32];
    uint64_t count[NS];
    uint64_t total;
    double bytes;
} bar;

typedef struct bars {
    bar *b;
    size_t n;
    const char *unit; /* "day", "week", "month" */
    size_t per;       /* units per bar */
} bars;

static void day_label(char *buf, size_t len, int64_t day)
{
    int64_t y;
    unsigned mo, d;
    civil(day, &y, &mo, &d);
    snprintf(buf, len, "%04lld-%02u-%02u", (long long)y, mo, d);
}

/* Day, week (from Monday) or month units over the timeline's range, then
 * merged so that there are at most MAX_BARS. NULL b: out of memory. */
static int make_bars(const timeline *t, bars *out)
{
    memset(out, 0, sizeof *out);
    if (!t->total) return 0;
    const series *s = t->no_days ? &t->month : &t->day;
    int week = 0;
    out->unit = t->no_days ? "month" : "day";
    if (!t->no_days && s->n > 92) week = 1, out->unit = "week";
    if (!t->no_days && s->n > 732) s = &t->month, week = 0, out->unit = "month";
    int days = s == &t->day;
    /* The units: for weeks, Monday-based (1970-01-01 was a Thursday). */
    int64_t u0 = days && week ? floor_div(s->lo + 3, 7) : s->lo;
    int64_t u1 = days && week ? floor_div(s->lo + (int64_t)s->n - 1 + 3, 7)
                              : s->lo + (int64_t)s->n - 1;
    size_t units = (size_t)(u1 - u0 + 1);
    out->per = (units + MAX_BARS - 1) / MAX_BARS;
    out->n = (units + out->per - 1) / out->per;
    out->b = calloc(out->n, sizeof *out->b);
    if (!out->b) return -1;
    for (size_t i = 0; i < s->n; i++) {
        int64_t v = s->lo + (int64_t)i;
        int64_t u = days && week ? floor_div(v + 3, 7) : v;
        bar *b = &out->b[(size_t)(u - u0) / out->per];
        for (int k = 0; k < NS; k++)
            b->count[k] += s->count[i][k], b->total += s->count[i][k];
        b->bytes += s->bytes[i];
    }
    for (size_t i = 0; i < out->n; i++) {
        int64_t u = u0 + (int64_t)(i * out->per);
        if (!days)
            snprintf(out->b[i].label, sizeof out->b[i].label, "%04lld-%02u",
                     (long long)floor_div(u, 12),
                     (unsigned)(u - floor_div(u, 12) * 12 + 1));
        else
            day_label(out->b[i].label, sizeof out->b[i].label,
                      week ? u * 7 - 3 : u);
    }
    return 0;
}

enum { W = 760, H = 200, LEFT = 56, BOTTOM = 24, TOP = 8 };

static void axis(FILE *m, double max, const char *what)
{
    fprintf(m,
            "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" class=\"ax\"/>"
            "<text x=\"%d\" y=\"%d\" class=\"t\" text-anchor=\"end\">%.4g%s"
            "</text><text x=\"%d\" y=\"%d\" class=\"t\" "
            "text-anchor=\"end\">0</text>\n",
            LEFT, H - BOTTOM, W, H - BOTTOM, LEFT - 4, TOP + 10, max, what,
            LEFT - 4, H - BOTTOM);
}

/* Stacked bars by status (bytes: one bar of bytes each). */
static void bar_chart(FILE *m, const bars *bs, const char *id, int bytes)
{
    double max = 0;
    for (size_t i = 0; i < bs->n; i++) {
        double v = bytes ? bs->b[i].bytes : (double)bs->b[i].total;
        if (v > max) max = v;
    }
    const char *scale = "";
    double div = 1;
    if (bytes) {
        static const char *const u[] = {" B",   " KiB", " MiB", " GiB",
                                        " TiB", " PiB", " EiB"};
        int k = 0;
        while (max / div >= 1024 && k < 6)
            div *= 1024, k++;
        scale = u[k];
    }
    fprintf(m,
            "<svg id=\"%s\" viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" "
            "role=\"img\" xmlns=\"http://www.w3.org/2000/svg\">\n",
            id, W, H, W, H);
    axis(m, max / div, scale);
    double slot = (double)(W - LEFT - 4) / (double)(bs->n ? bs->n : 1);
    double bw = slot > 3 ? slot - 2 : slot;
    double ph = H - BOTTOM - TOP;
    for (size_t i = 0; i < bs->n; i++) {
        const bar *b = &bs->b[i];
        double x = LEFT + 2 + slot * (double)i, y = H - BOTTOM;
        fprintf(m, "<g class=\"bar\" data-start=\"%s\" data-count=\"%llu\"",
                b->label, (unsigned long long)b->total);
        if (bytes) fprintf(m, " data-bytes=\"%.0f\"", b->bytes);
        fputs(">", m);
        if (bytes) {
            double h = max > 0 ? b->bytes / max * ph : 0;
            fprintf(m,
                    "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
                    "height=\"%.1f\" fill=\"#0e7490\"><title>%s: %.0f "
                    "bytes</title></rect>",
                    x, y - h, bw, h, b->label, b->bytes);
        } else {
            for (int k = 0; k < NS; k++) {
                if (!b->count[k]) continue;
                double h = (double)b->count[k] / max * ph;
                y -= h;
                fprintf(m,
                        "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
                        "height=\"%.1f\" fill=\"%s\"><title>%s: %llu "
                        "%s</title></rect>",
                        x, y, bw, h, colors[k], b->label,
                        (unsigned long long)b->count[k],
                        nfb_status_name((nfb_status)k));
            }
        }
        fputs("</g>\n", m);
    }
    if (bs->n) {
        fprintf(m,
                "<text x=\"%d\" y=\"%d\" class=\"t\">%s</text>"
                "<text x=\"%d\" y=\"%d\" class=\"t\" "
                "text-anchor=\"end\">%s</text>\n",
                LEFT, H - 6, bs->b[0].label, W, H - 6, bs->b[bs->n - 1].label);
    }
    fputs("</svg>\n", m);
}

static void legend(FILE *m, const uint64_t *counts, const char *key)
{
    fputs("<p class=\"legend\">", m);
    for (int k = 0; k < NS; k++) {
        if (!counts[k]) continue;
        const char *name = nfb_status_name((nfb_status)k);
        fprintf(m,
                "<span><i style=\"background:%s\"></i>%s "
                "<b data-key=\"%s.%s\">%llu</b></span> ",
                colors[k], name, key, name, (unsigned long long)counts[k]);
    }
    fputs("</p>\n", m);
}

static void chart_note(FILE *m, const bars *bs)
{
    if (bs->per > 1)
        fprintf(m, "<p class=\"note\">Each bar: %zu %ss from its date.</p>\n",
                bs->per, bs->unit);
    else
        fprintf(m, "<p class=\"note\">Each bar: one %s (UTC).</p>\n", bs->unit);
}

static void histogram(FILE *m, const stats_extra *x, const stats_fig *f)
{
    uint64_t max = 0;
    for (int i = 0; i < BINS; i++)
        if (x->bins[i] > max) max = x->bins[i];
    /* The bin of each percentile, marked under it. */
    int mark[3];
    for (int p = 0; p < 3; p++) {
        double v = f->pct[p][0] ? strtod(f->pct[p], NULL) : 0;
        int i = 0;
        if (v >= 0)
            for (i = 1; i < BINS - 1 && v >= bin_hi[i]; i++)
                ;
        mark[p] = f->pct[p][0] ? i : -1;
    }
    fprintf(m,
            "<svg id=\"durations\" viewBox=\"0 0 %d %d\" width=\"%d\" "
            "height=\"%d\" role=\"img\" "
            "xmlns=\"http://www.w3.org/2000/svg\">\n",
            W, H + 14, W, H + 14);
    axis(m, (double)max, "");
    double slot = (double)(W - LEFT - 4) / BINS, ph = H - BOTTOM - TOP;
    for (int i = 0; i < BINS; i++) {
        double h = max ? (double)x->bins[i] / (double)max * ph : 0;
        double xx = LEFT + 2 + slot * i;
        fprintf(m,
                "<g class=\"bin\" data-count=\"%llu\"><rect x=\"%.1f\" "
                "y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#0369a1\">"
                "<title>%s: %llu</title></rect><text x=\"%.1f\" y=\"%d\" "
                "class=\"t\" text-anchor=\"middle\">%s</text>",
                (unsigned long long)x->bins[i], xx, H - BOTTOM - h, slot - 4, h,
                bin_label[i], (unsigned long long)x->bins[i], xx + slot / 2,
                H - 8, bin_label[i]);
        static const char *const pn[3] = {"p50", "p90", "p99"};
        int any = 0;
        for (int p = 0; p < 3; p++) {
            if (mark[p] != i) continue;
            if (!any)
                fprintf(m,
                        "<text x=\"%.1f\" y=\"%d\" class=\"t pm\" "
                        "text-anchor=\"middle\">",
                        xx + slot / 2, H + 8);
            fprintf(m, "%s%s", any ? " " : "", pn[p]);
            any = 1;
        }
        if (any) fputs("</text>", m);
        fputs("</g>\n", m);
    }
    fputs("</svg>\n", m);
}

/* ---- the page ---------------------------------------------------------- */

static void figure(FILE *m, const char *label, const char *key,
                   const char *value)
{
    fprintf(m, "<tr><th>%s</th><td data-key=\"%s\">", label, key);
    html(m, value);
    fputs("</td></tr>\n", m);
}

static void figure_u(FILE *m, const char *label, const char *key, uint64_t v)
{
    char buf[24];
    snprintf(buf, sizeof buf, "%llu", (unsigned long long)v);
    figure(m, label, key, buf);
}

static void counts_rows(FILE *m, const char *key, const uint64_t *c, int n,
                        const char *(*name)(int), int has_none)
{
    char k[64], label[64];
    for (int i = 0; i < n; i++) {
        if (!c[i]) continue;
        const char *nm = has_none && i == n - 1 ? "none" : name(i);
        snprintf(k, sizeof k, "%s.%s", key, nm);
        snprintf(label, sizeof label, "&nbsp;&nbsp;%s", nm);
        figure_u(m, label, k, c[i]);
    }
}

static const char *st_name(int i)
{
    return nfb_status_name((nfb_status)i);
}
static const char *src_name(int i)
{
    return nfb_source_type_name((nfb_source_type)i);
}
static const char *cmp_name(int i)
{
    return nfb_compression_name((nfb_compression)i);
}

static const char style[] =
    "body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:"
    "800px;color:#1e293b;background:#fff}"
    "h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 "
    "6px;border-bottom:1px solid #e2e8f0}"
    "table{border-collapse:collapse}th,td{padding:2px 10px 2px "
    "0;white-space:nowrap;text-align:"
    "left;vertical-align:top}td[data-key]{text-align:right;font-variant-"
    "numeric:tabular-nums}"
    ".grid{display:grid;grid-template-columns:1fr 1fr;gap:0 24px}"
    ".warn{background:#fef3c7;border:1px solid #f59e0b;padding:8px 12px;"
    "border-radius:4px}"
    ".note,.meta{color:#64748b;font-size:12px}"
    ".legend span{margin-right:12px;white-space:nowrap}.legend i{display:"
    "inline-block;width:10px;height:10px;margin-right:4px}"
    "svg{max-width:100%;height:auto}.ax{stroke:#94a3b8}.t{font-size:11px;"
    "fill:#475569}.pm{fill:#b91c1c;font-weight:bold}"
    "table.rows td,table.rows th{border-bottom:1px solid #f1f5f9;text-align:"
    "left}code{font-size:12px}";

static void header(FILE *m, const stats_extra *x, const stats_fig *f,
                   uint64_t incomplete)
{
    fputs("<header><h1>Backup audit</h1>\n<p class=\"meta\">nfbackup ", m);
    html(m, nfb_version());
    fputs(" &middot; <code>nfbackup stats --to html</code></p>\n", m);
    fputs("<p><b>Inputs</b> (<span data-key=\"inputs\">", m);
    fprintf(m, "%llu</span>):", (unsigned long long)x->ninputs);
    for (int i = 0; i < x->ninputs_kept; i++) {
        fputs(i ? ", <code>" : " <code>", m);
        html(m, x->inputs[i]);
        fputs("</code>", m);
    }
    if (x->ninputs > (uint64_t)x->ninputs_kept)
        fprintf(m, " and %llu more",
                (unsigned long long)(x->ninputs - (uint64_t)x->ninputs_kept));
    fputs("</p>\n<p><b>Applied</b>: ", m);
    if (!x->napplied) fputs("nothing (every valid record)", m);
    for (int i = 0; i < x->napplied; i++) {
        fputs(i ? "; <code class=\"applied\">" : "<code class=\"applied\">", m);
        html(m, x->applied[i]);
        fputs("</code>", m);
    }
    fputs("</p>\n", m);
    if (f->has_duplicates)
        fprintf(m,
                "<p><b>Duplicates</b>: <span data-key=\"duplicates\">%llu"
                "</span> record%s folded into a later record of the same "
                "id (<code>--unique</code>: the last one read is counted)"
                "</p>\n",
                (unsigned long long)f->duplicates,
                f->duplicates == 1 ? "" : "s");
    if (incomplete) {
        fprintf(m,
                "<p class=\"warn\" id=\"incomplete\"><b>Possibly "
                "incomplete</b>: <span data-key=\"listPages.incomplete\">"
                "%llu</span> input%s end%s on a list page whose "
                "<code>pagination.hasNextPage</code> is true, with no later "
                "page:",
                (unsigned long long)incomplete, incomplete == 1 ? "" : "s",
                incomplete == 1 ? "s" : "");
        for (int i = 0; i < EXTRA_NAMES; i++) {
            const char *n = extra_incomplete(x, i);
            if (!n) break;
            fputs(i ? ", <code>" : " <code>", m);
            html(m, n);
            fputs("</code>", m);
        }
        fputs("</p>\n", m);
    }
    fputs("</header>\n", m);
}

void extra_html(const stats_extra *x, const stats_fig *f, FILE *m)
{
    uint64_t pages, next, incomplete;
    extra_pages(x, &pages, &next, &incomplete);
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
          "<meta name=\"viewport\" content=\"width=device-width\">"
          "<title>Backup audit</title><style>",
          m);
    fputs(style, m);
    fputs("</style></head><body>\n", m);
    header(m, x, f, incomplete);

    fputs("<h2>Figures</h2>\n<div class=\"grid\"><table id=\"figures\">\n", m);
    figure_u(m, "records", "records", f->records);
    figure_u(m, "documents", "documents", f->rs->documents);
    figure_u(m, "errors", "errors", f->rs->errors);
    figure_u(m, "warnings", "warnings", f->rs->warnings);
    fputs("<tr><th>status</th><td></td></tr>\n", m);
    counts_rows(m, "status", f->status, NS, st_name, 0);
    fputs("<tr><th>source type</th><td></td></tr>\n", m);
    counts_rows(m, "sourceType", f->source, NFB_SOURCE_SAME_ADDON + 2, src_name,
                1);
    fputs("<tr><th>compression type</th><td></td></tr>\n", m);
    counts_rows(m, "compressionType", f->compression, NFB_COMPRESSION_ZSTD + 2,
                cmp_name, 1);
    fputs("</table><table>\n<tr><th>size (bytes)</th><td></td></tr>\n", m);
    figure(m, "&nbsp;&nbsp;total", "size.total", f->size_total);
    if (f->records) {
        figure(m, "&nbsp;&nbsp;min", "size.min", f->size_min);
        figure(m, "&nbsp;&nbsp;max", "size.max", f->size_max);
        fputs("<tr><th>createdAt</th><td></td></tr>\n", m);
        fputs("<tr><th>&nbsp;&nbsp;first</th><td data-key=\"createdAt.first\">",
              m);
        html_n(m, f->first, f->first_len);
        fputs("</td></tr>\n<tr><th>&nbsp;&nbsp;last</th>"
              "<td data-key=\"createdAt.last\">",
              m);
        html_n(m, f->last, f->last_len);
        fputs("</td></tr>\n", m);
    }
    if (f->durations) {
        static const char *const pn[4] = {"p50", "p90", "p99", "max"};
        char k[32], label[48];
        fputs("<tr><th>duration (seconds)</th><td></td></tr>\n", m);
        for (int p = 0; p < 4; p++) {
            snprintf(k, sizeof k, "duration.%s", pn[p]);
            snprintf(label, sizeof label, "&nbsp;&nbsp;%s", pn[p]);
            figure(m, label, k, f->pct[p]);
        }
    }
    figure_u(m, "lastRestore", "lastRestore.count", f->restores);
    figure_u(m, "list pages", "listPages.count", pages);
    figure_u(m, "&nbsp;&nbsp;more pages follow", "listPages.hasNextPage", next);
    fputs("</table></div>\n", m);

    bars bs;
    fputs("<h2>Backups by createdAt</h2>\n", m);
    if (f->records && make_bars(&x->created, &bs) == 0 && bs.b) {
        legend(m, f->status, "status");
        bar_chart(m, &bs, "per-period", 0);
        chart_note(m, &bs);
        fputs("<h2>Size over time</h2>\n<p>Bytes of the backups created in "
              "each period.</p>\n",
              m);
        bar_chart(m, &bs, "size", 1);
        free(bs.b);
    } else {
        fputs("<p>No records.</p>\n", m);
    }

    fputs("<h2>Duration (createdAt to completedAt)</h2>\n", m);
    if (f->durations) {
        fprintf(m,
                "<p><span data-key=\"duration.count\">%llu</span> records "
                "with completedAt: p50 <b>%s</b> s, p90 <b>%s</b> s, p99 "
                "<b>%s</b> s, max <b>%s</b> s.</p>\n",
                (unsigned long long)f->durations, f->pct[0], f->pct[1],
                f->pct[2], f->pct[3]);
        histogram(m, x, f);
    } else {
        fputs("<p>No record has completedAt.</p>\n", m);
    }

    fputs("<h2>Restores (lastRestore.restoreTimestamp)</h2>\n", m);
    if (f->restores && make_bars(&x->restored, &bs) == 0 && bs.b) {
        legend(m, f->restore_status, "lastRestore.status");
        bar_chart(m, &bs, "restores", 0);
        chart_note(m, &bs);
        free(bs.b);
    } else {
        fputs("<p>No record has lastRestore.</p>\n", m);
    }

    fprintf(m,
            "<h2>Failed and aborted backups</h2>\n<p><span "
            "data-key=\"failedAborted\">%llu</span> in all",
            (unsigned long long)x->failed_total);
    if (x->failed_total > x->nfailed)
        fprintf(m, "; the %zu latest by createdAt are listed", x->nfailed);
    fputs(".</p>\n", m);
    if (x->nfailed) {
        /* Latest first. */
        size_t order[TABLE_CAP] = {0};
        for (size_t i = 0; i < x->nfailed; i++)
            order[i] = i;
        for (size_t i = 1; i < x->nfailed; i++)
            for (size_t j = i;
                 j > 0 && later(x->failed[order[j]].sec, x->failed[order[j]].ns,
                                &x->failed[order[j - 1]]);
                 j--) {
                size_t t = order[j];
                order[j] = order[j - 1], order[j - 1] = t;
            }
        fputs("<table class=\"rows\" id=\"failed\"><thead><tr><th>createdAt"
              "</th><th>status</th><th>id</th><th>name</th></tr></thead>"
              "<tbody>\n",
              m);
        for (size_t i = 0; i < x->nfailed; i++) {
            const failed_row *r = &x->failed[order[i]];
            fputs("<tr><td>", m);
            html(m, r->created);
            fprintf(m, "</td><td>%s</td><td><code>",
                    nfb_status_name((nfb_status)r->status));
            html(m, r->id);
            fputs("</code></td><td>", m);
            html(m, r->name);
            fputs("</td></tr>\n", m);
        }
        fputs("</tbody></table>\n", m);
    }
    fputs("<p class=\"note\">Every figure is that of <code>nfbackup stats "
          "--to json</code> on the same inputs; the charts count UTC "
          "days.</p>\n</body></html>\n",
          m);
}
