/* The json writer's fast path writes exactly the bytes of its reference
 * path, yajl's generator (write_json.c), in every layout: compact, pretty,
 * array and envelope, and each combination of them. The records come from
 * every input under testdata/forms and testdata/cases, from a generator of
 * records like bench/gen's, and from adversarial strings: every byte
 * value, the line ends the writer escapes itself (U+0085, U+2028, U+2029)
 * whole, cut and next to escapes, C1 controls, U+FEFF, non-BMP
 * characters, empty strings, and strings longer than the output block, cut
 * at every alignment of a line end. A string that is not UTF-8 is refused
 * (NFB_EINVAL) by both paths alike, before either writes a byte.
 *
 * An array's compact JSON of a csv cell (nfb__json_text in json_text.c) is the
 * compact writer's bytes of the same array. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <yajl/yajl_version.h>

#include <nfbackup/nfbackup.h>

#include "common/check.h"
#include "common/schema.h"
#include "write/json_text.h"
#include "write/write_json.h"

#include "collect.h"

static nfb_writer *json_writer(out *o, unsigned flags, int reference)
{
    nfb_writer_options opts = {.size = sizeof opts};
    opts.write = collect;
    opts.ctx = o;
    opts.flags = flags;
    nfb_writer *w = nfb_writer_new("json", &opts, NULL);
    assert_non_null(w);
    if (reference) assert_int_equal(nfb__json_writer_use_yajl(w), NFB_OK);
    return w;
}

/* ---- the oracle: every layout, through both paths ---- */

/* Every combination of the layout flags. */
enum { NLAYOUTS = 8 };

typedef struct oracle {
    const char *what; /* the records' source, for a failure's message */
    nfb_writer *w[NLAYOUTS][2]; /* [layout][0: fast, 1: yajl] */
    out o[NLAYOUTS][2];
    size_t records;
} oracle;

static void oracle_open(oracle *k, const char *what)
{
    memset(k, 0, sizeof *k);
    k->what = what;
    for (unsigned l = 0; l < NLAYOUTS; l++)
        for (int path = 0; path < 2; path++)
            k->w[l][path] = json_writer(&k->o[l][path], l, path);
}

/* Where a destinations array begins in a compact record, and its length:
 * from its '[' to the matching ']', outside strings. */
static size_t array_at(const out *o, size_t *start)
{
    static const char key[] = "\"additionalDestinations\":[";
    const unsigned char *p = o->p;
    size_t i = 0, n = o->n, depth = 0;
    for (; i + sizeof key - 1 <= n; i++)
        if (memcmp(p + i, key, sizeof key - 1) == 0) break;
    assert_true(i + sizeof key - 1 <= n);
    *start = i += sizeof key - 2;
    for (int in_str = 0; i < n; i++) {
        if (in_str && p[i] == '\\')
            i++;
        else if (p[i] == '"')
            in_str = !in_str;
        else if (!in_str && (p[i] == '[' || p[i] == '{'))
            depth++;
        else if (!in_str && (p[i] == ']' || p[i] == '}') && --depth == 0)
            return i + 1 - *start;
    }
    fail_msg("no end of the destinations array");
    return 0;
}

/* nfb__json_text of b's destinations (a csv cell's text) is what the
 * compact writer writes for them. */
static void check_array_text(const nfb_backup *b)
{
    const nfb__object *config = nfb__schema(NFB_K_CONFIG);
    int i = nfb__schema_find(config, "additionalDestinations", 22);
    assert_true(i >= 0);
    nfb_allocator a;
    assert_int_equal(nfb__allocator_init(&a, NULL), 0);
    nfb__buf text = {0};
    assert_int_equal(nfb__json_text(&text, &a, &config->fields[i], b), NFB_OK);

    out o = {0};
    nfb_writer *w = json_writer(&o, 0, 0);
    assert_int_equal(nfb_writer_record(w, b), NFB_OK);
    assert_int_equal(nfb_writer_end(w), NFB_OK);
    nfb_writer_free(w);
    size_t start, len = array_at(&o, &start);
    if (len != text.len || memcmp(o.p + start, text.ptr, len) != 0)
        fail_msg("csv cell %.*s\njson writer %.*s", (int)text.len,
                 (const char *)text.ptr, (int)len, (const char *)o.p + start);
    nfb__buf_free(&text, &a);
    free(o.p);
}

