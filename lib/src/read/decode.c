/* The decoder: one explicit state machine from yajl tokens to records.
 *
 * States. The decoder keeps a stack of frames, one per open object or array
 * that it understands, plus a counter for the depth inside a subtree that
 * it skips (unknown fields, rawResponse, ...). What the next value means is
 * decided by the top frame alone:
 *
 *   no frame          a top-level value: an object (NFB_K_TOP) or an array
 *                     of backups; anything else is a wrong-type error.
 *   NFB_K_TOP         a top-level object whose form the first known key
 *                     decides: a backup key makes it the bare backup (CLI
 *                     form), "data"/"error"/"rawResponse"/"request"/
 *                     "pagination" a response wrapper (API envelope, JS
 *                     client, API error, list page), "backups" a CLI list.
 *   NFB_K_DATA        the object under "data": a backup key makes it a
 *                     backup, "backups" a list page's data.
 *   NFB_K_ARRAY       each element is an object of the frame's elem kind.
 *   NFB_K_REQUEST     a JS client result's "request": "headers" is read,
 *                     any other key skipped without a word.
 *   NFB_K_HEADERS     its headers: each name is checked for a credential
 *                     (a secret warning), each value skipped.
 *   other kinds       objects with a schema table: a key selects the field
 *                     whose value comes next (frame.field).
 *
 * A record is the object of kind NFB_K_BACKUP. Its strings go to the arena,
 * reset whenever an object that may become a record begins. When the record
 * closes with no error since it began, it goes to the user's callback.
 *
 * Errors never stop the decoder: a bad value is reported and skipped, a bad
 * record is not delivered, and the rest of the document goes on. */
#define _GNU_SOURCE /* strtod_l: numbers read whatever the locale */
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/check.h"
#include "common/vouch.h"
#include "decode.h"

/* ---- paths and messages ------------------------------------------------ */

static int is_ident(const char *k, size_t len)
{
    if (len == 0) return 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)k[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
                 c == '$' || (i > 0 && ((c >= '0' && c <= '9') || c == '-'));
        if (!ok) return 0;
    }
    return 1;
}

typedef struct buf {
    char *p;
    size_t n, cap; /* cap includes room for the NUL */
} buf;

static void put(buf *b, const char *s, size_t len)
{
    if (b->n + 1 >= b->cap) return;
    size_t room = b->cap - 1 - b->n;
    if (len > room) {
        len = room;
        /* Mark a cut with "..." when there is room for it. */
        memcpy(b->p + b->n, s, len);
        b->n += len;
        if (b->cap >= 4) memcpy(b->p + b->cap - 4, "...", 3);
        b->p[b->cap - 1] = 0;
        b->n = b->cap - 1;
        return;
    }
    memcpy(b->p + b->n, s, len);
    b->n += len;
    b->p[b->n] = 0;
}

static void puts_(buf *b, const char *s)
{
    put(b, s, strlen(s));
}

/* Appends s as a JSON string literal, at most max bytes of it. Bytes that
 * are not valid UTF-8 show as \xNN so that messages stay valid text. */
static void put_quoted(buf *b, const char *s, size_t len, size_t max)
{
    static const char hex[] = "0123456789abcdef";
    put(b, "\"", 1);
    size_t i = 0;
    while (i < len && i < max) {
        unsigned char c = (unsigned char)s[i];
        char e[8];
        if (c == '"' || c == '\\') {
            e[0] = '\\', e[1] = (char)c;
            put(b, e, 2);
        } else if (c < 0x20 || c == 0x7f) {
            const char *short_ = c == '\n'   ? "\\n"
                                 : c == '\t' ? "\\t"
                                 : c == '\r' ? "\\r"
                                             : NULL;
            if (short_) {
                put(b, short_, 2);
            } else {
                memcpy(e, "\\u00", 4);
                e[4] = hex[c >> 4], e[5] = hex[c & 15];
                put(b, e, 6);
            }
        } else if (c < 0x80) {
            put(b, (const char *)&c, 1);
        } else {
            const char *why;
            size_t n = 1;
            while (i + n < len && n < 4 &&
                   ((unsigned char)s[i + n] & 0xc0) == 0x80)
                n++;
            if (nfb__utf8_copy(NULL, s + i, n, &why) == n) {
                put(b, s + i, n);
                i += n;
                continue;
            }
            e[0] = '\\', e[1] = 'x', e[2] = hex[c >> 4], e[3] = hex[c & 15];
            put(b, e, 4);
        }
        i++;
    }
    put(b, "\"", 1);
    if (i < len) put(b, "...", 3);
}

static void put_key(buf *b, const char *k, size_t len)
{
    if (is_ident(k, len)) {
        if (b->n) put(b, ".", 1);
        put(b, k, len);
    } else {
        put(b, "[", 1);
        put_quoted(b, k, len, 64);
        put(b, "]", 1);
    }
}

static void put_index(buf *b, uint64_t i)
{
    char t[24];
    size_t n = sizeof t;
    t[--n] = ']';
    do {
        t[--n] = (char)('0' + i % 10);
        i /= 10;
    } while (i);
    t[--n] = '[';
    put(b, t + n, sizeof t - n);
}

/* The row of the field whose value the frame awaits, kept beside its
 * index where a key sets it (map_key): NULL in an array, or when none. */
static const nfb__field *frame_field(const nfb__frame *f)
{
    return f->fd;
}

/* plain or bad_why was cleared: odd_text says whether either is left. */
static void text_done(nfb__dec *r)
{
    r->odd_text = r->plain || r->bad_why;
}

/* ---- keys -------------------------------------------------------------- */

/* A key's slot in its kind's table (nfb__dec.keys): a hash of its length
 * and its first and last bytes, which tells the schema's names apart
 * within each kind; names that share a slot are searched in the rows. */
enum { KEY_NONE = -1, KEY_MANY = -2 };

static NFB_ALWAYS_INLINE unsigned key_slot(const char *k, size_t len)
{
    return (2u * (unsigned)len + (unsigned char)k[0] +
            3u * (unsigned char)k[len - 1]) &
           63u;
}

/* Whether a[0..n) and b[0..n) are the same bytes: a word at a time, the
 * last word overlapping the one before it, so that a key or an enum name
 * (mostly 2 to 16 bytes) takes one or two comparisons and no byte loop.
 * No byte outside [0, n) is read. */
static NFB_ALWAYS_INLINE int same_bytes(const char *a, const char *b, size_t n)
{
    if (n >= 8) {
        uint64_t x, y;
        for (size_t i = 0; i + 8 < n; i += 8) {
            memcpy(&x, a + i, 8);
            memcpy(&y, b + i, 8);
            if (x != y) return 0;
        }
        memcpy(&x, a + n - 8, 8);
        memcpy(&y, b + n - 8, 8);
        return x == y;
    }
    if (n >= 4) {
        uint32_t x0, y0, x1, y1;
        memcpy(&x0, a, 4);
        memcpy(&y0, b, 4);
        memcpy(&x1, a + n - 4, 4);
        memcpy(&y1, b + n - 4, 4);
        return ((x0 ^ y0) | (x1 ^ y1)) == 0;
    }
    if (n >= 2) {
        uint16_t x0, y0, x1, y1;
        memcpy(&x0, a, 2);
        memcpy(&y0, b, 2);
        memcpy(&x1, a + n - 2, 2);
        memcpy(&y1, b + n - 2, 2);
        return ((x0 ^ y0) | (x1 ^ y1)) == 0;
    }
    return n == 0 || a[0] == b[0];
}

/* The field of kind k (one with a table) named k[0..len), or -1; when
 * found, its row in *row. */
static NFB_ALWAYS_INLINE int find_key_row(const nfb__dec *r, int k,
                                          const char *s, size_t len,
                                          const nfb__field **row)
{
    if (NFB_UNLIKELY(len == 0)) return -1;
    int i = r->keys[k][key_slot(s, len)];
    const nfb__field *fields = nfb__objects[k].fields;
    if (NFB_LIKELY(i >= 0)) {
        const nfb__field *fd = &fields[i];
        *row = fd;
        return fd->len == len && same_bytes(fd->name, s, len) ? i : -1;
    }
    if (i == KEY_NONE) return -1;
    i = nfb__schema_find(nfb__schema((nfb__kind)k), s, len);
    if (i >= 0) *row = &fields[i];
    return i;
}

static NFB_ALWAYS_INLINE int find_key(const nfb__dec *r, int k, const char *s,
                                      size_t len)
{
    const nfb__field *row;
    return find_key_row(r, k, s, len, &row);
}

/* The path of the value the decoder is at, into r->path. With key, the path
 * of that key in the top frame; with whole_top, the path of the top frame
 * itself rather than of its current member. */
static const char *path_of(nfb__dec *r, const char *key, size_t keylen,
                           int whole_top)
{
    buf b = {r->path, 0, sizeof r->path};
    r->path[0] = 0;
    size_t n = r->depth;
    for (size_t i = 0; i < n; i++) {
        const nfb__frame *f = &r->frames[i];
        int last = i + 1 == n;
        if (last && whole_top) break;
        if (last && key) {
            put_key(&b, key, keylen);
            break;
        }
        if (f->kind == NFB_K_ARRAY) {
            if (f->index) put_index(&b, f->index - 1);
        } else {
            const nfb__field *fd = frame_field(f);
            if (fd) put_key(&b, fd->name, fd->len);
        }
    }
    return r->path;
}

/* ---- reporting --------------------------------------------------------- */

/* A position whole: one known by its offset only (NFB__POS_AT, line 0)
 * or not yet (NFB__POS_LATER) is asked of the front end. */
static NFB_NOINLINE nfb__pos whole_pos(nfb__dec *r, nfb__pos p)
{
    if (p.offset == UINT64_MAX) return r->locate(r->locate_ctx);
    return r->resolve(r->locate_ctx, p.offset);
}

/* Where the current event's token begins. */
static nfb__pos here(nfb__dec *r)
{
    if (NFB_UNLIKELY(r->at.line == 0)) r->at = whole_pos(r, r->at);
    return r->at;
}

/* The current event's position, to keep: one known by its offset stays
 * so (frame_pos, and the front end before its segment goes, work out its
 * line). */
static nfb__pos kept_pos(nfb__dec *r)
{
    return r->at.offset == UINT64_MAX ? here(r) : r->at;
}

/* Where the value of frame f begins. */
static nfb__pos frame_pos(nfb__dec *r, nfb__frame *f)
{
    if (f->pos.line == 0) f->pos = whole_pos(r, f->pos);
    return f->pos;
}

static int report_at(nfb__dec *r, nfb_severity sev, nfb_code code,
                     const char *path, nfb__pos pos, const char *msg)
{
    return nfb__report(r->dg, sev, code, path, pos, "%s", msg);
}

/* Frame f's position for nfb__report_where: worked out (and kept, as
 * frame_pos does) only for a diagnostic that is delivered. */
typedef struct frame_at {
    nfb__dec *r;
    nfb__frame *f;
} frame_at;

static nfb__pos frame_where(void *ctx)
{
    frame_at *a = ctx;
    return frame_pos(a->r, a->f);
}

