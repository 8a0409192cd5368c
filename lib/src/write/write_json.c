/* Normalized JSON: the fields in the schema's canonical order (the rows of
 * schema.c's tables), values exactly as read (timestamps as written, size
 * as its string), one compact record per line unless pretty or array
 * output is asked for.
 *
 * Two paths write the same bytes. The fast path reads the record through
 * the schema's rows itself (each row's key made into its output text once
 * per writer) and writes the text straight into the sink: compact output
 * through a flat program made of the rows (run), pretty output through
 * put_object, which follows the rows level by level; the reference
 * path is a receiver of the record's walk (walk.h) on yajl's generator,
 * which the fast path copies byte for byte (its separators, its pretty
 * layout and its string escapes): nfb__json_writer_use_yajl (write_json.h)
 * selects it, and a unit test (test_json_fast) and the round-trip fuzzer
 * compare the two. Through yajl, the generator and its print callback cost
 * more than the rest of the writer, a call per piece of a few bytes.
 *
 * Strings are escaped by json_text.c (NFB_JSON_RECORD), which also writes
 * U+0085, U+2028 and U+2029 as \u0085, \u2028 and \u2029 (see
 * json_text.h): yajl writes them raw, so on the reference path print
 * escapes them while a string that holds one is being written. */
#include <yajl/yajl_gen.h>

#include "json_text.h"
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

typedef struct json_row json_row;

/* A key's text, with its value for an enum, and the compact record's
 * program of the rows (see compile): room for the rows of a backup, its
 * objects' brackets and the names of its enums. */
enum { KEY_COPY = 32, MAX_OPS = 64, MAX_LITS = 64 };

typedef struct json_lit {
    /* ',"name":' or ',"name":"value"', copied as KEY_COPY bytes at once
     * (what is past len being overwritten after), the comma then replaced
     * by what goes before the key. Read from its second byte too. */
    unsigned char text[KEY_COPY + 8];
    size_t len;
} json_lit;

typedef struct json_op {
    unsigned char op;    /* json_op_code */
    unsigned char nlit;  /* OP_ENUM: the values, a lit each */
    int16_t off;         /* the value's member; OP_ENUM: -1 for its one value */
    int16_t has_off;     /* the presence flag, or -1 */
    uint16_t skip;       /* OP_OPEN, OP_ARRAY: the ops after it that are its */
    const json_lit *lit; /* the key (every op but OP_CLOSE and OP_END) */
    const nfb__field *f; /* OP_ARRAY: the row */
} json_op;

