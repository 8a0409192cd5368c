/* Normalized JSON: a receiver of the record's walk (walk.h), so the fields
 * come in the schema's canonical order, values exactly as read (timestamps
 * as written, size as its string), one compact record per line unless
 * pretty or array output is asked for.
 *
 * Two paths write the same bytes. The fast path writes the text straight
 * into the sink; yajl's generator, which the fast path copies byte for
 * byte (its separators, its pretty layout and its string escapes), is the
 * reference: nfb__json_writer_use_yajl (write_json.h) selects it, and a
 * unit test (test_json_fast) and the round-trip fuzzer compare the two.
 * Through yajl, the generator and its print callback cost more than the
 * rest of the writer, a call per piece of a few bytes.
 *
 * U+0085, U+2028 and U+2029 are written as \u0085, \u2028 and \u2029 (see
 * writer_impl.h): yajl writes them raw, so on the reference path print
 * escapes them while a string that holds one is being written. */
#include <yajl/yajl_gen.h>

#include "write_json.h"
#include "writer_impl.h"

#define TRY(x)                                                                 \
    do {                                                                       \
        int res_ = (x);                                                        \
        if (res_ != NFB_OK) return res_;                                       \
    } while (0)

/* yajl_gen.c's states of a nesting level, which decide the separator
 * before the next value. */
typedef enum gen_state {
    GEN_START, /* nothing written at this level yet */
    GEN_MAP_START,
    GEN_MAP_KEY, /* a key is due (after a value: a comma first) */
    GEN_MAP_VAL, /* a value is due after its key: a colon first */
    GEN_ARRAY_START,
    GEN_IN_ARRAY,
    GEN_COMPLETE /* the top-level value is written */
} gen_state;

extern const nfb__writer_class nfb__json_writer;

/* Levels of the fast path: the array of --array, the envelope, the record,
 * config, its destinations and one destination use 6. */
enum { MAX_DEPTH = 16 };

/* The indentation of one level in pretty output, on both paths. */
#define INDENT "  "

typedef struct json_writer {
    nfb_writer base;
    const nfb__walk_ops *ops; /* the receiver of the path in use */
    int pretty;
    /* the fast path */
    unsigned depth;
    unsigned char state[MAX_DEPTH]; /* gen_state of each level */
    /* the reference path */
    yajl_gen g;
    int line_ends; /* the string being written holds a line end to escape */
} json_writer;

/* ---- the fast path: yajl_gen's bytes without yajl ---- */

/* The longest separator: a comma, a newline and the deepest indentation. */
enum { MAX_SEP = 2 + MAX_DEPTH * (sizeof INDENT - 1) };

static const char indentation[] = INDENT INDENT INDENT INDENT INDENT INDENT
    INDENT INDENT INDENT INDENT INDENT INDENT INDENT INDENT INDENT INDENT;
_Static_assert(sizeof indentation - 1 == MAX_DEPTH * (sizeof INDENT - 1),
               "one indentation per level");

/* Where the next n bytes go (n at most a block): the end of the sink's
 * block, handed to the write function first if they do not fit. The
 * writer then moves the end with commit. One bounds check for a token
 * instead of one per piece. */
static unsigned char *reserve(nfb__sink *sk, size_t n)
{
    if (NFB_LIKELY(n <= sk->cap - sk->len)) return sk->buf + sk->len;
    /* After a failed write every byte is dropped: start the block again. */
    if (nfb__sink_flush(sk) != 0) sk->len = 0;
    return sk->buf;
}

static void commit(nfb__sink *sk, unsigned char *end)
{
    sk->len = (size_t)(end - sk->buf);
}

/* Writes the indentation of the current level at p; returns the end. */
static unsigned char *indent(const json_writer *j, unsigned char *p)
{
    size_t n = (sizeof INDENT - 1) * j->depth;
    memcpy(p, indentation, n);
    return p + n;
}

/* Writes at p what goes before a key, a value or an opening bracket
 * (yajl_gen.c's INSERT_SEP and INSERT_WHITESPACE), at most MAX_SEP bytes:
 * a comma after an earlier item, a colon after a key; in pretty output a
 * newline and the level's indentation, or a space after the colon.
 * Returns the end. */
static unsigned char *separator(const json_writer *j, unsigned char *p)
{
    /* Looked up rather than tested: the state changes at every token. */
    static const char sep[GEN_COMPLETE + 1] = {
        [GEN_MAP_KEY] = ',', [GEN_MAP_VAL] = ':', [GEN_IN_ARRAY] = ','};
    unsigned char s = j->state[j->depth];
    *p = (unsigned char)sep[s];
    p += sep[s] != 0;
    if (!j->pretty) return p;
    if (s == GEN_MAP_VAL) {
        *p++ = ' ';
        return p;
    }
    if (sep[s]) *p++ = '\n';
    return indent(j, p);
}

