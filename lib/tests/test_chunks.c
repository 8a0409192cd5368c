/* Chunk independence: every input fed in one piece, one byte at a time, in
 * every fixed chunk size from 2 to 31 and in 50 random splits (fixed seed)
 * must give byte-identical records (normalized JSON) and identical
 * diagnostics, every field compared (code, severity, input, document,
 * offset, line, column, path, message).
 *
 * Inputs: every file under testdata/forms and testdata/wrappers and every
 * input of the CLI cases
 * (testdata/cases/<case>/, all but the expected outputs), and inline inputs
 * that stress the front end: syntax errors, lines cut short, escapes and
 * UTF-8 sequences split across chunks, lone surrogates, limits. Each is run
 * under three configurations: the defaults, strict, and small limits. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <setjmp.h>

#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "harness.h"

/* ---- splits ------------------------------------------------------------ */

typedef struct fixed_split {
    size_t size;
} fixed_split;

static size_t split_fixed(void *st, size_t left)
{
    size_t n = ((fixed_split *)st)->size;
    return n < left ? n : left;
}

/* xorshift64*: a fixed sequence on every platform. */
typedef struct random_split {
    uint64_t s;
    size_t max; /* chunk sizes 1..max */
} random_split;

static uint64_t next_random(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * UINT64_C(2685821657736338717);
}

static size_t split_random(void *st, size_t left)
{
    random_split *r = st;
    size_t n = 1 + (size_t)(next_random(&r->s) % r->max);
    return n < left ? n : left;
}

/* ---- comparing --------------------------------------------------------- */

typedef struct config_case {
    const char *name;
    nfb_reader_config cfg;
} config_case;

static size_t runs;     /* number of comparisons made, for the summary */
static size_t failures; /* inputs (and configs) whose splits differ */

/* Prints the first line where a and b differ. */
static void show_first_difference(const char *what, const char *a,
                                  const char *b)
{
    size_t line = 1;
    const char *la = a, *lb = b;
    while (*a && *a == *b) {
        if (*a == '\n') line++, la = a + 1, lb = b + 1;
        a++, b++;
    }
    const char *ea = strchr(la, '\n'), *eb = strchr(lb, '\n');
    int na = ea ? (int)(ea - la) : (int)strlen(la);
    int nb = eb ? (int)(eb - lb) : (int)strlen(lb);
    printf("%s differ at line %zu:\n  whole: %.*s\n  split: %.*s\n", what, line,
           na, la, nb, lb);
}

static int check_same(const char *input_name, const config_case *cc,
                      const char *how, const char *data, size_t len,
                      const char *want_rec, const char *want_diag,
                      hsplit_fn split, void *state)
{
    hres h = {0};
    h_run(&h, &cc->cfg, input_name, data, len, split, state);
    char *rec = h_rec_text(&h), *diag = h_diag_text(&h);
    int same_rec = strcmp(rec, want_rec) == 0;
    int same_diag = strcmp(diag, want_diag) == 0;
    runs++;
    if (!same_rec || !same_diag || h.feed_res != NFB_OK ||
        h.finish_res != NFB_OK) {
        printf("input %s, config %s, fed %s:\n", input_name, cc->name, how);
        if (!same_rec) show_first_difference("records", want_rec, rec);
        if (!same_diag) show_first_difference("diagnostics", want_diag, diag);
        printf("feed %d, finish %d\n", h.feed_res, h.finish_res);
    }
    free(rec), free(diag);
    hres_free(&h);
    return same_rec && same_diag && h.feed_res == NFB_OK &&
           h.finish_res == NFB_OK;
}

/* Every way of splitting data, compared with the whole. */
static void check_input(const char *name, const char *data, size_t len,
                        const config_case *cc)
{
    hres whole = {0};
    h_run(&whole, &cc->cfg, name, data, len, NULL, NULL);
    assert_int_equal(whole.feed_res, NFB_OK);
    assert_int_equal(whole.finish_res, NFB_OK);
    char *want_rec = h_rec_text(&whole), *want_diag = h_diag_text(&whole);
    hres_free(&whole);

    char how[64];
    for (size_t size = 1; size <= 31; size++) {
        fixed_split fs = {size};
        snprintf(how, sizeof how, "in chunks of %zu", size);
        if (!check_same(name, cc, how, data, len, want_rec, want_diag,
                        split_fixed, &fs))
            goto failed;
    }
    for (unsigned k = 0; k < 50; k++) {
        /* Small and large chunks alike: the largest size grows with k. */
        random_split rs = {UINT64_C(0x9E3779B97F4A7C15) ^ (k + 1) * 7919u,
                           1 + (size_t)k * k};
        snprintf(how, sizeof how, "in random split %u", k);
        if (!check_same(name, cc, how, data, len, want_rec, want_diag,
                        split_random, &rs))
            goto failed;
    }
    free(want_rec);
    free(want_diag);
    return;
failed: /* reported; the other inputs go on */
    failures++;
    free(want_rec);
    free(want_diag);
}

