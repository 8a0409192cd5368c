/* nfbackup diff: what changed between two sets of records, each read as
 * --unique reads its input (the last record of each id).
 *
 * Memory is bounded by hash-partitioning, not by sorting every id: each
 * side's records go, as canonical JSON lines (the json writer's), to one
 * of UNIQUE_PARTS partitions of its temporary file chosen by a hash of
 * the id (unique.c), so every record of an id is in the same partition on
 * both sides, in input order. Then one partition pair at a time is read
 * into memory, its ids sorted (the last record of each kept) and the two
 * sides walked together in byte order, as a merge does; what the pair
 * outputs, in id order, is appended as one sorted run to a third
 * temporary file with no name. Last, the runs are merged (a heap of one
 * cursor per run, a small buffer each) into the output, ordered by id.
 * At any time memory holds one partition of each side (about 1/256 of
 * the records) and the merge's buffers, whatever the number of ids.
 *
 * Two records are the same when their canonical lines are the same
 * bytes; when they differ, both lines are parsed (yajl's tree) and
 * compared member by member, objects recursively: a field is named by its
 * dotted path (status, config.addonVersion, lastRestore), an array as a
 * whole (config.additionalDestinations). Strings are written with the
 * library's JSON escaper and CSV cells quoted by libcsv, as the json and
 * csv writers do. */
#include <csv.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <nfbackup/text.h>
#include <yajl/yajl_tree.h>

#include "cli.h"

typedef struct out {
    nfb_write_fn write;
    void *ctx;
    char *p;
    size_t len, cap;
    int failed; /* NFB_EWRITE or NFB_ENOMEM */
} out;

enum { FLUSH_AT = 64 * 1024 };

/* Room for n more bytes. -1 (failed set) when there is none. */
static int reserve(out *o, size_t n)
{
    if (o->failed) return -1;
    if (o->len + n > o->cap) {
        size_t cap = o->cap ? o->cap : FLUSH_AT * 2;
        while (cap < o->len + n)
            cap *= 2;
        char *p = realloc(o->p, cap);
        if (!p) {
            o->failed = NFB_ENOMEM;
            return -1;
        }
        o->p = p, o->cap = cap;
    }
    return 0;
}

static void put(out *o, const char *s, size_t n)
{
    if (!n || reserve(o, n) != 0) return;
    memcpy(o->p + o->len, s, n);
    o->len += n;
}

static void puts_(out *o, const char *s)
{
    put(o, s, strlen(s));
}

static void flush(out *o, int always)
{
    if (o->failed || !o->len || (!always && o->len < FLUSH_AT)) return;
    if (o->write(o->ctx, o->p, o->len) != 0) o->failed = NFB_EWRITE;
    o->len = 0;
}

/* A line without its '\n'. */
static size_t trim(const char *line, size_t len)
{
    return len && line[len - 1] == '\n' ? len - 1 : len;
}

/* The id as the line writes it (the canonical writer puts it first,
 * escaped as it escapes every string): its quoted JSON text. */
static void put_id_json(out *o, const char *line, size_t len)
{
    const char *s = line + sizeof "{\"id\":" - 1, *end = line + len;
    const char *p = s + 1;
    while (p < end && *p != '"')
        p += *p == '\\' ? 2 : 1;
    put(o, s, (size_t)(p + 1 - s));
}

/* ---- comparing two records ------------------------------------------ */

typedef struct paths {
    char **p;
    size_t n, cap;
} paths;

static int add_path(paths *ps, const char *prefix, const char *key)
{
    if (ps->n == ps->cap) {
        size_t cap = ps->cap ? ps->cap * 2 : 8;
        char **p = realloc(ps->p, cap * sizeof *p);
        if (!p) return -1;
        ps->p = p, ps->cap = cap;
    }
    size_t a = strlen(prefix), b = strlen(key);
    char *s = malloc(a + b + 2);
    if (!s) return -1;
    memcpy(s, prefix, a);
    if (a) s[a++] = '.';
    memcpy(s + a, key, b + 1);
    ps->p[ps->n++] = s;
    return 0;
}

