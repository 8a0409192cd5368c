/* fuzz_reader: arbitrary bytes into the streaming reader.
 *
 * The first HDR bytes of an input choose the reader's options and the
 * lengths of the chunks it is fed in, so that chunk boundaries are fuzzed
 * along with the bytes; the rest is the input text. Every chunk is handed
 * over in a heap block of exactly its length that is freed right after the
 * feed call: AddressSanitizer then catches a read past the chunk and any
 * pointer into it kept beyond the call.
 *
 *   byte 0   flags: F_STRICT, F_SMALL (the limits below), F_TWO (two
 *            inputs), F_STOP (a callback asks to stop), F_IMPLICIT (no
 *            nfb_reader_begin before the first feed), F_ONCE (no second
 *            reading, see below)
 *   byte 1   max_depth  = 1 + b % 32          (F_SMALL)
 *   byte 2   max_string = 1 + 2 b             (F_SMALL)
 *   byte 3   max_record = 1 + 16 b            (F_SMALL)
 *   byte 4   max_diags  = 1 + b % 8           (F_SMALL)
 *   byte 5   callbacks before the one that asks to stop (F_STOP)
 *   byte 6   where the text splits into two inputs, in 256ths (F_TWO)
 *   byte 7-9 chunk lengths, used in turn; 0 means all that is left
 *
 * A text with a UTF-16 or UTF-32 byte order mark is transcoded by the
 * reader: positions are then checked against its UTF-8, made here on its
 * own (transcode_whole).
 *
 * Every diagnostic and record is checked against the contracts of the
 * public headers; a broken one aborts. Unless F_ONCE is set, the same text
 * is then read again in one chunk per input, and both readings must give
 * the same diagnostics (every field) and the same records (compared as
 * normalized JSON): how the input is cut must never change the result. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <nfbackup/nfbackup.h>

#include "fuzz.h"

enum { HDR = 10 };

enum {
    F_STRICT = 1 << 0,
    F_SMALL = 1 << 1,
    F_TWO = 1 << 2,
    F_STOP = 1 << 3,
    F_IMPLICIT = 1 << 4,
    F_ONCE = 1 << 5
};

static int mem_write(void *ctx, const void *data, size_t len)
{
    fuzz_mem_put(ctx, data, len);
    return 0;
}

typedef struct run {
    nfb_reader *reader;
    bool strict;
    /* The current input after any byte order mark, for positions. */
    const char *name;
    const unsigned char *text;
    size_t text_len;
    size_t fed;      /* bytes of text fed so far */
    bool compressed; /* the text starts like gzip or zstd */
    bool transcoded; /* UTF-16 or UTF-32: text is its UTF-8 (own) */
    unsigned char *own;
    /* Stopping from a callback. */
    bool stop_enabled;
    unsigned stop_after;
    unsigned calls;
    bool stop_asked;
    /* What the callbacks saw. */
    uint64_t records, errors, warnings;
    fuzz_mem diags;    /* every field of every diagnostic, one a line */
    nfb_writer *json;  /* the records as normalized JSON... */
    fuzz_mem json_out; /* ...written here */
} run;

static void check_str(nfb_str s)
{
    FUZZ_CHECK(s.len == 0 || s.ptr != NULL);
    FUZZ_CHECK(fuzz_utf8_ok((const unsigned char *)s.ptr, s.len));
}

/* A C string of diagnostic text: valid UTF-8, one line. */
static void check_text(const char *s)
{
    FUZZ_CHECK(s != NULL);
    size_t n = strlen(s);
    FUZZ_CHECK(fuzz_utf8_ok((const unsigned char *)s, n));
    for (size_t i = 0; i < n; i++)
        FUZZ_CHECK((unsigned char)s[i] >= 0x20);
}

static void check_time(const nfb_time *t)
{
    FUZZ_CHECK(t->text.len >= 20); /* "YYYY-MM-DDThh:mm:ssZ" at least */
    check_str(t->text);
    FUZZ_CHECK(t->nanoseconds < 1000000000u);
    FUZZ_CHECK(t->offset_minutes > -24 * 60 && t->offset_minutes < 24 * 60);
}

/* The size as canonical decimal digits, recomputed. */
static void check_size(nfb_str text, uint64_t size)
{
    uint64_t v = 0;
    FUZZ_CHECK(text.len >= 1 && text.len <= 20);
    FUZZ_CHECK(text.len == 1 || text.ptr[0] != '0');
    for (size_t i = 0; i < text.len; i++) {
        unsigned d = (unsigned)(unsigned char)text.ptr[i] - '0';
        FUZZ_CHECK(d <= 9);
        FUZZ_CHECK(v <= (UINT64_MAX - d) / 10);
        v = v * 10 + d;
    }
    FUZZ_CHECK(v == size);
}

