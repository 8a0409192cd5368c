/* The JSON front end: owns the yajl handle, feeds it the input one line at
 * a time, keeps track of positions, and turns yajl's tokens into decoder
 * events. Nothing else touches yajl's parser.
 *
 * Input is split at newlines before it reaches yajl. That costs one memchr
 * per line and buys three things: every diagnostic knows its line without a
 * second pass; a syntax error can resume at the next line that starts a
 * document, so one bad line of a newline-delimited stream costs only that
 * line; and a line cut short is told apart from the good line after it. */
#include <stdio.h>
#include <stdlib.h>
#include <yajl/yajl_parse.h>

#include "decode.h"

/* ---- yajl callbacks ---------------------------------------------------- */

static int token_too_long(nfb_reader *r);

/* Every token updates the position of its end, from which a diagnostic can
 * find its start (see nfb__token_pos). A token longer than max_string (and
 * its quotes) is refused here as it is when it is cut at the end of a
 * segment (parse_segment), so that where the input is split does not
 * matter. Returns 0 to cancel the parse. */
static inline int tok(nfb_reader *r)
{
    r->tok_prev_end = r->tok_end;
    r->tok_end = r->seg_base + yajl_get_bytes_consumed(r->yajl);
    r->seg_tokens++;
    return r->tok_end - r->tok_prev_end <= r->cfg.max_string + 2 ||
           !token_too_long(r);
}

#define R ((nfb_reader *)ctx)
static int cb_null(void *ctx)
{
    return tok(R) && nfb__dec_null(R);
}
static int cb_bool(void *ctx, int v)
{
    return tok(R) && nfb__dec_bool(R, v);
}
static int cb_number(void *ctx, const char *s, size_t len)
{
    return tok(R) && nfb__dec_number(R, s, len);
}
static int cb_string(void *ctx, const unsigned char *s, size_t len)
{
    return tok(R) && nfb__dec_string(R, s, len);
}
static int cb_map_start(void *ctx)
{
    (void)tok(R); /* one byte long */
    return nfb__dec_map_start(R);
}
static int cb_map_key(void *ctx, const unsigned char *s, size_t len)
{
    return tok(R) && nfb__dec_map_key(R, s, len);
}
static int cb_map_end(void *ctx)
{
    (void)tok(R); /* one byte long */
    return nfb__dec_map_end(R);
}
static int cb_array_start(void *ctx)
{
    (void)tok(R); /* one byte long */
    return nfb__dec_array_start(R);
}
static int cb_array_end(void *ctx)
{
    (void)tok(R); /* one byte long */
    return nfb__dec_array_end(R);
}
#undef R

static const yajl_callbacks callbacks = {
    cb_null,    cb_bool,        NULL /* integer */, NULL /* double */,
    cb_number,  cb_string,      cb_map_start,       cb_map_key,
    cb_map_end, cb_array_start, cb_array_end};

/* ---- positions --------------------------------------------------------- */

static int is_gap(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ',' ||
           c == ':';
}

nfb__pos nfb__pos_at(const nfb_reader *r, uint64_t off)
{
    /* Tokens hold no newline, so a token's start is on the current line. */
    nfb__pos p = {off, r->line, off - r->line_start + 1};
    if (off < r->line_start) { /* only for the end of a finished line */
        p.line = r->line - 1;
        p.column = off - r->prev_line_start + 1;
    }
    return p;
}

nfb__pos nfb__end_pos(const nfb_reader *r)
{
    return nfb__pos_at(r, r->abs);
}

/* The start of the current token: the first byte after the previous token
 * that is not white space, ',' or ':'. Those bytes are in the current
 * segment, or were found when an earlier segment ended (pending_start). */
