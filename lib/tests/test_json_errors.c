/* The JSON front end reads yajl's English error messages in one place
 * (nfb__json_error_kind) to know where an error is. This pins each message
 * it relies on, with the yajl this is built with: a yajl that words them
 * differently fails here rather than misplacing diagnostics. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <yajl/yajl_parse.h>

#include "read/json_source.h"

/* yajl's error message for text, fed whole. */
static char *yajl_error_of(const char *text)
{
    yajl_handle h = yajl_alloc(NULL, NULL, NULL);
    assert_non_null(h);
    yajl_config(h, yajl_allow_multiple_values, 1);
    yajl_status st = yajl_parse(h, (const unsigned char *)text, strlen(text));
    if (st == yajl_status_ok) st = yajl_complete_parse(h);
    assert_int_equal(st, yajl_status_error);
    unsigned char *e = yajl_get_error(h, 0, NULL, 0);
    assert_non_null(e);
    char *copy = strdup((const char *)e);
    yajl_free_error(h, e);
    yajl_free(h);
    return copy;
}

static void kinds(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        nfb__yajl_error kind;
    } cases[] = {
        /* a value where a ',' or '}' was due */
        {"{\"a\":1 \"b\":2}", NFB__YAJL_AFTER_VALUE},
        {"{\"a\":\"x\" {", NFB__YAJL_AFTER_VALUE},
        /* bytes that start no token are consumed */
        {"x", NFB__YAJL_LEX_CONSUMED},
        {"{\"a\":tx}", NFB__YAJL_LEX},
        /* other lexical errors back up to the offending byte */
        {"\"a\tb\"", NFB__YAJL_LEX},
        {"\"\\q\"", NFB__YAJL_LEX},
        {"\"\\u12G4\"", NFB__YAJL_LEX},
        {"-x", NFB__YAJL_LEX},
        {"/* c */ 1", NFB__YAJL_LEX},
        /* parse errors */
        {"{\"a\" 1}", NFB__YAJL_PARSE},
        {"[1,]", NFB__YAJL_PARSE},
        {"}", NFB__YAJL_PARSE},
        {"{1:2}", NFB__YAJL_PARSE},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *e = yajl_error_of(cases[i].text);
        if (nfb__json_error_kind(e) != cases[i].kind)
            fail_msg("%s: yajl says \"%s\", read as kind %d, expected %d",
                     cases[i].text, e, (int)nfb__json_error_kind(e),
                     (int)cases[i].kind);
        free(e);
    }
    assert_int_equal(nfb__json_error_kind(NULL), NFB__YAJL_PARSE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(kinds)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
