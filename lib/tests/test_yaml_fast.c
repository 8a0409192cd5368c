/* The yaml writer's fast path against libyaml's emitter, its reference.
 *
 * For every record of testdata/forms and of the inputs of testdata/cases,
 * for generated records like bench/gen's, and for records holding
 * adversarial strings (every byte class, indicators, look-alikes of
 * numbers, bools, nulls and dates, long and multi-line text, text that is
 * not UTF-8) and number texts, in the four layouts (documents, --array,
 * --envelope, both): the default writer's output is byte for byte that of
 * a writer on the emitter path (nfb__yaml_writer_use_emitter), and each
 * record's result is the same. A user relies on it: `convert --to yaml`
 * writes what it wrote when libyaml's emitter wrote everything.
 *
 * It also checks that the fast path is the one taken: records the reader
 * makes never go to the emitter, and a number text that the emitter would
 * single-quote ("a: b") is not a JSON number, refused by both paths with
 * nothing written. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <yaml.h>

#include <nfbackup/nfbackup.h>

#include "write/write_yaml.h"

/* ---- output ---- */

#include "collect.h"

/* ---- both paths in every layout ---- */

enum { NLAYOUTS = 4, FAST = 0, EMITTER = 1 };

static const unsigned layouts[NLAYOUTS] = {
    0, NFB_WRITE_ARRAY, NFB_WRITE_ENVELOPE,
    NFB_WRITE_ARRAY | NFB_WRITE_ENVELOPE};

typedef struct both {
    nfb_writer *w[NLAYOUTS][2];
    out o[NLAYOUTS][2];
    const char *what; /* for messages */
    uint64_t records;
} both;

static void both_open(both *b, const char *what)
{
    memset(b, 0, sizeof *b);
    b->what = what;
    for (int l = 0; l < NLAYOUTS; l++)
        for (int k = 0; k < 2; k++) {
            nfb_writer_options opts = {.size = sizeof opts};
            nfb_error err;
            opts.write = collect;
            opts.ctx = &b->o[l][k];
            opts.flags = layouts[l];
            b->w[l][k] = nfb_writer_new("yaml", &opts, &err);
            assert_non_null(b->w[l][k]);
            if (k == EMITTER)
                assert_int_equal(nfb__yaml_writer_use_emitter(b->w[l][k]),
                                 NFB_OK);
        }
}

/* The record on both paths in every layout; its result (the same on
 * both). */
static nfb_result both_record(both *b, const nfb_backup *r)
{
    nfb_result first = NFB_OK;
    for (int l = 0; l < NLAYOUTS; l++) {
        nfb_result fast = nfb_writer_record(b->w[l][FAST], r);
        nfb_result ref = nfb_writer_record(b->w[l][EMITTER], r);
        if (fast != ref)
            fail_msg("%s: record %llu, flags %u: fast path %s, emitter %s",
                     b->what, (unsigned long long)b->records, layouts[l],
                     nfb_result_str(fast), nfb_result_str(ref));
        if (l == 0) first = fast;
    }
    if (first == NFB_OK) b->records++; /* a refused record writes nothing */
    return first;
}

/* Where a and b first differ, shown with some context. */
static void show_difference(const out *a, const out *b)
{
    size_t i = 0;
    while (i < a->n && i < b->n && a->p[i] == b->p[i])
        i++;
    size_t from = i > 60 ? i - 60 : 0;
    size_t na = a->n - from < 120 ? a->n - from : 120;
    size_t nb = b->n - from < 120 ? b->n - from : 120;
    fprintf(stderr,
            "first difference at byte %zu of %zu / %zu\n"
            "fast path: ...%.*s...\nemitter:   ...%.*s...\n",
            i, a->n, b->n, (int)na, (const char *)a->p + from, (int)nb,
            (const char *)b->p + from);
}

/* Ends the writers (when ok: no record failed) and compares the outputs,
 * which are kept in *keep (the default layout's fast output) if given. */
