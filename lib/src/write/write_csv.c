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
 * Rows are written straight into the sink's block, with no allocation
 * per cell: each column's way to its cell is planned once (col_plan), an
 * enum's names are copied from padded words, and the block's room is
 * checked once a row and once a text. One JSON buffer and one quoting
 * buffer (for a field too long for a block) grow as needed and are
 * reused. */
#include <csv.h>
#include <stdio.h>

#include "scan.h"
#include "writer_impl.h"

/* How a column's cell is made: K_TEXT an nfb_str of the record (a
 * string, a size, a number, a date-time's text), K_ENUM an enum whose
 * names are all in the column's words, K_OTHER what nfb__column_text makes
 * (an array's JSON, an enum with a name the words cannot hold). */
enum { K_TEXT, K_ENUM, K_OTHER };

typedef struct col_plan {
    uint8_t kind;
    uint8_t nhas;               /* the presence flags on its path */
    uint8_t nwords;             /* K_ENUM: its names */
    int16_t off;                /* K_TEXT: its nfb_str; K_ENUM: its int,
                                   or -1 for an enum of one value */
    int16_t has[NFB__MAX_PATH]; /* the flags, has[0..nhas) */
} col_plan;

/* An enum's name, zero-padded to 16 bytes: a cell copied in one move. */
enum { MAX_WORDS = 8 };
typedef struct word {
    unsigned char text[16];
    uint8_t len;
} word;

typedef struct csv_writer {
    nfb_writer base;
    unsigned char delim;
    nfb__columns cols; /* the columns, in output order */
    col_plan plan[NFB__MAX_COLUMNS];
    word words[NFB__MAX_COLUMNS][MAX_WORDS]; /* K_ENUM: the names */
    size_t reserve; /* a row's room for its cells but their text */
    unsigned char eol[2];
    size_t eol_len;
    nfb__buf quoted;             /* a quoted field too long for a block */
    nfb__buf json;               /* an array's cell as JSON */
    unsigned char quote_if[256]; /* bytes that make a field quoted */
    unsigned char guard_if[256]; /* first bytes the formula guard escapes
                                    (none without the guard) */
} csv_writer;

#if defined(NFB_HAVE_VECTORS)
/* The delimiter as the scans below want it: in every byte of a vector. */
typedef nfb__bytes16 delims;

static inline delims delims_of(const csv_writer *c)
{
    return nfb__fill16((unsigned char)c->delim);
}

/* Has v a byte that makes a field quoted: the delimiter, '"', CR or LF?
 * Exact. */
static inline int special16(delims d, nfb__bytes16 v)
{
    return nfb__any16((v == d) | (v == '"') | (v == '\r') | (v == '\n'));
}

/* The same of the 16 bytes of a and b. */
static inline int special_pair(delims d, uint64_t a, uint64_t b)
{
    return special16(d, nfb__join16(a, b));
}

/* The same of the 16 bytes at s. */
static inline int special_at(delims d, const unsigned char *s)
{
    return special16(d, nfb__load16(s));
}

/* The same of the 16 bytes at s and the 16 at t, in one test. */
static inline int special_two(delims d, const unsigned char *s,
                              const unsigned char *t)
{
    nfb__bytes16 v = nfb__load16(s), w = nfb__load16(t);
    nfb__bytes16 x = (v == d) | (v == '"') | (v == '\r') | (v == '\n') |
                     (w == d) | (w == '"') | (w == '\r') | (w == '\n');
    return nfb__any16(x);
}
#else
/* Without GNU vectors: eight bytes at a time in a word, the delimiter in
 * every byte of one. */
typedef uint64_t delims;

static inline delims delims_of(const csv_writer *c)
{
    return NFB__ONES * (unsigned char)c->delim;
}

/* Bytes of v below 0x2D: the delimiter (comma or tab), '"', CR and LF all
 * are, so a word with none needs no closer look. */
static inline uint64_t below_2d(uint64_t v)
{
    return nfb__bytes_lt(v, 0x2d);
}

/* Has v a byte that makes a field quoted? */
static inline uint64_t special(delims d, uint64_t v)
{
    if (NFB_LIKELY(!below_2d(v))) return 0;
    return nfb__bytes_match(v, d) | nfb__bytes_eq(v, '"') |
           nfb__bytes_eq(v, '\r') | nfb__bytes_eq(v, '\n');
}

static inline int special_pair(delims d, uint64_t a, uint64_t b)
{
    return (special(d, a) | special(d, b)) != 0;
}