/* The level's state after a value (yajl_gen.c's APPENDED_ATOM). */
static void appended(json_writer *j)
{
    static const unsigned char next[GEN_COMPLETE + 1] = {
        [GEN_START] = GEN_COMPLETE,       [GEN_MAP_START] = GEN_MAP_VAL,
        [GEN_MAP_KEY] = GEN_MAP_VAL,      [GEN_MAP_VAL] = GEN_MAP_KEY,
        [GEN_ARRAY_START] = GEN_IN_ARRAY, [GEN_IN_ARRAY] = GEN_IN_ARRAY,
        [GEN_COMPLETE] = GEN_COMPLETE};
    j->state[j->depth] = next[j->state[j->depth]];
}

/* Writes at p the last byte c of a value, when not 0, and in pretty
 * output the newline that ends a top-level value (FINAL_NEWLINE), at most
 * 2 bytes; returns the end. The level's state is the one after the value
 * (appended). */
static unsigned char *value_end(const json_writer *j, unsigned char *p, char c)
{
    if (c) *p++ = (unsigned char)c;
    if (j->pretty && j->state[j->depth] == GEN_COMPLETE) *p++ = '\n';
    return p;
}

/* memcpy for the few bytes of a key or a name, without a call: two
 * overlapping moves of a fixed size cover 4 to 16 bytes. Returns the end. */
static unsigned char *copy_short(unsigned char *d, const char *s, size_t n)
{
    if (n > 16) {
        memcpy(d, s, n);
    } else if (n >= 8) {
        memcpy(d, s, 8);
        memcpy(d + n - 8, s + n - 8, 8);
    } else if (n >= 4) {
        memcpy(d, s, 4);
        memcpy(d + n - 4, s + n - 4, 4);
    } else {
        for (size_t i = 0; i < n; i++)
            d[i] = (unsigned char)s[i];
    }
    return d + n;
}

/* A key, an enum name or a number, in one piece: its text needs no
 * escaping. */
static void put_plain(json_writer *j, const char *s, size_t len, char quote)
{
    nfb__sink *sk = &j->base.sink;
    unsigned char *p;
    if (NFB_UNLIKELY(len > sk->cap - MAX_SEP - 4)) {
        /* A number longer than a block, from a caller's record. */
        p = separator(j, reserve(sk, MAX_SEP + 1));
        if (quote) *p++ = (unsigned char)quote;
        commit(sk, p);
        nfb__sink_put(sk, s, len);
        appended(j);
        commit(sk, value_end(j, reserve(sk, 2), quote));
        return;
    }
    p = separator(j, reserve(sk, MAX_SEP + len + 4));
    if (quote) *p++ = (unsigned char)quote;
    p = copy_short(p, s, len);
    appended(j);
    commit(sk, value_end(j, p, quote));
}

static int fast_open(json_writer *j, char bracket)
{
    nfb__sink *sk = &j->base.sink;
    if (j->depth + 1 >= MAX_DEPTH) return NFB_EINVAL;
    unsigned char *p = separator(j, reserve(sk, MAX_SEP + 2));
    *p++ = (unsigned char)bracket;
    if (j->pretty) *p++ = '\n';
    commit(sk, p);
    j->state[++j->depth] = bracket == '{' ? GEN_MAP_START : GEN_ARRAY_START;
    return NFB_OK;
}

/* As yajl does, an empty object or array is "{}" in compact output, and
 * in pretty output a blank line between its brackets. */
static int fast_close(json_writer *j, char bracket)
{
    nfb__sink *sk = &j->base.sink;
    if (j->depth == 0) return NFB_EINVAL;
    j->depth--;
    unsigned char *p = reserve(sk, MAX_SEP + 3);
    if (j->pretty) *p++ = '\n';
    appended(j);
    /* INSERT_WHITESPACE, after the state of the level that goes on. */
    if (j->pretty && j->state[j->depth] != GEN_MAP_VAL) p = indent(j, p);
    commit(sk, value_end(j, p, bracket));
    return NFB_OK;
}

/* What each byte of a string needs: yajl_string_encode's escapes for
 * control characters, '"' and '\\' (not '/': yajl's escape_solidus is
 * off), and a look for a line end at the lead bytes of U+0085 and
 * U+2028/9. Every other byte, UTF-8 or not, is copied as it is. */
