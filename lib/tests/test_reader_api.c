/* The reader's contract at its edges: inputs begun over an open one, the
 * format flags, and what an input with no document is. */
#include <locale.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <nfbackup/nfbackup.h>

typedef struct seen {
    int records, errors;
    char last[768];
    char last_input[64];
} seen;

static int on_record(void *ctx, const nfb_backup *b)
{
    (void)b;
    ((seen *)ctx)->records++;
    return 0;
}

static int on_diag(void *ctx, const nfb_diag *d)
{
    seen *s = ctx;
    if (d->severity == NFB_ERROR) s->errors++;
    snprintf(s->last, sizeof s->last, "%s", d->message);
    snprintf(s->last_input, sizeof s->last_input, "%s", d->input);
    return 0;
}

static nfb_reader *reader(seen *s, unsigned flags)
{
    nfb_reader_config cfg;
    nfb_reader_config_init(&cfg);
    cfg.on_record = on_record;
    cfg.on_diag = on_diag;
    cfg.ctx = s;
    cfg.flags = flags;
    return nfb_reader_new(&cfg, NULL);
}

#define BACKUP                                                                 \
    "{\"id\":\"a\",\"name\":\"b\",\"status\":\"failed\",\"createdAt\":"        \
    "\"2021-01-20T11:19:53.175Z\",\"config\":{\"size\":\"1\"}}"

/* A new input begun over one left open reports the document cut short, in
 * the first input's name, and the new input reads whole. */
static void begin_over_open(void **state)
{
    (void)state;
    seen s = {0};
    nfb_reader *r = reader(&s, 0);
    assert_non_null(r);
    assert_int_equal(nfb_reader_begin(r, "first"), NFB_OK);
    assert_int_equal(
        nfb_reader_feed(r, "{\"data\":" BACKUP, 8 + strlen(BACKUP)), NFB_OK);
    assert_int_equal(nfb_reader_begin(r, "second"), NFB_OK);
    assert_int_equal(s.errors, 1);
    assert_string_equal(s.last_input, "first");
    assert_non_null(strstr(s.last, "found the end of the input"));
    assert_int_equal(s.records, 0);
    assert_int_equal(nfb_reader_feed(r, BACKUP, strlen(BACKUP)), NFB_OK);
    assert_int_equal(nfb_reader_finish(r), NFB_OK);
    assert_int_equal(s.records, 1);
    assert_int_equal(s.errors, 1);
    nfb_reader_free(r);
}

/* JSON and YAML together cannot be forced. */
static void format_flags(void **state)
{
    (void)state;
    seen s = {0};
    assert_null(reader(&s, NFB_READ_JSON | NFB_READ_YAML));
    /* forced YAML: a JSON text is YAML too (flow style) */
    nfb_reader *r = reader(&s, NFB_READ_YAML);
    assert_non_null(r);
    assert_int_equal(nfb_reader_feed(r, BACKUP, strlen(BACKUP)), NFB_OK);
    assert_int_equal(nfb_reader_finish(r), NFB_OK);
    assert_int_equal(s.records, 1);
    nfb_reader_free(r);
    /* forced JSON: YAML is a syntax error */
    memset(&s, 0, sizeof s);
    r = reader(&s, NFB_READ_JSON);
    const char *y = "id: a\n";
    assert_int_equal(nfb_reader_feed(r, y, strlen(y)), NFB_OK);
    assert_int_equal(nfb_reader_finish(r), NFB_OK);
    assert_int_equal(s.errors, 1);
    assert_non_null(strstr(s.last, "invalid JSON"));
    nfb_reader_free(r);
}

/* No document: an error, for JSON and for a YAML input of comments. */
static void no_document(void **state)
{
    (void)state;
    const char *inputs[] = {"", " \n\t", "\xEF\xBB\xBF", "# only a comment\n",
                            "---\n"};
    const char *want[] = {"JSON", "JSON", "JSON", "YAML", "YAML"};
    for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
        seen s = {0};
        nfb_reader *r = reader(&s, 0);
        assert_int_equal(nfb_reader_begin(r, "in"), NFB_OK);
        assert_int_equal(nfb_reader_feed(r, inputs[i], strlen(inputs[i])),
                         NFB_OK);
        assert_int_equal(nfb_reader_finish(r), NFB_OK);
        assert_int_equal(s.errors, 1);
        char expect[64];
        snprintf(expect, sizeof expect, "expected a %s document", want[i]);
        assert_non_null(strstr(s.last, expect));
        nfb_reader_free(r);
    }
}