/* A few hundred bytes of gzip or zstd can hold megabytes of text, each
 * document a syntax error: an input stops itself at its LOG_MAX-th
 * record or diagnostic, so that time and memory follow the fuzzer's input
 * and not what it expands to. Both readings stop at the same one. */
enum { LOG_MAX = 4096 };

static int stop_here(run *r)
{
    FUZZ_CHECK(!r->stop_asked); /* no callback after a stop */
    unsigned k = r->calls++;
    if ((r->stop_enabled && k == r->stop_after) || k + 1 == LOG_MAX) {
        r->stop_asked = true;
        return 1;
    }
    return 0;
}

static int on_record(void *ctx, const nfb_backup *b)
{
    run *r = ctx;
    r->records++;
    FUZZ_CHECK(b != NULL);
    check_str(b->id);
    check_str(b->name);
    FUZZ_CHECK(nfb_status_name(b->status) != NULL);
    check_time(&b->created_at);
    if (b->has_completed_at) check_time(&b->completed_at);
    if (b->config.has_source_type) {
        FUZZ_CHECK(b->config.has_source);
        FUZZ_CHECK(nfb_source_type_name(b->config.source_type) != NULL);
    }
    check_size(b->config.size_text, b->config.size);
    if (b->config.has_addon_version) check_str(b->config.addon_version);
    if (b->config.has_compression_type)
        FUZZ_CHECK(nfb_compression_name(b->config.compression_type) != NULL);
    if (b->config.has_additional_destinations) {
        size_t n = b->config.additional_destinations_count;
        FUZZ_CHECK(n == 0 || b->config.additional_destinations != NULL);
        for (size_t i = 0; i < n; i++) {
            const nfb_destination *d = &b->config.additional_destinations[i];
            check_str(d->destination_id);
            if (d->has_retention_time) {
                check_str(d->retention_time);
                FUZZ_CHECK(d->retention_time.len > 0);
            }
        }
    } else {
        FUZZ_CHECK(b->config.additional_destinations_count == 0);
    }
    if (b->has_custom_destination_id) check_str(b->custom_destination_id);
    if (b->has_last_restore) {
        check_time(&b->last_restore.restore_timestamp);
        FUZZ_CHECK(nfb_status_name(b->last_restore.status) != NULL);
        if (b->last_restore.has_completed_at)
            check_time(&b->last_restore.completed_at);
    }
    FUZZ_CHECK(nfb_writer_record(r->json, b) == NFB_OK);
    return stop_here(r);
}

/* offset, line and column name the same place of the text fed so far. */
static void check_position(const run *r, const nfb_diag *d)
{
    FUZZ_CHECK(d->line >= 1 && d->column >= 1);
    FUZZ_CHECK(r->transcoded || d->offset <= r->fed);
    uint64_t line = 1, line_start = 0;
    for (uint64_t i = 0; i < d->offset; i++) {
        if (r->text[i] == '\n') line++, line_start = i + 1;
    }
    if (d->line != line || d->column != d->offset - line_start + 1) {
        fprintf(stderr,
                "diagnostic at offset %llu: %llu:%llu, expected "
                "%llu:%llu: %s\n",
                (unsigned long long)d->offset, (unsigned long long)d->line,
                (unsigned long long)d->column, (unsigned long long)line,
                (unsigned long long)(d->offset - line_start + 1), d->message);
        FUZZ_CHECK(!"line and column agree with the offset");
    }
}

