/* Re-entry: a handle called from inside one of its own callbacks.
 *
 * From on_record, on_diag and on_input, every reader call that returns an
 * nfb_result (begin, feed, finish, read, feed_file) returns NFB_ESTATE and
 * does nothing; nfb_reader_on_input and nfb_reader_free do nothing;
 * nfb_reader_stats_get and nfb_reader_between_documents answer (0 inside
 * a document). The outer
 * call then goes on as if nothing had been asked: the same records and
 * diagnostics. The same for a writer called from its write function and
 * its note function. Run under ASan, a call that touched the reader's
 * state (a freed name, a parser re-entered) shows as a failure here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <nfbackup/nfbackup.h>

#define BACKUP                                                                 \
    "{\"id\":\"a\",\"name\":\"b\",\"status\":\"failed\",\"createdAt\":"        \
    "\"2021-01-20T11:19:53.175Z\",\"config\":{\"size\":\"1\"}}"

/* Two valid records and one document with a wrong type between them. */
#define INPUT BACKUP "\n{\"data\":1}\n" BACKUP "\n"

typedef struct probe {
    nfb_reader *r;
    int probe_records, probe_diags, probe_inputs; /* which callbacks probe */
    int records, diags, inputs;                   /* callbacks seen */
    int probes;                                   /* probes run */
    char failure[256]; /* the first one that failed */
} probe;

static void fail_once(probe *p, const char *where, const char *call,
                      const char *what)
{
    if (!p->failure[0])
        snprintf(p->failure, sizeof p->failure, "%s from %s: %s", call, where,
                 what);
}

static void expect_estate(probe *p, const char *where, const char *call,
                          nfb_result res)
{
    if (res != NFB_ESTATE) fail_once(p, where, call, nfb_result_str(res));
}

/* BACKUP once, from *(size_t *)ctx on. */
static ptrdiff_t read_backup(void *ctx, void *buf, size_t len)
{
    size_t *at = ctx, left = strlen(BACKUP) - *at;
    size_t n = left < len ? left : len;
    memcpy(buf, &BACKUP[*at], n);
    *at += n;
    return (ptrdiff_t)n;
}

static int other_input(void *ctx, const char *archive, const char *member)
{
    (void)archive, (void)member;
    fail_once(ctx, "on_input", "nfb_reader_on_input", "replaced the callback");
    return 0;
}

static int on_input(void *ctx, const char *archive, const char *member);

/* Every reader entry point, called from the callback named where. */
static void probe_reader(probe *p, const char *where)
{
    nfb_reader *r = p->r;
    p->probes++;
    expect_estate(p, where, "nfb_reader_begin", nfb_reader_begin(r, "again"));
    expect_estate(p, where, "nfb_reader_feed",
                  nfb_reader_feed(r, BACKUP, strlen(BACKUP)));
    expect_estate(p, where, "nfb_reader_finish", nfb_reader_finish(r));
    size_t at = 0;
    expect_estate(p, where, "nfb_reader_read",
                  nfb_reader_read(r, "again", read_backup, &at));
    if (at != 0) fail_once(p, where, "nfb_reader_read", "read its input");
    expect_estate(p, where, "nfb_reader_feed_file",
                  nfb_reader_feed_file(r, NFB_TESTDATA "/forms/api.json"));
    nfb_reader_on_input(r, other_input, p);
    nfb_reader_stats st;
    memset(&st, 0xff, sizeof st);
    nfb_reader_stats_get(r, &st);
    if (st.records != (uint64_t)p->records)
        fail_once(p, where, "nfb_reader_stats_get", "wrong record count");
    /* Inside a document: 0. (At an archive member's start, on_input,
     * the reader is between documents, and may say so.) */
    int between = nfb_reader_between_documents(r);
    if (between != 0 && strcmp(where, "on_input") != 0)
        fail_once(p, where, "nfb_reader_between_documents", "said 1");
    nfb_reader_free(r); /* does nothing: ASan would see the reader used */
}

static int on_record(void *ctx, const nfb_backup *b)
{
    probe *p = ctx;
    p->records++;
    if (!p->probe_inputs && (b->id.len != 1 || b->id.ptr[0] != 'a'))
        fail_once(p, "on_record", "the record", "not the one fed");
    if (p->probe_records) probe_reader(p, "on_record");
    return 0;
}

static int on_diag(void *ctx, const nfb_diag *d)
{
    probe *p = ctx;
    p->diags++;
    if (!p->probe_inputs && d->code != NFB_CODE_WRONG_TYPE)
        fail_once(p, "on_diag", "the diagnostic", d->message);
    if (p->probe_diags) probe_reader(p, "on_diag");
    return 0;
}

static int on_input(void *ctx, const char *archive, const char *member)
{
    probe *p = ctx;
    (void)archive, (void)member;
    p->inputs++;
    if (p->probe_inputs) probe_reader(p, "on_input");
    return 0;
}

static nfb_reader *make_reader(probe *p)
{
    nfb_reader_config cfg;
    nfb_reader_config_init(&cfg);
    cfg.on_record = on_record;
    cfg.on_diag = on_diag;
    cfg.ctx = p;
    nfb_reader *r = nfb_reader_new(&cfg, NULL);
    assert_non_null(r);
    nfb_reader_on_input(r, on_input, p);
    p->r = r;
    return r;
}