nfb__pos nfb__token_pos(nfb_reader *r)
{
    uint64_t from = r->tok_prev_end;
    if (r->has_pending && r->pending_start >= from)
        return nfb__pos_at(r, r->pending_start);
    if (from < r->seg_base) from = r->seg_base;
    while (from < r->tok_end && is_gap(r->seg[from - r->seg_base]))
        from++;
    return nfb__pos_at(r, from);
}

/* After a segment is parsed: where a token cut at its end begins, and its
 * first byte and the segment's last one (syntax_error may need them once
 * the segment's buffer is gone). */
static void note_pending(nfb_reader *r)
{
    uint64_t from = r->tok_end;
    uint64_t end = r->seg_base + r->seg_len;
    r->seg_last = r->seg[r->seg_len - 1];
    if (r->has_pending && r->pending_start >= from) return;
    if (from < r->seg_base) from = r->seg_base;
    while (from < end && is_gap(r->seg[from - r->seg_base]))
        from++;
    r->has_pending = from < end;
    r->pending_start = from;
    if (r->has_pending) r->pending_byte = r->seg[from - r->seg_base];
}

#define TOKEN_LIMIT_FMT                                                        \
    "expected a token of at most %zu bytes, found a longer one; the rest of "  \
    "the document is skipped"

/* A token longer than max_string: the document is dropped. Returns 1. */
static int token_too_long(nfb_reader *r)
{
    nfb__pos p = nfb__token_pos(r);
    if (r->tok_end - p.offset <= r->cfg.max_string + 2) return 0;
    nfb__report(r, NFB_ERROR, NFB_CODE_LIMIT, "", p, TOKEN_LIMIT_FMT,
                r->cfg.max_string);
    r->cancel = 1;
    return 1;
}

/* ---- diagnostics ------------------------------------------------------- */

int nfb__report(nfb_reader *r, nfb_severity sev, nfb_code code,
                const char *path, nfb__pos pos, const char *fmt, ...)
{
    /* Once a callback has asked to stop, no callback is called again:
     * callers that report several problems in a row (missing fields,
     * lints) need not check after each one. */
    if (r->stopped) return 0;
    if (sev == NFB_ERROR)
        r->stats.errors++, r->input_errors++;
    else
        r->stats.warnings++;
    if (r->doc_diags > r->cfg.max_diags) return 1;
    nfb_diag d = {sev,      code,       r->name,          r->doc, pos.offset,
                  pos.line, pos.column, path ? path : "", r->msg};
    char msg[sizeof r->msg];
    if (++r->doc_diags > r->cfg.max_diags) {
        d.severity = NFB_WARNING;
        d.code = NFB_CODE_LIMIT;
        d.path = "";
        snprintf(msg, sizeof msg,
                 "expected at most %zu diagnostics per document, found more; "
                 "the rest of this document's are not shown",
                 r->cfg.max_diags);
    } else {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
    }
    d.message = msg;
    if (r->cfg.on_diag && r->cfg.on_diag(r->cfg.ctx, &d) != 0) {
        r->stopped = 1;
        return 0;
    }
    return 1;
}

/* ---- escape scan ------------------------------------------------------- */

static int hex4(const unsigned char *s)
{
    int v = 0;
    for (int i = 0; i < 4; i++) {
        int c = s[i], d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            return -1;
        v = v * 16 + d;
    }
    return v;
}

/* The length of the escape at s[0] == '\\' (2, 6 or 12), or 0 when more
 * bytes are needed to tell. *bad is set for a surrogate escape that is not
 * half of a pair. */
static size_t escape_len(const unsigned char *s, size_t n, int *bad)
{
    *bad = 0;
    if (n < 2) return 0;
    if (s[1] != 'u') return 2;
    if (n < 6) return 0;
    int hi = hex4(s + 2);
    if (hi < 0) return 2; /* a bad escape: yajl reports it */
    if (hi >= 0xDC00 && hi <= 0xDFFF) {
        *bad = 1;
        return 6;
    }
    if (hi < 0xD800 || hi > 0xDBFF) return 6;
    if ((n > 6 && s[6] != '\\') || (n > 7 && s[7] != 'u')) {
        *bad = 1;
        return 6;
    }
    if (n < 12) return 0;
    int lo = hex4(s + 8);
    if (lo >= 0xDC00 && lo <= 0xDFFF) return 12;
    *bad = 1;
    return 6;
}

