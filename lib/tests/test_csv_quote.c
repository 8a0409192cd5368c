/* The csv and tsv writers quote a field that needs it byte for byte as
 * libcsv's csv_write2 does (RFC 4180: the field in quotes, each quote in
 * it doubled), with the formula guard's ' inside the quotes. The fields
 * are every length from 0 to 80 and some longer than the writer's
 * straight path and than its output block, with quotes, delimiters, CR
 * and LF at every place, alone and in runs, next to bytes of every kind. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <csv.h>

#include <nfbackup/nfbackup.h>

#include "collect.h"

/* The cell of value s in the column name, as the writer writes it. */
static void writer_cell(const char *format, unsigned flags, const char *s,
                        size_t len, out *o)
{
    nfb_writer_options opts = {.size = sizeof opts};
    opts.write = collect;
    opts.ctx = o;
    opts.flags = flags | NFB_WRITE_NO_HEADER;
    opts.columns = "name";
    nfb_writer *w = nfb_writer_new(format, &opts, NULL);
    assert_non_null(w);
    nfb_backup b = {0};
    b.id = (nfb_str){"x", 1};
    b.name = (nfb_str){s, len};
    b.created_at = (nfb_time){{"2021-01-20T11:19:53Z", 20}, 1611141593, 0, 0};
    b.config.size_text = (nfb_str){"1", 1};
    b.config.size = 1;
    assert_int_equal(nfb_writer_record(w, &b), NFB_OK);
    assert_int_equal(nfb_writer_end(w), NFB_OK);
    nfb_writer_free(w);
}

/* The same cell made with csv_write2 (the guard's ' put in when guard). */
static size_t libcsv_cell(const char *s, size_t len, unsigned char delim,
                          int guard, unsigned char *buf, size_t cap)
{
    static const char guarded[] = "=+-@\t\r\n'";
    int g = guard && len && memchr(guarded, s[0], sizeof guarded);
    int quote = memchr(s, delim, len) || memchr(s, '"', len) ||
                memchr(s, '\r', len) || memchr(s, '\n', len);
    if (!quote) {
        size_t n = 0;
        if (g) buf[n++] = '\'';
        memcpy(buf + n, s, len);
        return n + len;
    }
    size_t n = csv_write2(buf + 1, cap - 1, s, len, '"');
    assert_true(n < cap);
    if (!g) {
        memmove(buf, buf + 1, n);
        return n;
    }
    buf[0] = '"';
    buf[1] = '\'';
    return n + 1;
}

static void check(const char *s, size_t len)
{
    static const struct {
        const char *format;
        unsigned char delim;
        unsigned flags;
    } ways[] = {{"csv", ',', 0},
                {"tsv", '\t', 0},
                {"csv", ',', NFB_WRITE_NO_FORMULA_GUARD}};
    size_t cap = 2 * len + 8;
    unsigned char *want = malloc(cap);
    assert_non_null(want);
    for (size_t k = 0; k < sizeof ways / sizeof ways[0]; k++) {
        out o = {0};
        writer_cell(ways[k].format, ways[k].flags, s, len, &o);
        size_t n = libcsv_cell(s, len, ways[k].delim,
                               !(ways[k].flags & NFB_WRITE_NO_FORMULA_GUARD),
                               want, cap);
        /* the cell and the line end */
        if (o.n != n + 1 || memcmp(o.p, want, n) != 0 || o.p[n] != '\n') {
            fprintf(stderr,
                    "%s, a field of %zu bytes: %zu bytes written, %zu "
                    "expected\n",
                    ways[k].format, len, o.n, n + 1);
            fail();
        }
        free(o.p);
    }
    free(want);
}

/* Fields of every length up to 80 with one special byte at every place,
 * in plain text or in text of quotes. */
static void every_place(void **state)
{
    (void)state;
    static const char specials[] = {'"', ',', '\t', '\r', '\n', '='};
    char s[80];
    for (size_t len = 0; len <= sizeof s; len++)
        for (size_t at = 0; at < len; at++)
            for (size_t k = 0; k < sizeof specials; k++) {
                memset(s, 'a', len);
                s[at] = specials[k];
                check(s, len);
                memset(s, '"', len);
                s[at] = 'b';
                check(s, len);
            }
}

/* Quotes in runs and at a varying stride, among bytes of every value
 * above 0x1f (the writer refuses no byte of ASCII). */
static void runs_and_strides(void **state)
{
    (void)state;
    char s[97];
    for (size_t stride = 1; stride < 20; stride++)
        for (size_t len = 15; len <= sizeof s; len += 41) {
            for (size_t i = 0; i < len; i++)
                s[i] = (char)(0x20 + (i * 7 + stride) % 0x5f);
            for (size_t i = stride - 1; i < len; i += stride)
                s[i] = '"';
            check(s, len);
        }
}

/* Fields longer than the writer writes straight into its row (4 KiB) and
 * than its output block (64 KiB). */
static void long_fields(void **state)
{
    (void)state;
    static const size_t lens[] = {4095, 4096, 4097, 9000, 70000};
    for (size_t k = 0; k < sizeof lens / sizeof lens[0]; k++) {
        size_t len = lens[k];
        char *s = malloc(len);
        assert_non_null(s);
        for (size_t i = 0; i < len; i++)
            s[i] = i % 13 == 5 ? '"' : (char)('a' + i % 26);
        check(s, len);
        s[0] = '-';
        check(s, len);
        free(s);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_place),
        cmocka_unit_test(runs_and_strides),
        cmocka_unit_test(long_fields),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
