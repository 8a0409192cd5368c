/* Long tokens in the JSON front end (json_source.c, "long tokens"):
 * - a 20 MB string with max_string 32 MiB is read with work proportional
 *   to its length: the bytes yajl lexes again (the kept part of a cut
 *   token, at each yajl_parse call) add up to at most 2n plus a segment,
 *   and the yajl_parse calls to a few dozen, fed whole and in chunks of
 *   every size from 1 byte to 1 MiB; the record comes out whole;
 * - long strings, keys and numbers with escapes, lone surrogates, bad
 *   escapes, control bytes, limits, ends of line and of input inside them,
 *   and a long string where a ',' was due, give the same records and
 *   diagnostics whole, byte by byte and in other splits;
 * - a held token that cannot be allocated ends reading with NFB_ENOMEM. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <setjmp.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "read/decode.h"
#include "read/json_source.h"

/* ---- the front end alone, to count its work ---------------------------- */

typedef struct count {
    size_t records, errors;
    size_t id_len;
    int id_ok; /* the id is the expected text */
    const char *want_id;
    size_t want_len;
} count;

static int count_record(void *ctx, const nfb_backup *b)
{
    count *c = ctx;
    c->records++;
    c->id_len = b->id.len;
    c->id_ok = b->id.len == c->want_len &&
               memcmp(b->id.ptr, c->want_id, c->want_len) == 0;
    return 0;
}

static int count_diag(void *ctx, const nfb_diag *d)
{
    count *c = ctx;
    if (d->severity == NFB_ERROR) c->errors++;
    print_message("%llu:%llu: %s\n", (unsigned long long)d->line,
                  (unsigned long long)d->column, d->message);
    return 0;
}

typedef struct work {
    uint64_t parse_calls, reread;
} work;

/* Runs the JSON front end and the decoder, as the reader does, over
 * data fed in chunks of chunk bytes (0: whole). */
static work run_front(const char *data, size_t len, size_t chunk,
                      size_t max_string, size_t max_record, count *c)
{
    nfb_allocator a;
    assert_int_equal(nfb__allocator_init(&a, NULL), 0);
    nfb_reader_config cfg;
    nfb_reader_config_init(&cfg);
    cfg.max_string = max_string;
    cfg.max_record = max_record;
    cfg.on_record = count_record;
    cfg.on_diag = count_diag;
    cfg.ctx = c;
    nfb__diags dg;
    memset(&dg, 0, sizeof dg);
    dg.on_diag = count_diag;
    dg.ctx = c;
    dg.max_diags = 100;
    dg.name = "long.json";
    nfb__dec dec;
    nfb__json j;
    assert_int_equal(nfb__dec_init(&dec, &a, &dg, &cfg), 0);
    assert_int_equal(nfb__json_init(&j, &a, &dec, &dg, max_string), 0);
    assert_int_equal(nfb__json_begin(&j), NFB_OK);
    const unsigned char *p = (const unsigned char *)data;
    size_t left = len;
    while (left) {
        size_t n = chunk && chunk < left ? chunk : left;
        assert_int_equal(nfb__json_feed(&j, p, n), NFB_OK);
        p += n, left -= n;
    }
    assert_int_equal(nfb__json_finish(&j), NFB_OK);
    work w = {j.parse_calls, j.reread};
    nfb__json_free(&j, &a);
    nfb__dec_free(&dec);
    return w;
}

/* B1 with its id replaced by id. Caller frees. */
static char *with_id(const char *id)
{
    return h_subst(B1, "\"example-backup\"", id);
}

static char *repeat(const char *unit, size_t times, const char *pre,
                    const char *post)
{
    size_t u = strlen(unit), a = strlen(pre), b = strlen(post);
    char *s = malloc(a + u * times + b + 1);
    assert_non_null(s);
    memcpy(s, pre, a);
    for (size_t i = 0; i < times; i++)
        memcpy(s + a + i * u, unit, u);
    memcpy(s + a + u * times, post, b + 1);
    return s;
}