static void free_paths(paths *ps)
{
    for (size_t i = 0; i < ps->n; i++)
        free(ps->p[i]);
    free(ps->p);
}

static yajl_val member(yajl_val obj, const char *key)
{
    if (!YAJL_IS_OBJECT(obj)) return NULL;
    for (size_t i = 0; i < obj->u.object.len; i++)
        if (strcmp(obj->u.object.keys[i], key) == 0)
            return obj->u.object.values[i];
    return NULL;
}

static int same(yajl_val a, yajl_val b)
{
    if (!a || !b) return a == b;
    if (a->type != b->type) return 0;
    switch (a->type) {
    case yajl_t_string:
        return strcmp(a->u.string, b->u.string) == 0;
    case yajl_t_number:
        return strcmp(a->u.number.r, b->u.number.r) == 0;
    case yajl_t_object:
        if (a->u.object.len != b->u.object.len) return 0;
        for (size_t i = 0; i < a->u.object.len; i++)
            if (strcmp(a->u.object.keys[i], b->u.object.keys[i]) != 0 ||
                !same(a->u.object.values[i], b->u.object.values[i]))
                return 0;
        return 1;
    case yajl_t_array:
        if (a->u.array.len != b->u.array.len) return 0;
        for (size_t i = 0; i < a->u.array.len; i++)
            if (!same(a->u.array.values[i], b->u.array.values[i])) return 0;
        return 1;
    default: /* true, false, null: the type says it all */
        return 1;
    }
}

/* The paths under prefix where objects a and b differ: a's members in
 * its order (the canonical one), then those only b has. */
static int compare(yajl_val a, yajl_val b, const char *prefix, paths *ps)
{
    for (size_t i = 0; i < a->u.object.len; i++) {
        const char *k = a->u.object.keys[i];
        yajl_val va = a->u.object.values[i], vb = member(b, k);
        if (vb && YAJL_IS_OBJECT(va) && YAJL_IS_OBJECT(vb)) {
            size_t pl = strlen(prefix), kl = strlen(k);
            char *sub = malloc(pl + kl + 2);
            if (!sub) return -1;
            memcpy(sub, prefix, pl);
            size_t at = pl;
            if (pl) sub[at++] = '.';
            memcpy(sub + at, k, kl + 1);
            int rc = compare(va, vb, sub, ps);
            free(sub);
            if (rc) return rc;
        } else if (!same(va, vb) && add_path(ps, prefix, k) != 0) {
            return -1;
        }
    }
    for (size_t i = 0; i < b->u.object.len; i++) {
        const char *k = b->u.object.keys[i];
        if (member(a, k)) continue;
        if (add_path(ps, prefix, k) != 0) return -1;
    }
    return 0;
}

/* The value at a dotted path, or NULL. */
static yajl_val at_path(yajl_val v, const char *path)
{
    char key[256];
    while (v && *path) {
        size_t n = strcspn(path, ".");
        if (n >= sizeof key) return NULL;
        memcpy(key, path, n);
        key[n] = '\0';
        v = member(v, key);
        path += n + (path[n] == '.');
    }
    return v;
}

/* A copy of a line, NUL-terminated, parsed. */
static yajl_val parse(const char *line, size_t len)
{
    char *s = malloc(len + 1);
    if (!s) return NULL;
    memcpy(s, line, len);
    s[len] = '\0';
    yajl_val v = yajl_tree_parse(s, NULL, 0);
    free(s);
    return v;
}

/* ---- json and csv -------------------------------------------------- */

static int out_write(void *ctx, const void *data, size_t len)
{
    put(ctx, data, len);
    return 0;
}

/* A JSON string escaped as the json writer escapes a record's. */
static void put_json_string(out *o, const char *s, size_t n)
{
    nfb_json_write_string(s, n, NFB_JSON_RECORD, out_write, o);
}