enum { RAW, ESCAPE, LINE_END };
#define ESCAPE_8 ESCAPE, ESCAPE, ESCAPE, ESCAPE, ESCAPE, ESCAPE, ESCAPE, ESCAPE
static const unsigned char byte_class[256] = {
    ESCAPE_8,          ESCAPE_8,
    ESCAPE_8,          ESCAPE_8, /* 0x00-0x1f */
    ['"'] = ESCAPE,    ['\\'] = ESCAPE,
    [0xc2] = LINE_END, [0xe2] = LINE_END};
#undef ESCAPE_8

/* Writes yajl's escape of byte c (ESCAPE in byte_class) at out; returns
 * the end. The hex digits are upper case, as yajl writes them. */
static unsigned char *escape(unsigned char c, unsigned char *out)
{
    static const char hex[] = "0123456789ABCDEF";
    static const char letter[32] = {
        ['\b'] = 'b', ['\f'] = 'f', ['\n'] = 'n', ['\r'] = 'r', ['\t'] = 't'};
    *out++ = '\\';
    if (c == '"' || c == '\\') {
        *out++ = c;
    } else if (c < 32 && letter[c]) {
        *out++ = (unsigned char)letter[c];
    } else {
        memcpy(out, "u00", 3);
        out[3] = (unsigned char)hex[c >> 4];
        out[4] = (unsigned char)hex[c & 15];
        out += 5;
    }
    return out;
}

/* Does any of the 8 bytes at s need a look? */
static int any_special_8(const unsigned char *s)
{
    return (byte_class[s[0]] | byte_class[s[1]] | byte_class[s[2]] |
            byte_class[s[3]] | byte_class[s[4]] | byte_class[s[5]] |
            byte_class[s[6]] | byte_class[s[7]]) != 0;
}

/* Where to cut s[0..len) near n so that no line end is split between two
 * blocks (each piece is escaped on its own): n, or the start of the line
 * end that crosses n. */
static size_t cut_between_line_ends(const unsigned char *s, size_t n,
                                    size_t len)
{
    for (size_t q = n >= 2 ? n - 2 : 0; q < n; q++)
        if (q + nfb__json_line_end_at(s, q, len) > n) return q;
    return n;
}

/* Writes the body of string s[0..len) escaped at out, which has room for
 * 6 bytes per byte of s; returns the end. Most strings have nothing to
 * escape: 8 bytes are looked up and copied at once while none needs a
 * look, and a block that has one is taken byte by byte. */
static unsigned char *escape_into(unsigned char *out, const unsigned char *s,
                                  size_t len)
{
    size_t i = 0;
    while (i < len) {
        size_t stop = len - i < 8 ? len : i + 8;
        if (stop - i == 8 && !any_special_8(s + i)) {
            memcpy(out, s + i, 8);
            out += 8, i += 8;
            continue;
        }
        if (stop == len && len >= 8 && !any_special_8(s + len - 8) &&
            cut_between_line_ends(s, len - 8, len) == len - 8) {
            /* The last 8 bytes need nothing, and no line end escaped
             * before them reaches into them: the ones before i were copied
             * as they are, just before out. Copy the 8 again so that they
             * end where the string does. */
            memcpy(out - (8 - (len - i)), s + len - 8, 8);
            return out + (len - i);
        }
        while (i < stop) {
            unsigned char c = s[i];
            size_t n = byte_class[c] == LINE_END
                           ? nfb__json_line_end_at(s, i, len)
                           : 0;
            if (n) {
                memcpy(out, nfb__json_line_end_escape(s + i), 6);
                out += 6, i += n;
            } else if (byte_class[c] == ESCAPE) {
                out = escape(c, out), i++;
            } else {
                *out++ = c, i++;
            }
        }
    }
    return out;
}

static int fast_string(void *ctx, nfb_str v)
{
    json_writer *j = ctx;
    nfb__sink *sk = &j->base.sink;
    const unsigned char *s = (const unsigned char *)v.ptr;
    /* The most bytes of s escaped into one block, with room for the
     * separator and the quotes. */
    size_t len = v.len, most = (sk->cap - MAX_SEP - 4) / 6;
    unsigned char *p =
        separator(j, reserve(sk, MAX_SEP + 4 + 6 * (len < most ? len : most)));
    *p++ = '"';
    for (;;) {
        size_t n = len <= most ? len : cut_between_line_ends(s, most, len);
        p = escape_into(p, s, n);
        s += n, len -= n;
        if (NFB_LIKELY(!len)) break;
        /* A string longer than a block: the next piece in the next. */
        commit(sk, p);
        p = reserve(sk, 4 + 6 * (len < most ? len : most));
    }
    appended(j);
    commit(sk, value_end(j, p, '"'));
    return NFB_OK;
}

