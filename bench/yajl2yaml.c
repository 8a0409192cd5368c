/* yajl2yaml: the bare JSON-to-YAML converter that bench/run times
 * `nfbackup convert --to yaml` against.
 *
 * It reads a stream of JSON values (NDJSON or concatenated) from stdin or
 * from the file named by its one argument with yajl's callback parser, and
 * hands each callback straight to libyaml's emitter as one event: no schema,
 * no checks, no record in between. Each top-level value becomes one block
 * style YAML document starting with "---", written with the settings
 * nfbackup's YAML writer uses (UTF-8 as is, no folding, indent 2). A
 * top-level object's "data" member is unwrapped (its value is the document
 * and the other members are skipped), so that for the API envelopes
 * bench/gen writes it emits about what nfbackup emits for the same records.
 *
 * It is a floor to compare with, not a converter to use: strings are
 * emitted in whatever style libyaml picks, so a string that looks like a
 * number (a size such as "1234") comes out plain and would be read back as
 * a number; nfbackup quotes those.
 *
 * Exit status: 0, or 1 on invalid JSON, an emitter error or a read or
 * write error (with a message on stderr).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_parse.h>
#include <yaml.h>

typedef struct {
    yaml_emitter_t em;
    int depth;    /* containers open in the JSON being read */
    int base;     /* depth at which the document's value starts: 0, or 1
                     inside an unwrapped envelope */
    int pending;  /* a top-level object is open, its first key not read */
    int skipping; /* after the unwrapped value: ignore the rest of the
                     envelope until it closes */
    int failed;
} conv;

static int emit(conv *c, yaml_event_t *ev)
{
    if (!yaml_emitter_emit(&c->em, ev)) {
        fprintf(stderr, "yajl2yaml: emitter: %s\n",
                c->em.problem ? c->em.problem : "failed");
        c->failed = 1;
        return 0;
    }
    return 1;
}

static int document_start(conv *c)
{
    yaml_event_t ev;
    yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 0);
    return emit(c, &ev);
}

static int mapping_start(conv *c)
{
    yaml_event_t ev;
    yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
                                        YAML_BLOCK_MAPPING_STYLE);
    return emit(c, &ev);
}

/* After a value: at the document's base it was the whole document. */
static int value_done(conv *c)
{
    if (c->depth != c->base) return 1;
    yaml_event_t ev;
    yaml_document_end_event_initialize(&ev, 1);
    if (c->base == 1) c->skipping = 1;
    return emit(c, &ev);
}

static int scalar(conv *c, const unsigned char *s, size_t n,
                  yaml_scalar_style_t style)
{
    if (c->skipping) return 1;
    if (c->depth == c->base && !document_start(c)) return 0;
    yaml_event_t ev;
    if (!yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s, (int)n,
                                      1, 1, style)) {
        c->failed = 1;
        return 0;
    }
    return emit(c, &ev) && value_done(c);
}

static int on_null(void *ctx)
{
    return scalar(ctx, (const unsigned char *)"null", 4,
                  YAML_PLAIN_SCALAR_STYLE);
}

static int on_boolean(void *ctx, int b)
{
    return scalar(ctx, (const unsigned char *)(b ? "true" : "false"), b ? 4 : 5,
                  YAML_PLAIN_SCALAR_STYLE);
}

static int on_number(void *ctx, const char *s, size_t n)
{
    return scalar(ctx, (const unsigned char *)s, n, YAML_PLAIN_SCALAR_STYLE);
}

static int on_string(void *ctx, const unsigned char *s, size_t n)
{
    return scalar(ctx, s, n, YAML_ANY_SCALAR_STYLE);
}

static int on_start_map(void *ctx)
{
    conv *c = ctx;
    if (c->skipping) {
        c->depth++;
        return 1;
    }
    if (c->depth == 0) { /* wait for the first key: is it "data"? */
        c->depth++;
        c->pending = 1;
        return 1;
    }
    if (c->depth == c->base && !document_start(c)) return 0;
    c->depth++;
    return mapping_start(c);
}