/* A string of n bytes as the id of B1, fed in each of the chunk sizes. */
static void linear_string(size_t n, const size_t *chunks, size_t nchunks)
{
    char *id = repeat("a", n, "\"", "\"");
    char *doc = with_id(id);
    size_t len = strlen(doc);
    for (size_t k = 0; k < nchunks; k++) {
        count c = {0, 0, 0, 0, id + 1, n};
        work w = run_front(doc, len, chunks[k], 32u << 20, 64u << 20, &c);
        print_message("chunk %zu: %llu yajl_parse calls, %llu bytes lexed "
                      "again\n",
                      chunks[k], (unsigned long long)w.parse_calls,
                      (unsigned long long)w.reread);
        assert_int_equal(c.errors, 0);
        assert_int_equal(c.records, 1);
        assert_int_equal(c.id_len, n);
        assert_true(c.id_ok);
        /* Fed in segments of SEG_MAX, yajl would lex n^2 / (2 SEG_MAX),
         * about 1.2e10 bytes, again, in n / SEG_MAX = 1221 calls. The
         * bytes around the token are few: fed byte by byte they take a
         * call each. */
        assert_true(w.reread <= 2 * (uint64_t)n + 2 * NFB__SEG_MAX);
        size_t around =
            chunks[k] && chunks[k] < 64 ? len - n + NFB__GATHER_MIN : 0;
        assert_true(w.parse_calls <= 40 + around);
    }
    free(doc);
    free(id);
}

static void twenty_mb_string(void **state)
{
    (void)state;
    const size_t chunks[] = {0, 1000, 16383, 16385, 65536, 1u << 20};
    linear_string(20u * 1000 * 1000, chunks, sizeof chunks / sizeof *chunks);
    /* Byte by byte and in small chunks, 2 MB (20 MB would take seconds
     * of calls alone). */
    const size_t small[] = {1, 7, 63};
    linear_string(2u * 1000 * 1000, small, sizeof small / sizeof *small);
}

/* The same with escapes all along (decoded by yajl), and a 20 MB number
 * (an unknown field's value, so that the decoder only reads it): a
 * number held to its last digit is lexed once more with the byte that ends
 * it, so its bound is 3n. */
static void twenty_mb_escapes_and_number(void **state)
{
    (void)state;
    const size_t n = 20u * 1000 * 1000;
    char *id = repeat("ab\\n\\\"\\u00e9", n / 14, "\"", "\"");
    size_t id_len = strlen(id);
    char *doc = with_id(id);
    char *want = repeat("ab\n\"\xc3\xa9", n / 14, "", "");
    const size_t chunks[] = {0, 3, 65536};
    for (size_t k = 0; k < sizeof chunks / sizeof *chunks; k++) {
        count c = {0, 0, 0, 0, want, strlen(want)};
        work w =
            run_front(doc, strlen(doc), chunks[k], 32u << 20, 64u << 20, &c);
        assert_int_equal(c.records, 1);
        assert_true(c.id_ok);
        assert_true(w.reread <= 2 * (uint64_t)id_len + 2 * NFB__SEG_MAX);
    }
    free(doc);

    char *num = repeat("7", n, "{\"data\":", ",\"extra\":1}");
    char *big = h_subst(num, "{\"data\":", "{\"x\":");
    char *d2 = h_subst(big, ",\"extra\":1}", ",\"data\":" B1 "}");
    for (size_t k = 0; k < sizeof chunks / sizeof *chunks; k++) {
        count c = {0, 0, 0, 0, "example-backup", 14};
        work w = run_front(d2, strlen(d2), chunks[k], 32u << 20, 64u << 20, &c);
        assert_int_equal(c.records, 1);
        assert_true(c.id_ok);
        /* A number held to its last digit is lexed once more with the
         * byte that ends it. */
        assert_true(w.reread <= 3 * (uint64_t)n + 2 * NFB__SEG_MAX);
    }
    free(d2);
    free(big);
    free(num);
    free(want);
    free(id);
}

/* ---- chunk independence ------------------------------------------------ */

typedef struct fixed_split {
    size_t size;
} fixed_split;

static size_t split_fixed(void *st, size_t left)
{
    size_t n = ((fixed_split *)st)->size;
    return n < left ? n : left;
}

/* xorshift64*, a fixed sequence: chunk sizes 1..max. */
typedef struct random_split {
    uint64_t s;
    size_t max;
} random_split;

static size_t split_random(void *st, size_t left)
{
    random_split *r = st;
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    size_t n = 1 + (size_t)((r->s * UINT64_C(2685821657736338717)) % r->max);
    return n < left ? n : left;
}

