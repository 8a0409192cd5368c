/* JSON text: string escapes, line ends and a value's compact JSON (see
 * json_text.h), and nfb_json_write_string (nfbackup/text.h). */
#include "json_text.h"

#include <nfbackup/text.h>

#include "common/utf8.h"
#include "walk.h"

#define TRY(x)                                                                 \
    do {                                                                       \
        int res_ = (x);                                                        \
        if (res_ != NFB_OK) return res_;                                       \
    } while (0)

/* ---- NFB_JSON_RECORD: yajl's escapes and the line ends ---- */

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

/* Writes \uXXXX for the code unit u at out; returns the end. The hex
 * digits are upper case, as yajl writes them. */
static unsigned char *put_u(unsigned char *out, unsigned u)
{
    static const char hex[] = "0123456789ABCDEF";
    out[0] = '\\', out[1] = 'u';
    for (int k = 0; k < 4; k++)
        out[2 + k] = (unsigned char)hex[(u >> (12 - 4 * k)) & 15];
    return out + 6;
}

/* Writes yajl's escape of byte c (ESCAPE in byte_class) at out; returns
 * the end. */
static unsigned char *escape(unsigned char c, unsigned char *out)
{
    static const char letter[32] = {
        ['\b'] = 'b', ['\f'] = 'f', ['\n'] = 'n', ['\r'] = 'r', ['\t'] = 't'};
    if (c != '"' && c != '\\' && !(c < 32 && letter[c])) return put_u(out, c);
    *out++ = '\\';
    *out++ = c == '"' || c == '\\' ? c : (unsigned char)letter[c];
    return out;
}

/* Writes s[*i..stop) at out, escaped, and all of a line end that begins
 * before stop; returns the end and moves *i past what it wrote. The bytes
 * copied as they are go without a call. */
static unsigned char *put_bytes(const unsigned char *s, size_t *ip, size_t stop,
                                size_t len, unsigned char *out)
{
    size_t i = *ip, n;
    while (i < stop) {
        unsigned char c = s[i];
        if (byte_class[c] == RAW) {
            *out++ = c;
            i++;
        } else if (byte_class[c] == LINE_END &&
                   (n = nfb__json_line_end_at(s, i, len)) != 0) {
            memcpy(out, nfb__json_line_end_escape(s + i), 6);
            out += 6, i += n;
        } else if (byte_class[c] == ESCAPE) {
            out = escape(c, out);
            i++;
        } else {
            *out++ = c; /* the lead byte of another character */
            i++;
        }
    }
    *ip = i;
    return out;
}

static uint64_t load_8(const unsigned char *s)
{
    uint64_t w;
    memcpy(&w, s, 8);
    return w;
}

/* Does any of the 8 bytes at s need escaping or a look for a line end?
 * For the words that nfb__json_look_8 sends here: most hold UTF-8 text, which
 * is copied as it is. */
static int any_special_8(const unsigned char *s)
{
    return (byte_class[s[0]] | byte_class[s[1]] | byte_class[s[2]] |
            byte_class[s[3]] | byte_class[s[4]] | byte_class[s[5]] |
            byte_class[s[6]] | byte_class[s[7]]) != 0;
}

/* nfb__json_escape from s[i], the bytes before it copied as they are: 8 bytes
 * at a time, and a word that has a byte to escape or a line end byte by
 * byte. */
unsigned char *nfb__json_escape_from(unsigned char *out, const unsigned char *s,
                                     size_t i, size_t len)
{
    /* i is 0 when len < 8: nfb__json_escape found something to look
     * at. */
    if (len < 8) return put_bytes(s, &i, len, len, out);
    while (len - i >= 8) {
        uint64_t w = load_8(s + i);
        if (!nfb__json_look_8(w) || !any_special_8(s + i)) {
            memcpy(out, &w, 8);
            out += 8, i += 8;
            continue;
        }
        /* A line end that begins in the word may end past it. */
        out = put_bytes(s, &i, i + 8, len, out);
    }
    if (i < len && !any_special_8(s + len - 8) && (s[len - 8] & 0xc0) != 0x80) {
        /* The last 8 bytes have nothing to escape, and the first of them
         * begins a character, so that no line end from before takes
         * them in: those of them before i were written as they are, just
         * before out. */
        memcpy(out - (8 - (len - i)), s + len - 8, 8);
        return out + (len - i);
    }
    return put_bytes(s, &i, len, len, out);
}

size_t nfb__json_cut(const unsigned char *s, size_t n)
{
    for (size_t q = n; q + 3 >= n; q--)
        if ((s[q] & 0xc0) != 0x80) return q;
    /* Four continuation bytes in a row: no character spans s[n]. */
    return n;
}

/* ---- NFB_JSON_LINES: also C1 controls and bytes outside UTF-8 ---- */

