/* Normalized JSON on yajl's generator: a receiver of the record's walk
 * (walk.h), so the fields come in the schema's canonical order, values
 * exactly as read (timestamps as written, size as its string), one
 * compact record per line unless pretty or array output is asked for.
 *
 * U+0085, U+2028 and U+2029 are written as \u0085, \u2028 and \u2029
 * (see writer_impl.h): yajl writes them raw, so print escapes them while a
 * string that holds one is being written. */
#include <yajl/yajl_gen.h>

#include "writer_impl.h"

typedef struct json_writer {
    nfb_writer base;
    yajl_gen g;
    int line_ends; /* the string being written holds a line end to escape */
} json_writer;

/* Puts s with its line ends escaped. yajl prints the bytes of a string
 * between two escapes in one piece, so no character is split across two
 * calls. */
static void put_escaping_line_ends(nfb__sink *sk, const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t start = 0, n;
    for (size_t i = 0; i < len; i++) {
        if (!(n = nfb__json_line_end_at(u, i, len))) continue;
        nfb__sink_put(sk, s + start, i - start);
        nfb__sink_put(sk, nfb__json_line_end_escape(u + i), 6);
        i += n - 1;
        start = i + 1;
    }
    nfb__sink_put(sk, s + start, len - start);
}

/* Does s hold a line end to escape? Two memchr calls for most strings. */
static int has_line_end(const unsigned char *s, size_t n)
{
    static const unsigned char leads[] = {0xc2, 0xe2};
    for (size_t k = 0; k < sizeof leads; k++)
        for (const unsigned char *p = s;
             n && (p = memchr(p, leads[k], n - (size_t)(p - s))) != NULL; p++)
            if (nfb__json_line_end_at(s, (size_t)(p - s), n)) return 1;
    return 0;
}

static void print(void *ctx, const char *s, size_t len)
{
    json_writer *j = ctx;
    if (NFB_UNLIKELY(j->line_ends))
        put_escaping_line_ends(&j->base.sink, s, len);
    else
        nfb__sink_put(&j->base.sink, s, len);
}

static int init(nfb_writer *w, const nfb_writer_options *o, char *err,
                size_t errlen)
{
    (void)o, (void)err, (void)errlen;
    json_writer *j = (json_writer *)w;
    /* The C library's allocator: yajl does not check its allocations (see
     * parser_reset in json_source.c). */
    j->g = yajl_gen_alloc(NULL);
    if (!j->g) return NFB_ENOMEM;
    yajl_gen_config(j->g, yajl_gen_print_callback, print, w);
    if (w->flags & NFB_WRITE_PRETTY) {
        yajl_gen_config(j->g, yajl_gen_beautify, 1);
        yajl_gen_config(j->g, yajl_gen_indent_string, "  ");
    }
    return NFB_OK;
}

static void str(yajl_gen g, const char *s, size_t len)
{
    yajl_gen_string(g, (const unsigned char *)s, len);
}

#define KEY(g, k) str(g, k, sizeof k - 1)

/* ---- the receiver of the record's walk (walk.h) ---- */

static int begin_object(void *ctx)
{
    yajl_gen_map_open(((json_writer *)ctx)->g);
    return NFB_OK;
}

static int end_object(void *ctx)
{
    yajl_gen_map_close(((json_writer *)ctx)->g);
    return NFB_OK;
}

static int begin_array(void *ctx)
{
    yajl_gen_array_open(((json_writer *)ctx)->g);
    return NFB_OK;
}

static int end_array(void *ctx)
{
    yajl_gen_array_close(((json_writer *)ctx)->g);
    return NFB_OK;
}

/* Keys and enum names are fixed ASCII words: no line end to look for. */
static int word(void *ctx, const char *s, size_t len)
{
    str(((json_writer *)ctx)->g, s, len);
    return NFB_OK;
}

static int name(void *ctx, nfb_str s)
{
    return word(ctx, s.ptr, s.len);
}

static int string(void *ctx, nfb_str v)
{
    json_writer *j = ctx;
    j->line_ends = has_line_end((const unsigned char *)v.ptr, v.len);
    str(j->g, v.ptr, v.len);
    j->line_ends = 0;
    return NFB_OK;
}

static int number(void *ctx, nfb_str text)
{
    yajl_gen_number(((json_writer *)ctx)->g, text.ptr, text.len);
    return NFB_OK;
}

static const nfb__walk_ops ops = {.begin_object = begin_object,
                                  .end_object = end_object,
                                  .begin_array = begin_array,
                                  .end_array = end_array,
                                  .key = word,
                                  .string = string,
                                  .number = number,
                                  .name = name};

static int begin(nfb_writer *w)
{
    json_writer *j = (json_writer *)w;
    if (w->flags & NFB_WRITE_ARRAY) yajl_gen_array_open(j->g);
    return NFB_OK;
}

static int write_record(nfb_writer *w, const nfb_backup *b)
{
    json_writer *j = (json_writer *)w;
    int env = (w->flags & NFB_WRITE_ENVELOPE) != 0;
    if (env) {
        yajl_gen_map_open(j->g);
        KEY(j->g, "data");
    }
    int res = nfb__walk(b, &ops, j);
    if (res != NFB_OK) return res;
    if (env) yajl_gen_map_close(j->g);
    if (!(w->flags & NFB_WRITE_ARRAY)) {
        /* yajl ends a pretty top-level value with a newline itself. */
        yajl_gen_reset(j->g, (w->flags & NFB_WRITE_PRETTY) ? NULL : "\n");
    }
    return NFB_OK;
}

static int end(nfb_writer *w)
{
    json_writer *j = (json_writer *)w;
    if (w->flags & NFB_WRITE_ARRAY) {
        yajl_gen_array_close(j->g);
        if (!(w->flags & NFB_WRITE_PRETTY)) nfb__sink_put(&w->sink, "\n", 1);
    }
    return NFB_OK;
}

static void destroy(nfb_writer *w)
{
    json_writer *j = (json_writer *)w;
    if (j->g) yajl_gen_free(j->g);
}

const nfb__writer_class nfb__json_writer = {
    .info = {"json", "normalized JSON: one record per line, or --pretty, "
                     "--array, --envelope"},
    .size = sizeof(json_writer),
    .init = init,
    .begin = begin,
    .record = write_record,
    .end = end,
    .free = destroy};