static void both_close(both *b, int ok, out *keep)
{
    for (int l = 0; l < NLAYOUTS; l++) {
        if (ok) {
            assert_int_equal(nfb_writer_end(b->w[l][FAST]), NFB_OK);
            assert_int_equal(nfb_writer_end(b->w[l][EMITTER]), NFB_OK);
        }
        out *f = &b->o[l][FAST], *e = &b->o[l][EMITTER];
        if (f->n != e->n || (f->n && memcmp(f->p, e->p, f->n) != 0)) {
            show_difference(f, e);
            fail_msg("%s, flags %u: the fast path's YAML is not the "
                     "emitter's",
                     b->what, layouts[l]);
        }
        if (ok)
            assert_int_equal(nfb__yaml_writer_emitted(b->w[l][EMITTER]),
                             b->records);
        nfb_writer_free(b->w[l][FAST]);
        nfb_writer_free(b->w[l][EMITTER]);
        if (keep && l == 0) {
            *keep = *f;
            *f = (out){0};
        }
        free(f->p);
        free(e->p);
    }
}

/* Records written by the fast path's writers of b that went to the
 * emitter, in the default layout. */
static uint64_t both_emitted(const both *b)
{
    return nfb__yaml_writer_emitted(b->w[0][FAST]);
}

/* ---- records read from files ---- */

static int on_record(void *ctx, const nfb_backup *r)
{
    both_record(ctx, r);
    return 0;
}

/* Diagnostics are other tests' business. */
static int on_diag(void *ctx, const nfb_diag *d)
{
    (void)ctx, (void)d;
    return 0;
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *data = NULL;
    size_t n = 0, cap = 0, got;
    do {
        if (cap - n < 65536) {
            cap = cap * 2 + 65536;
            char *grown = realloc(data, cap);
            assert_non_null(grown);
            data = grown;
        }
        got = fread(data + n, 1, cap - n, f);
        n += got;
    } while (got);
    fclose(f);
    *len = n;
    return data;
}

/* Compares both paths on the records of one file; returns their count. */
static uint64_t check_file(const char *path)
{
    size_t len;
    char *data = read_file(path, &len);
    assert_non_null(data);
    both b;
    both_open(&b, path);
    nfb_reader_config cfg;
    nfb_reader_config_init(&cfg);
    cfg.on_record = on_record;
    cfg.on_diag = on_diag;
    cfg.ctx = &b;
    nfb_reader *r = nfb_reader_new(&cfg, NULL);
    assert_non_null(r);
    assert_int_equal(nfb_reader_begin(r, path), NFB_OK);
    assert_int_equal(nfb_reader_feed(r, data, len), NFB_OK);
    assert_int_equal(nfb_reader_finish(r), NFB_OK);
    nfb_reader_free(r);
    free(data);
    /* The reader's records are the fast path's own. */
    assert_int_equal(both_emitted(&b), 0);
    uint64_t n = b.records;
    both_close(&b, 1, NULL);
    return n;
}

static int is_input(const char *name)
{
    static const char *const not_inputs[] = {
        "args",   "stdin.args", "stdout",    "stdout.re", "stderr",
        "status", "README",     "README.md", "SOURCES.md"};
    if (name[0] == '.') return 0;
    for (size_t i = 0; i < sizeof not_inputs / sizeof not_inputs[0]; i++)
        if (strcmp(name, not_inputs[i]) == 0) return 0;
    return 1;
}

/* Checks every input file in dir (and its folders when deep); returns the
 * number of records. */
static uint64_t check_dir(const char *dir, int deep, size_t *files)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    uint64_t records = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!is_input(e->d_name)) continue;
        char path[4096];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (stat(path, &st) != 0) continue;
        if (S_ISDIR(st.st_mode) && deep) {
            records += check_dir(path, 0, files);
        } else if (S_ISREG(st.st_mode)) {
            records += check_file(path);
            (*files)++;
        }
    }
    closedir(d);
    return records;
}

static void testdata_records(void **state)
{
    (void)state;
    size_t files = 0;
    uint64_t n = check_dir(NFB_TESTDATA "/forms", 0, &files);
    n += check_dir(NFB_TESTDATA "/cases", 1, &files);
    printf("%llu records of %zu files\n", (unsigned long long)n, files);
    assert_true(files >= 40);
    assert_true(n >= 100);
}

/* ---- adversarial strings ---- */