/* want: NFB_OK, or NFB_EINVAL for a record that both paths refuse. */
static void oracle_record_as(oracle *k, const nfb_backup *b, nfb_result want)
{
    for (unsigned l = 0; l < NLAYOUTS; l++)
        for (int path = 0; path < 2; path++)
            assert_int_equal(nfb_writer_record(k->w[l][path], b), want);
    if (want != NFB_OK) return;
    if (b->config.has_additional_destinations) check_array_text(b);
    k->records++;
}

static void oracle_record(oracle *k, const nfb_backup *b)
{
    oracle_record_as(k, b, NFB_OK);
}

/* Fails with where the outputs of layout l first differ. */
static void report_difference(const oracle *k, unsigned l)
{
    const out *f = &k->o[l][0], *y = &k->o[l][1];
    size_t at = 0;
    while (at < f->n && at < y->n && f->p[at] == y->p[at])
        at++;
    size_t from = at > 40 ? at - 40 : 0;
    int fn = (int)((f->n < at + 40 ? f->n : at + 40) - from);
    int yn = (int)((y->n < at + 40 ? y->n : at + 40) - from);
    fail_msg("%s, layout %u (pretty %u envelope %u array %u): %zu and %zu "
             "bytes, first difference at byte %zu\nfast: %.*s\nyajl: %.*s",
             k->what, l, l & NFB_WRITE_PRETTY, !!(l & NFB_WRITE_ENVELOPE),
             !!(l & NFB_WRITE_ARRAY), f->n, y->n, at, fn,
             (const char *)f->p + from, yn, (const char *)y->p + from);
}

/* Ends every writer and compares the two paths' bytes in each layout. */
static void oracle_close(oracle *k)
{
    for (unsigned l = 0; l < NLAYOUTS; l++) {
        for (int path = 0; path < 2; path++) {
            assert_int_equal(nfb_writer_end(k->w[l][path]), NFB_OK);
            nfb_writer_free(k->w[l][path]);
        }
        const out *f = &k->o[l][0], *y = &k->o[l][1];
        if (f->n != y->n || (f->n && memcmp(f->p, y->p, f->n) != 0))
            report_difference(k, l);
        free(k->o[l][0].p);
        free(k->o[l][1].p);
    }
}

/* ---- records from the test inputs ---- */

static int on_record(void *ctx, const nfb_backup *b)
{
    oracle_record(ctx, b);
    return 0;
}

/* Reads the file at path through the reader, every record into k. */
static void read_file(oracle *k, const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    nfb_reader_config cfg;
    nfb_reader_config_init(&cfg);
    cfg.on_record = on_record;
    cfg.ctx = k;
    nfb_reader *r = nfb_reader_new(&cfg, NULL);
    assert_non_null(r);
    assert_int_equal(nfb_reader_begin(r, path), NFB_OK);
    unsigned char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        assert_int_equal(nfb_reader_feed(r, buf, n), NFB_OK);
    fclose(f);
    assert_int_equal(nfb_reader_finish(r), NFB_OK);
    nfb_reader_free(r);
}

/* The files of a golden case that are not inputs. */
static int is_expectation(const char *name)
{
    static const char *const names[] = {"args",   "status",    "stderr",
                                        "stdout", "stdout.re", "README.md"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(name, names[i]) == 0) return 1;
    return 0;
}

/* Reads every input file in dir (and, with depth, in its directories)
 * into k; returns how many. */
static size_t read_dir(oracle *k, const char *dir, int depth)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    size_t files = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || is_expectation(e->d_name)) continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        DIR *sub = opendir(path);
        if (sub) {
            closedir(sub);
            if (depth) files += read_dir(k, path, depth - 1);
            continue;
        }
        read_file(k, path);
        files++;
    }
    closedir(d);
    return files;
}

