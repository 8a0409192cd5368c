/* CSV and TSV: a header row of dotted column names, then one row per
 * record, in the canonical column order or the one --columns asks for
 * (the column table of columns.h, made from the schema's rows).
 *
 * A field is written as is unless it holds the delimiter, a quote, CR or
 * LF; then libcsv's csv_write2 quotes it (RFC 4180: inside quotes a quote is
 * doubled). Absent values are empty cells; additionalDestinations is one
 * cell of compact JSON.
 *
 * The formula guard: spreadsheets run a cell that starts with = + - @ (and,
 * after trimming, tab, CR, LF) as a formula, which lets a crafted backup
 * name run commands or leak data when the file is opened (CSV injection).
 * Such a cell gets a leading ' (OWASP's advice), which spreadsheets show as
 * text. A cell that already starts with ' gets one too, so that the guard
 * can be undone: removing one leading ' from every cell that has one gives
 * back the values. NFB_WRITE_NO_FORMULA_GUARD writes the values unchanged.
 *
 * Rows are built with no allocation per cell: one quoting buffer and one
 * JSON buffer grow as needed and are reused. */
#include <csv.h>
#include <stdio.h>

#include "writer_impl.h"

typedef struct csv_writer {
    nfb_writer base;
    unsigned char delim;
    nfb__columns cols; /* the columns, in output order */
    /* Where column i's text is, when it is an nfb_str of the record
     * (strings, sizes, numbers, a date-time's text): its offset in
     * nfb_backup; -1 for an enum or an array, whose text
     * nfb__column_text makes. */
    int16_t str[NFB__MAX_COLUMNS];
    const char *eol;
    size_t eol_len;
    nfb__buf quoted;             /* a quoted field */
    nfb__buf json;               /* an array's cell as JSON */
    unsigned char quote_if[256]; /* bytes that make a field quoted */
    unsigned char guard_if[256]; /* first bytes the formula guard escapes
                                    (none without the guard) */
} csv_writer;

#define BYTES8(c) (0x0101010101010101u * (uint64_t)(unsigned char)(c))

#if defined(NFB_HAVE_VECTORS)
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* 16 bytes as one vector (GNU C): one comparison tests them all. */
typedef signed char bytes16 __attribute__((vector_size(16)));

/* Is any byte of mask t set? With SSE2 one instruction gathers the top
 * bits; elsewhere the two halves are OR-ed. */
static inline int any16(bytes16 t)
{
#if defined(__SSE2__)
    return _mm_movemask_epi8((__m128i)t) != 0;
#else
    uint64_t half[2];
    memcpy(half, &t, sizeof half);
    return (half[0] | half[1]) != 0;
#endif
}

/* The delimiter as the scans below want it: in every byte of a vector. */
typedef bytes16 delims;

static inline delims delims_of(const csv_writer *c)
{
    return (bytes16){0} + (signed char)c->delim;
}

/* Has v a byte that makes a field quoted: the delimiter, '"', CR or LF?
 * Exact. */
static inline int special16(delims d, bytes16 v)
{
    return any16((v == d) | (v == '"') | (v == '\r') | (v == '\n'));
}

/* The same of the 16 bytes of a and b. */
static inline int special_pair(delims d, uint64_t a, uint64_t b)
{
    uint64_t half[2] = {a, b};
    bytes16 v;
    memcpy(&v, half, sizeof v);
    return special16(d, v);
}

/* The same of the 16 bytes at s. */
static inline int special_at(delims d, const unsigned char *s)
{
    bytes16 v;
    memcpy(&v, s, sizeof v);
    return special16(d, v);
}

/* The same of the 16 bytes at s and the 16 at t, in one test. */
static inline int special_two(delims d, const unsigned char *s,
                              const unsigned char *t)
{
    bytes16 v, w;
    memcpy(&v, s, sizeof v);
    memcpy(&w, t, sizeof w);
    bytes16 x = (v == d) | (v == '"') | (v == '\r') | (v == '\n') | (w == d) |
                (w == '"') | (w == '\r') | (w == '\n');
    return any16(x);
}
#else
/* Without GNU vectors: eight bytes at a time in a word, the delimiter in
 * every byte of one. */
typedef uint64_t delims;