#define S(lit) ((nfb_str){lit, sizeof lit - 1})
#define T(lit)                                                                 \
    {                                                                          \
        lit, sizeof lit - 1                                                    \
    } /* in a table */

/* Texts every string field is given in turn. The ones that are not UTF-8
 * are refused (by both paths alike). */
static const nfb_str tricky[] = {
    T(""), T(" "), T("a "), T(" a"), T("  "), T("a  b"), T("a: b"), T("a:b"),
    T("a:"), T(":a"), T(": a"), T(":"), T("a #b"), T("a#b"), T("#a"), T("- a"),
    T("-a"), T("-"), T("--"), T("? a"), T("?a"), T("?"), T("---"), T("--- a"),
    T("---a"), T("..."), T("...a"), T("..a"), T(".a"), T(",a"), T("a,b"),
    T("[a"), T("a[b]"), T("]a"), T("{a"), T("a{b}"), T("}a"), T("&a"), T("*a"),
    T("!a"), T("a!"), T("|a"), T(">a"), T("'a"), T("a'b"), T("\"a"), T("a\"b"),
    T("%a"), T("@a"), T("`a"), T("a\\b"), T("\\"), T("C:\\backups\\nightly"),
    T("a: "), T("a :b"), T("a\t#b"),
    /* numbers, bools, nulls, dates and their neighbours */
    T("0"), T("1"), T("-1"), T("+1"), T("01"), T("09"), T("0x1F"), T("0o17"),
    T("0b101"), T("0b"), T("1_000"), T("1:20"), T("1:20:30.5"), T("1.5"),
    T(".5"), T("5."), T("."), T("1e3"), T("1E+3"), T("e5"), T("E-5"), T("._5"),
    T(".inf"), T("-.Inf"), T("+.INF"), T(".NaN"), T("true"), T("False"),
    T("TRUE"), T("yes"), T("No"), T("on"), T("OFF"), T("y"), T("N"), T("null"),
    T("Null"), T("NULL"), T("~"), T("<<"), T("="), T("nul"), T("yess"),
    T("2024-01-01"), T("2024-1-1"), T("2024-01-01T00:00:00Z"),
    T("2024-01-01t00:00:00z"), T("2024-01-01 1:2:3 +5"),
    T("2021-01-20T11:19:53.175Z"), T("2024-01-01T00:00:00.123456789+05:30"),
    T("14.5.0"), T("8.0.36"), T("v1.2"), T("1.2.3-rc1"),
    /* line breaks and tabs */
    T("a\nb"), T("a\n"), T("\na"), T("\n"), T("a\r\nb"), T("a\rb"), T("a \nb"),
    T("a\n b"), T("a\n\nb"), T("a\tb"), T("\ta"), T("a\t"),
    /* every ASCII control, DEL, NUL */
    T("\x01\x02\x03\x04\x05\x06\a\b\v\f"), T("x\x0e\x0f\x10\x11\x12\x13"),
    T("\x14\x15\x16\x17\x18\x19\x1a"), T("\x1b[0m"), T("a\x1c\x1d\x1e\x1fz"),
    T("a\x7f"), T("\x7f"), T("a\0b"), T("\0"),
    /* C1, NEL, NBSP, the line and paragraph separators, BOM, specials */
    T("\xc2\x80\xc2\x81\xc2\x8a\xc2\x8f\xc2\x90\xc2\x9b\xc2\x9f"),
    T("a\xc2\x85z"), T("\xc2\x85"), T("\xc2\xa0"), T("a\xc2\xa0z"),
    T("a\xe2\x80\xa8z"), T("a\xe2\x80\xa9z"), T("\xef\xbb\xbf"),
    T("\xef\xbb\xbf"
      "a"),
    T("a\xef\xbb\xbf"), T("a\xef\xbf\xbe"), T("a\xef\xbf\xbf"),
    T("a\xef\xbf\xbd"), T("\xee\x80\x80"), T("\xed\x9f\xbf"), T("caf\xc3\xa9"),
    T("\xe6\x97\xa5\xe6\x9c\xac"), T("\xd9\xa1\xd9\xa2"), T("a\xe2\x80\x8bz"),
    /* past the BMP */
    T("\xf0\x90\x80\x80"), T("smile \xf0\x9f\x98\x80"), T("\xf4\x8f\xbf\xbf"),
    T("-\xf0\x9f\x98\x80"),
    /* not UTF-8, after a start that is quoted early or not */
    T("\xff"), T("a\xc3"), T("-\xc3"), T("a\xc0\x80"), T("-\xc0\x80"),
    T("\xed\xa0\x80"), T("-\xed\xa0\x80"), T("a\xed\xa0\x80"),
    T("-\xf4\x90\x80\x80"), T("a\xf4\x90\x80\x80"), T(" \xf8\x88\x80\x80\x80"),
    T("\x80"), T("a:\xe2\x80")};