static int discard(void *ctx, const void *p, size_t n)
{
    (void)ctx, (void)p, (void)n;
    return 0;
}

/* Creation says why it failed, as a code and a sentence. */
static void create_errors(void **state)
{
    (void)state;
    nfb_error e;
    nfb_reader_config cfg;
    nfb_reader_config_init(&cfg);
    assert_null(nfb_reader_new(NULL, &e));
    assert_int_equal(e.code, NFB_EINVAL);
    cfg.max_depth = NFB_MAX_DEPTH_LIMIT + 1;
    assert_null(nfb_reader_new(&cfg, &e));
    assert_int_equal(e.code, NFB_EINVAL);
    assert_non_null(strstr(e.text, "max_depth"));
    nfb_reader_config_init(&cfg);
    cfg.max_string = NFB_MAX_STRING_LIMIT + 1;
    assert_null(nfb_reader_new(&cfg, &e));
    assert_non_null(strstr(e.text, "max_string"));
    nfb_reader_config_init(&cfg);
    cfg.max_string = NFB_MAX_STRING_LIMIT;
    /* After a failure, a success says nothing of it. */
    nfb_reader *r = nfb_reader_new(&cfg, &e);
    assert_non_null(r);
    assert_int_equal(e.code, NFB_OK);
    assert_string_equal(e.text, "");
    nfb_reader_free(r);

    nfb_writer_options wo;
    nfb_writer_options_init(&wo);
    assert_null(nfb_writer_new("json", &wo, &e)); /* no write function */
    assert_int_equal(e.code, NFB_EINVAL);
    wo.write = discard;
    assert_null(nfb_writer_new("nope", &wo, &e));
    assert_int_equal(e.code, NFB_EINVAL);
    assert_non_null(strstr(e.text, "unknown format"));
    wo.write = NULL;
    wo.path = "/nonexistent-dir/x.xlsx";
    assert_null(nfb_writer_new("xlsx", &wo, &e));
    assert_int_equal(e.code, NFB_EIO);
    assert_non_null(strstr(e.text, "cannot create"));
    wo.path = NULL;
    wo.write = discard;
    nfb_writer *w = nfb_writer_new("json", &wo, &e);
    assert_non_null(w);
    assert_int_equal(e.code, NFB_OK);
    assert_string_equal(e.text, "");
    nfb_writer_free(w);
}

/* The size at the head of a config or options says which fields the
 * caller has: a struct not made by its init function (size 0) is refused,
 * one from a later header (larger) too, and the library reads nothing past
 * the size. */