static int on_map_key(void *ctx, const unsigned char *s, size_t n)
{
    conv *c = ctx;
    if (c->skipping) return 1;
    if (c->pending) {
        c->pending = 0;
        if (n == 4 && memcmp(s, "data", 4) == 0) {
            c->base = 1; /* the envelope's value is the document */
            return 1;
        }
        c->base = 0;
        if (!document_start(c) || !mapping_start(c)) return 0;
    }
    yaml_event_t ev;
    if (!yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s, (int)n,
                                      1, 1, YAML_ANY_SCALAR_STYLE)) {
        c->failed = 1;
        return 0;
    }
    return emit(c, &ev);
}

static int on_end_map(void *ctx)
{
    conv *c = ctx;
    c->depth--;
    if (c->skipping) {
        if (c->depth == 0) /* the envelope is closed */
            c->skipping = c->base = 0;
        return 1;
    }
    if (c->pending) { /* an empty top-level object */
        c->pending = 0;
        c->base = 0;
        if (!document_start(c) || !mapping_start(c)) return 0;
    }
    yaml_event_t ev;
    yaml_mapping_end_event_initialize(&ev);
    return emit(c, &ev) && value_done(c);
}

static int on_start_array(void *ctx)
{
    conv *c = ctx;
    if (c->skipping) {
        c->depth++;
        return 1;
    }
    if (c->depth == c->base && !document_start(c)) return 0;
    c->depth++;
    yaml_event_t ev;
    yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
                                         YAML_BLOCK_SEQUENCE_STYLE);
    return emit(c, &ev);
}

static int on_end_array(void *ctx)
{
    conv *c = ctx;
    c->depth--;
    if (c->skipping) return 1;
    yaml_event_t ev;
    yaml_sequence_end_event_initialize(&ev);
    return emit(c, &ev) && value_done(c);
}

static const yajl_callbacks callbacks = {
    .yajl_null = on_null,
    .yajl_boolean = on_boolean,
    .yajl_number = on_number, /* the number's text as written */
    .yajl_string = on_string,
    .yajl_start_map = on_start_map,
    .yajl_map_key = on_map_key,
    .yajl_end_map = on_end_map,
    .yajl_start_array = on_start_array,
    .yajl_end_array = on_end_array,
};

int main(int argc, char **argv)
{
    FILE *in = stdin;
    if (argc > 2) {
        fputs("usage: yajl2yaml [FILE] > out.yaml\n", stderr);
        return 2;
    }
    if (argc == 2 && strcmp(argv[1], "-") != 0) {
        in = fopen(argv[1], "rb");
        if (!in) {
            perror(argv[1]);
            return 1;
        }
    }
    conv c;
    memset(&c, 0, sizeof c);
    if (!yaml_emitter_initialize(&c.em)) return 1;
    yaml_emitter_set_output_file(&c.em, stdout);
    yaml_emitter_set_encoding(&c.em, YAML_UTF8_ENCODING);
    yaml_emitter_set_unicode(&c.em, 1);
    yaml_emitter_set_width(&c.em, -1);
    yaml_emitter_set_indent(&c.em, 2);
    yaml_emitter_set_break(&c.em, YAML_LN_BREAK);
    yaml_event_t ev;
    yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
    emit(&c, &ev);

    yajl_handle h = yajl_alloc(&callbacks, NULL, &c);
    yajl_config(h, yajl_allow_multiple_values, 1);
    static unsigned char buf[1 << 16];
    size_t n;
    yajl_status st = yajl_status_ok;
    while (st == yajl_status_ok && (n = fread(buf, 1, sizeof buf, in)) > 0)
        st = yajl_parse(h, buf, n);
    if (st == yajl_status_ok && ferror(in)) {
        perror(argc == 2 ? argv[1] : "stdin");
        c.failed = 1;
    }
    if (st == yajl_status_ok) st = yajl_complete_parse(h);
    if (st != yajl_status_ok && !c.failed) {
        unsigned char *msg = yajl_get_error(h, 0, NULL, 0);
        fprintf(stderr, "yajl2yaml: %s\n", (const char *)msg);
        yajl_free_error(h, msg);
        c.failed = 1;
    }
    yajl_free(h);
    if (!c.failed) {
        yaml_stream_end_event_initialize(&ev);
        emit(&c, &ev);
    }
    yaml_emitter_delete(&c.em);
    if (in != stdin) fclose(in);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        perror("yajl2yaml: stdout");
        return 1;
    }
    return c.failed ? 1 : 0;
}