enum { NTRICKY = sizeof tricky / sizeof tricky[0] };

static const nfb_destination dests[2] = {{.destination_id = {"offsite", 7},
                                          .has_retention_time = true,
                                          .retention_time = {"30", 2},
                                          .retention_days = 30},
                                         {.destination_id = {"dr-site-2", 9}}};

/* A record with every field. */
static nfb_backup full(void)
{
    nfb_backup b = {0};
    b.id = S("nightly-1");
    b.name = S("Nightly 1");
    b.status = NFB_STATUS_COMPLETED;
    b.created_at.text = S("2021-01-20T11:19:53.175Z");
    b.has_completed_at = true;
    b.completed_at.text = S("2021-01-20T11:19:54.494Z");
    b.config.has_source = true;
    b.config.has_source_type = true;
    b.config.source_type = NFB_SOURCE_SNAPSHOT;
    b.config.size_text = S("1234");
    b.config.has_addon_version = true;
    b.config.addon_version = S("4.4.8");
    b.config.has_compression_type = true;
    b.config.compression_type = NFB_COMPRESSION_ZSTD;
    b.config.has_additional_destinations = true;
    b.config.additional_destinations = dests;
    b.config.additional_destinations_count = 2;
    b.has_custom_destination_id = true;
    b.custom_destination_id = S("custom-1");
    b.has_last_restore = true;
    b.last_restore.restore_timestamp.text = S("2021-01-21T00:00:00Z");
    b.last_restore.status = NFB_STATUS_FAILED;
    b.last_restore.has_completed_at = true;
    b.last_restore.completed_at.text = S("2021-01-21T00:10:00Z");
    return b;
}

enum { NSLOTS = 9 };

/* Record b with string slot k set to s; d holds its destinations. */
static void set_slot(nfb_backup *b, nfb_destination *d, int k, nfb_str s)
{
    memcpy(d, dests, sizeof dests);
    b->config.additional_destinations = d;
    switch (k) {
    case 0:
        b->id = s;
        break;
    case 1:
        b->name = s;
        break;
    case 2:
        b->created_at.text = s;
        break;
    case 3:
        b->completed_at.text = s;
        break;
    case 4:
        b->config.size_text = s;
        break;
    case 5:
        b->config.addon_version = s;
        break;
    case 6:
        d[1].destination_id = s;
        break;
    case 7:
        b->custom_destination_id = s;
        break;
    default:
        b->last_restore.completed_at.text = s;
        break;
    }
}

/* One text in every string field, one record a time: a refused record
 * leaves each writer failed, so each gets its own. */
static void check_text_in_every_field(nfb_str s, const char *what)
{
    for (int k = 0; k < NSLOTS; k++) {
        nfb_backup r = full();
        nfb_destination d[2];
        set_slot(&r, d, k, s);
        both b;
        both_open(&b, what);
        nfb_result res = both_record(&b, &r);
        both_close(&b, res == NFB_OK, NULL);
    }
}