unsigned char *nfb__json_escape_lines(unsigned char *out,
                                      const unsigned char *s, size_t len)
{
    for (size_t i = 0; i < len;) {
        unsigned char c = s[i];
        uint32_t cp;
        size_t n;
        if (c < 0x80) {
            if (byte_class[c] == ESCAPE)
                out = escape(c, out);
            else
                *out++ = c;
            i++;
        } else if (!(n = nfb__utf8_decode(s + i, len - i, &cp))) {
            out = put_u(out, 0xdc00u | c); /* surrogateescape */
            i++;
        } else if (cp < 0xa0 || cp == 0x2028 || cp == 0x2029) {
            out = put_u(out, cp); /* C1 (U+0085 too), U+2028, U+2029 */
            i += n;
        } else {
            memcpy(out, s + i, n);
            out += n, i += n;
        }
    }
    return out;
}

int nfb_json_write_string(const char *s, size_t len, nfb_json_escape mode,
                          nfb_write_fn write, void *ctx)
{
    enum { PIECE = 512 };
    unsigned char buf[2 + 6 * PIECE], *o = buf;
    const unsigned char *u = (const unsigned char *)s;
    if ((!s && len) || !write ||
        (mode != NFB_JSON_RECORD && mode != NFB_JSON_LINES))
        return NFB_EINVAL;
    *o++ = '"';
    for (;;) {
        size_t n = len <= PIECE ? len : nfb__json_cut(u, PIECE);
        o = mode == NFB_JSON_LINES ? nfb__json_escape_lines(o, u, n)
                                   : nfb__json_escape(o, u, n);
        u += n, len -= n;
        if (!len) break;
        if (write(ctx, buf, (size_t)(o - buf)) != 0) return NFB_EWRITE;
        o = buf;
    }
    *o++ = '"';
    return write(ctx, buf, (size_t)(o - buf)) != 0 ? NFB_EWRITE : NFB_OK;
}

/* ---- a value's compact JSON ---- */

typedef struct json_text {
    nfb__buf *b;
    const nfb_allocator *a;
    int first;     /* nothing in the current object or array yet */
    int after_key; /* the next value follows its key: no comma */
} json_text;

/* Appends the separator the next item needs and n more bytes of room. */
static int room(json_text *t, size_t n)
{
    int comma = !t->first && !t->after_key;
    t->first = t->after_key = 0;
    if (n > SIZE_MAX / 2 - t->b->len) return NFB_ENOMEM;
    TRY(nfb__buf_reserve(t->b, t->a, t->b->len + n + 1));
    if (comma) t->b->ptr[t->b->len++] = ',';
    return NFB_OK;
}

static int put_quoted(json_text *t, const char *s, size_t len, int key)
{
    if (len > SIZE_MAX / 8) return NFB_ENOMEM;
    TRY(room(t, 6 * len + 3));
    nfb__buf *b = t->b;
    b->ptr[b->len++] = '"';
    b->len = (size_t)(nfb__json_escape(b->ptr + b->len,
                                       (const unsigned char *)s, len) -
                      b->ptr);
    b->ptr[b->len++] = '"';
    if (key) b->ptr[b->len++] = ':';
    t->after_key = key;
    return NFB_OK;
}

static int open_(json_text *t, char c)
{
    TRY(room(t, 1));
    t->b->ptr[t->b->len++] = (unsigned char)c;
    t->first = 1;
    return NFB_OK;
}

static int close_(json_text *t, char c)
{
    TRY(nfb__buf_reserve(t->b, t->a, t->b->len + 1));
    t->b->ptr[t->b->len++] = (unsigned char)c;
    t->first = t->after_key = 0;
    return NFB_OK;
}

static int jt_begin_object(void *ctx)
{
    return open_(ctx, '{');
}
static int jt_end_object(void *ctx)
{
    return close_(ctx, '}');
}
static int jt_begin_array(void *ctx)
{
    return open_(ctx, '[');
}
static int jt_end_array(void *ctx)
{
    return close_(ctx, ']');
}
/* A key or an enum name: a fixed ASCII word, nothing to escape. */
static int put_word(json_text *t, const char *s, size_t len, int key)
{
    TRY(room(t, len + 3));
    nfb__buf *b = t->b;
    b->ptr[b->len++] = '"';
    memcpy(b->ptr + b->len, s, len);
    b->len += len;
    b->ptr[b->len++] = '"';
    if (key) b->ptr[b->len++] = ':';
    t->after_key = key;
    return NFB_OK;
}

static int jt_key(void *ctx, const char *name, size_t len)
{
    return put_word(ctx, name, len, 1);
}
static int jt_name(void *ctx, nfb_str s)
{
    return put_word(ctx, s.ptr, s.len, 0);
}
static int jt_string(void *ctx, nfb_str s)
{
    return put_quoted(ctx, s.ptr, s.len, 0);
}
static int jt_number(void *ctx, nfb_str text)
{
    json_text *t = ctx;
    TRY(room(t, text.len));
    memcpy(t->b->ptr + t->b->len, text.ptr, text.len);
    t->b->len += text.len;
    return NFB_OK;
}

static const nfb__walk_ops json_text_ops = {
    jt_begin_object, jt_end_object, jt_begin_array, jt_end_array,
    jt_key,          jt_string,     jt_number,      jt_name};

int nfb__json_text(nfb__buf *b, const nfb_allocator *a, const nfb__field *f,
                   const void *base)
{
    json_text t = {b, a, 1, 0};
    b->len = 0;
    return nfb__walk_value(f, base, &json_text_ops, &t);
}