static void testdata_inputs(void **state)
{
    (void)state;
    oracle k;
    oracle_open(&k, "testdata/forms and testdata/cases");
    size_t files = read_dir(&k, NFB_TESTDATA "/forms", 0);
    files += read_dir(&k, NFB_TESTDATA "/cases", 1);
    /* The inputs hold dozens of records: a test that reads none proves
     * nothing. */
    assert_true(files > 40);
    assert_true(k.records > 100);
    oracle_close(&k);
}

/* ---- records like bench/gen's ---- */

static uint64_t rng = 0x9e3779b97f4a7c15u;

static uint32_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 32);
}

static const char *pick(const char *const *pool, size_t n)
{
    return pool[next() % n];
}

#define PICK(pool) pick(pool, sizeof pool / sizeof pool[0])

/* Text the generator's strings are made of: mostly plain ASCII, with the
 * characters real names hold now and then. */
static const char *const words[] = {
    "nightly",
    "pre-upgrade",
    "analytics",
    "replica",
    "main",
    "Release",
    "Cache",
    "Dump",
    "C:\\backups\\nightly",
    "say \"hi\"",
    "café",
    "données",
    "日本語",
    "🗄️",
    "tab\there",
    "line\nbreak",
    "a/b/c",
    "x\xe2\x80\xa8y",
    "\xc2\x85",
    "\xe2\x80\xa9",
    "ctrl\x01\x1f",
    "del\x7f",
    ("\xef\xbb\xbf" /* the hex escape ends here */
     "bom"),
    "",
    "0123456789abcdef0123456789"};
static const char *const times[] = {
    "2020-06-10T19:02:07.64-03:00", "2024-05-05T21:11:12.646+14:00",
    "2022-03-08T11:59:48.166Z",     "2021-01-20T11:19:53Z",
    "1999-12-31t23:59:60z",         "2030-02-28T00:00:00.123456789+05:30"};
static const char *const numbers[] = {
    "30",  "0", "-1", "1.5", "1e3", "2E-7", "123456789012345678901234567890",
    "-0.0"};

/* A record built in buf: its strings point into it. */
typedef struct gen_record {
    nfb_backup b;
    nfb_destination dest[4];
    char buf[1024];
    size_t used;
} gen_record;

static nfb_str text(gen_record *g, int parts)
{
    char *start = g->buf + g->used;
    size_t len = 0;
    for (int i = 0; i < parts; i++) {
        const char *w = PICK(words);
        size_t n = strlen(w);
        if (g->used + len + n + 1 > sizeof g->buf) break;
        if (i) start[len++] = ' ';
        memcpy(start + len, w, n);
        len += n;
    }
    g->used += len;
    return (nfb_str){start, len};
}

static nfb_str cstr(const char *s)
{
    return (nfb_str){s, strlen(s)};
}

static nfb_time time_of(void)
{
    return (nfb_time){cstr(PICK(times)), 0, 0, 0};
}

/* One record, each optional field there or not at random, every enum
 * value in turn. */