static inline int special_at(delims d, const unsigned char *s)
{
    return special_pair(d, nfb__load8(s), nfb__load8(s + 8));
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

/* Can enum field f's cells be copied from words: every name shorter than
 * 16 bytes, needing no quotes and no guard? */
static int words_fit(const csv_writer *c, const nfb__field *f)
{
    if (f->nenums > MAX_WORDS) return 0;
    for (unsigned v = 0; v < f->nenums; v++) {
        const nfb_str *e = &f->enums[v];
        if (e->len == 0 || e->len >= 16 ||
            c->guard_if[(unsigned char)e->ptr[0]])
            return 0;
        for (size_t k = 0; k < e->len; k++)
            if (c->quote_if[(unsigned char)e->ptr[k]]) return 0;
    }
    return 1;
}

/* The most bytes a cell writes but its text: the delimiter, the guard's '
 * or the two quotes of an empty field, or an enum's 16 bytes after the
 * delimiter. */
enum { CELL_MAX = 24 };

/* Column i's plan (see col_plan). */
static void plan_column(csv_writer *c, unsigned i)
{
    const nfb__column *col = &c->cols.col[i];
    const nfb__field *f = col->field;
    col_plan *p = &c->plan[i];
    p->nhas = 0;
    while (p->nhas < NFB__MAX_PATH && col->has[p->nhas] >= 0) {
        p->has[p->nhas] = col->has[p->nhas];
        p->nhas++;
    }
    p->kind = K_OTHER;
    p->off = -1;
    if (f->type == NFB_T_STRING || f->type == NFB_T_SIZE ||
        f->type == NFB_T_NUMBER) {
        p->kind = K_TEXT;
        p->off = f->off;
    } else if (f->type == NFB_T_DATETIME) {
        p->kind = K_TEXT;
        p->off = (int16_t)(f->off + (int16_t)offsetof(nfb_time, text));
    } else if (f->type == NFB_T_ENUM && words_fit(c, f)) {
        p->kind = K_ENUM;
        p->off = f->off;
        p->nwords = f->nenums;
        for (unsigned v = 0; v < f->nenums; v++) {
            memcpy(c->words[i][v].text, f->enums[v].ptr, f->enums[v].len);
            c->words[i][v].len = (uint8_t)f->enums[v].len;
        }
    }
}

static int init_common(nfb_writer *w, const nfb_writer_options *o, char *err,
                       size_t errlen, unsigned char delim)
{
    csv_writer *c = (csv_writer *)w;
    c->delim = delim;
    c->eol[0] = '\n';
    c->eol_len = 1;
    if (w->flags & NFB_WRITE_CRLF) {
        c->eol[0] = '\r';
        c->eol[1] = '\n';
        c->eol_len = 2;
    }
    c->quote_if[delim] = c->quote_if['"'] = 1;
    c->quote_if['\r'] = c->quote_if['\n'] = 1;
    if (!(w->flags & NFB_WRITE_NO_FORMULA_GUARD))
        for (int i = 0; i < 256; i++)
            c->guard_if[i] = (unsigned char)guarded((unsigned char)i);
    int res = nfb__parse_columns(o->columns, &c->cols, err, errlen);
    for (unsigned i = 0; i < c->cols.n; i++)
        plan_column(c, i);
    c->reserve = (size_t)c->cols.n * CELL_MAX + sizeof c->eol;
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
 * which is written); special says whether it needs quotes, or is -1 when
 * it was not looked at. Quoting goes through csv_write2, straight into
 * the sink's block when the quoted field fits one, else through the
 * quoting buffer; a guarded cell is quoted with its ' inside the
 * quotes. */
static NFB_NOINLINE int field_slow(csv_writer *c, const char *s, size_t len,
                                   int special)
{
    nfb__sink *sk = &c->base.sink;
    const unsigned char *u = (const unsigned char *)s;
    int guard = len && c->guard_if[u[0]];
    if (special < 0) special = needs_quoting(c, u, len);
    if (!special) {
        if (guard) nfb__sink_put(sk, "'", 1);
        nfb__sink_put(sk, s, len);
        return NFB_OK;
    }
    if (len > (SIZE_MAX - 3) / 2) return NFB_ENOMEM;
    /* csv_write2 writes "..." (at most 2 * len + 2 bytes); with the
     * guard, it writes them one byte on, and its opening quote becomes
     * the ' after a new opening quote. */
    size_t need = 2 * len + 3;
    int direct = need <= sk->cap;
    unsigned char *q;
    if (direct) {
        q = nfb__sink_reserve(sk, need);
    } else {
        int res = nfb__buf_reserve(&c->quoted, &c->base.alloc, need);
        if (res != NFB_OK) return res;
        q = c->quoted.ptr;
    }
    size_t n = csv_write2(q + guard, need - 1, s, len, '"');
    if (guard) {
        q[0] = '"';
        q[1] = '\'';
        n++;
    }
    if (direct)
        nfb__sink_commit(sk, q + n);
    else
        nfb__sink_put(sk, q, n);
    return NFB_OK;
}

/* The longest field written straight into the sink's block. */
enum { FAST_MAX = 4096 };

/* The row is written straight into the sink's block: o is where its next
 * byte goes, end the block's end. Before each cell the block has room for
 * c->reserve bytes at o, less CELL_MAX for each cell written: enough for
 * the cells left but their text, and the line end. */
typedef struct row {
    unsigned char *o, *end;
} row;

/* Makes room for n bytes (at most the block's size): the block handed to
 * the write function first when they do not fit. */
static NFB_NOINLINE void row_refill(nfb__sink *sk, row *r, size_t n)
{
    nfb__sink_commit(sk, r->o);
    r->o = nfb__sink_reserve(sk, n);
    r->end = sk->buf + sk->cap;
}

/* A field that goes through field_slow: the row's bytes committed to the
 * sink first, and taken up again after, with c->reserve bytes of room. */
static NFB_NOINLINE int row_slow(csv_writer *c, row *r, const char *s,
                                 size_t len, int sep, int special)
{
    nfb__sink *sk = &c->base.sink;
    nfb__sink_commit(sk, r->o);
    if (sep) nfb__sink_put(sk, &c->delim, 1);
    int res = field_slow(c, s, len, special);
    r->o = nfb__sink_reserve(sk, c->reserve);
    r->end = sk->buf + sk->cap;
    return res;
}

/* The cell of column i, after the delimiter when sep (a constant: the
 * first column is written before the loop over the others). An absent
 * value is an empty cell; an enum's is one of the column's words, which
 * need no quotes and no guard (plan_column). Most texts need no quotes:
 * they are copied into the sink's block while they are looked at, and the
 * copy is dropped for field_slow when they do need them, or when they are
 * longer than FAST_MAX. Only a text checks the block's room (for its
 * length; the rest of the row has c->reserve). Inline: it runs for every
 * cell. */
static NFB_ALWAYS_INLINE int cell(csv_writer *c, delims d, row *r,
                                  const nfb_backup *b, unsigned i, int sep)
{
    const col_plan *p = &c->plan[i];
    const unsigned char delim = c->delim;
    const char *rec = (const char *)b;
    for (unsigned k = 0; k < p->nhas; k++)
        if (!*(const bool *)(rec + p->has[k])) {
            /* absent: an empty cell, quoted when it is the row's only
             * one (an empty line would be skipped by readers) */
            if (sep)
                *r->o++ = delim;
            else if (c->cols.n == 1)
                *r->o++ = '"', *r->o++ = '"';
            return NFB_OK;
        }
    nfb_str v;
    if (p->kind == K_ENUM) {
        int e = p->off >= 0 ? *NFB__AT(int, b, p->off) : 0;
        if (NFB_UNLIKELY((unsigned)e >= p->nwords)) return NFB_EINVAL;
        const word *wd = &c->words[i][e];
        unsigned char *o = r->o;
        if (sep) *o++ = delim;
        memcpy(o, wd->text, 16);
        r->o = o + wd->len;
        return NFB_OK;
    }
    if (p->kind == K_TEXT) {
        v = *NFB__AT(nfb_str, b, p->off);
    } else {
        int res =
            nfb__column_text(&c->cols.col[i], b, &c->json, &c->base.alloc, &v);
        if (res != NFB_OK) return res;
    }
    const unsigned char *u = (const unsigned char *)v.ptr;
    size_t len = v.len;
    if (NFB_UNLIKELY(len + c->reserve > (size_t)(r->end - r->o))) {
        if (len > FAST_MAX) return row_slow(c, r, v.ptr, len, sep, -1);
        row_refill(&c->base.sink, r, len + c->reserve);
    }
    unsigned char *o = r->o;
    if (sep) *o++ = delim;
    if (len && c->guard_if[u[0]]) *o++ = '\'';
    if (NFB_UNLIKELY(copy_plain(d, o, u, len)))
        return row_slow(c, r, v.ptr, len, sep, 1);
    if (NFB_UNLIKELY(len == 0 && c->cols.n == 1)) {
        *o++ = '"';
        *o++ = '"';
    }
    r->o = o + len;
    return NFB_OK;
}

/* A row: its cells, then the line end, written into the sink's block
 * after one room check (c->reserve) and one more per text (cell). */
static int write_record(nfb_writer *w, const nfb_backup *b)
{
    csv_writer *c = (csv_writer *)w;
    nfb__sink *sk = &w->sink;
    const delims d = delims_of(c);
    const unsigned n = c->cols.n;
    row r = {nfb__sink_reserve(sk, c->reserve), sk->buf + sk->cap};
    int res = n ? cell(c, d, &r, b, 0, 0) : NFB_OK;
    for (unsigned i = 1; i < n && res == NFB_OK; i++)
        res = cell(c, d, &r, b, i, 1);
    if (res == NFB_OK) {
        memcpy(r.o, c->eol, sizeof c->eol);
        r.o += c->eol_len;
    }
    nfb__sink_commit(sk, r.o);
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
