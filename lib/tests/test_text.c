/* Unit tests of the public text functions (nfbackup/text.h): JSON strings
 * in both escape modes, through a write function in pieces, and the UTF-8
 * decoder. (nfb_datetime_parse is tested in test_check.c.) */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <setjmp.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nfbackup/text.h>

typedef struct collect {
    char buf[8192];
    size_t len;
    int calls;
    int fail_at; /* the call that fails, 0 for none */
} collect;

static int put(void *ctx, const void *data, size_t len)
{
    collect *c = ctx;
    if (++c->calls == c->fail_at) return -1;
    assert_true(len <= sizeof c->buf - c->len);
    memcpy(c->buf + c->len, data, len);
    c->len += len;
    c->buf[c->len] = 0;
    return 0;
}

static const char *json(const char *s, size_t len, nfb_json_escape mode)
{
    static collect c;
    memset(&c, 0, sizeof c);
    assert_int_equal(nfb_json_write_string(s, len, mode, put, &c), NFB_OK);
    return c.buf;
}

#define J(lit, mode) json(lit, sizeof lit - 1, mode)

/* The record mode writes what the json writer writes: yajl's escapes and
 * the three line ends escaped; other bytes, even outside UTF-8, as they
 * are. */
static void record_mode(void **state)
{
    (void)state;
    assert_string_equal(J("a\"b\\c/d", NFB_JSON_RECORD), "\"a\\\"b\\\\c/d\"");
    assert_string_equal(J("\b\f\n\r\t\x01\x1f\x7f", NFB_JSON_RECORD),
                        "\"\\b\\f\\n\\r\\t\\u0001\\u001F\x7f\"");
    assert_string_equal(
        J("n\xc2\x85l\xe2\x80\xa8p\xe2\x80\xa9", NFB_JSON_RECORD),
        "\"n\\u0085l\\u2028p\\u2029\"");
    assert_string_equal(J("\xc2\x9b\xff\xc3\xa9", NFB_JSON_RECORD),
                        "\"\xc2\x9b\xff\xc3\xa9\"");
    assert_string_equal(J("", NFB_JSON_RECORD), "\"\"");
}

/* The lines mode: also the C1 controls, and bytes outside UTF-8 as
 * \uDCXX, so that the output is UTF-8 and one line to any reader. */
static void lines_mode(void **state)
{
    (void)state;
    assert_string_equal(
        J("n\xc2\x85l\xe2\x80\xa8p\xe2\x80\xa9", NFB_JSON_LINES),
        "\"n\\u0085l\\u2028p\\u2029\"");
    assert_string_equal(J("\xc2\x80\xc2\x9b\xc2\xa0", NFB_JSON_LINES),
                        "\"\\u0080\\u009B\xc2\xa0\"");
    assert_string_equal(J("\xff\xc3(\xed\xa0\x80\xe2\x82\xac", NFB_JSON_LINES),
                        "\"\\uDCFF\\uDCC3(\\uDCED\\uDCA0\\uDC80\xe2\x82\xac\"");
    assert_string_equal(J("\n\"\x01", NFB_JSON_LINES), "\"\\n\\\"\\u0001\"");
}

/* A string longer than a piece is written in several calls, and no
 * character, a line end among them, is split between two pieces: the
 * result is the same wherever the character falls. */
static void long_strings(void **state)
{
    (void)state;
    static const char *const chars[] = {"\xc2\x85", "\xe2\x80\xa8",
                                        "\xf0\x9f\x98\x80", "\xc2\x9b"};
    for (int mode = 0; mode < 2; mode++)
        for (size_t k = 0; k < 4; k++)
            for (size_t at = 500; at < 520; at++) {
                char in[1100], want[1200];
                size_t n = strlen(chars[k]);
                memset(in, 'x', sizeof in);
                memcpy(in + at, chars[k], n);
                int escaped = k < 2 || (k == 3 && mode == NFB_JSON_LINES);
                const char *e = k == 0   ? "\\u0085"
                                : k == 1 ? "\\u2028"
                                         : "\\u009B";
                int w = snprintf(want, sizeof want, "\"%.*s%s%.*s\"", (int)at,
                                 in, escaped ? e : chars[k],
                                 (int)(sizeof in - at - n), in + at + n);
                assert_true(w > 0);
                assert_string_equal(json(in, sizeof in, (nfb_json_escape)mode),
                                    want);
            }
}

static void write_errors(void **state)
{
    (void)state;
    collect c = {.fail_at = 1};
    char in[2000];
    memset(in, 'a', sizeof in);
    assert_int_equal(
        nfb_json_write_string(in, sizeof in, NFB_JSON_RECORD, put, &c),
        NFB_EWRITE);
    assert_int_equal(c.calls, 1);
    c = (collect){.fail_at = 0};
    assert_int_equal(nfb_json_write_string(NULL, 1, NFB_JSON_RECORD, put, &c),
                     NFB_EINVAL);
    assert_int_equal(nfb_json_write_string("a", 1, NFB_JSON_RECORD, NULL, &c),
                     NFB_EINVAL);
    assert_int_equal(nfb_json_write_string("a", 1, (nfb_json_escape)7, put, &c),
                     NFB_EINVAL);
    assert_int_equal(nfb_json_write_string(NULL, 0, NFB_JSON_LINES, put, &c),
                     NFB_OK);
    assert_string_equal(c.buf, "\"\"");
}

static void utf8_char(void **state)
{
    (void)state;
    uint32_t cp = 0;
    assert_int_equal(nfb_utf8_char("A", 1, &cp), 1);
    assert_int_equal(cp, 'A');
    assert_int_equal(nfb_utf8_char("\xc3\xa9", 2, &cp), 2);
    assert_int_equal(cp, 0xe9);
    assert_int_equal(nfb_utf8_char("\xe2\x80\xa8", 3, &cp), 3);
    assert_int_equal(cp, 0x2028);
    assert_int_equal(nfb_utf8_char("\xf4\x8f\xbf\xbf", 4, &cp), 4);
    assert_int_equal(cp, 0x10ffff);
    assert_int_equal(nfb_utf8_char("\xf4\x90\x80\x80", 4, &cp), 0); /* >max */
    assert_int_equal(nfb_utf8_char("\xed\xa0\x80", 3, &cp), 0); /* surrogate */
    assert_int_equal(nfb_utf8_char("\xc0\xaf", 2, &cp), 0);     /* overlong */
    assert_int_equal(nfb_utf8_char("\xe2\x80", 2, &cp), 0);     /* cut short */
    assert_int_equal(nfb_utf8_char("\x80", 1, &cp), 0);
    assert_int_equal(nfb_utf8_char("A", 0, &cp), 0);
    assert_int_equal(nfb_utf8_char("\xc3\xa9", 2, NULL), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(record_mode),  cmocka_unit_test(lines_mode),
        cmocka_unit_test(long_strings), cmocka_unit_test(write_errors),
        cmocka_unit_test(utf8_char),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