static void sizes(void **state)
{
    (void)state;
    nfb_error e;
    nfb_reader_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.max_depth = cfg.max_string = cfg.max_record = cfg.max_diags = 1;
    assert_null(nfb_reader_new(&cfg, &e));
    assert_int_equal(e.code, NFB_EINVAL);
    assert_non_null(strstr(e.text, "nfb_reader_config_init"));
    nfb_reader_config_init(&cfg);
    assert_int_equal(cfg.size, sizeof cfg);
    assert_int_equal(cfg.max_depth, NFB_DEFAULT_MAX_DEPTH);
    cfg.size = sizeof cfg + 8;
    assert_null(nfb_reader_new(&cfg, &e));
    assert_non_null(strstr(e.text, "later version"));

    /* A config in a buffer that ends where the struct does: a field past
     * the end (a later version's) would be read out of bounds, which
     * ASan reports. The bytes after it are poison the library must not
     * take either. */
    unsigned char buf[sizeof(nfb_reader_config) + 64];
    memset(buf, 0xa5, sizeof buf);
    nfb_reader_config_init_size((nfb_reader_config *)buf,
                                sizeof(nfb_reader_config));
    for (size_t i = sizeof(nfb_reader_config); i < sizeof buf; i++)
        assert_int_equal(buf[i], 0xa5);
    nfb_reader *r = nfb_reader_new((nfb_reader_config *)buf, &e);
    assert_non_null(r);
    nfb_reader_stats st;
    memset(&st, 0xa5, sizeof st);
    nfb_reader_stats_get_size(r, &st, offsetof(nfb_reader_stats, bytes));
    assert_int_equal(st.documents, 0);
    assert_int_equal(st.warnings, 0);
    assert_int_equal(st.bytes, 0xa5a5a5a5a5a5a5a5u); /* not written */
    nfb_reader_free(r);

    nfb_writer_options wo;
    memset(&wo, 0, sizeof wo);
    wo.write = discard;
    assert_null(nfb_writer_new("json", &wo, &e));
    assert_int_equal(e.code, NFB_EINVAL);
    assert_non_null(strstr(e.text, "nfb_writer_options_init"));
    wo.size = sizeof wo + 8;
    assert_null(nfb_writer_new("json", &wo, &e));
    assert_non_null(strstr(e.text, "later version"));
    memset(&wo, 0xa5, sizeof wo);
    nfb_writer_options_init(&wo);
    assert_int_equal(wo.size, sizeof wo);
    assert_null(wo.columns);
    assert_int_equal(wo.sheet_rows, 0);
}

static int keep_retention(void *ctx, const nfb_backup *b)
{
    assert_int_equal(b->config.additional_destinations_count, 1);
    *(double *)ctx = b->config.additional_destinations[0].retention_days;
    return 0;
}

/* Set when the de_DE.UTF-8 locale is missing: the test is skipped, and
 * the program ends with 77, which ctest shows as a skip. */
static int locale_missing;

/* A number is read as JSON writes it, whatever the caller's locale: in
 * German the decimal point is a comma, and strtod would stop at '.'. */
static void numbers_whatever_the_locale(void **state)
{
    (void)state;
    if (!setlocale(LC_ALL, "de_DE.UTF-8")) {
        const char *all = getenv("NFB_TESTS_REQUIRE_ALL");
        if (all && strcmp(all, "1") == 0)
            fail_msg("no de_DE.UTF-8 locale (scripts/install-deps)");
        print_message("SKIP: numbers in a German locale: no de_DE.UTF-8 "
                      "locale (scripts/install-deps makes it)\n");
        locale_missing = 1;
        skip();
    }
    double days = 0;
    nfb_reader_config cfg;
    nfb_reader_config_init(&cfg);
    cfg.on_record = keep_retention;
    cfg.ctx = &days;
    nfb_reader *r = nfb_reader_new(&cfg, NULL);
    const char *in =
        "{\"id\":\"a\",\"name\":\"b\",\"status\":\"failed\",\"createdAt\":"
        "\"2021-01-20T11:19:53.175Z\",\"config\":{\"size\":\"1\","
        "\"additionalDestinations\":[{\"destinationId\":\"d\","
        "\"retentionTime\":1.5e1,\"type\":\"custom\"}]}}";
    assert_int_equal(nfb_reader_feed(r, in, strlen(in)), NFB_OK);
    assert_int_equal(nfb_reader_finish(r), NFB_OK);
    nfb_reader_free(r);
    setlocale(LC_ALL, "C");
    assert_true(days == 15.0);
}

/* List pages: each ended page once, after its records, with its input,
 * document, element count and hasNextPage; wherever "pagination" stands
 * and whatever it holds besides; JSON and YAML alike. */
typedef struct pages {
    int n;
    int records_before[8];
    nfb_list_page p[8];
    char input[8][32];
    seen *s;
} pages;

static int on_page(void *ctx, const nfb_list_page *p)
{
    pages *pg = ctx;
    assert_true(pg->n < 8);
    pg->records_before[pg->n] = pg->s->records;
    snprintf(pg->input[pg->n], sizeof pg->input[0], "%s", p->input);
    pg->p[pg->n++] = *p;
    return 0;
}