typedef struct json_writer {
    nfb_writer base;
    int pretty;
    /* the fast path */
    unsigned depth;
    unsigned char state[MAX_DEPTH]; /* gen_state of each level */
    json_row *rows; /* the schema's rows and their keys (make_rows) */
    const json_row *row[NFB_K_COUNT + 1];
    size_t most; /* the most bytes of a string escaped into one block */
    /* the compact record's program (compile), or nops 0 for none */
    json_op ops[MAX_OPS];
    json_lit lits[MAX_LITS];
    unsigned nops, nlits;
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

/* memcpy for the few bytes of a name or a number, without a call: two
 * overlapping moves of a fixed size cover 4 to 16 bytes. Returns the end. */
static unsigned char *copy_short(unsigned char *d, const char *s, size_t n)
{
    if (n > 16) {
        memcpy(d, s, n);
    } else if (n >= 8) {
        size_t last = n - 8; /* where the last 8 bytes begin */
        memcpy(d, s, 8);
        memcpy(d + last, s + last, 8);
    } else if (n >= 4) {
        size_t last = n - 4;
        memcpy(d, s, 4);
        memcpy(d + last, s + last, 4);
    } else {
        for (size_t i = 0; i < n; i++)
            d[i] = (unsigned char)s[i];
    }
    return d + n;
}

/* The envelope's key, in one piece: its text needs no escaping. */
static void put_word(json_writer *j, const char *s, size_t len)
{
    nfb__sink *sk = &j->base.sink;
    unsigned char *p = separator(j, nfb__sink_reserve(sk, MAX_SEP + len + 2));
    *p++ = '"';
    p = copy_short(p, s, len);
    appended(j);
    nfb__sink_commit(sk, value_end(j, p, '"'));
}

static int fast_open(json_writer *j, char bracket)
{
    nfb__sink *sk = &j->base.sink;
    if (j->depth + 1 >= MAX_DEPTH) return NFB_EINVAL;
    unsigned char *p = separator(j, nfb__sink_reserve(sk, MAX_SEP + 2));
    *p++ = (unsigned char)bracket;
    if (j->pretty) *p++ = '\n';
    nfb__sink_commit(sk, p);
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
    unsigned char *p = nfb__sink_reserve(sk, MAX_SEP + 3);
    if (j->pretty) *p++ = '\n';
    appended(j);
    /* INSERT_WHITESPACE, after the state of the level that goes on. */
    if (j->pretty && j->state[j->depth] != GEN_MAP_VAL) p = indent(j, p);
    nfb__sink_commit(sk, value_end(j, p, bracket));
    return NFB_OK;
}

/* Writes the string v at p, quoted and escaped; p has room for
 * 2 + 6 * min(v.len, most) bytes, and a longer string goes on in the next
 * blocks, most bytes of it at a time. Returns the end. */
static unsigned char *put_quoted(nfb__sink *sk, unsigned char *p, size_t most,
                                 nfb_str v)
{
    const unsigned char *s = (const unsigned char *)v.ptr;
    size_t len = v.len;
    *p++ = '"';
    for (;;) {
        size_t n = len <= most ? len : nfb__json_cut(s, most);
        p = nfb__json_escape(p, s, n);
        s += n, len -= n;
        if (NFB_LIKELY(!len)) break;
        /* A string longer than a block: the next piece in the next. */
        nfb__sink_commit(sk, p);
        p = nfb__sink_reserve(sk, 2 + 6 * (len < most ? len : most));
    }
    *p++ = '"';
    return p;
}

/* ---- the fast path's record: the schema's rows read straight ---- */

/* A key's text is copied as a fixed KEY_COPY bytes when it is no longer:
 * one or two moves instead of a call to memcpy (KEY_COPY is above). */

/* A row of the schema as the record writer reads it, made once per writer
 * (make_rows) from the schema's tables. */
struct json_row {
    const nfb__field *f;
    /* The key's text: ',"name":' in compact output (without the comma for
     * an object's first key), '"name": ' in pretty output (after ",\n"
     * and the indentation). */
    const unsigned char *key;
    size_t key_len;
    /* What the key needs: the separator and indentation before it, its
     * text and what its copy may write past it. */
    size_t room;
    int16_t has_off; /* the row's: its presence flag, or -1 */
};

/* Makes the rows of every kind: those of kind k from j->row[k] to
 * j->row[k + 1], in the order of its table. */
static int make_rows(json_writer *j, const nfb_allocator *a)
{
    size_t rows = 0, text = 0;
    for (int k = 0; k < NFB_K_COUNT; k++)
        for (int i = 0; i < nfb__objects[k].count; i++, rows++)
            text += nfb__objects[k].fields[i].len + 4u;
    /* The copy of the last key may read KEY_COPY bytes from its second. */
    size_t size = rows * sizeof(json_row) + text + KEY_COPY + 1;
    json_row *r = nfb__malloc(a, size);
    if (!r) return NFB_ENOMEM;
    memset(r, 0, size);
    j->rows = r;
    unsigned char *t = (unsigned char *)(r + rows);
    for (int k = 0; k < NFB_K_COUNT; k++) {
        j->row[k] = r;
        for (int i = 0; i < nfb__objects[k].count; i++, r++) {
            const nfb__field *f = &nfb__objects[k].fields[i];
            r->f = f;
            r->has_off = f->has_off;
            r->key = t;
            r->key_len = f->len + 4u;
            r->room = MAX_SEP + (r->key_len > KEY_COPY ? r->key_len : KEY_COPY);
            if (!j->pretty) *t++ = ',';
            *t++ = '"';
            memcpy(t, f->name, f->len);
            t += f->len;
            *t++ = '"';
            *t++ = ':';
            if (j->pretty) *t++ = ' ';
        }
    }
    j->row[NFB_K_COUNT] = r;
    return NFB_OK;
}

/* Writes at p the key of row r in an object whose fields are at level
 * depth; first: the object's first key. Returns the end. */
static unsigned char *put_key(int pretty, const json_row *r, int first,
                              unsigned depth, unsigned char *p)
{
    const unsigned char *text = r->key;
    size_t n = r->key_len;
    if (pretty) {
        p[0] = ',', p[1] = '\n';
        p += first ? 0 : 2;
        memcpy(p, indentation, MAX_DEPTH * (sizeof INDENT - 1));
        p += (sizeof INDENT - 1) * depth;
    } else {
        text += first, n -= (size_t)first;
    }
    if (NFB_LIKELY(n <= KEY_COPY))
        memcpy(p, text, KEY_COPY);
    else
        memcpy(p, text, n);
    return p + n;
}

/* Writes at p what goes before an item of an array whose items are at
 * level depth, i items before it. Returns the end; at most MAX_SEP. */
static unsigned char *item_sep(const json_writer *j, size_t i, unsigned depth,
                               unsigned char *p)
{
    if (!j->pretty) {
        *p = ',';
        return p + (i != 0);
    }
    p[0] = ',', p[1] = '\n';
    p += i ? 2 : 0;
    memcpy(p, indentation, MAX_DEPTH * (sizeof INDENT - 1));
    return p + (sizeof INDENT - 1) * depth;
}

/* Opens an object or an array whose items will be at level depth. */
static int put_open(json_writer *j, char bracket, unsigned depth)
{
    nfb__sink *sk = &j->base.sink;
    if (depth >= MAX_DEPTH) return NFB_EINVAL;
    unsigned char *p = nfb__sink_reserve(sk, 2);
    *p++ = (unsigned char)bracket;
    if (j->pretty) *p++ = '\n';
    nfb__sink_commit(sk, p);
    return NFB_OK;
}

/* Closes an object or an array whose items are at level depth: in pretty
 * output after a newline and the indentation of the level above. */
static void put_close(json_writer *j, char bracket, unsigned depth)
{
    nfb__sink *sk = &j->base.sink;
    unsigned char *p = nfb__sink_reserve(sk, MAX_SEP + 1);
    if (j->pretty) {
        *p++ = '\n';
        memcpy(p, indentation, MAX_DEPTH * (sizeof INDENT - 1));
        p += (sizeof INDENT - 1) * (depth - 1);
    }
    *p++ = (unsigned char)bracket;
    nfb__sink_commit(sk, p);
}

static int put_object(json_writer *j, nfb__kind k, const char *base,
                      unsigned depth);

/* The value of array row f of the struct at base, its items at level
 * depth. The pointer to the first is copied out by memcpy: its C type is
 * the element's, not void's. */
static int put_array(json_writer *j, const nfb__field *f, const char *base,
                     unsigned depth)
{
    nfb__sink *sk = &j->base.sink;
    const char *items;
    memcpy(&items, base + f->off, sizeof items);
    size_t n = *NFB__AT(size_t, base, f->count_off);
    TRY(put_open(j, '[', depth));
    for (size_t i = 0; i < n; i++) {
        nfb__sink_commit(sk,
                         item_sep(j, i, depth, nfb__sink_reserve(sk, MAX_SEP)));
        TRY(put_object(j, (nfb__kind)f->kind, items + i * f->elem_size,
                       depth + 1));
    }
    put_close(j, ']', depth);
    return NFB_OK;
}

/* Writes the key of row r and its value from the struct at base, in an
 * object whose fields are at level depth; first: the object's first. */
static int put_field(json_writer *j, const json_row *r, int first,
                     const char *base, unsigned depth)
{
    nfb__sink *sk = &j->base.sink;
    const nfb__field *f = r->f;
    size_t room = r->room, most = j->most;
    int pretty = j->pretty;
    unsigned char *p;
    nfb_str v;
    switch (f->type) {
    case NFB_T_STRING:
    case NFB_T_SIZE:
        v = *NFB__AT(nfb_str, base, f->off);
        break;
    case NFB_T_DATETIME:
        v = NFB__AT(nfb_time, base, f->off)->text;
        break;
    case NFB_T_NUMBER:
        v = *NFB__AT(nfb_str, base, f->off);
        if (NFB_UNLIKELY(v.len > sk->cap - room)) {
            /* A number longer than a block, from a caller's record. */
            nfb__sink_commit(sk, put_key(pretty, r, first, depth,
                                         nfb__sink_reserve(sk, room)));
            nfb__sink_put(sk, v.ptr, v.len);
            return NFB_OK;
        }
        p = put_key(pretty, r, first, depth,
                    nfb__sink_reserve(sk, room + v.len));
        nfb__sink_commit(sk, copy_short(p, v.ptr, v.len));
        return NFB_OK;
    case NFB_T_ENUM:
        /* A fixed ASCII word, nothing to escape (the unit test compares
         * every one with yajl's bytes). */
        v = nfb__enum_name(f, base);
        if (!v.ptr) return NFB_EINVAL;
        p = put_key(pretty, r, first, depth,
                    nfb__sink_reserve(sk, room + v.len + 2));
        *p++ = '"';
        p = copy_short(p, v.ptr, v.len);
        *p++ = '"';
        nfb__sink_commit(sk, p);
        return NFB_OK;
    case NFB_T_OBJECT:
        nfb__sink_commit(
            sk, put_key(pretty, r, first, depth, nfb__sink_reserve(sk, room)));
        return put_object(j, (nfb__kind)f->kind, base, depth + 1);
    case NFB_T_ARRAY:
        nfb__sink_commit(
            sk, put_key(pretty, r, first, depth, nfb__sink_reserve(sk, room)));
        return put_array(j, f, base, depth + 1);
    default:
        return NFB_EINVAL;
    }
    p = nfb__sink_reserve(sk, room + 2 + 6 * (v.len < most ? v.len : most));
    p = put_key(pretty, r, first, depth, p);
    nfb__sink_commit(sk, put_quoted(sk, p, most, v));
    return NFB_OK;
}

/* Writes the object of kind k from the struct at base, its fields at level
 * depth: the present ones, in the order of the kind's rows. */
static int put_object(json_writer *j, nfb__kind k, const char *base,
                      unsigned depth)
{
    const json_row *r = j->row[k], *end = j->row[k + 1];
    int first = 1;
    TRY(put_open(j, '{', depth));
    for (; r != end; r++) {
        if (r->has_off >= 0 && !*NFB__AT(bool, base, r->has_off)) continue;
        TRY(put_field(j, r, first, base, depth));
        first = 0;
    }
    put_close(j, '}', depth);
    return NFB_OK;
}

/* ---- the compact record: a program of the rows ---- */

/* Compact output, which nearly every conversion writes, has no
 * indentation: a field's bytes do not depend on its depth, and the
 * rows of a backup are made once per writer (compile) into a flat
 * program that writes a record in one loop, without a call per field or
 * object. Each op writes its key and value after one check for room;
 * an object is an OP_OPEN, its fields' ops and an OP_CLOSE, and an
 * absent object is skipped whole. The only call left is for the
 * elements of an array (the destinations), whose ops follow its
 * OP_ARRAY. Pretty output goes through put_object above. */
enum json_op_code {
    OP_STRING, /* a string (a date-time's text, a size's digits too) */
    OP_NUMBER, /* a number's text, as it is */
    OP_ENUM,   /* the key and the value's name, in one lit per value */
    OP_OPEN,   /* the key of an object; its fields' ops follow */
    OP_CLOSE,  /* the end of an object */
    OP_ARRAY,  /* the key of an array; its element's ops follow */
    OP_END     /* the end of the program's object: OP_CLOSE, and return */
};

/* A new lit: ',"name":' and then value (when not NULL) in quotes. NULL
 * when the lits are all taken or the text is longer than KEY_COPY. */
static json_lit *new_lit(json_writer *j, const nfb__field *f,
                         const nfb_str *value)
{
    size_t len = f->len + 4u + (value ? value->len + 2 : 0);
    if (j->nlits == MAX_LITS || len > KEY_COPY) return NULL;
    json_lit *l = &j->lits[j->nlits++];
    unsigned char *t = l->text;
    *t++ = ',';
    *t++ = '"';
    memcpy(t, f->name, f->len);
    t += f->len;
    *t++ = '"';
    *t++ = ':';
    if (value) {
        *t++ = '"';
        memcpy(t, value->ptr, value->len);
        t += value->len;
        *t++ = '"';
    }
    l->len = len;
    return l;
}

/* Appends an op with no value and no presence flag (OP_CLOSE, OP_END).
 * 0, or -1 when the program is full. */
static int add_op(json_writer *j, enum json_op_code code)
{
    if (j->nops == MAX_OPS) return -1;
    j->ops[j->nops++] = (json_op){.op = code, .off = -1, .has_off = -1};
    return 0;
}

/* Appends the ops of kind k's rows and its close, end (OP_END: the
 * object is the program's) or OP_CLOSE. 0, or -1 when the
 * program cannot hold them (no room, a key too long, a type without an
 * op): the writer then writes every record through put_object. */
static int compile(json_writer *j, nfb__kind k, enum json_op_code end)
{
    const nfb__object *o = &nfb__objects[k];
    for (int i = 0; i < o->count; i++) {
        const nfb__field *f = &o->fields[i];
        if (j->nops == MAX_OPS) return -1;
        unsigned at = j->nops++;
        json_op *op = &j->ops[at];
        op->off = f->off;
        op->has_off = f->has_off;
        op->f = f;
        switch (f->type) {
        case NFB_T_DATETIME:
            op->off = (int16_t)(f->off + (int16_t)offsetof(nfb_time, text));
            /* fall through */
        case NFB_T_STRING:
        case NFB_T_SIZE:
            op->op = OP_STRING;
            break;
        case NFB_T_NUMBER:
            op->op = OP_NUMBER;
            break;
        case NFB_T_ENUM:
            /* Fixed ASCII words, nothing to escape (the unit test
             * compares every one with yajl's bytes). */
            op->op = OP_ENUM;
            op->nlit = f->nenums;
            for (int v = 0; v < f->nenums; v++) {
                const json_lit *l = new_lit(j, f, &f->enums[v]);
                if (!l) return -1;
                if (v == 0) op->lit = l;
            }
            if (!f->nenums) return -1;
            continue;
        case NFB_T_OBJECT:
        case NFB_T_ARRAY:
            op->op = f->type == NFB_T_OBJECT ? OP_OPEN : OP_ARRAY;
            if (!(op->lit = new_lit(j, f, NULL))) return -1;
            if (compile(j, (nfb__kind)f->kind,
                        f->type == NFB_T_ARRAY ? OP_END : OP_CLOSE) != 0)
                return -1;
            j->ops[at].skip = (uint16_t)(j->nops - at - 1);
            continue;
        default:
            return -1;
        }
        if (!(op->lit = new_lit(j, f, NULL))) return -1;
    }
    return add_op(j, end);
}

/* The compact record's program, or none (nops 0). */
static void make_program(json_writer *j)
{
    j->nops = j->nlits = 0;
    if (j->pretty || compile(j, NFB_K_BACKUP, OP_END) != 0) j->nops = 0;
}

/* p, when it has room for n more bytes before lim (the end of the
 * block); or else the start of the next block, this one handed on. */
static inline unsigned char *room(nfb__sink *sk, unsigned char *p,
                                  const unsigned char *lim, size_t n)
{
    if (NFB_LIKELY(n <= (size_t)(lim - p))) return p;
    nfb__sink_commit(sk, p);
    return nfb__sink_reserve(sk, n);
}

/* Writes lit l at p, lead (',', or '{' for an object's first field) in
 * place of its comma; p has room for KEY_COPY. Returns the end. */
static inline unsigned char *put_lit(unsigned char *p, const json_lit *l,
                                     unsigned char lead)
{
    memcpy(p, l->text, KEY_COPY);
    *p = lead;
    return p + l->len;
}

/* Runs the program from op (up to its OP_END) on the struct at base: the
 * object's fields and brackets, or its '{' and '}' alone when it has
 * none, from p, where the sink's block ends. Returns the block's new end,
 * or NULL for an enum out of range. */
static unsigned char *run(json_writer *j, const json_op *op, const char *base,
                          unsigned char *p)
{
    nfb__sink *sk = &j->base.sink;
    const unsigned char *lim = sk->buf + sk->cap;
    const size_t most = j->most;
    /* What goes before the next key: '{' for an object's first. */
    unsigned char lead = '{';
    nfb_str v;
    int e;
    for (;; op++) {
        if (op->has_off >= 0 && !*NFB__AT(bool, base, op->has_off)) {
            op += op->skip; /* an absent object's or array's ops too */
            continue;
        }
        switch ((enum json_op_code)op->op) {
        case OP_STRING:
            v = *NFB__AT(nfb_str, base, op->off);
            /* One test for the two rare cases: no room left in the block,
             * or a string longer than a block (most bytes fit one). */
            if (NFB_UNLIKELY(v.len > most ||
                             KEY_COPY + 2 + 6 * v.len > (size_t)(lim - p))) {
                if (v.len > most) {
                    /* Longer than a block: escaped in pieces. */
                    p = put_lit(room(sk, p, lim, KEY_COPY + 2 + 6 * most),
                                op->lit, lead);
                    p = put_quoted(sk, p, most, v);
                    break;
                }
                p = room(sk, p, lim, KEY_COPY + 2 + 6 * v.len);
            }
            p = put_lit(p, op->lit, lead);
            *p++ = '"';
            p = nfb__json_escape(p, (const unsigned char *)v.ptr, v.len);
            *p++ = '"';
            break;
        case OP_NUMBER:
            v = *NFB__AT(nfb_str, base, op->off);
            if (NFB_UNLIKELY(v.len > sk->cap - KEY_COPY)) {
                /* A number longer than a block, from a caller's record. */
                p = put_lit(room(sk, p, lim, KEY_COPY), op->lit, lead);
                nfb__sink_commit(sk, p);
                nfb__sink_put(sk, v.ptr, v.len);
                p = sk->buf + sk->len;
                break;
            }
            p = put_lit(room(sk, p, lim, KEY_COPY + v.len), op->lit, lead);
            p = copy_short(p, v.ptr, v.len);
            break;
        case OP_ENUM:
            e = op->off >= 0 ? *NFB__AT(int, base, op->off) : 0;
            if ((unsigned)e >= op->nlit) return NULL;
            p = put_lit(room(sk, p, lim, KEY_COPY), op->lit + e, lead);
            break;
        case OP_OPEN:
            p = put_lit(room(sk, p, lim, KEY_COPY), op->lit, lead);
            lead = '{'; /* its first field's */
            continue;
        case OP_CLOSE:
        case OP_END:
            p = room(sk, p, lim, 2);
            if (lead == '{') *p++ = '{'; /* an object with no field */
            *p++ = '}';
            if (op->op == OP_END) return p;
            break;
        case OP_ARRAY: {
            const char *items;
            memcpy(&items, base + op->off, sizeof items);
            size_t n = *NFB__AT(size_t, base, op->f->count_off);
            p = put_lit(room(sk, p, lim, KEY_COPY + 1), op->lit, lead);
            *p++ = '[';
            for (size_t i = 0; i < n; i++) {
                if (i) {
                    p = room(sk, p, lim, 1);
                    *p++ = ',';
                }
                p = run(j, op + 1, items + i * op->f->elem_size, p);
                if (!p) return NULL;
            }
            p = room(sk, p, lim, 1);
            *p++ = ']';
            op += op->skip;
            break;
        }
        default:
            /* compile makes no other op: no bounds test before the jump */
#if defined(__GNUC__)
            __builtin_unreachable();
#else
            return NULL;
#endif
        }
        lead = ',';
    }
}

/* Writes record b through the program at the end of the sink's block. */
static int run_record(json_writer *j, const nfb_backup *b)
{
    nfb__sink *sk = &j->base.sink;
    unsigned char *p = run(j, j->ops, (const char *)b, sk->buf + sk->len);
    if (!p) return NFB_EINVAL;
    nfb__sink_commit(sk, p);
    return NFB_OK;
}

/* Writes record b as the next value of the current level. */
static int fast_record(json_writer *j, const nfb_backup *b)
{
    nfb__sink *sk = &j->base.sink;
    nfb__sink_commit(sk, separator(j, nfb__sink_reserve(sk, MAX_SEP)));
    TRY(j->nops ? run_record(j, b)
                : put_object(j, NFB_K_BACKUP, (const char *)b, j->depth + 1));
    appended(j);
    nfb__sink_commit(sk, value_end(j, nfb__sink_reserve(sk, 2), 0));
    return NFB_OK;
}

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
    return NFB_OK;
}

