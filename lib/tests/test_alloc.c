/* Allocation failure: for every N up to the number of allocations a
 * representative job needs, the N-th of the library's allocations fails.
 * Every such run must end with an error result, never a crash, and give
 * back every byte it took (the allocator below counts; LeakSanitizer checks
 * too under the asan preset). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <nfbackup/nfbackup.h>

typedef struct counting {
    long calls;   /* allocations so far */
    long fail_at; /* the call that fails, 0 for none */
    long live;    /* blocks not yet freed */
} counting;

static void *c_malloc(void *ctx, size_t n)
{
    counting *c = ctx;
    if (++c->calls == c->fail_at) return NULL;
    void *p = malloc(n);
    if (p) c->live++;
    return p;
}

static void *c_realloc(void *ctx, void *p, size_t n)
{
    counting *c = ctx;
    if (++c->calls == c->fail_at) return NULL;
    void *q = realloc(p, n);
    if (q && !p) c->live++;
    return q;
}

static void c_free(void *ctx, void *p)
{
    counting *c = ctx;
    if (p) c->live--;
    free(p);
}

static int sink(void *ctx, const void *data, size_t len)
{
    (void)data;
    *(size_t *)ctx += len;
    return 0;
}

typedef struct job {
    nfb_writer **ws;
    size_t nw;
    int records;
    int failed;
} job;

/* Every record read goes to every writer. */
static int on_record(void *ctx, const nfb_backup *b)
{
    job *j = ctx;
    j->records++;
    for (size_t i = 0; i < j->nw; i++)
        if (nfb_writer_record(j->ws[i], b) != NFB_OK) j->failed = 1;
    return j->failed;
}

/* A stream that exercises every allocation: several forms, a record large
 * enough to need a second arena block, destinations that grow an array, a
 * syntax error that resets the parser, a second input. */
static char *make_input(size_t *len)
{
    static const char head[] =
        "{\"data\":{\"id\":\"a\",\"name\":\"first\",\"status\":\"completed\","
        "\"createdAt\":\"2021-01-20T11:19:53.175Z\",\"completedAt\":"
        "\"2021-01-20T11:19:54.494Z\",\"config\":{\"size\":\"1234\","
        "\"additionalDestinations\":[";
    static const char dest[] =
        "{\"destinationId\":\"d\",\"retentionTime\":7,\"type\":\"custom\"},";
    static const char mid[] =
        "{\"destinationId\":\"last\",\"type\":\"custom\"}]}}}\n"
        "{\"broken\": }\n"
        "[{\"id\":\"b\",\"name\":\"";
    static const char tail[] =
        "\",\"status\":\"failed\",\"createdAt\":\"2021-01-20T11:19:53Z\","
        "\"config\":{\"size\":\"0\"}}]\n";
    size_t big = 40000;
    size_t cap =
        sizeof head + 20 * sizeof dest + sizeof mid + big + sizeof tail;
    char *s = malloc(cap);
    size_t n = 0;
    memcpy(s + n, head, sizeof head - 1), n += sizeof head - 1;
    for (int i = 0; i < 20; i++)
        memcpy(s + n, dest, sizeof dest - 1), n += sizeof dest - 1;
    memcpy(s + n, mid, sizeof mid - 1), n += sizeof mid - 1;
    memset(s + n, 'x', big), n += big;
    memcpy(s + n, tail, sizeof tail - 1), n += sizeof tail - 1;
    *len = n;
    return s;
}

/* Runs the whole job once. Returns 0 when every call succeeded. */
static int run(counting *c, const char *in, size_t len, int *records)
{
    nfb_allocator a = {c_malloc, c_realloc, c_free, c};
    size_t written = 0;
    int failed = 0;
    *records = 0;

    nfb_writer_options wo = {
        .size = sizeof wo, .allocator = &a, .write = sink, .ctx = &written};
    /* One writer of every registered format, all fed the same records. */
    enum { MAXW = 16 };
    nfb_writer *ws[MAXW];
    size_t nw = 0;
    const nfb_format *fmt;
    for (size_t i = 0; (fmt = nfb_format_get(i)) != NULL && nw < MAXW; i++)
        if ((ws[nw++] = nfb_writer_new(fmt->name, &wo, NULL)) == NULL)
            failed = 1;
    nfb_reader_config cfg;
    nfb_reader_config_init(&cfg);
    cfg.allocator = &a;
    job j = {ws, nw, 0, 0};
    cfg.on_record = on_record;
    cfg.ctx = &j;
    nfb_reader *r = nfb_reader_new(&cfg, NULL);
    if (failed || !r) {
        failed = 1;
    } else {
        const char *names[2] = {"one", "two"};
        for (int i = 0; i < 2 && !failed; i++) {
            if (nfb_reader_begin(r, names[i]) != NFB_OK ||
                nfb_reader_feed(r, in, len / 2) != NFB_OK ||
                nfb_reader_feed(r, in + len / 2, len - len / 2) != NFB_OK ||
                nfb_reader_finish(r) != NFB_OK)
                failed = 1;
        }
        *records = j.records;
        nfb_backup b;
        memset(&b, 0, sizeof b);
        b.id = (nfb_str){"x", 1};
        b.name = (nfb_str){"=1+2", 4};
        b.created_at.text = (nfb_str){"2021-01-20T11:19:53Z", 20};
        b.config.size_text = (nfb_str){"0", 1};
        for (size_t i = 0; i < nw && !failed; i++)
            if (nfb_writer_record(ws[i], &b) != NFB_OK ||
                nfb_writer_end(ws[i]) != NFB_OK)
                failed = 1;
    }
    nfb_reader_free(r);
    for (size_t i = 0; i < nw; i++)
        nfb_writer_free(ws[i]);
    return failed;
}

static void every_allocation_can_fail(void **state)
{
    (void)state;
    size_t len;
    char *in = make_input(&len);
    int records;

    counting c = {0, 0, 0};
    assert_int_equal(run(&c, in, len, &records), 0);
    assert_int_equal(records, 4); /* a, b in each of the two inputs */
    assert_int_equal(c.live, 0);
    long total = c.calls;
    assert_true(total >= 8); /* reader, frames, names, arena, writer, sink */

    for (long n = 1; n <= total; n++) {
        counting f = {0, n, 0};
        int res = run(&f, in, len, &records);
        if (res == 0)
            print_error("allocation %ld of %ld failed unseen\n", n, total);
        assert_int_equal(res, 1);
        assert_int_equal(f.live, 0);
    }
    print_message("[ info ] %ld allocation failure points covered\n", total);
    free(in);
}

static void partial_allocator_is_refused(void **state)
{
    (void)state;
    counting c = {0, 0, 0};
    nfb_allocator a = {c_malloc, NULL, c_free, &c};
    nfb_reader_config cfg;
    nfb_reader_config_init(&cfg);
    cfg.allocator = &a;
    assert_null(nfb_reader_new(&cfg, NULL));
    size_t written = 0;
    nfb_error err;
    nfb_writer_options wo = {
        .size = sizeof wo, .allocator = &a, .write = sink, .ctx = &written};
    assert_null(nfb_writer_new("json", &wo, &err));
    assert_non_null(strstr(err.text, "allocator"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_allocation_can_fail),
        cmocka_unit_test(partial_allocator_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
