/* Unit tests of the reader: form detection, every validation rule of
 * docs/validation.md and docs/resource.md, positions, paths, limits and the
 * callback contract. Each rule has a test that fails when the rule is removed:
 * the bad input is checked to give exactly the expected diagnostics, and the
 * good input next to it to give the record and nothing else. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <setjmp.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

/* ---- expectations ------------------------------------------------------ */

typedef struct want {
    nfb_code code;
    nfb_severity severity;
    const char *path;
    uint64_t line, column; /* 0: not checked */
    const char *msg_has;   /* NULL: not checked */
} want;

#define ERR(c, path)                                                           \
    {                                                                          \
        NFB_CODE_##c, NFB_ERROR, path, 0, 0, NULL                              \
    }
#define WARN(c, path)                                                          \
    {                                                                          \
        NFB_CODE_##c, NFB_WARNING, path, 0, 0, NULL                            \
    }

static void show_input(const char *input)
{
    printf("input: ");
    for (const unsigned char *p = (const unsigned char *)input; *p; p++) {
        if (*p >= 0x20 && *p < 0x7f)
            putchar(*p);
        else
            printf("\\x%02x", *p);
    }
    putchar('\n');
}

/* Checks h against exactly nw diagnostics (in order) and nrec records. at
 * is the caller's line, for the failure message. */
static void check_(int at, const char *input, const hres *h, size_t nrec,
                   const want *w, size_t nw)
{
    const char *why = NULL;
    size_t bad = 0;
    if (h->nrec != nrec) why = "record count";
    if (!why && h->ndiag != nw) why = "diagnostic count";
    for (size_t i = 0; !why && i < nw; i++) {
        const hdiag *d = &h->diag[i];
        bad = i;
        if (d->code != w[i].code)
            why = "code";
        else if (d->severity != w[i].severity)
            why = "severity";
        else if (strcmp(d->path, w[i].path) != 0)
            why = "path";
        else if (w[i].line && d->line != w[i].line)
            why = "line";
        else if (w[i].column && d->column != w[i].column)
            why = "column";
        else if (w[i].msg_has && !strstr(d->message, w[i].msg_has))
            why = "message";
    }
    if (!why) return;
    printf("test line %d: wrong %s", at, why);
    if (strcmp(why, "record count") && strcmp(why, "diagnostic count"))
        printf(" in diagnostic %zu (want %s %s \"%s\" %llu:%llu \"%s\")", bad,
               nfb_severity_name(w[bad].severity), nfb_code_name(w[bad].code),
               w[bad].path, (unsigned long long)w[bad].line,
               (unsigned long long)w[bad].column,
               w[bad].msg_has ? w[bad].msg_has : "");
    printf("; want %zu record(s), %zu diagnostic(s)\n", nrec, nw);
    show_input(input);
    h_dump(h);
    fail_msg("test line %d: wrong %s", at, why);
}

static void expect_(int at, const char *input, unsigned flags, size_t nrec,
                    const want *w, size_t nw)
{
    hres h = {0};
    h_str_flags(&h, input, flags);
    check_(at, input, &h, nrec, w, nw);
    hres_free(&h);
}

#define WANTS(...) ((const want[]){__VA_ARGS__})
#define NWANTS(...) (sizeof WANTS(__VA_ARGS__) / sizeof(want))
/* EXPECT(input, records, diagnostics...): exactly these, in this order. */
#define EXPECT(input, nrec, ...)                                               \
    expect_(__LINE__, input, 0, nrec, WANTS(__VA_ARGS__), NWANTS(__VA_ARGS__))
#define EXPECT_FLAGS(input, flags, nrec, ...)                                  \
    expect_(__LINE__, input, flags, nrec, WANTS(__VA_ARGS__),                  \
            NWANTS(__VA_ARGS__))
#define EXPECT_CLEAN(input, nrec) expect_(__LINE__, input, 0, nrec, NULL, 0)

/* Runs input and checks that its records are exactly recs, with no
 * diagnostic. */
static void expect_records_(int at, const char *input, size_t len,
                            const char *const *recs, size_t n)
{
    hres h = {0};
    h_run(&h, NULL, "t.json", input, len, NULL, NULL);
    check_(at, input, &h, n, NULL, 0);
    for (size_t i = 0; i < n; i++) {
        if (strcmp(h.rec[i], recs[i]) != 0) {
            printf("test line %d: record %zu differs\nwant: %s\ngot:  %s\n", at,
                   i, recs[i], h.rec[i]);
            fail_msg("test line %d: record %zu differs", at, i);
        }
    }
    hres_free(&h);
}

#define RECS(...) ((const char *const[]){__VA_ARGS__})
#define NRECS(...) (sizeof RECS(__VA_ARGS__) / sizeof(const char *))
#define EXPECT_RECORDS(input, ...)                                             \
    expect_records_(__LINE__, input, strlen(input), RECS(__VA_ARGS__),         \
                    NRECS(__VA_ARGS__))

/* One substitution in a base record, and the single diagnostic expected. */
typedef struct subcase {
    const char *base, *from, *to;
    nfb_code code;
    const char *path;
} subcase;

static void run_subcases(int at, const subcase *c, size_t n, unsigned flags)
{
    for (size_t i = 0; i < n; i++) {
        char *input = h_subst(c[i].base, c[i].from, c[i].to);
        want w = {c[i].code, NFB_ERROR, c[i].path, 0, 0, NULL};
        printf("case %zu: %s -> %s\n", i, c[i].from, c[i].to);
        expect_(at, input, flags, 0, &w, 1);
        free(input);
    }
}

#define RUN_SUBCASES(cases)                                                    \
    run_subcases(__LINE__, cases, sizeof cases / sizeof cases[0], 0)

/* A substitution that keeps the record valid: the record comes out as the
 * substituted input (which is canonical) and nothing is reported. */
static void expect_valid_sub_(int at, const char *base, const char *from,
                              const char *to)
{
    char *input = h_subst(base, from, to);
    expect_records_(at, input, strlen(input), (const char *const[]){input}, 1);
    free(input);
}

#define EXPECT_VALID_SUB(base, from, to)                                       \
    expect_valid_sub_(__LINE__, base, from, to)

static char *read_fixture(const char *name, size_t *len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/forms/%s", NFB_TESTDATA, name);
    char *s = h_read_file(path, len);
    if (!s) fail_msg("cannot read %s", path);
    return s;
}

static void expect_file_records(int at, const char *name,
                                const char *const *recs, size_t n)
{
    size_t len;
    char *s = read_fixture(name, &len);
    printf("fixture %s\n", name);
    expect_records_(at, s, len, recs, n);
    free(s);
}

#define EXPECT_FILE(name, ...)                                                 \
    expect_file_records(__LINE__, name, RECS(__VA_ARGS__), NRECS(__VA_ARGS__))

/* ---- forms ------------------------------------------------------------- */

static void form_api_envelope(void **state)
{
    (void)state;
    EXPECT_RECORDS("{\"data\":" B1 "}", B1);
    EXPECT_RECORDS("{\"data\":" B2 "}", B2);
    EXPECT_FILE("api.json", B1);
}

static void form_cli_bare(void **state)
{
    (void)state;
    EXPECT_RECORDS(B1, B1);
    EXPECT_RECORDS(B2, B2);
    EXPECT_FILE("cli.json", B1);
}

/* The warning of the Authorization header that every saved JS client
 * result holds (request.headers), at path. */
#define SECRET_AUTH(path)                                                      \
    {                                                                          \
        NFB_CODE_SECRET, NFB_WARNING, path, 0, 0,                              \
            "expected no credentials in a saved response, found an "           \
            "Authorization header (the archive holds an API token)"            \
    }

static void form_js_client(void **state)
{
    (void)state;
    /* The client's result as saved: the record, and a warning for the API
     * token in its request's headers. */
    size_t len;
    char *s = read_fixture("jsclient.json", &len);
    hres h = {0};
    h_run(&h, NULL, "jsclient.json", s, len, NULL, NULL);
    check_(__LINE__, s, &h, 1,
           WANTS({NFB_CODE_SECRET, NFB_WARNING, "request.headers.Authorization",
                  1, 540,
                  "expected no credentials in a saved response, found an "
                  "Authorization header (the archive holds an API token)"}),
           1);
    assert_string_equal(h.rec[0], B1);
    hres_free(&h);
    free(s);
    /* The wrapper keys in any order, before and after the data, with the
     * error and pagination of a successful call as null. */
    EXPECT_RECORDS("{\"rawResponse\":{\"size\":0,\"timeout\":0},\"request\":{"
                   "\"url\":\"https://x\",\"method\":\"get\",\"headers\":{"
                   "\"A\":[1,{\"b\":null}]}},\"error\":null,\"data\":" B1
                   ",\"pagination\":null}",
                   B1);
    EXPECT_RECORDS("{\"data\":" B2 ",\"rawResponse\":{},\"request\":{}}", B2);
}

static void form_api_error(void **state)
{
    (void)state;
    size_t len;
    char *s = read_fixture("api-error.json", &len);
    hres h = {0};
    h_run(&h, NULL, "api-error.json", s, len, NULL, NULL);
    want w = {NFB_CODE_API_ERROR,
              NFB_ERROR,
              "",
              2,
              12,
              "(status 404: \"Backup example-backup not found\")"};
    check_(__LINE__, s, &h, 0, &w, 1);
    assert_string_equal(h.diag[0].input, "api-error.json");
    assert_int_equal(h.diag[0].document, 1);
    hres_free(&h);
    free(s);
    /* details of any shape, and no message */
    EXPECT("{\"error\":{\"status\":500,\"details\":{\"x\":[1,\"y\"]}}}", 0,
           {NFB_CODE_API_ERROR, NFB_ERROR, "", 1, 10, "(status 500)"});
}

static void form_list_page(void **state)
{
    (void)state;
    EXPECT_FILE("list-page.json", B1, B2);
    EXPECT_RECORDS("{\"pagination\":{\"hasNextPage\":true,\"cursor\":\"abc\","
                   "\"count\":2},\"data\":{\"backups\":[" B2 "," B1 "]}}",
                   B2, B1);
    EXPECT_CLEAN("{\"data\":{\"backups\":[]},\"pagination\":{}}", 0);
}

static void form_cli_list(void **state)
{
    (void)state;
    EXPECT_FILE("cli-list.json", B1, B2);
    EXPECT_RECORDS("{\"backups\":[" B2 "]}", B2);
}

static void form_array(void **state)
{
    (void)state;
    EXPECT_FILE("array.json", B1, B2);
    EXPECT_RECORDS("[" B2 "," B1 "," B2 "]", B2, B1, B2);
    EXPECT_CLEAN("[]", 0);
}

static void form_ndjson(void **state)
{
    (void)state;
    EXPECT_FILE("stream.ndjson", B1, B1, B1, B2);
    EXPECT_RECORDS(B1 "\n" B2 "\n" B1 "\n", B1, B2, B1);
    EXPECT_RECORDS(B1 "\r\n" B2 "\r\n", B1, B2); /* CRLF lines */
}

static void form_concat(void **state)
{
    (void)state;
    EXPECT_FILE("concat.json", B1, B2);
    EXPECT_RECORDS(B1 B2 B1, B1, B2, B1); /* no separator at all */
    EXPECT_RECORDS(" \t" B1 "  " B2 " \n\n", B1, B2);
}

