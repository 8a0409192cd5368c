/* nfb_reader_between_documents keeps its promise: wherever it says 1, the
 * rest of the input read by a new reader (NFB_READ_JSON,
 * NFB_READ_NO_DECOMPRESS) gives the same records and diagnostics, at the
 * same offsets, as the reader that read on. -j's output rests on it.
 *
 * Each input is fed one byte at a time, so the question is asked at every
 * byte, and the inputs are made to pass through every state a layer keeps
 * across a feed: a gzip stream, a UTF-16 or UTF-8 mark, a token or escape
 * cut, a bracket open, a record held for the end of its response, damage
 * being skipped, a document dropped at a limit, a document cut short by
 * the next one, an HTTP response head and the body after it, YAML. A
 * layer whose state the answer forgets makes it say 1 inside that state,
 * and the new reader then reads the rest differently. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <nfbackup/nfbackup.h>

/* ---- a log of what a reader reported ----------------------------------- */

typedef struct event {
    char *text; /* "record ID NAME" or "diag SEV CODE PATH MESSAGE" */
    uint64_t offset;
} event;

typedef struct log_ {
    event *ev;
    size_t n, cap;
    uint64_t base; /* added to the offsets: where the reader began */
} log_;

static void add(log_ *l, uint64_t offset, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
static void add(log_ *l, uint64_t offset, const char *fmt, ...)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 64;
        l->ev = realloc(l->ev, l->cap * sizeof *l->ev);
        assert_non_null(l->ev);
    }
    char t[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(t, sizeof t, fmt, ap);
    va_end(ap);
    l->ev[l->n].text = strdup(t);
    assert_non_null(l->ev[l->n].text);
    l->ev[l->n++].offset = offset;
}

static void log_free(log_ *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->ev[i].text);
    free(l->ev);
}

static int on_record(void *ctx, const nfb_backup *b)
{
    add(ctx, 0, "record %.*s %.*s %s", (int)b->id.len, b->id.ptr,
        (int)b->name.len, b->name.ptr, nfb_status_name(b->status));
    return 0;
}

static int on_diag(void *ctx, const nfb_diag *d)
{
    log_ *l = ctx;
    /* Compressed damage has no line; its offset is in the compressed
     * input, which a reader begun inside it never sees. */
    add(l, d->line ? l->base + d->offset : UINT64_MAX, "diag %d %d %s %s",
        (int)d->severity, (int)d->code, d->path, d->message);
    return 0;
}

static nfb_reader *reader(log_ *l, unsigned flags)
{
    nfb_reader_config cfg;
    nfb_reader_config_init(&cfg);
    cfg.flags = flags;
    cfg.max_string = 200; /* small, so that a token over it is cheap */
    cfg.max_depth = 16;
    cfg.on_record = on_record;
    cfg.on_diag = on_diag;
    cfg.ctx = l;
    nfb_reader *r = nfb_reader_new(&cfg, NULL);
    assert_non_null(r);
    assert_int_equal(nfb_reader_begin(r, "in"), NFB_OK);
    return r;
}

/* ---- the property ------------------------------------------------------ */

/* Where the whole reader said 1, after how many bytes and events. */
typedef struct cut {
    size_t at, events;
} cut;

/* Checks the promise at every byte of p[0..n); returns how many times the
 * reader said 1 (so that a test can tell that an input is cut at all). */
