/* The transcoder: UTF-16 and UTF-32 (found by their byte order mark) to
 * UTF-8, in constant memory. See transcode.h for the contract. */
#include <stdarg.h>
#include <stdio.h>

#include "transcode.h"

static const char *const enc_names[] = {"",         "UTF-8",    "UTF-16LE",
                                        "UTF-16BE", "UTF-32LE", "UTF-32BE"};

void nfb__transcode_begin(nfb__transcode *t, nfb__diags *dg)
{
    t->dg = dg;
    t->enc = NFB__ENC_UNKNOWN;
    t->nheld = 0;
    t->high = 0;
    t->in_off = t->high_off = t->out_off = 0;
    t->out_line = 1;
    t->out_line_start = 0;
    t->done = 0;
    t->out_len = 0;
}

/* Hands the UTF-8 made so far to the sink. */
static int flush(nfb__transcode *t, nfb__bytes_sink sink, void *ctx)
{
    size_t n = t->out_len;
    t->out_len = 0;
    if (n == 0 || t->done) return 0;
    int rc = sink(ctx, t->out, n);
    if (rc != 0) t->done = 1;
    return rc;
}

static int emit(nfb__transcode *t, uint32_t cp, nfb__bytes_sink sink, void *ctx)
{
    if (NFB__TRANSCODE_OUT - t->out_len < 4) {
        int rc = flush(t, sink, ctx);
        if (rc != 0) return rc;
    }
    unsigned char *o = t->out + t->out_len;
    size_t k;
    if (cp < 0x80) {
        o[0] = (unsigned char)cp;
        k = 1;
        if (cp == '\n') {
            t->out_line++;
            t->out_line_start = t->out_off + 1;
        }
    } else if (cp < 0x800) {
        o[0] = (unsigned char)(0xC0 | (cp >> 6));
        o[1] = (unsigned char)(0x80 | (cp & 0x3F));
        k = 2;
    } else if (cp < 0x10000) {
        o[0] = (unsigned char)(0xE0 | (cp >> 12));
        o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (unsigned char)(0x80 | (cp & 0x3F));
        k = 3;
    } else {
        o[0] = (unsigned char)(0xF0 | (cp >> 18));
        o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
        o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        o[3] = (unsigned char)(0x80 | (cp & 0x3F));
        k = 4;
    }
    t->out_len += k;
    t->out_off += k;
    return 0;
}

/* A sequence that is no character: the text before it is handed on, the
 * problem reported where it is in the UTF-8 text, and U+FFFD put in its
 * place. */
NFB_PRINTF(4, 5)
static int bad(nfb__transcode *t, nfb__bytes_sink sink, void *ctx,
               const char *fmt, ...)
{
    int rc = flush(t, sink, ctx);
    if (rc != 0 || t->done) return rc;
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    nfb__pos at = {t->out_off, t->out_line, t->out_off - t->out_line_start + 1};
    if (!nfb__report(t->dg, NFB_ERROR, NFB_CODE_SYNTAX, "", at, "%s", msg)) {
        t->done = 1;
        return NFB_STOPPED;
    }
    return emit(t, 0xFFFD, sink, ctx);
}

/* One UTF-16 code unit, which began at byte off of the input. */
static int unit16(nfb__transcode *t, uint32_t u, uint64_t off,
                  nfb__bytes_sink sink, void *ctx)
{
    const char *name = enc_names[t->enc];
    if (t->high) {
        uint32_t high = t->high;
        t->high = 0;
        if (u >= 0xDC00 && u <= 0xDFFF)
            return emit(t, 0x10000 + ((high - 0xD800) << 10) + (u - 0xDC00),
                        sink, ctx);
        int rc = bad(t, sink, ctx,
                     "expected %s text, found a lone surrogate 0x%04X at byte "
                     "%llu of the input (no low surrogate after it); read as "
                     "U+FFFD",
                     name, (unsigned)high, (unsigned long long)t->high_off);
        if (rc != 0) return rc;
    }
    if (u >= 0xD800 && u <= 0xDBFF) {
        t->high = u;
        t->high_off = off;
        return 0;
    }
    if (u >= 0xDC00 && u <= 0xDFFF)
        return bad(t, sink, ctx,
                   "expected %s text, found a lone surrogate 0x%04X at byte "
                   "%llu of the input (no high surrogate before it); read as "
                   "U+FFFD",
                   name, (unsigned)u, (unsigned long long)off);
    return emit(t, u, sink, ctx);
}

