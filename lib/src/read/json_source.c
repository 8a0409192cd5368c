/* The JSON front end: owns the yajl handle, feeds it the input in
 * segments of up to SEG_MAX bytes, keeps track of positions, turns yajl's
 * tokens into decoder events, and finds the next document after damage.
 * Nothing else touches yajl's parser.
 *
 * Positions are byte offsets; lines and columns are worked out only when
 * a position is asked for (a diagnostic, or the decoder storing where an
 * object begins): the newlines of the segment are counted up to it, each
 * once, over the whole gap at a time (count_newlines: 64 bytes a step),
 * and only the last line start or two are looked for, backwards from it;
 * so a segment of many lines costs one yajl_parse call and about nothing
 * more. After damage, the bytes up
 * to where a document may start are scanned line by line, so that a line
 * that starts afresh is parsed on its own and a line cut short is told
 * apart from the good line after it.
 *
 * After damage, reading goes on where a document can start:
 * - a syntax error at a '{' or '[' (a document cut short and the next one
 *   right after it) resumes at that byte;
 * - any other syntax error skips to the next '{' or '['; when the damage
 *   is on one line (a bad line of a newline-delimited stream, or garbage
 *   between documents) the next line is also parsed on its own, so that
 *   each stretch of garbage gets its own diagnostic;
 * - a document the decoder drops (a limit) is skipped to its end by
 *   counting brackets outside strings, at constant cost per byte;
 * - a document cut short and followed by the next one where a value was
 *   due (`"name":{"data":...`, `"config":[{"id":...`) is found by the
 *   decoder from the schema (decode.h, watch), and parsed again from its
 *   '{' or '['.
 *
 * Long tokens. yajl keeps the bytes of a token cut at the end of a
 * yajl_parse call and lexes all of them again, from the token's start, on
 * the next call. Fed in segments of SEG_MAX bytes, a token of n bytes
 * would cost n^2 / (2 SEG_MAX) bytes lexed: minutes for 100 MB. So once a
 * token cut at a segment's end is GATHER_MIN bytes long, its next bytes
 * are held here (across chunks) and handed to yajl only when there are as
 * many as yajl keeps of it already (at least SEG_MAX), or when the token
 * ends: each call at least doubles what yajl keeps, and all the calls for
 * the token lex about 3n bytes (4n for a number, lexed once more with the
 * byte that ends it). Only bytes that continue the token
 * without an error are held (a string's text and escapes, a number's
 * digits), up to the string's closing quote and never past the string
 * limit; the byte that ends it goes to yajl in the usual way. yajl sees
 * the same bytes cut at other places, so that nothing it reports
 * changes.
 *
 * Memory. yajl does not check its allocations: a NULL from malloc is a
 * crash (a memcpy to NULL). It gets allocation functions of its own
 * (ya_malloc...) that use the C library and, when that fails, hand out a
 * block of a reserve set aside at the start (the reserve: a few small
 * blocks, one for the state stack, two for the buffers) and mark the
 * reader failed: the decoder's callbacks then cancel the parse, and
 * reading ends with NFB_ENOMEM. The reserve is enough for what yajl can
 * ask for before it is cancelled: its buffers grow only with the longest
 * token (its lexer's copy of a cut token, and the decoded text of a
 * string with escapes), a token reaches yajl whole only up to about
 * SEG_MAX bytes, and a longer one only through the held pieces; before
 * each, the memory yajl may ask for while lexing it is allocated
 * (yajl_room) and kept for yajl until the piece is parsed, so that
 * another thread cannot take it in between. When that fails the input is
 * not fed and reading ends with NFB_ENOMEM. (The failing allocations
 * cannot be made to fail cleanly inside yajl: yajl would have to unwind,
 * and a longjmp out of it would leave the handle and the decoder
 * half-updated.) */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <yajl/yajl_parse.h>

#include "decode.h"
#include "json_source.h"

/* ---- white space ----------------------------------------------------- *
 *
 * yajl's lexer takes about 20 instructions a byte of white space, so the
 * indentation of pretty-printed JSON (`jq .`, the layout of the Northflank
 * CLI's -o json) costs about as much as its tokens. A segment whose first
 * newlines are followed by spaces is fed to yajl as a copy without the
 * spaces that follow each newline, made 16 bytes at a time. The newline
 * stays, so tokens stay apart, and a raw newline inside a string is still
 * refused at the same byte: a valid text has none, so no string loses a
 * byte. The offsets yajl gives (a string's place in the copy, the bytes it
 * consumed) are turned back into the input's by fed_off; everything else
 * reads the input itself. */

/* The offset in the input of byte off of what yajl was fed (off at most
 * in_len): a load, and no test. */
static NFB_ALWAYS_INLINE uint64_t fed_off(const nfb__json *j, size_t off)
{
    return j->seg_base + off + j->sq_gone[off & j->sq_mask];
}

/* The input's offset of token end x (tok_end, tok_prev_end or one of
 * them less one). While yajl runs on the copy, the callbacks note token
 * ends as offsets of the copy, at no cost, and they are turned into the
 * input's only where one is read: here. */
static inline uint64_t tok_in(const nfb__json *j, uint64_t x)
{
    if (!j->tok_fed || x < j->seg_base) return x;
    return fed_off(j, (size_t)(x - j->seg_base));
}

/* After yajl_parse: the token ends are the input's again. */
static void tok_settle(nfb__json *j)
{
    if (!j->tok_fed) return;
    j->tok_end = tok_in(j, j->tok_end);
    j->tok_prev_end = tok_in(j, j->tok_prev_end);
    j->tok_fed = 0;
}

/* yajl is fed p[0..n) as it is. */
static void feed_as_is(nfb__json *j, const unsigned char *p, size_t n)
{
    j->in = p;
    j->in_len = n;
    j->sq_zero = 0;
    j->sq_gone = &j->sq_zero;
    j->sq_mask = 0;
    j->tok_fed = 0;
}

#if defined(NFB_HAVE_VECTORS) && defined(__SSE2__)
#include <emmintrin.h>
#define NFB_SQUEEZE 1

/* Is one of the first four newlines of p[0..n) followed by a space? Pretty
 * JSON's are nearly all; a stream of one-line documents has none, and
 * then costs this look only. */
static int indented(const unsigned char *p, size_t n)
{
    const unsigned char *e = p + n;
    for (int k = 0; k < 4; k++) {
        const unsigned char *nl = memchr(p, '\n', (size_t)(e - p));
        if (!nl || e - nl < 2) return 0;
        if (nl[1] == ' ') return 1;
        p = nl + 1;
    }
    return 0;
}

/* Copies p[0..n) (n <= NFB__SQ_MAX) to j->sq without the spaces after its
 * newlines, with the table of how many were taken out before each byte,
 * and feeds yajl the copy. 16 bytes at a time while 32 are left: up to
 * the next newline, and the spaces after it (at most 16 of them: the rest
 * are copied), the table's 16 entries written with one count and those
 * past the newline written again the next time; then a byte at a time.
 * The copy is never ahead of p, so its writes stay in NFB__SQ_MAX. */
static void squeeze(nfb__json *j, const unsigned char *p, size_t n)
{
    unsigned char *o = j->sq;
    uint16_t *t = j->sq_table;
    size_t i = 0, w = 0;
    unsigned gone = 0;
    const __m128i nl = _mm_set1_epi8('\n'), sp = _mm_set1_epi8(' ');
    __m128i g = _mm_setzero_si128();
    while (n - i >= 32) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
        _mm_storeu_si128((__m128i *)(void *)(o + w), v);
        _mm_storeu_si128((__m128i *)(void *)(t + w), g);
        _mm_storeu_si128((__m128i *)(void *)(t + w + 8), g);
        unsigned m = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, nl));
        if (!m) {
            i += 16, w += 16;
            continue;
        }
        size_t k = (size_t)__builtin_ctz(m) + 1;
        i += k, w += k;
        __m128i u = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
        unsigned s = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(u, sp));
        size_t c = (size_t)__builtin_ctz(~s); /* up to 16 */
        if (c) {
            i += c;
            gone += (unsigned)c;
            g = _mm_set1_epi16((short)gone);
        }
    }
    while (i < n) {
        unsigned char b = p[i++];
        t[w] = (uint16_t)gone;
        o[w++] = b;
        if (b != '\n') continue;
        while (i < n && p[i] == ' ')
            i++, gone++;
    }
    t[w] = (uint16_t)gone; /* for the offset just past the end */
    j->in = o;
    j->in_len = w;
    j->sq_gone = t;
    j->sq_mask = SIZE_MAX;
    j->tok_fed = 1;
}

/* Makes the copy's memory, the first time. 0 when there is none. */
static int squeeze_room(nfb__json *j)
{
    if (j->sq) return 1;
    j->sq = nfb__malloc(j->alloc, NFB__SQ_MAX);
    j->sq_table =
        nfb__malloc(j->alloc, (NFB__SQ_MAX + 16) * sizeof *j->sq_table);
    if (j->sq && j->sq_table) return 1;
    nfb__free(j->alloc, j->sq);
    nfb__free(j->alloc, j->sq_table);
    j->sq = NULL;
    j->sq_table = NULL;
    return 0;
}
#endif

/* Sets what yajl is fed for the segment p[0..n): the copy when p looks
 * indented (and the copy's memory can be had), else p. Without SSE2 the
 * copy would cost more than it saves: p. */
static void feed_white(nfb__json *j, const unsigned char *p, size_t n)
{
#if defined(NFB_SQUEEZE)
    if (n >= 32 && n <= NFB__SQ_MAX && indented(p, n) && squeeze_room(j)) {
        squeeze(j, p, n);
        return;
    }
#endif
    feed_as_is(j, p, n);
}

/* ---- positions --------------------------------------------------------- */

static int is_gap(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ',' ||
           c == ':';
}