static size_t check(const unsigned char *p, size_t n, unsigned flags)
{
    log_ whole = {0};
    cut *cuts = calloc(n + 1, sizeof *cuts);
    assert_non_null(cuts);
    size_t ncuts = 0;
    nfb_reader *r = reader(&whole, flags);
    for (size_t i = 0; i <= n; i++) {
        if (i) assert_int_equal(nfb_reader_feed(r, p + i - 1, 1), NFB_OK);
        /* A new reader would take a BOM there for one, and says that an
         * input with no document has none (-j's last block is read on by
         * the reader before it). */
        int bom = n - i >= 3 && memcmp(p + i, "\xEF\xBB\xBF", 3) == 0;
        size_t w = i;
        while (w < n && strchr(" \t\r\n", p[w]) && p[w])
            w++;
        if (nfb_reader_between_documents(r) && !bom && w < n)
            cuts[ncuts++] = (cut){i, whole.n};
    }
    assert_int_equal(nfb_reader_finish(r), NFB_OK);
    nfb_reader_free(r);

    for (size_t c = 0; c < ncuts; c++) {
        log_ part = {.base = cuts[c].at};
        nfb_reader *q = reader(&part, NFB_READ_JSON | NFB_READ_NO_DECOMPRESS);
        if (cuts[c].at < n)
            assert_int_equal(nfb_reader_feed(q, p + cuts[c].at, n - cuts[c].at),
                             NFB_OK);
        assert_int_equal(nfb_reader_finish(q), NFB_OK);
        nfb_reader_free(q);
        size_t from = cuts[c].events;
        int same = part.n == whole.n - from;
        for (size_t e = 0; same && e < part.n; e++)
            same = strcmp(part.ev[e].text, whole.ev[from + e].text) == 0 &&
                   part.ev[e].offset == whole.ev[from + e].offset;
        if (!same) {
            print_error("said between documents at byte %zu, but a new reader "
                        "reads the rest otherwise:\n",
                        cuts[c].at);
            for (size_t e = from; e < whole.n; e++)
                print_error("  read on: %llu %s\n",
                            (unsigned long long)whole.ev[e].offset,
                            whole.ev[e].text);
            for (size_t e = 0; e < part.n; e++)
                print_error("  new:     %llu %s\n",
                            (unsigned long long)part.ev[e].offset,
                            part.ev[e].text);
            fail();
        }
        log_free(&part);
    }
    log_free(&whole);
    free(cuts);
    return ncuts;
}

static size_t check_str(const char *s, unsigned flags)
{
    return check((const unsigned char *)s, strlen(s), flags);
}

static unsigned char *slurp(const char *name, size_t *n)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", NFB_TESTDATA, name);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    unsigned char *p = malloc(1 << 20);
    assert_non_null(p);
    *n = fread(p, 1, 1 << 20, f);
    fclose(f);
    return p;
}

/* ---- inputs ------------------------------------------------------------ */

#define BACKUP(id)                                                             \
    "{\"id\":\"" id "\",\"name\":\"B " id "\",\"status\":\"completed\","       \
    "\"createdAt\":\"2021-01-20T11:19:53.175Z\",\"completedAt\":"              \
    "\"2021-01-20T11:19:54.494Z\",\"config\":{\"source\":{\"type\":"           \
    "\"snapshot\"},\"size\":\"1234\",\"addonVersion\":\"4.4.8\"}}"

/* Documents one after another: the reader is between them after each. */
static void plain_documents(void **state)
{
    (void)state;
    assert_true(
        check_str(BACKUP("a") "\n" BACKUP("b") "  " BACKUP("c") "\n", 0) >= 3);
    assert_true(
        check_str("[" BACKUP("a") "," BACKUP("b") "]\n" BACKUP("c"), 0) >= 2);
}

/* Numbers, literals and strings cut at every byte; escapes, a lone
 * surrogate (held until the string ends), RFC 7464's separator. */
static void tokens_and_escapes(void **state)
{
    (void)state;
    assert_true(check_str("12 true\n\"s\\u00e9\\n\" null " BACKUP("a") " 3.5e2",
                          0) >= 3);
    assert_true(check_str("{\"id\":\"a\\ud800b\",\"name\":\"x\"}\n" BACKUP("b"),
                          0) >= 1);
    assert_true(check_str("\x1e" BACKUP("a") "\n\x1e" BACKUP("b") "\n", 0) >=
                1);
}

/* A response's record waits for the response to end whole; the members
 * around it are skipped. */
static void held_record(void **state)
{
    (void)state;
    assert_true(
        check_str("{\"data\":" BACKUP(
                      "a") ",\"rawResponse\":{\"x\":"
                           "[1,{\"y\":2}]},\"request\":{\"headers\":{}}}\n"
                           "{\"data\":" BACKUP("b") ",\"error\":null}",
                  0) >= 1);
}

/* Damage: the rest of a line or document is skipped until a document can
 * begin; a form feed; a string cut by the end of its line. */