static inline delims delims_of(const csv_writer *c)
{
    return BYTES8(c->delim);
}

/* Non-zero when a byte of v equals the byte repeated in b (exact as to
 * whether there is one; the flag bits above the first match may be off). */
static inline uint64_t has_byte(uint64_t v, uint64_t b)
{
    uint64_t x = v ^ b;
    return (x - BYTES8(1)) & ~x & BYTES8(0x80);
}

/* Bytes of v below 0x2D: the delimiter (comma or tab), '"', CR and LF all
 * are, so a word with none needs no closer look. */
static inline uint64_t below_2d(uint64_t v)
{
    return (v - BYTES8(0x2d)) & ~v & BYTES8(0x80);
}

/* Has v a byte that makes a field quoted? */
static inline uint64_t special(delims d, uint64_t v)
{
    if (NFB_LIKELY(!below_2d(v))) return 0;
    return has_byte(v, d) | has_byte(v, BYTES8('"')) |
           has_byte(v, BYTES8('\r')) | has_byte(v, BYTES8('\n'));
}

static inline int special_pair(delims d, uint64_t a, uint64_t b)
{
    return (special(d, a) | special(d, b)) != 0;
}

static inline int special_at(delims d, const unsigned char *s)
{
    uint64_t a, b;
    memcpy(&a, s, 8);
    memcpy(&b, s + 8, 8);
    return special_pair(d, a, b);
}

static inline int special_two(delims d, const unsigned char *s,
                              const unsigned char *t)
{
    return special_at(d, s) | special_at(d, t);
}
#endif

/* Copies s[0..len) to o, which has room for len + 8 bytes, and says
 * whether s needs quoting (what was copied is then not used). Sixteen
 * bytes at a time, the last 32 as two blocks of 16 that may overlap,
 * tested at once; a shorter s
 * in two overlapping words (8 to 15 bytes, or 4 to 7), or its first,
 * middle and last byte (1 to 3), tested at once. No byte outside s is
 * read. Zero bytes fill the test's spare lanes: none is special. */
static NFB_ALWAYS_INLINE int copy_plain(delims d, unsigned char *o,
                                        const unsigned char *s, size_t len)
{
    if (len >= 16) {
        int hit = 0;
        size_t i = 0;
        for (; i + 32 < len; i += 16) {
            memcpy(o + i, s + i, 16);
            hit |= special_at(d, s + i);
        }
        /* 16 to 32 bytes left: two blocks of 16, which may overlap */
        memcpy(o + i, s + i, 16);
        memcpy(o + len - 16, s + len - 16, 16);
        return hit | special_two(d, s + i, s + len - 16);
    }
    if (len >= 8) {
        uint64_t a, b;
        memcpy(&a, s, 8);
        memcpy(&b, s + len - 8, 8);
        memcpy(o, &a, 8);
        memcpy(o + len - 8, &b, 8);
        return special_pair(d, a, b);
    }
    if (len >= 4) {
        uint32_t x, y;
        memcpy(&x, s, 4);
        memcpy(&y, s + len - 4, 4);
        memcpy(o, &x, 4);
        memcpy(o + len - 4, &y, 4);
        return special_pair(d, x, y);
    }
    if (len == 0) return 0;
    unsigned char f = s[0], m = s[len / 2], l = s[len - 1];
    o[0] = f;
    o[len / 2] = m;
    o[len - 1] = l;
    return special_pair(d, f | (uint32_t)m << 8 | (uint32_t)l << 16, 0);
}

/* Does s need quoting? */
static int needs_quoting(const csv_writer *c, const unsigned char *s,
                         size_t len)
{
    delims d = delims_of(c);
    if (len < 16) {
        for (size_t i = 0; i < len; i++)
            if (c->quote_if[s[i]]) return 1;
        return 0;
    }
    for (size_t i = 0; i + 16 < len; i += 16)
        if (special_at(d, s + i)) return 1;
    return special_at(d, s + len - 16);
}

/* The first bytes of a cell that the formula guard escapes: formula
 * starts, and the ' itself (see the top of the file). */
static int guarded(unsigned char c)
{
    return c == '=' || c == '+' || c == '-' || c == '@' || c == '\t' ||
           c == '\r' || c == '\n' || c == '\0' || c == '\'';
}