static config_case configs[3];

static void init_configs(void)
{
    configs[0].name = "default";
    nfb_reader_config_init(&configs[0].cfg);
    configs[1].name = "strict";
    nfb_reader_config_init(&configs[1].cfg);
    configs[1].cfg.flags = NFB_READ_STRICT;
    configs[2].name = "small limits";
    nfb_reader_config_init(&configs[2].cfg);
    configs[2].cfg.max_depth = 5;
    configs[2].cfg.max_string = 24;
    configs[2].cfg.max_record = 1024;
    configs[2].cfg.max_diags = 3;
}

static void check_all_configs(const char *name, const char *data, size_t len)
{
    for (size_t i = 0; i < sizeof configs / sizeof configs[0]; i++)
        check_input(name, data, len, &configs[i]);
}

/* ---- file inputs ------------------------------------------------------- */

static int is_expected_output(const char *name)
{
    return strcmp(name, "args") == 0 || strcmp(name, "stdout") == 0 ||
           strcmp(name, "stdout.re") == 0 || strcmp(name, "stderr") == 0 ||
           strcmp(name, "status") == 0 || strcmp(name, "README") == 0 ||
           strcmp(name, "SOURCES.md") == 0 || name[0] == '.';
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The regular files of dir that are inputs, sorted; NULL-terminated. */
static char **list_inputs(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return NULL;
    char **names = NULL;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (is_expected_output(e->d_name)) continue;
        char path[2048];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) continue;
        char **grown = realloc(names, (n + 2) * sizeof *names);
        assert_non_null(grown);
        names = grown;
        names[n] = malloc(strlen(path) + 1);
        assert_non_null(names[n]);
        strcpy(names[n++], path);
    }
    closedir(d);
    if (!names) return NULL;
    qsort(names, n, sizeof *names, cmp_names);
    names[n] = NULL;
    return names;
}

static size_t check_files_in(const char *dir)
{
    char **files = list_inputs(dir);
    size_t n = 0;
    if (!files) return 0;
    for (char **f = files; *f; f++, n++) {
        size_t len;
        char *data = h_read_file(*f, &len);
        assert_non_null(data);
        /* the input's name as the CLI would give it: its path */
        check_all_configs(*f + strlen(NFB_TESTDATA) + 1, data, len);
        free(data);
        free(*f);
    }
    free(files);
    return n;
}

static void forms_fixtures(void **state)
{
    (void)state;
    size_t n = check_files_in(NFB_TESTDATA "/forms");
    assert_true(n >= 9); /* the nine forms */
}

/* What tools wrap around responses and how they encode them: UTF-16 and
 * UTF-32 (with and without a byte order mark, a lone surrogate), HTTP
 * response heads, RFC 7464 record separators, a line before NDJSON. */
static void wrapper_fixtures(void **state)
{
    (void)state;
    size_t n = check_files_in(NFB_TESTDATA "/wrappers");
    assert_true(n >= 14);
}

static void cli_case_inputs(void **state)
{
    (void)state;
    DIR *d = opendir(NFB_TESTDATA "/cases");
    if (!d) {
        printf("no testdata/cases: skipped\n");
        return;
    }
    char **dirs = NULL;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        char **grown = realloc(dirs, (n + 1) * sizeof *dirs);
        assert_non_null(grown);
        dirs = grown;
        dirs[n] = malloc(strlen(NFB_TESTDATA) + strlen(e->d_name) + 16);
        assert_non_null(dirs[n]);
        sprintf(dirs[n++], "%s/cases/%s", NFB_TESTDATA, e->d_name);
    }
    closedir(d);
    if (n) qsort(dirs, n, sizeof *dirs, cmp_names);
    size_t files = 0;
    for (size_t i = 0; i < n; i++) {
        files += check_files_in(dirs[i]);
        free(dirs[i]);
    }
    free(dirs);
    printf("%zu case inputs\n", files);
}