static void adversarial_strings(void **state)
{
    (void)state;
    char what[64];
    for (size_t i = 0; i < NTRICKY; i++) {
        snprintf(what, sizeof what, "tricky string %zu", i);
        check_text_in_every_field(tricky[i], what);
    }
    /* Every single byte, and every two-byte character. */
    for (unsigned c = 0; c < 256; c++) {
        char t[3] = {'x', (char)c, 'y'};
        snprintf(what, sizeof what, "byte 0x%02x", c);
        check_text_in_every_field((nfb_str){t, 3}, what);
        check_text_in_every_field((nfb_str){t + 1, 1}, what);
    }
    for (unsigned cp = 0x80; cp < 0x800; cp++) {
        char t[2] = {(char)(0xc0 | cp >> 6), (char)(0x80 | (cp & 0x3f))};
        snprintf(what, sizeof what, "U+%04X", cp);
        check_text_in_every_field((nfb_str){t, 2}, what);
    }
}

/* A character or a pair the scans look at, at every place in plain text
 * around the 8-byte words they test at once, as the name or the id; the
 * text ends with ':' in slot 1, which makes it double-quoted. */
static void specials_at_every_place(void **state)
{
    (void)state;
    static const char *const specials[] = {"\x01",
                                           "\t",
                                           "\n",
                                           "\x1f",
                                           " ",
                                           "\"",
                                           "#",
                                           ":",
                                           "\\",
                                           "\x7f",
                                           ": ",
                                           " #",
                                           ":#",
                                           "# ",
                                           "\xc2\x85",
                                           "\xc3\xa9",
                                           "\xe2\x80\xa8",
                                           "\xef\xbb\xbf",
                                           "\xf0\x9f\x98\x80",
                                           "\xff"};
    static const size_t lengths[] = {7, 8, 9, 15, 16, 17, 24};
    char t[64], what[64];
    for (size_t k = 0; k < sizeof specials / sizeof specials[0]; k++)
        for (size_t l = 0; l < sizeof lengths / sizeof lengths[0]; l++)
            for (size_t at = 0; at < lengths[l]; at++) {
                size_t sn = strlen(specials[k]), n = lengths[l] + sn;
                memset(t, 'a', n + 1);
                memcpy(t + at, specials[k], sn);
                t[n] = ':';
                for (int slot = 0; slot < 2; slot++) {
                    nfb_backup r = full();
                    nfb_destination d[2];
                    set_slot(&r, d, slot, (nfb_str){t, n + (size_t)slot});
                    snprintf(what, sizeof what, "special %zu at %zu of %zu", k,
                             at, n);
                    both b;
                    both_open(&b, what);
                    nfb_result res = both_record(&b, &r);
                    both_close(&b, res == NFB_OK, NULL);
                }
            }
}

static void long_strings(void **state)
{
    (void)state;
    static const char *const units[] = {
        "x", "word ", "a: b ", "\xc3\xa9", "\xf0\x9f\x98\x80", "\t", "\"\\"};
    static const size_t lengths[] = {79, 80, 81, 129, 1023, 1024, 1025, 70000};
    for (size_t u = 0; u < sizeof units / sizeof units[0]; u++)
        for (size_t l = 0; l < sizeof lengths / sizeof lengths[0]; l++) {
            size_t un = strlen(units[u]), n = lengths[l] * un;
            char *t = malloc(n);
            assert_non_null(t);
            for (size_t i = 0; i < n; i += un)
                memcpy(t + i, units[u], un);
            char what[64];
            snprintf(what, sizeof what, "%zu times \"%s\"", lengths[l],
                     units[u]);
            check_text_in_every_field((nfb_str){t, n}, what);
            free(t);
        }
}

/* ---- number texts ----
 *
 * A number's text is the caller's: the reader gives JSON numbers, which
 * the fast path writes, but a record made by hand can hold anything. */
