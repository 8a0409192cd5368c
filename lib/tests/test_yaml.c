/* The YAML front end (yaml_source.c) against a fake decoder that writes
 * every event it is sent, with its position, as a line of text; the
 * diagnostics go into the same log. Checked: the CLI's YAML and
 * nfbackup's own YAML layouts, `---` streams, the core schema's scalar
 * types, the nodes refused (aliases, anchors, merge keys, tags), the token
 * limit, libyaml's errors and the recovery at the next `---`, positions in
 * bytes, stops and dropped documents, and that the log is the same however
 * the input is cut (whole, byte by byte, chunks of 2..31 bytes, random). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <setjmp.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "read/yaml_source.h"

/* ---- a growable text buffer -------------------------------------------- */

typedef struct text {
    char *p;
    size_t n, cap;
} text;

static void put(text *t, const char *s, size_t n)
{
    if (t->n + n + 1 > t->cap) {
        size_t cap = t->cap ? t->cap : 256;
        while (cap < t->n + n + 1)
            cap *= 2;
        t->p = realloc(t->p, cap);
        assert_non_null(t->p);
        t->cap = cap;
    }
    memcpy(t->p + t->n, s, n);
    t->n += n;
    t->p[t->n] = 0;
}

static void putf(text *t, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
static void putf(text *t, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    put(t, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

/* ---- the fake decoder --------------------------------------------------- */

struct nfb__dec {
    text log;
    nfb__diags *dg;
    const char *input; /* the whole input, to check positions */
    size_t input_len;
    int depth;        /* open collections of the current document */
    unsigned events;  /* events received */
    unsigned fail_at; /* the event (1-based) that returns 0; 0: none */
    int fail_stops;   /* ...by asking to stop, else by dropping */
    uint64_t seen, seen_line, seen_start; /* the last position checked */
    const char *plain; /* nfb__dec_plain's text for the next value */
    size_t plain_len;
    int plain_string;
};

/* A position agrees with the input: the line and column of its offset. */
static void check_pos(nfb__dec *d, nfb__pos at)
{
    assert_true(at.offset <= d->input_len);
    /* Counted on from the last position checked (positions mostly grow). */
    if (at.offset < d->seen) d->seen = 0, d->seen_line = 1, d->seen_start = 0;
    if (!d->seen_line) d->seen_line = 1;
    for (uint64_t i = d->seen; i < at.offset; i++)
        if (d->input[i] == '\n') d->seen_line++, d->seen_start = i + 1;
    d->seen = at.offset;
    uint64_t line = d->seen_line, start = d->seen_start;
    assert_int_equal(at.line, line);
    assert_int_equal(at.column, at.offset - start + 1);
}

static int event(nfb__dec *d, nfb__pos at, const char *kind, const char *s,
                 size_t len)
{
    check_pos(d, at);
    putf(&d->log, "%llu:%llu %s", (unsigned long long)at.line,
         (unsigned long long)at.column, kind);
    if (s) {
        put(&d->log, " ", 1);
        for (size_t i = 0; i < len; i++) {
            unsigned char c = (unsigned char)s[i];
            if (c >= 0x20 && c < 0x7f && c != '\\')
                put(&d->log, s + i, 1);
            else
                putf(&d->log, "\\x%02x", c);
        }
    }
    /* A plain scalar that a writer may have meant as a string: the value
     * line says so ("1:4 number 15 or string 0o17"). */
    if (d->plain && d->plain_string) {
        put(&d->log, " or string ", 11);
        put(&d->log, d->plain, d->plain_len);
    }
    d->plain = NULL;
    put(&d->log, "\n", 1);
    if (++d->events == d->fail_at) {
        put(&d->log, d->fail_stops ? "(stop)\n" : "(drop)\n", 7);
        if (d->fail_stops) d->dg->stopped = 1;
        return 0;
    }
    return 1;
}

int nfb__dec_map_start(nfb__dec *d, nfb__pos at)
{
    d->depth++;
    return event(d, at, "{", NULL, 0);
}
int nfb__dec_map_key(nfb__dec *d, nfb__pos at, const char *s, size_t len)
{
    return event(d, at, "key", s, len);
}
int nfb__dec_map_end(nfb__dec *d, nfb__pos at)
{
    d->depth--;
    return event(d, at, "}", NULL, 0);
}
int nfb__dec_array_start(nfb__dec *d, nfb__pos at)
{
    d->depth++;
    return event(d, at, "[", NULL, 0);
}
int nfb__dec_array_end(nfb__dec *d, nfb__pos at)
{
    d->depth--;
    return event(d, at, "]", NULL, 0);
}
int nfb__dec_string(nfb__dec *d, nfb__pos at, const char *s, size_t len)
{
    return event(d, at, "string", s, len);
}
int nfb__dec_number(nfb__dec *d, nfb__pos at, const char *s, size_t len)
{
    return event(d, at, "number", s, len);
}
int nfb__dec_bool(nfb__dec *d, nfb__pos at, int value)
{
    return event(d, at, value ? "true" : "false", NULL, 0);
}
int nfb__dec_null(nfb__dec *d, nfb__pos at)
{
    return event(d, at, "null", NULL, 0);
}
void nfb__dec_bad_text(nfb__dec *d, nfb__pos at, const char *why)
{
    check_pos(d, at);
    putf(&d->log, "%llu:%llu bad-text %s\n", (unsigned long long)at.line,
         (unsigned long long)at.column, why);
}
void nfb__dec_plain(nfb__dec *d, const char *s, size_t len, int string)
{
    assert_null(d->plain); /* one per value event, just before it */
    assert_non_null(s);
    d->plain = s;
    d->plain_len = len;
    d->plain_string = string;
}
int nfb__dec_open(const nfb__dec *d)
{
    return d->depth > 0;
}
void nfb__dec_reset(nfb__dec *d)
{
    d->depth = 0;
    put(&d->log, "reset\n", 6);
}

static int on_diag(void *ctx, const nfb_diag *g)
{
    nfb__dec *d = ctx;
    nfb__pos at = {g->offset, g->line, g->column};
    check_pos(d, at);
    static const char *const codes[] = {[NFB_CODE_SYNTAX] = "syntax",
                                        [NFB_CODE_WRONG_TYPE] = "wrong-type",
                                        [NFB_CODE_LIMIT] = "limit"};
    const char *code =
        (size_t)g->code < sizeof codes / sizeof *codes ? codes[g->code] : NULL;
    putf(&d->log, "%llu:%llu %s %s: %s\n", (unsigned long long)g->line,
         (unsigned long long)g->column,
         g->severity == NFB_ERROR ? "error" : "warning", code ? code : "?",
         g->message);
    return 0;
}

/* ---- running ------------------------------------------------------------ */

/* The length of the next chunk, at most left. */
typedef size_t (*split_fn)(void *st, size_t left);

static size_t split_whole(void *st, size_t left)
{
    (void)st;
    return left;
}

static size_t split_fixed(void *st, size_t left)
{
    size_t n = *(size_t *)st;
    return n < left ? n : left;
}

typedef struct rnd {
    uint64_t s;
} rnd;

static size_t split_random(void *st, size_t left)
{
    rnd *r = st;
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    size_t n = 1 + (size_t)((r->s * UINT64_C(2685821657736338717)) % 97);
    return n < left ? n : left;
}

typedef struct opts {
    size_t max_string; /* 0: 1 MiB */
    unsigned fail_at;
    int fail_stops;
} opts;

static void *t_malloc(void *ctx, size_t n)
{
    (void)ctx;
    return malloc(n);
}
static void *t_realloc(void *ctx, void *p, size_t n)
{
    (void)ctx;
    return realloc(p, n);
}
static void t_free(void *ctx, void *p)
{
    (void)ctx;
    free(p);
}

/* Reads in[0..len) cut by split; returns the log (to free) and the result
 * of the last call in *res. */
static char *run_split(const char *in, size_t len, const opts *o,
                       split_fn split, void *st, nfb_result *res)
{
    nfb_allocator a = {t_malloc, t_realloc, t_free, NULL};
    nfb__diags dg;
    memset(&dg, 0, sizeof dg);
    nfb__dec dec;
    memset(&dec, 0, sizeof dec);
    dec.dg = &dg;
    dec.input = in;
    dec.input_len = len;
    dec.fail_at = o ? o->fail_at : 0;
    dec.fail_stops = o ? o->fail_stops : 0;
    dg.on_diag = on_diag;
    dg.ctx = &dec;
    dg.max_diags = 100;
    dg.name = "test";
    size_t max_string = o && o->max_string ? o->max_string : 1u << 20;
    nfb__yaml *y = nfb__yaml_new(&a, &dec, &dg, max_string);
    assert_non_null(y);
    nfb__yaml_begin(y);
    nfb_result r = NFB_OK;
    for (size_t pos = 0; pos < len && r == NFB_OK;) {
        size_t n = split(st, len - pos);
        /* An exact copy freed at once: ASan sees a pointer kept. */
        unsigned char *copy = malloc(n);
        assert_non_null(copy);
        memcpy(copy, in + pos, n);
        r = nfb__yaml_feed(y, copy, n);
        free(copy);
        pos += n;
    }
    if (r == NFB_OK) r = nfb__yaml_finish(y);
    if (r == NFB_STOPPED) put(&dec.log, "stopped\n", 8);
    nfb__yaml_free(y);
    if (res) *res = r;
    if (!dec.log.p) put(&dec.log, "", 0);
    return dec.log.p;
}

static char *run(const char *in, const opts *o)
{
    nfb_result r;
    char *log = run_split(in, strlen(in), o, split_whole, NULL, &r);
    assert_true(r == NFB_OK || r == NFB_STOPPED);
    return log;
}

/* The log of in, read whole, equals want; and it is the same for every
 * way of cutting the input. */
static void check_chunks(const char *in, size_t len, const opts *o,
                         const char *whole)
{
    for (size_t k = 1; k <= 31; k++) {
        char *log = run_split(in, len, o, split_fixed, &k, NULL);
        if (strcmp(log, whole) != 0)
            fail_msg("chunks of %zu bytes:\n%s\nwhole:\n%s", k, log, whole);
        free(log);
    }
    for (uint64_t seed = 1; seed <= 20; seed++) {
        rnd r = {seed * UINT64_C(0x9E3779B97F4A7C15)};
        char *log = run_split(in, len, o, split_random, &r, NULL);
        if (strcmp(log, whole) != 0)
            fail_msg("random split %llu:\n%s\nwhole:\n%s",
                     (unsigned long long)seed, log, whole);
        free(log);
    }
}

static void expect_len(const char *in, size_t len, const opts *o,
                       const char *want)
{
    nfb_result r;
    char *log = run_split(in, len, o, split_whole, NULL, &r);
    assert_true(r == NFB_OK || r == NFB_STOPPED);
    if (want && strcmp(log, want) != 0) {
        fprintf(stderr, "input:\n%.*s\ngot:\n%s\nwant:\n%s", (int)len, in, log,
                want);
        fail();
    }
    check_chunks(in, len, o, log);
    free(log);
}

static void expect(const char *in, const char *want)
{
    expect_len(in, strlen(in), NULL, want);
}

static void expect_o(const char *in, const opts *o, const char *want)
{
    expect_len(in, strlen(in), o, want);
}

static char *slurp(const char *name, size_t *len)
{
    char path[512];
    snprintf(path, sizeof path, "%s/forms/%s", NFB_TESTDATA, name);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    text t = {0};
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        put(&t, buf, n);
    fclose(f);
    *len = t.n;
    return t.p;
}

/* ---- the clients' YAML -------------------------------------------------- */

static const char cli_get_log[] = "1:1 {\n"
                                  "1:1 key id\n"
                                  "1:5 string example-backup\n"
                                  "2:1 key name\n"
                                  "2:7 string Example Backup\n"
                                  "3:1 key status\n"
                                  "3:9 string completed\n"
                                  "4:1 key createdAt\n"
                                  "4:12 string 2021-01-20T11:19:53.175Z\n"
                                  "5:1 key completedAt\n"
                                  "5:14 string 2021-01-20T11:19:54.494Z\n"
                                  "6:1 key config\n"
                                  "7:3 {\n"
                                  "7:3 key source\n"
                                  "8:5 {\n"
                                  "8:5 key type\n"
                                  "8:11 string snapshot\n"
                                  "8:19 }\n"
                                  "9:3 key size\n"
                                  "9:9 string 1234\n"
                                  "10:3 key addonVersion\n"
                                  "10:17 string 4.4.8\n"
                                  "10:22 }\n"
                                  "11:1 key lastRestore\n"
                                  "12:3 {\n"
                                  "12:3 key restoreTimestamp\n"
                                  "12:21 string 2021-01-20T11:19:54.494Z\n"
                                  "13:3 key status\n"
                                  "13:11 string completed\n"
                                  "14:3 key completedAt\n"
                                  "14:16 string 2021-01-20T11:19:54.494Z\n"
                                  "14:42 }\n"
                                  "14:42 }\n";

/* `northflank get addon backup -o yaml` (js-yaml safeDump): the quoted
 * size is a string, the plain version 4.4.8 a string too. */
static void cli_get(void **state)
{
    (void)state;
    size_t len;
    char *in = slurp("cli-get.yaml", &len);
    expect_len(in, len, NULL, cli_get_log);
    free(in);
    in = slurp("cli-get.yml", &len);
    expect_len(in, len, NULL, cli_get_log);
    free(in);
}

/* `northflank get addon backups -o yaml`: `backups:` with indented `- `
 * items; retentionTime 30 is a number. */
static void cli_list(void **state)
{
    (void)state;
    size_t len;
    char *in = slurp("cli-list.yaml", &len);
    char *log = run_split(in, len, NULL, split_whole, NULL, NULL);
    const char *want[] = {
        ("1:1 {\n1:1 key backups\n2:3 [\n2:5 {\n2:5 key id\n"
         "2:9 string example-backup\n"),
        "\n16:5 {\n16:5 key id\n16:9 string nightly-dump-0042\n",
        "\n29:11 key retentionTime\n29:26 number 30\n",
        "\n35:46 }\n35:46 ]\n35:46 }\n"};
    for (size_t i = 0; i < sizeof want / sizeof *want; i++)
        if (!strstr(log, want[i])) fail_msg("no\n%s\nin\n%s", want[i], log);
    assert_null(strstr(log, "error"));
    check_chunks(in, len, NULL, log);
    free(log);
    free(in);
}

/* nfbackup's own `--to yaml` layouts: documents, --array, --envelope and
 * both, with the record shortened to two fields. */
static void own_layouts(void **state)
{
    (void)state;
    expect("---\nid: a\nsize: \"1234\"\n---\nid: b\nsize: \"5\"\n",
           "2:1 {\n"
           "2:1 key id\n"
           "2:5 string a\n"
           "3:1 key size\n"
           "3:7 string 1234\n"
           "3:13 }\n"
           "5:1 {\n"
           "5:1 key id\n"
           "5:5 string b\n"
           "6:1 key size\n"
           "6:7 string 5\n"
           "6:10 }\n");
    expect("---\n- id: a\n  size: \"1234\"\n- id: b\n  config:\n"
           "    additionalDestinations:\n    - retentionTime: 30\n",
           "2:1 [\n"
           "2:3 {\n"
           "2:3 key id\n"
           "2:7 string a\n"
           "3:3 key size\n"
           "3:9 string 1234\n"
           "3:15 }\n"
           "4:3 {\n"
           "4:3 key id\n"
           "4:7 string b\n"
           "5:3 key config\n"
           "6:5 {\n"
           "6:5 key additionalDestinations\n"
           "7:5 [\n"
           "7:7 {\n"
           "7:7 key retentionTime\n"
           "7:22 number 30\n"
           "7:24 }\n"
           "7:24 ]\n"
           "7:24 }\n"
           "7:24 }\n"
           "7:24 ]\n");
    expect("---\ndata:\n  id: a\n---\ndata:\n  id: b\n", "2:1 {\n"
                                                         "2:1 key data\n"
                                                         "3:3 {\n"
                                                         "3:3 key id\n"
                                                         "3:7 string a\n"
                                                         "3:8 }\n"
                                                         "3:8 }\n"
                                                         "5:1 {\n"
                                                         "5:1 key data\n"
                                                         "6:3 {\n"
                                                         "6:3 key id\n"
                                                         "6:7 string b\n"
                                                         "6:8 }\n"
                                                         "6:8 }\n");
    expect("---\n- data:\n    id: a\n- data:\n    id: b\n", "2:1 [\n"
                                                            "2:3 {\n"
                                                            "2:3 key data\n"
                                                            "3:5 {\n"
                                                            "3:5 key id\n"
                                                            "3:9 string a\n"
                                                            "3:10 }\n"
                                                            "3:10 }\n"
                                                            "4:3 {\n"
                                                            "4:3 key data\n"
                                                            "5:5 {\n"
                                                            "5:5 key id\n"
                                                            "5:9 string b\n"
                                                            "5:10 }\n"
                                                            "5:10 }\n"
                                                            "5:10 ]\n");
    /* Flow style, as other tools write it, and JSON itself. */
    expect("{\"data\": {\"id\": \"a\", \"n\": [1, 2.5]}}",
           "1:1 {\n1:2 key data\n1:10 {\n1:11 key id\n1:17 string a\n"
           "1:22 key n\n1:27 [\n1:28 number 1\n1:31 number 2.5\n1:34 ]\n"
           "1:35 }\n1:36 }\n");
}

/* Documents: any number, an empty one skipped, a scalar root sent. */
static void documents(void **state)
{
    (void)state;
    expect("", "");
    expect("# only a comment\n", "");
    expect("---\n---\n# nothing\n---\na: 1\n...\n---\n", "5:1 {\n"
                                                         "5:1 key a\n"
                                                         "5:4 number 1\n"
                                                         "5:5 }\n");
    expect("--- ~\n--- text\n--- ''\n",
           "1:5 null\n2:5 string text\n3:5 string \n");
    expect("%YAML 1.1\n---\n[]\n", "3:1 [\n3:2 ]\n");
}

/* ---- scalars ------------------------------------------------------------ */

/* The value of "v: <text>" as the decoder gets it. */
static void typed(const char *yaml_text, const char *want)
{
    char in[256], out[256];
    snprintf(in, sizeof in, "v: %s\n", yaml_text);
    /* The mapping ends where the value does. */
    snprintf(out, sizeof out, "1:1 {\n1:1 key v\n%s1:%zu }\n", want,
             *yaml_text ? 4 + strlen(yaml_text) : 3);
    expect(in, out);
}

static void scalar_types(void **state)
{
    (void)state;
    /* Quoted and block scalars are strings, whatever their text. */
    typed("'1234'", "1:4 string 1234\n");
    typed("\"true\"", "1:4 string true\n");
    typed("''", "1:4 string \n");
    typed("\"a\\tb\\u00e9\"", "1:4 string a\\x09b\\xc3\\xa9\n");
    typed("'it''s'", "1:4 string it's\n");
    typed("!!str 12", "1:4 string 12\n");
    expect("v: |\n  one\n  two\nw: >-\n  folded\n  text\n",
           "1:1 {\n1:1 key v\n1:4 string one\\x0atwo\\x0a\n4:1 key w\n"
           "4:4 string folded text\n7:1 }\n");
    /* Null. */
    typed("", "1:3 null\n");
    typed("~", "1:4 null\n");
    typed("null", "1:4 null\n");
    typed("Null", "1:4 null\n");
    typed("NULL", "1:4 null\n");
    typed("nULL", "1:4 string nULL\n");
    /* Booleans: the core schema's only. */
    typed("true", "1:4 true\n");
    typed("True", "1:4 true\n");
    typed("TRUE", "1:4 true\n");
    typed("false", "1:4 false\n");
    typed("False", "1:4 false\n");
    typed("FALSE", "1:4 false\n");
    typed("yes", "1:4 string yes\n");
    typed("off", "1:4 string off\n");
    /* Integers, in JSON's grammar. */
    typed("1234", "1:4 number 1234\n");
    typed("+12", "1:4 number 12\n");
    typed("-12", "1:4 number -12\n");
    typed("007", "1:4 number 7\n");
    typed("-00", "1:4 number -0\n");
    typed("18446744073709551616123", "1:4 number 18446744073709551616123\n");
    typed("0o17", "1:4 number 15 or string 0o17\n");
    typed("0o0", "1:4 number 0 or string 0o0\n");
    typed("0x1F", "1:4 number 31\n");
    typed("0xffffffffffffffffffff", "1:4 number 1208925819614629174706175\n");
    typed("0x0000000000000000000000001", "1:4 number 1\n");
    /* Integers that a YAML 1.1 writer (js-yaml 3, PyYAML) writes plain as
     * strings: a string too. */
    typed("08", "1:4 number 8 or string 08\n");
    typed("-019", "1:4 number -19 or string -019\n");
    typed("+0", "1:4 number 0\n");
    typed("0b101", "1:4 string 0b101\n");
    typed("0o18", "1:4 string 0o18\n");
    typed("0x", "1:4 string 0x\n");
    typed("0xG", "1:4 string 0xG\n");
    typed("0X1F", "1:4 string 0X1F\n");
    /* Floats. */
    typed("2.5", "1:4 number 2.5\n");
    typed(".5", "1:4 number 0.5\n");
    typed("-.5", "1:4 number -0.5 or string -.5\n");
    typed("+.5e3", "1:4 number 0.5e3 or string +.5e3\n");
    typed("1.", "1:4 number 1.0\n");
    typed("1.e-5", "1:4 number 1.0e-5\n");
    typed("1E+05", "1:4 number 1E+05 or string 1E+05\n");
    typed("00.25", "1:4 number 0.25 or string 00.25\n");
    /* Floats that one of them writes plain as strings: a string too. */
    typed("1e3", "1:4 number 1e3 or string 1e3\n");
    typed("1.5e3", "1:4 number 1.5e3 or string 1.5e3\n");
    typed("1.5e+3", "1:4 number 1.5e+3\n");
    typed(".5e3", "1:4 number 0.5e3 or string .5e3\n");
    typed("01.0", "1:4 number 1.0 or string 01.0\n");
    typed("+.5", "1:4 number 0.5 or string +.5\n");
    typed("-1.", "1:4 number -1.0\n");
    typed("1e", "1:4 string 1e\n");
    typed(".", "1:4 string .\n");
    typed("-x", "1:4 string -x\n");
    typed("1.2.3", "1:4 string 1.2.3\n");
    typed("4.4.8", "1:4 string 4.4.8\n");
    typed("1_000", "1:4 string 1_000\n");
    typed("2021-01-20", "1:4 string 2021-01-20\n");
    /* Numbers JSON cannot hold: unusable text, at the value. */
    typed(".inf", "1:4 bad-text a YAML number JSON cannot hold (.inf)\n"
                  "1:4 string .inf\n");
    typed("-.Inf", "1:4 bad-text a YAML number JSON cannot hold (-.Inf)\n"
                   "1:4 string -.Inf\n");
    typed(".NaN", "1:4 bad-text a YAML number JSON cannot hold (.NaN)\n"
                  "1:4 string .NaN\n");
    typed(".nAn", "1:4 string .nAn\n");
    /* Keys are text, whatever they look like. */
    expect("1: a\nnull: b\n'x': c\n", "1:1 {\n"
                                      "1:1 key 1\n"
                                      "1:4 string a\n"
                                      "2:1 key null\n"
                                      "2:7 string b\n"
                                      "3:1 key x\n"
                                      "3:6 string c\n"
                                      "3:7 }\n");
}

/* An octal or hexadecimal integer is converted exactly up to 4096
 * digits; past that it is unusable text. */
static void long_radix(void **state)
{
    (void)state;
    static char in[5000];
    /* 0x1 followed by 4095 zeros is 16^4095: check its last digits and
     * length (4096 * log10(16) digits). */
    memcpy(in, "v: 0x1", 6);
    memset(in + 6, '0', 4095);
    in[6 + 4095] = 0;
    char *log = run(in, NULL);
    const char *num = strstr(log, "number ");
    assert_non_null(num);
    size_t digits = strcspn(num + 7, "\n");
    assert_int_equal(digits, 4931); /* floor(4095 * log10(16)) + 1 */
    /* 16^4095 = 2^16380 ends in ...6 (powers of 2 past 2^4 cycle 6,2,4,8
     * with 16380 % 4 == 0). */
    assert_int_equal(num[7 + digits - 1], '6');
    free(log);
    in[6 + 4095] = '0';
    in[6 + 4096] = 0;
    log = run(in, NULL);
    assert_non_null(strstr(log, "bad-text a YAML hexadecimal integer of more "
                                "than 4096 digits, too long to convert\n"));
    free(log);
}

/* ---- refusals ----------------------------------------------------------- */

static void refusals(void **state)
{
    (void)state;
    expect(
        "a: &x 1\nb: *x\n---\nc: 2\n",
        "1:1 {\n"
        "1:1 key a\n"
        "1:4 error syntax: expected a node without an anchor (YAML anchors are "
        "not read), found the anchor &x; the rest of the document is skipped\n"
        "reset\n"
        "4:1 {\n"
        "4:1 key c\n"
        "4:4 number 2\n"
        "4:5 }\n");
    expect("a: *x\n",
           "1:1 {\n1:1 key a\n"
           "1:4 error syntax: expected a value (YAML aliases are not "
           "expanded), found the alias *x; the rest of the document is "
           "skipped\nreset\n");
    expect("- &list [1]\n",
           "1:1 [\n1:3 error syntax: expected a node without an anchor "
           "(YAML anchors are not read), found the anchor &list; the rest "
           "of the document is skipped\nreset\n");
    expect("a: 1\n<<: {b: 2}\n",
           "1:1 {\n1:1 key a\n1:4 number 1\n"
           "2:1 error syntax: expected a field name (YAML merge keys are not "
           "expanded), found the merge key <<; the rest of the document is "
           "skipped\nreset\n");
    /* A quoted << is an ordinary key. */
    expect("'<<': 1\n", "1:1 {\n"
                        "1:1 key <<\n"
                        "1:7 number 1\n"
                        "1:8 }\n");
    expect("a: !!int 1\n",
           "1:1 {\n1:1 key a\n1:4 error syntax: expected a scalar with no tag "
           "or the tag !!str, found the tag tag:yaml.org,2002:int; the rest "
           "of the document is skipped\nreset\n");
    expect("a: !custom x\n",
           "1:1 {\n1:1 key a\n1:4 error syntax: expected a scalar with no tag "
           "or the tag !!str, found the tag !custom; the rest of the "
           "document is skipped\nreset\n");
    expect("a: !a%01b x\n",
           "1:1 {\n1:1 key a\n1:4 error syntax: expected a scalar with no tag "
           "or the tag !!str, found the tag !a?b; the rest of the document "
           "is skipped\nreset\n");
    expect("!!map {a: !!seq [], b: !!str x}\n",
           "1:1 {\n1:8 key a\n1:11 [\n1:18 ]\n1:21 key b\n1:24 string x\n"
           "1:31 }\n");
    expect("!!seq {}\n",
           "1:1 error syntax: expected a mapping with no tag or the tag !!map, "
           "found the tag tag:yaml.org,2002:seq; the rest of the document "
           "is skipped\nreset\n");
    expect("? [a]\n: 1\n",
           "1:1 {\n1:3 error syntax: expected a scalar key, found a "
           "sequence; the rest of the document is skipped\nreset\n");
    expect("{{a: 1}: 2}\n",
           "1:1 {\n1:2 error syntax: expected a scalar key, found a mapping; "
           "the rest of the document is skipped\nreset\n");
}

/* A billion laughs is refused at its first anchor, in constant time. */
static void billion_laughs(void **state)
{
    (void)state;
    text t = {0};
    put(&t, "a: &a [\"lol\",\"lol\"]\n", 20);
    for (char c = 'b'; c <= 'j'; c++)
        putf(&t, "%c: &%c [*%c,*%c,*%c,*%c,*%c,*%c,*%c,*%c,*%c]\n", c, c, c - 1,
             c - 1, c - 1, c - 1, c - 1, c - 1, c - 1, c - 1, c - 1);
    char *log = run(t.p, NULL);
    assert_string_equal(log, "1:1 {\n1:1 key a\n1:4 error syntax: expected a "
                             "node without an anchor (YAML anchors are not "
                             "read), found the anchor &a; the rest of the "
                             "document is skipped\nreset\n");
    free(log);
    free(t.p);
}

/* ---- limits ------------------------------------------------------------- */

/* A scalar longer than max_string: the limit, then the next document. */
static void token_limit(void **state)
{
    (void)state;
    opts o = {16, 0, 0};
    expect_o("a: 0123456789abcdef\nb: 0123456789abcdefg\n---\nc: 1\n", &o,
             "1:1 {\n"
             "1:1 key a\n"
             "1:4 string 0123456789abcdef\n"
             "2:1 key b\n"
             "2:4 error limit: expected a token of at most 16 bytes, found a "
             "longer one; the rest of the document is skipped\n"
             "reset\n"
             "4:1 {\n"
             "4:1 key c\n"
             "4:4 number 1\n"
             "4:5 }\n");
    expect_o("\"0123456789abcdefg\": 1\n", &o,
             "1:1 {\n1:1 error limit: expected a token of at most 16 bytes, "
             "found a longer one; the rest of the document is skipped\n"
             "reset\n");
}

/* A token longer than the window (2 * (max_string + 2) + 64 KiB): the step
 * that meets the window's end is thrown away and the limit is reported at
 * the token, never a syntax error made up by the cut; then the next
 * document is read. The same for every kind of scalar. */
static void window_limit(void **state)
{
    (void)state;
    opts o = {16, 0, 0};
    /* The last one is of two-byte characters, which the window's end
     * cuts. */
    static const char *const heads[] = {
        "a: \"", "a: '", "a: ", "a: |\n  ", "- [x, \"", "a: "};
    /* In flow context libyaml reads up to 1024 characters ahead to tell a
     * key: the limit is then reported after the last event sent, at x. */
    const char *pos[] = {"1:4", "1:4", "1:4", "1:4", "1:4", "1:4"};
    for (size_t h = 0; h < sizeof heads / sizeof *heads; h++) {
        text t = {0};
        put(&t, heads[h], strlen(heads[h]));
        for (int i = 0; i < 200000; i++)
            put(&t, h == 5 ? "\xc3\xa9" : "x", h == 5 ? 2 : 1);
        put(&t, "\"'\n---\nb: 1\n", 12);
        int line = h == 3 ? 4 : 3; /* of the document after */
        char want[512];
        snprintf(want, sizeof want,
                 "%s%s error limit: expected a token of at most 16 bytes, "
                 "found a longer one; the rest of the document is skipped\n"
                 "reset\n%d:1 {\n%d:1 key b\n%d:4 number 1\n%d:5 }\n",
                 h == 4 ? "1:1 [\n" : "1:1 {\n1:1 key a\n", pos[h], line, line,
                 line, line);
        char *log = run(t.p, &o);
        /* Whole and in a few cuts (the full sweep is too slow here). */
        if (strcmp(log, want) != 0) fail_msg("%s\nwant:\n%s", log, want);
        size_t sizes[] = {1, 7, 4096, 65537};
        for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
            char *cut = run_split(t.p, t.n, &o, split_fixed, &sizes[k], NULL);
            assert_string_equal(cut, log);
            free(cut);
        }
        free(log);
        free(t.p);
    }
}

/* Scalars of max_string bytes always fit, one after the other, in every
 * style, however the input is cut. */
static void window_fits(void **state)
{
    (void)state;
    enum { N = 100000 };
    opts o = {N, 0, 0};
    text t = {0};
    put(&t, "- \"", 3);
    for (int i = 0; i < N; i++)
        put(&t, "d", 1);
    put(&t, "\"\n- '", 5);
    for (int i = 0; i < N; i++)
        put(&t, "s", 1);
    put(&t, "'\n- ", 4);
    for (int i = 0; i < N; i++)
        put(&t, "p", 1);
    put(&t, "\n- |\n  ", 7);
    for (int i = 0; i < N - 1; i++)
        put(&t, "b", 1);
    put(&t, "\n- ", 3);
    for (int i = 0; i < N; i++)
        put(&t, "q", 1);
    put(&t, "\n", 1);
    char *whole = run(t.p, &o);
    assert_null(strstr(whole, "error"));
    const char *want[] = {"1:1 [\n1:3 string ddd", "2:3 string sss",
                          "3:3 string ppp",        "4:3 string bbb",
                          "6:3 string qqq",        "q\n6:100003 ]\n"};
    for (size_t i = 0; i < sizeof want / sizeof *want; i++)
        assert_non_null(strstr(whole, want[i]));
    size_t sizes[] = {1, 4096, 1 << 20};
    for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
        char *cut = run_split(t.p, t.n, &o, split_fixed, &sizes[k], NULL);
        assert_string_equal(cut, whole);
        free(cut);
    }
    free(whole);
    free(t.p);
}

/* ---- errors and recovery ------------------------------------------------ */

static void errors(void **state)
{
    (void)state;
    expect("a: [1, 2\n---\nb: 1\n",
           "1:1 {\n"
           "1:1 key a\n"
           "1:4 [\n"
           "1:5 number 1\n"
           "1:8 number 2\n"
           "2:1 error syntax: invalid YAML: did not find expected ',' or ']' "
           "while parsing a flow sequence, found '-'\n"
           "reset\n"
           "3:1 {\n"
           "3:1 key b\n"
           "3:4 number 1\n"
           "3:5 }\n");
    /* "1 b" is one plain scalar over two lines. */
    expect("a: 1\n b: 2\n---\nc: 3\n",
           "1:1 {\n"
           "1:1 key a\n"
           "1:4 string 1 b\n"
           "2:3 error syntax: invalid YAML: mapping values are not allowed in "
           "this context, found ':'\n"
           "reset\n"
           "4:1 {\n"
           "4:1 key c\n"
           "4:4 number 3\n"
           "4:5 }\n");
    /* Invalid UTF-8 and control characters, at their byte. */
    /* libyaml looks up to 4 characters ahead: the value before the bad
     * byte is not sent. */
    expect("a: b\nc: d \xc3\xa9\xff\n---\ne: 1\n",
           "1:1 {\n"
           "1:1 key a\n"
           "1:4 string b\n"
           "2:1 key c\n"
           "2:8 error syntax: invalid YAML: invalid leading UTF-8 octet, found "
           "byte 0xff\n"
           "reset\n"
           "4:1 {\n"
           "4:1 key e\n"
           "4:4 number 1\n"
           "4:5 }\n");
    expect("a: x\x01y\n--- [1]\n",
           "1:5 error syntax: invalid YAML: control characters are not "
           "allowed, found byte 0x01\nreset\n2:5 [\n2:6 number 1\n2:7 ]\n");
    /* No `---` after the error: the rest is skipped. */
    expect("a: 'open\n", "1:1 {\n1:1 key a\n"
                         "2:1 error syntax: invalid YAML: found unexpected "
                         "end of stream while scanning a quoted scalar, "
                         "found the end of the input\nreset\n");
    /* `---` inside a broken document, not at a line start, is no
     * document start. */
    expect("a: [\n  --- x\n----\n--- \n[1]\n", NULL);
}

/* ---- positions ---------------------------------------------------------- */

/* Byte columns and offsets, though libyaml counts characters. */
static void positions(void **state)
{
    (void)state;
    expect("\xc3\xa9t\xc3\xa9: \xe2\x82\xac\xf0\x9f\x98\x80 x\n"
           "b: [\xc3\xa9, 1]\r\nc: 2\n",
           "1:1 {\n"
           "1:1 key \\xc3\\xa9t\\xc3\\xa9\n"
           "1:8 string \\xe2\\x82\\xac\\xf0\\x9f\\x98\\x80 x\n"
           "2:1 key b\n"
           "2:4 [\n"
           "2:5 string \\xc3\\xa9\n"
           "2:9 number 1\n"
           "2:10 ]\n"
           "3:1 key c\n"
           "3:4 number 2\n"
           "3:5 }\n");
}

/* ---- the decoder's answers ---------------------------------------------- */

/* A document the decoder drops: the rest of it is skipped, the next one
 * read. A stop ends the input at once. */
static void decoder_answers(void **state)
{
    (void)state;
    const char *in = "a: 1\nb: [2, 3]\n---\nc: 4\n";
    opts drop = {0, 5, 0};
    expect_o(in, &drop,
             "1:1 {\n"
             "1:1 key a\n"
             "1:4 number 1\n"
             "2:1 key b\n"
             "2:4 [\n"
             "(drop)\n"
             "reset\n"
             "4:1 {\n"
             "4:1 key c\n"
             "4:4 number 4\n"
             "4:5 }\n");
    opts stop = {0, 5, 1};
    expect_o(in, &stop,
             "1:1 {\n1:1 key a\n1:4 number 1\n2:1 key b\n2:4 [\n(stop)\n"
             "stopped\n");
}

/* ---- memory ------------------------------------------------------------ */

/* An allocator that refuses the allocation numbered fail_at (from 0). */
typedef struct failing {
    unsigned count, fail_at;
} failing;

static void *f_malloc(void *ctx, size_t n)
{
    failing *f = ctx;
    return f->count++ == f->fail_at ? NULL : malloc(n);
}
static void *f_realloc(void *ctx, void *p, size_t n)
{
    failing *f = ctx;
    return f->count++ == f->fail_at ? NULL : realloc(p, n);
}

/* Every allocation of the front end refused in turn: new returns NULL, or
 * a call returns NFB_ENOMEM with diags->failed set and nothing after it,
 * or the allocation was not needed and the log is the full one. */
static void out_of_memory(void **state)
{
    (void)state;
    text t = {0};
    static const char head[] = "a: [0x1F, {b: 0o17}, 1.]\n---\n";
    put(&t, head, sizeof head - 1);
    for (int i = 0; i < 20000; i++)
        put(&t, "- 12345\n", 8);
    opts o = {16, 0, 0};
    char *full = run(t.p, &o);
    int reached_end = 0;
    unsigned refused = 0; /* runs where a feed or finish ran out */
    for (unsigned k = 0; !reached_end; k++) {
        failing f = {0, k};
        nfb_allocator a = {f_malloc, f_realloc, t_free, &f};
        nfb__diags dg;
        memset(&dg, 0, sizeof dg);
        nfb__dec dec;
        memset(&dec, 0, sizeof dec);
        dec.dg = &dg;
        dec.input = t.p;
        dec.input_len = t.n;
        dg.on_diag = on_diag;
        dg.ctx = &dec;
        dg.max_diags = 100;
        nfb__yaml *y = nfb__yaml_new(&a, &dec, &dg, o.max_string);
        if (!y) {
            assert_true(f.count > k);
            continue;
        }
        nfb__yaml_begin(y);
        nfb_result r = NFB_OK;
        for (size_t pos = 0; pos < t.n && r == NFB_OK; pos += 4096) {
            size_t n = t.n - pos < 4096 ? t.n - pos : 4096;
            r = nfb__yaml_feed(y, (const unsigned char *)t.p + pos, n);
        }
        if (r == NFB_OK) r = nfb__yaml_finish(y);
        if (f.count <= k) {
            /* Nothing refused: the whole log. */
            assert_int_equal(r, NFB_OK);
            assert_string_equal(dec.log.p, full);
            reached_end = 1;
        } else {
            assert_int_equal(r, NFB_ENOMEM);
            assert_true(dg.failed);
            refused++;
            /* What was sent before is the start of the full log. */
            if (dec.log.p) assert_memory_equal(dec.log.p, full, dec.log.n);
            /* Once failed, the handle only refuses. */
            assert_int_equal(nfb__yaml_feed(y, (const unsigned char *)"a", 1),
                             NFB_ENOMEM);
        }
        nfb__yaml_free(y);
        free(dec.log.p);
    }
    /* The ring (first and grown), the nesting stack, the number. */
    assert_true(refused >= 4);
    free(full);
    free(t.p);
}

/* ---- chunking ----------------------------------------------------------- */

/* Inputs that end in odd places: every way of cutting them gives the same
 * log (checked by expect() for every case above too). */
static void chunking(void **state)
{
    (void)state;
    static const char *const inputs[] = {
        "a",
        "-",
        "---",
        "--- a\n--",
        "a: b\n---",
        "a: \"\\u00e9\\U0001F600\"\n",
        "\xc3",
        "a: \xe2\x82",
        "k: v # comment\n# more\n\n\n- x\n",
        "[1, {a: b}, \"c\", 'd']\n--- x\n--- [\n---\n{}\n",
        "a: |+\n  keep\n\n---\nb: >\n  fold\n  ed\n",
    };
    for (size_t i = 0; i < sizeof inputs / sizeof *inputs; i++)
        expect(inputs[i], NULL);
    opts small = {4, 0, 0};
    for (size_t i = 0; i < sizeof inputs / sizeof *inputs; i++)
        expect_o(inputs[i], &small, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(cli_get),      cmocka_unit_test(cli_list),
        cmocka_unit_test(own_layouts),  cmocka_unit_test(documents),
        cmocka_unit_test(scalar_types), cmocka_unit_test(long_radix),
        cmocka_unit_test(refusals),     cmocka_unit_test(billion_laughs),
        cmocka_unit_test(token_limit),  cmocka_unit_test(window_limit),
        cmocka_unit_test(window_fits),  cmocka_unit_test(errors),
        cmocka_unit_test(positions),    cmocka_unit_test(decoder_answers),
        cmocka_unit_test(chunking),     cmocka_unit_test(out_of_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