/* ---- the layout of the records, on either path ---- */

static int init(nfb_writer *w, const nfb_writer_options *o, char *err,
                size_t errlen)
{
    (void)o, (void)err, (void)errlen;
    json_writer *j = (json_writer *)w;
    j->pretty = (w->flags & NFB_WRITE_PRETTY) != 0;
    /* After the longest key a row can have (its length is a uint8_t). */
    j->most = (w->sink.cap - (MAX_SEP + UINT8_MAX + 4 + KEY_COPY) - 2) / 6;
    make_program(j);
    return make_rows(j, &w->alloc);
}

/* The levels around the records (--array, --envelope) on either path. */
static int open_level(json_writer *j, char bracket)
{
    if (!j->g) return fast_open(j, bracket);
    if (bracket == '{')
        yajl_gen_map_open(j->g);
    else
        yajl_gen_array_open(j->g);
    return NFB_OK;
}

static int close_level(json_writer *j, char bracket)
{
    if (!j->g) return fast_close(j, bracket);
    if (bracket == '}')
        yajl_gen_map_close(j->g);
    else
        yajl_gen_array_close(j->g);
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
    if (w->flags & NFB_WRITE_ARRAY) return open_level(j, '[');
    return NFB_OK;
}

static int write_record(nfb_writer *w, const nfb_backup *b)
{
    json_writer *j = (json_writer *)w;
    int env = (w->flags & NFB_WRITE_ENVELOPE) != 0;
    if (j->nops && !j->g &&
        !(w->flags & (NFB_WRITE_ENVELOPE | NFB_WRITE_ARRAY))) {
        /* Compact records one per line, the common case: the record and
         * its newline, which is all the steps below come to (the state
         * goes from GEN_START back to it). */
        TRY(run_record(j, b));
        unsigned char *p = nfb__sink_reserve(&w->sink, 1);
        *p++ = '\n';
        nfb__sink_commit(&w->sink, p);
        return NFB_OK;
    }
    if (env) {
        TRY(open_level(j, '{'));
        if (j->g)
            str(j->g, "data", 4);
        else
            put_word(j, "data", 4);
    }
    TRY(j->g ? nfb__walk(b, &yajl_ops, j) : fast_record(j, b));
    if (env) TRY(close_level(j, '}'));
    /* A pretty top-level value ends with a newline of its own. */
    if (!(w->flags & NFB_WRITE_ARRAY)) reset(j, j->pretty ? NULL : "\n");
    return NFB_OK;
}

static int end(nfb_writer *w)
{
    json_writer *j = (json_writer *)w;
    if (w->flags & NFB_WRITE_ARRAY) {
        TRY(close_level(j, ']'));
        if (!j->pretty) nfb__sink_put(&w->sink, "\n", 1);
    }
    return NFB_OK;
}

static void destroy(nfb_writer *w)
{
    json_writer *j = (json_writer *)w;
    if (j->g) yajl_gen_free(j->g);
    nfb__free(&w->alloc, j->rows);
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
