/* yajl_floor: the floor of any program built on yajl's callback API, which
 * bench/run times `nfbackup validate` against.
 *
 * It reads a stream of JSON values (NDJSON or concatenated) from stdin or
 * from the file named by its argument in 64 KiB chunks into yajl, configured
 * as nfbackup's JSON reader configures it (several top-level values, strings
 * not checked for UTF-8 by yajl). Every callback is set, numbers through the
 * yajl_number callback (the number's text, not a converted integer or
 * double), and each does only what every consumer has to: it notes where
 * the token ends in the input (yajl_get_bytes_consumed, the only way a
 * consumer learns where a token is) and counts the token. No schema, no
 * copies, no checks of its own.
 *
 * With --bare the callbacks only count: the difference to the default shows
 * what asking yajl for positions costs.
 *
 * Output: the number of tokens (scalars, keys, container starts and ends)
 * on stdout. Exit status: 0, 1 on invalid JSON or a read error (with yajl's
 * message on stderr), 2 on a usage error.
 */

#include <stdio.h>
#include <string.h>
#include <yajl/yajl_parse.h>

typedef struct {
    yajl_handle h;
    unsigned long long tokens;
    unsigned long long base; /* input bytes before the current chunk */
    unsigned long long end;  /* where the last token ended in the input */
} floor_ctx;

static int token(void *ctx)
{
    floor_ctx *c = ctx;
    c->end = c->base + yajl_get_bytes_consumed(c->h);
    c->tokens++;
    return 1;
}

static int on_null(void *ctx)
{
    return token(ctx);
}

static int on_boolean(void *ctx, int b)
{
    (void)b;
    return token(ctx);
}

static int on_text(void *ctx, const char *s, size_t n)
{
    (void)s;
    (void)n;
    return token(ctx);
}

static int on_string(void *ctx, const unsigned char *s, size_t n)
{
    (void)s;
    (void)n;
    return token(ctx);
}

static const yajl_callbacks with_positions = {
    .yajl_null = on_null,
    .yajl_boolean = on_boolean,
    .yajl_number = on_text,
    .yajl_string = on_string,
    .yajl_start_map = on_null,
    .yajl_map_key = on_string,
    .yajl_end_map = on_null,
    .yajl_start_array = on_null,
    .yajl_end_array = on_null,
};

/* --bare: the same callbacks without the position */

static int bare(void *ctx)
{
    ((floor_ctx *)ctx)->tokens++;
    return 1;
}

static int bare_boolean(void *ctx, int b)
{
    (void)b;
    return bare(ctx);
}

static int bare_text(void *ctx, const char *s, size_t n)
{
    (void)s;
    (void)n;
    return bare(ctx);
}

static int bare_string(void *ctx, const unsigned char *s, size_t n)
{
    (void)s;
    (void)n;
    return bare(ctx);
}

static const yajl_callbacks counting_only = {
    .yajl_null = bare,
    .yajl_boolean = bare_boolean,
    .yajl_number = bare_text,
    .yajl_string = bare_string,
    .yajl_start_map = bare,
    .yajl_map_key = bare_string,
    .yajl_end_map = bare,
    .yajl_start_array = bare,
    .yajl_end_array = bare,
};

int main(int argc, char **argv)
{
    int i = 1;
    const yajl_callbacks *cb = &with_positions;
    if (i < argc && strcmp(argv[i], "--bare") == 0) {
        cb = &counting_only;
        i++;
    }
    if (argc - i > 1) {
        fputs("usage: yajl_floor [--bare] [FILE]\n", stderr);
        return 2;
    }
    const char *name = i < argc ? argv[i] : "-";
    FILE *in = stdin;
    if (strcmp(name, "-") != 0) {
        in = fopen(name, "rb");
        if (!in) {
            perror(name);
            return 1;
        }
    }

    floor_ctx c = {0};
    c.h = yajl_alloc(cb, NULL, &c);
    if (!c.h) {
        fputs("yajl_floor: out of memory\n", stderr);
        return 1;
    }
    yajl_config(c.h, yajl_allow_multiple_values, 1);
    yajl_config(c.h, yajl_dont_validate_strings, 1);

    static unsigned char buf[1 << 16];
    size_t n;
    int failed = 0;
    yajl_status st = yajl_status_ok;
    while (st == yajl_status_ok && (n = fread(buf, 1, sizeof buf, in)) > 0) {
        st = yajl_parse(c.h, buf, n);
        c.base += n;
    }
    if (st == yajl_status_ok && ferror(in)) {
        perror(in == stdin ? "stdin" : name);
        failed = 1;
    }
    if (st == yajl_status_ok && !failed) st = yajl_complete_parse(c.h);
    if (st != yajl_status_ok) {
        unsigned char *msg = yajl_get_error(c.h, 0, NULL, 0);
        fprintf(stderr, "yajl_floor: %s", (const char *)msg);
        yajl_free_error(c.h, msg);
        failed = 1;
    }
    yajl_free(c.h);
    if (in != stdin) fclose(in);
    if (failed) return 1;
    printf("%llu\n", c.tokens);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        perror("yajl_floor: stdout");
        return 1;
    }
    return 0;
}