static int unit32(nfb__transcode *t, uint32_t u, uint64_t off,
                  nfb__bytes_sink sink, void *ctx)
{
    if (u > 0x10FFFF || (u >= 0xD800 && u <= 0xDFFF))
        return bad(t, sink, ctx,
                   "expected %s text, found 0x%08lX at byte %llu of the "
                   "input, which is no Unicode character; read as U+FFFD",
                   enc_names[t->enc], (unsigned long)u,
                   (unsigned long long)off);
    return emit(t, u, sink, ctx);
}

/* Transcodes p[0..n); a code unit cut at the end is held. */
static int convert(nfb__transcode *t, const unsigned char *p, size_t n,
                   nfb__bytes_sink sink, void *ctx)
{
    size_t size =
        t->enc == NFB__ENC_UTF16LE || t->enc == NFB__ENC_UTF16BE ? 2 : 4;
    int le = t->enc == NFB__ENC_UTF16LE || t->enc == NFB__ENC_UTF32LE;
    for (size_t i = 0; i < n && !t->done;) {
        t->held[t->nheld++] = p[i++];
        t->in_off++;
        if (t->nheld < size) continue;
        const unsigned char *h = t->held;
        uint32_t u;
        if (size == 2)
            u = le ? (uint32_t)h[0] | (uint32_t)h[1] << 8
                   : (uint32_t)h[1] | (uint32_t)h[0] << 8;
        else
            u = le ? (uint32_t)h[0] | (uint32_t)h[1] << 8 |
                         (uint32_t)h[2] << 16 | (uint32_t)h[3] << 24
                   : (uint32_t)h[3] | (uint32_t)h[2] << 8 |
                         (uint32_t)h[1] << 16 | (uint32_t)h[0] << 24;
        t->nheld = 0;
        uint64_t off = t->in_off - size;
        int rc = size == 2 ? unit16(t, u, off, sink, ctx)
                           : unit32(t, u, off, sink, ctx);
        if (rc != 0) return rc;
    }
    return 0;
}

/* The encoding RFC 4627 section 3's pattern of NUL bytes in the first
 * four bytes says, or NULL. */
static const char *nul_pattern(const unsigned char *h)
{
    if (h[0] == 0 && h[1] == 0 && h[2] == 0 && h[3] != 0) return "UTF-32BE";
    if (h[0] != 0 && h[1] == 0 && h[2] == 0 && h[3] == 0) return "UTF-32LE";
    if (h[0] == 0 && h[1] != 0 && h[2] == 0) return "UTF-16BE";
    if (h[0] != 0 && h[1] == 0 && h[2] != 0 && h[3] == 0) return "UTF-16LE";
    return NULL;
}

/* The encoding the first k bytes (k == 4, or fewer at the end: end set)
 * say, and the length of its mark in *mark; NFB__ENC_UNKNOWN when more
 * bytes are needed. */
static nfb__encoding decide(const unsigned char *h, size_t k, int end,
                            size_t *mark)
{
    *mark = 0;
    if (k >= 2 && h[0] == 0xFE && h[1] == 0xFF) {
        *mark = 2;
        return NFB__ENC_UTF16BE;
    }
    if (k >= 2 && h[0] == 0xFF && h[1] == 0xFE) {
        if (k == 4 && h[2] == 0 && h[3] == 0) {
            *mark = 4;
            return NFB__ENC_UTF32LE;
        }
        if (k < 4 && !end) return NFB__ENC_UNKNOWN;
        *mark = 2;
        return NFB__ENC_UTF16LE;
    }
    /* Only a NUL among the first two bytes may start a mark of UTF-32BE
     * or a pattern of text without a mark: UTF-8 text never does. */
    if (k >= 2 && h[0] != 0 && h[1] != 0) return NFB__ENC_UTF8;
    if (k < 4) return end ? NFB__ENC_UTF8 : NFB__ENC_UNKNOWN;
    if (h[0] == 0 && h[1] == 0 && h[2] == 0xFE && h[3] == 0xFF) {
        *mark = 4;
        return NFB__ENC_UTF32BE;
    }
    /* Other NUL bytes are no text encoding: left to the front ends. */
    return nul_pattern(h) ? NFB__ENC_REFUSED : NFB__ENC_UTF8;
}

/* The input is UTF-16 or UTF-32 without a mark (RFC 4627 section 3's
 * patterns of NUL bytes). */