/* ---- inline inputs ----------------------------------------------------- */

typedef struct inline_input {
    const char *name;
    const char *data; /* NUL-terminated unless len is given */
    size_t len;
} inline_input;

#define IN(name, s)                                                            \
    {                                                                          \
        name, s, 0                                                             \
    }
#define INB(name, s)                                                           \
    {                                                                          \
        name, s, sizeof s - 1                                                  \
    } /* may hold NUL bytes */

static const inline_input inputs[] = {
    /* syntax errors of every kind, each followed by a good line */
    IN("missing value", "{\"id\":}\n" B1),
    IN("trailing comma", "[1,]\n" B1),
    IN("missing colon", "{\"id\" \"x\"}\n" B1),
    IN("missing comma", "{\"id\":\"a\" \"name\":\"b\"}\n" B1),
    IN("missing comma after number", "{\"id\":1 \"name\":\"b\"}\n" B1),
    IN("missing comma after literal", "{\"id\":true \"name\":\"b\"}\n" B1),
    IN("missing comma after object", "{\"data\":{\"id\":\"a\"} \"x\":1}\n" B1),
    IN("missing comma in array", "[{\"id\":\"a\"} {\"id\":\"b\"}]\n" B1),
    IN("leading zero", "{\"id\":01}\n" B1),
    IN("bad literal", "{\"id\":tru}\n" B1),
    IN("bad literal 2", "{\"id\":nul,\"x\":1}\n" B1),
    IN("single quotes", "{'id':1}\n" B1),
    IN("comment", "/* c */ " B1 "\n" B1),
    IN("bare word", B1 " x " B1 "\n" B1),
    IN("double comma", "[1,,2]\n" B1),
    IN("colon in array", "[1:2]\n" B1),
    IN("key not a string", "{1:2}\n" B1),
    IN("extra close", "{\"id\":\"a\"}}\n" B1),
    IN("minus alone", "{\"id\":-}\n" B1),
    IN("bad exponent", "{\"id\":1e}\n" B1),
    IN("bad fraction", "{\"id\":1.}\n" B1),
    IN("control char in string", "{\"id\":\"a\tb\"}\n" B1),
    IN("newline in string", "{\"id\":\"abc\n\"}\n" B1),
    IN("bad escape", "{\"id\":\"a\\qb\"}\n" B1),
    IN("bad hex escape", "{\"id\":\"\\u12G4\"}\n" B1),
    IN("form feed", "\f" B1 "\n" B1),
    IN("vertical tab", B1 "\v\n" B1),
    IN("long bad token", "{\"id\":\"abcdefghij\" \"klmnopqrstuvwxyz\"}\n" B1),
    /* lines cut short and truncated input */
    IN("cut line", "{\"id\":\"a\",\"name\"\n" B1 "\n"),
    IN("cut line in string", "{\"id\":\"example-bac\n" B1 "\n"),
    IN("cut pretty document", "{\n  \"data\": {\n    \"id\": \"a\",\n" B1),
    IN("truncated at end", B1 "\n{\"id\":\"x\""),
    IN("truncated number", B1 "\n[1"),
    IN("truncated escape", B1 "\n{\"id\":\"\\u00"),
    IN("open array", "[" B1),
    IN("empty", ""),
    IN("only space", " \n\t\r\n "),
    /* escapes, BOM and UTF-8 split anywhere */
    IN("escapes", "{\"id\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\uD83D\\uDE00\","
                  "\"name\":\"x\",\"status\":\"failed\",\"createdAt\":"
                  "\"2021-01-20T11:19:53Z\",\"config\":{\"size\":\"1\"}}\n" B1),
    IN("lone high surrogate", "{\"id\":\"ab\\uD800cd\",\"name\":\"x\"}\n" B1),
    IN("high then not low", "{\"id\":\"\\uD800\\u0041\"}\n" B1),
    IN("high then high", "{\"id\":\"\\uD800\\uD800\\uDC00\"}\n" B1),
    IN("lone low surrogate", "{\"id\":\"\\uDC00\"}\n" B1),
    IN("surrogate at end", "{\"id\":\"\\uDBFF\"}\n" B1),
    IN("surrogate in key", "{\"\\uD800\":1}\n" B1),
    IN("surrogate in skipped subtree",
       "{\"data\":" B1 ",\"request\":{\"a\":[\"\\uDFFF\"]}}\n" B1),
    IN("many lone surrogates",
       "{\"id\":\"\\uD800\\uD800\\uD800\\uD800\\uD800\\uD800\\uD800\\uD800"
       "\\uD800\\uD800\\uD800\\uD800\\uD800\\uD800\\uD800\\uD800\"}\n" B1),
    IN("overlong", "{\"id\":\"a\xC0\xAF\"}\n" B1),
    IN("utf-8 surrogate", "{\"id\":\"\xED\xA0\x80\"}\n" B1),
    IN("above U+10FFFF", "{\"id\":\"\xF4\x90\x80\x80\"}\n" B1),
    IN("invalid byte", "{\"id\":\"\xFF\"}\n" B1),
    IN("truncated utf-8", "{\"id\":\"\xE2\x82\"}\n" B1),
    IN("utf-8 outside strings", "\xC3\xA9" B1 "\n" B1),
    IN("valid utf-8",
       "{\"id\":\"\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\",\"name\":\"x\","
       "\"status\":\"failed\",\"createdAt\":\"2021-01-20T11:19:53Z\","
       "\"config\":{\"size\":\"1\"}}"),
    INB("nul escape and raw nul",
        "{\"id\":\"a\\u0000b\",\"name\":\"x\",\"status\":\"failed\","
        "\"createdAt\":\"2021-01-20T11:19:53Z\",\"config\":{\"size\":\"1\"}}\n"
        "{\"id\":\"a\0b\"}\n" B1),
    IN("bom", "\xEF\xBB\xBF" B1 "\n" B1),
    IN("half bom", "\xEF\xBB" B1 "\n" B1),
    IN("bom later", B1 "\n\xEF\xBB\xBF" B1),
    IN("bom only", "\xEF\xBB\xBF"),
    /* validation errors and positions on later lines */
    IN("errors everywhere",
       "{\"data\":{\"id\":5,\"name\":\"x\",\"status\":\"ok\",\"createdAt\":"
       "\"2021-02-29T00:00:00Z\",\"config\":{\"size\":\"12kB\",\"x\":1},"
       "\"lastRestore\":{\"status\":\"done\"},\"y\":[1,{\"z\":2}]},"
       "\"pagination\":{}}\n"
       "[" B1 ",{\"id\":\"a\",\"id\":\"b\"},7,[]]\n"
       "{\"error\":{\"status\":404,\"message\":\"gone\"}}\n"
       "{\"backups\":[{\"x\":1,\"id\":\"a\"}]}\n"),
    IN("pretty with errors", "{\n  \"data\": {\n    \"id\": \"a\",\n"
                             "    \"status\": \"done\",\n"
                             "    \"createdAt\": \"2021-01-20T11:19:53Z\",\n"
                             "    \"config\": {\n      \"size\": 12\n    }\n"
                             "  }\n}\n" B1),
    IN("lints", "{\"id\":\"a\",\"name\":\"b\",\"status\":\"completed\","
                "\"createdAt\":\"2021-01-20T11:19:53Z\",\"config\":{\"size\":"
                "\"1\"},\"lastRestore\":{\"restoreTimestamp\":"
                "\"2021-01-20T11:19:53Z\",\"status\":\"scheduled\","
                "\"completedAt\":\"2021-01-20T11:19:52Z\"}}"),
    IN("crlf", B1 "\r\n{\"id\":5}\r\n" B1 "\r\n"),
    /* indented text: read whole, yajl is given a copy without the spaces
     * after each newline (json_source.c, "white space"); in chunks of up
     * to 31 bytes it is given the text itself. Damage on every kind of
     * line, positions after runs of spaces, runs longer than 16. */
    IN("indented, newline inside a string",
       "{\n  \"data\": {\n    \"id\": \"ab\n    cd\",\n    \"name\": \"x\"\n"
       "  }\n}\n" B1),
    IN("indented, bare word", "{\n  \"data\": {\n    x\n  }\n}\n" B1),
    IN("indented, missing comma",
       "{\n  \"data\": {\n    \"id\": \"a\"\n    \"name\": \"b\"\n  }\n}\n" B1),
    IN("indented, number at line end",
       "{\n  \"data\": {\n    \"id\": 12\n    , \"name\": 3\n  }\n}\n" B1),
    IN("indented, deep runs",
       "{\n                    \"data\": {\n"
       "                                     \"id\": \"a\",\n"
       "                                 \"name\": 5,\n"
       "                                          \"x\": [1,\n"
       "                                                 2]\n"
       "   }\n}\n" B1),
    IN("indented, tabs and crlf",
       "{\r\n  \"data\": {\r\n\t\"id\": \"a\",\r\n      \"name\": \"b\",\r\n"
       " \t \"status\": \"failed\"\r\n  }\r\n}\r\n" B1),
    IN("indented, escapes",
       "{\n  \"data\": {\n    \"id\": \"a\\qb\",\n    \"name\": \"\\uD800\",\n"
       "    \"status\": \"\\u00e9\\uD83D\\uDE00\"\n  }\n}\n" B1),
    IN("indented, long token",
       "{\n  \"data\": {\n    \"id\": \"abcdefghijklmnopqrstuvwxyz0123456789"
       "abcdefghij\",\n    \"name\": \"x\"\n  }\n}\n" B1),
    IN("indented, cut short then the next",
       "{\n  \"data\": {\n    \"id\": \"a\",\n    \"name\": {\n  \"data\": {\n"
       "    \"id\": \"b\",\n    \"name\": \"c\"\n  }\n}\n" B1),
    IN("indented, form feed",
       "{\n  \"data\": {\n    \f\"id\": \"a\"\n  }\n}\n" B1),
    IN("indented, blank lines",
       "{\n    \n  \"data\": {\n        \n    \"id\": \"a\"\n      \n  }\n}\n"
       "  \n  \n" B1),
    IN("indented list page",
       "{\n  \"data\": {\n    \"backups\": [\n      " B1 ",\n      {\n"
       "        \"id\": 7\n      },\n      " B1 "\n    ]\n  },\n"
       "  \"pagination\": {\n    \"hasNextPage\": false\n  }\n}\n"),
    IN("indented after a head",
       "HTTP/1.1 200 OK\r\n\r\n{\n  \"data\": {\n    \"id\": \"a\",\n"
       "    \"name\": 1\n  }\n}\n"),
    IN("indented, garbage lines between",
       "{\n  \"data\": " B1 "\n}\n  oops\n    }\n  {\n  \"data\": " B1 "\n}\n"),

    /* limits: deep nesting, long strings and tokens, big records */
    IN("deep", "{\"id\":\"a\",\"n\":[[[[[[[[[[1]]]]]]]]]]}\n" B1),
    IN("long string", "{\"id\":\"abcdefghijklmnopqrstuvwxyz0123456789\"}\n" B1),
    IN("long skipped string",
       "{\"data\":" B1 ",\"request\":\"abcdefghijklmnopqrstuvwxyz0123456789\"}"
       "\n" B1),
    IN("long number", "{\"id\":12345678901234567890123456789012345678}\n" B1),
    IN("long key", "{\"abcdefghijklmnopqrstuvwxyz0123456789\":1}\n" B1),
    /* more lone surrogates in one line than fit in any fixed queue: each
     * string is reported once, however the line is split */
    IN("seventy lone surrogates",
       "{\"data\":{\"backups\":[]},\"request\":["
       "\"\\uD800\",\"\\uD800\",\"\\uD800\",\"\\uD800\",\"\\uD800\","
       "\"\\uD800\",\"\\uD800\",\"\\uD800\",\"\\uD800\",\"\\uD800\","
       "\"\\uD800\\uD800\\uD800\\uD800\\uD800\\uD800\\uD800\\uD800\\uD800\\uD80"
       "0"
       "\\uD800\\uD800\\uD800\\uD800\\uD800\\uD800\\uD800\\uD800\\uD800\\uD800"
       "\\uD800\\uD800\\uD800\\uD800\\uD800\\uD800\\uD800\\uD800\\uD800\\uD800"
       "\\uD800\\uD800\\uD800\\uD800\\uD800\\uD800\\uD800\\uD800\\uD800\\uD800"
       "\\uD800\\uD800\\uD800\\uD800\\uD800\\uD800\\uD800\\uD800\\uD800\\uD800"
       "\\uD800\\uD800\\uD800\\uD800\\uD800\\uD800\\uD800\\uD800\\uD800\\uD800"
       "\""
       "]}\n" B1),
    IN("many diagnostics",
       "{\"a\":1,\"b\":2,\"c\":3,\"d\":4,\"e\":5,\"f\":6}\n" B1),
    /* encodings: UTF-16 and UTF-32 units and marks split anywhere */
    INB("utf-16le lone low, pair, odd end",
        "\xFF\xFE{\0\n\0\x00\xDC\x3D\xD8\x00\xDE\n\0{\0}\0\n\0\x41"),
    INB("utf-16be high then high", "\xFE\xFF\0[\xD8\x00\xD8\x01\xDC\x00\0]"),
    INB("utf-16le high at end", "\xFF\xFE{\0}\0\x3D\xD8"),
    INB("utf-32le no code point",
        "\xFF\xFE\0\0{\0\0\0\0\0\x11\0}\0\0\0\x00\xD8\0\0\n\0\0"),
    INB("utf-32be cut unit", "\0\0\xFE\xFF\0\0\0[\0\0\0]\0\0"),
    INB("utf-16 marks only", "\xFF\xFE"),
    INB("utf-16le no mark", "{\0\n\0}\0"),
    INB("utf-32be no mark", "\0\0\0{\0\0\0}"),
    INB("nul start", "\0\0\0\0" B1),
    INB("two nuls", "\0\0"),
    /* wrappers between documents */
    IN("http heads split",
       "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\na: b\r\n\r\n" B1
       "HTTP/2 404\nx: y\n\n{\"error\":{\"status\":404,\"message\":\"m\"}}"
       "\nHTTP/2 500\n\n" B1 "\nHTTP/2 503\n\n<html>\nHTTP/2 401\n\n"),
    IN("not heads", "HTTP\nHTTP/\nHTTP/x\nHello\n" B1 "H\n" B1 "HT"),
    IN("head without blank line", "HTTP/1.1 200 OK\r\na: b\r\n" B1 "\n" B1),
    IN("head, a CR before the body",
       "HTTP/1.1 200 OK\r\na: b\r\n\r" B1 "\n" B1),
    IN("head, CRs before the body", "HTTP/2 200\na: b\n\r\r\r[" B1 "]\n" B1),
    IN("head at end", B1 "HTTP/1.1 404 Not Found\r\nx: y"),
    IN("head in a document", "{\"data\":\nHTTP/1.1 200 OK\n\n" B1),
    IN("record separators", "\x1E" B1 "\n\x1E  \x1E" B1 "\x1E" B1 "\n{\x1E}"),
    IN("record separator in a string", "\"ab\x1E"
                                       "cd\"\n" B1),
    IN("verbose line", "VERBOSE: Using endpoint -> GET:/v1/x\n" B1 "\n" B1),
    IN("key lines then json", "Warning: a\nNote: b\n\n[" B1 "]"),
    IN("key line then yaml", "Warning: a\nfoo: [\n"),
};