/* A diagnostic at the start of frame f whose message is msg as it is. */
static int report_frame(nfb__dec *r, nfb_severity sev, nfb_code code,
                        const char *path, nfb__frame *f, const char *msg)
{
    frame_at at = {r, f};
    return nfb__report_where(r->dg, sev, code, path, frame_where, &at, "%s",
                             msg);
}

/* "found ..." for a scalar, appended to b. */
enum jtype { J_STRING, J_NUMBER, J_BOOL, J_NULL, J_OBJECT, J_ARRAY };

static void put_found(buf *b, int jt, const char *s, size_t len)
{
    switch (jt) {
    case J_STRING:
        puts_(b, "found ");
        put_quoted(b, s, len, 48);
        break;
    case J_NUMBER:
        puts_(b, "found the number ");
        put(b, s, len > 48 ? 48 : len);
        if (len > 48) puts_(b, "...");
        break;
    case J_BOOL:
        puts_(b, len ? "found true" : "found false");
        break;
    case J_NULL:
        puts_(b, "found null");
        break;
    case J_OBJECT:
        puts_(b, "found an object");
        break;
    default:
        puts_(b, "found an array");
        break;
    }
}

/* "one of "a", "b" or "c"", or ""a"" for a single value. */
static void put_enums(buf *b, const nfb__field *fd)
{
    if (fd->nenums > 1) puts_(b, "one of ");
    for (int i = 0; i < fd->nenums; i++) {
        if (i) puts_(b, i + 1 == fd->nenums ? " or " : ", ");
        put_quoted(b, fd->enums[i].ptr, fd->enums[i].len, 64);
    }
}

/* A diagnostic of the current token whose message is made only when it
 * is delivered (nfb__report_lazy): the token and what it is checked
 * against. */
typedef struct token_diag {
    nfb__dec *r;
    const nfb__field *fd;
    const nfb__frame *f;
    const char *expected;
    int jt;
    const char *s;
    size_t len;
    const char *why;           /* why a date-time or size is refused */
    const struct refusal *how; /* and how that is told */
} token_diag;

static nfb__pos token_where(void *ctx)
{
    return here(((token_diag *)ctx)->r);
}

static void wrong_type_message(void *ctx, char *msg, size_t size)
{
    const token_diag *t = ctx;
    buf b = {msg, 0, size};
    puts_(&b, "expected ");
    if (t->fd && t->fd->type == NFB_T_ENUM)
        put_enums(&b, t->fd);
    else
        puts_(&b, t->expected);
    puts_(&b, ", ");
    put_found(&b, t->jt, t->s, t->len);
}

/* A string whose text a field refuses, and how the reason is told. */
typedef struct refusal {
    nfb_code code;
    const char *expected;
    const char *open, *close; /* around the reason */
} refusal;

static const refusal BAD_DATE_TIME = {NFB_CODE_BAD_DATE_TIME,
                                      "an RFC 3339 date-time", ": ", ""};
static const refusal BAD_SIZE = {NFB_CODE_BAD_SIZE, "a decimal byte count",
                                 " (", ")"};

static void refused_message(void *ctx, char *msg, size_t size)
{
    const token_diag *t = ctx;
    buf b = {msg, 0, size};
    puts_(&b, "expected ");
    puts_(&b, t->how->expected);
    puts_(&b, ", ");
    put_found(&b, J_STRING, t->s, t->len);
    puts_(&b, t->how->open);
    puts_(&b, t->why);
    puts_(&b, t->how->close);
}

/* Reports the string s[0..len) refused for why, as how says. */
static int refused(nfb__dec *r, const refusal *how, const char *s, size_t len,
                   const char *why)
{
    token_diag t = {r, NULL, NULL, NULL, J_STRING, s, len, why, how};
    return nfb__report_lazy(r->dg, NFB_ERROR, how->code, path_of(r, NULL, 0, 0),
                            token_where, refused_message, &t);
}

static int wrong_type_f(nfb__dec *r, const nfb__field *fd, const char *expected,
                        int jt, const char *s, size_t len)
{
    token_diag t = {r, fd, NULL, expected, jt, s, len, NULL, NULL};
    return nfb__report_lazy(r->dg, NFB_ERROR, NFB_CODE_WRONG_TYPE,
                            path_of(r, NULL, 0, 0), token_where,
                            wrong_type_message, &t);
}

static int wrong_type(nfb__dec *r, const char *expected, int jt, const char *s,
                      size_t len)
{
    return wrong_type_f(r, NULL, expected, jt, s, len);
}

/* ---- records ----------------------------------------------------------- */

/* The record zeroed 16 bytes at a time (the last store overlapping the
 * one before it): what memset's inline expansion for this size, a
 * "rep stos" of 8-byte words, takes twice as many steps for. */
static NFB_ALWAYS_INLINE void zero_record(nfb_backup *b)
{
    static const uint64_t zero[2] = {0, 0};
    char *p = (char *)b;
    _Static_assert(sizeof *b >= 16, "a record of at least 16 bytes");
#pragma GCC unroll 32
    for (size_t i = 0; i + 16 <= sizeof *b; i += 16)
        memcpy(p + i, zero, 16);
    memcpy(p + sizeof *b - 16, zero, 16);
}

static void record_begin(nfb__dec *r)
{
    nfb__arena_reset(&r->arena);
    zero_record(&r->rec);
    memset(&r->apierr, 0, sizeof r->apierr);
    r->dests = NULL;
    r->ndests = r->dests_cap = 0;
    r->num_status = 0;
    /* Errors count against the record from the object's first key on,
     * including keys met before the one that shows it is a backup. */
    r->rec_errors = r->dg->stats.errors;
}

static int before(const nfb_time *a, const nfb_time *b)
{
    return a->unix_seconds < b->unix_seconds ||
           (a->unix_seconds == b->unix_seconds &&
            a->nanoseconds < b->nanoseconds);
}

/* What frame f puts in a path: its index in an array, else its field's
 * row (path_of). */
static uintptr_t frame_key(const nfb__frame *f)
{
    return f->kind == NFB_K_ARRAY ? (uintptr_t)f->index
                                  : (uintptr_t)frame_field(f);
}

/* A name of a lint's path (lint_path) and its length, in 16 bytes:
 * copied whole. */
typedef struct lint_name {
    char s[15];
    uint8_t len;
} lint_name;

static const lint_name lint_none = {"", 0},
                       lint_last_restore = {"lastRestore.", 12},
                       lint_status = {"status", 6},
                       lint_completed_at = {"completedAt", 11};

/* The record's path in r->lint.path (as path_of(r, NULL, 0, 1) makes
 * it), for m frames above the record, made again from frame i on (the
 * path before frame i is kept) and what it is made of kept; or, with more
 * frames than are kept track of, made whole by path_of, nothing kept.
 * Returns its length. (No cut: NFB__LINT_FRAMES frames put schema names
 * and indexes, far shorter than r->path.) */
static NFB_NOINLINE size_t lint_frames(nfb__dec *r, size_t i, size_t m)
{
    if (m > NFB__LINT_FRAMES) {
        const char *rec = path_of(r, NULL, 0, 1);
        size_t n = strlen(rec);
        memcpy(r->lint.path, rec, n + 1);
        r->lint.n = 0; /* len[0] is 0: nothing kept but the empty path */
        return n;
    }
    buf b = {r->lint.path, r->lint.len[i], sizeof r->path};
    r->lint.path[b.n] = 0;
    for (; i < m; i++) {
        const nfb__frame *f = &r->frames[i];
        r->lint.kind[i] = f->kind;
        r->lint.key[i] = frame_key(f);
        if (f->kind == NFB_K_ARRAY) {
            if (f->index) put_index(&b, f->index - 1);
        } else {
            const nfb__field *fd = frame_field(f);
            if (fd) put_key(&b, fd->name, fd->len);
        }
        r->lint.len[i + 1] = b.n;
    }
    r->lint.n = m;
    return b.n;
}

/* The path of a lint of the record that ends: the record's path, then
 * prefix and field, into r->lint.path. The record's path is
 * kept from the last lint's: here only the frames above the record are
 * compared with the ones it was made of, and lint_frames puts again those
 * that differ (in a stream of records, none; in a list, the array's
 * index). prefix and field are copied whole, 16 bytes each (r->lint.path
 * has room for both after the '.'). */
static NFB_ALWAYS_INLINE const char *
lint_path(nfb__dec *r, const lint_name *prefix, const lint_name *field)
{
    char *path = r->lint.path;
    size_t m = r->depth ? r->depth - 1 : 0, i = 0, n;
    if (NFB_LIKELY(m == r->lint.n)) {
        while (i < m && r->lint.kind[i] == r->frames[i].kind &&
               r->lint.key[i] == frame_key(&r->frames[i]))
            i++;
    }
    n = i == m && m == r->lint.n ? r->lint.len[m] : lint_frames(r, i, m);
    if (n) path[n++] = '.';
    memcpy(path + n, prefix, sizeof *prefix);
    memcpy(path + n + prefix->len, field, sizeof *field);
    return path;
}

/* The consistency checks of one status/start/end triple. */
static int lint_times(nfb__dec *r, nfb__frame *f, const lint_name *prefix,
                      nfb_status st, const nfb_time *start,
                      const char *start_name, int has_end, const nfb_time *end)
{
    int ok = 1;
    frame_at at = {r, f};
    /* The path of the record is built only when a check fails and its
     * warning can be shown (lint_path); its position and message only
     * when the filter keeps it. */
#define LINT(field, ...)                                                       \
    do {                                                                       \
        if (!nfb__diag_shown(r->dg, NFB_WARNING)) {                            \
            ok &= nfb__count(r->dg, NFB_WARNING);                              \
            break;                                                             \
        }                                                                      \
        ok &= nfb__report_where(r->dg, NFB_WARNING, NFB_CODE_LINT,             \
                                lint_path(r, prefix, field), frame_where, &at, \
                                __VA_ARGS__);                                  \
    } while (0)
    if (has_end && before(end, start))
        LINT(&lint_completed_at,
             "expected completedAt not before %s (%.*s), found %.*s",
             start_name, (int)start->text.len, start->text.ptr,
             (int)end->text.len, end->text.ptr);
    if (st == NFB_STATUS_COMPLETED && !has_end)
        LINT(&lint_status,
             "expected completedAt with status \"completed\", found none");
    if ((st == NFB_STATUS_SCHEDULED || st == NFB_STATUS_IN_PROGRESS) && has_end)
        LINT(&lint_completed_at,
             "expected no completedAt with status \"%s\", found %.*s",
             nfb_status_name(st), (int)end->text.len, end->text.ptr);
#undef LINT
    return ok;
}

/* Whether lint_times would find anything: its three checks at once, so
 * that the times of a consistent record (nearly all) are checked inline
 * and lint_times, with its messages, is called only when one fails. */
static NFB_ALWAYS_INLINE int times_odd(nfb_status st, const nfb_time *start,
                                       int has_end, const nfb_time *end)
{
    if (has_end)
        return st == NFB_STATUS_SCHEDULED || st == NFB_STATUS_IN_PROGRESS ||
               before(end, start);
    return st == NFB_STATUS_COMPLETED;
}

static int deliver(nfb__dec *r);

/* Indexes of the wrapper's fields (schema.c). */
enum { WRAP_DATA = 0, WRAP_ERROR = 1 };