/* INPUT fed in one call, then finished; then fed again by read. */
static void run_input(probe *p)
{
    nfb_reader *r = make_reader(p);
    assert_int_equal(nfb_reader_begin(r, "input"), NFB_OK);
    assert_int_equal(nfb_reader_feed(r, INPUT, strlen(INPUT)), NFB_OK);
    assert_int_equal(nfb_reader_finish(r), NFB_OK);
    size_t at = 0;
    assert_int_equal(nfb_reader_read(r, "read", read_backup, &at), NFB_OK);
    if (p->failure[0]) fail_msg("%s", p->failure);
    assert_int_equal(p->records, 3);
    assert_int_equal(p->diags, 1);
    nfb_reader_stats st;
    nfb_reader_stats_get(r, &st);
    assert_int_equal(st.records, 3);
    assert_int_equal(st.errors, 1);
    assert_int_equal(nfb_reader_between_documents(r), 0);
    nfb_reader_free(r);
}

static void reader_from_on_record(void **state)
{
    (void)state;
    probe p = {.probe_records = 1};
    run_input(&p);
    assert_int_equal(p.probes, 3);
}

static void reader_from_on_diag(void **state)
{
    (void)state;
    probe p = {.probe_diags = 1};
    run_input(&p);
    assert_int_equal(p.probes, 1);
}

/* An archive's members, read with feed_file (records and diagnostics of
 * its own): every callback probes. */
static void reader_from_on_input(void **state)
{
    (void)state;
    probe p = {.probe_records = 1, .probe_diags = 1, .probe_inputs = 1};
    nfb_reader *r = make_reader(&p);
    assert_int_equal(
        nfb_reader_feed_file(r, NFB_TESTDATA "/archive/backups.tar"), NFB_OK);
    if (p.failure[0]) fail_msg("%s", p.failure);
    assert_true(p.inputs > 0);
    assert_int_equal(p.probes, p.inputs + p.records + p.diags);
    nfb_reader_stats st;
    nfb_reader_stats_get(r, &st);
    assert_int_equal(st.records, (uint64_t)p.records);
    nfb_reader_free(r);
}

/* ---- writers ------------------------------------------------------------ */

typedef struct wprobe {
    nfb_writer *w;
    const nfb_backup *b;
    int writes, notes;
    size_t bytes;
    char failure[256];
} wprobe;

static void probe_writer(wprobe *p, const char *where)
{
    nfb_result res = nfb_writer_record(p->w, p->b);
    if (res != NFB_ESTATE && !p->failure[0])
        snprintf(p->failure, sizeof p->failure, "nfb_writer_record from %s: %s",
                 where, nfb_result_str(res));
    res = nfb_writer_end(p->w);
    if (res != NFB_ESTATE && !p->failure[0])
        snprintf(p->failure, sizeof p->failure, "nfb_writer_end from %s: %s",
                 where, nfb_result_str(res));
    nfb_writer_free(p->w); /* does nothing */
}

static int write_fn(void *ctx, const void *data, size_t len)
{
    wprobe *p = ctx;
    (void)data;
    p->writes++;
    p->bytes += len;
    probe_writer(p, "write");
    return 0;
}

static void note_fn(void *ctx, const char *message)
{
    wprobe *p = ctx;
    (void)message;
    p->notes++;
    probe_writer(p, "on_note");
}

static void writer_from_callbacks(void **state)
{
    (void)state;
    nfb_backup b = {0};
    b.id = (nfb_str){"a", 1};
    b.name = (nfb_str){"b", 1};
    b.status = NFB_STATUS_COMPLETED;
    b.created_at.text = (nfb_str){"2021-01-20T11:19:53.175Z", 24};
    /* Above 2^53: xlsx writes it as text, with a note. */
    b.config.size_text = (nfb_str){"18014398509481985", 17};
    b.config.size = 18014398509481985u;
    for (size_t i = 0; nfb_format_get(i); i++) {
        const char *name = nfb_format_get(i)->name;
        wprobe p = {.b = &b};
        nfb_writer_options o = {.size = sizeof o};
        o.write = write_fn;
        o.ctx = &p;
        o.on_note = note_fn;
        o.note_ctx = &p;
        nfb_error err;
        p.w = nfb_writer_new(name, &o, &err);
        assert_non_null(p.w);
        assert_int_equal(nfb_writer_record(p.w, &b), NFB_OK);
        assert_int_equal(nfb_writer_end(p.w), NFB_OK);
        if (p.failure[0]) fail_msg("%s: %s", name, p.failure);
        assert_true(p.writes > 0);
        assert_true(p.bytes > 0);
        if (strcmp(name, "xlsx") == 0) assert_int_equal(p.notes, 1);
        nfb_writer_free(p.w);
    }
}

int main(int argc, char **argv)
{
    if (argc > 1) cmocka_set_test_filter(argv[1]); /* one test, by name */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reader_from_on_record),
        cmocka_unit_test(reader_from_on_diag),
        cmocka_unit_test(reader_from_on_input),
        cmocka_unit_test(writer_from_callbacks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