static void generate(gen_record *g, uint64_t i)
{
    memset(g, 0, sizeof *g);
    nfb_backup *b = &g->b;
    b->id = text(g, 1 + (int)(next() % 2));
    b->name = text(g, 1 + (int)(next() % 4));
    b->status = (nfb_status)(i % 7);
    b->created_at = time_of();
    if ((b->has_completed_at = next() % 2)) b->completed_at = time_of();
    if ((b->config.has_source = next() % 3 != 0)) {
        b->config.has_source_type = next() % 4 != 0;
        b->config.source_type = (nfb_source_type)(i % 5);
    }
    b->config.size_text = cstr(next() % 2 ? "84008" : "18446744073709551615");
    if ((b->config.has_addon_version = next() % 2))
        b->config.addon_version = text(g, 1);
    if ((b->config.has_compression_type = next() % 2))
        b->config.compression_type = (nfb_compression)(i % 2);
    if ((b->config.has_additional_destinations = next() % 3 == 0)) {
        size_t n = next() % 4;
        for (size_t d = 0; d < n; d++) {
            g->dest[d].destination_id = text(g, 1);
            if ((g->dest[d].has_retention_time = next() % 2))
                g->dest[d].retention_time = cstr(PICK(numbers));
        }
        b->config.additional_destinations = g->dest;
        b->config.additional_destinations_count = n;
    }
    if ((b->has_custom_destination_id = next() % 4 == 0))
        b->custom_destination_id = text(g, 1);
    if ((b->has_last_restore = next() % 3 == 0)) {
        b->last_restore.restore_timestamp = time_of();
        b->last_restore.status = (nfb_status)((i / 7) % 7);
        if ((b->last_restore.has_completed_at = next() % 2))
            b->last_restore.completed_at = time_of();
    }
}

static void generated_records(void **state)
{
    (void)state;
    oracle k;
    oracle_open(&k, "generated records");
    gen_record *g = malloc(sizeof *g);
    assert_non_null(g);
    /* Enough for many output blocks in every layout. */
    for (uint64_t i = 0; i < 3000; i++) {
        generate(g, i);
        oracle_record(&k, &g->b);
    }
    free(g);
    oracle_close(&k);
}

/* ---- adversarial strings ---- */

/* A record with every string field s, a destination with s as its id
 * and number as its retention time, and the enums at values chosen by i. */
static void adversarial(oracle *k, const char *s, size_t len,
                        const char *number, size_t number_len, unsigned i)
{
    nfb_str v = {s, len};
    nfb_time t = {v, 0, 0, 0};
    nfb_destination dest[2] = {{v, true, {number, number_len}, 0},
                               {v, false, {NULL, 0}, 0}};
    nfb_backup b = {0};
    b.id = b.name = v;
    b.status = (nfb_status)(i % 7);
    b.created_at = b.completed_at = t;
    b.has_completed_at = true;
    b.config.has_source = true;
    b.config.has_source_type = i % 2;
    b.config.source_type = (nfb_source_type)(i % 5);
    b.config.size_text = v;
    b.config.has_addon_version = true;
    b.config.addon_version = v;
    b.config.has_compression_type = true;
    b.config.compression_type = (nfb_compression)(i % 2);
    b.config.has_additional_destinations = true;
    b.config.additional_destinations = dest;
    b.config.additional_destinations_count = i % 3;
    b.has_custom_destination_id = true;
    b.custom_destination_id = v;
    b.has_last_restore = true;
    b.last_restore.restore_timestamp = b.last_restore.completed_at = t;
    b.last_restore.has_completed_at = true;
    b.last_restore.status = (nfb_status)((i + 3) % 7);
    oracle_record_as(
        k, &b, nfb__utf8_copy(NULL, s, len, NULL) == len ? NFB_OK : NFB_EINVAL);
}

static void adversarial_str(oracle *k, const char *s, size_t len, unsigned i)
{
    adversarial(k, s, len, "30", 2, i);
}

#define LIT(k, s, i) adversarial_str(k, s, sizeof s - 1, i)

static void every_byte(void **state)
{
    (void)state;
    oracle k;
    oracle_open(&k, "every byte");
    char all[256];
    for (unsigned c = 0; c < 256; c++) {
        char one = (char)c, mid[3] = {'a', (char)c, 'b'};
        adversarial_str(&k, &one, 1, c);
        adversarial_str(&k, mid, 3, c);
        all[c] = (char)c;
    }
    adversarial_str(&k, all, sizeof all, 0);
    oracle_close(&k);
}