static void form_mixed(void **state)
{
    (void)state;
    EXPECT_RECORDS("{\"data\":" B1 "}" B2 "[" B1 "," B2 "]\n"
                   "{\"backups\":[" B1 "]} {\"data\":{\"backups\":[" B2 "]},"
                   "\"pagination\":{\"hasNextPage\":false,\"count\":1}}\n"
                   "{\"data\":" B2 ",\"rawResponse\":{},\"request\":{}}",
                   B1, B2, B1, B2, B1, B2, B2);
    /* Every fixture one after the other in one input. */
    static const char *const files[] = {
        "api.json",       "cli.json",      "jsclient.json",
        "list-page.json", "cli-list.json", "array.json",
        "stream.ndjson",  "concat.json",   "api-error.json"};
    char *all = NULL;
    size_t n = 0;
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        size_t len;
        char *s = read_fixture(files[i], &len);
        char *grown = realloc(all, n + len + 1);
        assert_non_null(grown);
        all = grown;
        memcpy(all + n, s, len);
        n += len;
        all[n] = 0;
        free(s);
    }
    hres h = {0};
    h_run(&h, NULL, "all", all, n, NULL, NULL);
    /* 1 + 1 + 1 + 2 + 2 + 2 + 4 + 2 records, the JS client's token, then
     * the API error */
    check_(
        __LINE__, "(all fixtures)", &h, 15,
        WANTS(SECRET_AUTH("request.headers.Authorization"), ERR(API_ERROR, "")),
        2);
    static const char *const want_recs[] = {B1, B1, B1, B1, B2, B1, B2, B1,
                                            B2, B1, B1, B1, B2, B1, B2};
    for (size_t i = 0; i < 15; i++)
        assert_string_equal(h.rec[i], want_recs[i]);
    assert_int_equal(h.stats.documents, 12);
    assert_int_equal(h.diag[0].document, 3);
    assert_int_equal(h.diag[1].document, 12);
    hres_free(&h);
    free(all);
}

/* The three documented examples give the very same bytes. */
static void forms_documented_examples_identical(void **state)
{
    (void)state;
    static const char *const files[] = {"api.json", "cli.json",
                                        "jsclient.json"};
    char *first = NULL;
    for (size_t i = 0; i < 3; i++) {
        size_t len;
        char *s = read_fixture(files[i], &len);
        hres h = {0};
        h_run(&h, NULL, files[i], s, len, NULL, NULL);
        assert_int_equal(h.nrec, 1);
        /* No diagnostic but the JS client's saved token. */
        assert_int_equal(h.ndiag, i == 2);
        if (i == 2) assert_int_equal(h.diag[0].code, NFB_CODE_SECRET);
        char *recs = h_rec_text(&h);
        if (!first)
            first = recs;
        else {
            assert_string_equal(recs, first);
            free(recs);
        }
        hres_free(&h);
        free(s);
    }
    assert_string_equal(first, B1 "\n");
    free(first);
}

/* Objects that are none of the forms. */
static void forms_not_a_backup(void **state)
{
    (void)state;
    EXPECT("{}", 0, ERR(MISSING_FIELD, ""));
    EXPECT("{\"data\":{}}", 0, ERR(MISSING_FIELD, "data"));
    EXPECT("{\"data\":null}", 0, ERR(WRONG_TYPE, "data"));
    EXPECT("{\"pagination\":{\"count\":0}}", 0, ERR(MISSING_FIELD, ""));
    /* "data" is there: only its type is wrong */
    EXPECT("{\"data\":\"x\"}", 0, ERR(WRONG_TYPE, "data"));
    EXPECT("5", 0,
           {NFB_CODE_WRONG_TYPE, NFB_ERROR, "", 1, 1, "found the number 5"});
    EXPECT("\"x\"", 0, ERR(WRONG_TYPE, ""));
    EXPECT("true null", 0, ERR(WRONG_TYPE, ""), ERR(WRONG_TYPE, ""));
    EXPECT("[" B1 ",5,[]," B2 "]", 2, ERR(WRONG_TYPE, "[1]"),
           ERR(WRONG_TYPE, "[2]"));
    EXPECT("{\"backups\":{}}", 0, ERR(WRONG_TYPE, "backups"));
}

/* ---- required fields --------------------------------------------------- */

static void required_fields(void **state)
{
    (void)state;
    static const subcase cases[] = {
        {B1, "\"id\":\"example-backup\",", "", NFB_CODE_MISSING_FIELD, ""},
        {B1, "\"name\":\"Example Backup\",", "", NFB_CODE_MISSING_FIELD, ""},
        {B1, "\"status\":\"completed\",", "", NFB_CODE_MISSING_FIELD, ""},
        {B1, "\"createdAt\":\"2021-01-20T11:19:53.175Z\",", "",
         NFB_CODE_MISSING_FIELD, ""},
        {B1,
         "\"config\":{\"source\":{\"type\":\"snapshot\"},\"size\":\"1234\","
         "\"addonVersion\":\"4.4.8\"},",
         "", NFB_CODE_MISSING_FIELD, ""},
        {B1, ",\"size\":\"1234\"", "", NFB_CODE_MISSING_FIELD, "config"},
        {B1, "\"restoreTimestamp\":\"2021-01-20T11:19:54.494Z\",", "",
         NFB_CODE_MISSING_FIELD, "lastRestore"},
        {B1,
         "\"status\":\"completed\",\"completedAt\":\"2021-01-20T11:19:54."
         "494Z\"}}",
         "\"completedAt\":\"2021-01-20T11:19:54.494Z\"}}",
         NFB_CODE_MISSING_FIELD, "lastRestore"},
        {B2, "\"destinationId\":\"offsite-archive-eu\",", "",
         NFB_CODE_MISSING_FIELD, "config.additionalDestinations[0]"},
        {B2, ",\"type\":\"custom\"", "", NFB_CODE_MISSING_FIELD,
         "config.additionalDestinations[0]"},
        {"{\"backups\":[" B1 "]}", "\"id\":\"example-backup\",", "",
         NFB_CODE_MISSING_FIELD, "backups[0]"},
    };
    RUN_SUBCASES(cases);
    /* The message names the field; the position is the object's start. */
    char *in = h_subst("{\"data\":" B1 "}", ",\"size\":\"1234\"", "");
    EXPECT(in, 0,
           {NFB_CODE_MISSING_FIELD, NFB_ERROR, "data.config", 1, 166,
            "expected field \"size\" in a backup config, found none"});
    free(in);
    /* Each missing field is reported, in schema order. */
    EXPECT("{\"id\":\"x\"}", 0, ERR(MISSING_FIELD, ""), ERR(MISSING_FIELD, ""),
           ERR(MISSING_FIELD, ""), ERR(MISSING_FIELD, ""));
    /* The other records of a list still come out. */
    in = h_subst("[" B1 "," B2 "," B1 "]",
                 "\"name\":\"Nightly dump 2021-01-21\",", "");
    EXPECT(in, 2, ERR(MISSING_FIELD, "[1]"));
    free(in);
}

/* ---- types ------------------------------------------------------------- */

static void wrong_types(void **state)
{
    (void)state;
    static const subcase cases[] = {
        /* required strings given every other JSON type */
        {B1, "\"example-backup\"", "5", NFB_CODE_WRONG_TYPE, "id"},
        {B1, "\"example-backup\"", "{\"a\":1}", NFB_CODE_WRONG_TYPE, "id"},
        {B1, "\"example-backup\"", "[\"x\"]", NFB_CODE_WRONG_TYPE, "id"},
        {B1, "\"example-backup\"", "true", NFB_CODE_WRONG_TYPE, "id"},
        {B1, "\"example-backup\"", "false", NFB_CODE_WRONG_TYPE, "id"},
        {B1, "\"example-backup\"", "null", NFB_CODE_WRONG_TYPE, "id"},
        {B1, "\"Example Backup\"", "1.5", NFB_CODE_WRONG_TYPE, "name"},
        {B1, "\"Example Backup\"", "{}", NFB_CODE_WRONG_TYPE, "name"},
        {B1, "\"Example Backup\"", "[]", NFB_CODE_WRONG_TYPE, "name"},
        {B1, "\"Example Backup\"", "false", NFB_CODE_WRONG_TYPE, "name"},
        {B1, "\"Example Backup\"", "null", NFB_CODE_WRONG_TYPE, "name"},
        {B1, "\"completed\"", "3", NFB_CODE_WRONG_TYPE, "status"},
        {B1, "\"completed\"", "null", NFB_CODE_WRONG_TYPE, "status"},
        {B1, "\"completed\"", "[\"completed\"]", NFB_CODE_WRONG_TYPE, "status"},
        {B1, "\"2021-01-20T11:19:53.175Z\"", "1611141593", NFB_CODE_WRONG_TYPE,
         "createdAt"},
        {B1, "\"2021-01-20T11:19:53.175Z\"", "null", NFB_CODE_WRONG_TYPE,
         "createdAt"},
        {B1, "\"2021-01-20T11:19:53.175Z\"", "{}", NFB_CODE_WRONG_TYPE,
         "createdAt"},
        {B1, "\"1234\"", "1234", NFB_CODE_WRONG_TYPE, "config.size"},
        {B1, "\"1234\"", "null", NFB_CODE_WRONG_TYPE, "config.size"},
        {B1, "\"1234\"", "true", NFB_CODE_WRONG_TYPE, "config.size"},
        {B1, "\"1234\"", "[1234]", NFB_CODE_WRONG_TYPE, "config.size"},
        {B1,
         "{\"source\":{\"type\":\"snapshot\"},\"size\":\"1234\","
         "\"addonVersion\":\"4.4.8\"}",
         "\"1234\"", NFB_CODE_WRONG_TYPE, "config"},
        {B1,
         "{\"source\":{\"type\":\"snapshot\"},\"size\":\"1234\","
         "\"addonVersion\":\"4.4.8\"}",
         "null", NFB_CODE_WRONG_TYPE, "config"},
        {B1,
         "{\"source\":{\"type\":\"snapshot\"},\"size\":\"1234\","
         "\"addonVersion\":\"4.4.8\"}",
         "[{\"size\":\"1\"}]", NFB_CODE_WRONG_TYPE, "config"},
        {B1,
         "\"status\":\"completed\",\"completedAt\":\"2021-01-20T11:19:54."
         "494Z\"}}",
         "\"status\":null,\"completedAt\":\"2021-01-20T11:19:54.494Z\"}}",
         NFB_CODE_WRONG_TYPE, "lastRestore.status"},
        {B1, "\"restoreTimestamp\":\"2021-01-20T11:19:54.494Z\"",
         "\"restoreTimestamp\":0", NFB_CODE_WRONG_TYPE,
         "lastRestore.restoreTimestamp"},
        {B2, "\"destinationId\":\"offsite-archive-eu\"", "\"destinationId\":7",
         NFB_CODE_WRONG_TYPE, "config.additionalDestinations[0].destinationId"},
        {B2, "\"type\":\"custom\"", "\"type\":null", NFB_CODE_WRONG_TYPE,
         "config.additionalDestinations[0].type"},
        /* optional fields of the wrong type (not null) */
        {B1, "\"2021-01-20T11:19:54.494Z\"", "true", NFB_CODE_WRONG_TYPE,
         "completedAt"},
        {B1, "{\"type\":\"snapshot\"}", "\"snapshot\"", NFB_CODE_WRONG_TYPE,
         "config.source"},
        {B1, "\"snapshot\"", "1", NFB_CODE_WRONG_TYPE, "config.source.type"},
        {B1, "\"4.4.8\"", "4.4", NFB_CODE_WRONG_TYPE, "config.addonVersion"},
        {B2, "\"zstd\"", "[]", NFB_CODE_WRONG_TYPE, "config.compressionType"},
        {B2,
         "[{\"destinationId\":\"offsite-archive-eu\",\"retentionTime\":30,"
         "\"type\":\"custom\"}]",
         "{\"destinationId\":\"offsite-archive-eu\"}", NFB_CODE_WRONG_TYPE,
         "config.additionalDestinations"},
        {B2, "[{\"destinationId\"", "[\"x\",{\"destinationId\"",
         NFB_CODE_WRONG_TYPE, "config.additionalDestinations[0]"},
        {B2, "\"retentionTime\":30", "\"retentionTime\":\"30\"",
         NFB_CODE_WRONG_TYPE, "config.additionalDestinations[0].retentionTime"},
        {B2, "\"example-backup-destination\"", "{}", NFB_CODE_WRONG_TYPE,
         "customDestinationId"},
        {B1,
         "{\"restoreTimestamp\":\"2021-01-20T11:19:54.494Z\",\"status\":"
         "\"completed\",\"completedAt\":\"2021-01-20T11:19:54.494Z\"}}",
         "[]}", NFB_CODE_WRONG_TYPE, "lastRestore"},
    };
    RUN_SUBCASES(cases);
    /* The message says what was expected and what was found. */
    char *in = h_subst(B1, "\"1234\"", "1234");
    EXPECT(in, 0,
           {NFB_CODE_WRONG_TYPE, NFB_ERROR, "config.size", 1, 195,
            "expected a decimal byte count string, found the number 1234"});
    free(in);
}