static int init_common(nfb_writer *w, const nfb_writer_options *o, char *err,
                       size_t errlen, unsigned char delim)
{
    csv_writer *c = (csv_writer *)w;
    c->delim = delim;
    c->eol = (w->flags & NFB_WRITE_CRLF) ? "\r\n" : "\n";
    c->eol_len = strlen(c->eol);
    c->quote_if[delim] = c->quote_if['"'] = 1;
    c->quote_if['\r'] = c->quote_if['\n'] = 1;
    if (!(w->flags & NFB_WRITE_NO_FORMULA_GUARD))
        for (int i = 0; i < 256; i++)
            c->guard_if[i] = (unsigned char)guarded((unsigned char)i);
    int res = nfb__parse_columns(o->columns, &c->cols, err, errlen);
    for (unsigned i = 0; i < c->cols.n; i++) {
        const nfb__field *f = c->cols.col[i].field;
        c->str[i] = -1;
        if (f->type == NFB_T_STRING || f->type == NFB_T_SIZE ||
            f->type == NFB_T_NUMBER)
            c->str[i] = f->off;
        else if (f->type == NFB_T_DATETIME)
            c->str[i] = (int16_t)(f->off + (int16_t)offsetof(nfb_time, text));
    }
    return res;
}

static int init_csv(nfb_writer *w, const nfb_writer_options *o, char *err,
                    size_t errlen)
{
    return init_common(w, o, err, errlen, ',');
}

static int init_tsv(nfb_writer *w, const nfb_writer_options *o, char *err,
                    size_t errlen)
{
    return init_common(w, o, err, errlen, '\t');
}

static int begin(nfb_writer *w)
{
    csv_writer *c = (csv_writer *)w;
    if (w->flags & NFB_WRITE_NO_HEADER) return NFB_OK;
    for (unsigned i = 0; i < c->cols.n; i++) {
        const char *n = c->cols.col[i].name;
        if (i) nfb__sink_put(&w->sink, &c->delim, 1);
        nfb__sink_put(&w->sink, n, strlen(n));
    }
    nfb__sink_put(&w->sink, c->eol, c->eol_len);
    return NFB_OK;
}

/* A field that is quoted, or longer than FAST_MAX (after the delimiter,
 * which is written). Quoting goes through csv_write2; a guarded cell is
 * quoted with its ' inside the quotes. */
static NFB_NOINLINE int field_slow(csv_writer *c, const char *s, size_t len)
{
    nfb__sink *sk = &c->base.sink;
    const unsigned char *u = (const unsigned char *)s;
    int guard = len && c->guard_if[u[0]];
    if (!needs_quoting(c, u, len)) {
        if (guard) nfb__sink_put(sk, "'", 1);
        nfb__sink_put(sk, s, len);
        return NFB_OK;
    }
    if (len > (SIZE_MAX - 3) / 2) return NFB_ENOMEM;
    int res = nfb__buf_reserve(&c->quoted, &c->base.alloc, 2 * len + 3);
    if (res != NFB_OK) return res;
    /* csv_write2 writes "..." at q+1; with the guard, its opening quote
     * becomes the ' and a new opening quote goes before it. */
    unsigned char *q = c->quoted.ptr;
    size_t n = csv_write2(q + 1, c->quoted.cap - 1, s, len, '"');
    unsigned char *out = q + 1;
    if (guard) {
        q[0] = '"';
        q[1] = '\'';
        out = q;
        n++;
    }
    nfb__sink_put(sk, out, n);
    return NFB_OK;
}

/* The longest field written straight into the sink's block. */
enum { FAST_MAX = 4096 };

/* The row is written straight into the sink's block: o is where its next
 * byte goes, room how many bytes the block has left. */
typedef struct row {
    unsigned char *o;
    size_t room;
} row;

/* Makes room for n bytes (at most the block's size): the block handed to
 * the write function first when they do not fit. */
static NFB_NOINLINE void row_refill(nfb__sink *sk, row *r, size_t n)
{
    nfb__sink_commit(sk, r->o);
    r->o = nfb__sink_reserve(sk, n);
    r->room = sk->cap - (size_t)(r->o - sk->buf);
}

/* A field that goes through field_slow: the row's bytes committed to the
 * sink first, and taken up again after. */
