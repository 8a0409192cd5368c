/* nfb_reader_on_diag_filter: a diagnostic the filter leaves out is
 * counted and never delivered; one it keeps arrives exactly as it does
 * without a filter, its position and message included, whatever the
 * chunks; the filter sees what on_diag would, without position and
 * message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <nfbackup/nfbackup.h>

/* Lints (of a record and of its lastRestore, in a list page whose paths
 * have indexes), unknown fields, a missing field, a duplicate, an API
 * error, a wrong type, a bad enum, date-time and size, a credential header
 * and a syntax error, on several lines, pretty and compact. */
static const char INPUT[] =
    "{\"data\":{\"id\":\"a\",\"name\":\"n\",\"status\":\"completed\",\n"
    "  \"createdAt\":\"2021-01-20T11:19:53.175Z\",\"config\":{\"size\":\"1\"},"
    "\"extra\":1}}\n"
    "{\"data\":{\"backups\":[\n"
    "  {\"id\":\"b\",\"name\":\"n\",\"status\":\"failed\",\n"
    "   "
    "\"createdAt\":\"2021-01-20T11:19:53.175Z\",\"config\":{\"size\":\"1\"}},\n"
    "  {\"id\":\"c\",\"name\":\"n\",\"status\":\"scheduled\",\n"
    "   \"createdAt\":\"2021-01-20T11:19:53.175Z\",\n"
    "   "
    "\"completedAt\":\"2021-01-19T11:19:53.175Z\",\"config\":{\"size\":\"1\"},"
    "\n"
    "   \"lastRestore\":{\"restoreTimestamp\":\"2021-01-20T11:19:53.175Z\",\n"
    "     "
    "\"status\":\"completed\"}}]},\"pagination\":{\"hasNextPage\":false}}\n"
    "{\"data\":{\"id\":\"d\",\"name\":\"n\",\"status\":\"failed\",\"name\":"
    "\"m\","
    "\"createdAt\":\"2021-01-20T11:19:53.175Z\",\"config\":{\"size\":\"1\"}}}\n"
    "{\"data\":{\"id\":\"e\",\"status\":\"failed\",\"wat\":2,"
    "\"createdAt\":\"2021-01-20T11:19:53.175Z\",\"config\":{\"size\":\"1\"}}}\n"
    "{\"error\":{\"status\":404,\"message\":\"not found\"}}\n"
    "{\"data\":{\"id\":\"f\",\"name\":\"n\",\"status\":\"completed\",\"oops\":"
    "1,"
    "\n\"createdAt\":\"2021-01-20T11:19:53.175Z\",\"config\":{\"size\":\"1\"}}}"
    "\n"
    "{\"data\":{\"id\":\"g\",\"name\":5,\"status\":\"deleting\",\n"
    " \"createdAt\":\"yesterday\",\"config\":{\"size\":\"12kB\"}},\n"
    " \"request\":{\"headers\":{\"Authorization\":\"Bearer x\"}}}\n"
    "{\"data\":[1,}\n";

enum { MAX_SEEN = 64 };

typedef struct run {
    /* what the filter keeps: NULL all, else all but this code */
    const nfb_code *drop;
    char delivered[MAX_SEEN][1024];
    int n_delivered;
    char asked[MAX_SEEN][512];
    int n_asked;
    int filter_bad; /* the filter was given a position or a message */
} run;

static int on_diag(void *ctx, const nfb_diag *d)
{
    run *rn = ctx;
    assert_true(rn->n_delivered < MAX_SEEN);
    assert_non_null(d->message);
    snprintf(rn->delivered[rn->n_delivered++], sizeof rn->delivered[0],
             "%s %s %s doc %llu at %llu %llu:%llu %s: %s",
             nfb_severity_name(d->severity), nfb_code_name(d->code), d->input,
             (unsigned long long)d->document, (unsigned long long)d->offset,
             (unsigned long long)d->line, (unsigned long long)d->column,
             d->path, d->message);
    return 0;
}