static int refuse(nfb__transcode *t, const unsigned char *h)
{
    const char *enc = nul_pattern(h);
    t->done = 1;
    nfb__pos at = {0, 1, 1};
    return nfb__report(t->dg, NFB_ERROR, NFB_CODE_SYNTAX, "", at,
                       "expected UTF-8 text or a byte order mark, found what "
                       "looks like %s text without a byte order mark (NUL "
                       "bytes between the characters); the input is not "
                       "read: convert it with `iconv -f %s -t UTF-8`",
                       enc, enc)
               ? 0
               : NFB_STOPPED;
}

/* The bytes held (the last ones from p[0..used), the others from earlier
 * feeds, before of them) say what the input is: begins it. */
static int start(nfb__transcode *t, nfb__encoding enc, size_t mark,
                 size_t before, const unsigned char *p, size_t n,
                 nfb__bytes_sink sink, void *ctx)
{
    unsigned char h[4];
    size_t k = t->nheld;
    memcpy(h, t->held, k);
    t->nheld = 0;
    t->enc = enc;
    if (enc == NFB__ENC_REFUSED) return refuse(t, h);
    if (enc == NFB__ENC_UTF8) {
        int rc;
        /* Plain text is not copied: when all the bytes held are in p, p
         * is handed on whole. */
        if (before == 0) return n ? sink(ctx, p, n) : 0;
        if ((rc = sink(ctx, h, k)) != 0) return rc;
        size_t used = k - before;
        return n > used ? sink(ctx, p + used, n - used) : 0;
    }
    size_t used = k - before;
    t->in_off = mark;
    int rc = convert(t, h + mark, k - mark, sink, ctx);
    /* (At the end of the input p is NULL and n is 0.) */
    if (rc == 0 && n > used) rc = convert(t, p + used, n - used, sink, ctx);
    if (rc == 0) rc = flush(t, sink, ctx);
    return rc;
}

int nfb__transcode_feed(nfb__transcode *t, const unsigned char *p, size_t n,
                        nfb__bytes_sink sink, void *ctx)
{
    if (t->done || n == 0) return 0;
    if (t->enc == NFB__ENC_UTF8) return sink(ctx, p, n);
    if (t->enc != NFB__ENC_UNKNOWN) {
        int rc = convert(t, p, n, sink, ctx);
        return rc ? rc : flush(t, sink, ctx);
    }
    size_t before = t->nheld, i = 0;
    nfb__encoding enc = NFB__ENC_UNKNOWN;
    size_t mark = 0;
    while (i < n && enc == NFB__ENC_UNKNOWN) {
        t->held[t->nheld++] = p[i++];
        enc = decide(t->held, t->nheld, 0, &mark);
    }
    if (enc == NFB__ENC_UNKNOWN) return 0;
    return start(t, enc, mark, before, p, n, sink, ctx);
}

int nfb__transcode_passing(const nfb__transcode *t)
{
    return t->enc == NFB__ENC_UTF8 && t->nheld == 0 && !t->done;
}

int nfb__transcode_finish(nfb__transcode *t, nfb__bytes_sink sink, void *ctx)
{
    if (t->done) return 0;
    int rc = 0;
    if (t->enc == NFB__ENC_UNKNOWN) {
        if (t->nheld == 0) return 0;
        size_t mark;
        nfb__encoding enc = decide(t->held, t->nheld, 1, &mark);
        size_t before = t->nheld;
        rc = start(t, enc, mark, before, NULL, 0, sink, ctx);
        if (rc != 0 || t->done) return rc;
    }
    if (t->enc == NFB__ENC_UTF8) return 0;
    const char *name = enc_names[t->enc];
    if (t->high) {
        uint32_t high = t->high;
        t->high = 0;
        rc = bad(t, sink, ctx,
                 "expected %s text, found a lone surrogate 0x%04X at byte "
                 "%llu of the input (the input ends after it); read as U+FFFD",
                 name, (unsigned)high, (unsigned long long)t->high_off);
        if (rc != 0) return rc;
    }
    if (t->nheld) {
        t->nheld = 0;
        rc = bad(t, sink, ctx,
                 "expected the rest of a %s code unit, found the end of the "
                 "input at byte %llu; read as U+FFFD",
                 name, (unsigned long long)t->in_off);
        if (rc != 0) return rc;
    }
    return flush(t, sink, ctx);
}