static void inline_inputs(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
        size_t len = inputs[i].len ? inputs[i].len : strlen(inputs[i].data);
        check_all_configs(inputs[i].name, inputs[i].data, len);
    }
}

/* A large record (bigger than the small-limits arena) and long lines. */
static void big_inputs(void **state)
{
    (void)state;
    size_t n = 5000;
    char *name = malloc(n + 3);
    assert_non_null(name);
    name[0] = '"';
    for (size_t i = 1; i <= n; i++)
        name[i] = (char)('a' + i % 26);
    name[n + 1] = '"';
    name[n + 2] = 0;
    char *big = h_subst(B1, "\"Example Backup\"", name);
    size_t len = strlen(big);
    char *in = malloc(3 * len + 3);
    assert_non_null(in);
    sprintf(in, "%s\n%s\n%s", big, B1, big);
    check_all_configs("big", in, strlen(in));
    free(in);
    free(big);
    free(name);
}

static void summary(void **state)
{
    (void)state;
    printf("%zu chunked runs compared with whole-buffer runs; %zu inputs "
           "differ\n",
           runs, failures);
    assert_true(runs > 0);
    assert_int_equal(failures, 0);
}

int main(void)
{
    init_configs();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(forms_fixtures),  cmocka_unit_test(wrapper_fixtures),
        cmocka_unit_test(cli_case_inputs), cmocka_unit_test(inline_inputs),
        cmocka_unit_test(big_inputs),      cmocka_unit_test(summary),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
