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

/* Room for n more bytes after b->len. */
static int room(nfb__buf *b, const nfb_allocator *a, size_t n)
{
    if (NFB_LIKELY(n <= b->cap - b->len)) return NFB_OK;
    if (n > SIZE_MAX / 2 - b->len) return NFB_ENOMEM;
    return nfb__buf_reserve(b, a, b->len + n);
}

/* A scalar value of field f of the struct at base, as nfb__walk_value
 * walks it: its text in *s; 1 for a string (written quoted), 0 for a
 * number's text (as it is), -1 for an enum out of range, 2 for an object
 * or an array. */
static int scalar(const nfb__field *f, const void *base, nfb_str *s)
{
    switch (f->type) {
    case NFB_T_STRING:
    case NFB_T_SIZE:
        *s = *NFB__AT(nfb_str, base, f->off);
        return 1;
    case NFB_T_DATETIME:
        *s = NFB__AT(nfb_time, base, f->off)->text;
        return 1;
    case NFB_T_NUMBER:
        *s = *NFB__AT(nfb_str, base, f->off);
        return 0;
    case NFB_T_ENUM:
        *s = nfb__enum_name(f, base);
        return s->ptr ? 1 : -1;
    default:
        return 2;
    }
}

/* Writes s at o, between quotes when quoted, and returns the end; o has
 * room for 6 * s.len + 2 bytes. A number's text, an enum's name and a key
 * (fixed ASCII words) have nothing to escape: the escaper copies them as
 * they are, in a few wide moves. */
static unsigned char *put_text(unsigned char *o, nfb_str s, int quoted)
{
    if (quoted) *o++ = '"';
    o = nfb__json_escape(o, (const unsigned char *)s.ptr, s.len);
    if (quoted) *o++ = '"';
    return o;
}

static int put_value(nfb__buf *b, const nfb_allocator *a, const nfb__field *f,
                     const void *base);

/* Appends the object of kind k at base: its present fields in the rows'
 * order, as nfb__walk gives them. A scalar field is written with its key
 * after one room check for both. */
static int put_object(nfb__buf *b, const nfb_allocator *a, nfb__kind k,
                      const void *base)
{
    const nfb__object *obj = &nfb__objects[k];
    TRY(room(b, a, 1));
    b->ptr[b->len++] = '{';
    for (int i = 0, first = 1; i < obj->count; i++) {
        const nfb__field *f = &obj->fields[i];
        if (!nfb__field_present(f, base)) continue;
        nfb_str s = {NULL, 0};
        int kind = scalar(f, base, &s);
        if (kind < 0) return NFB_EINVAL;
        if (s.len > SIZE_MAX / 8) return NFB_ENOMEM;
        /* , "key" : and the value */
        TRY(room(b, a, (size_t)f->len + 4 + 6 * s.len + 2));
        unsigned char *o = b->ptr + b->len;
        if (!first) *o++ = ',';
        first = 0;
        o = put_text(o, (nfb_str){f->name, f->len}, 1);
        *o++ = ':';
        if (kind < 2) o = put_text(o, s, kind);
        b->len = (size_t)(o - b->ptr);
        if (kind == 2) TRY(put_value(b, a, f, base));
    }
    TRY(room(b, a, 1));
    b->ptr[b->len++] = '}';
    return NFB_OK;
}

/* Appends the value of field f of the struct at base: what nfb__walk_value
 * walks, written as the json writer writes it, with no call per token. */
static int put_value(nfb__buf *b, const nfb_allocator *a, const nfb__field *f,
                     const void *base)
{
    nfb_str s = {NULL, 0};
    int kind = scalar(f, base, &s);
    if (kind < 0) return NFB_EINVAL;
    if (kind < 2) {
        if (s.len > SIZE_MAX / 8) return NFB_ENOMEM;
        TRY(room(b, a, 6 * s.len + 2));
        b->len = (size_t)(put_text(b->ptr + b->len, s, kind) - b->ptr);
        return NFB_OK;
    }
    if (f->type == NFB_T_OBJECT)
        return put_object(b, a, (nfb__kind)f->kind, base);
    if (f->type != NFB_T_ARRAY) return NFB_EINVAL;
    size_t n;
    const char *items = nfb__array_items(f, base, &n);
    TRY(room(b, a, 1));
    b->ptr[b->len++] = '[';
    for (size_t i = 0; i < n; i++) {
        if (i) {
            TRY(room(b, a, 1));
            b->ptr[b->len++] = ',';
        }
        TRY(put_object(b, a, (nfb__kind)f->kind, items + i * f->elem_size));
    }
    TRY(room(b, a, 1));
    b->ptr[b->len++] = ']';
    return NFB_OK;
}

int nfb__json_text(nfb__buf *b, const nfb_allocator *a, const nfb__field *f,
                   const void *base)
{
    b->len = 0;
    return put_value(b, a, f, base);
}