static int filter(void *ctx, const nfb_diag *d)
{
    run *rn = ctx;
    assert_true(rn->n_asked < MAX_SEEN);
    if (d->offset || d->line || d->column || d->message) rn->filter_bad = 1;
    snprintf(rn->asked[rn->n_asked++], sizeof rn->asked[0],
             "%s %s %s doc %llu %s", nfb_severity_name(d->severity),
             nfb_code_name(d->code), d->input, (unsigned long long)d->document,
             d->path);
    return !rn->drop || d->code != *rn->drop;
}

/* Reads INPUT in chunks of chunk bytes (0: whole), with the filter when
 * with_filter; the reader's counts into *st. */
static void read_input(run *rn, int with_filter, size_t chunk, size_t max_diags,
                       nfb_reader_stats *st)
{
    nfb_reader_config cfg;
    nfb_reader_config_init(&cfg);
    cfg.on_diag = on_diag;
    cfg.ctx = rn;
    if (max_diags) cfg.max_diags = max_diags;
    nfb_reader *r = nfb_reader_new(&cfg, NULL);
    assert_non_null(r);
    if (with_filter) nfb_reader_on_diag_filter(r, filter, rn);
    assert_int_equal(nfb_reader_begin(r, "in.json"), NFB_OK);
    size_t len = sizeof INPUT - 1;
    if (!chunk) chunk = len;
    for (size_t at = 0; at < len; at += chunk)
        assert_int_equal(
            nfb_reader_feed(r, INPUT + at, len - at < chunk ? len - at : chunk),
            NFB_OK);
    assert_int_equal(nfb_reader_finish(r), NFB_OK);
    nfb_reader_stats_get(r, st);
    nfb_reader_free(r);
}

static int has_code(const run *rn, const char *code)
{
    for (int i = 0; i < rn->n_delivered; i++)
        if (strstr(rn->delivered[i], code)) return 1;
    return 0;
}

/* Diagnostics whose position (and for some the message) the reader works
 * out only for those it delivers, whole (as the reader without a filter
 * has always given them). */
static const char *const PINNED[] = {
    "warning lint in.json doc 1 at 8 1:9 data.status: expected completedAt "
    "with status \"completed\", found none",
    "warning lint in.json doc 2 at 257 6:3 data.backups[1].completedAt: "
    "expected no completedAt with status \"scheduled\", found "
    "2021-01-19T11:19:53.175Z",
    "warning lint in.json doc 2 at 257 6:3 "
    "data.backups[1].lastRestore.status: expected completedAt with status "
    "\"completed\", found none",
    "error missing-field in.json doc 4 at 670 12:9 data: expected field "
    "\"name\" in a backup, found none",
    "error api-error in.json doc 5 at 778 13:10 : expected a backup, found "
    "an API error response (status 404: \"not found\")",
    "warning unknown-field in.json doc 6 at 866 14:51 data.oops: expected a "
    "field of a backup, found unknown field \"oops\"",
    "error wrong-type in.json doc 7 at 964 16:26 data.name: expected a "
    "string, found the number 5",
    "error bad-enum in.json doc 7 at 975 16:37 data.status: expected one of "
    "\"scheduled\", \"in-progress\", \"completed\", \"aborting\", "
    "\"aborted\", \"failed\" or \"not-supported\", found \"deleting\"",
    "error bad-date-time in.json doc 7 at 1000 17:14 data.createdAt: "
    "expected an RFC 3339 date-time, found \"yesterday\": expected a 4-digit "
    "year, found 'y'",
    "error bad-size in.json doc 7 at 1029 17:43 data.config.size: expected a "
    "decimal byte count, found \"12kB\" (not a decimal digit 'k')",
    "warning secret in.json doc 7 at 1062 18:24 "
    "request.headers.Authorization: expected no credentials in a saved "
    "response, found an Authorization header (the archive holds an API "
    "token)",
};