static int on_diag(void *ctx, const nfb_diag *d)
{
    run *r = ctx;
    FUZZ_CHECK(d != NULL);
    FUZZ_CHECK(d->severity == NFB_WARNING || d->severity == NFB_ERROR);
    FUZZ_CHECK(d->code >= NFB_CODE_SYNTAX && d->code <= NFB_CODE_SECRET);
    FUZZ_CHECK(strcmp(nfb_code_name(d->code), "unknown") != 0);
    if (d->severity == NFB_ERROR)
        r->errors++;
    else
        r->warnings++;

    /* Severity follows from the code. */
    switch (d->code) {
    case NFB_CODE_UNKNOWN_FIELD:
        FUZZ_CHECK(d->severity == (r->strict ? NFB_ERROR : NFB_WARNING));
        break;
    case NFB_CODE_LINT:
    case NFB_CODE_SECRET: /* strict mode too */
        FUZZ_CHECK(d->severity == NFB_WARNING);
        break;
    case NFB_CODE_SYNTAX:
    case NFB_CODE_LIMIT:
        break;
    default:
        FUZZ_CHECK(d->severity == NFB_ERROR);
        break;
    }

    FUZZ_CHECK(d->input != NULL && strcmp(d->input, r->name) == 0);
    check_text(d->path);
    check_text(d->message);
    FUZZ_CHECK(d->message[0] != 0);

    /* gzip or zstd input: text positions are in the text it holds, and
     * damage in the stream is at line 0, at a byte of what was fed. */
    if (r->compressed) {
        FUZZ_CHECK((d->line == 0) == (d->column == 0));
        FUZZ_CHECK(d->line != 0 || d->offset <= r->fed);
    } else {
        check_position(r, d);
    }

    char head[160];
    int n =
        snprintf(head, sizeof head, "%s %d %d %llu %llu %llu %llu ", d->input,
                 (int)d->severity, (int)d->code,
                 (unsigned long long)d->document, (unsigned long long)d->offset,
                 (unsigned long long)d->line, (unsigned long long)d->column);
    fuzz_mem_put(&r->diags, head, (size_t)n);
    fuzz_mem_put(&r->diags, d->path, strlen(d->path));
    fuzz_mem_put(&r->diags, " | ", 3);
    fuzz_mem_put(&r->diags, d->message, strlen(d->message));
    fuzz_mem_put(&r->diags, "\n", 1);
    return stop_here(r);
}

/* Expected result of a call: stopped exactly when a callback asked. */
static void check_result(run *r, nfb_result res, bool *stopped)
{
    if (r->stop_asked) {
        FUZZ_CHECK(res == NFB_STOPPED);
        *stopped = true;
    } else {
        FUZZ_CHECK(res == NFB_OK);
    }
}

static size_t put_utf8(unsigned char *o, uint32_t c)
{
    if (c < 0x80) return o[0] = (unsigned char)c, 1;
    if (c < 0x800) {
        o[0] = (unsigned char)(0xC0 | c >> 6);
        o[1] = (unsigned char)(0x80 | (c & 0x3F));
        return 2;
    }
    if (c < 0x10000) {
        o[0] = (unsigned char)(0xE0 | c >> 12);
        o[1] = (unsigned char)(0x80 | (c >> 6 & 0x3F));
        o[2] = (unsigned char)(0x80 | (c & 0x3F));
        return 3;
    }
    o[0] = (unsigned char)(0xF0 | c >> 18);
    o[1] = (unsigned char)(0x80 | (c >> 12 & 0x3F));
    o[2] = (unsigned char)(0x80 | (c >> 6 & 0x3F));
    o[3] = (unsigned char)(0x80 | (c & 0x3F));
    return 4;
}

/* The UTF-8 text of an input with a UTF-16 or UTF-32 byte order mark, made
 * here on its own (the whole input at once) for the positions: a lone
 * surrogate, a UTF-32 value that is no character or a cut code unit is
 * U+FFFD, and a UTF-8 BOM at its start is not part of it. */
static void transcode_whole(run *r, const uint8_t *p, size_t n)
{
    size_t unit, mark;
    bool le;
    if (n >= 4 && p[0] == 0xFF && p[1] == 0xFE && p[2] == 0 && p[3] == 0)
        unit = 4, mark = 4, le = true;
    else if (n >= 4 && p[0] == 0 && p[1] == 0 && p[2] == 0xFE && p[3] == 0xFF)
        unit = 4, mark = 4, le = false;
    else if (n >= 2 && p[0] == 0xFF && p[1] == 0xFE)
        unit = 2, mark = 2, le = true;
    else if (n >= 2 && p[0] == 0xFE && p[1] == 0xFF)
        unit = 2, mark = 2, le = false;
    else
        return;
    unsigned char *o = malloc(2 * n + 8);
    FUZZ_CHECK(o != NULL);
    size_t k = 0, i = mark;
    uint32_t high = 0;
    for (; i + unit <= n; i += unit) {
        uint32_t u = 0;
        for (size_t b = 0; b < unit; b++)
            u |= (uint32_t)p[i + b] << (8 * (le ? b : unit - 1 - b));
        if (unit == 4) {
            bool bad = u > 0x10FFFF || (u >= 0xD800 && u <= 0xDFFF);
            k += put_utf8(o + k, bad ? 0xFFFD : u);
            continue;
        }
        if (high && u >= 0xDC00 && u <= 0xDFFF) {
            k += put_utf8(o + k,
                          0x10000 + ((high - 0xD800) << 10) + (u - 0xDC00));
            high = 0;
            continue;
        }
        if (high) k += put_utf8(o + k, 0xFFFD), high = 0;
        if (u >= 0xD800 && u <= 0xDBFF)
            high = u;
        else
            k += put_utf8(o + k, u >= 0xDC00 && u <= 0xDFFF ? 0xFFFD : u);
    }
    if (high) k += put_utf8(o + k, 0xFFFD);
    if (i < n) k += put_utf8(o + k, 0xFFFD);
    r->own = o;
    r->transcoded = true;
    r->text = o;
    r->text_len = k;
    if (k >= 3 && o[0] == 0xEF && o[1] == 0xBB && o[2] == 0xBF)
        r->text += 3, r->text_len -= 3;
}

