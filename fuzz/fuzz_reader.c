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
 *            nfb_reader_begin before the first feed)
 *   byte 1   max_depth  = 1 + b % 32          (F_SMALL)
 *   byte 2   max_string = 1 + 2 b             (F_SMALL)
 *   byte 3   max_record = 1 + 16 b            (F_SMALL)
 *   byte 4   max_diags  = 1 + b % 8           (F_SMALL)
 *   byte 5   callbacks before the one that asks to stop (F_STOP)
 *   byte 6   where the text splits into two inputs, in 256ths (F_TWO)
 *   byte 7-9 chunk lengths, used in turn; 0 means all that is left
 *
 * Every diagnostic and record is checked against the contracts of the
 * public headers; a broken one aborts. */
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
    F_IMPLICIT = 1 << 4
};

typedef struct run {
    nfb_reader *reader;
    bool strict;
    /* The current input after any byte order mark, for positions. */
    const char *name;
    const unsigned char *text;
    size_t text_len;
    size_t fed; /* bytes of text fed so far */
    /* Stopping from a callback. */
    bool stop_enabled;
    unsigned stop_after;
    unsigned calls;
    bool stop_asked;
    /* What the callbacks saw. */
    uint64_t records, errors, warnings;
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

static int stop_here(run *r)
{
    FUZZ_CHECK(!r->stop_asked); /* no callback after a stop */
    if (r->stop_enabled && r->calls++ == r->stop_after) {
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
    return stop_here(r);
}

static int on_diag(void *ctx, const nfb_diag *d)
{
    run *r = ctx;
    FUZZ_CHECK(d != NULL);
    FUZZ_CHECK(d->severity == NFB_WARNING || d->severity == NFB_ERROR);
    FUZZ_CHECK(d->code >= NFB_CODE_SYNTAX && d->code <= NFB_CODE_LINT);
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

    /* offset, line and column name the same place of the text fed so
     * far. */
    FUZZ_CHECK(d->line >= 1 && d->column >= 1);
    FUZZ_CHECK(d->offset <= r->fed);
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
    r->text_len = n;
    bool has_bom = n >= 3 && memcmp(p, bom, 3) == 0;
    if (has_bom) r->text += 3, r->text_len -= 3;

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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t h[HDR] = {0};
    size_t hn = size < HDR ? size : HDR;
    memcpy(h, data, hn);
    data += hn, size -= hn;

    nfb_reader_config cfg;
    nfb_reader_config_init(&cfg);
    run r = {0};
    r.strict = (h[0] & F_STRICT) != 0;
    r.stop_enabled = (h[0] & F_STOP) != 0;
    r.stop_after = h[5];
    cfg.flags = r.strict ? NFB_READ_STRICT : 0;
    if (h[0] & F_SMALL) {
        cfg.max_depth = 1 + h[1] % 32u;
        cfg.max_string = 1 + 2u * h[2];
        cfg.max_record = 1 + 16u * h[3];
        cfg.max_diags = 1 + h[4] % 8u;
    }
    cfg.on_record = on_record;
    cfg.on_diag = on_diag;
    cfg.ctx = &r;
    r.reader = nfb_reader_new(&cfg);
    FUZZ_CHECK(r.reader != NULL);

    size_t split = size;
    if (h[0] & F_TWO) split = size * h[6] / 256;
    feed_input(&r, "first", data, split, h + 7, (h[0] & F_IMPLICIT) != 0);
    if (h[0] & F_TWO)
        feed_input(&r, "second", data + split, size - split, h + 7, false);

    nfb_reader_stats st;
    nfb_reader_stats_get(r.reader, &st);
    FUZZ_CHECK(st.records == r.records);
    FUZZ_CHECK(st.errors + st.warnings >= r.errors + r.warnings);
    FUZZ_CHECK(st.bytes <= size);
    nfb_reader_free(r.reader);
    return 0;
}