static void line_ends_and_unicode(void **state)
{
    (void)state;
    oracle k;
    oracle_open(&k, "line ends and unicode");
    unsigned i = 0;
    LIT(&k, "", i++);
    LIT(&k, "\xc2\x85", i++);     /* U+0085 */
    LIT(&k, "\xe2\x80\xa8", i++); /* U+2028 */
    LIT(&k, "\xe2\x80\xa9", i++); /* U+2029 */
    LIT(&k, "a\xe2\x80\xa8\xe2\x80\xa9\xc2\x85z", i++);
    LIT(&k, "\"\xe2\x80\xa8\\\n\xc2\x85\"", i++);         /* next to escapes */
    LIT(&k, "\xe2\x80\xa7\xe2\x80\xaa\xe2\x81\xa8", i++); /* near misses */
    LIT(&k, "\xc2\x84\xc2\x86\xc3\x85", i++);
    LIT(&k, "\xc2", i++); /* cut short */
    LIT(&k, "\xe2", i++);
    LIT(&k, "\xe2\x80", i++);
    LIT(&k, "abc\xe2\x80", i++);
    LIT(&k, "\xe2\x80\"", i++);
    LIT(&k, "\xc2\x80\xc2\x9f\xc2\xa0", i++);         /* C1, NBSP */
    LIT(&k, "\xef\xbb\xbfstart", i++);                /* U+FEFF */
    LIT(&k, "\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf", i++); /* non-BMP */
    LIT(&k, "\xed\x9f\xbf\xee\x80\x80\xef\xbf\xbd", i++);
    LIT(&k, "\xed\xa0\x80\xc0\xaf\xff\xfe", i++); /* not UTF-8 at all */
    LIT(&k, "/ // </script>", i++);
    LIT(&k, "\x7f\x7f", i++);
    LIT(&k, "\0\0", i++);
    /* Every length up to 40 with one character to escape at every place:
     * the blocks of 16 and 8 bytes and the bytes after them. The bytes
     * next to the ones to escape (' ', DEL, UTF-8 that is no line end) are
     * tested a block at a time too, and copied as they are. */
    static const char *const odd[] = {
        "\"",   "\\", "\x01", "\x1f",     "\xe2\x80\xa8", "\xc2\x85",
        "\xe2", " ",  "\x7f", "\xc3\xa9", "\xe2\x82\xac"};
    for (size_t o = 0; o < sizeof odd / sizeof odd[0]; o++)
        for (size_t len = 0; len <= 40; len++)
            for (size_t at = 0; at <= len; at++) {
                char s[48];
                memset(s, 'x', len);
                size_t n = strlen(odd[o]);
                memcpy(s + at, odd[o], at + n <= len ? n : len - at);
                adversarial_str(&k, s, len, i++);
            }
    oracle_close(&k);
}

/* A string of n bytes: prefix bytes of 'a', then unit repeated. */
static char *repeat(size_t n, size_t prefix, const char *unit)
{
    char *s = malloc(n);
    assert_non_null(s);
    size_t u = strlen(unit);
    memset(s, 'a', prefix < n ? prefix : n);
    for (size_t i = prefix; i < n; i++)
        s[i] = unit[(i - prefix) % u];
    return s;
}

/* Strings longer than an output block are written in pieces: every
 * alignment of a line end against the cut, bytes that grow to 6. Each in
 * an oracle of its own, to keep the outputs small. */
static void long_strings(void **state)
{
    (void)state;
    static const struct {
        const char *unit;
        size_t len;
    } longs[] = {
        {"a", 70000},    {"\xe2\x80\xa8", 40000},         {"\xc2\x85", 40000},
        {"\x01", 12000}, {"ab\"\\cd\xe2\x80\xa9", 40000}, {"\xe2\x80", 30000}};
    for (size_t l = 0; l < sizeof longs / sizeof longs[0]; l++)
        for (size_t prefix = 0; prefix < 3; prefix++) {
            oracle k;
            oracle_open(&k, "a long string");
            char *s = repeat(longs[l].len, prefix, longs[l].unit);
            adversarial_str(&k, s, longs[l].len, (unsigned)prefix);
            free(s);
            oracle_close(&k);
        }
    /* A number's text longer than a block. */
    oracle k;
    oracle_open(&k, "a long number");
    char *digits = repeat(100000, 0, "1234567890");
    adversarial(&k, "x", 1, digits, 100000, 2);
    free(digits);
    oracle_close(&k);
}