static void has_pinned(const run *rn)
{
    for (size_t p = 0; p < sizeof PINNED / sizeof PINNED[0]; p++) {
        int found = 0;
        for (int i = 0; i < rn->n_delivered; i++)
            found |= strcmp(rn->delivered[i], PINNED[p]) == 0;
        if (!found) fail_msg("not delivered: %s", PINNED[p]);
    }
}

/* A filter that keeps everything: the same diagnostics as none, and it
 * was asked about each one, with what on_diag got but the position and
 * message. */
static void keep_all_is_no_filter(void **state)
{
    (void)state;
    static const size_t chunks[] = {0, 1, 7};
    for (size_t c = 0; c < sizeof chunks / sizeof chunks[0]; c++) {
        static run plain, kept;
        memset(&plain, 0, sizeof plain);
        memset(&kept, 0, sizeof kept);
        nfb_reader_stats s0, s1;
        read_input(&plain, 0, chunks[c], 0, &s0);
        read_input(&kept, 1, chunks[c], 0, &s1);
        /* The input draws every kind the test means to cover. */
        assert_true(has_code(&plain, " lint "));
        assert_true(has_code(&plain, " unknown-field "));
        assert_true(has_code(&plain, " missing-field "));
        assert_true(has_code(&plain, " syntax "));
        assert_true(has_code(&plain, " secret "));
        has_pinned(&plain);
        has_pinned(&kept);
        assert_int_equal(kept.n_delivered, plain.n_delivered);
        for (int i = 0; i < plain.n_delivered; i++)
            assert_string_equal(kept.delivered[i], plain.delivered[i]);
        assert_int_equal(kept.n_asked, plain.n_delivered);
        assert_false(kept.filter_bad);
        for (int i = 0; i < kept.n_asked; i++) {
            /* "SEV CODE INPUT doc N" and the path, as delivered. */
            char want[1024];
            unsigned long long doc, off, line, col;
            char sev[16], code[32], input[32];
            int n = 0;
            assert_int_equal(sscanf(plain.delivered[i],
                                    "%15s %31s %31s doc %llu at %llu "
                                    "%llu:%llu %n",
                                    sev, code, input, &doc, &off, &line, &col,
                                    &n),
                             7);
            const char *path = plain.delivered[i] + n;
            const char *colon = strstr(path, ": ");
            snprintf(want, sizeof want, "%s %s %s doc %llu %.*s", sev, code,
                     input, doc, (int)(colon - path), path);
            assert_string_equal(kept.asked[i], want);
        }
        assert_memory_equal(&s0, &s1, sizeof s0);
    }
}

/* A filter that leaves lints out: they are counted in the stats as
 * before, never delivered, and the rest arrive as without a filter. */
static void dropped_are_counted_not_delivered(void **state)
{
    (void)state;
    static const size_t chunks[] = {0, 1, 5};
    for (size_t c = 0; c < sizeof chunks / sizeof chunks[0]; c++) {
        static run plain, some;
        memset(&plain, 0, sizeof plain);
        memset(&some, 0, sizeof some);
        static const nfb_code lint = NFB_CODE_LINT;
        some.drop = &lint;
        nfb_reader_stats s0, s1;
        read_input(&plain, 0, chunks[c], 0, &s0);
        read_input(&some, 1, chunks[c], 0, &s1);
        int lints = 0, j = 0;
        for (int i = 0; i < plain.n_delivered; i++) {
            if (strstr(plain.delivered[i], " lint ")) {
                lints++;
                continue;
            }
            assert_true(j < some.n_delivered);
            assert_string_equal(some.delivered[j], plain.delivered[i]);
            j++;
        }
        assert_true(lints >= 4);
        has_pinned(&plain);
        assert_int_equal(some.n_delivered, j);
        assert_int_equal(some.n_delivered, plain.n_delivered - lints);
        /* Asked about all, lints too. */
        assert_int_equal(some.n_asked, plain.n_delivered);
        assert_false(has_code(&some, " lint "));
        assert_memory_equal(&s0, &s1, sizeof s0);
        assert_true(s1.warnings >= (uint64_t)lints);
    }
}