static int is_white(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* The line an offset is on, where it starts, and where the line before
 * starts. */
typedef struct line_info {
    uint64_t line, start, prev_start;
} line_info;

/* Newlines are counted over the whole gap between two offsets at once,
 * and only the last one or two of them are looked for (from the far end,
 * backwards): a position needs its line's number and start and the start
 * of the line before, nothing of the lines between. */

/* The newlines of the 8 bytes of w, whatever their order: a byte XORed
 * with '\n' is 0 for a newline; (b & 0x7f) + 0x7f sets bit 7 of every
 * byte but 0 and 0x80 without a carry out of the byte, and | b adds
 * 0x80. */
static inline size_t newlines_in_word(uint64_t w)
{
    const uint64_t low7 = 0x7f7f7f7f7f7f7f7fu;
    uint64_t x = w ^ 0x0a0a0a0a0a0a0a0au;
    uint64_t zero = ~(((x & low7) + low7) | x) & ~low7; /* 0x80 a newline */
    return (size_t)(((zero >> 7) * 0x0101010101010101u) >> 56);
}

#if defined(NFB_HAVE_VECTORS)
typedef signed char nl_bytes_16 __attribute__((vector_size(16)));
/* Counters of bytes up to 255 (unsigned: a signed one stops at 127). */
typedef unsigned char nl_count_16 __attribute__((vector_size(16)));

/* The sum of the 16 byte counters of acc (each at most 255). */
static inline size_t sum_bytes_16(nl_count_16 acc)
{
    const uint64_t even = 0x00ff00ff00ff00ffu;
    uint64_t half[2];
    memcpy(half, &acc, sizeof half);
    size_t sum = 0;
    for (int i = 0; i < 2; i++) {
        uint64_t x = (half[i] & even) + ((half[i] >> 8) & even);
        sum += (size_t)((x * 0x0001000100010001u) >> 48);
    }
    return sum;
}
#endif

/* The newlines in p[0..n). With GNU vectors, 64 bytes a step: a
 * comparison is -1 in each byte that is a newline, and each byte of acc
 * counts those of its place, at most 4 a step, so that it is summed
 * before it can pass 255: after 63 steps, or at the end, after up to 3
 * more steps of 16 bytes. The rest (and all of it without vectors) 8
 * bytes at a time, then byte by byte. */
static size_t count_newlines(const unsigned char *p, size_t n)
{
    size_t count = 0;
#if defined(NFB_HAVE_VECTORS)
    while (n >= 16) {
        size_t steps = n / 64 < 63 ? n / 64 : 63;
        nl_bytes_16 v[4];
        nl_count_16 acc = {0};
        for (size_t s = 0; s < steps; s++, p += 64) {
            memcpy(v, p, sizeof v);
            acc -= (nl_count_16)((v[0] == '\n') + (v[1] == '\n') +
                                 (v[2] == '\n') + (v[3] == '\n'));
        }
        n -= steps * 64;
        if (n < 64)
            for (; n >= 16; p += 16, n -= 16) {
                memcpy(v, p, sizeof v[0]);
                acc -= (nl_count_16)(v[0] == '\n');
            }
        count += sum_bytes_16(acc);
    }
#endif
    for (; n >= 8; p += 8, n -= 8) {
        uint64_t w;
        memcpy(&w, p, sizeof w);
        count += newlines_in_word(w);
    }
    for (; n; p++, n--)
        count += *p == '\n';
    return count;
}

/* The last newline in p[0..n), or NULL: from the end, 16 bytes at a time
 * with GNU vectors (8 without), then byte by byte in those that hold one.
 * Lines are short next to a gap of many: this goes back one line. */
static const unsigned char *last_newline(const unsigned char *p, size_t n)
{
    const unsigned char *q = p + n;
#if defined(NFB_HAVE_VECTORS)
    for (; q - p >= 16; q -= 16) {
        nl_bytes_16 v;
        uint64_t half[2];
        memcpy(&v, q - 16, sizeof v);
        v = v == '\n';
        memcpy(half, &v, sizeof half);
        if (half[0] | half[1]) break;
    }
#else
    for (; q - p >= 8; q -= 8) {
        uint64_t w;
        memcpy(&w, q - 8, sizeof w);
        if (newlines_in_word(w)) break;
    }
#endif
    while (q > p)
        if (*--q == '\n') return q;
    return NULL;
}

/* Moves li, the line of offset from, on to offset off (from <= off, both
 * in the current segment): the last newline between them starts off's
 * line, the one before it (or li's start) the line before, and the
 * newlines before that are only counted. */
static line_info lines_between(const nfb__json *j, line_info li, uint64_t from,
                               uint64_t off)
{
    const unsigned char *a = j->seg + (from - j->seg_base);
    const unsigned char *nl = last_newline(a, (size_t)(off - from));
    if (!nl) return li;
    size_t before = (size_t)(nl - a);
    const unsigned char *prev = last_newline(a, before);
    li.prev_start = li.start;
    if (prev) {
        li.prev_start = j->seg_base + (uint64_t)(prev - j->seg) + 1;
        li.line += count_newlines(a, (size_t)(prev - a)) + 1;
    }
    li.line++;
    li.start = j->seg_base + (uint64_t)(nl - j->seg) + 1;
    return li;
}

/* Moves the line count on to offset off, or to lc_end (the segment's end;
 * outside a segment lc_off itself: nothing to count). */
static void count_lines_to(nfb__json *j, uint64_t off)
{
    if (off > j->lc_end) off = j->lc_end;
    if (off <= j->lc_off) return;
    line_info li = {j->line, j->line_start, j->prev_line_start};
    li = lines_between(j, li, j->lc_off, off);
    j->line = li.line;
    j->line_start = li.start;
    j->prev_line_start = li.prev_start;
    j->lc_off = off;
}

/* The line of offset off of the current segment, behind the count's line
 * (off < line_start): the newlines from off to there are counted back
 * from the count's line number, and off's line starts are found
 * backwards from off, or are those the segment began on. Offsets behind
 * are those the decoder keeps (resolve_kept) after a later one was asked
 * for, and diagnostics after damage: the count goes back only as far. */
static line_info line_behind(const nfb__json *j, uint64_t off)
{
    const unsigned char *at = j->seg + (off - j->seg_base);
    line_info li = {j->seg_line, j->seg_line_start, j->seg_prev_line_start};
    li.line = j->line - count_newlines(at, (size_t)(j->line_start - off));
    const unsigned char *nl = last_newline(j->seg, (size_t)(at - j->seg));
    if (!nl) return li;
    const unsigned char *prev = last_newline(j->seg, (size_t)(nl - j->seg));
    li.prev_start =
        prev ? j->seg_base + (uint64_t)(prev - j->seg) + 1 : li.start;
    li.start = j->seg_base + (uint64_t)(nl - j->seg) + 1;
    return li;
}

/* The line of offset off: the current segment's bytes up to it are
 * counted (once: the count moves on). An offset behind the count is on
 * its line, or found backwards from it (line_behind); one before the
 * segment is on the line the segment begins on, or the one before. */
static NFB_NOINLINE line_info line_at_slow(nfb__json *j, uint64_t off)
{
    if (off >= j->lc_off) count_lines_to(j, off);
    if (off >= j->line_start)
        return (line_info){j->line, j->line_start, j->prev_line_start};
    if (off < j->seg_base && off >= j->prev_line_start) /* the line before */
        return (line_info){j->line - 1, j->prev_line_start, j->prev_line_start};
    line_info li = {j->seg_line, j->seg_line_start, j->seg_prev_line_start};
    if (off < j->seg_base) {
        if (off < li.start)
            li = (line_info){li.line - 1, li.prev_start, li.prev_start};
        return li;
    }
    return line_behind(j, off);
}

static inline line_info line_at(nfb__json *j, uint64_t off)
{
    /* Counted up to off, or past it on its line: no newline between. */
    if (NFB_LIKELY(off >= j->line_start && off <= j->lc_off))
        return (line_info){j->line, j->line_start, j->prev_line_start};
    return line_at_slow(j, off);
}

/* Whether the bytes of the line of offset at, which is in the current
 * segment, before it are all white space. */
static int line_white_before(nfb__json *j, uint64_t at)
{
    line_info li = line_at(j, at);
    uint64_t from = li.start;
    if (from < j->seg_base) {
        if (!j->seg_line_white) return 0;
        from = j->seg_base;
    }
    for (uint64_t i = from; i < at; i++)
        if (!is_white(j->seg[i - j->seg_base])) return 0;
    return 1;
}

/* A byte of a number or a literal (true, false, null), or of the garbage
 * that yajl takes for one. */
static int is_word(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
           (c >= 'A' && c <= 'Z') || c == '+' || c == '-' || c == '.';
}

/* The position of offset off: in the current segment, or on the line it
 * begins on or the one before. */
static inline nfb__pos pos_at(nfb__json *j, uint64_t off)
{
    line_info li = line_at(j, off);
    return (nfb__pos){off, li.line, off - li.start + 1};
}

int nfb__json_between_documents(const nfb__json *j)
{
    return !j->skip && !j->drop && !j->has_pending && !j->gather &&
           j->esc_n == 0 && j->bad_esc_n == 0 && j->nest == 0 && !j->head &&
           !j->head_match && !j->head_try && !j->http_state;
}

int nfb__json_before_element(const nfb__json *j, uint64_t nest)
{
    /* The last token ended one byte before the end, and that byte was a
     * ',' (seg_last): nothing of the next value has been fed. */
    return !j->skip && !j->drop && !j->has_pending && !j->gather &&
           j->esc_n == 0 && j->bad_esc_n == 0 && j->nest == nest && !j->head &&
           !j->head_match && !j->head_try && !j->http_state &&
           j->tok_end + 1 == j->abs && j->seg_last == ',';
}

nfb__pos nfb__json_end_pos(const nfb__json *j)
{
    /* Between segments the lines are counted up to abs. */
    nfb__pos p = {j->abs, j->line, j->abs - j->line_start + 1};
    return p;
}

/* The start of the current token: the first byte after the previous token
 * that is not white space, ',' or ':'. Those bytes are in the current
 * segment, or were found when an earlier segment ended (pending_start). */
static nfb__pos token_start(nfb__json *j)
{
    uint64_t from = tok_in(j, j->tok_prev_end), end = tok_in(j, j->tok_end);
    if (j->has_pending && j->pending_start >= from)
        return pos_at(j, j->pending_start);
    if (from < j->seg_base) from = j->seg_base;
    while (from < end && is_gap(j->seg[from - j->seg_base]))
        from++;
    return pos_at(j, from);
}

/* The decoder's locate (decode.h): the start of the token of the event it
 * is in. */
static nfb__pos locate(void *ctx)
{
    return token_start(ctx);
}

/* The decoder's resolve (NFB__POS_AT): the position of offset off of the
 * current segment. */
static nfb__pos resolve(void *ctx, uint64_t off)
{
    return pos_at(ctx, off);
}

/* The positions the decoder keeps that are known by their offset alone
 * (NFB__POS_AT: its frames' and restart_at, those in the segment just
 * parsed) are worked out before its bytes go, in the order of their
 * offsets: the line count moves on through the segment once. */
static void resolve_kept(nfb__json *j)
{
    nfb__dec *d = j->dec;
    for (size_t i = 0; i < d->depth; i++)
        if (d->frames[i].pos.line == 0)
            d->frames[i].pos = pos_at(j, d->frames[i].pos.offset);
    if ((d->watch || d->doc == NFB__DOC_RESTART) && d->restart_at.line == 0)
        d->restart_at = pos_at(j, d->restart_at.offset);
}

/* Where a number is in JSON's number grammar (RFC 8259 section 6) after
 * its bytes so far, as yajl's lexer reads it: a number ends at the first
 * byte that cannot continue it (N_DONE), so "1.5.0" is the number "1.5"
 * and "05" the number "0". */
enum { N_MINUS, N_ZERO, N_INT, N_DOT, N_FRAC, N_E, N_ESIGN, N_EXP, N_DONE };

static int num_start(unsigned char c)
{
    if (c == '-') return N_MINUS;
    if (c == '0') return N_ZERO;
    return c >= '1' && c <= '9' ? N_INT : N_DONE;
}

static int num_next(int st, unsigned char c)
{
    int digit = c >= '0' && c <= '9', e = c == 'e' || c == 'E';
    switch (st) {
    case N_MINUS:
        return c == '0' ? N_ZERO : digit ? N_INT : N_DONE;
    case N_INT:
        if (digit) return N_INT;
        /* fall through */
    case N_ZERO:
        return c == '.' ? N_DOT : e ? N_E : N_DONE;
    case N_DOT:
        return digit ? N_FRAC : N_DONE;
    case N_FRAC:
        return digit ? N_FRAC : e ? N_E : N_DONE;
    case N_E:
        return c == '+' || c == '-' ? N_ESIGN : digit ? N_EXP : N_DONE;
    case N_ESIGN:
    case N_EXP:
        return digit ? N_EXP : N_DONE;
    default:
        return N_DONE;
    }
}

/* After a segment is parsed: where a token cut at its end begins, and its
 * first byte and the segment's last one (syntax_error may need them once
 * the segment's buffer is gone), and, for a number, where its bytes so
 * far leave it in the grammar (word_end_at goes on from there). */
static void note_pending(nfb__json *j)
{
    uint64_t from = j->tok_end;
    uint64_t end = j->seg_base + j->seg_len;
    j->seg_last = j->seg[j->seg_len - 1];
    if (!j->has_pending || j->pending_start < from) {
        if (from < j->seg_base) from = j->seg_base;
        while (from < end && is_gap(j->seg[from - j->seg_base]))
            from++;
        j->has_pending = from < end;
        j->pending_start = from;
        if (!j->has_pending) return;
        j->pending_byte = j->seg[from - j->seg_base];
        j->pending_num = (unsigned char)num_start(j->pending_byte);
        from++;
    } else {
        from = j->seg_base; /* the token goes on from an earlier segment */
    }
    int st = j->pending_num;
    for (; from < end && st != N_DONE; from++)
        st = num_next(st, j->seg[from - j->seg_base]);
    j->pending_num = (unsigned char)st;
}

/* A token of len bytes (quotes included) is over the string limit. Written
 * so that no limit overflows. */
static int over_limit(const nfb__json *j, uint64_t len)
{
    return len > 2 && len - 2 > j->max_string;
}

#define TOKEN_LIMIT_FMT                                                        \
    "expected a token of at most %zu bytes, found a longer one; the rest of "  \
    "the document is skipped"

/* ---- dropping a document ----------------------------------------------- */

/* How a drop begins: between tokens, inside a string, or inside a number
 * or literal. */
enum { DROP_STRUCT, DROP_STRING, DROP_WORD };

/* Skips the rest of a token over a limit and of its document, or of the
 * document the decoder dropped: nest brackets are open. A token at the top
 * level is skipped alone, and reading goes on after it. */
static void drop_begin(nfb__json *j, uint64_t nest, int mode)
{
    j->drop = nest > 0 || mode != DROP_STRUCT;
    j->drop_nest = nest;
    j->drop_in_string = mode == DROP_STRING;
    j->drop_word = mode == DROP_WORD;
    j->drop_escape = 0;
}

/* After a limit found inside a token that began with the byte first, at a
 * byte c: the rest of the token, then of its document, is skipped. Returns
 * 1 when c is taken (the end of the string or of its line), 0 when
 * reading goes on at c. A string cut by the end of its line ends there (as yajl
 * would say): the rest of the document is looked for as after a syntax error.
 */
static int limit_drop(nfb__json *j, unsigned char first, unsigned char c)
{
    /* A string whose closing quote yajl refused (a parse error after it)
     * is whole: its document is dropped from there. */
    if (first == '"' && c == '"') {
        drop_begin(j, j->nest, DROP_STRUCT);
        return 1;
    }
    int in_string = first == '"';
    if (in_string && c == '\n') {
        if (j->nest) j->skip = 1, j->skip_lines = 0;
        return 1;
    }
    /* c is taken by the drop as any byte after the limit is, so that the
     * result is the same as when the limit is found before c arrives. */
    drop_begin(j, j->nest, in_string ? DROP_STRING : DROP_WORD);
    return 0;
}

/* ---- yajl callbacks ---------------------------------------------------- */

static int token_too_long(nfb__json *j);

/* Every token updates the position of its end, from which its start is
 * found (token_start). A token longer than max_string (and its quotes) is
 * refused here as it is when it is cut at the end of a segment
 * (parse_segment), so that where the input is split does not matter.
 * Returns 0 to cancel the parse. */
static NFB_ALWAYS_INLINE int tok_at(nfb__json *j, uint64_t end)
{
    j->tok_prev_end = j->tok_end;
    j->tok_end = end;
    /* over_limit's test, with max_string + 2 worked out once. */
    return NFB_LIKELY(end - j->tok_prev_end <= j->tok_max) ||
           !token_too_long(j);
}

static inline int tok(nfb__json *j)
{
    return tok_at(j, j->seg_base + yajl_get_bytes_consumed(j->yajl));
}

/* A string or key whose text s[0..len) yajl hands over in place, inside
 * the segment (no escapes, not cut at an earlier segment's end), ends one
 * byte after it, at its closing quote: yajl has consumed the segment up to
 * there, and no call to ask it is needed. Otherwise s is in a buffer of
 * yajl's own (the decoded escapes, or the token's bytes kept across
 * yajl_parse calls), and yajl is asked. */
static NFB_ALWAYS_INLINE int tok_string(nfb__json *j, const unsigned char *s,
                                        size_t len)
{
    uintptr_t off = (uintptr_t)s - (uintptr_t)j->in;
    if (NFB_LIKELY(off < j->in_len))
        return tok_at(j, j->seg_base + off + len + 1);
    return tok(j);
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
static void bad_escape(nfb__json *r, uint64_t off)
{
    /* A held piece of a long string can be longer than a segment; it holds
     * that one string alone, of which only the first bad escape counts. */
    if (r->bad_esc_n == NFB__BAD_ESC_MAX) return;
    r->bad_esc[(r->bad_esc_head + r->bad_esc_n++) % NFB__BAD_ESC_MAX] = off;
}

/* After a segment is parsed, every finished string has taken its escapes:
 * those left belong to the one string still open, which is reported once,
 * at its first. */
static void collapse_bad_escapes(nfb__json *r)
{
    if (r->bad_esc_n > 1) r->bad_esc_n = 1;
}

/* Finds surrogate escapes that are not pairs in seg, carrying an escape cut
 * at the end to the next segment. Backslashes outside strings are syntax
 * errors that yajl reports, so every backslash seen here starts an escape
 * unless it is the escaped character of the escape before it. */
static void scan_escapes(nfb__json *r, const unsigned char *p, size_t n)
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

/* The state of a string's escape after byte c, from state st: 0 outside
 * an escape, 1 after its backslash, 2..5 before the 1st..4th hex digit of
 * \uXXXX. -1: c cannot come next (yajl reports it, or the string ends
 * there: '"' and bytes below 0x20 are told apart by the caller). */
static int esc_next(int st, unsigned char c)
{
    if (st == 0) return c == '\\' ? 1 : 0;
    if (st == 1) {
        if (c == 'u') return 2;
        return c == '"' || c == '\\' || c == '/' || c == 'b' || c == 'f' ||
                       c == 'n' || c == 'r' || c == 't'
                   ? 0
                   : -1;
    }
    int hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
              (c >= 'A' && c <= 'F');
    if (!hex) return -1;
    return st == 5 ? 0 : st + 1;
}

/* Where in an escape the string being read is after what was scanned:
 * an escape cut there is kept in esc, from its backslash on. -1: the
 * escape is bad (yajl reports it). */
static int esc_state(const nfb__json *j)
{
    int st = 0;
    for (size_t i = 0; i < j->esc_n && st >= 0; i++)
        st = esc_next(st, j->esc[i]);
    return st;
}

/* Lone surrogate escapes inside the token that just ended: the decoder is
 * told before the token's event. */
static void bad_escapes(nfb__json *j)
{
    uint64_t first = 0;
    size_t n = 0;
    uint64_t end = tok_in(j, j->tok_end);
    while (j->bad_esc_n && j->bad_esc[j->bad_esc_head] < end) {
        if (n++ == 0) first = j->bad_esc[j->bad_esc_head];
        j->bad_esc_head = (j->bad_esc_head + 1) % NFB__BAD_ESC_MAX;
        j->bad_esc_n--;
    }
    if (n)
        nfb__dec_bad_text(j->dec, pos_at(j, first),
                          "expected a \\u escape of a Unicode character, "
                          "found a lone surrogate (half of a pair)");
}

/* Whether only white space comes before the '{' or '[' at offset off (in
 * the current segment) on its line, seen from the bytes before it, back to
 * a newline or the segment's start; its line's starts are worked out only
 * when it does (cut_short uses them then alone). Asked only when a watch
 * outlives its segment (keep_watched) or ends in a new document
 * (cut_short), not for each watched object: the answer depends on the
 * segment's bytes and on off alone. */
static void watch_line(nfb__json *j, uint64_t off)
{
    int white = 0;
    if (off >= j->seg_base) {
        uint64_t i = off;
        unsigned char c;
        while (i > j->seg_base && (c = j->seg[i - 1 - j->seg_base]) != '\n' &&
               is_white(c))
            i--;
        if (i > j->seg_base) /* a newline, or a byte that is not white */
            white = j->seg[i - 1 - j->seg_base] == '\n';
        else /* the line began at the segment's start, or before */
            white = j->seg_line_start >= j->seg_base || j->seg_line_white;
    }
    j->cap_line_white = white;
    if (white) {
        line_info li = line_at(j, off);
        j->cap_line_start = li.start;
        j->cap_prev_line_start = li.prev_start;
    }
}

#define J ((nfb__json *)ctx)
static int cb_null(void *ctx)
{
    return tok(J) && nfb__dec_null_later(J->dec);
}
static int cb_bool(void *ctx, int v)
{
    return tok(J) && nfb__dec_bool_later(J->dec, v);
}
static int cb_number(void *ctx, const char *s, size_t len)
{
    return tok(J) && nfb__dec_number_later(J->dec, s, len);
}

/* The common string or key: yajl hands its text over in place (tok_string),
 * it is within the length limit, and no lone surrogate escape is waiting
 * to be told (bad_esc_n). Then its end is noted here, and the callback
 * goes straight on to the decoder: with no call to come back from, the
 * callbacks need no stack frame. Any other token is left as it was (0) for
 * the callback's slow twin, which does the whole work. */
static NFB_ALWAYS_INLINE int text_token_fast(nfb__json *j,
                                             const unsigned char *s, size_t len)
{
    uintptr_t off = (uintptr_t)s - (uintptr_t)j->in;
    uint64_t end = j->seg_base + off + len + 1;
    if (NFB_UNLIKELY(off >= j->in_len || end - j->tok_end > j->tok_max ||
                     j->bad_esc_n))
        return 0;
    j->tok_prev_end = j->tok_end;
    j->tok_end = end;
    return 1;
}

static NFB_NOINLINE int cb_string_slow(nfb__json *j, const unsigned char *s,
                                       size_t len)
{
    if (!tok_string(j, s, len)) return 0;
    if (NFB_UNLIKELY(j->bad_esc_n)) bad_escapes(j);
    return nfb__dec_string_later(j->dec, (const char *)s, len);
}
static int cb_string(void *ctx, const unsigned char *s, size_t len)
{
    if (NFB_UNLIKELY(!text_token_fast(J, s, len)))
        return cb_string_slow(J, s, len);
    return nfb__dec_string_later(J->dec, (const char *)s, len);
}
static NFB_NOINLINE int cb_map_key_slow(nfb__json *j, const unsigned char *s,
                                        size_t len)
{
    if (!tok_string(j, s, len)) return 0;
    if (NFB_UNLIKELY(j->bad_esc_n)) bad_escapes(j);
    return nfb__dec_map_key_later(j->dec, (const char *)s, len);
}
static int cb_map_key(void *ctx, const unsigned char *s, size_t len)
{
    if (NFB_UNLIKELY(!text_token_fast(J, s, len)))
        return cb_map_key_slow(J, s, len);
    return nfb__dec_map_key_later(J->dec, (const char *)s, len);
}
static int http_check(nfb__json *j, const char *found);

/* '{', '[', '}' and ']' are one byte long: the token starts just before
 * its end. */
static int container(nfb__json *j, int start, int map)
{
    (void)tok(j);
    uint64_t at = tok_in(j, j->tok_end - 1);
    if (!start) {
        j->nest--;
        int go = map ? nfb__dec_map_end_at(j->dec, at)
                     : nfb__dec_array_end_at(j->dec, at);
        /* The body of an HTTP response ends. */
        if (go && j->nest == 0 && j->http_state == 2)
            go = http_check(j, "a body that is not one");
        return go;
    }
    if (!nfb__dec_open(j->dec)) {
        if (j->http_state == 2 && !http_check(j, "a body that is not one"))
            return 0;
        if (j->http_state == 1) { /* the body of an HTTP response */
            j->http_state = 2;
            j->dec->http = j->http_text;
            j->dec->http_used = 0;
        }
    }
    j->nest++;
    /* A watch that begins here needs nothing of the front end yet: its
     * bytes are kept from restart_at on only if it outlives the segment
     * (keep_watched). */
    return map ? nfb__dec_map_start_at(j->dec, at)
               : nfb__dec_array_start_at(j->dec, at);
}
static int cb_map_start(void *ctx)
{
    return container(J, 1, 1);
}
static int cb_map_end(void *ctx)
{
    return container(J, 0, 1);
}
static int cb_array_start(void *ctx)
{
    return container(J, 1, 0);
}
static int cb_array_end(void *ctx)
{
    return container(J, 0, 0);
}
#undef J

static const yajl_callbacks callbacks = {
    cb_null,    cb_bool,        NULL /* integer */, NULL /* double */,
    cb_number,  cb_string,      cb_map_start,       cb_map_key,
    cb_map_end, cb_array_start, cb_array_end};

/* A token longer than max_string: the document is dropped. Returns 1. */
static int token_too_long(nfb__json *j)
{
    nfb__pos p = token_start(j);
    if (!over_limit(j, tok_in(j, j->tok_end) - p.offset)) return 0;
    if (!nfb__dec_open(j->dec)) nfb__diags_begin_document(j->dg);
    nfb__report(j->dg, NFB_ERROR, NFB_CODE_LIMIT, "", p, TOKEN_LIMIT_FMT,
                j->max_string);
    /* A number or literal goes on, for the drop, as long as bytes that
     * could continue it do, as when the input is cut inside it. */
    unsigned char first = p.offset >= j->seg_base
                              ? j->seg[p.offset - j->seg_base]
                              : j->pending_byte;
    j->limit_word = is_word(first);
    j->dec->doc = NFB__DOC_DROPPED;
    return 1;
}

/* ---- yajl's memory ----------------------------------------------------- */

/* A block given to yajl starts YA_HDR bytes before the pointer, with its
 * size and its capacity there: it can be moved by hand, and grows in
 * place up to its capacity. */
#define YA_HDR                                                                 \
    (sizeof(max_align_t) >= 2 * sizeof(size_t) ? sizeof(max_align_t)           \
                                               : 2 * sizeof(size_t))
enum {
    YA_SMALL = 6,              /* reserve slots for yajl's small structs */
    YA_SMALL_SIZE = 256,       /* bytes of each, header included */
    YA_BUF = 2 * NFB__SEG_MAX, /* a buffer for a token fed whole */
    YA_STACK = YA_SMALL,       /* the slot of the state stack */
    YA_BUF0 = YA_SMALL + 1     /* the slots of the two buffers */
};

static void *ya_mark(unsigned char *h, size_t n, size_t cap)
{
    memcpy(h, &n, sizeof n);
    memcpy(h + sizeof n, &cap, sizeof cap);
    return h + YA_HDR;
}

/* The size (which 0) or the capacity (which 1) of the block p. */
static size_t ya_get(const void *p, int which)
{
    size_t n;
    memcpy(&n, (const unsigned char *)p - YA_HDR + which * sizeof n, sizeof n);
    return n;
}

/* The reserve's slot that holds the block p, or -1. */
static int ya_slot_of(const nfb__json *j, const void *p)
{
    const unsigned char *h = (const unsigned char *)p - YA_HDR;
    if (!j->ya_reserve || h < j->ya_reserve ||
        h >= j->ya_reserve + j->ya_off[NFB__YA_SLOTS - 1] +
                 j->ya_cap[NFB__YA_SLOTS - 1] + YA_HDR)
        return -1;
    for (int i = 0; i < NFB__YA_SLOTS; i++)
        if (h == j->ya_reserve + j->ya_off[i]) return i;
    return -1;
}

/* A kept long-token buffer that n fits, preferred to malloc for the
 * sizes it was made for (any: for any size); NULL when none. */
static void *ya_room(nfb__json *j, size_t n, int any)
{
    for (int i = 0; i < 2; i++) {
        if (j->room[i] && n <= j->room_cap && (any || n > j->room_cap / 2)) {
            unsigned char *h = j->room[i];
            j->room[i] = NULL;
            return ya_mark(h, n, j->room_cap);
        }
    }
    return NULL;
}

/* Memory when the C library has none: the smallest free slot of the
 * reserve that n fits, else a kept buffer. The reader has failed: its
 * callbacks cancel the parse. */
static void *ya_spare(nfb__json *j, size_t n)
{
    j->dg->failed = 1;
    int best = -1;
    for (int i = 0; i < NFB__YA_SLOTS; i++)
        if (!(j->ya_used & (1u << i)) && n <= j->ya_cap[i] &&
            (best < 0 || j->ya_cap[i] < j->ya_cap[best]))
            best = i;
    if (best >= 0) {
        j->ya_used |= 1u << best;
        return ya_mark(j->ya_reserve + j->ya_off[best], n, j->ya_cap[best]);
    }
    void *p = ya_room(j, n, 1);
    if (!p) abort(); /* more than yajl can ask for once failed */
    return p;
}

static void *ya_malloc(void *ctx, size_t n)
{
    nfb__json *j = ctx;
    void *p = ya_room(j, n, 0);
    if (p) return p;
    unsigned char *h = n <= SIZE_MAX - YA_HDR ? malloc(YA_HDR + n) : NULL;
    return h ? ya_mark(h, n, n) : ya_spare(j, n);
}

static void ya_free(void *ctx, void *p)
{
    nfb__json *j = ctx;
    if (!p) return;
    int slot = ya_slot_of(j, p);
    if (slot >= 0)
        j->ya_used &= ~(1u << slot);
    else
        free((unsigned char *)p - YA_HDR);
}

static void *ya_realloc(void *ctx, void *p, size_t n)
{
    nfb__json *j = ctx;
    if (!p) return ya_malloc(ctx, n);
    unsigned char *h = (unsigned char *)p - YA_HDR;
    if (n <= ya_get(p, 1)) return ya_mark(h, n, ya_get(p, 1));
    void *q = ya_room(j, n, 0);
    if (!q && ya_slot_of(j, p) < 0 && n <= SIZE_MAX - YA_HDR) {
        unsigned char *g = realloc(h, YA_HDR + n);
        if (g) return ya_mark(g, n, n);
    }
    if (!q && n <= SIZE_MAX - YA_HDR) {
        unsigned char *g = malloc(YA_HDR + n);
        if (g) q = ya_mark(g, n, n);
    }
    if (!q) q = ya_spare(j, n);
    size_t old = ya_get(p, 0);
    memcpy(q, p, old < n ? old : n);
    ya_free(ctx, p);
    return q;
}

/* The reserve: YA_SMALL small slots, one for a state stack of max_depth
 * levels (yajl grows it by 128), two for buffers. Returns -1 when out of
 * memory. */
static int ya_reserve_init(nfb__json *j, size_t max_depth)
{
    size_t off = 0;
    for (int i = 0; i < NFB__YA_SLOTS; i++) {
        size_t cap = i < YA_SMALL ? YA_SMALL_SIZE - YA_HDR : YA_BUF;
        if (i == YA_STACK) cap = max_depth + 2 * 128;
        cap = (cap + YA_HDR - 1) / YA_HDR * YA_HDR;
        j->ya_off[i] = off;
        j->ya_cap[i] = cap;
        off += YA_HDR + cap;
    }
    j->ya_reserve = malloc(off);
    return j->ya_reserve ? 0 : -1;
}

/* Frees the long-token buffers yajl did not take. */
static void ya_room_free(nfb__json *j)
{
    for (int i = 0; i < 2; i++) {
        free(j->room[i]);
        j->room[i] = NULL;
    }
}

/* ---- parser lifetime --------------------------------------------------- */

/* A fresh yajl handle: after an error yajl's handle is spent. */
static int parser_reset(nfb__json *j)
{
    static yajl_alloc_funcs funcs = {ya_malloc, ya_realloc, ya_free, NULL};
    if (j->yajl) yajl_free(j->yajl);
    j->yajl = NULL;
    if (j->dg->failed) return 0;
    /* yajl gets the C library's allocator, not the user's, through
     * ya_malloc...: a failure is met from the reserve (see Memory above).
     * Its buffers stay small through max_string and max_depth. */
    yajl_alloc_funcs f = funcs;
    f.ctx = j;
    j->yajl = yajl_alloc(&callbacks, &f, j);
    if (!j->yajl || j->dg->failed) {
        j->dg->failed = 1;
        return 0;
    }
    /* Strings are checked as strict UTF-8 by the decoder, which yajl's own
     * check is not; checking twice would only cost time. */
    yajl_config(j->yajl, yajl_allow_multiple_values, 1);
    yajl_config(j->yajl, yajl_dont_validate_strings, 1);
    nfb__dec_reset(j->dec);
    j->cap_off = UINT64_MAX; /* no watch's bytes kept (keep_watched) */
    j->has_pending = 0;
    j->gather = 0;
    j->hold_len = 0;
    j->esc_n = 0;
    j->bad_esc_n = 0;
    j->nest = 0;
    j->limit_word = 0;
    j->tok_end = j->tok_prev_end = j->abs;
    return 1;
}

int nfb__json_init(nfb__json *j, const nfb_allocator *a, nfb__dec *dec,
                   nfb__diags *dg, size_t max_string)
{
    memset(j, 0, sizeof *j);
    j->alloc = a;
    j->dec = dec;
    j->dg = dg;
    j->max_string = max_string;
    j->tok_max = (uint64_t)max_string + 2;
    dec->locate = locate;
    dec->resolve = resolve;
    dec->locate_ctx = j;
    if (ya_reserve_init(j, dec->max_depth) != 0) return -1;
    for (int i = 0; i < 2; i++) {
        j->replay[i] = nfb__malloc(a, NFB__CAP_MAX + NFB__SEG_MAX);
        if (!j->replay[i]) return -1;
    }
    feed_as_is(j, (const unsigned char *)"", 0);
    return parser_reset(j) ? 0 : -1;
}

void nfb__json_free(nfb__json *j, const nfb_allocator *a)
{
    if (j->yajl) yajl_free(j->yajl);
    j->yajl = NULL;
    ya_room_free(j);
    free(j->ya_reserve);
    j->ya_reserve = NULL;
    for (int i = 0; i < 2; i++) {
        nfb__free(a, j->replay[i]);
        j->replay[i] = NULL;
    }
    nfb__free(a, j->hold);
    j->hold = NULL;
    j->hold_len = j->hold_cap = 0;
    nfb__free(a, j->sq);
    nfb__free(a, j->sq_table);
    j->sq = NULL;
    j->sq_table = NULL;
}

nfb_result nfb__json_begin(nfb__json *j)
{
    j->gather = 0;
    j->hold_len = 0;
    j->abs = j->lc_off = 0;
    j->lc_end = j->lc_off;
    j->line = 1;
    j->line_white = 1;
    j->line_start = j->prev_line_start = 0;
    j->skip = j->drop = 0;
    j->why = NULL;
    j->head_match = j->head_try = j->head_refusing = j->head = 0;
    j->http_state = 0;
    j->dec->http = NULL;
    j->dec->can_restart = 1;
    return parser_reset(j) ? NFB_OK : NFB_ENOMEM;
}

void nfb__json_why(nfb__json *j, const char *why, uint64_t line)
{
    j->why = why;
    j->why_line = line;
}

void nfb__json_skip_white(nfb__json *j, uint64_t off, uint64_t line,
                          uint64_t line_start, uint64_t prev_line_start)
{
    j->abs = j->lc_off = j->tok_end = j->tok_prev_end = off;
    j->lc_end = j->lc_off;
    j->line = line;
    j->line_start = line_start;
    j->prev_line_start = prev_line_start;
    j->line_white = 1;
}

/* ---- syntax errors ----------------------------------------------------- */

/* Where a syntax error is, the same however the input was split. After an
 * error yajl's bytes consumed (counted in the current chunk) is the
 * offending byte for a lexical error, as yajl backs up to it, except for a
 * byte that starts no token, which it has consumed; and just past the
 * offending token for a parse error, which can end the chunk before (a
 * number, ended by the first byte of this one). The exception is "after
 * key and value", where yajl backs up by the token's length but only
 * within the current chunk: there the offending token is taken as the
 * first byte that is not white space after the value before it. */
nfb__yajl_error nfb__json_error_kind(const char *e)
{
    /* yajl says what went wrong only in English text; this is the one
     * place that reads it, and test_json_errors pins every message it
     * relies on. */
    if (!e) return NFB__YAJL_PARSE;
    if (strstr(e, "after key and value")) return NFB__YAJL_AFTER_VALUE;
    if (strncmp(e, "lexical", 7) == 0)
        return strstr(e, "invalid char in json text") ? NFB__YAJL_LEX_CONSUMED
                                                      : NFB__YAJL_LEX;
    return NFB__YAJL_PARSE;
}

static uint64_t syntax_error_at(nfb__json *j, const char *e, unsigned char *c)
{
    uint64_t end = j->seg_base + j->seg_len, at;
    nfb__yajl_error kind = nfb__json_error_kind(e);
    if (kind == NFB__YAJL_AFTER_VALUE) {
        if (j->has_pending && j->pending_start >= j->tok_end) {
            *c = j->pending_byte;
            return j->pending_start;
        }
        at = j->tok_end > j->seg_base ? j->tok_end : j->seg_base;
        while (at < end && is_white(j->seg[at - j->seg_base]))
            at++;
    } else {
        size_t consumed = yajl_get_bytes_consumed(j->yajl);
        if (kind == NFB__YAJL_LEX) /* backed up to the offending byte */
            at = fed_off(j, consumed);
        else if (consumed) /* just past it */
            at = fed_off(j, consumed - 1);
        else /* the last byte of the segment before, if any */
            at = j->seg_base ? j->seg_base - 1 : 0;
        if (at < j->seg_base) {
            *c = j->seg_last;
            return at;
        }
    }
    if (at >= end) at = end > j->seg_base ? end - 1 : j->seg_base;
    *c = at < end ? j->seg[at - j->seg_base] : 0;
    return at;
}

/* A syntax error at offset at inside a token that began more than
 * max_string + 2 bytes before it: reported as the token limit, at the
 * token's start, exactly as when a chunk ends inside that token after as
 * many bytes (parse_segment), so that where the input is split does not
 * change the diagnostic. Returns 1 when it reported. */
static int long_token_error(nfb__json *j, uint64_t at, int whole,
                            unsigned char *first)
{
    uint64_t from = j->tok_end;
    if (j->has_pending && j->pending_start >= from) {
        from = j->pending_start;
    } else {
        if (from < j->seg_base) from = j->seg_base;
        while (from < at && is_gap(j->seg[from - j->seg_base]))
            from++;
    }
    if (from >= at) return 0;
    *first = from >= j->seg_base ? j->seg[from - j->seg_base] : j->pending_byte;
    /* A number that yajl took whole ends at at: measured with its last
     * byte, as when the input is cut after it. */
    uint64_t len = at - from + (whole && is_word(*first) ? 1 : 0);
    if (!over_limit(j, len)) return 0;
    nfb__report(j->dg, NFB_ERROR, NFB_CODE_LIMIT, "", pos_at(j, from),
                TOKEN_LIMIT_FMT, j->max_string);
    return 1;
}

/* yajl's message, without its prefix and trailing dots. */
static void yajl_message(nfb__json *j, char *what, size_t size)
{
    unsigned char *yerr = yajl_get_error(j->yajl, 0, NULL, 0);
    const char *e = (const char *)yerr;
    if (e) {
        const char *colon = strstr(e, "error: ");
        if (colon) e = colon + 7;
    }
    snprintf(what, size, "%s", e ? e : "invalid JSON");
    size_t wl = strlen(what);
    while (wl &&
           (what[wl - 1] == '\n' || what[wl - 1] == '.' || what[wl - 1] == ' '))
        what[--wl] = 0;
    if (yerr) yajl_free_error(j->yajl, yerr);
}

/* The offset just past the closing quote of a string that ends in the
 * current segment and begins at at, or before the segment; 0 when it does
 * not end there. */
static uint64_t string_end(const nfb__json *j, uint64_t at)
{
    uint64_t i = at >= j->seg_base ? at + 1 : j->seg_base;
    uint64_t end = j->seg_base + j->seg_len;
    int st = at >= j->seg_base ? 0 : j->seg_esc0;
    for (; i < end; i++) {
        unsigned char c = j->seg[i - j->seg_base];
        if (st == 0 && c == '"') return i + 1;
        st = esc_next(st, c);
        if (st < 0) st = 0; /* yajl took the string: not met */
    }
    return 0;
}

/* The offset just past the number or literal (true, false, null) that
 * begins at at in the current segment, as yajl's lexer takes it; 0 when
 * it does not end there. */
static uint64_t word_end_at(const nfb__json *j, uint64_t at)
{
    uint64_t end = j->seg_base + j->seg_len, i = at;
#define AT_(k) (j->seg[(k)-j->seg_base])
    /* Begun in an earlier segment, it goes on from where that segment
     * left it (note_pending); pending_byte is its first byte. */
    int earlier = at < j->seg_base;
    unsigned char first = earlier ? j->pending_byte : AT_(at);
    if (earlier) i = j->seg_base;
    if (first >= 'a' && first <= 'z') {
        if (!earlier) i++;
        while (i < end && AT_(i) >= 'a' && AT_(i) <= 'z')
            i++;
        return i < end ? i : 0;
    }
    int st = earlier ? j->pending_num : num_start(first);
    if (st == N_DONE) return i < end ? i : 0;
    if (!earlier) i++;
    for (; i < end; i++)
        if ((st = num_next(st, AT_(i))) == N_DONE) return i;
#undef AT_
    return 0;
}

/* A syntax error from yajl in the current segment: reports it and says
 * where reading goes on. Returns the offset to resume at: the error's own
 * '{' or '[' (the document before is cut short), or, with j->skip set, the
 * byte after the error, from which the next document is looked for. A
 * token where a ',' was due ("after key and value") is skipped whole, as
 * after every other parse error: for a string that began in an earlier
 * segment the bytes from its start are gone, so that looking for a
 * document inside its text would depend on where the input was split. */
static uint64_t syntax_error(nfb__json *j)
{
    int open = nfb__dec_open(j->dec);
    unsigned char *yerr = yajl_get_error(j->yajl, 0, NULL, 0);
    unsigned char c;
    uint64_t at = syntax_error_at(j, (const char *)yerr, &c);
    nfb__yajl_error kind = nfb__json_error_kind((const char *)yerr);
    int after_value = kind == NFB__YAJL_AFTER_VALUE;
    if (yerr) yajl_free_error(j->yajl, yerr);

    /* Between documents, a byte that starts no token (not one inside a
     * string): a record separator is skipped, and an 'H' may start an HTTP
     * response head (feed_buf goes on there). */
    if (!open && kind == NFB__YAJL_LEX_CONSUMED && at >= j->seg_base &&
        !j->head_refusing && (c == 0x1e || c == 'H')) {
        j->head_try = c == 'H';
        return c == 'H' ? at : at + 1;
    }
    if (!open && j->http_state &&
        !http_check(j, j->http_state == 2 ? "a body that is not one"
                                          : "a body that is not JSON"))
        return at + 1;
    if (!open) nfb__diags_begin_document(j->dg);
    j->skip = 1;
    /* Garbage between documents: the next line may start afresh, and
     * each line of garbage is reported. Inside a document the lines up to
     * the next '{' or '[' belong to the broken document. */
    j->skip_lines = !open;
    unsigned char first;
    /* After a parse error yajl took the offending token whole. */
    int whole = kind == NFB__YAJL_PARSE && is_word(c);
    if (long_token_error(j, at, whole, &first)) {
        j->skip = 0;
        return limit_drop(j, first, c) ? at + 1 : at;
    }
    /* (A token over the limit before it counts first, as when the input
     * is cut inside that token.) */
    if (open && (c == '{' || c == '[') && at >= j->seg_base) {
        j->skip = 0;
        /* The next document began before this one ended. When it starts
         * its line, the line before was cut short: said there. */
        line_info li = line_at(j, at);
        if (li.line > 1 && line_white_before(j, at))
            nfb__report(
                j->dg, NFB_ERROR, NFB_CODE_SYNTAX, "",
                (nfb__pos){li.start - 1, li.line - 1, li.start - li.prev_start},
                "expected the rest of the document, found the end of "
                "the line (the line is cut short)");
        else
            nfb__report(j->dg, NFB_ERROR, NFB_CODE_SYNTAX, "", pos_at(j, at),
                        "expected the rest of the document, found the start "
                        "of another document (this one is cut short)");
        return at;
    }
    /* A string or number where a ',' was due that is over the limit: the
     * limit, as when the input is cut inside it before yajl sees its end
     * (measured the same way: a string without its closing quote). */
    uint64_t str_end = after_value && c == '"' ? string_end(j, at) : 0;
    uint64_t word_end = after_value && is_word(c) ? word_end_at(j, at) : 0;
    if ((str_end && over_limit(j, str_end - at - 1)) ||
        (word_end && over_limit(j, word_end - at))) {
        nfb__report(j->dg, NFB_ERROR, NFB_CODE_LIMIT, "", pos_at(j, at),
                    TOKEN_LIMIT_FMT, j->max_string);
        j->skip = 0;
        drop_begin(j, j->nest, str_end ? DROP_STRUCT : DROP_WORD);
        return str_end ? str_end : word_end;
    }

    char what[200];
    yajl_message(j, what, sizeof what);
    char found[32];
    if (c >= 0x21 && c < 0x7f)
        snprintf(found, sizeof found, "'%c'", c);
    else if (c == '\n')
        snprintf(found, sizeof found, "the end of the line");
    else
        snprintf(found, sizeof found, "byte 0x%02x", c);
    nfb__pos pos = pos_at(j, at);
    const char *why = j->why && pos.line == j->why_line ? j->why : NULL;
    j->why = NULL;
    nfb__report(j->dg, NFB_ERROR, NFB_CODE_SYNTAX, "", pos,
                "invalid JSON: %s, found %s%s%s", what, found, why ? "; " : "",
                why ? why : "");
    if (str_end) return str_end;
    return at + 1;
}

/* ---- feeding ----------------------------------------------------------- */

/* Moves past the n bytes at p, which hold a newline at most at their end,
 * outside a segment. Keeps track of whether the line so far is only white
 * space. */
static void advance(nfb__json *j, const unsigned char *p, size_t n, int newline)
{
    j->abs += n;
    j->lc_off = j->abs;
    j->lc_end = j->lc_off;
    if (newline) {
        j->line++;
        j->prev_line_start = j->line_start;
        j->line_start = j->abs;
        j->line_white = 1;
        return;
    }
    for (size_t i = 0; j->line_white && i < n; i++)
        j->line_white = is_white(p[i]);
}

/* Moves past the first n bytes of the segment just parsed: its lines are
 * counted up to there, and whether the last is white space so far. */
static void advance_seg(nfb__json *j, size_t n)
{
    uint64_t end = j->seg_base + n;
    if (j->lc_off > end) { /* counted past it (a diagnostic): again */
        j->lc_off = j->seg_base;
        j->line = j->seg_line;
        j->line_start = j->seg_line_start;
        j->prev_line_start = j->seg_prev_line_start;
    }
    count_lines_to(j, end);
    uint64_t i = j->seg_base;
    int white = j->seg_line_white;
    if (j->line_start >= j->seg_base) i = j->line_start, white = 1;
    for (; white && i < end; i++)
        white = is_white(j->seg[i - j->seg_base]);
    j->line_white = white;
    j->abs = end;
    j->lc_end = j->lc_off;
}

/* Keeps the bytes of the current segment that belong to a watched object
 * (from its '{' on), while they fit. A watch is told from the one whose
 * bytes are kept by where it begins (restart_at): in one pass over the
 * input each begins further on, and the bytes are parsed again only after
 * parser_reset, which forgets the kept ones (cap_off). A new one began in
 * this segment: its bytes are kept from its '{' or '[' (an array's watch
 * goes on into its first element, from the same '['), and whether its
 * line begins there is seen now, while the bytes before it are here. */
static void keep_watched(nfb__json *j)
{
    uint64_t at = j->dec->restart_at.offset;
    if (at != j->cap_off) {
        j->cap_off = at;
        j->cap_len = 0;
        watch_line(j, at);
    }
    uint64_t from = j->cap_off + j->cap_len, end = j->seg_base + j->seg_len;
    if (from < j->seg_base) from = j->seg_base;
    if (end - from > NFB__CAP_MAX - j->cap_len) {
        nfb__dec_unwatch(j->dec); /* too far from its first key to parse
                                     again */
        return;
    }
    memcpy(j->cap + j->cap_len, j->seg + (from - j->seg_base), end - from);
    j->cap_len += end - from;
}

/* The syntax of form feed and vertical tab: white space to yajl but not to
 * RFC 8259, and no valid JSON text holds them raw. Returns the length of
 * the segment before the first, or n. */
static size_t before_ff_vt(const unsigned char *p, size_t n)
{
    const unsigned char *ff = memchr(p, 0x0c, n);
    const unsigned char *vt = memchr(p, 0x0b, ff ? (size_t)(ff - p) : n);
    const unsigned char *bad = vt ? vt : ff;
    return bad ? (size_t)(bad - p) : n;
}

/* A form feed or vertical tab at p[len] ended the segment: it is
 * reported, or ends a token over the limit, and what follows is skipped
 * as damage. */
static nfb_result bad_white(nfb__json *j, const unsigned char *p, size_t len,
                            size_t *used)
{
    int open = nfb__dec_open(j->dec);
    if (!open) nfb__diags_begin_document(j->dg);
    j->skip = 1;
    j->skip_lines = !open;
    *used = len + 1;
    unsigned char first;
    if (long_token_error(j, j->abs + len, 0, &first)) {
        j->skip = 0;
        if (!limit_drop(j, first, p[len])) *used = len;
        uint64_t nest = j->nest;
        int ok = parser_reset(j);
        j->drop_nest = nest;
        if (!ok) return NFB_ENOMEM;
        return j->dg->stopped ? NFB_STOPPED : NFB_OK;
    }
    nfb__report(j->dg, NFB_ERROR, NFB_CODE_SYNTAX, "",
                pos_at(j, j->seg_base + len),
                "invalid JSON: expected a token or JSON white space, "
                "found a %s (byte 0x%02x)",
                p[len] == 0x0c ? "form feed" : "vertical tab", p[len]);
    if (!parser_reset(j)) return NFB_ENOMEM;
    return j->dg->stopped ? NFB_STOPPED : NFB_OK;
}

/* The token cut at the segment's end is already over the limit: it is
 * reported, and the rest of it, then of its document, is skipped. */
static nfb_result pending_too_long(nfb__json *j, const unsigned char *p,
                                   size_t n)
{
    if (!nfb__dec_open(j->dec)) nfb__diags_begin_document(j->dg);
    nfb__report(j->dg, NFB_ERROR, NFB_CODE_LIMIT, "",
                pos_at(j, j->pending_start), TOKEN_LIMIT_FMT, j->max_string);
    int in_string = j->pending_byte == '"', esc = 0;
    uint64_t from =
        j->pending_start > j->seg_base ? j->pending_start : j->seg_base;
    for (uint64_t i = from + 1; in_string && i < j->seg_base + n; i++)
        esc = !esc && p[i - j->seg_base] == '\\';
    uint64_t nest = j->nest;
    if (!parser_reset(j)) return NFB_ENOMEM;
    drop_begin(j, nest, in_string ? DROP_STRING : DROP_WORD);
    j->drop_escape = esc;
    return j->dg->stopped ? NFB_STOPPED : NFB_OK;
}

/* yajl took the whole segment: a token cut at its end is noted, and the
 * bytes of a watched value kept. */
static nfb_result segment_parsed(nfb__json *j, const unsigned char *p, size_t n)
{
    note_pending(j);
    if (j->has_pending && over_limit(j, j->seg_base + n - j->pending_start))
        return pending_too_long(j, p, n);
    if (j->dec->watch) keep_watched(j);
    return NFB_OK;
}

/* The decoder ended the event: the user stopped, the decoder asks to
 * parse again from where a new document began (set in *restart), or it dropped
 * the document (a limit) and its rest is skipped. */
static nfb_result decoder_ended(nfb__json *j, size_t *used, int *restart)
{
    if (j->dg->failed) return NFB_ENOMEM;
    if (j->dg->stopped) return NFB_STOPPED;
    if (j->dec->doc == NFB__DOC_RESTART) {
        /* Whether the new document begins its line, for cut_short: seen
         * here when it began in this segment (the bytes before it are
         * still here), else by keep_watched in the one it began in. */
        uint64_t at = j->dec->restart_at.offset;
        if (at >= j->seg_base) watch_line(j, at);
        *restart = 1;
        return NFB_OK;
    }
    uint64_t nest = j->nest;
    int word = j->limit_word;
    *used = j->tok_end - j->seg_base;
    if (!parser_reset(j)) return NFB_ENOMEM;
    drop_begin(j, nest, word ? DROP_WORD : DROP_STRUCT);
    return NFB_OK;
}

/* yajl found a syntax error: reported, and reading resumes after it. */
static nfb_result segment_error(nfb__json *j, size_t n, size_t *used)
{
    uint64_t at = syntax_error(j);
    if (j->dg->stopped) return NFB_STOPPED;
    if (at < j->seg_base) at = j->seg_base; /* a number cut by the chunk */
    *used = (size_t)(at - j->seg_base);
    if (*used > n) *used = n;
    return parser_reset(j) ? NFB_OK : NFB_ENOMEM;
}

/* Parses one segment: a line, or the part of one inside the chunk, up to
 * a form feed or vertical tab. Sets *used to the bytes of it that are
 * done with (all of them, unless reading resumes inside it after damage),
 * or sets *restart when the decoder asked to parse again from
 * dec->restart_at (and returns NFB_OK: a restart is no result of the
 * API). */
static nfb_result parse_segment(nfb__json *j, const unsigned char *p, size_t n,
                                size_t *used, int *restart)
{
    j->seg = p;
    j->seg_len = n;
    j->seg_base = j->lc_off = j->abs;
    j->seg_line = j->line;
    j->seg_line_start = j->line_start;
    j->seg_prev_line_start = j->prev_line_start;
    j->seg_line_white = j->line_white;
    j->lc_end = j->seg_base + n;
    *used = n;
    size_t len = before_ff_vt(p, n);
    j->seg_esc0 = esc_state(j);
    scan_escapes(j, p, len);
    j->parse_calls++;
    if (j->has_pending && j->pending_start < j->seg_base)
        j->reread += j->seg_base - j->pending_start;
    feed_white(j, p, len);
    yajl_status st = yajl_parse(j->yajl, j->in, j->in_len);
    tok_settle(j);
    resolve_kept(j);
    if (j->dg->failed) return NFB_ENOMEM;
    if (st == yajl_status_client_canceled)
        return decoder_ended(j, used, restart);
    if (st != yajl_status_ok) return segment_error(j, n, used);
    collapse_bad_escapes(j);
    if (len < n) return bad_white(j, p, len, used);
    return segment_parsed(j, p, n);
}

/* Skips to the next '{' or '['; at a newline, when the damage was on one
 * line, the next line is parsed on its own. Returns the bytes skipped. */
static size_t skip_scan(nfb__json *j, const unsigned char *p, size_t len)
{
    size_t k = 0;
    while (k < len && p[k] != '{' && p[k] != '[' && p[k] != '\n')
        k++;
    if (k < len && p[k] == '\n') {
        advance(j, p, k + 1, 1);
        if (j->skip_lines) j->skip = 0;
        return k + 1;
    }
    advance(j, p, k, 0);
    if (k < len) j->skip = 0; /* a '{' or '[': a document may start */
    return k;
}

/* Skips the rest of a dropped token and document by counting brackets
 * outside strings. Returns the bytes skipped. */
static size_t drop_scan(nfb__json *j, const unsigned char *p, size_t len)
{
    size_t k = 0;
    for (; k < len; k++) {
        unsigned char c = p[k];
        if (j->drop_in_string) {
            if (c == '\n') { /* a string cut by the end of its line */
                j->drop_in_string = 0;
                j->drop = 0;
                if (j->drop_nest) j->skip = 1, j->skip_lines = 0;
                advance(j, p, k + 1, 1);
                return k + 1;
            }
            if (j->drop_escape)
                j->drop_escape = 0;
            else if (c == '\\')
                j->drop_escape = 1;
            else if (c == '"' && (j->drop_in_string = 0, !j->drop_nest)) {
                j->drop = 0; /* a token at the top level: done */
                advance(j, p, k + 1, 0);
                return k + 1;
            }
            continue;
        }
        if (j->drop_word) {
            if (is_word(c)) continue;
            j->drop_word = 0;
            if (!j->drop_nest) {
                j->drop = 0;
                advance(j, p, k, 0);
                return k;
            }
        }
        if (c == '\n') {
            advance(j, p, k + 1, 1);
            return k + 1;
        }
        if (c == '"') {
            j->drop_in_string = 1;
        } else if (c == '{' || c == '[') {
            j->drop_nest++;
        } else if ((c == '}' || c == ']') && --j->drop_nest == 0) {
            j->drop = 0;
            advance(j, p, k + 1, 0);
            return k + 1;
        }
    }
    advance(j, p, k, 0);
    return k;
}

/* ---- wrappers ---------------------------------------------------------

   What tools write around JSON texts, recognised between documents (where
   yajl finds a byte that starts no JSON text, syntax_error) and skipped:
   - an HTTP/1.x or HTTP/2 response head (`curl -i`, `curl -D -`): a line
     that starts with "HTTP/" and a digit, the header lines after it, and
     the blank line that ends it (CRLF or LF). A 1xx head (100 Continue)
     is followed by another head; the document after a final head is its
     body: an API error in it names the status line, and a 4xx or 5xx head
     whose body holds no API error is itself an api-error.
   - RFC 7464's record separator (0x1E, `jq --seq`).
   Bytes that may start "HTTP/" are counted in head_match (they are known),
   so that the head is found however the input is split. */

static nfb_result feed_buf(nfb__json *j, const unsigned char *p, size_t len,
                           size_t *used, int *restart);
static nfb_result head_refuse(nfb__json *j, int *restart);

/* The document after a 4xx or 5xx head (the body) is over, or none came:
 * unless it was an API error, that is said. Returns 0 when stopped. */
static int http_check(nfb__json *j, const char *found)
{
    int ok = 1;
    if (j->http_status >= 400 && !(j->http_state == 2 && j->dec->http_used))
        ok = nfb__report(j->dg, NFB_ERROR, NFB_CODE_API_ERROR, "", j->http_pos,
                         "expected an API error after the HTTP status line "
                         "`%s` (a failed call), found %s",
                         j->http_text, found);
    j->http_state = 0;
    j->http_status = 0;
    j->dec->http = NULL;
    return ok;
}

/* The blank line that ends a head: its status code decides what comes. */
static void head_end(nfb__json *j)
{
    j->head = 0;
    while (j->head_text_len && j->head_text[j->head_text_len - 1] == ' ')
        j->head_text_len--;
    j->head_text[j->head_text_len] = 0;
    const char *s = strchr(j->head_text, ' ');
    int status = 0;
    while (s && *s == ' ')
        s++;
    for (int k = 0; s && k < 3 && *s >= '0' && *s <= '9'; k++, s++)
        status = status * 10 + (*s - '0');
    if (status >= 100 && status < 200) return; /* another head follows */
    j->http_state = 1;
    j->http_status = status;
    j->http_pos = j->head_pos;
    memcpy(j->http_text, j->head_text, j->head_text_len + 1);
}

/* Inside a head: its lines up to the blank one. Returns the bytes taken. */
static size_t head_scan(nfb__json *j, const unsigned char *p, size_t n)
{
    const unsigned char *nl = memchr(p, '\n', n);
    size_t k = nl ? (size_t)(nl - p) + 1 : n;
    for (size_t i = 0; i < k; i++) {
        unsigned char c = p[i];
        if (c == '\n' || c == '\r') continue;
        if (j->head_col == 0 && j->head_lines > 0 && (c == '{' || c == '[')) {
            /* A body where a header was due: the blank line is missing.
             * Carriage returns before it count for nothing, whether they
             * came in this chunk or an earlier one. */
            advance(j, p, i, 0);
            nfb__report(j->dg, NFB_ERROR, NFB_CODE_SYNTAX, "",
                        pos_at(j, j->abs),
                        "expected a header or the blank line that ends the "
                        "HTTP head of line %llu, found '%c'",
                        (unsigned long long)j->head_pos.line, c);
            head_end(j);
            return i;
        }
        if (j->head_lines == 0 && j->head_text_len < sizeof j->head_text - 4)
            j->head_text[j->head_text_len++] =
                c >= 0x20 && c < 0x7f && c != '`' ? (char)c : '?';
        j->head_col++;
    }
    advance(j, p, k, nl != NULL);
    if (nl) {
        int blank = j->head_col == 0;
        j->head_lines++;
        j->head_col = 0;
        if (blank) head_end(j);
    }
    return k;
}

/* Bytes that may continue "HTTP/" and a digit at a line's start. Returns
 * the bytes of p[0..n) taken; when they turn out to be no head, what was
 * matched is parsed as the JSON it is (a syntax error). */
static size_t head_start(nfb__json *j, const unsigned char *p, size_t n,
                         nfb_result *res, int *restart)
{
    static const char http[] = "HTTP/";
    size_t k = 0;
    *res = NFB_OK;
    while (k < n && j->head_match < 6) {
        unsigned char c = p[k];
        if (j->head_match < 5 ? c != (unsigned char)http[j->head_match]
                              : c < '0' || c > '9')
            break;
        j->head_match++;
        k++;
    }
    if (j->head_match == 6) {
        j->head_match = 0;
        if (j->http_state &&
            !http_check(j, j->http_state == 2 ? "a body that is not one"
                                              : "no body")) {
            *res = NFB_STOPPED;
            return k;
        }
        j->head = 1;
        j->head_pos = pos_at(j, j->abs);
        memcpy(j->head_text, http, 5);
        j->head_text[5] = (char)p[k - 1];
        j->head_text_len = 6;
        j->head_lines = 0;
        j->head_col = 6;
        j->abs += 6;
        j->lc_off = j->abs;
        j->lc_end = j->lc_off;
        j->line_white = 0;
        return k;
    }
    if (k == n) return k; /* more may come */
    *res = head_refuse(j, restart);
    return k;
}

/* ---- long tokens ------------------------------------------------------ */

static nfb_result feed_all(nfb__json *j, const unsigned char *p, size_t len);

/* Held pieces larger than this are freed once the token is done. */
enum { HOLD_KEEP = 1u << 16 };

/* After a segment parsed whole: when a string or number at least
 * GATHER_MIN bytes long is cut at its end, its next bytes are held.
 * Literals (true, false, null) are never that long. Not while the decoder
 * watches an object for its first key (decode.h): a held piece then never
 * makes the decoder parse earlier bytes again (replay takes at most a
 * segment), and a watch lasts at most CAP_MAX bytes (keep_watched). */
static void gather_begin(nfb__json *j)
{
    if (!j->has_pending || j->skip || j->drop || j->dec->watch ||
        j->abs - j->pending_start < NFB__GATHER_MIN)
        return;
    unsigned char c = j->pending_byte;
    if (c == '"') {
        int st = esc_state(j);
        if (st < 0) return;
        uint64_t from =
            j->pending_start > j->seg_base ? j->pending_start : j->seg_base;
        j->gather_str = 1;
        j->gather_esc = st;
        j->gather_backslash = j->pending_start < j->seg_base ||
                              memchr(j->seg + (from - j->seg_base), '\\',
                                     (size_t)(j->abs - from)) != NULL;
    } else if (c == '-' || (c >= '0' && c <= '9')) {
        /* A number this long is past its first digit: any digit can come
         * next (after "0" alone it could not). */
        j->gather_str = 0;
    } else {
        return;
    }
    j->gather = 1;
    j->hold_len = 0;
}

/* How many of p[0..n) continue the held token without an error. *stop is
 * set when the token goes no further: after a string's closing quote
 * (counted) or at a byte that cannot continue it (not counted; it reaches
 * yajl in the next segment, which ends the token or reports the error). */
static size_t gather_scan(nfb__json *j, const unsigned char *p, size_t n,
                          int *stop)
{
    size_t k = 0;
    *stop = 0;
    if (!j->gather_str) {
        while (k < n && p[k] >= '0' && p[k] <= '9')
            k++;
        *stop = k < n;
        return k;
    }
    while (k < n) {
        if (j->gather_esc == 0) {
            while (k < n && p[k] >= 0x20 && p[k] != '"' && p[k] != '\\')
                k++;
            if (k == n) break;
            if (p[k] == '"') {
                *stop = 1;
                return k + 1;
            }
            if (p[k] < 0x20) {
                *stop = 1;
                return k;
            }
            j->gather_backslash = 1;
        }
        int st = esc_next(j->gather_esc, p[k]);
        if (st < 0) {
            *stop = 1;
            return k;
        }
        j->gather_esc = st;
        k++;
    }
    return k;
}

static int hold_append(nfb__json *j, const unsigned char *p, size_t n)
{
    if (n > j->hold_cap - j->hold_len) {
        size_t cap = j->hold_cap ? j->hold_cap : NFB__SEG_MAX;
        while (cap - j->hold_len < n) {
            if (cap > SIZE_MAX / 2) return -1;
            cap *= 2;
        }
        unsigned char *h = nfb__realloc(j->alloc, j->hold, cap);
        if (!h) return -1;
        j->hold = h;
        j->hold_cap = cap;
    }
    memcpy(j->hold + j->hold_len, p, n);
    j->hold_len += n;
    return 0;
}

/* The bytes to hold before the next piece goes to yajl: as many as yajl
 * keeps of the token (at least SEG_MAX), and no more than take the token
 * past the string limit (the limit is then reported as usual). */
static uint64_t gather_want(const nfb__json *j)
{
    uint64_t kept = j->abs - j->pending_start;
    uint64_t want = kept > NFB__SEG_MAX ? kept : NFB__SEG_MAX;
    uint64_t len = kept + j->hold_len, lim = (uint64_t)j->max_string;
    lim = lim > UINT64_MAX - 3 ? UINT64_MAX : lim + 3; /* first too long */
    if (len < lim && lim - len < want - j->hold_len)
        want = j->hold_len + (lim - len);
    return want - j->hold_len;
}

/* Whether yajl can lex a token of len bytes, of which it keeps the part
 * already fed: its lexer's buffer grows by doubling from 2048 bytes to
 * more than len, and so at most does the buffer a string with escapes is
 * decoded into. Both are allocated here and kept in j->room until the
 * piece is parsed (ya_room_free): yajl's allocations take them when they
 * grow its buffers to that size, or when the C library fails, so that
 * what succeeds here succeeds in yajl even while other threads
 * allocate. */
static int yajl_room(nfb__json *j, uint64_t len, int escapes)
{
    size_t need = 2048;
    while (need <= len) {
        if (need > (SIZE_MAX - YA_HDR) / 2) return 0;
        need *= 2;
    }
    ya_room_free(j);
    j->room_cap = need;
    j->room[0] = malloc(YA_HDR + need);
    if (j->room[0] && escapes) j->room[1] = malloc(YA_HDR + need);
    if (j->room[0] && (!escapes || j->room[1])) return 1;
    ya_room_free(j);
    return 0;
}

/* Hands the held bytes to yajl as one segment. stop: the token goes no
 * further. The held bytes can still be read again: a string that ends in
 * them can be a syntax error that resumes before them (a value where a
 * ',' was due, at the string's start): the rest is then fed in the usual
 * way. The buffer is taken out of j first, so that this can hold bytes of
 * a token of its own (a number inside the string's text). A restart the
 * decoder asks for is set in *restart, as by parse_segment. */
static nfb_result parse_held(nfb__json *j, int stop, int *restart)
{
    unsigned char *buf = j->hold;
    size_t n = j->hold_len, cap = j->hold_cap;
    uint64_t len = j->abs - j->pending_start + n;
    int escapes = j->gather_str && j->gather_backslash;
    if (stop) j->gather = 0;
    if (!n) return NFB_OK;
    j->hold = NULL;
    j->hold_len = j->hold_cap = 0;
    nfb_result res = NFB_ENOMEM;
    if (yajl_room(j, len, escapes)) {
        size_t used;
        res = parse_segment(j, buf, n, &used, restart);
        ya_room_free(j);
        advance(j, buf, used, 0);
        if (res != NFB_OK || *restart || !j->has_pending || j->skip || j->drop)
            j->gather = 0;
        if (res == NFB_OK && !*restart && used < n)
            res = feed_all(j, buf + used, n - used);
    } else {
        j->dg->failed = 1;
    }
    if (!j->hold && (j->gather || cap <= HOLD_KEEP)) {
        j->hold = buf;
        j->hold_cap = cap;
    } else {
        nfb__free(j->alloc, buf);
    }
    return res;
}

/* Holds the next bytes of a long token from p[0..len). Returns the bytes
 * taken, or (size_t)-1 when out of memory or when a held piece ended
 * reading (*res says why). */
static size_t gather_feed(nfb__json *j, const unsigned char *p, size_t len,
                          nfb_result *res, int *restart)
{
    uint64_t want = gather_want(j);
    size_t m = len < want ? len : (size_t)want;
    int stop;
    size_t k = gather_scan(j, p, m, &stop);
    *res = NFB_OK;
    if (k && hold_append(j, p, k) != 0) {
        j->dg->failed = 1;
        *res = NFB_ENOMEM;
        return (size_t)-1;
    }
    if (stop || k == want) *res = parse_held(j, stop, restart);
    return *res == NFB_OK && !*restart ? k : (size_t)-1;
}

/* The bytes matched as the start of a head are none: parsed as JSON. */
static nfb_result head_refuse(nfb__json *j, int *restart)
{
    size_t m = (size_t)j->head_match, used;
    j->head_match = 0;
    j->head_refusing = 1;
    nfb_result res =
        feed_buf(j, (const unsigned char *)"HTTP/", m, &used, restart);
    j->head_refusing = 0;
    return res;
}

/* Feeds p[0..len): segments, skipping and dropping. On a restart (set in
 * *restart, which starts at 0) *used is the end of the segment that asked
 * for it. */
static nfb_result feed_buf(nfb__json *j, const unsigned char *p, size_t len,
                           size_t *used, int *restart)
{
    size_t i = 0;
    while (i < len) {
        if (j->head) {
            i += head_scan(j, p + i, len - i);
            if (j->dg->stopped) return NFB_STOPPED;
            continue;
        }
        if (j->head_match || j->head_try) {
            nfb_result res;
            j->head_try = 0;
            i += head_start(j, p + i, len - i, &res, restart);
            if (res != NFB_OK || *restart) return res;
            continue;
        }
        if (j->gather) {
            nfb_result res;
            size_t k = gather_feed(j, p + i, len - i, &res, restart);
            if (res != NFB_OK || *restart) return res;
            i += k;
            continue;
        }
        if (j->drop) {
            i += drop_scan(j, p + i, len - i);
            if (!j->drop && !parser_reset(j)) return NFB_ENOMEM;
            continue;
        }
        if (j->skip) {
            i += skip_scan(j, p + i, len - i);
            if (!j->skip && !parser_reset(j)) return NFB_ENOMEM;
            continue;
        }
        size_t n = len - i < NFB__SEG_MAX ? len - i : NFB__SEG_MAX;
        size_t done;
        nfb_result res = parse_segment(j, p + i, n, &done, restart);
        if (*restart) {
            *used = i + n;
            return res;
        }
        advance_seg(j, done);
        i += done;
        if (res != NFB_OK) return res;
        if (done == n) gather_begin(j);
    }
    return NFB_OK;
}

/* The document before the one that begins at at is cut short: said at
 * the end of its line when at starts a line. */
static void cut_short(nfb__json *j, nfb__pos at)
{
    if (j->cap_line_white && at.line > 1) {
        nfb__pos end = {j->cap_line_start - 1, at.line - 1,
                        j->cap_line_start - j->cap_prev_line_start};
        nfb__report(j->dg, NFB_ERROR, NFB_CODE_SYNTAX, "", end,
                    "expected the rest of the document, found the end of the "
                    "line (the line is cut short)");
    } else {
        nfb__report(j->dg, NFB_ERROR, NFB_CODE_SYNTAX, "", at,
                    "expected the rest of the document, found the start of "
                    "another document (this one is cut short)");
    }
}

/* The decoder found a new document inside the one before (decode.h): the
 * bytes from its '{' to the end of the current segment are parsed again,
 * as often as that happens inside them. */
static nfb_result replay(nfb__json *j)
{
    uint64_t from = j->dec->restart_at.offset;
    uint64_t end = j->seg_base + j->seg_len;
    unsigned char *buf = j->seg == j->replay[0] ? j->replay[1] : j->replay[0];
    size_t n = 0;
    if (from < j->seg_base) { /* the start is in the kept bytes */
        n = (size_t)(j->seg_base - from);
        memcpy(buf, j->cap + (from - j->cap_off), n);
        from = j->seg_base;
    }
    memcpy(buf + n, j->seg + (from - j->seg_base), (size_t)(end - from));
    n += (size_t)(end - from);
    for (;;) {
        nfb__pos at = j->dec->restart_at;
        cut_short(j, at);
        if (j->dg->stopped) return NFB_STOPPED;
        j->dec->doc = NFB__DOC_READING;
        j->abs = j->lc_off = at.offset;
        j->lc_end = j->lc_off;
        j->line = at.line;
        j->line_start = j->prev_line_start = at.offset - (at.column - 1);
        if (!parser_reset(j)) return NFB_ENOMEM;
        size_t used;
        int restart = 0;
        nfb_result res = feed_buf(j, buf, n, &used, &restart);
        if (!restart) return res;
        /* Again, further on: the new start is inside buf. */
        size_t k = (size_t)(j->dec->restart_at.offset - at.offset);
        memmove(buf, buf + k, n - k);
        n -= k;
    }
}

static nfb_result feed_all(nfb__json *j, const unsigned char *p, size_t len)
{
    while (len) {
        size_t used;
        int restart = 0;
        nfb_result res = feed_buf(j, p, len, &used, &restart);
        if (!restart) return res;
        res = replay(j);
        if (res != NFB_OK) return res;
        p += used, len -= used;
    }
    return NFB_OK;
}

nfb_result nfb__json_feed(nfb__json *j, const unsigned char *p, size_t len)
{
    return feed_all(j, p, len);
}

nfb_result nfb__json_finish(nfb__json *j)
{
    if (j->head_match) {
        int restart = 0;
        nfb_result res = head_refuse(j, &restart);
        if (res != NFB_OK) return res;
    }
    if (j->head) { /* a head without its blank line: the body is missing */
        j->head = 0;
        head_end(j);
    }
    if (j->http_state &&
        !http_check(j,
                    j->http_state == 2 ? "a body that is not one" : "no body"))
        return NFB_STOPPED;
    if (j->gather) {
        int restart = 0;
        nfb_result res = parse_held(j, 1, &restart);
        if (res != NFB_OK) return res;
    }
    if (j->skip || j->drop) return NFB_OK; /* reported already */
    if (!nfb__dec_open(j->dec) && !j->has_pending) return NFB_OK;
    /* The segment for positions is the (empty) end of the input. */
    j->seg = (const unsigned char *)"";
    j->seg_len = 0;
    j->seg_base = j->abs;
    feed_as_is(j, j->seg, 0);
    int open_before = nfb__dec_open(j->dec);
    yajl_status st = yajl_complete_parse(j->yajl);
    if (j->dg->failed) return NFB_ENOMEM;
    if (st == yajl_status_client_canceled) {
        if (j->dg->failed) return NFB_ENOMEM;
        if (j->dg->stopped) return NFB_STOPPED;
    } else if (st != yajl_status_ok || nfb__dec_open(j->dec)) {
        if (!open_before && !nfb__dec_open(j->dec))
            nfb__diags_begin_document(j->dg);
        nfb__report(j->dg, NFB_ERROR, NFB_CODE_SYNTAX, "", nfb__json_end_pos(j),
                    "expected the rest of the document, found the end of the "
                    "input");
    }
    return j->dg->stopped ? NFB_STOPPED : NFB_OK;
}