/* Feeds one input in chunks. Returns when done or stopped. */
static void feed_input(run *r, const char *name, const uint8_t *p, size_t n,
                       const uint8_t chunks[3], bool implicit)
{
    static const unsigned char bom[3] = {0xef, 0xbb, 0xbf};
    bool stopped = false;

    r->name = implicit ? "<input>" : name;
    r->stop_asked = false;
    r->calls = 0;
    r->fed = 0;
    r->text = p;
    /* A gzip, zstd or zstd skippable-frame magic number at the start. */
    r->compressed = (n >= 2 && p[0] == 0x1f && p[1] == 0x8b) ||
                    (n >= 4 && p[1] == 0xb5 && p[2] == 0x2f && p[3] == 0xfd &&
                     p[0] == 0x28) ||
                    (n >= 4 && (p[0] & 0xf0) == 0x50 && p[1] == 0x2a &&
                     p[2] == 0x4d && p[3] == 0x18);
    r->text_len = n;
    bool has_bom = n >= 3 && memcmp(p, bom, 3) == 0;
    if (has_bom) r->text += 3, r->text_len -= 3;
    free(r->own);
    r->own = NULL;
    r->transcoded = false;
    if (!r->compressed) transcode_whole(r, p, n);

    if (!implicit) FUZZ_CHECK(nfb_reader_begin(r->reader, name) == NFB_OK);
    size_t pos = 0, k = 0;
    while (pos < n && !stopped) {
        size_t len = chunks[k++ % 3];
        if (len == 0 || len > n - pos) len = n - pos;
        unsigned char *copy = malloc(len);
        FUZZ_CHECK(copy != NULL);
        memcpy(copy, p + pos, len);
        pos += len;
        /* Positions can be checked up to what was fed. A BOM is not part
         * of the text; a cut BOM stays buffered until it is known. */
        r->fed = pos > 3 || !has_bom ? pos - (has_bom ? 3 : 0) : 0;
        nfb_result res = nfb_reader_feed(r->reader, copy, len);
        free(copy);
        check_result(r, res, &stopped);
    }
    if (stopped) {
        /* A stopped reader refuses input until the next begin. */
        FUZZ_CHECK(nfb_reader_feed(r->reader, "{}", 2) == NFB_ESTATE);
        FUZZ_CHECK(nfb_reader_finish(r->reader) == NFB_ESTATE);
        return;
    }
    r->fed = r->text_len;
    check_result(r, nfb_reader_finish(r->reader), &stopped);
}

/* Reads data (after the header h) with the chunk lengths given, checking
 * every invariant on the way, and leaves the logs in *r. */
static void read_all(run *r, const uint8_t h[HDR], const uint8_t *data,
                     size_t size, const uint8_t chunks[3])
{
    nfb_reader_config cfg;
    nfb_reader_config_init(&cfg);
    memset(r, 0, sizeof *r);
    r->strict = (h[0] & F_STRICT) != 0;
    r->stop_enabled = (h[0] & F_STOP) != 0;
    r->stop_after = h[5];
    cfg.flags = r->strict ? NFB_READ_STRICT : 0;
    if (h[0] & F_SMALL) {
        cfg.max_depth = 1 + h[1] % 32u;
        cfg.max_string = 1 + 2u * h[2];
        cfg.max_record = 1 + 16u * h[3];
        cfg.max_diags = 1 + h[4] % 8u;
    }
    cfg.on_record = on_record;
    cfg.on_diag = on_diag;
    cfg.ctx = r;
    r->reader = nfb_reader_new(&cfg, NULL);
    FUZZ_CHECK(r->reader != NULL);
    nfb_writer_options wo = {.size = sizeof wo};
    wo.write = mem_write;
    wo.ctx = &r->json_out;
    r->json = nfb_writer_new("json", &wo, NULL);
    FUZZ_CHECK(r->json != NULL);

    size_t split = size;
    if (h[0] & F_TWO) split = size * h[6] / 256;
    feed_input(r, "first", data, split, chunks, (h[0] & F_IMPLICIT) != 0);
    if (h[0] & F_TWO)
        feed_input(r, "second", data + split, size - split, chunks, false);

    nfb_reader_stats st;
    nfb_reader_stats_get(r->reader, &st);
    FUZZ_CHECK(st.records == r->records);
    FUZZ_CHECK(st.errors + st.warnings >= r->errors + r->warnings);
    FUZZ_CHECK(st.bytes <= size);
    nfb_reader_free(r->reader);
    FUZZ_CHECK(nfb_writer_end(r->json) == NFB_OK);
    nfb_writer_free(r->json);
}