/* Empty objects and arrays: "source": {} without a type, no
 * destinations. */
static void empty_containers(void **state)
{
    (void)state;
    oracle k;
    oracle_open(&k, "empty containers");
    for (unsigned i = 0; i < 6; i++) {
        nfb_backup b = {0};
        b.id = b.name = cstr("e");
        b.created_at.text = cstr("2021-01-20T11:19:53Z");
        b.config.size_text = cstr("1");
        b.config.has_source = i & 1;
        b.config.has_additional_destinations = (i & 2) != 0;
        b.has_last_restore = i >= 4;
        b.last_restore.restore_timestamp = b.created_at;
        oracle_record(&k, &b);
    }
    oracle_close(&k);
}

/* No record at all: an empty array in array layouts, nothing otherwise. */
static void no_records(void **state)
{
    (void)state;
    oracle k;
    oracle_open(&k, "no records");
    oracle_close(&k);
}

static int fail_write(void *ctx, const void *data, size_t len)
{
    (void)data, (void)len;
    ++*(size_t *)ctx;
    return -1;
}

/* A write that fails inside a record longer than a block: the writer
 * goes on in its block without writing past it (ASan watches), the write
 * function is not called again, and the record and the end say
 * NFB_EWRITE. */
static void write_failure(void **state)
{
    (void)state;
    for (unsigned layout = 0; layout < NLAYOUTS; layout++) {
        size_t calls = 0;
        nfb_writer_options opts = {.size = sizeof opts};
        opts.write = fail_write;
        opts.ctx = &calls;
        opts.flags = layout;
        nfb_writer *w = nfb_writer_new("json", &opts, NULL);
        assert_non_null(w);
        char *s = repeat(300000, 1, "\xe2\x80\xa8\x01");
        nfb_backup b = {0};
        b.id = b.name = b.config.size_text = (nfb_str){s, 300000};
        b.created_at.text = b.id;
        assert_int_equal(nfb_writer_record(w, &b), NFB_EWRITE);
        assert_int_equal(calls, 1);
        assert_int_equal(nfb_writer_end(w), NFB_EWRITE);
        assert_int_equal(calls, 1);
        nfb_writer_free(w);
        free(s);
    }
}

/* The switch is only for json writers, before the first record. */
static void switch_contract(void **state)
{
    (void)state;
    out o = {0};
    nfb_writer_options opts = {.size = sizeof opts};
    opts.write = collect;
    opts.ctx = &o;
    nfb_writer *csv = nfb_writer_new("csv", &opts, NULL);
    assert_non_null(csv);
    assert_int_equal(nfb__json_writer_use_yajl(csv), NFB_EINVAL);
    nfb_writer_free(csv);
    assert_int_equal(nfb__json_writer_use_yajl(NULL), NFB_EINVAL);

    nfb_writer *w = json_writer(&o, 0, 0);
    gen_record *g = malloc(sizeof *g);
    assert_non_null(g);
    generate(g, 0);
    assert_int_equal(nfb_writer_record(w, &g->b), NFB_OK);
    assert_int_equal(nfb__json_writer_use_yajl(w), NFB_ESTATE);
    nfb_writer_free(w);
    free(g);
    free(o.p);
}

int main(void)
{
    /* The bytes compared are those of the yajl this runs with; the fast
     * path was written to match 2.1.0 (CMake's minimum). */
    int v = yajl_version();
    printf("fast path against yajl %d.%d.%d's generator (bytes matched to "
           "2.1.0)\n",
           v / 10000, v / 100 % 100, v % 100);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(testdata_inputs),
        cmocka_unit_test(generated_records),
        cmocka_unit_test(every_byte),
        cmocka_unit_test(line_ends_and_unicode),
        cmocka_unit_test(long_strings),
        cmocka_unit_test(empty_containers),
        cmocka_unit_test(no_records),
        cmocka_unit_test(write_failure),
        cmocka_unit_test(switch_contract),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