/* A value as compact JSON, its strings escaped as above. */
static void put_json(out *o, yajl_val v)
{
    switch (v->type) {
    case yajl_t_string:
        put_json_string(o, v->u.string, strlen(v->u.string));
        break;
    case yajl_t_number:
        puts_(o, v->u.number.r);
        break;
    case yajl_t_object:
        put(o, "{", 1);
        for (size_t i = 0; i < v->u.object.len; i++) {
            const char *k = v->u.object.keys[i];
            if (i) put(o, ",", 1);
            put_json_string(o, k, strlen(k));
            put(o, ":", 1);
            put_json(o, v->u.object.values[i]);
        }
        put(o, "}", 1);
        break;
    case yajl_t_array:
        put(o, "[", 1);
        for (size_t i = 0; i < v->u.array.len; i++) {
            if (i) put(o, ",", 1);
            put_json(o, v->u.array.values[i]);
        }
        put(o, "]", 1);
        break;
    case yajl_t_true:
        puts_(o, "true");
        break;
    case yajl_t_false:
        puts_(o, "false");
        break;
    default:
        puts_(o, "null");
        break;
    }
}

/* One cell as the csv writer writes it: quoted by libcsv's csv_write2
 * when it holds a comma, a quote, CR or LF, with its formula guard (a '
 * before a cell that a spreadsheet would take for a formula, or that
 * starts with ', inside the quotes when there are quotes). */
static void put_cell(out *o, const char *s, size_t n, int guard)
{
    int g = guard && n && strchr("=+-@\t\r\n'", s[0]) != NULL;
    int quote = 0;
    for (size_t i = 0; i < n && !quote; i++)
        quote = s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n';
    if (!quote) {
        if (g) put(o, "'", 1);
        put(o, s, n);
        return;
    }
    /* csv_write2 writes "..." (at most 2n + 2 bytes); with the guard, one
     * byte on, its opening quote then made the ' after a new one. */
    if (n > (SIZE_MAX - 4) / 2 || reserve(o, 2 * n + 3) != 0) return;
    char *q = o->p + o->len;
    size_t w = csv_write2(q + g, 2 * n + 2, s, n, '"');
    if (g) q[0] = '"', q[1] = '\'';
    o->len += w + (size_t)g;
}

/* A value's cell: a string's text, a number as written, an object or
 * array as compact JSON; an absent value is an empty cell. */
static void put_value_cell(out *o, yajl_val v, int guard)
{
    if (!v) return;
    if (YAJL_IS_STRING(v)) {
        put_cell(o, v->u.string, strlen(v->u.string), guard);
        return;
    }
    out j = {NULL, NULL, NULL, 0, 0, 0};
    put_json(&j, v);
    if (j.failed)
        o->failed = j.failed;
    else
        put_cell(o, j.p, j.len, guard);
    free(j.p);
}

/* A csv row's first two cells: the change and the id. */
static void put_row_head(out *o, const char *change, const char *id,
                         size_t id_len, int guard)
{
    puts_(o, change);
    put(o, ",", 1);
    put_cell(o, id, id_len, guard);
    put(o, ",", 1);
}

/* ---- the walk ------------------------------------------------------- */

/* An added or removed backup: json, its line; csv, one row with no field
 * and the whole record as JSON in the before or after cell. */
static void one_side(out *o, int csv, int guard, const char *change,
                     const char *id, size_t id_len, const char *line,
                     size_t len, int is_after)
{
    len = trim(line, len);
    if (csv) {
        put_row_head(o, change, id, id_len, guard);
        put(o, ",", 1);
        if (is_after) put(o, ",", 1);
        put_cell(o, line, len, guard);
        if (!is_after) put(o, ",", 1);
        put(o, "\n", 1);
        return;
    }
    puts_(o, "{\"change\":\"");
    puts_(o, change);
    puts_(o, "\",\"id\":");
    put_id_json(o, line, len);
    puts_(o, ",\"fields\":[],\"before\":");
    if (is_after) {
        puts_(o, "null,\"after\":");
        put(o, line, len);
    } else {
        put(o, line, len);
        puts_(o, ",\"after\":null");
    }
    puts_(o, "}\n");
}