static int record_end(nfb__dec *r, nfb__frame *f)
{
    const nfb_backup *b = &r->rec;
    int ok = 1;
    /* Lints only make sense on a record whose fields are all there. */
    if (r->dg->stats.errors == r->rec_errors) {
        if (NFB_UNLIKELY(times_odd(b->status, &b->created_at,
                                   b->has_completed_at, &b->completed_at)))
            ok &=
                lint_times(r, f, &lint_none, b->status, &b->created_at,
                           "createdAt", b->has_completed_at, &b->completed_at);
        if (b->has_last_restore &&
            NFB_UNLIKELY(times_odd(b->last_restore.status,
                                   &b->last_restore.restore_timestamp,
                                   b->last_restore.has_completed_at,
                                   &b->last_restore.completed_at))) {
            ok &=
                lint_times(r, f, &lint_last_restore, b->last_restore.status,
                           &b->last_restore.restore_timestamp,
                           "restoreTimestamp", b->last_restore.has_completed_at,
                           &b->last_restore.completed_at);
        }
    }
    if (!ok) return 0;
    if (r->dg->stats.errors != r->rec_errors) return 1;
    /* The record of a response ({"data": BACKUP, ...}) is delivered when
     * the response is complete and whole: not from a document cut short,
     * nor when another of its members is bad (whatever the key order). A
     * list's elements stand alone. */
    if (r->depth >= 2 && r->frames[r->depth - 2].kind == NFB_K_WRAPPER) {
        r->doc = NFB__DOC_HELD;
        return 1;
    }
    return deliver(r);
}

static int deliver(nfb__dec *r)
{
    const nfb_backup *b = &r->rec;
    r->dg->stats.records++;
    if (!r->on_record) return 1;
    /* The writer's record check need not run again on b (common/vouch.h):
     * for the callback's time only, the outer record put back after. */
    const nfb_backup *outer = nfb__vouched;
    nfb__vouched = b;
    int stop = r->on_record(r->ctx, b);
    nfb__vouched = outer;
    if (stop != 0) {
        r->dg->stopped = 1;
        return 0;
    }
    return 1;
}

/* ---- list pages -------------------------------------------------------- */

/* A response or list begins: no page seen in it yet. */
static void page_reset(nfb__dec *r)
{
    r->page_list = r->page_in = r->page_key = 0;
    r->page_has = r->page_next = 0;
    r->page_backups = 0;
}

/* A list page ended: nfb_reader_on_list_page's callback. */
static int page_end(nfb__dec *r, int has_pagination)
{
    if (!r->on_page) return 1;
    nfb_list_page p = {r->dg->name ? r->dg->name : "", r->dg->doc,
                       r->page_backups, has_pagination,
                       has_pagination && r->page_next};
    if (r->on_page(r->page_ctx, &p) != 0) {
        r->dg->stopped = 1;
        return 0;
    }
    return 1;
}

/* ---- frames ------------------------------------------------------------ */

static int push(nfb__dec *r, nfb__kind kind, void *base, nfb__pos pos)
{
    nfb__frame *f = &r->frames[r->depth++];
    f->kind = (uint8_t)kind;
    f->elem = 0;
    f->field = -1;
    f->fd = NULL;
    f->seen = f->present = 0;
    f->index = 0;
    f->base = base;
    f->pos = pos;
    return 1;
}

static nfb__frame *top(nfb__dec *r)
{
    return r->depth ? &r->frames[r->depth - 1] : NULL;
}

/* Nesting beyond max_depth: the document is dropped, since yajl's own
 * stack would otherwise grow without bound. */
static NFB_NOINLINE int too_deep(nfb__dec *r)
{
    nfb__report(r->dg, NFB_ERROR, NFB_CODE_LIMIT, path_of(r, NULL, 0, 0),
                here(r),
                "expected at most %zu levels of nesting, found more; the "
                "rest of the document is skipped",
                r->max_depth);
    r->doc = NFB__DOC_DROPPED;
    return 0;
}

static NFB_ALWAYS_INLINE int depth_ok(nfb__dec *r)
{
    if (NFB_LIKELY(r->depth + r->skip_depth < r->max_depth)) return 1;
    return too_deep(r);
}

static void begin_document(nfb__dec *r)
{
    nfb__diags_begin_document(r->dg);
    r->doc_errors = r->dg->stats.errors;
    r->doc = NFB__DOC_READING;
}

/* Marks the awaited field of the top object as present. */
static void set_has(const nfb__frame *f, const nfb__field *fd, int has)
{
    if (fd->has_off >= 0) *((bool *)((char *)f->base + fd->has_off)) = has;
}

/* What the next value of the top frame is: a field, an array element of
 * kind *elem, or (NULL, -1) for a top-level value. */
static const nfb__field *awaited(nfb__dec *r, int *elem)
{
    nfb__frame *f = top(r);
    *elem = -1;
    if (!f) return NULL;
    if (f->kind == NFB_K_ARRAY) {
        *elem = f->elem;
        f->index++;
        return NULL;
    }
    return frame_field(f);
}

static const char *elem_expect(int elem)
{
    return elem == NFB_K_BACKUP ? "a backup object"
           : elem == NFB_K_TOP  ? "a backup or an API response object"
                                : "an object";
}

int nfb__dec_open(const nfb__dec *r)
{
    return r->depth || r->skip_depth;
}

int nfb__dec_between_documents(const nfb__dec *r)
{
    return !nfb__dec_open(r) && r->doc == NFB__DOC_READING &&
           r->watch == NFB__WATCH_OFF && r->skip == NFB__SKIP_NONE &&
           !r->bad_why && !r->plain;
}

/* A list page read from an element on (-j): the frames that the bytes
 * {"data":{"backups":[ (1) or {"backups":[ (2) leave, with the elements
 * before the next one in *elements; 0 when the decoder is anywhere else. */
int nfb__dec_before_element(const nfb__dec *r, uint64_t *elements)
{
    const nfb__frame *f = r->frames;
    if (r->doc != NFB__DOC_READING || r->watch != NFB__WATCH_OFF ||
        r->skip != NFB__SKIP_NONE || r->skip_depth || r->bad_why || r->plain ||
        r->http || r->page_list || r->page_in)
        return 0;
    int form = 0;
    if (r->depth == 3 && f[0].kind == NFB_K_WRAPPER &&
        f[0].seen == 1u << WRAP_DATA && f[0].present == f[0].seen)
        form = 1;
    else if (r->depth == 2)
        form = 2;
    if (!form) return 0;
    const nfb__frame *list = &f[r->depth - 2], *a = &f[r->depth - 1];
    /* "backups" is the list's one field. */
    if (list->kind != NFB_K_LIST || list->seen != 1u || list->present != 1u ||
        a->kind != NFB_K_ARRAY || a->elem != NFB_K_BACKUP)
        return 0;
    *elements = a->index;
    return form;
}

void nfb__dec_reset(nfb__dec *r)
{
    r->depth = 0;
    r->skip = NFB__SKIP_NONE;
    r->skip_depth = 0;
    r->doc = NFB__DOC_READING;
    r->watch = NFB__WATCH_OFF;
    r->watch_expected = NULL;
    r->bad_why = NULL;
    r->plain = NULL;
    r->odd_text = 0;
    r->page_in = r->page_key = 0;
}

void nfb__dec_unwatch(nfb__dec *r)
{
    r->watch = NFB__WATCH_OFF;
    r->watch_expected = NULL; /* none with no watch (map_start) */
}

int nfb__dec_init(nfb__dec *r, const nfb_allocator *a, nfb__diags *dg,
                  const nfb_reader_config *cfg)
{
    memset(r, 0, sizeof *r);
    r->dg = dg;
    r->on_record = cfg->on_record;
    r->ctx = cfg->ctx;
    r->flags = cfg->flags;
    r->max_depth = cfg->max_depth;
    nfb__arena_init(&r->arena, a, cfg->max_record);
    r->frames = nfb__malloc(a, (cfg->max_depth + 1) * sizeof *r->frames);
    /* JSON's decimal point is '.', whatever the caller's locale says. */
    r->c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
    for (int k = 0; k < NFB_K_COUNT; k++) {
        const nfb__object *o = nfb__schema((nfb__kind)k);
        memset(r->keys[k], KEY_NONE, sizeof r->keys[k]);
        for (int i = 0; o && i < o->count; i++) {
            if (o->fields[i].required) r->required[k] |= 1u << i;
            int8_t *slot =
                &r->keys[k][key_slot(o->fields[i].name, o->fields[i].len)];
            *slot = *slot == KEY_NONE ? (int8_t)i : KEY_MANY;
        }
    }
    return r->frames && r->c_locale ? 0 : -1;
}

void nfb__dec_free(nfb__dec *r)
{
    if (r->c_locale) freelocale((locale_t)r->c_locale);
    r->c_locale = NULL;
    if (r->frames) nfb__free(r->arena.alloc, r->frames);
    r->frames = NULL;
    nfb__arena_free(&r->arena);
}

/* ---- events ------------------------------------------------------------ */

/* The arena refused: the record is over max_record (a limit diagnostic)
 * or memory ran out. Either way the document is dropped. Returns 0. */
static int arena_failed(nfb__dec *r, nfb__pos pos)
{
    if (pos.line == 0) pos = whole_pos(r, pos);
    if (r->arena.over_limit) {
        nfb__report(r->dg, NFB_ERROR, NFB_CODE_LIMIT, path_of(r, NULL, 0, 0),
                    pos,
                    "expected a record of at most %zu bytes, found a larger "
                    "one; the rest of the document is skipped",
                    r->arena.limit);
    } else {
        r->dg->failed = 1;
    }
    r->doc = NFB__DOC_DROPPED;
    return 0;
}

/* A document cut short can be followed at once by the next one, which
 * then arrives as a value of the one before: `{"data":{"id":"x","name":`
 * and then `{"data":{...}}`, or `[{"id":...}]`. An object or array met
 * where the schema expects a value of its own is watched: when the first
 * key (of the array's first element) is one that a document can begin
 * with (a field of a backup, of a list or of a response: the rows of
 * NFB_K_TOP's forms) and that the object expected there cannot have (the
 * rows of its kind; none for a scalar, an array where an object is due,
 * or an object where an array is due), the document before is reported
 * cut short and the front end parses again from the object's '{' or the
 * array's '['. An object the schema does not describe (rawResponse,
 * pagination, a client's request, an unknown field's value) may hold
 * anything: there only an object or array that begins a line at its first
 * column is watched, as the next line of a newline-delimited stream does
 * and as no value nested in an indented document does. */
enum { WATCH_NONE = 0xff }; /* no object fits */

/* Whether an object of kind k can have key s first. */
static int key_fits(const nfb__dec *r, int k, const char *s, size_t len)
{
    if (k == WATCH_NONE) return 0;
    if (k == NFB_K_TOP || k == NFB_K_DATA) {
        return find_key(r, NFB_K_BACKUP, s, len) >= 0 ||
               find_key(r, NFB_K_LIST, s, len) >= 0 ||
               (k == NFB_K_TOP && find_key(r, NFB_K_WRAPPER, s, len) >= 0);
    }
    return !nfb__schema((nfb__kind)k) || find_key(r, k, s, len) >= 0;
}