static int fast_begin_object(void *ctx)
{
    return fast_open(ctx, '{');
}

static int fast_end_object(void *ctx)
{
    return fast_close(ctx, '}');
}

static int fast_begin_array(void *ctx)
{
    return fast_open(ctx, '[');
}

static int fast_end_array(void *ctx)
{
    return fast_close(ctx, ']');
}

/* Keys and enum names are fixed ASCII words with nothing to escape (the
 * unit test compares every one of them with yajl's bytes). */
static int fast_word(void *ctx, const char *s, size_t len)
{
    put_plain(ctx, s, len, '"');
    return NFB_OK;
}

static int fast_name(void *ctx, nfb_str s)
{
    return fast_word(ctx, s.ptr, s.len);
}

static int fast_number(void *ctx, nfb_str text)
{
    put_plain(ctx, text.ptr, text.len, 0);
    return NFB_OK;
}

static const nfb__walk_ops fast_ops = {.begin_object = fast_begin_object,
                                       .end_object = fast_end_object,
                                       .begin_array = fast_begin_array,
                                       .end_array = fast_end_array,
                                       .key = fast_word,
                                       .string = fast_string,
                                       .number = fast_number,
                                       .name = fast_name};

/* ---- the reference path: yajl's generator ---- */

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

static void str(yajl_gen g, const char *s, size_t len)
{
    yajl_gen_string(g, (const unsigned char *)s, len);
}

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

static const nfb__walk_ops yajl_ops = {.begin_object = begin_object,
                                       .end_object = end_object,
                                       .begin_array = begin_array,
                                       .end_array = end_array,
                                       .key = word,
                                       .string = string,
                                       .number = number,
                                       .name = name};

int nfb__json_writer_use_yajl(nfb_writer *w)
{
    if (!w || w->cls != &nfb__json_writer) return NFB_EINVAL;
    if (w->begun) return NFB_ESTATE;
    json_writer *j = (json_writer *)w;
    if (j->g) return NFB_OK;
    /* The C library's allocator: yajl does not check its allocations (see
     * parser_reset in json_source.c). */
    j->g = yajl_gen_alloc(NULL);
    if (!j->g) return NFB_ENOMEM;
    yajl_gen_config(j->g, yajl_gen_print_callback, print, w);
    if (j->pretty) {
        yajl_gen_config(j->g, yajl_gen_beautify, 1);
        yajl_gen_config(j->g, yajl_gen_indent_string, INDENT);
    }
    j->ops = &yajl_ops;
    return NFB_OK;
}

/* ---- the layout of the records, on either path ---- */

static int init(nfb_writer *w, const nfb_writer_options *o, char *err,
                size_t errlen)
{
    (void)o, (void)err, (void)errlen;
    json_writer *j = (json_writer *)w;
    j->ops = &fast_ops;
    j->pretty = (w->flags & NFB_WRITE_PRETTY) != 0;
    return NFB_OK;
}

/* After a top-level value: back to an empty state (yajl_gen_reset), sep
 * (or nothing when NULL) put between two values. */
static void reset(json_writer *j, const char *sep)
{
    if (j->g) {
        yajl_gen_reset(j->g, sep);
        return;
    }
    j->depth = 0;
    j->state[0] = GEN_START;
    if (sep) nfb__sink_put(&j->base.sink, sep, strlen(sep));
}

static int begin(nfb_writer *w)
{
    json_writer *j = (json_writer *)w;
    if (w->flags & NFB_WRITE_ARRAY) return j->ops->begin_array(j);
    return NFB_OK;
}

static int write_record(nfb_writer *w, const nfb_backup *b)
{
    json_writer *j = (json_writer *)w;
    const nfb__walk_ops *ops = j->ops;
    int env = (w->flags & NFB_WRITE_ENVELOPE) != 0;
    if (env) {
        TRY(ops->begin_object(j));
        TRY(ops->key(j, "data", 4));
    }
    TRY(nfb__walk(b, ops, j));
    if (env) TRY(ops->end_object(j));
    /* A pretty top-level value ends with a newline of its own. */
    if (!(w->flags & NFB_WRITE_ARRAY)) reset(j, j->pretty ? NULL : "\n");
    return NFB_OK;
}

static int end(nfb_writer *w)
{
    json_writer *j = (json_writer *)w;
    if (w->flags & NFB_WRITE_ARRAY) {
        TRY(j->ops->end_array(j));
        if (!j->pretty) nfb__sink_put(&w->sink, "\n", 1);
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