/* The queue never fills: a segment of at most NFB__SEG_MAX bytes holds at
 * most one bad escape per 6 bytes, and after each segment only the first
 * escape of the one unfinished string is kept (collapse_bad_escapes). */
static void bad_escape(nfb_reader *r, uint64_t off)
{
    r->bad_esc[(r->bad_esc_head + r->bad_esc_n++) % NFB__BAD_ESC_MAX] = off;
}

/* After a segment is parsed, every finished string has taken its escapes:
 * those left belong to the one string still open, which is reported once,
 * at its first. */
static void collapse_bad_escapes(nfb_reader *r)
{
    if (r->bad_esc_n > 1) r->bad_esc_n = 1;
}

/* Finds surrogate escapes that are not pairs in seg, carrying an escape cut
 * at the end to the next segment. Backslashes outside strings are syntax
 * errors that yajl reports, so every backslash seen here starts an escape
 * unless it is the escaped character of the escape before it. */
static void scan_escapes(nfb_reader *r, const unsigned char *p, size_t n)
{
    size_t i = 0;
    int bad;
    if (r->esc_n) {
        unsigned char t[24];
        size_t cn = r->esc_n, take = n < 12 ? n : 12, k = 0;
        memcpy(t, r->esc, cn);
        memcpy(t + cn, p, take);
        r->esc_n = 0;
        while (k < cn) {
            if (t[k] != '\\') {
                k++;
                continue;
            }
            size_t el = escape_len(t + k, cn + take - k, &bad);
            if (!el) { /* still cut: all of p is in t */
                r->esc_n = cn + take - k;
                memcpy(r->esc, t + k, r->esc_n);
                r->esc_off += k;
                return;
            }
            if (bad) bad_escape(r, r->esc_off + k);
            k += el;
        }
        i = k - cn;
    }
    while (i < n) {
        const unsigned char *q = memchr(p + i, '\\', n - i);
        if (!q) break;
        size_t j = (size_t)(q - p);
        size_t el = escape_len(p + j, n - j, &bad);
        if (!el) {
            r->esc_n = n - j;
            memcpy(r->esc, p + j, r->esc_n);
            r->esc_off = r->seg_base + j;
            break;
        }
        if (bad) bad_escape(r, r->seg_base + j);
        i = j + el;
    }
}

size_t nfb__take_bad_escapes(nfb_reader *r, uint64_t end, uint64_t *first)
{
    size_t n = 0;
    while (r->bad_esc_n && r->bad_esc[r->bad_esc_head] < end) {
        if (n == 0) *first = r->bad_esc[r->bad_esc_head];
        r->bad_esc_head = (r->bad_esc_head + 1) % NFB__BAD_ESC_MAX;
        r->bad_esc_n--;
        n++;
    }
    return n;
}

/* ---- parser lifetime --------------------------------------------------- */

/* A fresh yajl handle: after an error yajl's handle is spent. */
static int parser_reset(nfb_reader *r)
{
    if (r->yajl) yajl_free(r->yajl);
    /* yajl gets the C library's allocator, not the user's: it does not
     * check its allocations, so a user allocator that refuses one would
     * crash it. Its buffers stay small through max_string and max_depth. */
    r->yajl = yajl_alloc(&callbacks, NULL, r);
    if (!r->yajl) {
        r->failed = 1;
        return 0;
    }
    /* Strings are checked as strict UTF-8 by the decoder, which yajl's own
     * check is not; checking twice would only cost time. */
    yajl_config(r->yajl, yajl_allow_multiple_values, 1);
    yajl_config(r->yajl, yajl_dont_validate_strings, 1);
    nfb__dec_reset(r);
    r->has_pending = 0;
    r->esc_n = 0;
    r->bad_esc_n = 0;
    r->cancel = 0;
    r->tok_end = r->tok_prev_end = r->abs;
    return 1;
}