static void damage(void **state)
{
    (void)state;
    assert_true(check_str("garbage " BACKUP("a") "\nxx yy\n" BACKUP(
                              "b") "}}]\n" BACKUP("c"),
                          0) >= 1);
    assert_true(
        check_str("{\"id\": nope, \"b\":[1,2]} " BACKUP(
                      "a") "\n"
                           "{\"id\":\"cut\n" BACKUP("b") "\f" BACKUP("c"),
                  0) >= 1);
}

/* A document dropped at a limit (too deep, a token too long) is skipped
 * to its end by counting brackets. */
static void dropped(void **state)
{
    (void)state;
    char deep[4096];
    snprintf(deep, sizeof deep,
             "{\"data\":{\"id\":[[[[[[[[[[[[[[[[[[[[\"}\"]]]]]]]]]]]]]]]]]]]],"
             "\"name\":\"x\"}} " BACKUP("a") "\n{\"id\":\"%0300d\",\"x\":"
                                             "{\"y\":\"]}\"}} " BACKUP(
                                                 "b") " 1%0300d " BACKUP("c"),
             0, 0);
    assert_true(check_str(deep, 0) >= 1);
}

/* A document cut short by the next one, which is parsed again from its
 * first byte. */
static void cut_short(void **state)
{
    (void)state;
    assert_true(
        check_str("{\"data\":{\"id\":\"x\",\"config\":" BACKUP(
                      "a") "\n{\"data\":" BACKUP("b") "}\n[" BACKUP("c"),
                  0) >= 1);
}

/* HTTP response heads, with the body after them. */
static void http_heads(void **state)
{
    (void)state;
    assert_true(
        check_str("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n"
                  "Content-Type: application/json\r\n\r\n"
                  "{\"data\":" BACKUP(
                      "a") "}\n"
                           "HTTP/2 404\r\nx: y\r\n\r\n"
                           "{\"error\":{\"status\":404,\"message\":\"no\"}}\n"
                           "HTTP/1.1 500 Oops\r\n\r\n" BACKUP(
                               "b") "\n"
                                    "HTTX " BACKUP("c"),
                  0) >= 1);
}

/* Marks and encodings: UTF-8's mark, UTF-16 by its mark. */
static void marks(void **state)
{
    (void)state;
    assert_true(check_str("\xEF\xBB\xBF" BACKUP("a") "\n" BACKUP("b"), 0) >= 1);
    const char *text = BACKUP("a") "\n" BACKUP("b") "\n";
    size_t n = strlen(text);
    unsigned char *u = malloc(2 + 2 * n);
    assert_non_null(u);
    u[0] = 0xff, u[1] = 0xfe;
    for (size_t i = 0; i < n; i++)
        u[2 + 2 * i] = (unsigned char)text[i], u[3 + 2 * i] = 0;
    check(u, 2 + 2 * n, 0);
    free(u);
}

/* Compressed input (plain, corrupt), YAML, an input refused: never
 * between documents in the bytes fed. */
static void compressed_and_yaml(void **state)
{
    (void)state;
    const char *names[] = {"forms/api.json.gz", "forms/corrupt.ndjson.gz",
                           "forms/cli-get.yaml.zst", "forms/cli-list.yaml"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        size_t n;
        unsigned char *p = slurp(names[i], &n);
        check(p, n, 0);
        free(p);
    }
    assert_int_equal(check_str("id: a\n---\nid: b\n", NFB_READ_YAML), 0);
    /* Not text (a NUL byte): refused, or damage once JSON is read. */
    static const char nul[] = "\0\n" BACKUP("a") "\n\0\n" BACKUP("b");
    check((const unsigned char *)nul, sizeof nul - 1, 0);
    check((const unsigned char *)nul + 2, sizeof nul - 3, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(plain_documents),
        cmocka_unit_test(tokens_and_escapes),
        cmocka_unit_test(held_record),
        cmocka_unit_test(damage),
        cmocka_unit_test(dropped),
        cmocka_unit_test(cut_short),
        cmocka_unit_test(http_heads),
        cmocka_unit_test(marks),
        cmocka_unit_test(compressed_and_yaml),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