static void watch_begin(nfb__dec *r, int kind, int is_map)
{
    r->watch = is_map ? NFB__WATCH_OBJECT : NFB__WATCH_ARRAY;
    r->watch_kind = (uint8_t)kind;
    r->watch_expected = NULL;
    r->restart_at = kept_pos(r);
}

/* A value that the schema does not describe begins: watched when it
 * begins a line. */
static void watch_loose(nfb__dec *r, int is_map)
{
    if (r->can_restart && r->watch == NFB__WATCH_OFF && r->depth &&
        here(r).column == 1)
        watch_begin(r, WATCH_NONE, is_map);
}

static void watch_start(nfb__dec *r, const nfb__field *fd, int elem, int is_map)
{
    if (!r->can_restart) return;
    int k = WATCH_NONE;
    if (elem >= 0) {
        if (is_map) k = elem;
    } else if (!fd || fd->type == NFB_T_ANY || fd->type == NFB_T_CLIENT) {
        watch_loose(r, is_map);
        return;
    } else if (is_map && fd->type == NFB_T_OBJECT) {
        k = fd->kind;
    } else if (!is_map && fd->type == NFB_T_ARRAY) {
        return; /* it fits: its elements are watched */
    }
    if (k == NFB_K_TOP) return; /* any document fits */
    watch_begin(r, k, is_map);
}

/* The watched value is of the wrong type (expected): reported at its
 * first key (watched_wrong_type) unless that key begins a new document,
 * and skipped meanwhile. Returns 1. */
static int skip_wrong_type(nfb__dec *r, const nfb__field *fd,
                           const char *expected, int jt)
{
    r->skip = NFB__SKIP_TREE;
    r->skip_depth = 1;
    if (r->watch == NFB__WATCH_OFF)
        return wrong_type_f(r, fd, expected, jt, NULL, 0);
    r->watch_field = fd;
    r->watch_expected = expected;
    r->watch_jt = (uint8_t)jt;
    return 1;
}

/* The wrong type of a watched value that is not a new document. */
static int watched_wrong_type(nfb__dec *r)
{
    const char *expected = r->watch_expected;
    r->watch_expected = NULL;
    if (!expected) return 1;
    nfb__pos at = here(r);
    r->at = r->restart_at;
    int ok = wrong_type_f(r, r->watch_field, expected, r->watch_jt, NULL, 0);
    r->at = at;
    return ok;
}

/* The watch ends at an event that is not its first key. */
static int watch_end(nfb__dec *r)
{
    r->watch = NFB__WATCH_OFF;
    return watched_wrong_type(r);
}

/* The first key of a watched object: returns 1 when it begins a new
 * document (the one before is then dropped, and reported by the front
 * end) or when the user asked to stop. */
static int watched_key(nfb__dec *r, const char *s, size_t len)
{
    r->watch = NFB__WATCH_OFF;
    /* The watched kind's own rows first: its first key is nearly always
     * one of them. */
    int starts =
        !key_fits(r, r->watch_kind, s, len) && key_fits(r, NFB_K_TOP, s, len);
    if (!starts) return !watched_wrong_type(r);
    /* The front end reports the document cut short: it knows the lines. */
    nfb__dec_reset(r);
    r->doc = NFB__DOC_RESTART;
    return 1;
}

/* An object or array begins while a value is watched: the first element
 * of a watched array goes on being watched, anything else ends it. */
static int watch_container(nfb__dec *r, int is_map)
{
    if (is_map && r->watch == NFB__WATCH_ARRAY) {
        r->watch = NFB__WATCH_ELEMENT; /* its key decides */
        return 1;
    }
    return watch_end(r);
}

/* An object or array inside a skipped value, or the skipped value. */
static int skip_container(nfb__dec *r, int is_map)
{
    if (!depth_ok(r)) return 0;
    r->skip = NFB__SKIP_TREE;
    r->skip_depth++;
    watch_loose(r, is_map);
    return 1;
}

/* A top-level object (its form decided by its first known key) or array
 * (of backups or of any of the object forms, as nfbackup's own --array
 * --envelope output is). */
static int begin_top(nfb__dec *r, int is_map, nfb__pos pos)
{
    begin_document(r);
    if (is_map) {
        record_begin(r);
        page_reset(r);
        r->form_errors = r->dg->stats.errors;
        return push(r, NFB_K_TOP, &r->rec, pos);
    }
    push(r, NFB_K_ARRAY, NULL, pos);
    r->frames[r->depth - 1].elem = NFB_K_TOP;
    return 1;
}

/* A destination of the record's array, grown inside the arena. */
static int begin_destination(nfb__dec *r, nfb__pos pos)
{
    if (r->ndests == r->dests_cap) {
        size_t cap = r->dests_cap ? r->dests_cap * 2 : 4;
        nfb_destination *d = nfb__arena_alloc(&r->arena, cap * sizeof *d);
        if (!d) return arena_failed(r, pos);
        if (r->ndests) memcpy(d, r->dests, r->ndests * sizeof *d);
        r->dests = d;
        r->dests_cap = cap;
    }
    nfb_destination *d = &r->dests[r->ndests++];
    memset(d, 0, sizeof *d);
    return push(r, NFB_K_DEST, d, pos);
}

/* An element of an array of objects of kind elem. */
static int begin_element(nfb__dec *r, int elem, int is_map, nfb__pos pos)
{
    if (!is_map) return skip_wrong_type(r, NULL, elem_expect(elem), J_ARRAY);
    switch (elem) {
    case NFB_K_BACKUP: /* a list's: a record of its own */
        record_begin(r);
        return push(r, NFB_K_BACKUP, &r->rec, pos);
    case NFB_K_TOP: /* a document's worth, in a top-level array */
        record_begin(r);
        page_reset(r);
        r->doc = NFB__DOC_READING;
        r->form_errors = r->dg->stats.errors;
        return push(r, NFB_K_TOP, &r->rec, pos);
    default:
        return begin_destination(r, pos);
    }
}

/* The value of the field fd of the object parent. */
static int begin_field(nfb__dec *r, nfb__frame *parent, const nfb__field *fd,
                       int is_map, nfb__pos pos)
{
    /* Not the schema's; an array for "error" is a client's placeholder. */
    if (!fd || fd->type == NFB_T_ANY || (fd->type == NFB_T_CLIENT && !is_map) ||
        (fd->kind == NFB_K_APIERR && parent->kind == NFB_K_WRAPPER &&
         !is_map)) {
        r->skip = NFB__SKIP_TREE;
        r->skip_depth = 1;
        if (is_map && fd && parent->kind == NFB_K_WRAPPER && fd->len == 10 &&
            memcmp(fd->name, "pagination", 10) == 0)
            r->page_in = r->page_has = 1; /* its hasNextPage is looked at */
        return 1;
    }
    if (is_map ? fd->type != NFB_T_OBJECT && fd->type != NFB_T_CLIENT
               : fd->type != NFB_T_ARRAY)
        return skip_wrong_type(r, fd, nfb__type_expect(fd),
                               is_map ? J_OBJECT : J_ARRAY);
    parent->present |= 1u << parent->field;
    set_has(parent, fd, 1);
    if (!is_map) {
        push(r, NFB_K_ARRAY, NULL, pos);
        r->frames[r->depth - 1].elem = fd->kind;
        if (fd->kind == NFB_K_DEST) r->ndests = 0;
        return 1;
    }
    /* The wrapper's own object began the record already; only what an
     * "error" before "data" stored needs clearing. */
    if (fd->kind == NFB_K_DATA && nfb__arena_total(&r->arena)) record_begin(r);
    if (fd->kind == NFB_K_APIERR) return push(r, fd->kind, &r->apierr, pos);
    return push(r, (nfb__kind)fd->kind, parent->base, pos);
}

/* An object or array begins: it goes where the top frame awaits it. */
static int begin_container(nfb__dec *r, int is_map)
{
    if (NFB_UNLIKELY(r->watch) && !watch_container(r, is_map)) return 0;
    if (r->skip != NFB__SKIP_NONE) return skip_container(r, is_map);
    if (!depth_ok(r)) return 0;
    nfb__pos pos = kept_pos(r);
    nfb__frame *parent = top(r);
    if (!parent) return begin_top(r, is_map, pos);
    int elem;
    const nfb__field *fd = awaited(r, &elem);
    watch_start(r, fd, elem, is_map);
    if (elem >= 0) return begin_element(r, elem, is_map, pos);
    return begin_field(r, parent, fd, is_map, pos);
}

/* An object begins. The common case first, on a straight path: the value
 * of an object field of the schema (config, source, lastRestore, "data",
 * an API error) or an element of an array of backups or destinations,
 * with no watch or skip going on and room below max_depth. It does what
 * begin_container does there: the object is watched (watch_start: a kind
 * of the schema, never NFB_K_TOP, fits there) and pushed. Everything else
 * (a top-level value, a skipped tree, a field that is not the schema's or
 * wants another type, a top-level array's element) is begin_container's. */
static NFB_ALWAYS_INLINE int map_start(nfb__dec *r)
{
    if (NFB_UNLIKELY(r->watch_skip || !r->depth ||
                     r->depth + r->skip_depth >= r->max_depth)) {
        /* A top-level object, the first of each record of a stream, with
         * no watch or skip (then skip_depth is 0) and room for a level:
         * what begin_container does there, without its dispatch. */
        if (!r->depth && !r->watch_skip && r->max_depth)
            return begin_top(r, 1, kept_pos(r));
        return begin_container(r, 1);
    }
    nfb__frame *parent = &r->frames[r->depth - 1];
    int kind;
    void *base;
    if (parent->kind == NFB_K_ARRAY) {
        kind = parent->elem;
        if (kind != NFB_K_BACKUP && kind != NFB_K_DEST)
            return begin_container(r, 1);
        parent->index++;
        base = &r->rec;
    } else {
        const nfb__field *fd = frame_field(parent);
        if (!fd || fd->type != NFB_T_OBJECT) return begin_container(r, 1);
        kind = fd->kind;
        parent->present |= 1u << parent->field;
        set_has(parent, fd, 1);
        /* The wrapper's own object began the record already; only what an
         * "error" before "data" stored needs clearing. */
        if (kind == NFB_K_DATA && nfb__arena_total(&r->arena)) record_begin(r);
        base = kind == NFB_K_APIERR ? &r->apierr : parent->base;
    }
    /* watch_begin, shortened: only JSON can restart, and its events bring
     * the offset (NFB__POS_AT), never NFB__POS_LATER, so kept_pos is r->at;
     * with no watch going on, watch_expected is NULL already. */
    if (r->can_restart) {
        r->watch = NFB__WATCH_OBJECT;
        r->watch_kind = (uint8_t)kind;
        r->restart_at = r->at;
    }
    if (kind == NFB_K_DEST) return begin_destination(r, r->at);
    if (kind == NFB_K_BACKUP && parent->kind == NFB_K_ARRAY) record_begin(r);
    return push(r, (nfb__kind)kind, base, r->at);
}

int nfb__dec_map_start(nfb__dec *r, nfb__pos at)
{
    r->at = at;
    return map_start(r);
}

int nfb__dec_array_start(nfb__dec *r, nfb__pos at)
{
    r->at = at;
    return begin_container(r, 0);
}

/* The events of a '{' or '[' at offset off (NFB__POS_AT), without a
 * position to pass and copy. */