/* Two records of one id whose lines differ. Returns 0, or -1 when out of
 * memory. */
static int changed(out *o, int csv, int guard, const char *id, size_t id_len,
                   const char *a, size_t alen, const char *b, size_t blen)
{
    yajl_val va = parse(a, alen), vb = parse(b, blen);
    paths ps = {NULL, 0, 0};
    int rc = va && vb && YAJL_IS_OBJECT(va) && YAJL_IS_OBJECT(vb)
                 ? compare(va, vb, "", &ps)
                 : -1;
    if (rc == 0 && csv) {
        for (size_t i = 0; i < ps.n; i++) {
            put_row_head(o, "changed", id, id_len, guard);
            put_cell(o, ps.p[i], strlen(ps.p[i]), guard);
            put(o, ",", 1);
            put_value_cell(o, at_path(va, ps.p[i]), guard);
            put(o, ",", 1);
            put_value_cell(o, at_path(vb, ps.p[i]), guard);
            put(o, "\n", 1);
        }
    } else if (rc == 0) {
        puts_(o, "{\"change\":\"changed\",\"id\":");
        put_id_json(o, a, alen);
        puts_(o, ",\"fields\":[");
        for (size_t i = 0; i < ps.n; i++) {
            if (i) put(o, ",", 1);
            put_json_string(o, ps.p[i], strlen(ps.p[i]));
        }
        puts_(o, "],\"before\":");
        put(o, a, alen);
        puts_(o, ",\"after\":");
        put(o, b, blen);
        puts_(o, "}\n");
    }
    free_paths(&ps);
    yajl_tree_free(va);
    yajl_tree_free(vb);
    return rc;
}

static int cmp_ids(const char *a, size_t an, const char *b, size_t bn)
{
    int c = memcmp(a, b, an < bn ? an : bn);
    return c ? c : (an > bn) - (an < bn);
}

/* ---- one partition pair ----------------------------------------------- */

/* A record of a partition: its line, and its id as the input had it (the
 * line's JSON text unescaped: ids are ordered by their own bytes). */
typedef struct rec {
    const char *line, *id;
    uint32_t len, id_len;
    size_t seq; /* its place in the partition: input order */
    int owned;  /* id was unescaped into memory of its own */
} rec;

static void put_utf8(char *d, size_t *n, unsigned cp)
{
    if (cp < 0x80) {
        d[(*n)++] = (char)cp;
    } else if (cp < 0x800) {
        d[(*n)++] = (char)(0xC0 | cp >> 6);
        d[(*n)++] = (char)(0x80 | (cp & 0x3F));
    } else {
        d[(*n)++] = (char)(0xE0 | cp >> 12);
        d[(*n)++] = (char)(0x80 | (cp >> 6 & 0x3F));
        d[(*n)++] = (char)(0x80 | (cp & 0x3F));
    }
}

/* r's id, from the line the json writer wrote ({"id":"...", its escapes
 * being those of nfb_json_write_string: \" \\ \b \f \n \r \t and \uXXXX
 * for code points below U+0800 and U+2028, U+2029). -1: out of memory. */