static void number_texts(void **state)
{
    (void)state;
    static const nfb_str texts[] = {
        T("30"),      T("-1"),      T("0.5"),  T("1e3"),      T("1E3"),
        T("-2.5e-3"), T("1.0E+10"), T("1e"),   T("a: b"),     T(" 1"),
        T("1 "),      T("#1"),      T("- 1"),  T("-"),        T("?"),
        T(":"),       T("1:"),      T("---"),  T("1\n2"),     T("1 \n2"),
        T("\x01"),    T("1\t"),     T("\x7f"), T("\xd9\xa1"), T("\xff"),
        T("'1'"),     T("[1]"),     T("1 #c"), T("1#c")};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        nfb_backup r = full();
        nfb_destination d[2];
        memcpy(d, dests, sizeof dests);
        d[0].retention_time = texts[i];
        r.config.additional_destinations = d;
        char what[64];
        snprintf(what, sizeof what, "number text %zu", i);
        both b;
        both_open(&b, what);
        nfb_result res = both_record(&b, &r);
        both_close(&b, res == NFB_OK, NULL);
    }
    /* A long number, rewritten in an allocated buffer. */
    char digits[300];
    memset(digits, '7', sizeof digits);
    digits[sizeof digits - 2] = 'e', digits[sizeof digits - 1] = '5';
    nfb_backup r = full();
    nfb_destination d[2];
    memcpy(d, dests, sizeof dests);
    d[0].retention_time = (nfb_str){digits, sizeof digits};
    r.config.additional_destinations = d;
    both b;
    both_open(&b, "long number");
    assert_int_equal(both_record(&b, &r), NFB_OK);
    both_close(&b, 1, NULL);
}

/* A number text the emitter would single-quote, in a stream of records
 * the fast path writes: refused by both paths (the record check takes
 * only JSON numbers), with nothing written, so that no record goes to the
 * emitter and the output is that of the other records. */
static void emitter_within_fast_records(void **state)
{
    (void)state;
    nfb_backup plain = full(), odd = full();
    nfb_destination d[2];
    memcpy(d, dests, sizeof dests);
    d[0].retention_time = S("a: b");
    odd.config.additional_destinations = d;
    both b;
    both_open(&b, "a number text the emitter would quote");
    assert_int_equal(both_record(&b, &plain), NFB_OK);
    assert_int_equal(both_record(&b, &odd), NFB_EINVAL);
    assert_int_equal(both_record(&b, &plain), NFB_OK);
    for (int l = 0; l < NLAYOUTS; l++)
        assert_int_equal(nfb__yaml_writer_emitted(b.w[l][FAST]), 0);
    out text;
    both_close(&b, 1, &text);
    static const char odd_text[] = "a: b";
    for (size_t i = 0; i + sizeof odd_text - 1 <= text.n; i++)
        assert_false(memcmp(text.p + i, odd_text, sizeof odd_text - 1) == 0);
    free(text.p);
}

/* ---- generated records, like bench/gen's and wilder ---- */

static uint64_t next(uint64_t *s)
{
    *s ^= *s << 13, *s ^= *s >> 7, *s ^= *s << 17;
    return *s;
}

static nfb_str pick(uint64_t *s, const nfb_str *from, size_t n)
{
    return from[next(s) % n];
}

#define PICK(s, arr) pick(s, arr, sizeof arr / sizeof arr[0])