int nfb__dec_map_start_at(nfb__dec *r, uint64_t off)
{
    r->at = NFB__POS_AT(off);
    return map_start(r);
}

int nfb__dec_array_start_at(nfb__dec *r, uint64_t off)
{
    r->at = NFB__POS_AT(off);
    return begin_container(r, 0);
}

/* Required fields missing from the object that ends: reported. */
static NFB_NOINLINE int missing_fields(nfb__dec *r, nfb__frame *f)
{
    const nfb__object *o = nfb__schema((nfb__kind)f->kind);
    int ok = 1;
    frame_at at = {r, f};
    for (int i = 0; i < o->count; i++) {
        if (!o->fields[i].required || (f->seen & (1u << i))) continue;
        ok &= nfb__report_where(r->dg, NFB_ERROR, NFB_CODE_MISSING_FIELD,
                                path_of(r, NULL, 0, 1), frame_where, &at,
                                "expected field \"%s\" in %s, found none",
                                o->fields[i].name, o->what);
    }
    return ok;
}

static NFB_ALWAYS_INLINE int check_required(nfb__dec *r, nfb__frame *f)
{
    uint32_t required = r->required[f->kind];
    if (NFB_LIKELY((f->seen & required) == required)) return 1;
    return missing_fields(r, f);
}

/* A top-level object with a numeric "status" and none of a backup's own
 * fields but "id" and "name" is a client's error, stringified
 * ({"name":"NorthflankApiCallError","status":404,"id":"backup-not-found"}):
 * reported as an API error. Otherwise the status is reported as the wrong
 * type it is, and the object is a backup. Returns 1 when it was an error. */
static int thrown_error(nfb__dec *r, nfb__frame *f)
{
    const nfb__object *o = nfb__schema(NFB_K_BACKUP);
    uint32_t own = 0;
    for (int i = 0; i < o->count; i++)
        if (strcmp(o->fields[i].name, "id") != 0 &&
            strcmp(o->fields[i].name, "name") != 0 &&
            strcmp(o->fields[i].name, "status") != 0)
            own |= 1u << i;
    const nfb__api_error *e = &r->apierr;
    buf b = {r->msg, 0, sizeof r->msg};
    if (!(f->seen & own)) {
        puts_(&b, "expected a backup, found a client's API error (status ");
        put(&b, e->status.ptr, e->status.len > 24 ? 24 : e->status.len);
        if (r->rec.id.len) {
            puts_(&b, ", id ");
            put_quoted(&b, r->rec.id.ptr, r->rec.id.len, 100);
        }
        puts_(&b, ")");
        report_frame(r, NFB_ERROR, NFB_CODE_API_ERROR, "", f, r->msg);
        return 1;
    }
    puts_(&b, "expected ");
    put_enums(&b, &o->fields[2]);
    puts_(&b, ", ");
    put_found(&b, J_NUMBER, e->status.ptr, e->status.len);
    report_at(r, NFB_ERROR, NFB_CODE_WRONG_TYPE, "status", r->num_status_at,
              r->msg);
    return 0;
}

/* The ends of objects that report something whatever their fields (a
 * top-level object or "data" with no field of a form, an API error), and
 * of lists; out of line, so that end_object's common cases stay short. */
static NFB_NOINLINE int end_rare_object(nfb__dec *r, nfb__frame *f)
{
    int ok = 1;
    switch (f->kind) {
    case NFB_K_TOP:
        ok = report_frame(r, NFB_ERROR, NFB_CODE_MISSING_FIELD, "", f,
                          "expected a backup, an API response (\"data\" or "
                          "\"error\") or a list (\"backups\"), found an object "
                          "with none of their fields");
        break;
    case NFB_K_DATA:
        ok = report_frame(r, NFB_ERROR, NFB_CODE_MISSING_FIELD,
                          path_of(r, NULL, 0, 1), f,
                          "expected a backup or \"backups\", found an object "
                          "with neither");
        break;
    case NFB_K_APIERR: {
        const nfb__api_error *e = &r->apierr;
        buf b = {r->msg, 0, sizeof r->msg};
        puts_(&b, "expected a backup, found an API error response (status ");
        if (e->status.len)
            put(&b, e->status.ptr, e->status.len > 24 ? 24 : e->status.len);
        else
            puts_(&b, "?");
        if (e->message.len) {
            /* The server's text, quoted: escapes keep it one clean line. */
            puts_(&b, ": ");
            put_quoted(&b, e->message.ptr, e->message.len, 200);
        }
        puts_(&b, ")");
        if (r->http && r->depth == 2) {
            puts_(&b, ", after the HTTP status line `");
            puts_(&b, r->http);
            puts_(&b, "`");
            r->http_used = 1;
        }
        /* The response as a whole is the error: no path. */
        ok = report_frame(r, NFB_ERROR, NFB_CODE_API_ERROR, "", f, r->msg);
        break;
    }
    case NFB_K_HEADERS:
        break; /* no schema: nothing is required */
    case NFB_K_LIST:
        ok = check_required(r, f);
        /* Under a response's "data" the page ends with the response;
         * the CLI's list has no pagination. */
        if (r->depth >= 2 && r->frames[r->depth - 2].kind == NFB_K_WRAPPER)
            r->page_list = 1;
        else if (ok)
            ok = page_end(r, 0);
        break;
    default:
        ok = check_required(r, f);
        break;
    }
    return ok;
}

/* A response with neither "data" nor "error": reported. */
static NFB_NOINLINE int no_data_nor_error(nfb__dec *r, nfb__frame *f)
{
    return report_frame(r, NFB_ERROR, NFB_CODE_MISSING_FIELD, "", f,
                        "expected field \"data\" or \"error\" in an API "
                        "response, found neither");
}

/* An object ends that map_end's straight path leaves: a record (the
 * backup, and the response around it) here, everything else in
 * end_rare_object. */
static int end_object(nfb__dec *r)
{
    nfb__frame *f = top(r);
    int ok = 1;
    switch (f->kind) {
    case NFB_K_WRAPPER:
        /* "data" counts when it is there at all (null or of another type
         * is its own error); "error" only as an object. */
        if (NFB_UNLIKELY(!(f->seen & (1u << WRAP_DATA)) &&
                         !(f->present & (1u << WRAP_ERROR))))
            ok = no_data_nor_error(r, f);
        if (ok && r->doc == NFB__DOC_HELD) {
            r->doc = NFB__DOC_READING;
            if (r->dg->stats.errors == r->form_errors) ok = deliver(r);
        }
        if (ok && r->page_list) ok = page_end(r, r->page_has);
        break;
    case NFB_K_BACKUP:
        if (NFB_UNLIKELY(r->num_status) && r->depth == 1) {
            r->num_status = 0;
            if (thrown_error(r, f)) break;
        }
        ok = check_required(r, f);
        if (ok) ok = record_end(r, f);
        break;
    default:
        ok = end_rare_object(r, f);
        break;
    }
    r->depth--;
    return ok;
}

/* The end of an object or array inside a skipped value, or of it. */
static int skip_end(nfb__dec *r)
{
    if (--r->skip_depth == 0) {
        r->skip = NFB__SKIP_NONE;
        r->page_in = r->page_key = 0;
    }
    return 1;
}

/* An object ends. The common case first: an object of a kind that only
 * has its required fields checked (config, source, a destination,
 * lastRestore), whole, with no watch or skip going on; end_object does
 * the same for it, and all the rest. */
static NFB_ALWAYS_INLINE int map_end(nfb__dec *r)
{
    if (NFB_LIKELY(!r->watch_skip)) { /* no watch, no skip */
        const nfb__frame *f = &r->frames[r->depth - 1];
        unsigned k = f->kind;
        uint32_t required = r->required[k];
        if (NFB_LIKELY(k - NFB_K_CONFIG <= NFB_K_RESTORE - NFB_K_CONFIG &&
                       (f->seen & required) == required)) {
            r->depth--;
            return 1;
        }
        return end_object(r);
    }
    if (NFB_UNLIKELY(r->watch) && !watch_end(r)) return 0;
    if (r->skip != NFB__SKIP_NONE) return skip_end(r);
    return end_object(r);
}

int nfb__dec_map_end(nfb__dec *r, nfb__pos at)
{
    r->at = at;
    return map_end(r);
}

int nfb__dec_map_end_at(nfb__dec *r, uint64_t off)
{
    r->at = NFB__POS_AT(off);
    return map_end(r);
}

static int array_end(nfb__dec *r)
{
    if (NFB_UNLIKELY(r->watch) && !watch_end(r)) return 0;
    if (r->skip != NFB__SKIP_NONE) return skip_end(r);
    nfb__frame *f = top(r);
    if (f->elem == NFB_K_DEST) {
        r->rec.config.additional_destinations = r->dests;
        r->rec.config.additional_destinations_count = r->ndests;
    }
    if (f->elem == NFB_K_BACKUP && r->depth >= 2 &&
        r->frames[r->depth - 2].kind == NFB_K_LIST)
        r->page_backups = f->index;
    r->depth--;
    return 1;
}

int nfb__dec_array_end(nfb__dec *r, nfb__pos at)
{
    r->at = at;
    return array_end(r);
}

int nfb__dec_array_end_at(nfb__dec *r, uint64_t off)
{
    r->at = NFB__POS_AT(off);
    return array_end(r);
}

/* Decides the form of an undecided object from its key. */
static int resolve_key(const nfb__dec *r, nfb__frame *f, const char *k,
                       size_t len)
{
    int i;
    if (f->kind == NFB_K_TOP || f->kind == NFB_K_DATA) {
        if ((i = find_key(r, NFB_K_BACKUP, k, len)) >= 0) {
            f->kind = NFB_K_BACKUP;
            return i;
        }
        if ((i = find_key(r, NFB_K_LIST, k, len)) >= 0) {
            f->kind = NFB_K_LIST;
            return i;
        }
        if (f->kind == NFB_K_TOP &&
            (i = find_key(r, NFB_K_WRAPPER, k, len)) >= 0) {
            f->kind = NFB_K_WRAPPER;
            return i;
        }
        return -1;
    }
    return find_key(r, f->kind, k, len);
}

/* Reports text the front end found unusable (nfb__dec_bad_text) for the
 * current key or value; 1 if there was. */
static int bad_text(nfb__dec *r, const char *key, size_t keylen)
{
    const char *why = r->bad_why;
    if (NFB_LIKELY(!why)) return 0;
    r->bad_why = NULL;
    text_done(r);
    nfb__report(r->dg, NFB_ERROR, NFB_CODE_SYNTAX,
                key ? path_of(r, key, keylen, 0) : path_of(r, NULL, 0, 0),
                r->bad_at, "%s", why);
    return 1;
}

void nfb__dec_bad_text(nfb__dec *r, nfb__pos at, const char *why)
{
    if (r->bad_why) return; /* one per token: the first */
    r->bad_at = at;
    r->bad_why = why;
    r->odd_text = 1;
}

void nfb__dec_plain(nfb__dec *r, const char *s, size_t len, int string)
{
    r->plain = s;
    r->odd_text = 1;
    r->plain_len = len;
    r->plain_string = string;
}