static int read_id(rec *r)
{
    static const char pre[] = "{\"id\":\"";
    const char *s = r->line + sizeof pre - 1, *end = r->line + r->len;
    r->id = s, r->id_len = 0, r->owned = 0;
    if (r->len < sizeof pre || memcmp(r->line, pre, sizeof pre - 1) != 0)
        return 0;
    const char *p = s;
    while (p < end && *p != '"' && *p != '\\')
        p++;
    r->id_len = (uint32_t)(p - s);
    if (p >= end || *p == '"') return 0;
    char *d = malloc((size_t)(end - s));
    if (!d) return -1;
    size_t n = 0;
    for (p = s; p < end && *p != '"'; p++) {
        if (*p != '\\' || p + 1 >= end) {
            d[n++] = *p;
            continue;
        }
        char c = *++p;
        if (c == 'u' && end - p > 4) {
            char hex[5] = {p[1], p[2], p[3], p[4], 0};
            put_utf8(d, &n, (unsigned)strtoul(hex, NULL, 16));
            p += 4;
            continue;
        }
        d[n++] = c == 'b'   ? '\b'
                 : c == 'f' ? '\f'
                 : c == 'n' ? '\n'
                 : c == 'r' ? '\r'
                 : c == 't' ? '\t'
                            : c;
    }
    r->id = d, r->id_len = (uint32_t)n, r->owned = 1;
    return 0;
}

static int by_id_seq(const void *a, const void *b)
{
    const rec *x = a, *y = b;
    int c = cmp_ids(x->id, x->id_len, y->id, y->id_len);
    return c ? c : (x->seq > y->seq) - (x->seq < y->seq);
}

static void free_recs(rec *r, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (r[i].owned) free((char *)r[i].id);
    free(r);
}

/* The records of a partition's lines, one per id (the last in input
 * order), sorted by id. NULL when out of memory (*n = 0 and no lines is
 * not that: it returns an empty array). */
static rec *part_recs(const char *buf, size_t len, size_t *n)
{
    size_t lines = 0;
    for (const char *p = buf; (p = memchr(p, '\n', len - (size_t)(p - buf)));
         p++)
        lines++;
    rec *r = malloc((lines ? lines : 1) * sizeof *r);
    if (!r) return NULL;
    size_t k = 0;
    for (const char *p = buf, *end = buf + len; p < end && k < lines; k++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        r[k].line = p;
        r[k].len = (uint32_t)(nl + 1 - p);
        r[k].seq = k;
        if (read_id(&r[k]) != 0) {
            free_recs(r, k);
            return NULL;
        }
        p = nl + 1;
    }
    qsort(r, k, sizeof *r, by_id_seq);
    size_t m = 0;
    for (size_t i = 0; i < k; i++) {
        if (i + 1 < k &&
            cmp_ids(r[i].id, r[i].id_len, r[i + 1].id, r[i + 1].id_len) == 0) {
            if (r[i].owned) free((char *)r[i].id);
            continue;
        }
        r[m++] = r[i];
    }
    *n = m;
    return r;
}

/* An item of a run: the id's length and bytes, the output's length and
 * bytes; the header is made before the output and its length filled in
 * after. */
static size_t item_begin(out *o, const rec *r)
{
    uint32_t n = r->id_len;
    put(o, (const char *)&n, sizeof n);
    put(o, r->id, n);
    uint64_t zero = 0;
    put(o, (const char *)&zero, sizeof zero);
    return o->len;
}

static void item_end(out *o, size_t at)
{
    if (o->failed) return;
    uint64_t n = o->len - at;
    memcpy(o->p + at - sizeof n, &n, sizeof n);
}

/* Compares one partition pair, appending its items in id order to o. */
static nfb_result diff_part(const rec *a, size_t na, const rec *b, size_t nb,
                            int csv, int guard, out *o, diff_counts *c)
{
    size_t i = 0, k = 0;
    while ((i < na || k < nb) && !o->failed) {
        int cmp = i == na ? 1
                  : k == nb
                      ? -1
                      : cmp_ids(a[i].id, a[i].id_len, b[k].id, b[k].id_len);
        if (cmp < 0) {
            size_t at = item_begin(o, &a[i]);
            one_side(o, csv, guard, "removed", a[i].id, a[i].id_len, a[i].line,
                     a[i].len, 0);
            item_end(o, at);
            i++, c->removed++;
        } else if (cmp > 0) {
            size_t at = item_begin(o, &b[k]);
            one_side(o, csv, guard, "added", b[k].id, b[k].id_len, b[k].line,
                     b[k].len, 1);
            item_end(o, at);
            k++, c->added++;
        } else {
            size_t alen = trim(a[i].line, a[i].len);
            size_t blen = trim(b[k].line, b[k].len);
            if (alen == blen && memcmp(a[i].line, b[k].line, alen) == 0) {
                c->same++;
            } else {
                size_t at = item_begin(o, &a[i]);
                if (changed(o, csv, guard, a[i].id, a[i].id_len, a[i].line,
                            alen, b[k].line, blen) != 0)
                    o->failed = NFB_ENOMEM;
                item_end(o, at);
                c->changed++;
            }
            i++, k++;
        }
        flush(o, 0);
    }
    return o->failed ? (nfb_result)o->failed : NFB_OK;
}