static void generated_records(void **state)
{
    (void)state;
    static const nfb_str ids[] = {T("analytics-pre-upgrade-hourly-eb6e0"),
                                  T("pre-upgrade-main-eb6e1"),
                                  T("nightly"),
                                  T("a"),
                                  T("backup-2024-01-01"),
                                  T("x1")};
    static const nfb_str names[] = {T("Release Cache Dump Replica"),
                                    T("replica analytics"),
                                    T("pre-migration C:\\backups\\nightly"),
                                    T("staging"),
                                    T("orders hourly 9216"),
                                    T("caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac"),
                                    T("null"),
                                    T("yes"),
                                    T("- dash"),
                                    T("#hash"),
                                    T("a: b")};
    static const nfb_str times[] = {
        T("2020-06-10T19:02:07.64-03:00"), T("2020-06-10T22:45:33.553Z"),
        T("2021-12-13T20:02:13.787144287+05:30"), T("2024-04-23T02:28:53Z")};
    static const nfb_str sizes[] = {T("0"), T("84008"), T("2481871073"),
                                    T("18832414095")};
    static const nfb_str versions[] = {T("10.11.7"), T("8.0.36"), T("15.5"),
                                       T("13"),      T("1e3"),    T("v14")};
    static const nfb_str numbers[] = {T("30"), T("0.5"), T("1e3"), T("-2.5E-3"),
                                      T("7")};
    uint64_t seed = 0x9e3779b97f4a7c15u;
    nfb_destination d[4];
    both b;
    both_open(&b, "generated records");
    for (int i = 0; i < 20000; i++) {
        nfb_backup r = {0};
        /* Most strings bench-like, some from the tricky ones that are
         * UTF-8 (the last 13 are not). */
        r.id = next(&seed) % 8 ? PICK(&seed, ids)
                               : tricky[next(&seed) % (NTRICKY - 13)];
        r.name = next(&seed) % 8 ? PICK(&seed, names)
                                 : tricky[next(&seed) % (NTRICKY - 13)];
        r.status = (nfb_status)(next(&seed) % 7);
        r.created_at.text = PICK(&seed, times);
        r.has_completed_at = next(&seed) % 2;
        r.completed_at.text = PICK(&seed, times);
        r.config.has_source = next(&seed) % 4 != 0;
        r.config.has_source_type = r.config.has_source && next(&seed) % 4;
        r.config.source_type = (nfb_source_type)(next(&seed) % 5);
        r.config.size_text = PICK(&seed, sizes);
        r.config.has_addon_version = next(&seed) % 2;
        r.config.addon_version = PICK(&seed, versions);
        r.config.has_compression_type = next(&seed) % 2;
        r.config.compression_type = (nfb_compression)(next(&seed) % 2);
        r.config.has_additional_destinations = next(&seed) % 3 == 0;
        size_t nd = next(&seed) % 5;
        for (size_t j = 0; j < nd; j++) {
            d[j].destination_id = PICK(&seed, ids);
            d[j].has_retention_time = next(&seed) % 2;
            d[j].retention_time = PICK(&seed, numbers);
        }
        r.config.additional_destinations = d;
        r.config.additional_destinations_count =
            r.config.has_additional_destinations ? nd : 0;
        r.has_custom_destination_id = next(&seed) % 3 == 0;
        r.custom_destination_id = PICK(&seed, names);
        r.has_last_restore = next(&seed) % 3 == 0;
        r.last_restore.restore_timestamp.text = PICK(&seed, times);
        r.last_restore.status = (nfb_status)(next(&seed) % 7);
        r.last_restore.has_completed_at = next(&seed) % 2;
        r.last_restore.completed_at.text = PICK(&seed, times);
        assert_int_equal(both_record(&b, &r), NFB_OK);
    }
    assert_int_equal(both_emitted(&b), 0);
    both_close(&b, 1, NULL);
}

/* No record, in every layout ("--- []" for a sequence). */
static void no_record(void **state)
{
    (void)state;
    both b;
    both_open(&b, "no record");
    both_close(&b, 1, NULL);
}

/* The switch is for a yaml writer that has not begun. */
static void emitter_switch(void **state)
{
    (void)state;
    out o = {0};
    nfb_writer_options opts = {.size = sizeof opts};
    opts.write = collect;
    opts.ctx = &o;
    nfb_writer *w = nfb_writer_new("json", &opts, NULL);
    assert_non_null(w);
    assert_int_equal(nfb__yaml_writer_use_emitter(w), NFB_EINVAL);
    nfb_writer_free(w);
    w = nfb_writer_new("yaml", &opts, NULL);
    assert_non_null(w);
    nfb_backup r = full();
    assert_int_equal(nfb_writer_record(w, &r), NFB_OK);
    assert_int_equal(nfb__yaml_writer_use_emitter(w), NFB_EINVAL);
    assert_int_equal(nfb_writer_end(w), NFB_OK);
    assert_int_equal(nfb__yaml_writer_emitted(w), 0);
    nfb_writer_free(w);
    free(o.p);
}

int main(void)
{
    /* The bytes compared are those of the libyaml this runs with; the fast
     * path was written to match 0.2.5 (CMake's minimum). */
    printf("fast path against libyaml %s's emitter (bytes matched to "
           "0.2.5)\n",
           yaml_get_version_string());
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(testdata_records),
        cmocka_unit_test(adversarial_strings),
        cmocka_unit_test(specials_at_every_place),
        cmocka_unit_test(long_strings),
        cmocka_unit_test(number_texts),
        cmocka_unit_test(emitter_within_fast_records),
        cmocka_unit_test(generated_records),
        cmocka_unit_test(no_record),
        cmocka_unit_test(emitter_switch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