/* UTF-8 and escape checks of a string that is not stored. */
static int check_text(nfb__dec *r, const char *s, size_t len, int is_key,
                      const char *key, size_t keylen)
{
    if (bad_text(r, is_key ? key : NULL, keylen)) return 0;
    const char *why;
    size_t bad = nfb__utf8_copy(NULL, s, len, &why);
    if (bad == len) return 1;
    nfb__report(r->dg, NFB_ERROR, NFB_CODE_SYNTAX,
                is_key ? path_of(r, key, keylen, 0) : path_of(r, NULL, 0, 0),
                here(r), "expected UTF-8 text in a %s, found %s at byte %zu",
                is_key ? "key" : "string", why, bad);
    return 0;
}

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* Whether s holds the lower-case word w, in any case. */
static int has_word(const char *s, size_t len, const char *w)
{
    size_t n = strlen(w);
    for (size_t i = 0; i + n <= len; i++) {
        size_t j = 0;
        while (j < n && lower(s[i + j]) == w[j])
            j++;
        if (j == n) return 1;
    }
    return 0;
}

/* Whether a header's name says that its value is a credential: the
 * standard ones (Authorization, Proxy-Authorization, Cookie, Set-Cookie)
 * and any name holding one of the words services use for theirs
 * (X-Api-Key, X-Auth-Token, X-Client-Secret...), in any case. */
static int credential_header(const char *s, size_t len)
{
    static const char *const words[] = {
        "authorization", "cookie",  "token",  "secret",    "password",
        "api-key",       "api_key", "apikey", "credential"};
    for (size_t w = 0; w < sizeof words / sizeof words[0]; w++)
        if (has_word(s, len, words[w])) return 1;
    return 0;
}

static void secret_message(void *ctx, char *msg, size_t size)
{
    const token_diag *t = ctx;
    const char *s = t->s;
    size_t len = t->len;
    /* The API's own: "Authorization: Bearer <API token>". */
    int api_token = len == 13 && has_word(s, len, "authorization");
    char c = lower(s[0]);
    buf b = {msg, 0, size};
    puts_(&b, "expected no credentials in a saved response, found ");
    puts_(&b, c && strchr("aeioux", c) ? "an " : "a ");
    if (is_ident(s, len))
        put(&b, s, len > 64 ? 64 : len);
    else
        put_quoted(&b, s, len, 64);
    puts_(&b, api_token ? " header (the archive holds an API token)"
                        : " header (the archive holds a credential)");
}

/* A key of a client request's "headers": its value is skipped (only
 * checked as text), and a name that holds a credential is a warning, under
 * strict mode too. The value itself is never quoted: it is the secret. */
static int header_name(nfb__dec *r, const char *s, size_t len)
{
    if (!check_text(r, s, len, 1, s, len))
        return !r->dg->stopped && !r->dg->failed;
    if (!credential_header(s, len)) return 1;
    if (!nfb__diag_shown(r->dg, NFB_WARNING))
        return nfb__count(r->dg, NFB_WARNING);
    token_diag t = {r, NULL, NULL, NULL, J_STRING, s, len, NULL, NULL};
    return nfb__report_lazy(r->dg, NFB_WARNING, NFB_CODE_SECRET,
                            path_of(r, s, len, 0), token_where, secret_message,
                            &t);
}

static void unknown_field_message(void *ctx, char *msg, size_t size)
{
    const token_diag *t = ctx;
    const nfb__object *o = nfb__schema((nfb__kind)t->f->kind);
    buf b = {msg, 0, size};
    puts_(&b, "expected a field of ");
    puts_(&b, o                          ? o->what
              : t->f->kind == NFB_K_DATA ? "a backup or a list"
                                         : "a backup or an API response");
    puts_(&b, ", found unknown field ");
    put_quoted(&b, t->s, t->len, 64);
}

/* A key off the common path (nfb__dec_map_key): a watch, a skipped tree,
 * bad text, an undecided or a client's object, an unknown or a repeated
 * key. */
static NFB_NOINLINE int map_key_slow(nfb__dec *r, const char *s, size_t len)
{
    if (NFB_UNLIKELY(r->watch) && watched_key(r, s, len))
        return 0; /* a new document, or the user asked to stop */
    if (r->skip == NFB__SKIP_TREE) {
        if (r->page_in && r->skip_depth == 1)
            r->page_key = len == 11 && memcmp(s, "hasNextPage", 11) == 0;
        check_text(r, s, len, 1, s, len);
        return !r->dg->stopped && !r->dg->failed;
    }
    nfb__frame *f = top(r);
    f->field = -1;
    f->fd = NULL;
    r->skip = NFB__SKIP_VALUE;
    if (NFB_UNLIKELY(f->kind == NFB_K_HEADERS)) return header_name(r, s, len);
    int i = len ? resolve_key(r, f, s, len) : -1;
    if (i < 0 && f->kind == NFB_K_REQUEST) {
        /* The client's own (url, method, body...): not the schema's. */
        check_text(r, s, len, 1, s, len);
        return !r->dg->stopped && !r->dg->failed;
    }
    if (i < 0) {
        /* A known key is ASCII by construction: only unknown ones need the
         * UTF-8 check. */
        /* No length check here: the front end refuses any token longer
         * than max_string before the decoder sees it (json_source.c), and
         * decoding escapes only shortens a string. */
        if (!check_text(r, s, len, 1, s, len)) return !r->dg->stopped;
        int strict = (r->flags & NFB_READ_STRICT) != 0;
        nfb_severity sev = strict ? NFB_ERROR : NFB_WARNING;
        if (!nfb__diag_shown(r->dg, sev)) return nfb__count(r->dg, sev);
        token_diag t = {r, NULL, f, NULL, J_STRING, s, len, NULL, NULL};
        return nfb__report_lazy(r->dg, sev, NFB_CODE_UNKNOWN_FIELD,
                                path_of(r, s, len, 0), token_where,
                                unknown_field_message, &t);
    }
    if (bad_text(r, s, len)) return !r->dg->stopped;
    if ((f->seen & (1u << i)) && f->kind != NFB_K_REQUEST) {
        return nfb__report(r->dg, NFB_ERROR, NFB_CODE_DUPLICATE_FIELD,
                           path_of(r, s, len, 0), here(r),
                           "expected each field once, found \"%.*s\" again; "
                           "the first value is kept",
                           (int)len, s);
    }
    f->seen |= 1u << i;
    f->field = (int8_t)i;
    f->fd = &nfb__objects[f->kind].fields[i];
    r->skip = NFB__SKIP_NONE;
    return 1;
}

/* The end of map_key's fast path, for a key found as field i of kind
 * (row fd; i < 0: not found) in frame f, with no skip and no odd text: a
 * field not met yet is taken (1). A repeated one (its bit in the frame's
 * seen set) and every watch but the one the field ends are map_key_slow's
 * (0), with nothing changed. */
static NFB_ALWAYS_INLINE int key_met(nfb__dec *r, nfb__frame *f, int kind,
                                     int i, const nfb__field *fd)
{
    if (NFB_LIKELY(i >= 0 && !(f->seen & (1u << i)))) {
        if (NFB_UNLIKELY(r->watch)) {
            /* A field of the kind the watch expects fits it: the watch
             * ends with nothing to say (watched_key). */
            if (r->watch_kind != f->kind || r->watch_expected) return 0;
            r->watch = NFB__WATCH_OFF;
        }
        f->kind = (uint8_t)kind;
        f->seen |= 1u << i;
        f->field = (int8_t)i;
        f->fd = fd;
        return 1;
    }
    return 0;
}

/* The first key of an undecided object (TOP or DATA), off map_key's
 * straight path: resolve_key's search of the kinds it can be, inline,
 * then key_met. Any other kind is map_key_slow's. */
static NFB_NOINLINE int map_key_other(nfb__dec *r, const char *s, size_t len)
{
    nfb__frame *f = &r->frames[r->depth - 1];
    int k = f->kind, kind, i;
    const nfb__field *fd = NULL;
    if (k != NFB_K_TOP && k != NFB_K_DATA) return map_key_slow(r, s, len);
    if ((i = find_key_row(r, NFB_K_BACKUP, s, len, &fd)) >= 0)
        kind = NFB_K_BACKUP;
    else if ((i = find_key_row(r, NFB_K_LIST, s, len, &fd)) >= 0)
        kind = NFB_K_LIST;
    else if (k == NFB_K_TOP &&
             (i = find_key_row(r, NFB_K_WRAPPER, s, len, &fd)) >= 0)
        kind = NFB_K_WRAPPER;
    else
        kind = k;
    return key_met(r, f, kind, i, fd) || map_key_slow(r, s, len);
}

/* The kinds whose keys map_key's straight path looks up in their own
 * table: every kind of the schema but the undecided ones (TOP, DATA: see
 * map_key_other) and a client's request and its headers (map_key_slow's). */
#define KEYED_KINDS                                                            \
    ((1u << NFB_K_WRAPPER) | (1u << NFB_K_LIST) | (1u << NFB_K_BACKUP) |       \
     (1u << NFB_K_CONFIG) | (1u << NFB_K_SOURCE) | (1u << NFB_K_DEST) |        \
     (1u << NFB_K_RESTORE) | (1u << NFB_K_APIERR))

/* The bits of the word unusual (decode.h) that are the watch's byte, the
 * first of the word, in either byte order. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define WATCH_BITS 0xff000000u
#else
#define WATCH_BITS 0x000000ffu
#endif
_Static_assert(offsetof(nfb__dec, watch) == offsetof(nfb__dec, unusual),
               "the watch is the first byte of unusual");

/* A key. The common case first, on a straight path: no skip and no odd
 * text (the word unusual but for its watch byte is 0), an object of a
 * keyed kind, a key of its table's one candidate (a slot shared by two
 * fields, KEY_MANY, is map_key_slow's search) met once (key_met). The
 * first key of an undecided object is map_key_other's; the rest is
 * map_key_slow's, which does the same for every case.
 *
 * The straight path calls nothing and leaves r->at as it is (only a
 * diagnostic reads it, and every event sets it before one can be made):
 * the position at is stored on the way to map_key_slow only. With no call
 * to come back from, the JSON callback that inlines it needs no stack
 * frame. */
static NFB_ALWAYS_INLINE int map_key(nfb__dec *r, const nfb__pos *at,
                                     const char *s, size_t len)
{
    if (NFB_LIKELY(!(r->unusual & ~WATCH_BITS) && len)) {
        nfb__frame *f = &r->frames[r->depth - 1];
        int k = f->kind;
        if (NFB_UNLIKELY(!((KEYED_KINDS >> k) & 1u))) {
            r->at = *at;
            return map_key_other(r, s, len);
        }
        int i = r->keys[k][key_slot(s, len)];
        if (NFB_LIKELY(i >= 0)) {
            const nfb__field *fd = &nfb__objects[k].fields[i];
            if (NFB_LIKELY(fd->len == len && same_bytes(fd->name, s, len) &&
                           key_met(r, f, k, i, fd)))
                return 1;
        }
    }
    r->at = *at;
    return map_key_slow(r, s, len);
}

int nfb__dec_map_key(nfb__dec *r, nfb__pos at, const char *s, size_t len)
{
    return map_key(r, &at, s, len);
}

/* The position NFB__POS_LATER: its offset says so, and its line 0 that
 * it is not whole (here); the column is not looked at. */