/* data gives the same records and diagnostics in every split as whole;
 * returns the whole run's results (caller frees). */
static void same_in_splits(hres *whole, const nfb_reader_config *cfg,
                           const char *data, size_t len)
{
    memset(whole, 0, sizeof *whole);
    h_run(whole, cfg, "long.json", data, len, NULL, NULL);
    char *recs = h_rec_text(whole), *diags = h_diag_text(whole);
    const size_t sizes[] = {1, 2, 5, 63, 64, 65, 4096, 16383, 16384, 16385};
    for (size_t k = 0; k < sizeof sizes / sizeof *sizes + 3; k++) {
        fixed_split fs = {k < 10 ? sizes[k] : 0};
        random_split rs = {UINT64_C(0x9e3779b97f4a7c15) + k, k == 10   ? 16
                                                             : k == 11 ? 5000
                                                                       : 70000};
        hres h = {0};
        if (k < 10)
            h_run(&h, cfg, "long.json", data, len, split_fixed, &fs);
        else
            h_run(&h, cfg, "long.json", data, len, split_random, &rs);
        char *r2 = h_rec_text(&h), *d2 = h_diag_text(&h);
        if (strcmp(recs, r2) != 0 || strcmp(diags, d2) != 0) {
            print_message("split %zu differs\nwhole:\n%s\nsplit:\n%s\n", k,
                          diags, d2);
            fail();
        }
        free(r2);
        free(d2);
        hres_free(&h);
    }
    free(recs);
    free(diags);
}

/* Long tokens of every kind, each inside a stream of good documents, with
 * max_string 200000 (a token of 250000 bytes is over it). */
static void long_tokens_in_splits(void **state)
{
    (void)state;
    enum { N = 120000 };
    char *plain = repeat("x", N, "", "");
    char *esc = repeat("a\\\\b\\\"c\\u00e9\\/", N / 14, "", "");
    char *digits = repeat("1", N, "", "");
    char *over = repeat("y", 250000, "", "");
    struct {
        const char *name, *pre, *mid, *post;
    } cases[] = {
        {"plain id", "{\"data\":{\"id\":\"", plain, "\"}}"},
        {"escapes", "{\"data\":{\"id\":\"", esc, "\"}}"},
        {"lone surrogates", "{\"data\":{\"id\":\"\\udc00", esc,
         "\\ud800x\\udc01\"}}"},
        {"bad escape", "{\"data\":{\"id\":\"", plain, "\\x\"}}"},
        {"bad hex", "{\"data\":{\"id\":\"", esc, "\\u12g4\"}}"},
        {"control byte", "{\"data\":{\"id\":\"", plain, "\x01\"}}"},
        {"form feed", "{\"data\":{\"id\":\"", plain, "\x0c\"}}"},
        {"end of line", "{\"data\":{\"id\":\"", plain, "\n"},
        {"end of input", "{\"data\":{\"id\":\"", plain, ""},
        {"end of input after backslash", "{\"data\":{\"id\":\"", plain, "\\"},
        {"over the limit", "{\"data\":{\"id\":\"", over, "\"}}"},
        {"over the limit, cut", "{\"data\":{\"id\":\"", over, "\n"},
        {"long key", "{\"data\":{\"", plain, "\":1}}"},
        {"long key of a watched object", "{\"data\":{\"config\":{\"", plain,
         "\":1}}}"},
        {"long number", "{\"data\":{\"x\":", digits, ",\"id\":\"a\"}}"},
        {"long fraction", "{\"data\":{\"x\":0.", digits, "e5}}"},
        {"long exponent", "{\"data\":{\"x\":-1E+", digits, "}}"},
        {"number and garbage", "{\"data\":{\"x\":1", digits, "x}}"},
        {"number over the limit", "{\"data\":{\"x\":1", over, "}}"},
        {"number at the end", "", digits, ""},
        {"string document", "\"", plain, "\""},
        {"string where a ',' was due", "{\"data\":{\"id\":\"a\" \"", plain,
         "\"}}"},
        {"short string where a ',' was due",
         "{\"data\":{\"id\":\"a\" \"[1,2] [3]\\\"\\\\\" {\"id\":", "\"b\"",
         "}}"},
        {"a document inside a misplaced string", "{\"data\":{\"id\":\"a\" \"",
         plain,
         "{\\\"data\\\":1} [1111111111111111111111111111111111111111"
         "1111111111111111111111111111111111111111111111111111\"}}"},
        {"digits inside a misplaced string", "{\"data\":{\"id\":\"a\" \"[",
         digits, "\"}}"},
    };
    nfb_reader_config cfg;
    nfb_reader_config_init(&cfg);
    cfg.max_string = 200000;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        print_message("%s\n", cases[i].name);
        size_t a = strlen(cases[i].pre), b = strlen(cases[i].mid),
               c = strlen(cases[i].post);
        size_t l1 = strlen(B1);
        /* good, the case, a newline, good */
        size_t len = l1 + 1 + a + b + c + 1 + l1;
        char *data = malloc(len + 1);
        assert_non_null(data);
        snprintf(data, len + 1, "%s\n%s%s%s\n%s", B1, cases[i].pre,
                 cases[i].mid, cases[i].post, B1);
        hres whole;
        same_in_splits(&whole, &cfg, data, len);
        /* The good documents come out, and the case is reported unless it
         * is good. */
        assert_true(whole.nrec >= 2);
        assert_string_equal(whole.rec[0], whole.rec[whole.nrec - 1]);
        hres_free(&whole);
        free(data);
    }
    free(over);
    free(digits);
    free(esc);
    free(plain);
}