static void list_pages(void **state)
{
    (void)state;
    seen s = {0};
    pages pg = {0};
    pg.s = &s;
    nfb_reader *r = reader(&s, 0);
    assert_non_null(r);
    nfb_reader_on_list_page(r, on_page, &pg);
    const char *in =
        /* more pages follow; pagination first, a nested value in it */
        "{\"pagination\":{\"cursor\":{\"hasNextPage\":false},"
        "\"hasNextPage\":true,\"count\":2},"
        "\"data\":{\"backups\":[" BACKUP "," BACKUP "]}}\n"
        /* the last page */
        "{\"data\":{\"backups\":[" BACKUP "]},"
        "\"pagination\":{\"hasNextPage\":false}}\n"
        /* not a list: no call */
        "{\"data\":" BACKUP ",\"pagination\":{\"hasNextPage\":true}}\n"
        /* the CLI's list; then a page whose hasNextPage is no bool */
        "{\"backups\":[]}\n"
        "{\"data\":{\"backups\":[]},\"pagination\":{\"hasNextPage\":\"yes\"}}"
        "\n"
        /* cut short: no call */
        "{\"data\":{\"backups\":[" BACKUP "]},\"pagination\":{\"hasNextPage\":"
        "true}";
    assert_int_equal(nfb_reader_begin(r, "snap.json"), NFB_OK);
    assert_int_equal(nfb_reader_feed(r, in, strlen(in)), NFB_OK);
    assert_int_equal(nfb_reader_finish(r), NFB_OK);
    assert_int_equal(pg.n, 4);
    assert_int_equal(pg.p[0].document, 1);
    assert_int_equal(pg.p[0].backups, 2);
    assert_int_equal(pg.p[0].has_pagination, 1);
    assert_int_equal(pg.p[0].has_next_page, 1);
    assert_int_equal(pg.records_before[0], 2);
    assert_string_equal(pg.input[0], "snap.json");
    assert_int_equal(pg.p[1].document, 2);
    assert_int_equal(pg.p[1].backups, 1);
    assert_int_equal(pg.p[1].has_pagination, 1);
    assert_int_equal(pg.p[1].has_next_page, 0);
    assert_int_equal(pg.p[2].document, 4);
    assert_int_equal(pg.p[2].backups, 0);
    assert_int_equal(pg.p[2].has_pagination, 0);
    assert_int_equal(pg.p[3].document, 5);
    assert_int_equal(pg.p[3].has_pagination, 1);
    assert_int_equal(pg.p[3].has_next_page, 0);

    /* YAML, and an array of responses (convert --array --envelope) */
    pg.n = 0;
    const char *yaml = "data:\n  backups: []\npagination:\n  hasNextPage: "
                       "true\n";
    assert_int_equal(nfb_reader_begin(r, "snap.yaml"), NFB_OK);
    assert_int_equal(nfb_reader_feed(r, yaml, strlen(yaml)), NFB_OK);
    assert_int_equal(nfb_reader_finish(r), NFB_OK);
    const char *arr = "[{\"data\":{\"backups\":[" BACKUP "]},"
                      "\"pagination\":{\"hasNextPage\":true}}]";
    assert_int_equal(nfb_reader_begin(r, "arr.json"), NFB_OK);
    assert_int_equal(nfb_reader_feed(r, arr, strlen(arr)), NFB_OK);
    assert_int_equal(nfb_reader_finish(r), NFB_OK);
    assert_int_equal(pg.n, 2);
    assert_string_equal(pg.input[0], "snap.yaml");
    assert_int_equal(pg.p[0].has_next_page, 1);
    assert_string_equal(pg.input[1], "arr.json");
    assert_int_equal(pg.p[1].has_next_page, 1);
    assert_int_equal(pg.p[1].backups, 1);
    nfb_reader_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(numbers_whatever_the_locale),
        cmocka_unit_test(create_errors),
        cmocka_unit_test(sizes),
        cmocka_unit_test(begin_over_open),
        cmocka_unit_test(format_flags),
        cmocka_unit_test(no_document),
        cmocka_unit_test(list_pages),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    return failed ? failed : locale_missing ? 77 : 0;
}