#define AT_LATER(r) ((r)->at.offset = UINT64_MAX, (r)->at.line = 0)
static const nfb__pos POS_LATER = {.offset = UINT64_MAX, .line = 0};

int nfb__dec_map_key_later(nfb__dec *r, const char *s, size_t len)
{
    return map_key(r, &POS_LATER, s, len);
}

/* Copies s[0..len) to dst a word at a time (the last word overlapping the
 * one before), and says whether every byte was ASCII: the common string,
 * which then needs no UTF-8 check. No byte outside [0, len) is read or
 * written. */
static NFB_ALWAYS_INLINE int copy_ascii(char *dst, const char *s, size_t len)
{
    const uint64_t high = UINT64_C(0x8080808080808080);
    uint64_t w, all = 0;
    if (len >= 8) {
        for (size_t i = 0; i + 8 < len; i += 8) {
            memcpy(&w, s + i, 8);
            memcpy(dst + i, &w, 8);
            all |= w;
        }
        memcpy(&w, s + len - 8, 8);
        memcpy(dst + len - 8, &w, 8);
        return !((all | w) & high);
    }
    if (len >= 4) {
        uint32_t x, y;
        memcpy(&x, s, 4);
        memcpy(&y, s + len - 4, 4);
        memcpy(dst, &x, 4);
        memcpy(dst + len - 4, &y, 4);
        return !((x | y) & (uint32_t)high);
    }
    unsigned char any = 0;
    for (size_t i = 0; i < len; i++)
        any |= (unsigned char)(dst[i] = s[i]);
    return any < 0x80;
}

/* store_text's rare ends: the arena refused, or the text is not all ASCII.
 * Its bytes are in dst already (copy_ascii copies them all before it
 * says): they are only checked as UTF-8 here, not copied again. */
static NFB_NOINLINE const char *
store_text_slow(nfb__dec *r, char *dst, const char *s, size_t len, int nul)
{
    if (!dst) {
        arena_failed(r, here(r));
        return NULL;
    }
    const char *why;
    size_t bad = nfb__utf8_copy(NULL, s, len, &why);
    if (bad != len) {
        nfb__report(
            r->dg, NFB_ERROR, NFB_CODE_SYNTAX, path_of(r, NULL, 0, 0), here(r),
            "expected UTF-8 text in a string, found %s at byte %zu", why, bad);
        return NULL;
    }
    if (nul) dst[len] = 0;
    return dst;
}

/* Copies a checked string into the arena. NULL when it is not valid (and
 * reported) or the arena is full (the document DROPPED). ASCII text, the
 * common case, is copied and checked in one pass. */
static NFB_ALWAYS_INLINE const char *store_text(nfb__dec *r, const char *s,
                                                size_t len, int nul)
{
    if (bad_text(r, NULL, 0)) return NULL;
    char *dst = nfb__arena_alloc(&r->arena, len + (size_t)nul);
    if (NFB_UNLIKELY(!dst || !copy_ascii(dst, s, len)))
        return store_text_slow(r, dst, s, len, nul);
    if (nul) dst[len] = 0;
    return dst;
}

/* Copies text that a parser has accepted, and so is ASCII, into the
 * arena: store_text without the UTF-8 check. */
static NFB_ALWAYS_INLINE const char *store_parsed(nfb__dec *r, const char *s,
                                                  size_t len)
{
    if (bad_text(r, NULL, 0)) return NULL;
    char *dst = nfb__arena_alloc(&r->arena, len);
    if (NFB_UNLIKELY(!dst)) {
        arena_failed(r, here(r));
        return NULL;
    }
    (void)copy_ascii(dst, s, len);
    return dst;
}

static NFB_ALWAYS_INLINE int enum_value(const nfb__field *fd, const char *s,
                                        size_t len)
{
    if (NFB_UNLIKELY(len == 0)) return -1; /* no name is empty */
    const nfb_str *e = fd->enums;
    for (int i = 0, n = fd->nenums; i < n; i++)
        if (e[i].len == len && e[i].ptr[0] == s[0] &&
            same_bytes(e[i].ptr, s, len))
            return i;
    return -1;
}

#define AT(f, fd, T) ((T *)((char *)(f)->base + (fd)->off))

/* A scalar value: string (J_STRING), number text (J_NUMBER), bool or null. */
/* ---- scalars ----------------------------------------------------------- */

/* Whether the event goes on after a value could not be used: not when
 * the user asked to stop, memory ran out or the document was dropped. */
static int go_on(const nfb__dec *r)
{
    return !r->dg->stopped && !r->dg->failed && r->doc != NFB__DOC_DROPPED;
}

/* A value the decoder does not keep: a string is still checked. */
static int checked_skip(nfb__dec *r, int jt, const char *s, size_t len)
{
    if (jt == J_STRING) check_text(r, s, len, 0, NULL, 0);
    return !r->dg->stopped && !r->dg->failed;
}

/* What a store function did with a value: stored it (the field is then
 * present), or found it of the wrong type; any other result is the
 * event's own (1 go on, 0 stop), after a diagnostic. */
enum { STORED = 2, WRONG = 3 };

typedef int (*store_fn)(nfb__dec *r, nfb__frame *f, const nfb__field *fd,
                        int jt, const char *s, size_t len);

static NFB_ALWAYS_INLINE int store_string(nfb__dec *r, nfb__frame *f,
                                          const nfb__field *fd, int jt,
                                          const char *s, size_t len)
{
    if (jt != J_STRING) return WRONG;
    const char *t = store_text(r, s, len, 0);
    if (!t) return go_on(r);
    *AT(f, fd, nfb_str) = (nfb_str){t, len};
    return STORED;
}

/* A number for a top-level object's status: perhaps a thrown client
 * error, decided when the object ends (thrown_error). */
static int numeric_status(nfb__dec *r, const char *s, size_t len)
{
    const char *t = store_text(r, s, len, 0);
    if (!t) return go_on(r);
    r->apierr.status = (nfb_str){t, len};
    r->num_status = 1;
    r->num_status_at = here(r);
    return 1;
}

/* A string that is none of the field's names: reported. */
static NFB_NOINLINE int bad_enum(nfb__dec *r, const nfb__field *fd,
                                 const char *s, size_t len)
{
    /* "expected one of ..., found ...": a wrong type's message. */
    token_diag t = {r, fd, NULL, NULL, J_STRING, s, len, NULL, NULL};
    return nfb__report_lazy(r->dg, NFB_ERROR, NFB_CODE_BAD_ENUM,
                            path_of(r, NULL, 0, 0), token_where,
                            wrong_type_message, &t);
}

/* The common case, one of the names, on a straight path; a number (a
 * top-level object's status) and a string that is no name off it. */
static int store_enum(nfb__dec *r, nfb__frame *f, const nfb__field *fd, int jt,
                      const char *s, size_t len)
{
    if (NFB_UNLIKELY(jt != J_STRING)) {
        if (jt == J_NUMBER && r->depth == 1 && f->kind == NFB_K_BACKUP &&
            fd->off == (int16_t)offsetof(nfb_backup, status))
            return numeric_status(r, s, len);
        return WRONG;
    }
    int v = enum_value(fd, s, len);
    if (NFB_UNLIKELY(v < 0)) return bad_enum(r, fd, s, len);
    if (fd->off >= 0) *AT(f, fd, int) = v;
    return STORED;
}

/* A date-time that is not of the common shape, or not valid: the general
 * parser decides, and says why. Out of line, with its buffer for the
 * reason, so that store_datetime's common case stays short. */
NFB_NOINLINE
static int store_datetime_slow(nfb__dec *r, nfb__frame *f, const nfb__field *fd,
                               const char *s, size_t len)
{
    char why[128];
    nfb_time tm;
    const char *err = nfb__parse_datetime(s, len, &tm, why, sizeof why);
    /* A date-time that parses is ASCII; any other text is checked as
     * UTF-8 first, so that bad bytes are said before the date-time. */
    const char *t = err ? store_text(r, s, len, 0) : store_parsed(r, s, len);
    if (!t) return go_on(r);
    if (err) {
        return refused(r, &BAD_DATE_TIME, s, len, err);
    }
    tm.text.ptr = t;
    *AT(f, fd, nfb_time) = tm;
    return STORED;
}

/* Sixteen bytes from s to dst. */
static NFB_ALWAYS_INLINE void copy16(char *dst, const char *s)
{
    char w[16];
    memcpy(w, s, 16);
    memcpy(dst, w, 16);
}

static int store_datetime(nfb__dec *r, nfb__frame *f, const nfb__field *fd,
                          int jt, const char *s, size_t len)
{
    if (jt != J_STRING) return WRONG;
    nfb_time tm;
    /* The common case: the fast parse accepts it, so it is ASCII and 20 to
     * (nearly always) 35 bytes long; its text is copied as the first and
     * the last 16 bytes, and those between when it is longer than 32. */
    if (NFB_UNLIKELY(bad_text(r, NULL, 0))) return go_on(r);
    if (NFB_UNLIKELY(!nfb__parse_datetime_fast(s, len, &tm)))
        return store_datetime_slow(r, f, fd, s, len);
    char *dst = nfb__arena_alloc(&r->arena, len);
    if (NFB_UNLIKELY(!dst)) {
        arena_failed(r, here(r));
        return go_on(r);
    }
    copy16(dst, s);
    for (size_t i = 16; i + 16 < len; i += 16)
        copy16(dst + i, s + i);
    copy16(dst + len - 16, s + len - 16);
    tm.text.ptr = dst;
    *AT(f, fd, nfb_time) = tm;
    return STORED;
}

static int store_size(nfb__dec *r, nfb__frame *f, const nfb__field *fd, int jt,
                      const char *s, size_t len)
{
    if (jt != J_STRING) return WRONG;
    uint64_t v = 0; /* set when err is NULL, which gcc -flto cannot see */
    const char *err = nfb__parse_size(s, len, &v);
    if (err) {
        return refused(r, &BAD_SIZE, s, len, err);
    }
    const char *t = store_parsed(r, s, len); /* digits only */
    if (!t) return go_on(r);
    *AT(f, fd, nfb_str) = (nfb_str){t, len};
    *(uint64_t *)((char *)f->base + fd->off2) = v;
    return STORED;
}

static int store_number(nfb__dec *r, nfb__frame *f, const nfb__field *fd,
                        int jt, const char *s, size_t len)
{
    if (jt != J_NUMBER) return WRONG;
    const char *t = store_text(r, s, len, 1);
    if (!t) return go_on(r);
    *AT(f, fd, nfb_str) = (nfb_str){t, len};
    if (fd->off2 >= 0)
        /* cppcheck-suppress invalidPointerCast ; off2 is the offset of a
         * double member of the record, not a char array */
        *(double *)((char *)f->base + fd->off2) =
            strtod_l(t, NULL, (locale_t)r->c_locale);
    return STORED;
}

/* One store function per value type of the schema; NULL: no scalar. */
static const store_fn stores[] = {
    [NFB_T_STRING] = store_string,     [NFB_T_ENUM] = store_enum,
    [NFB_T_DATETIME] = store_datetime, [NFB_T_SIZE] = store_size,
    [NFB_T_NUMBER] = store_number,
};

/* null for a field: absent when optional, else the wrong type ("data" of
 * a response too: it is there, and not a backup). */