static void run_free(run *r)
{
    free(r->own);
    free(r->diags.p);
    free(r->json_out.p);
}

static bool same(const fuzz_mem *a, const fuzz_mem *b)
{
    return a->n == b->n && (a->n == 0 || memcmp(a->p, b->p, a->n) == 0);
}

/* One line of a diagnostics log: "input severity code document offset
 * line column path | message". */
typedef struct logline {
    const char *p;
    size_t n;
    char input[64];
    int code;
    unsigned long long doc, line;
} logline;

static bool next_line(const fuzz_mem *m, size_t *pos, logline *l)
{
    if (*pos >= m->n) return false;
    l->p = m->p + *pos;
    const char *nl = memchr(l->p, '\n', m->n - *pos);
    l->n = (size_t)(nl - l->p);
    *pos += l->n + 1;
    int sev;
    unsigned long long off, col;
    FUZZ_CHECK(sscanf(l->p, "%63s %d %d %llu %llu %llu %llu", l->input, &sev,
                      &l->code, &l->doc, &off, &l->line, &col) == 7);
    return true;
}

/* Known difference, tolerated until the front end changes: a string token
 * cut by a chunk end after more than max_string + 2 of its bytes is
 * refused as too long (limit) before the rest of it is seen, while read in
 * one piece the same token is refused for what comes later in it (a
 * control character, a bad \u escape, a vertical tab, no ',' after it):
 * a syntax error on the same line. Either way that document is dropped
 * from the same place on, so everything else must still agree. When the
 * document's diagnostics are capped (max_diags), the cap's notice stands
 * in for either one, at its place: then the notices may differ in column.
 * Reproducers: fuzz/crashes/fuzz_reader/token-limit-or-syntax-*. */
static bool same_diags(const fuzz_mem *cut, const fuzz_mem *one)
{
    size_t i = 0, j = 0;
    logline a, b;
    for (;;) {
        bool ha = next_line(cut, &i, &a), hb = next_line(one, &j, &b);
        if (!ha || !hb) return ha == hb;
        if (a.n == b.n && memcmp(a.p, b.p, a.n) == 0) continue;
        if (strcmp(a.input, b.input) != 0 || a.doc != b.doc || a.line != b.line)
            return false;
        static const char capped[] = "| expected at most ";
        const char *ca = strstr(a.p, capped), *cb = strstr(b.p, capped);
        const char *per = ca ? strstr(ca, " per document") : NULL;
        size_t rest = ca ? a.n - (size_t)(ca - a.p) : 0;
        if (a.code == NFB_CODE_LIMIT && b.code == NFB_CODE_LIMIT && per &&
            per < a.p + a.n && cb && cb < b.p + b.n &&
            rest == b.n - (size_t)(cb - b.p) && memcmp(ca, cb, rest) == 0)
            continue;
        return false;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t whole[3] = {0, 0, 0};
    uint8_t h[HDR] = {0};
    size_t hn = size < HDR ? size : HDR;
    memcpy(h, data, hn);
    data += hn, size -= hn;

    run cut, one;
    read_all(&cut, h, data, size, h + 7);
    if (!(h[0] & F_ONCE)) {
        read_all(&one, h, data, size, whole);
        if (!same_diags(&cut.diags, &one.diags) ||
            !same(&cut.json_out, &one.json_out)) {
            fprintf(stderr,
                    "in chunks of %u, %u, %u:\n%.*s%.*s\nin one chunk:\n"
                    "%.*s%.*s\n",
                    h[7], h[8], h[9], (int)cut.diags.n, cut.diags.p,
                    (int)cut.json_out.n, cut.json_out.p, (int)one.diags.n,
                    one.diags.p, (int)one.json_out.n, one.json_out.p);
            FUZZ_CHECK(!"the chunking does not change the result");
        }
        run_free(&one);
    }
    run_free(&cut);
    return 0;
}