void nfb_reader_config_init(nfb_reader_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->max_depth = 64;
    cfg->max_string = 1u << 20;
    cfg->max_record = 4u << 20;
    cfg->max_diags = 100;
}

nfb_reader *nfb_reader_new(const nfb_reader_config *cfg)
{
    nfb_allocator a;
    if (!cfg || !cfg->max_depth || !cfg->max_string || !cfg->max_record ||
        !cfg->max_diags || cfg->max_depth > 100000 ||
        nfb__allocator_init(&a, cfg->allocator) != 0)
        return NULL;
    nfb_reader *r = nfb__malloc(&a, sizeof *r);
    if (!r) return NULL;
    memset(r, 0, sizeof *r);
    r->alloc = a;
    r->cfg = *cfg;
    r->cfg.allocator = NULL;
    nfb__arena_init(&r->arena, &r->alloc, cfg->max_record);
    r->frames =
        nfb__malloc(&r->alloc, (cfg->max_depth + 1) * sizeof *r->frames);
    if (!r->frames || !parser_reset(r)) {
        nfb_reader_free(r);
        return NULL;
    }
    return r;
}

void nfb_reader_free(nfb_reader *r)
{
    if (!r) return;
    if (r->yajl) yajl_free(r->yajl);
    nfb__arena_free(&r->arena);
    nfb__free(&r->alloc, r->frames);
    nfb__free(&r->alloc, r->name);
    nfb_allocator a = r->alloc;
    nfb__free(&a, r);
}

void nfb_reader_stats_get(const nfb_reader *r, nfb_reader_stats *out)
{
    *out = r->stats;
}

nfb_result nfb_reader_begin(nfb_reader *r, const char *name)
{
    if (r->failed) return NFB_ENOMEM;
    if (!name) name = "<input>";
    size_t n = strlen(name) + 1;
    char *copy = nfb__malloc(&r->alloc, n);
    if (!copy) return NFB_ENOMEM;
    memcpy(copy, name, n);
    nfb__free(&r->alloc, r->name);
    r->name = copy;
    r->abs = 0;
    r->line = 1;
    r->line_start = r->prev_line_start = 0;
    r->bom = 0;
    r->skipping = 0;
    r->stopped = 0;
    r->doc = 0;
    r->doc_diags = 0;
    r->input_errors = 0;
    r->ndjson = -1;
    r->begun = 1;
    if (!parser_reset(r)) return NFB_ENOMEM;
    return NFB_OK;
}

/* ---- feeding ----------------------------------------------------------- */

static void advance(nfb_reader *r, size_t n, int newline)
{
    r->abs += n;
    if (newline) {
        r->line++;
        r->prev_line_start = r->line_start;
        r->line_start = r->abs;
    }
}