static int null_value(nfb__dec *r, nfb__frame *f, const nfb__field *fd)
{
    if (fd->required || fd->kind == NFB_K_DATA)
        return wrong_type_f(r, fd, nfb__type_expect(fd), J_NULL, NULL, 0);
    set_has(f, fd, 0);
    return 1;
}

/* A value where no object field is awaited: a top-level scalar or an array
 * element that is not an object. */
static int misplaced_scalar(nfb__dec *r, const nfb__frame *f, int elem, int jt,
                            const char *s, size_t len)
{
    if (!f) {
        begin_document(r);
        return wrong_type(r, "an object or an array", jt, s, len);
    }
    return wrong_type(r, elem_expect(elem), jt, s, len);
}

/* Whether the field's value is a JSON string. */
static int wants_string(const nfb__field *fd)
{
    return fd->type == NFB_T_STRING || fd->type == NFB_T_ENUM ||
           fd->type == NFB_T_DATETIME || fd->type == NFB_T_SIZE;
}

/* A scalar value: string (J_STRING), number text (J_NUMBER), bool or null. */
static NFB_NOINLINE int scalar(nfb__dec *r, int jt, const char *s, size_t len)
{
    /* A YAML plain scalar as written (nfb__dec_plain): what diagnostics
     * show of a number, and the string where one is wanted. */
    const char *shown = s;
    size_t shown_len = len;
    const char *plain = r->plain;
    if (NFB_UNLIKELY(plain)) {
        r->plain = NULL;
        text_done(r);
        if (jt == J_NUMBER) {
            shown = plain;
            shown_len = r->plain_len;
        }
    }
    if (NFB_UNLIKELY(r->watch) && !watch_end(r)) return 0;
    if (r->skip != NFB__SKIP_NONE) {
        if (r->skip == NFB__SKIP_VALUE) r->skip = NFB__SKIP_NONE;
        if (r->page_key && r->skip == NFB__SKIP_TREE && r->skip_depth == 1) {
            r->page_next = jt == J_BOOL && len;
            r->page_key = 0;
        }
        return checked_skip(r, jt, s, len);
    }
    int elem;
    nfb__frame *f = top(r);
    const nfb__field *fd = awaited(r, &elem);
    if (NFB_UNLIKELY(plain) && r->plain_string && f && elem < 0 && fd &&
        wants_string(fd)) {
        r->bad_why = NULL; /* about the core schema's value, not taken */
        text_done(r);
        jt = J_STRING;
        s = shown = plain;
        len = shown_len = r->plain_len;
    }
    /* A lone surrogate escape makes the string unusable, whatever the
     * field: report it once, here. */
    if (jt == J_STRING && bad_text(r, NULL, 0)) {
        if (!f) begin_document(r);
        return !r->dg->stopped;
    }
    if (!f || elem >= 0)
        return misplaced_scalar(r, f, elem, jt, shown, shown_len);
    if (!fd) return 1;
    /* Not the schema's (a JS client's request, rawResponse...), and in a
     * JS client result "error" marks a failed call only as an object:
     * null or a placeholder ("...") beside the data is the client's. */
    if (fd->type == NFB_T_ANY || fd->type == NFB_T_CLIENT ||
        (fd->kind == NFB_K_APIERR && f->kind == NFB_K_WRAPPER))
        return checked_skip(r, jt, s, len);
    if (jt == J_NULL) return null_value(r, f, fd);
    store_fn store =
        fd->type < sizeof stores / sizeof stores[0] ? stores[fd->type] : NULL;
    int res = store ? store(r, f, fd, jt, s, len) : WRONG;
    if (res == WRONG)
        return wrong_type_f(r, fd, nfb__type_expect(fd), jt, shown, shown_len);
    if (res != STORED) return res;
    f->present |= 1u << f->field;
    set_has(f, fd, 1);
    return 1;
}

/* The end of a value stored in field fd of frame f: the field is
 * present. */
static NFB_ALWAYS_INLINE int value_stored(nfb__frame *f, const nfb__field *fd)
{
    f->present |= 1u << f->field;
    set_has(f, fd, 1);
    return 1;
}

/* The event's result after a store function's res (STORED, WRONG or the
 * event's own). */
static NFB_ALWAYS_INLINE int value_result(nfb__dec *r, nfb__frame *f,
                                          const nfb__field *fd, int jt,
                                          const char *s, size_t len, int res)
{
    if (res == WRONG)
        return wrong_type_f(r, fd, nfb__type_expect(fd), jt, s, len);
    if (res != STORED) return res;
    return value_stored(f, fd);
}

/* A value of a field of each type but a plain string's, under
 * scalar_fast's conditions: the store and the event's result in one
 * function that scalar_fast jumps to, so that it has nothing to come back
 * to. typed_event does it for any type, and the others for the common
 * case of theirs. */
static NFB_NOINLINE int typed_event(nfb__dec *r, nfb__frame *f,
                                    const nfb__field *fd, int jt, const char *s,
                                    size_t len)
{
    store_fn store =
        fd->type < sizeof stores / sizeof stores[0] ? stores[fd->type] : NULL;
    if (!store) return scalar(r, jt, s, len);
    return value_result(r, f, fd, jt, s, len, store(r, f, fd, jt, s, len));
}

/* An enum: store_enum's common case, one of the names of a string, stored
 * on a path that calls nothing; a name that is none of them is bad_enum's
 * (the event's result), any other value typed_event's. */
static NFB_NOINLINE int enum_event(nfb__dec *r, nfb__frame *f,
                                   const nfb__field *fd, int jt, const char *s,
                                   size_t len)
{
    if (NFB_UNLIKELY(jt != J_STRING)) return typed_event(r, f, fd, jt, s, len);
    int v = enum_value(fd, s, len);
    if (NFB_UNLIKELY(v < 0)) return bad_enum(r, fd, s, len);
    if (fd->off >= 0) *AT(f, fd, int) = v;
    return value_stored(f, fd);
}
static NFB_NOINLINE int datetime_event(nfb__dec *r, nfb__frame *f,
                                       const nfb__field *fd, int jt,
                                       const char *s, size_t len)
{
    return value_result(r, f, fd, jt, s, len,
                        store_datetime(r, f, fd, jt, s, len));
}
/* A size: store_size's common case, a string that parses, stored here
 * (its digits, copied with no UTF-8 check, as store_parsed does; no bad
 * text, as unusual is 0); any other value is typed_event's, which parses
 * it again to say why. */
static NFB_NOINLINE int size_event(nfb__dec *r, nfb__frame *f,
                                   const nfb__field *fd, int jt, const char *s,
                                   size_t len)
{
    uint64_t v = 0; /* set when it parses, which gcc -flto cannot see */
    if (NFB_UNLIKELY(jt != J_STRING || nfb__parse_size(s, len, &v)))
        return typed_event(r, f, fd, jt, s, len);
    char *dst = nfb__arena_alloc(&r->arena, len);
    if (NFB_UNLIKELY(!dst)) {
        arena_failed(r, here(r));
        return go_on(r);
    }
    (void)copy_ascii(dst, s, len);
    *AT(f, fd, nfb_str) = (nfb_str){dst, len};
    *(uint64_t *)((char *)f->base + fd->off2) = v;
    return value_stored(f, fd);
}

/* A string value of a plain string field off scalar_fast's straight
 * path: the current block of the arena had no room (dst NULL), or the
 * text, copied to dst, is not all ASCII. store_text's rare ends. */
static NFB_NOINLINE int string_event_slow(nfb__dec *r, nfb__frame *f,
                                          const nfb__field *fd, char *dst,
                                          const char *s, size_t len)
{
    const char *t = NULL;
    if (!dst && (dst = nfb__arena_alloc(&r->arena, len)) != NULL &&
        copy_ascii(dst, s, len))
        t = dst;
    if (!t && !(t = store_text_slow(r, dst, s, len, 0))) return go_on(r);
    *AT(f, fd, nfb_str) = (nfb_str){t, len};
    return value_stored(f, fd);
}

/* The common case of a string or number first: the value of a scalar
 * field of the schema, with nothing unusual going on (no YAML plain text,
 * watch, skip or bad text); scalar does the same for that case and all
 * the rest. A field of an object type (the only ones whose row has a
 * kind: "error" of a JS client result among them) goes to scalar by its
 * type.
 *
 * The commonest, a plain string of ASCII text that fits the arena's
 * current block, is stored here, on a path that calls nothing and leaves
 * r->at as it is (only diagnostics read it); every other case stores at
 * first and is one jump to a function that does the whole work, so that
 * the callback that inlines this needs no stack frame. */
static NFB_ALWAYS_INLINE int scalar_fast(nfb__dec *r, const nfb__pos *at,
                                         int jt, const char *s, size_t len)
{
    if (NFB_UNLIKELY(r->unusual || !r->depth)) {
        r->at = *at;
        return scalar(r, jt, s, len);
    }
    nfb__frame *f = &r->frames[r->depth - 1];
    const nfb__field *fd = frame_field(f); /* NULL in an array */
    if (NFB_UNLIKELY(!fd)) {
        r->at = *at;
        return scalar(r, jt, s, len);
    }
    if (NFB_LIKELY(fd->type == NFB_T_STRING && jt == J_STRING)) {
        /* store_string: no bad text, as unusual is 0. */
        char *dst = nfb__arena_try(&r->arena, len);
        if (NFB_UNLIKELY(!dst || !copy_ascii(dst, s, len))) {
            r->at = *at;
            return string_event_slow(r, f, fd, dst, s, len);
        }
        *AT(f, fd, nfb_str) = (nfb_str){dst, len};
        return value_stored(f, fd);
    }
    r->at = *at;
    switch (fd->type) {
    case NFB_T_ENUM:
        return enum_event(r, f, fd, jt, s, len);
    case NFB_T_DATETIME:
        return datetime_event(r, f, fd, jt, s, len);
    case NFB_T_SIZE:
        return size_event(r, f, fd, jt, s, len);
    default:
        return typed_event(r, f, fd, jt, s, len);
    }
}

int nfb__dec_string(nfb__dec *r, nfb__pos at, const char *s, size_t len)
{
    return scalar_fast(r, &at, J_STRING, s, len);
}

int nfb__dec_number(nfb__dec *r, nfb__pos at, const char *s, size_t len)
{
    return scalar_fast(r, &at, J_NUMBER, s, len);
}

int nfb__dec_bool(nfb__dec *r, nfb__pos at, int value)
{
    r->at = at;
    return scalar(r, J_BOOL, NULL, (size_t)(value != 0));
}

int nfb__dec_null(nfb__dec *r, nfb__pos at)
{
    r->at = at;
    return scalar(r, J_NULL, NULL, 0);
}

int nfb__dec_string_later(nfb__dec *r, const char *s, size_t len)
{
    return scalar_fast(r, &POS_LATER, J_STRING, s, len);
}

int nfb__dec_number_later(nfb__dec *r, const char *s, size_t len)
{
    return scalar_fast(r, &POS_LATER, J_NUMBER, s, len);
}

int nfb__dec_bool_later(nfb__dec *r, int value)
{
    AT_LATER(r);
    return scalar(r, J_BOOL, NULL, (size_t)(value != 0));
}

int nfb__dec_null_later(nfb__dec *r)
{
    AT_LATER(r);
    return scalar(r, J_NULL, NULL, 0);
}