/* ---- the runs and their merge ---------------------------------------- */

static int err_no;      /* errno of the last failure of a temporary file */
static const char *why; /* or a side's own reason (unique_error) */

const char *diff_error(void)
{
    return why ? why : strerror(err_no ? err_no : EIO);
}

typedef struct runs {
    int fd;
    uint64_t len;
} runs;

static int run_write(void *ctx, const void *data, size_t len)
{
    runs *r = ctx;
    const char *p = data;
    while (len) {
        ssize_t k = pwrite(r->fd, p, len, (off_t)r->len);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) {
            err_no = errno;
            return -1;
        }
        p += k, len -= (size_t)k, r->len += (uint64_t)k;
    }
    return 0;
}

/* A cursor on one run: the item at its head in buf[pos..). */
typedef struct cursor {
    uint64_t off, end; /* of the run's bytes not yet read */
    char *buf;
    size_t pos, len, cap;
    const char *id, *text;
    uint32_t id_len;
    uint64_t text_len;
} cursor;

enum { CURSOR_BUF = 16 * 1024 };

/* At least need bytes from pos in buf. -1: a read failed or the run is
 * cut short (err_no says which), or out of memory. */
static int fill(int fd, cursor *c, size_t need)
{
    if (c->len - c->pos >= need) return 0;
    memmove(c->buf, c->buf + c->pos, c->len - c->pos);
    c->len -= c->pos, c->pos = 0;
    if (need > c->cap) {
        char *p = realloc(c->buf, need);
        if (!p) {
            err_no = ENOMEM;
            return -1;
        }
        c->buf = p, c->cap = need;
    }
    while (c->len < need) {
        size_t want = c->cap - c->len;
        if (want > c->end - c->off) want = (size_t)(c->end - c->off);
        ssize_t k = want ? pread(fd, c->buf + c->len, want, (off_t)c->off) : 0;
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) {
            err_no = k < 0 ? errno : EIO;
            return -1;
        }
        c->len += (size_t)k, c->off += (uint64_t)k;
    }
    return 0;
}

/* The next item of c. 1: one; 0: the run is over; -1: failed. */
static int next_item(int fd, cursor *c)
{
    if (c->len == c->pos && c->off == c->end) return 0;
    uint32_t il;
    uint64_t tl;
    if (fill(fd, c, sizeof il) != 0) return -1;
    memcpy(&il, c->buf + c->pos, sizeof il);
    if (fill(fd, c, sizeof il + il + sizeof tl) != 0) return -1;
    memcpy(&tl, c->buf + c->pos + sizeof il + il, sizeof tl);
    size_t whole = sizeof il + il + sizeof tl + (size_t)tl;
    if (fill(fd, c, whole) != 0) return -1;
    c->id = c->buf + c->pos + sizeof il;
    c->id_len = il;
    c->text = c->id + il + sizeof tl;
    c->text_len = tl;
    c->pos += whole;
    return 1;
}

static int cur_less(const cursor *x, const cursor *y)
{
    return cmp_ids(x->id, x->id_len, y->id, y->id_len) < 0;
}