/* What the cases above say, checked once whole. */
static void long_token_diagnostics(void **state)
{
    (void)state;
    char *plain = repeat("x", 120000, "", "");
    nfb_reader_config cfg;
    nfb_reader_config_init(&cfg);
    cfg.max_string = 100000;
    hres h = {0};
    char *doc = repeat("x", 150000, "{\"data\":{\"id\":\"", "\"}}\n" B1);
    h_run(&h, &cfg, "t.json", doc, strlen(doc), NULL, NULL);
    const hdiag *d = h_find(&h, NFB_CODE_LIMIT);
    assert_non_null(d);
    assert_int_equal(d->column, 15); /* the string's quote */
    assert_int_equal(h.nrec, 1);
    hres_free(&h);

    cfg.max_string = 200000;
    char *id = repeat("x", 120000, "\"\\ud800", "\\udc00\"");
    free(doc);
    doc = with_id(id);
    free(id);
    memset(&h, 0, sizeof h);
    h_run(&h, &cfg, "t.json", doc, strlen(doc), NULL, NULL);
    assert_int_equal(h.nrec, 0);
    assert_int_equal(h_count(&h, NFB_ERROR), 1);
    assert_non_null(strstr(h.diag[0].message, "lone surrogate"));
    assert_int_equal(h.diag[0].column, 8); /* the first lone surrogate */
    hres_free(&h);
    free(doc);
    free(plain);
}

/* ---- memory ------------------------------------------------------------ */

static void *small_malloc(void *ctx, size_t n)
{
    (void)ctx;
    return n > (8u << 20) ? NULL : malloc(n);
}
static void *small_realloc(void *ctx, void *p, size_t n)
{
    (void)ctx;
    return n > (8u << 20) ? NULL : realloc(p, n);
}
static void small_free(void *ctx, void *p)
{
    (void)ctx;
    free(p);
}

/* A token the user's allocator cannot hold: NFB_ENOMEM, not a crash. */
static void held_token_out_of_memory(void **state)
{
    (void)state;
    nfb_allocator al = {small_malloc, small_realloc, small_free, NULL};
    nfb_reader_config cfg;
    nfb_reader_config_init(&cfg);
    cfg.allocator = &al;
    cfg.max_string = 64u << 20;
    char *doc = repeat("z", 40u << 20, "{\"data\":{\"id\":\"", "\"}}");
    hres h = {0};
    fixed_split fs = {1u << 16};
    h_run(&h, &cfg, "t.json", doc, strlen(doc), split_fixed, &fs);
    assert_int_equal(h.feed_res, NFB_ENOMEM);
    assert_int_equal(h.nrec, 0);
    hres_free(&h);
    free(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(twenty_mb_string),
        cmocka_unit_test(twenty_mb_escapes_and_number),
        cmocka_unit_test(long_tokens_in_splits),
        cmocka_unit_test(long_token_diagnostics),
        cmocka_unit_test(held_token_out_of_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