static NFB_NOINLINE int row_slow(csv_writer *c, row *r, const char *s,
                                 size_t len, int sep)
{
    nfb__sink *sk = &c->base.sink;
    nfb__sink_commit(sk, r->o);
    if (sep) nfb__sink_put(sk, &c->delim, 1);
    int res = field_slow(c, s, len);
    r->o = sk->buf + sk->len;
    r->room = sk->cap - sk->len;
    return res;
}

/* The cell of column i, after the delimiter when sep (a constant: the
 * first column is written before the loop over the others). An absent
 * value is an empty cell. Most fields need no quotes: they are copied
 * into the sink's block while they are looked at, and the copy is dropped
 * for field_slow when they do need them, or when they are longer than
 * FAST_MAX. Inline: it runs for every cell. */
static NFB_ALWAYS_INLINE int cell(csv_writer *c, delims d, row *r,
                                  const nfb_backup *b, unsigned i, int sep)
{
    const nfb__column *col = &c->cols.col[i];
    const unsigned char delim = c->delim;
    nfb_str v = {"", 0};
    if (!nfb__column_present(col, b)) {
        if (sep) {
            if (NFB_UNLIKELY(!r->room)) row_refill(&c->base.sink, r, 1);
            *r->o++ = delim;
            r->room--;
            return NFB_OK;
        }
    } else if (c->str[i] >= 0) {
        v = *NFB__AT(nfb_str, b, c->str[i]);
    } else {
        int res = nfb__column_text(col, b, &c->json, &c->base.alloc, &v);
        if (res != NFB_OK) return res;
    }
    const unsigned char *u = (const unsigned char *)v.ptr;
    size_t len = v.len;
    /* the delimiter, the guard's ', the text and what the copy may write
     * past it, or the two quotes of an empty field */
    if (NFB_UNLIKELY(len + 10 > r->room)) {
        if (len > FAST_MAX) return row_slow(c, r, v.ptr, len, sep);
        row_refill(&c->base.sink, r, len + 10);
    }
    unsigned char *o = r->o;
    if (sep) *o++ = delim;
    if (len && c->guard_if[u[0]]) *o++ = '\'';
    if (NFB_UNLIKELY(copy_plain(d, o, u, len)))
        return row_slow(c, r, v.ptr, len, sep);
    if (NFB_UNLIKELY(len == 0 && c->cols.n == 1)) {
        /* A row of one empty cell would be an empty line, which readers
         * skip: quote it. */
        *o++ = '"';
        *o++ = '"';
    }
    o += len;
    r->room -= (size_t)(o - r->o);
    r->o = o;
    return NFB_OK;
}

/* A row: its cells, then the line end. A string's text is read straight
 * from the record (c->str), an enum's or an array's from
 * nfb__column_text. */
static int write_record(nfb_writer *w, const nfb_backup *b)
{
    csv_writer *c = (csv_writer *)w;
    nfb__sink *sk = &w->sink;
    const delims d = delims_of(c);
    const unsigned n = c->cols.n;
    row r = {sk->buf + sk->len, sk->cap - sk->len};
    int res = n ? cell(c, d, &r, b, 0, 0) : NFB_OK;
    for (unsigned i = 1; i < n && res == NFB_OK; i++)
        res = cell(c, d, &r, b, i, 1);
    nfb__sink_commit(sk, r.o);
    if (res == NFB_OK) nfb__sink_put(sk, c->eol, c->eol_len);
    return res;
}

static void destroy(nfb_writer *w)
{
    csv_writer *c = (csv_writer *)w;
    nfb__buf_free(&c->quoted, &w->alloc);
    nfb__buf_free(&c->json, &w->alloc);
}

const nfb__writer_class nfb__csv_writer = {
    .info = {"csv", "CSV with a header row: --columns, --no-header, --crlf, "
                    "--no-formula-guard"},
    .size = sizeof(csv_writer),
    .init = init_csv,
    .begin = begin,
    .record = write_record,
    .free = destroy};

const nfb__writer_class nfb__tsv_writer = {
    .info = {"tsv", "tab-separated values, with the same options as csv"},
    .size = sizeof(csv_writer),
    .init = init_tsv,
    .begin = begin,
    .record = write_record,
    .free = destroy};