static void sift_down(cursor **h, size_t n, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, m = i;
        if (l < n && cur_less(h[l], h[m])) m = l;
        if (l + 1 < n && cur_less(h[l + 1], h[m])) m = l + 1;
        if (m == i) return;
        cursor *t = h[i];
        h[i] = h[m], h[m] = t;
        i = m;
    }
}

/* The runs merged by id into o. */
static nfb_result merge(int fd, cursor *cs, size_t n, out *o)
{
    cursor **h = malloc((n ? n : 1) * sizeof *h);
    if (!h) return NFB_ENOMEM;
    size_t hn = 0;
    nfb_result res = NFB_OK;
    for (size_t i = 0; i < n && res == NFB_OK; i++) {
        int got = next_item(fd, &cs[i]);
        if (got < 0) res = err_no == ENOMEM ? NFB_ENOMEM : NFB_EIO;
        if (got > 0) h[hn++] = &cs[i];
    }
    for (size_t i = hn / 2; i-- > 0;)
        sift_down(h, hn, i);
    while (hn && res == NFB_OK && !o->failed) {
        cursor *c = h[0];
        put(o, c->text, (size_t)c->text_len);
        flush(o, 0);
        int got = next_item(fd, c);
        if (got < 0) res = err_no == ENOMEM ? NFB_ENOMEM : NFB_EIO;
        if (got == 0) h[0] = h[--hn];
        sift_down(h, hn, 0);
    }
    free(h);
    return res;
}

nfb_result diff_write(unique *before, unique *after, int csv, int guard,
                      nfb_write_fn write, void *ctx, diff_counts *c)
{
    memset(c, 0, sizeof *c);
    runs rs = {temp_open(), 0};
    if (rs.fd < 0) {
        err_no = errno;
        return NFB_EIO;
    }
    cursor *cs = calloc(UNIQUE_PARTS, sizeof *cs);
    out run = {run_write, &rs, NULL, 0, 0, 0};
    nfb_result res = cs ? NFB_OK : NFB_ENOMEM;
    for (size_t p = 0; p < UNIQUE_PARTS && res == NFB_OK; p++) {
        size_t la = 0, lb = 0, na = 0, nb = 0;
        char *ba = unique_part(before, p, &la);
        char *bb = ba ? unique_part(after, p, &lb) : NULL;
        rec *ra = bb ? part_recs(ba, la, &na) : NULL;
        rec *rb = ra ? part_recs(bb, lb, &nb) : NULL;
        if (!bb) {
            why = unique_error(ba ? after : before);
            res = strcmp(why, strerror(ENOMEM)) == 0 ? NFB_ENOMEM : NFB_EIO;
        } else if (!rb) {
            res = NFB_ENOMEM;
        } else {
            cs[p].off = rs.len + run.len;
            res = diff_part(ra, na, rb, nb, csv, guard, &run, c);
            flush(&run, 1);
            if (res == NFB_OK && run.failed) res = (nfb_result)run.failed;
            if (res == NFB_EWRITE) res = NFB_EIO;
            cs[p].end = rs.len;
        }
        free_recs(ra, na);
        free_recs(rb, nb);
        free(ba);
        free(bb);
    }
    free(run.p);
    out o = {write, ctx, NULL, 0, 0, 0};
    if (res == NFB_OK) {
        if (csv) puts_(&o, "change,id,field,before,after\n");
        for (size_t p = 0; p < UNIQUE_PARTS; p++) {
            cs[p].cap = CURSOR_BUF;
            if (!(cs[p].buf = malloc(CURSOR_BUF))) res = NFB_ENOMEM;
        }
        if (res == NFB_OK) res = merge(rs.fd, cs, UNIQUE_PARTS, &o);
        flush(&o, 1);
    }
    for (size_t p = 0; cs && p < UNIQUE_PARTS; p++)
        free(cs[p].buf);
    free(cs);
    close(rs.fd);
    free(o.p);
    if (res == NFB_OK && o.failed) res = (nfb_result)o.failed;
    return res;
}