/* max_diags counts what on_diag is given: past the cap, the notice
 * (code limit, path "") is asked about too; the diagnostics left out do
 * not use up the cap of a document's warnings. */
static void cap_counts_what_is_delivered(void **state)
{
    (void)state;
    static run plain, some, all;
    memset(&plain, 0, sizeof plain);
    memset(&some, 0, sizeof some);
    memset(&all, 0, sizeof all);
    static const nfb_code unknown = NFB_CODE_UNKNOWN_FIELD;
    some.drop = &unknown;
    nfb_reader_stats s0, s1, s2;
    read_input(&plain, 0, 0, 1, &s0);
    read_input(&some, 1, 0, 1, &s1);
    read_input(&all, 1, 0, 1, &s2);
    /* Document 1 has an unknown field, then a lint (both warnings): with
     * a cap of 1, the unknown field is shown and the lint is the
     * notice. */
    assert_true(has_code(&plain, "warning unknown-field in.json doc 1 "));
    assert_true(has_code(&plain, "warning limit in.json doc 1 "));
    assert_false(has_code(&plain, "warning lint in.json doc 1 "));
    /* The unknown field left out, the lint is shown instead. */
    assert_true(has_code(&some, "warning lint in.json doc 1 "));
    assert_false(has_code(&some, "warning limit in.json doc 1 "));
    assert_false(has_code(&some, " unknown-field "));
    /* Keeping all is no filter, notices included. */
    assert_int_equal(all.n_delivered, plain.n_delivered);
    for (int i = 0; i < plain.n_delivered; i++)
        assert_string_equal(all.delivered[i], plain.delivered[i]);
    int notices = 0;
    for (int i = 0; i < all.n_asked; i++)
        if (strncmp(all.asked[i], "warning limit in.json", 21) == 0) {
            notices++;
            /* The notice has no path. */
            assert_int_equal(all.asked[i][strlen(all.asked[i]) - 1], ' ');
        }
    assert_true(notices >= 1);
    assert_memory_equal(&s0, &s1, sizeof s0);
    assert_memory_equal(&s0, &s2, sizeof s0);
}

/* No on_diag: the filter is never asked; NULL removes it. */
static void filter_without_on_diag(void **state)
{
    (void)state;
    static run rn;
    memset(&rn, 0, sizeof rn);
    nfb_reader_config cfg;
    nfb_reader_config_init(&cfg);
    nfb_reader *r = nfb_reader_new(&cfg, NULL);
    assert_non_null(r);
    nfb_reader_on_diag_filter(NULL, filter, &rn); /* does nothing */
    nfb_reader_on_diag_filter(r, filter, &rn);
    assert_int_equal(nfb_reader_feed(r, INPUT, sizeof INPUT - 1), NFB_OK);
    assert_int_equal(nfb_reader_finish(r), NFB_OK);
    assert_int_equal(rn.n_asked, 0);
    nfb_reader_stats st;
    nfb_reader_stats_get(r, &st);
    assert_true(st.warnings > 0 && st.errors > 0);
    nfb_reader_free(r);

    cfg.on_diag = on_diag;
    cfg.ctx = &rn;
    r = nfb_reader_new(&cfg, NULL);
    assert_non_null(r);
    nfb_reader_on_diag_filter(r, filter, &rn);
    nfb_reader_on_diag_filter(r, NULL, NULL);
    assert_int_equal(nfb_reader_feed(r, INPUT, sizeof INPUT - 1), NFB_OK);
    assert_int_equal(nfb_reader_finish(r), NFB_OK);
    assert_int_equal(rn.n_asked, 0);
    assert_true(rn.n_delivered > 0);
    nfb_reader_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(keep_all_is_no_filter),
        cmocka_unit_test(dropped_are_counted_not_delivered),
        cmocka_unit_test(cap_counts_what_is_delivered),
        cmocka_unit_test(filter_without_on_diag),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