static int is_white(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Where a syntax error is, the same however the input was split. After an
 * error yajl's bytes consumed (counted in the current chunk) is the
 * offending byte for a lexical error, as yajl backs up to it, except for a
 * byte that starts no token, which it has consumed; and just past the
 * offending token for a parse error, which can end the chunk before (a
 * number, ended by the first byte of this one). The exception is "after
 * key and value", where yajl backs up by the token's length but only
 * within the current chunk: there the offending token is taken as the
 * first byte that is not white space after the value before it. */
static uint64_t syntax_error_at(nfb_reader *r, const char *e, unsigned char *c)
{
    uint64_t end = r->seg_base + r->seg_len, at;
    if (e && strstr(e, "after key and value")) {
        if (r->has_pending && r->pending_start >= r->tok_end) {
            *c = r->pending_byte;
            return r->pending_start;
        }
        at = r->tok_end > r->seg_base ? r->tok_end : r->seg_base;
        while (at < end && is_white(r->seg[at - r->seg_base]))
            at++;
    } else {
        size_t consumed = yajl_get_bytes_consumed(r->yajl);
        int backed_up = e && strncmp(e, "lexical", 7) == 0 &&
                        !strstr(e, "invalid char in json text");
        at = r->seg_base + consumed;
        if (!backed_up && at > 0) at--;
        if (at < r->seg_base) {
            *c = r->seg_last;
            return at;
        }
    }
    if (at >= end) at = end > r->seg_base ? end - 1 : r->seg_base;
    *c = at < end ? r->seg[at - r->seg_base] : 0;
    return at;
}

/* A syntax error from yajl in the current segment. Returns 1 when the
 * segment is to be parsed again (the error only showed that the line
 * before was cut short). */
/* A syntax error at offset at inside a token that began more than
 * max_string + 2 bytes before it: reported as the token limit, at the
 * token's start, exactly as when a chunk ends inside that token after as
 * many bytes (parse_segment), so that where the input is split does not
 * change the diagnostic. Returns 1 when it reported. */
static int long_token_error(nfb_reader *r, uint64_t at)
{
    uint64_t from = r->tok_end;
    if (r->has_pending && r->pending_start >= from) {
        from = r->pending_start;
    } else {
        if (from < r->seg_base) from = r->seg_base;
        while (from < at && is_gap(r->seg[from - r->seg_base]))
            from++;
    }
    if (from >= at || at - from <= r->cfg.max_string + 2) return 0;
    nfb__report(r, NFB_ERROR, NFB_CODE_LIMIT, "", nfb__pos_at(r, from),
                TOKEN_LIMIT_FMT, r->cfg.max_string);
    return 1;
}

static int syntax_error(nfb_reader *r, int open_before)
{
    unsigned char *yerr = yajl_get_error(r->yajl, 0, NULL, 0);
    unsigned char c;
    uint64_t at_abs = syntax_error_at(r, (const char *)yerr, &c);

    /* A document still open when a line starts with '{' or '[' that is
     * refused at once: the previous line was cut short. Report that line
     * and parse this one afresh, so that the good line after a truncated
     * one is kept. */
    if (open_before && r->seg_tokens == 0 && r->seg_base == r->line_start &&
        r->line > 1 && (r->seg[0] == '{' || r->seg[0] == '[') &&
        at_abs == r->seg_base) {
        nfb__report(r, NFB_ERROR, NFB_CODE_SYNTAX, "",
                    nfb__pos_at(r, r->line_start - 1),
                    "expected the rest of the document, found the end of "
                    "the line (the line is cut short)");
        if (yerr) yajl_free_error(r->yajl, yerr);
        return 1;
    }

    if (long_token_error(r, at_abs)) {
        if (yerr) yajl_free_error(r->yajl, yerr);
        return 0;
    }

    char what[200];
    const char *e = (const char *)yerr;
    if (e) {
        const char *colon = strstr(e, "error: ");
        if (colon) e = colon + 7;
    }
    snprintf(what, sizeof what, "%s", e ? e : "invalid JSON");
    size_t wl = strlen(what);
    while (wl &&
           (what[wl - 1] == '\n' || what[wl - 1] == '.' || what[wl - 1] == ' '))
        what[--wl] = 0;
    if (yerr) yajl_free_error(r->yajl, yerr);

    char found[32];
    if (c >= 0x21 && c < 0x7f)
        snprintf(found, sizeof found, "'%c'", c);
    else if (c == '\n')
        snprintf(found, sizeof found, "the end of the line");
    else
        snprintf(found, sizeof found, "byte 0x%02x", c);
    nfb__report(r, NFB_ERROR, NFB_CODE_SYNTAX, "", nfb__pos_at(r, at_abs),
                "invalid JSON: %s, found %s", what, found);
    return 0;
}

/* At the end of a line. An input whose first document began and ended on
 * one line is taken as one document per line (NDJSON): there a document
 * still open at the end of its line was cut short, and is reported on that
 * line rather than when the next line fails to continue it. Returns 1 when
 * the open document is to be dropped. */
static int line_ended(nfb_reader *r)
{
    if (!nfb__dec_open(r)) {
        if (r->ndjson < 0 && r->doc > 0 && r->doc_line == r->line)
            r->ndjson = 1;
        return 0;
    }
    if (r->ndjson != 1) {
        r->ndjson = 0;
        return 0;
    }
    nfb__report(r, NFB_ERROR, NFB_CODE_SYNTAX, "",
                nfb__pos_at(r, r->seg_base + r->seg_len - 1),
                "expected the rest of the document, found the end of the "
                "line (the line is cut short)");
    return 1;
}

/* Parses one segment: a line, or the part of one inside the chunk. */
static nfb_result parse_segment(nfb_reader *r, const unsigned char *p, size_t n)
{
    for (;;) {
        r->seg = p;
        r->seg_len = n;
        r->seg_base = r->abs;
        r->seg_tokens = 0;
        int open_before = nfb__dec_open(r) || r->has_pending;

        /* Form feed and vertical tab are white space to yajl but not to
         * RFC 8259, and no valid JSON text holds them raw. */
        size_t len = n;
        const unsigned char *ff = memchr(p, 0x0c, n);
        const unsigned char *vt = memchr(p, 0x0b, ff ? (size_t)(ff - p) : n);
        const unsigned char *bad = vt ? vt : ff;
        if (bad) len = (size_t)(bad - p);

        scan_escapes(r, p, len);
        yajl_status st = yajl_parse(r->yajl, p, len);
        if (st == yajl_status_ok) collapse_bad_escapes(r);
        if (st == yajl_status_ok && bad && long_token_error(r, r->abs + len)) {
            st = yajl_status_error;
        } else if (st == yajl_status_ok && bad) {
            nfb__report(r, NFB_ERROR, NFB_CODE_SYNTAX, "",
                        nfb__pos_at(r, r->seg_base + len),
                        "invalid JSON: expected a token or JSON white space, "
                        "found a %s (byte 0x%02x)",
                        *bad == 0x0c ? "form feed" : "vertical tab", *bad);
            st = yajl_status_error;
        } else if (st == yajl_status_ok && p[n - 1] == '\n' && line_ended(r)) {
            /* a document cut short at the end of its line: dropped */
            if (r->stopped) return NFB_STOPPED;
            return parser_reset(r) ? NFB_OK : NFB_ENOMEM;
        } else if (st == yajl_status_ok) {
            note_pending(r);
            if (r->has_pending &&
                r->seg_base + n - r->pending_start > r->cfg.max_string + 2) {
                nfb__report(r, NFB_ERROR, NFB_CODE_LIMIT, "",
                            nfb__pos_at(r, r->pending_start), TOKEN_LIMIT_FMT,
                            r->cfg.max_string);
                st = yajl_status_error;
            } else {
                return NFB_OK;
            }
        } else if (st == yajl_status_client_canceled) {
            if (r->failed) return NFB_ENOMEM;
            if (r->stopped) return NFB_STOPPED;
        } else if (syntax_error(r, open_before)) {
            if (r->stopped) return NFB_STOPPED;
            if (!parser_reset(r)) return NFB_ENOMEM;
            continue; /* parse this line afresh */
        }
        if (r->stopped) return NFB_STOPPED;
        if (r->failed) return NFB_ENOMEM;
        /* Resynchronise: drop the rest of this line and every line up to
         * one that starts a document. */
        if (!parser_reset(r)) return NFB_ENOMEM;
        r->skipping = 1;
        r->at_line_start = 0;
        return NFB_OK;
    }
}

static nfb_result feed_data(nfb_reader *r, const unsigned char *p, size_t len)
{
    r->stats.bytes += len;
    while (len) {
        if (r->skipping) {
            if (r->at_line_start && (p[0] == '{' || p[0] == '[')) {
                r->skipping = 0;
                if (!parser_reset(r)) return NFB_ENOMEM;
                continue;
            }
            r->at_line_start = 0;
            const unsigned char *nl = memchr(p, '\n', len);
            size_t n = nl ? (size_t)(nl - p) + 1 : len;
            advance(r, n, nl != NULL);
            r->at_line_start = nl != NULL;
            p += n, len -= n;
            continue;
        }
        const unsigned char *nl = memchr(p, '\n', len);
        size_t n = nl ? (size_t)(nl - p) + 1 : len;
        if (n > NFB__SEG_MAX) n = NFB__SEG_MAX, nl = NULL;
        nfb_result res = parse_segment(r, p, n);
        int skipped = r->skipping;
        advance(r, n, nl != NULL);
        if (skipped) r->at_line_start = nl != NULL;
        if (res != NFB_OK) return res;
        p += n, len -= n;
    }
    return NFB_OK;
}

static const unsigned char bom[3] = {0xEF, 0xBB, 0xBF};

nfb_result nfb_reader_feed(nfb_reader *r, const void *buf, size_t len)
{
    if (r->failed) return NFB_ENOMEM;
    if (r->stopped) return NFB_ESTATE;
    if (!r->begun) {
        nfb_result res = nfb_reader_begin(r, NULL);
        if (res != NFB_OK) return res;
    }
    const unsigned char *p = buf;
    /* A UTF-8 byte order mark at the start of an input is skipped. */
    while (r->bom >= 0 && len) {
        if (p[0] == bom[r->bom]) {
            p++, len--;
            if (++r->bom == 3) r->bom = -1;
            continue;
        }
        int matched = r->bom;
        r->bom = -1;
        if (matched) {
            nfb_result res = feed_data(r, bom, (size_t)matched);
            if (res != NFB_OK) return res;
        }
    }
    return len ? feed_data(r, p, len) : NFB_OK;
}

nfb_result nfb_reader_finish(nfb_reader *r)
{
    if (r->failed) return NFB_ENOMEM;
    if (r->stopped) return NFB_ESTATE;
    if (!r->begun) return NFB_OK;
    nfb_result res = NFB_OK;
    if (r->bom > 0) {
        int matched = r->bom;
        r->bom = -1;
        res = feed_data(r, bom, (size_t)matched);
        if (res != NFB_OK) return res;
    }
    if (!r->skipping && (nfb__dec_open(r) || r->has_pending)) {
        /* The segment for positions is the (empty) end of the input. */
        r->seg = (const unsigned char *)"";
        r->seg_len = 0;
        r->seg_base = r->abs;
        yajl_status st = yajl_complete_parse(r->yajl);
        if (st == yajl_status_client_canceled) {
            if (r->failed) return NFB_ENOMEM;
            if (r->stopped) return NFB_STOPPED;
        } else if (st != yajl_status_ok || nfb__dec_open(r)) {
            nfb__report(r, NFB_ERROR, NFB_CODE_SYNTAX, "", nfb__end_pos(r),
                        "expected the rest of the document, found the end "
                        "of the input");
        }
        if (r->stopped) res = NFB_STOPPED;
    }
    if (r->doc == 0 && r->input_errors == 0 && !r->stopped) {
        nfb__pos pos = nfb__end_pos(r);
        nfb__report(r, NFB_WARNING, NFB_CODE_SYNTAX, "", pos,
                    "expected at least one JSON document, found none");
    }
    r->begun = 0;
    if (!parser_reset(r)) return NFB_ENOMEM;
    return r->stopped ? NFB_STOPPED : res;
}