/* null for an optional field reads as if the field were absent. */
static void null_optional_is_absent(void **state)
{
    (void)state;
    static const struct {
        const char *from, *null_to, *absent_to;
    } cases[] = {
        {",\"completedAt\":\"2021-01-21T02:03:41.870Z\",\"config\"",
         ",\"completedAt\":null,\"config\"", ",\"config\""},
        {"\"source\":{\"type\":\"liveInstance\"},", "\"source\":null,", ""},
        {"{\"type\":\"liveInstance\"}", "{\"type\":null}", "{}"},
        {",\"addonVersion\":\"14.5.0\"", ",\"addonVersion\":null", ""},
        {",\"compressionType\":\"zstd\"", ",\"compressionType\":null", ""},
        {",\"additionalDestinations\":[{\"destinationId\":\"offsite-archive-"
         "eu\",\"retentionTime\":30,\"type\":\"custom\"}]",
         ",\"additionalDestinations\":null", ""},
        {"\"retentionTime\":30,", "\"retentionTime\":null,", ""},
        {",\"customDestinationId\":\"example-backup-destination\"",
         ",\"customDestinationId\":null", ""},
        {",\"lastRestore\":{\"restoreTimestamp\":\"2021-01-22T09:15:02.301Z\","
         "\"status\":\"completed\",\"completedAt\":\"2021-01-22T09:16:45."
         "118Z\"}",
         ",\"lastRestore\":null", ""},
        {",\"completedAt\":\"2021-01-22T09:16:45.118Z\"}",
         ",\"completedAt\":null}", "}"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *null_in = h_subst(B2, cases[i].from, cases[i].null_to);
        char *absent_in = h_subst(B2, cases[i].from, cases[i].absent_to);
        printf("case %zu: %s\n", i, cases[i].null_to);
        hres a = {0}, b = {0};
        h_str(&a, null_in);
        h_str(&b, absent_in);
        assert_int_equal(a.nrec, 1);
        assert_int_equal(h_count(&a, NFB_ERROR), 0);
        /* the same record, and the same lints (completed without its
         * completedAt) at the same places */
        char *ra = h_rec_text(&a), *rb = h_rec_text(&b);
        char *da = h_diag_text(&a), *db = h_diag_text(&b);
        assert_string_equal(ra, rb);
        assert_string_equal(da, db);
        free(ra), free(rb), free(da), free(db);
        hres_free(&a), hres_free(&b);
        free(null_in), free(absent_in);
    }
    /* "source": {} is kept as present without a type. */
    EXPECT_VALID_SUB(B2, "{\"type\":\"liveInstance\"}", "{}");
    /* null in the wrappers: as if absent */
    EXPECT_RECORDS("{\"error\":null,\"data\":" B1 ",\"pagination\":null,"
                   "\"rawResponse\":null,\"request\":null}",
                   B1);
}

/* ---- enums ------------------------------------------------------------- */

/* Pinned on purpose, a second opinion on the schema's names (the program
 * prints the schema's own with nfbackup statuses and source-types). */
static const char *const statuses[] = {
    "scheduled", "in-progress", "completed",    "aborting",
    "aborted",   "failed",      "not-supported"};

static void enum_status(void **state)
{
    (void)state;
    char to[128];
    for (size_t i = 0; i < 7; i++) {
        const char *base = B1;
        char *no_end = NULL;
        /* scheduled and in-progress go without a completedAt (lint) */
        if (i < 2)
            base = no_end = h_subst(
                B1, ",\"completedAt\":\"2021-01-20T11:19:54.494Z\",\"config\"",
                ",\"config\"");
        snprintf(to, sizeof to, "\"status\":\"%s\",\"createdAt\"", statuses[i]);
        EXPECT_VALID_SUB(base, "\"status\":\"completed\",\"createdAt\"", to);
        free(no_end);
    }
    static const char *const bad[] = {"Completed",   "done",       "",
                                      "in_progress", "completed ", "COMPLETED",
                                      "success"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(to, sizeof to, "\"status\":\"%s\",\"createdAt\"", bad[i]);
        char *in = h_subst(B1, "\"status\":\"completed\",\"createdAt\"", to);
        EXPECT(in, 0,
               {NFB_CODE_BAD_ENUM, NFB_ERROR, "status", 1, 57,
                "\"aborted\", \"failed\" or \"not-supported\", found \""});
        free(in);
    }
}

static void enum_last_restore_status(void **state)
{
    (void)state;
    char to[160];
    const char *from =
        "\"status\":\"completed\",\"completedAt\":\"2021-01-20T11:"
        "19:54.494Z\"}}";
    for (size_t i = 0; i < 7; i++) {
        if (i < 2)
            snprintf(to, sizeof to, "\"status\":\"%s\"}}", statuses[i]);
        else
            snprintf(to, sizeof to,
                     "\"status\":\"%s\",\"completedAt\":\"2021-01-20T11:19:54."
                     "494Z\"}}",
                     statuses[i]);
        EXPECT_VALID_SUB(B1, from, to);
    }
    char *in = h_subst(B1, from, "\"status\":\"ok\"}}");
    EXPECT(in, 0,
           {NFB_CODE_BAD_ENUM, NFB_ERROR, "lastRestore.status", 0, 0,
            "found \"ok\""});
    free(in);
}

static void enum_source_type(void **state)
{
    (void)state;
    static const char *const ok[] = {"fileUpload", "liveInstance", "snapshot",
                                     "externalDump", "sameAddon"};
    char to[64];
    for (size_t i = 0; i < 5; i++) {
        snprintf(to, sizeof to, "\"%s\"", ok[i]);
        EXPECT_VALID_SUB(B1, "\"snapshot\"", to);
    }
    char *in = h_subst(B1, "\"snapshot\"", "\"Snapshot\"");
    EXPECT(in, 0,
           {NFB_CODE_BAD_ENUM, NFB_ERROR, "config.source.type", 0, 0,
            "expected one of \"fileUpload\", \"liveInstance\", \"snapshot\", "
            "\"externalDump\" or \"sameAddon\", found \"Snapshot\""});
    free(in);
}

static void enum_compression_type(void **state)
{
    (void)state;
    EXPECT_VALID_SUB(B2, "\"zstd\"", "\"gz\"");
    EXPECT_VALID_SUB(B2, "\"zstd\"", "\"zstd\"");
    char *in = h_subst(B2, "\"zstd\"", "\"gzip\"");
    EXPECT(in, 0,
           {NFB_CODE_BAD_ENUM, NFB_ERROR, "config.compressionType", 0, 0,
            "expected one of \"gz\" or \"zstd\", found \"gzip\""});
    free(in);
}

static void enum_destination_type(void **state)
{
    (void)state;
    EXPECT_VALID_SUB(B2, "\"type\":\"custom\"", "\"type\":\"custom\"");
    char *in = h_subst(B2, "\"type\":\"custom\"", "\"type\":\"s3\"");
    EXPECT(in, 0,
           {NFB_CODE_BAD_ENUM, NFB_ERROR,
            "config.additionalDestinations[0].type", 0, 0,
            "expected \"custom\", found \"s3\""});
    free(in);
}

/* ---- date-times -------------------------------------------------------- */

static void date_times_valid(void **state)
{
    (void)state;
    /* All before the completedAt of B1 (2021-01-20T11:19:54.494Z). */
    static const char *const ok[] = {
        "\"2020-02-29T00:00:00Z\"",              /* leap year */
        "\"2000-02-29T12:00:00Z\"",              /* leap century */
        "\"2021-01-20t11:19:53.175z\"",          /* lower case t and z */
        "\"2016-12-31T23:59:60Z\"",              /* a leap second */
        "\"2017-01-01T00:59:60+01:00\"",         /* 23:59:60 in UTC */
        "\"2016-12-31T18:59:60-05:00\"",         /* 23:59:60 in UTC */
        "\"2021-01-20T11:19:53.123456789123Z\"", /* a long fraction */
        "\"2021-01-20T11:19:53+00:00\"",
        "\"2021-01-20T12:19:53.1+01:00\"",
        "\"1970-01-01T00:00:00Z\"",
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        EXPECT_VALID_SUB(B1, "\"2021-01-20T11:19:53.175Z\"", ok[i]);
    /* Each date-time field takes one. */
    EXPECT_VALID_SUB(B1, "\"completedAt\":\"2021-01-20T11:19:54.494Z\",",
                     "\"completedAt\":\"2021-01-20T12:19:54.494+01:00\",");
    EXPECT_VALID_SUB(B1, "\"restoreTimestamp\":\"2021-01-20T11:19:54.494Z\"",
                     "\"restoreTimestamp\":\"2020-02-29T23:59:60.5-00:00\"");
}

static void date_times_bad(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "\"2021-02-29T00:00:00Z\"",      /* not a leap year */
        "\"1900-02-29T00:00:00Z\"",      /* century, not a leap year */
        "\"2021-04-31T00:00:00Z\"",      /* April has 30 days */
        "\"2021-01-20T11:19:60Z\"",      /* 60 seconds not at 23:59 */
        "\"2016-12-31T23:59:60+01:00\"", /* 22:59:60 in UTC */
        "\"2016-12-31T23:58:60Z\"",
        "\"2021-01-20 11:19:53Z\"",  /* space for T */
        "\"2021-01-20T11:19:53\"",   /* no offset */
        "\"2021-01-20T11:19:53.Z\"", /* empty fraction */
        "\"2021-01-20T24:00:00Z\"",
        "\"2021-13-01T00:00:00Z\"",
        "\"2021-00-10T00:00:00Z\"",
        "\"2021-01-00T00:00:00Z\"",
        "\"2021-1-20T11:19:53Z\"",
        "\"2021-01-20T11:19:53+0100\"",
        "\"2021-01-20T11:19:53+24:00\"",
        "\"2021-01-20\"",
        "\"\"",
        "\"2021-01-20T11:19:53Zjunk\"",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *in = h_subst(B1, "\"2021-01-20T11:19:53.175Z\"", bad[i]);
        printf("case %zu: %s\n", i, bad[i]);
        EXPECT(in, 0,
               {NFB_CODE_BAD_DATE_TIME, NFB_ERROR, "createdAt", 1, 81,
                "expected an RFC 3339 date-time, found "});
        free(in);
    }
    static const subcase fields[] = {
        {B1, "\"completedAt\":\"2021-01-20T11:19:54.494Z\",",
         "\"completedAt\":\"2021-01-20T11:19:54.494\",", NFB_CODE_BAD_DATE_TIME,
         "completedAt"},
        {B1, "\"restoreTimestamp\":\"2021-01-20T11:19:54.494Z\"",
         "\"restoreTimestamp\":\"yesterday\"", NFB_CODE_BAD_DATE_TIME,
         "lastRestore.restoreTimestamp"},
        {B1, ",\"completedAt\":\"2021-01-20T11:19:54.494Z\"}}",
         ",\"completedAt\":\"2021-02-30T11:19:54.494Z\"}}",
         NFB_CODE_BAD_DATE_TIME, "lastRestore.completedAt"},
    };
    RUN_SUBCASES(fields);
    /* The reason is in the message. */
    char *in =
        h_subst(B1, "\"2021-01-20T11:19:53.175Z\"", "\"2021-02-29T00:00:00Z\"");
    EXPECT(in, 0,
           {NFB_CODE_BAD_DATE_TIME, NFB_ERROR, "createdAt", 1, 81,
            "found \"2021-02-29T00:00:00Z\": day 29 does not exist in "
            "February 2021"});
    free(in);
}

/* The parsed values reach the record. */
static void capture_times(void *ctx, const nfb_backup *b)
{
    nfb_time *t = ctx;
    t[0] = b->created_at;
    t[1] = b->last_restore.restore_timestamp;
}

static void date_times_values(void **state)
{
    (void)state;
    char *in = h_subst(B1, "\"2021-01-20T11:19:53.175Z\"",
                       "\"2016-12-31T18:59:60.25-05:00\"");
    nfb_time t[2];
    hres h = {0};
    h.on_record = capture_times;
    h.ctx = t;
    h_str(&h, in);
    assert_int_equal(h.nrec, 1);
    /* 2017-01-01T00:00:00Z: a leap second counts as the next second */
    assert_int_equal(t[0].unix_seconds, 1483228800);
    assert_int_equal(t[0].nanoseconds, 250000000);
    assert_int_equal(t[0].offset_minutes, -300);
    assert_int_equal(t[1].unix_seconds, 1611141594);
    assert_int_equal(t[1].nanoseconds, 494000000);
    hres_free(&h);
    free(in);
}

/* ---- size -------------------------------------------------------------- */

static void capture_size(void *ctx, const nfb_backup *b)
{
    *(uint64_t *)ctx = b->config.size;
}

static void size_rule(void **state)
{
    (void)state;
    /* each with the reason the message gives */
    static const struct {
        const char *text, *why;
    } bad[] = {
        {"\"12kB\"", "(not a decimal digit 'k')"},
        {"\"01\"", "(leading zero)"},
        {"\"00\"", "(leading zero)"},
        {"\"-1\"", "(sign not allowed)"},
        {"\"+1\"", "(sign not allowed)"},
        {"\"\"", "(empty)"},
        {"\" 1\"", "(not a decimal digit ' ')"},
        {"\"1 \"", "(not a decimal digit ' ')"},
        {"\"1.5\"", "(not a decimal digit '.')"},
        {"\"1e3\"", "(not a decimal digit 'e')"},
        {"\"0x10\"", "(not a decimal digit 'x')"},
        {"\"18446744073709551616\"", "(more than 18446744073709551615)"},
        {"\"99999999999999999999\"", "(more than 18446744073709551615)"},
        {"\"\\u0031\\u0032x\"", "(not a decimal digit 'x')"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *in = h_subst(B1, "\"1234\"", bad[i].text);
        printf("case %zu: %s\n", i, bad[i].text);
        EXPECT(in, 0,
               {NFB_CODE_BAD_SIZE, NFB_ERROR, "config.size", 1, 195,
                "expected a decimal byte count, found "});
        hres h = {0};
        h_str(&h, in);
        assert_int_equal(h.ndiag, 1);
        if (!strstr(h.diag[0].message, bad[i].why))
            fail_msg("\"%s\" does not say %s", h.diag[0].message, bad[i].why);
        hres_free(&h);
        free(in);
    }
    char *in = h_subst(B1, "\"1234\"", "\"12kB\"");
    EXPECT(in, 0,
           {NFB_CODE_BAD_SIZE, NFB_ERROR, "config.size", 1, 195,
            "expected a decimal byte count, found \"12kB\""});
    free(in);

    static const struct {
        const char *text;
        uint64_t value;
    } ok[] = {{"\"0\"", 0},
              {"\"1234\"", 1234},
              {"\"18446744073709551615\"", UINT64_MAX},
              {"\"\\u0031\\u0032\"", 12}};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        uint64_t v = 7;
        hres h = {0};
        h.on_record = capture_size;
        h.ctx = &v;
        in = h_subst(B1, "\"1234\"", ok[i].text);
        h_str(&h, in);
        check_(__LINE__, in, &h, 1, NULL, 0);
        assert_true(v == ok[i].value);
        hres_free(&h);
        free(in);
    }
}

/* ---- duplicate keys ---------------------------------------------------- */

static void duplicate_keys(void **state)
{
    (void)state;
    /* The second value is not looked at: the first is kept. */
    char *in = h_subst(B1, "\"status\"", "\"name\":5,\"status\"");
    EXPECT(in, 0,
           {NFB_CODE_DUPLICATE_FIELD, NFB_ERROR, "name", 1, 48,
            "expected each field once, found \"name\" again; the first value "
            "is kept"});
    free(in);
    static const subcase cases[] = {
        {B1, ",\"addonVersion\"", ",\"size\":\"9\",\"addonVersion\"",
         NFB_CODE_DUPLICATE_FIELD, "config.size"},
        {B1,
         "\"status\":\"completed\",\"completedAt\":\"2021-01-20T11:19:54."
         "494Z\"}}",
         "\"status\":\"completed\",\"status\":\"failed\",\"completedAt\":"
         "\"2021-01-20T11:19:54.494Z\"}}",
         NFB_CODE_DUPLICATE_FIELD, "lastRestore.status"},
        {B2, "\"type\":\"custom\"", "\"type\":\"custom\",\"type\":\"custom\"",
         NFB_CODE_DUPLICATE_FIELD, "config.additionalDestinations[0].type"},
        {B1, "{\"type\":\"snapshot\"}", "{\"type\":\"snapshot\",\"type\":null}",
         NFB_CODE_DUPLICATE_FIELD, "config.source.type"},
    };
    RUN_SUBCASES(cases);
    /* The first value is the one checked and kept: here an empty config. */
    in = h_subst(B1, "\"config\":{", "\"config\":{},\"config\":{");
    EXPECT(in, 0, ERR(MISSING_FIELD, "config"),
           {NFB_CODE_DUPLICATE_FIELD, NFB_ERROR, "config", 1, 161, NULL});
    free(in);
    /* In a wrapper the response is bad: its record is not delivered. */
    const char *w = "{\"data\":" B1 ",\"data\":" B2 "}";
    EXPECT(w, 0, ERR(DUPLICATE_FIELD, "data"));
}

/* ---- unknown keys ------------------------------------------------------ */

static void unknown_keys(void **state)
{
    (void)state;
    /* a warning; the record comes out without the field */
    char *in = h_subst(B1, "\"status\"",
                       "\"foo\":{\"x\":[1,{\"y\":null}]},\"status\"");
    hres h = {0};
    h_str(&h, in);
    check_(__LINE__, in, &h, 1,
           WANTS({NFB_CODE_UNKNOWN_FIELD, NFB_WARNING, "foo", 1, 48,
                  "expected a field of a backup, found unknown field \"foo\""}),
           1);
    assert_string_equal(h.rec[0], B1);
    hres_free(&h);
    /* an error under NFB_READ_STRICT, and the record is skipped */
    EXPECT_FLAGS(in, NFB_READ_STRICT, 0,
                 {NFB_CODE_UNKNOWN_FIELD, NFB_ERROR, "foo", 1, 48, NULL});
    free(in);

    static const struct {
        const char *base, *from, *to, *path;
    } cases[] = {
        {B1, "\"size\"", "\"bar\":1,\"size\"", "config.bar"},
        {B1, "\"type\":\"snapshot\"", "\"type\":\"snapshot\",\"kind\":\"x\"",
         "config.source.kind"},
        {B1, "\"restoreTimestamp\"", "\"by\":\"me\",\"restoreTimestamp\"",
         "lastRestore.by"},
        {B2, "\"type\":\"custom\"", "\"type\":\"custom\",\"bucket\":[]",
         "config.additionalDestinations[0].bucket"},
        {B1, "\"name\"", "\"a b\":1,\"name\"", "[\"a b\"]"},
        {B1, "\"name\"", "\"ID\":1,\"name\"", "ID"},
        /* before the first known key: the form is not decided yet */
        {B1, "{\"id\"", "{\"x\":1,\"id\"", "x"},
        {"{\"data\":" B1 "}", "{\"id\"", "{\"x\":1,\"id\"", "data.x"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        in = h_subst(cases[i].base, cases[i].from, cases[i].to);
        printf("case %zu: %s\n", i, cases[i].to);
        want wn = {
            NFB_CODE_UNKNOWN_FIELD, NFB_WARNING, cases[i].path, 0, 0, NULL};
        want we = {
            NFB_CODE_UNKNOWN_FIELD, NFB_ERROR, cases[i].path, 0, 0, NULL};
        expect_(__LINE__, in, 0, 1, &wn, 1);
        expect_(__LINE__, in, NFB_READ_STRICT, 0, &we, 1);
        free(in);
    }
    /* Unknown keys of the wrappers: the record is there either way. */
    EXPECT("{\"data\":" B1 ",\"meta\":{}}", 1, WARN(UNKNOWN_FIELD, "meta"));
    EXPECT("{\"backups\":[],\"next\":1}", 0, WARN(UNKNOWN_FIELD, "next"));
    EXPECT("{\"data\":{\"backups\":[],\"n\":1}}", 0,
           WARN(UNKNOWN_FIELD, "data.n"));
    /* Keys of the skipped parts (rawResponse, request, details) are not
     * checked against a schema. */
    EXPECT_CLEAN("{\"data\":" B1 ",\"request\":{\"anything\":{\"goes\":1}}}",
                 1);
}

/* ---- consistency lints ------------------------------------------------- */

static void lints(void **state)
{
    (void)state;
    static const struct {
        const char *from, *to, *path, *msg;
    } cases[] = {
        /* completedAt before createdAt */
        {"\"completedAt\":\"2021-01-20T11:19:54.494Z\",\"config\"",
         "\"completedAt\":\"2021-01-20T11:19:53.174Z\",\"config\"",
         "completedAt",
         "expected completedAt not before createdAt (2021-01-20T11:19:53.175Z)"
         ", found 2021-01-20T11:19:53.174Z"},
        /* ... compared as instants, not as text */
        {"\"completedAt\":\"2021-01-20T11:19:54.494Z\",\"config\"",
         "\"completedAt\":\"2021-01-20T12:19:53+01:00\",\"config\"",
         "completedAt", "not before createdAt"},
        /* completed without completedAt */
        {",\"completedAt\":\"2021-01-20T11:19:54.494Z\",\"config\"",
         ",\"config\"", "status",
         "expected completedAt with status \"completed\", found none"},
        /* scheduled / in-progress with completedAt */
        {"\"status\":\"completed\",\"createdAt\"",
         "\"status\":\"scheduled\",\"createdAt\"", "completedAt",
         "expected no completedAt with status \"scheduled\", found "
         "2021-01-20T11:19:54.494Z"},
        {"\"status\":\"completed\",\"createdAt\"",
         "\"status\":\"in-progress\",\"createdAt\"", "completedAt",
         "with status \"in-progress\""},
        /* the same inside lastRestore */
        {"\"completedAt\":\"2021-01-20T11:19:54.494Z\"}}",
         "\"completedAt\":\"2021-01-20T11:19:54.493Z\"}}",
         "lastRestore.completedAt",
         "expected completedAt not before restoreTimestamp "
         "(2021-01-20T11:19:54.494Z), found 2021-01-20T11:19:54.493Z"},
        {",\"completedAt\":\"2021-01-20T11:19:54.494Z\"}}", "}}",
         "lastRestore.status",
         "expected completedAt with status \"completed\", found none"},
        {"\"status\":\"completed\",\"completedAt\":\"2021-01-20T11:19:54.494Z"
         "\"}}",
         "\"status\":\"scheduled\",\"completedAt\":\"2021-01-20T11:19:54.494Z"
         "\"}}",
         "lastRestore.completedAt", "with status \"scheduled\""},
        {"\"status\":\"completed\",\"completedAt\":\"2021-01-20T11:19:54.494Z"
         "\"}}",
         "\"status\":\"in-progress\",\"completedAt\":\"2021-01-20T11:19:54.494Z"
         "\"}}",
         "lastRestore.completedAt", "with status \"in-progress\""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *in = h_subst(B1, cases[i].from, cases[i].to);
        printf("case %zu: %s\n", i, cases[i].to);
        /* A warning at the record's start; the record still comes out. */
        want w = {NFB_CODE_LINT, NFB_WARNING, cases[i].path, 1, 1,
                  cases[i].msg};
        expect_(__LINE__, in, 0, 1, &w, 1);
        /* Under data, the path is the full path. */
        size_t n = strlen(in);
        char *env = malloc(n + 10);
        assert_non_null(env);
        snprintf(env, n + 10, "{\"data\":%s}", in);
        char path[64];
        snprintf(path, sizeof path, "data.%s", cases[i].path);
        want we = {NFB_CODE_LINT, NFB_WARNING, path, 1, 9, cases[i].msg};
        expect_(__LINE__, env, 0, 1, &we, 1);
        free(env);
        free(in);
    }
    /* Equal instants are fine; failed/aborted with or without an end too. */
    EXPECT_VALID_SUB(B1,
                     "\"completedAt\":\"2021-01-20T11:19:54.494Z\",\"config\"",
                     "\"completedAt\":\"2021-01-20T11:19:53.175Z\",\"config\"");
    EXPECT_VALID_SUB(B1, "\"status\":\"completed\",\"createdAt\"",
                     "\"status\":\"failed\",\"createdAt\"");
    /* Several lints of one record are all reported. */
    char *in =
        h_subst(B1, ",\"completedAt\":\"2021-01-20T11:19:54.494Z\",\"config\"",
                ",\"config\"");
    char *in2 =
        h_subst(in, ",\"completedAt\":\"2021-01-20T11:19:54.494Z\"}}", "}}");
    EXPECT(in2, 1, WARN(LINT, "status"), WARN(LINT, "lastRestore.status"));
    free(in);
    free(in2);
}

/* ---- credentials in a JS client result --------------------------------- */

/* A JS client result around B1 whose request's headers are the members
 * H. */
#define JS_REQ(H)                                                              \
    "{\"data\":" B1 ",\"rawResponse\":{\"size\":0,\"timeout\":0},"             \
    "\"request\":{\"url\":\"https://x\",\"method\":\"get\",\"headers\":{" H    \
    "}}}"

/* Checks that no diagnostic of h quotes the token. */
static void no_token_shown(const hres *h, const char *token)
{
    for (size_t i = 0; i < h->ndiag; i++) {
        assert_null(strstr(h->diag[i].message, token));
        assert_null(strstr(h->diag[i].path, token));
    }
}

static void secret_header_names(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        const char *found; /* NULL: not a credential */
    } cases[] = {
        {"Authorization", "found an Authorization header (the archive holds "
                          "an API token)"},
        {"authorization", "found an authorization header (the archive holds "
                          "an API token)"},
        {"AUTHORIZATION", "found an AUTHORIZATION header (the archive holds "
                          "an API token)"},
        {"Proxy-Authorization", "found a Proxy-Authorization header (the "
                                "archive holds a credential)"},
        {"Cookie", "found a Cookie header (the archive holds a credential)"},
        {"set-cookie", "found a set-cookie header"},
        {"X-Api-Key", "found an X-Api-Key header"},
        {"x-api-key", "found an x-api-key header"},
        {"Api_Key", "found an Api_Key header"},
        {"X-APIKEY", "found an X-APIKEY header"},
        {"X-Auth-Token", "found an X-Auth-Token header"},
        {"token", "found a token header"},
        {"X-Client-Secret", "found an X-Client-Secret header"},
        {"X-Password", "found an X-Password header"},
        {"X-Credentials", "found an X-Credentials header"},
        {"Content-Type", NULL},
        {"User-Agent", NULL},
        {"Accept", NULL},
        {"X-Request-Id", NULL},
        {"Auth", NULL},
        {"X-Api", NULL},
        {"Tokn", NULL},
        {":authority", NULL},
        {"", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char in[4096], path[128];
        snprintf(in, sizeof in,
                 JS_REQ("\"Content-Type\":\"application/json\",\"%s\":"
                        "\"Bearer s3cr3t-t0k3n\",\"User-Agent\":\"x/1\""),
                 cases[i].name);
        snprintf(path, sizeof path, "request.headers.%s", cases[i].name);
        printf("case %zu: %s\n", i, cases[i].name);
        hres h = {0};
        h_str(&h, in);
        want w = {NFB_CODE_SECRET, NFB_WARNING, path, 1, 0, cases[i].found};
        /* A warning: the record is there all the same. */
        check_(__LINE__, in, &h, 1, &w, cases[i].found ? 1 : 0);
        assert_string_equal(h.rec[0], B1);
        no_token_shown(&h, "s3cr3t");
        hres_free(&h);
    }
}

static void secret_positions(void **state)
{
    (void)state;
    /* In an array of responses, where the name is; the request before the
     * data; both records delivered. */
    const char *arr = "[" JS_REQ(
        "\"User-Agent\":\"x\"") ",\n"
                                "{\"request\":{\"headers\":{\n"
                                "  \"Authorization\": \"Bearer s3cr3t\"}},\n"
                                "\"data\":" B2 "}\n"
                                "]";
    hres h = {0};
    h_str(&h, arr);
    check_(__LINE__, arr, &h, 2,
           WANTS({NFB_CODE_SECRET, NFB_WARNING,
                  "[1].request.headers.Authorization", 3, 3, NULL}),
           1);
    assert_string_equal(h.rec[0], B1);
    assert_string_equal(h.rec[1], B2);
    no_token_shown(&h, "s3cr3t");
    hres_free(&h);

    /* A stream: each document's own, with its document index. */
    const char *nd = JS_REQ("\"Authorization\":\"a\"") "\n" B2 "\n" JS_REQ(
        "\"X-Api-Key\":\"k\",\"Cookie\":\"c\"");
    h_str(&h, nd);
    check_(__LINE__, nd, &h, 3,
           WANTS(SECRET_AUTH("request.headers.Authorization"),
                 WARN(SECRET, "request.headers.X-Api-Key"),
                 WARN(SECRET, "request.headers.Cookie")),
           3);
    assert_int_equal(h.diag[0].document, 1);
    assert_int_equal(h.diag[1].document, 3);
    assert_int_equal(h.diag[1].line, 3);
    hres_free(&h);

    /* A list page fetched with the client: every record, one warning. */
    EXPECT("{\"data\":{\"backups\":[" B1 "," B2 "]},\"pagination\":{},"
           "\"request\":{\"headers\":{\"Authorization\":\"Bearer x\"}}}",
           2, SECRET_AUTH("request.headers.Authorization"));

    /* Not an error under strict mode: the record is delivered. */
    EXPECT_FLAGS(JS_REQ("\"Authorization\":\"Bearer x\""), NFB_READ_STRICT, 1,
                 SECRET_AUTH("request.headers.Authorization"));

    /* The YAML front end feeds the same decoder: js-yaml's dump of a
     * client's result. */
    const char *yaml = "request:\n"
                       "  url: https://x\n"
                       "  headers:\n"
                       "    Authorization: Bearer s3cr3t\n"
                       "data:\n"
                       "  id: example-backup\n"
                       "  name: Example Backup\n"
                       "  status: completed\n"
                       "  createdAt: '2021-01-20T11:19:53.175Z'\n"
                       "  completedAt: '2021-01-20T11:19:54.494Z'\n"
                       "  config:\n"
                       "    source:\n"
                       "      type: snapshot\n"
                       "    size: '1234'\n"
                       "    addonVersion: 4.4.8\n"
                       "  lastRestore:\n"
                       "    restoreTimestamp: '2021-01-20T11:19:54.494Z'\n"
                       "    status: completed\n"
                       "    completedAt: '2021-01-20T11:19:54.494Z'\n";
    h_str(&h, yaml);
    check_(__LINE__, yaml, &h, 1,
           WANTS({NFB_CODE_SECRET, NFB_WARNING, "request.headers.Authorization",
                  4, 5, NULL}),
           1);
    assert_string_equal(h.rec[0], B1);
    no_token_shown(&h, "s3cr3t");
    hres_free(&h);
}

/* Whatever the client put in its request, no record is lost and nothing
 * but credentials is reported. */
static void secret_any_shape(void **state)
{
    (void)state;
    /* Header values of any type: only the names count. A value's own keys
     * are not headers. */
    EXPECT(JS_REQ("\"Authorization\":{\"scheme\":\"Bearer\",\"token\":"
                  "\"s\"},\"Cookie\":[\"a\",{\"secret\":1}],\"X-Api-Key\":null,"
                  "\"X-Auth-Token\":1,\"X-Secret\":true"),
           1, SECRET_AUTH("request.headers.Authorization"),
           WARN(SECRET, "request.headers.Cookie"),
           WARN(SECRET, "request.headers.X-Api-Key"),
           WARN(SECRET, "request.headers.X-Auth-Token"),
           WARN(SECRET, "request.headers.X-Secret"));
    /* The request and its headers of other types, or absent: the client's
     * business, not reported. */
    static const char *const quiet[] = {
        "{\"data\":" B1 ",\"request\":\"...\"}",
        "{\"data\":" B1 ",\"request\":null}",
        "{\"data\":" B1 ",\"request\":[{\"headers\":{\"Authorization\":1}}]}",
        "{\"data\":" B1 ",\"request\":1.5}",
        "{\"data\":" B1 ",\"request\":{}}",
        "{\"data\":" B1 ",\"request\":{\"headers\":null}}",
        "{\"data\":" B1 ",\"request\":{\"headers\":\"Authorization: x\"}}",
        "{\"data\":" B1
        ",\"request\":{\"headers\":[[\"Authorization\",\"x\"]]}}",
        "{\"data\":" B1 ",\"request\":{\"headers\":{}}}",
        /* other keys of the request, however they look: not warned about
         * (unknown-field), not taken for a new document ("data", "id") */
        "{\"data\":" B1 ",\"request\":{\"url\":\"u\",\"method\":\"post\","
        "\"data\":{\"id\":\"x\",\"token\":\"t\"},\"params\":[1,{\"a\":2}],"
        "\"timeout\":0,\"\":1}}",
        "{\"request\":{\"data\":{\"backups\":[]},\"id\":1},\"data\":" B1 "}",
    };
    for (size_t i = 0; i < sizeof quiet / sizeof quiet[0]; i++) {
        printf("case %zu\n", i);
        expect_records_(__LINE__, quiet[i], strlen(quiet[i]),
                        (const char *const[]){B1}, 1);
    }
    /* "headers" twice: both read, no duplicate-field error. */
    EXPECT("{\"data\":" B1 ",\"request\":{\"headers\":{\"Cookie\":\"c\"},"
           "\"headers\":{\"Authorization\":\"a\"}}}",
           1, WARN(SECRET, "request.headers.Cookie"),
           SECRET_AUTH("request.headers.Authorization"));
    /* The text is checked as everywhere: invalid UTF-8 in a header's value
     * or name is a syntax error (the response is not delivered), and a
     * name that is not text is not read for a credential. */
    EXPECT(JS_REQ("\"Authorization\":\"\xff\""), 0,
           SECRET_AUTH("request.headers.Authorization"),
           ERR(SYNTAX, "request.headers"));
    EXPECT(JS_REQ("\"Token\xff\":\"x\""), 0,
           ERR(SYNTAX, "request.headers[\"Token\\xff\"]"));
    /* The data's own errors are reported as before, beside the warning. */
    char *in = h_subst(JS_REQ("\"Authorization\":\"x\""), "\"1234\"", "1234");
    EXPECT(in, 0, ERR(WRONG_TYPE, "data.config.size"),
           SECRET_AUTH("request.headers.Authorization"));
    free(in);
    /* A bare backup's "request" is an unknown field like any other. */
    in =
        h_subst(B1, "\"name\"",
                "\"request\":{\"headers\":{\"Authorization\":\"x\"}},\"name\"");
    EXPECT(in, 1, WARN(UNKNOWN_FIELD, "request"));
    free(in);
}

/* ---- strict UTF-8 ------------------------------------------------------ */

static void utf8_strict(void **state)
{
    (void)state;
    static const struct {
        const char *name; /* the JSON text of the name's value */
        uint64_t column;  /* where the diagnostic points */
        const char *msg;
    } bad[] = {
        {"\"a\xC0\xAF\"", 31, "overlong encoding"},
        {"\"\xED\xA0\x80\"", 31, "surrogate code point"},
        {"\"\xF4\x90\x80\x80\"", 31, "code point above U+10FFFF"},
        {"\"\xFF\"", 31, "invalid byte 0xff"},
        {"\"ab\xE2\x82\"", 31, "truncated sequence"},
        {"\"\x80\"", 31, NULL},
        /* escapes: the position is that of the escape */
        {"\"\\uD800\"", 32, "lone surrogate"},
        {"\"x\\uD800\\u0041\"", 33, "lone surrogate"},
        {"\"\\uDC00\"", 32, "lone surrogate"},
        {"\"\\uD83D\"", 32, "lone surrogate"},
        {"\"\\uD800\\uD800\"", 32, "lone surrogate"},
        {"\"ab\\uDE00\"", 34, "lone surrogate"},
        {"\"\\uDE00\\uD83D\"", 32, "lone surrogate"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *in = h_subst(B1, "\"Example Backup\"", bad[i].name);
        printf("case %zu\n", i);
        EXPECT(
            in, 0,
            {NFB_CODE_SYNTAX, NFB_ERROR, "name", 1, bad[i].column, bad[i].msg});
        free(in);
    }
    /* the same checks on fields that are not stored: enums, sizes, keys,
     * and skipped subtrees */
    static const subcase more[] = {
        /* not UTF-8 and not one of the values: reported as the latter */
        {B1, "\"completed\"", "\"complet\xC0\xAF\"", NFB_CODE_BAD_ENUM,
         "status"},
        {B1, "\"completed\"", "\"\\uD800\"", NFB_CODE_SYNTAX, "status"},
        {B1, "\"1234\"", "\"1\\uDC00\"", NFB_CODE_SYNTAX, "config.size"},
        {B1, "\"name\"", "\"\xED\xA0\x80\":1,\"name\"", NFB_CODE_SYNTAX,
         "[\"\\xed\\xa0\\x80\"]"},
        {"{\"data\":" B1 ",\"request\":{\"u\":[\"\\uDFFF\"]}}", "\"u\"",
         "\"u\"", NFB_CODE_SYNTAX, "request"},
    };
    for (size_t i = 0; i < sizeof more / sizeof more[0]; i++) {
        char *in = h_subst(more[i].base, more[i].from, more[i].to);
        want w = {more[i].code, NFB_ERROR, more[i].path, 0, 0, NULL};
        printf("more %zu\n", i);
        /* the request case too: a bad member of the response, before or
         * after the data, keeps its record back */
        expect_(__LINE__, in, 0, 0, &w, 1);
        free(in);
    }
    /* valid: pairs of escapes, raw 4-byte UTF-8, the largest code point */
    EXPECT_RECORDS(
        "{\"id\":\"x\",\"name\":\"\\uD83D\\uDE00 \\ud83d\\ude00 "
        "\xF0\x9F\x98\x80 \\uDBFF\\uDFFF \\u00e9\",\"status\":\"failed\","
        "\"createdAt\":\"2021-01-20T11:19:53Z\",\"config\":{\"size\":\"1\"}}",
        "{\"id\":\"x\",\"name\":\"\xF0\x9F\x98\x80 \xF0\x9F\x98\x80 "
        "\xF0\x9F\x98\x80 \xF4\x8F\xBF\xBF \xC3\xA9\",\"status\":\"failed\","
        "\"createdAt\":\"2021-01-20T11:19:53Z\",\"config\":{\"size\":\"1\"}}");
}

static void capture_name(void *ctx, const nfb_backup *b)
{
    char *out = ctx;
    assert_true(b->name.len < 16);
    out[0] = (char)b->name.len;
    memcpy(out + 1, b->name.ptr, b->name.len);
}

static void utf8_nul_kept(void **state)
{
    (void)state;
    char name[17];
    char *in = h_subst(B1, "\"Example Backup\"", "\"a\\u0000b\"");
    hres h = {0};
    h.on_record = capture_name;
    h.ctx = name;
    h_str(&h, in);
    check_(__LINE__, in, &h, 1, NULL, 0);
    assert_int_equal(name[0], 3);
    assert_memory_equal(name + 1, "a\0b", 3);
    /* and written back as an escape */
    assert_non_null(strstr(h.rec[0], "\"name\":\"a\\u0000b\""));
    hres_free(&h);
    free(in);
}

/* ---- syntax ------------------------------------------------------------ */

static void syntax_errors(void **state)
{
    (void)state;
    EXPECT("{\"id\":}", 0, {NFB_CODE_SYNTAX, NFB_ERROR, "", 1, 7, "found '}'"});
    EXPECT("[1,]", 0, ERR(WRONG_TYPE, "[0]"),
           {NFB_CODE_SYNTAX, NFB_ERROR, "", 1, 4, "found ']'"});
    EXPECT("{\"id\" 1}", 0, {NFB_CODE_SYNTAX, NFB_ERROR, "", 1, 7, NULL});
    /* positions are those of the offending byte or token (by hand) */
    EXPECT("\n\n  {\"id\":tru}", 0,
           {NFB_CODE_SYNTAX, NFB_ERROR, "", 3, 12, "found '}'"});
    EXPECT("{'id':1}", 0, {NFB_CODE_SYNTAX, NFB_ERROR, "", 1, 2, NULL});
    EXPECT("{\"id\":\"a\tb\"}", 0,
           {NFB_CODE_SYNTAX, NFB_ERROR, "", 1, 9,
            "invalid character inside string, found byte 0x09"});
    EXPECT("{\"id\":\"\\q\"}", 0,
           {NFB_CODE_SYNTAX, NFB_ERROR, "", 1, 9, "found 'q'"});
    EXPECT("{\"id\":\"\\u12G4\"}", 0,
           {NFB_CODE_SYNTAX, NFB_ERROR, "", 1, 12, "found 'G'"});
    EXPECT("{\"id\":-}", 0,
           {NFB_CODE_SYNTAX, NFB_ERROR, "", 1, 8, "found '}'"});
    /* a missing comma: the token where the comma should be */
    EXPECT("{\"id\":01}", 0, ERR(WRONG_TYPE, "id"),
           {NFB_CODE_SYNTAX, NFB_ERROR, "", 1, 8, "found '1'"});
    EXPECT("{\"id\":\"a\" \"name\":\"b\"}", 0,
           {NFB_CODE_SYNTAX, NFB_ERROR, "", 1, 11, "found '\"'"});
    /* a '{' where a comma is due starts a new document: the one before is
     * cut short (here at the end of its line) */
    EXPECT("[{\"id\":\"a\"}\n {\"id\":\"b\"}]", 0, ERR(MISSING_FIELD, "[0]"),
           ERR(MISSING_FIELD, "[0]"), ERR(MISSING_FIELD, "[0]"),
           ERR(MISSING_FIELD, "[0]"),
           {NFB_CODE_SYNTAX, NFB_ERROR, "", 1, 12, "line is cut short"},
           ERR(MISSING_FIELD, ""), ERR(MISSING_FIELD, ""),
           ERR(MISSING_FIELD, ""), ERR(MISSING_FIELD, ""),
           {NFB_CODE_SYNTAX, NFB_ERROR, "", 2, 12, "found ']'"});
    /* reading resumes at the next '{' */
    EXPECT("/* c */ " B1, 1, {NFB_CODE_SYNTAX, NFB_ERROR, "", 1, 1, NULL});
    /* form feed and vertical tab are not JSON white space */
    EXPECT("\f" B1, 1, {NFB_CODE_SYNTAX, NFB_ERROR, "", 1, 1, "form feed"});
    EXPECT(B1 "\v", 1,
           {NFB_CODE_SYNTAX, NFB_ERROR, "", 1, 350, "vertical tab"});
    /* the end of the input inside a document */
    EXPECT(B1 "\n{\"id\":\"x\"", 1,
           {NFB_CODE_SYNTAX, NFB_ERROR, "", 2, 10,
            "expected the rest of the document, found the end of the input"});
    EXPECT("[" B1, 1, ERR(SYNTAX, ""));
    EXPECT(B1 "\n{", 1, ERR(SYNTAX, ""));
}

/* A syntax error costs only its line: the next line that starts a document
 * is read. */
static void syntax_error_resync(void **state)
{
    (void)state;
    hres h = {0};
    const char *in = B1 "\n{\"id\": nope}\n" B2 "\n";
    h_str(&h, in);
    check_(__LINE__, in, &h, 2,
           WANTS({NFB_CODE_SYNTAX, NFB_ERROR, "", 2, 0, NULL}), 1);
    assert_string_equal(h.rec[0], B1);
    assert_string_equal(h.rec[1], B2);
    assert_int_equal(h.diag[0].document, 2);
    hres_free(&h);
    /* A line cut short: reported at its end, and the next line is kept. */
    in = "{\"id\":\"a\",\"name\"\n" B1 "\n";
    h_str(&h, in);
    check_(__LINE__, in, &h, 1,
           WANTS({NFB_CODE_SYNTAX, NFB_ERROR, "", 1, 17, "cut short"}), 1);
    assert_string_equal(h.rec[0], B1);
    hres_free(&h);
    /* The lines after an error that do not start a document are skipped
     * with it (they belong to the broken document). */
    in = "{\"data\": x\n  \"y\": 1\n}\n" B2;
    h_str(&h, in);
    check_(__LINE__, in, &h, 1, WANTS(ERR(SYNTAX, "")), 1);
    assert_string_equal(h.rec[0], B2);
    hres_free(&h);
}

/* ---- limits ------------------------------------------------------------ */

static void run_cfg(hres *h, const nfb_reader_config *c, const char *in)
{
    h_run(h, c, "t.json", in, strlen(in), NULL, NULL);
}

static void limit_depth(void **state)
{
    (void)state;
    nfb_reader_config c;
    nfb_reader_config_init(&c);
    c.max_depth = 4;
    hres h = {0};
    char *bad = h_subst(B1, "\"name\"", "\"n\":[[[[[1]]]]],\"name\"");
    size_t n = strlen(bad);
    char *in = malloc(2 * n + strlen(B2) + 8);
    assert_non_null(in);
    snprintf(in, 2 * n + strlen(B2) + 8, "%s\n%s\n%s", bad, B2, bad);
    run_cfg(&h, &c, in);
    /* depth 1 the record, 2..5 the arrays: the 4th array is too deep */
    check_(__LINE__, in, &h, 1,
           WANTS(WARN(UNKNOWN_FIELD, "n"),
                 {NFB_CODE_LIMIT, NFB_ERROR, "", 1, 31,
                  "expected at most 4 levels of nesting"},
                 WARN(UNKNOWN_FIELD, "n"), ERR(LIMIT, "")),
           4);
    assert_string_equal(h.rec[0], B2);
    assert_int_equal(h.diag[2].line, 3);
    hres_free(&h);
    /* exactly at the limit (the record and 5 arrays): fine */
    c.max_depth = 6;
    run_cfg(&h, &c, bad);
    check_(__LINE__, bad, &h, 1, WANTS(WARN(UNKNOWN_FIELD, "n")), 1);
    hres_free(&h);
    /* the record's own nesting counts: a list page is 5 deep at source */
    c.max_depth = 4;
    const char *lp = "{\"data\":{\"backups\":[" B1 "]}}\n" B2;
    run_cfg(&h, &c, lp);
    check_(__LINE__, lp, &h, 1, WANTS(ERR(LIMIT, "data.backups[0].config")), 1);
    assert_string_equal(h.rec[0], B2);
    hres_free(&h);
    free(bad);
    free(in);
}

static void limit_string(void **state)
{
    (void)state;
    nfb_reader_config c;
    nfb_reader_config_init(&c);
    c.max_string = 24; /* the date-times fit exactly */
    hres h = {0};
    char *bad =
        h_subst(B1, "\"example-backup\"", "\"example-backup-is-too-long\"");
    char in[2048];
    snprintf(in, sizeof in, "%s\n%s\n%s", B1, bad, B1);
    run_cfg(&h, &c, in);
    /* the document is dropped; the stream goes on with the next line */
    check_(__LINE__, in, &h, 2,
           WANTS({NFB_CODE_LIMIT, NFB_ERROR, "", 2, 7,
                  "expected a token of at most 24 bytes, found a longer one; "
                  "the rest of the document is skipped"}),
           1);
    assert_int_equal(h.diag[0].document, 2);
    assert_string_equal(h.rec[0], B1);
    assert_string_equal(h.rec[1], B1);
    hres_free(&h);
    free(bad);
    /* Any token counts (quotes included), skipped or not: a number, a key,
     * a string under rawResponse. */
    static const char *const long_tokens[] = {
        "{\"id\":123456789012345678901234567}",
        "{\"abcdefghijklmnopqrstuvwxyz\":1}",
        ("{\"data\":{\"backups\":[]},\"rawResponse\":["
         "\"abcdefghijklmnopqrstuvwxyz\"]}"),
    };
    for (size_t i = 0; i < 3; i++) {
        snprintf(in, sizeof in, "%s\n%s", long_tokens[i], B1);
        run_cfg(&h, &c, in);
        check_(__LINE__, in, &h, 1, WANTS(ERR(LIMIT, "")), 1);
        hres_free(&h);
    }
    /* 24 bytes and its quotes: fine */
    snprintf(in, sizeof in, "{\"data\":%s,\"request\":\"%s\"}", B1,
             "abcdefghijklmnopqrstuvwx");
    run_cfg(&h, &c, in);
    check_(__LINE__, in, &h, 1, NULL, 0);
    hres_free(&h);
}

static void limit_record(void **state)
{
    (void)state;
    nfb_reader_config c;
    nfb_reader_config_init(&c);
    c.max_record = 1024;
    hres h = {0};
    char name[1600];
    memset(name, 'x', sizeof name - 1);
    name[0] = name[sizeof name - 2] = '"';
    name[sizeof name - 1] = 0;
    char *bad = h_subst(B2, "\"Nightly dump 2021-01-21\"", name);
    size_t n = strlen(bad) + 2 * strlen(B1) + 8;
    char *in = malloc(n);
    assert_non_null(in);
    snprintf(in, n, "%s\n%s\n%s", B1, bad, B1);
    run_cfg(&h, &c, in);
    check_(__LINE__, in, &h, 2,
           WANTS({NFB_CODE_LIMIT, NFB_ERROR, "name", 2, 0,
                  "expected a record of at most 1024 bytes"}),
           1);
    assert_string_equal(h.rec[0], B1);
    assert_string_equal(h.rec[1], B1);
    assert_int_equal(h.diag[0].document, 2);
    hres_free(&h);
    free(bad);
    free(in);
}

static void limit_diags(void **state)
{
    (void)state;
    nfb_reader_config c;
    nfb_reader_config_init(&c);
    c.max_diags = 3;
    hres h = {0};
    char *bad = h_subst(B1, "\"name\"",
                        "\"a\":1,\"b\":2,\"c\":3,\"d\":4,\"e\":5,\"name\"");
    size_t n = strlen(bad);
    char *in = malloc(2 * n + 2);
    assert_non_null(in);
    snprintf(in, 2 * n + 2, "%s\n%s", bad, bad);
    run_cfg(&h, &c, in);
    /* three per document, then one limit warning; counted all the same */
    check_(__LINE__, in, &h, 2,
           WANTS(WARN(UNKNOWN_FIELD, "a"), WARN(UNKNOWN_FIELD, "b"),
                 WARN(UNKNOWN_FIELD, "c"),
                 {NFB_CODE_LIMIT, NFB_WARNING, "", 1, 42,
                  "expected at most 3 warnings per document"},
                 WARN(UNKNOWN_FIELD, "a"), WARN(UNKNOWN_FIELD, "b"),
                 WARN(UNKNOWN_FIELD, "c"), WARN(LIMIT, "")),
           8);
    assert_int_equal(h.stats.warnings, 10);
    hres_free(&h);
    free(bad);
    free(in);
}

/* Errors and warnings are capped apart: a document's warnings, however
 * many, never hide its errors. */
static void limit_diags_errors_after_warnings(void **state)
{
    (void)state;
    nfb_reader_config c;
    nfb_reader_config_init(&c);
    c.max_diags = 3;
    hres h = {0};
    char *many = h_subst(B1, "\"name\":\"Example Backup\"",
                         "\"a\":1,\"b\":2,\"c\":3,\"d\":4,\"e\":5,\"name\":7");
    run_cfg(&h, &c, many);
    check_(__LINE__, many, &h, 0,
           WANTS(WARN(UNKNOWN_FIELD, "a"), WARN(UNKNOWN_FIELD, "b"),
                 WARN(UNKNOWN_FIELD, "c"),
                 {NFB_CODE_LIMIT, NFB_WARNING, "", 1, 0,
                  "expected at most 3 warnings per document"},
                 ERR(WRONG_TYPE, "name")),
           5);
    assert_int_equal(h.stats.warnings, 5);
    assert_int_equal(h.stats.errors, 1);
    hres_free(&h);
    free(many);
}

/* NFB_READ_NO_WARNINGS (the command's -q): warnings are counted but
 * never reach the callback; errors do, with their cap, and the same
 * records come out. */
static void no_warnings_counted(void **state)
{
    (void)state;
    nfb_reader_config c;
    nfb_reader_config_init(&c);
    c.flags = NFB_READ_NO_WARNINGS;
    c.max_diags = 1;
    /* an unknown field, a lint (completed without completedAt) and two
     * wrong types in one document; a good record after it */
    char *a = h_subst(B1, "\"name\":\"Example Backup\"", "\"zz\":1,\"name\":7");
    char *a2 = h_subst(a, "\"1234\"", "\"12kB\"");
    char *b =
        h_subst(a2, ",\"completedAt\":\"2021-01-20T11:19:54.494Z\",\"config\"",
                ",\"config\"");
    char *lint = h_subst(B1,
                         ",\"completedAt\":\"2021-01-20T11:19:54.494Z\","
                         "\"config\"",
                         ",\"config\"");
    size_t n = strlen(b) + strlen(lint) + 2;
    char *in = malloc(n);
    assert_non_null(in);
    snprintf(in, n, "%s\n%s", b, lint);
    hres h = {0};
    run_cfg(&h, &c, in);
    /* the first error alone: no warning, and no notice of the cap (a
     * warning) for the second error */
    check_(__LINE__, in, &h, 1, WANTS(ERR(WRONG_TYPE, "name")), 1);
    assert_int_equal(h.stats.errors, 2);
    assert_int_equal(h.stats.warnings, 2);
    assert_int_equal(h.stats.records, 1);
    hres_free(&h);
    /* the same counts as when they are shown */
    c.flags = 0;
    c.max_diags = 100;
    run_cfg(&h, &c, in);
    assert_int_equal(h.ndiag, 4);
    assert_int_equal(h.stats.errors, 2);
    assert_int_equal(h.stats.warnings, 2);
    assert_int_equal(h.nrec, 1);
    hres_free(&h);
    free(in);
    free(lint);
    free(b);
    free(a2);
    free(a);
}

/* ---- all errors of a document ------------------------------------------ */

static void all_errors_reported(void **state)
{
    (void)state;
    char *a = h_subst(B1, "\"completed\"", "\"ok\"");
    char *b =
        h_subst(a, "\"2021-01-20T11:19:53.175Z\"", "\"2021-02-29T00:00:00Z\"");
    char *c = h_subst(b, "\"1234\"", "\"12kB\"");
    char *d = h_subst(c, "\"Example Backup\"", "7");
    char *e = h_subst(d, "{\"restoreTimestamp\":\"2021-01-20T11:19:54.494Z\",",
                      "{\"zz\":1,");
    EXPECT(e, 0, ERR(WRONG_TYPE, "name"), ERR(BAD_ENUM, "status"),
           ERR(BAD_DATE_TIME, "createdAt"), ERR(BAD_SIZE, "config.size"),
           WARN(UNKNOWN_FIELD, "lastRestore.zz"),
           ERR(MISSING_FIELD, "lastRestore"));
    /* and in a list, errors of every record */
    char *list = malloc(strlen(c) * 2 + 32);
    assert_non_null(list);
    sprintf(list, "{\"backups\":[%s,%s]}", c, c);
    EXPECT(list, 0, ERR(BAD_ENUM, "backups[0].status"),
           ERR(BAD_DATE_TIME, "backups[0].createdAt"),
           ERR(BAD_SIZE, "backups[0].config.size"),
           ERR(BAD_ENUM, "backups[1].status"),
           ERR(BAD_DATE_TIME, "backups[1].createdAt"),
           ERR(BAD_SIZE, "backups[1].config.size"));
    free(list);
    free(a), free(b), free(c), free(d), free(e);
}

/* ---- positions and paths ----------------------------------------------- */

static void positions(void **state)
{
    (void)state;
    /* Checked by hand: in B1, "size" is at byte 187 (0-based), its value at
     * 194, so column 195; on the second line, offset 350 + 194. */
    char *bad = h_subst(B1, "\"1234\"", "\"12kB\"");
    char in[1024];
    snprintf(in, sizeof in, "%s\n%s\n", B1, bad);
    hres h = {0};
    h_str(&h, in);
    check_(__LINE__, in, &h, 1,
           WANTS({NFB_CODE_BAD_SIZE, NFB_ERROR, "config.size", 2, 195, NULL}),
           1);
    assert_int_equal(h.diag[0].offset, 350 + 194);
    assert_int_equal(h.diag[0].document, 2);
    assert_string_equal(h.diag[0].input, "t.json");
    hres_free(&h);
    free(bad);

    /* A pretty document: "status" value on line 4, column 13. */
    const char *pretty = "{\n  \"data\": {\n    \"id\": \"a\",\n"
                         "    \"status\": \"done\"\n  }\n}\n";
    h_str(&h, pretty);
    assert_true(h.ndiag >= 1);
    assert_int_equal(h.diag[0].code, NFB_CODE_BAD_ENUM);
    assert_string_equal(h.diag[0].path, "data.status");
    assert_int_equal(h.diag[0].line, 4);
    assert_int_equal(h.diag[0].column, 15);
    assert_int_equal(h.diag[0].offset, 2 + 12 + 15 + 14);
    hres_free(&h);

    /* Tabs and multi-byte characters count as bytes. */
    const char *tabs = "\t[\"\xC3\xA9\", 5]";
    h_str(&h, tabs);
    assert_int_equal(h.ndiag, 2);
    assert_int_equal(h.diag[1].column, 9);
    assert_string_equal(h.diag[1].path, "[1]");
    hres_free(&h);
}

/* Lines are counted over runs of many at once (json_source.c): the line
 * of a diagnostic after k lines, for k at and around every width the
 * count works in (8, 16 and 64 bytes, a byte counter's 255, a 16 KiB
 * segment), of one byte ("\n"), two ("\t\n") and three (" \r\n"), in an
 * array of three records. The second one's missing fields are reported at
 * its '{', a position kept while its lines go by (into later segments for
 * the larger k), the third's size after them. */
static void positions_after_many_lines(void **state)
{
    (void)state;
    static const size_t ks[] = {0,    1,    7,     8,     9,     15,   16,
                                17,   63,   64,    65,    255,   256,  257,
                                1000, 4031, 4032,  4033,  4047,  4048, 4049,
                                4096, 8191, 16383, 16384, 16385, 70000};
    static const char *const units[] = {"\n", "\t\n", " \r\n"};
    char *bad = h_subst(B1, "\"1234\"", "\"12kB\"");
    size_t blen = strlen(bad);
    for (size_t u = 0; u < sizeof units / sizeof units[0]; u++) {
        size_t w = strlen(units[u]);
        for (size_t i = 0; i < sizeof ks / sizeof ks[0]; i++) {
            size_t k = ks[i];
            char *in = malloc(2 * k * w + 2 * blen + 64);
            assert_non_null(in);
            char *p = in + sprintf(in, "[\n");
            for (size_t l = 0; l < k; l++, p += w)
                memcpy(p, units[u], w);
            p += sprintf(p, "%s,\n{\n", bad);
            for (size_t l = 0; l < k; l++, p += w)
                memcpy(p, units[u], w);
            sprintf(p, "\"name\":\"x\"},\n%s\n]\n", bad);
            hres h = {0};
            h_str(&h, in);
            const hdiag *first = &h.diag[0], *last = &h.diag[h.ndiag - 1];
            int ok = h.ndiag >= 3 && first->code == NFB_CODE_BAD_SIZE &&
                     first->line == k + 2 && first->column == 195 &&
                     last->code == NFB_CODE_BAD_SIZE &&
                     last->line == 2 * k + 5 && last->column == 195;
            for (size_t d = 1; ok && d + 1 < h.ndiag; d++)
                ok = h.diag[d].code == NFB_CODE_MISSING_FIELD &&
                     h.diag[d].line == k + 3 && h.diag[d].column == 1 &&
                     h.diag[d].offset == 2 + k * w + blen + 2;
            if (!ok) {
                h_dump(&h);
                fail_msg("%zu lines of %zu bytes: expected %zu:195, %zu:1 "
                         "and %zu:195",
                         k, w, k + 2, k + 3, 2 * k + 5);
            }
            hres_free(&h);
            free(in);
        }
    }
    free(bad);
}

static void paths(void **state)
{
    (void)state;
    char *a = h_subst(B1, "\"1234\"", "\"x\"");
    char *list = malloc(strlen(B1) + strlen(B2) + 64);
    assert_non_null(list);
    sprintf(list, "{\"data\":%s}", a);
    EXPECT(list, 0, ERR(BAD_SIZE, "data.config.size"));
    char *b = h_subst(B2, "\"nightly-dump-0042\"", "false");
    sprintf(list, "{\"data\":{\"backups\":[%s,%s]}}", B1, b);
    EXPECT(list, 1, ERR(WRONG_TYPE, "data.backups[1].id"));
    char *c = h_subst(B1, "\"Example Backup\"", "null");
    sprintf(list, "[%s]", c);
    EXPECT(list, 0, ERR(WRONG_TYPE, "[0].name"));
    EXPECT("[[]]", 0, ERR(WRONG_TYPE, "[0]"));
    /* keys that are not identifiers are quoted */
    EXPECT("{\"data\":{\"backups\":[],\"x.y\":1,\"\\\"\":2,\"\":3}}", 0,
           WARN(UNKNOWN_FIELD, "data[\"x.y\"]"),
           WARN(UNKNOWN_FIELD, "data[\"\\\"\"]"),
           WARN(UNKNOWN_FIELD, "data[\"\"]"));
    free(a), free(b), free(c), free(list);
}

/* ---- callbacks, BOM, empty input --------------------------------------- */

static void stop_from_record_callback(void **state)
{
    (void)state;
    hres h = {0};
    h.stop_at_record = 2;
    const char *in = B1 "\n" B2 "\n" B1 "\n";
    h_str(&h, in);
    assert_int_equal(h.feed_res, NFB_STOPPED);
    assert_int_equal(h.nrec, 2);
    assert_int_equal(h.stats.records, 2);
    hres_free(&h);
}

static int stop_record(void *ctx, const nfb_backup *b)
{
    (void)b;
    ++*(int *)ctx;
    return 1;
}

static int stop_diag(void *ctx, const nfb_diag *d)
{
    (void)d;
    ++*(int *)ctx;
    return 1;
}

static void stop_contract(void **state)
{
    (void)state;
    int calls = 0;
    nfb_reader_config c;
    nfb_reader_config_init(&c);
    c.on_record = stop_record;
    c.ctx = &calls;
    nfb_reader *r = nfb_reader_new(&c, NULL);
    assert_non_null(r);
    const char *in = B1 B1 B1;
    assert_int_equal(nfb_reader_feed(r, in, strlen(in)), NFB_STOPPED);
    assert_int_equal(calls, 1);
    /* stopped: more input and finish are refused */
    assert_int_equal(nfb_reader_feed(r, B1, strlen(B1)), NFB_ESTATE);
    assert_int_equal(nfb_reader_finish(r), NFB_ESTATE);
    assert_int_equal(calls, 1);
    /* a new input starts afresh */
    assert_int_equal(nfb_reader_begin(r, "next"), NFB_OK);
    assert_int_equal(nfb_reader_feed(r, "[", 1), NFB_OK);
    assert_int_equal(nfb_reader_feed(r, B1, strlen(B1)), NFB_STOPPED);
    assert_int_equal(calls, 2);
    nfb_reader_free(r);

    /* from the diagnostic callback, in feed and in finish */
    calls = 0;
    c.on_record = NULL;
    c.on_diag = stop_diag;
    r = nfb_reader_new(&c, NULL);
    assert_non_null(r);
    assert_int_equal(nfb_reader_feed(r, "{\"x\":1,\"y\":2}", 13), NFB_STOPPED);
    assert_int_equal(calls, 1);
    assert_int_equal(nfb_reader_begin(r, "b"), NFB_OK);
    assert_int_equal(nfb_reader_feed(r, "{\"id\":", 6), NFB_OK);
    assert_int_equal(nfb_reader_finish(r), NFB_STOPPED);
    assert_int_equal(calls, 2);
    assert_int_equal(nfb_reader_begin(r, "c"), NFB_OK);
    assert_int_equal(nfb_reader_finish(r), NFB_STOPPED); /* empty input */
    assert_int_equal(calls, 3);
    nfb_reader_free(r);

    /* through the harness: a stop in a list page */
    hres h = {0};
    h.stop_at_record = 1;
    h_str(&h, "{\"backups\":[" B1 "," B2 "]}");
    assert_int_equal(h.feed_res, NFB_STOPPED);
    assert_int_equal(h.nrec, 1);
    hres_free(&h);
    h.stop_at_diag = 2;
    h_str(&h, "{\"a\":1,\"b\":2,\"c\":3}");
    assert_int_equal(h.feed_res, NFB_STOPPED);
    assert_int_equal(h.ndiag, 2);
    hres_free(&h);
}

static size_t split_bom(void *st, size_t left)
{
    (void)left;
    size_t *i = st;
    return (*i)++ < 3 ? 1 : left;
}

static void bom(void **state)
{
    (void)state;
    const char *in = "\xEF\xBB\xBF" B1 "\n{\"id\":5}";
    hres h = {0};
    h_str(&h, in);
    check_(__LINE__, in, &h, 1,
           WANTS({NFB_CODE_WRONG_TYPE, NFB_ERROR, "id", 2, 7, NULL},
                 ERR(MISSING_FIELD, ""), ERR(MISSING_FIELD, ""),
                 ERR(MISSING_FIELD, ""), ERR(MISSING_FIELD, "")),
           5);
    /* offsets are counted after the BOM */
    assert_int_equal(h.diag[0].offset, 350 + 6);
    char *whole = h_diag_text(&h);
    hres_free(&h);
    /* the BOM split over three chunks */
    size_t i = 0;
    h_run(&h, NULL, "t.json", in, strlen(in), split_bom, &i);
    char *split = h_diag_text(&h);
    assert_int_equal(h.nrec, 1);
    assert_string_equal(whole, split);
    free(whole), free(split);
    hres_free(&h);
    /* a BOM that is not at the start is an error; so is half a BOM */
    EXPECT(B1 "\n\xEF\xBB\xBF" B1, 2, ERR(SYNTAX, ""));
    EXPECT("\xEF\xBB" B1, 1, {NFB_CODE_SYNTAX, NFB_ERROR, "", 1, 1, NULL});
    /* a BOM and nothing else */
    EXPECT("\xEF\xBB\xBF", 0,
           {NFB_CODE_SYNTAX, NFB_ERROR, "", 1, 1,
            "expected a JSON document, found the end of the input"});
}

static void empty_input(void **state)
{
    (void)state;
    /* RFC 8259: a JSON text is a value; an empty file is what a failed or
     * quiet CLI call leaves, and is an error */
    EXPECT("", 0,
           {NFB_CODE_SYNTAX, NFB_ERROR, "", 1, 1,
            "expected a JSON document, found the end of the input"});
    EXPECT(" \n\t\r\n", 0, {NFB_CODE_SYNTAX, NFB_ERROR, "", 3, 1, NULL});
}

static void stats_and_names(void **state)
{
    (void)state;
    /* positions and documents restart with each input; stats do not */
    hres h = {0};
    nfb_reader_config c;
    nfb_reader_config_init(&c);
    nfb_reader *r = nfb_reader_new(&c, NULL);
    assert_non_null(r);
    assert_int_equal(nfb_reader_begin(r, "a.json"), NFB_OK);
    assert_int_equal(nfb_reader_feed(r, B1 "\n" B2, strlen(B1 "\n" B2)),
                     NFB_OK);
    assert_int_equal(nfb_reader_finish(r), NFB_OK);
    assert_int_equal(nfb_reader_begin(r, "b.json"), NFB_OK);
    assert_int_equal(nfb_reader_feed(r, "[" B1 "]", strlen(B1) + 2), NFB_OK);
    assert_int_equal(nfb_reader_finish(r), NFB_OK);
    nfb_reader_stats st;
    nfb_reader_stats_get(r, &st);
    assert_int_equal(st.documents, 3);
    assert_int_equal(st.records, 3);
    assert_int_equal(st.errors, 0);
    assert_int_equal(st.warnings, 0);
    assert_int_equal(st.bytes, strlen(B1) * 2 + strlen(B2) + 3);
    nfb_reader_free(r);
    /* feed without begin names the input "<input>" */
    h_run(&h, NULL, NULL, "{}", 2, NULL, NULL);
    assert_int_equal(h.ndiag, 1);
    assert_string_equal(h.diag[0].input, "<input>");
    hres_free(&h);
    /* a 0 limit is refused */
    c.max_diags = 0;
    assert_null(nfb_reader_new(&c, NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(form_api_envelope),
        cmocka_unit_test(form_cli_bare),
        cmocka_unit_test(form_js_client),
        cmocka_unit_test(form_api_error),
        cmocka_unit_test(form_list_page),
        cmocka_unit_test(form_cli_list),
        cmocka_unit_test(form_array),
        cmocka_unit_test(form_ndjson),
        cmocka_unit_test(form_concat),
        cmocka_unit_test(form_mixed),
        cmocka_unit_test(forms_documented_examples_identical),
        cmocka_unit_test(forms_not_a_backup),
        cmocka_unit_test(required_fields),
        cmocka_unit_test(wrong_types),
        cmocka_unit_test(null_optional_is_absent),
        cmocka_unit_test(enum_status),
        cmocka_unit_test(enum_last_restore_status),
        cmocka_unit_test(enum_source_type),
        cmocka_unit_test(enum_compression_type),
        cmocka_unit_test(enum_destination_type),
        cmocka_unit_test(date_times_valid),
        cmocka_unit_test(date_times_bad),
        cmocka_unit_test(date_times_values),
        cmocka_unit_test(size_rule),
        cmocka_unit_test(duplicate_keys),
        cmocka_unit_test(unknown_keys),
        cmocka_unit_test(secret_header_names),
        cmocka_unit_test(secret_positions),
        cmocka_unit_test(secret_any_shape),
        cmocka_unit_test(lints),
        cmocka_unit_test(utf8_strict),
        cmocka_unit_test(utf8_nul_kept),
        cmocka_unit_test(syntax_errors),
        cmocka_unit_test(syntax_error_resync),
        cmocka_unit_test(limit_depth),
        cmocka_unit_test(limit_string),
        cmocka_unit_test(limit_record),
        cmocka_unit_test(limit_diags),
        cmocka_unit_test(limit_diags_errors_after_warnings),
        cmocka_unit_test(all_errors_reported),
        cmocka_unit_test(positions),
        cmocka_unit_test(positions_after_many_lines),
        cmocka_unit_test(paths),
        cmocka_unit_test(stop_from_record_callback),
        cmocka_unit_test(stop_contract),
        cmocka_unit_test(bom),
        cmocka_unit_test(empty_input),
        cmocka_unit_test(stats_and_names),
        cmocka_unit_test(no_warnings_counted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
