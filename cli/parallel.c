/* -j N: one regular JSON file read by several threads, with the records,
 * diagnostics and counts of a single reader, in the same order.
 *
 * The file is cut into blocks of about BLOCK bytes. A block starts at a
 * line that starts with '{' or '[' (the first byte of the file aside),
 * so that it holds no BOM, no compressed data and is JSON to a new
 * reader. Each worker reads its block with its own reader, from offset 0
 * and line 1, and logs what the reader reports (diagnostics; records in
 * a compact copy; list pages, when the run asks for them) in memory. The
 * merger (the calling thread) replays the logs in block order through the
 * run's own callbacks, adding to each diagnostic the block's offset, the
 * lines and the documents before it, and to each list page the documents
 * before it.
 *
 * A list page on one line is one document of many blocks. When the file
 * begins {"data":{"backups":[ or {"backups":[ (LIST_API, LIST_CLI), a
 * range with no start of a document is cut inside that array, before the
 * '{' of a `},{` (an element's, preferably one that begins {"id":), and
 * the block's worker feeds its reader those first bytes of the file
 * before the block (the prefix): the reader is then where the reader of
 * the whole file is at that element, but for the element indexes, which
 * the merger adds to the diagnostics' paths and to the page's count of
 * backups, and the page's document, counted once.
 *
 * That is exact only when the reader that read the file from its start
 * would have been between documents where the block starts, or, for a
 * cut inside the list, before an element of the file's first list
 * (nfb_reader_before_list_element, which also says how many elements came
 * before): the worker of the block before asks its reader at the block's
 * end. When it was not (a document spans the cut,
 * or damage is being skipped across it), the merger takes over that
 * worker's reader, still in the state where the block ended, and feeds it
 * the next blocks itself, reporting straight through the callbacks,
 * until a block ends between documents again (or before an element where
 * the next block starts inside the list); the workers' logs for those
 * blocks are dropped. A reader caps the diagnostics it shows per document
 * (max_diags): a block inside the list is taken from its log only while
 * the list's errors and warnings so far, its own included, stay under
 * that cap. A block whose log would grow past LOG_MAX
 * (or whose worker ran out of memory or could not read) is read the same
 * way by the merger. At most WINDOW blocks per worker are read ahead of
 * the merger, so memory stays bounded per worker. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

enum {
    BLOCK = 1 << 20,   /* bytes of a block, before it is moved to a line */
    LOG_MAX = 3 << 20, /* bytes of one block's log, for a block of BLOCK */
    MIN_BLOCK = 64 * 1024,
    IN_FLIGHT = 16 << 20, /* bytes of the file in the blocks read ahead */
    CHUNK = 64 * 1024,
    WINDOW = 2,     /* blocks read ahead per worker */
    LOOKAHEAD = 4,  /* ranges a worker looks through for its block's end */
    STACK = 1 << 20 /* bytes of a worker's stack */
};

/* The first bytes of a file that is one list (nfb_reader_before_list_element
 * names the two forms 1 and 2), and the path of an element in it. */
static const char LIST_API[] = "{\"data\":{\"backups\":[";
static const char LIST_CLI[] = "{\"backups\":[";
static const char *const LIST_PATH[] = {"", "data.backups[", "backups["};

/* ---- the log --------------------------------------------------------- */

typedef struct buf {
    unsigned char *p;
    size_t len, cap;
    size_t max; /* over this the log is given up */
    int over;   /* over max or out of memory */
    int nomem;  /* out of memory */
} buf;

static int buf_add(buf *b, const void *p, size_t n)
{
    if (b->over) return -1;
    if (b->len + n > b->max) {
        b->over = 1;
        return -1;
    }
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n)
            cap *= 2;
        unsigned char *q = realloc(b->p, cap);
        if (!q) {
            b->over = b->nomem = 1;
            return -1;
        }
        b->p = q, b->cap = cap;
    }
    memcpy(b->p + b->len, p, n);
    b->len += n;
    return 0;
}

static void buf_u64(buf *b, uint64_t v)
{
    buf_add(b, &v, sizeof v);
}

static uint64_t get_u64(const unsigned char **p)
{
    uint64_t v;
    memcpy(&v, *p, sizeof v);
    *p += sizeof v;
    return v;
}

enum { EV_DIAG = 'D', EV_RECORD = 'R', EV_PAGE = 'P' };
#define NO_PTR UINT64_MAX /* the length logged for a NULL string */

/* The strings of a record: nine of its own and two per destination. */
enum { OWN_STRS = 9 };

static void own_strs(nfb_backup *b, nfb_str **s)
{
    s[0] = &b->id;
    s[1] = &b->name;
    s[2] = &b->created_at.text;
    s[3] = &b->completed_at.text;
    s[4] = &b->config.size_text;
    s[5] = &b->config.addon_version;
    s[6] = &b->custom_destination_id;
    s[7] = &b->last_restore.restore_timestamp.text;
    s[8] = &b->last_restore.completed_at.text;
}

static void log_str(buf *l, nfb_str s)
{
    buf_u64(l, s.ptr ? (uint64_t)s.len : NO_PTR);
    if (s.ptr) buf_add(l, s.ptr, s.len);
}

/* A record: its struct, its destinations, then each string as its length
 * and bytes. */
static void log_record(buf *l, const nfb_backup *b, uint64_t errors)
{
    nfb_backup c = *b;
    nfb_str *s[OWN_STRS];
    unsigned char ev = EV_RECORD;
    size_t nd = b->config.additional_destinations
                    ? b->config.additional_destinations_count
                    : 0;
    buf_add(l, &ev, 1);
    buf_u64(l, errors);
    buf_add(l, b, sizeof *b);
    if (nd)
        buf_add(l, b->config.additional_destinations,
                nd * sizeof *b->config.additional_destinations);
    own_strs(&c, s);
    for (int i = 0; i < OWN_STRS; i++)
        log_str(l, *s[i]);
    for (size_t i = 0; i < nd; i++) {
        log_str(l, b->config.additional_destinations[i].destination_id);
        log_str(l, b->config.additional_destinations[i].retention_time);
    }
}

static void get_str(const unsigned char **p, nfb_str *s)
{
    uint64_t n = get_u64(p);
    if (n == NO_PTR) {
        s->ptr = NULL;
        s->len = 0;
        return;
    }
    s->ptr = (const char *)*p;
    s->len = (size_t)n;
    *p += n;
}

/* Reads back a record logged by log_record; *dests grows to hold its
 * destinations. Returns -1 when out of memory. */
static int get_record(const unsigned char **p, nfb_backup *b,
                      nfb_destination **dests, size_t *dcap)
{
    nfb_str *s[OWN_STRS];
    memcpy(b, *p, sizeof *b);
    *p += sizeof *b;
    size_t nd = b->config.additional_destinations
                    ? b->config.additional_destinations_count
                    : 0;
    if (nd > *dcap) {
        nfb_destination *d = realloc(*dests, nd * sizeof *d);
        if (!d) return -1;
        *dests = d, *dcap = nd;
    }
    if (nd) {
        memcpy(*dests, *p, nd * sizeof **dests);
        *p += nd * sizeof **dests;
        b->config.additional_destinations = *dests;
    }
    own_strs(b, s);
    for (int i = 0; i < OWN_STRS; i++)
        get_str(p, s[i]);
    for (size_t i = 0; i < nd; i++) {
        get_str(p, &(*dests)[i].destination_id);
        get_str(p, &(*dests)[i].retention_time);
    }
    return 0;
}

/* A diagnostic, with the reader's count of errors once it is counted. */
static void log_diag(buf *l, const nfb_diag *d, uint64_t errors)
{
    unsigned char h[2] = {(unsigned char)d->severity, (unsigned char)d->code};
    unsigned char ev = EV_DIAG;
    buf_add(l, &ev, 1);
    buf_u64(l, errors);
    buf_add(l, h, 2);
    buf_u64(l, d->document);
    buf_u64(l, d->offset);
    buf_u64(l, d->line);
    buf_u64(l, d->column);
    size_t pl = strlen(d->path) + 1, ml = strlen(d->message) + 1;
    buf_add(l, d->path, pl);
    buf_add(l, d->message, ml);
}

/* A list page: its document and counts (its input is the file's). */
static void log_page(buf *l, const nfb_list_page *p, uint64_t errors)
{
    unsigned char ev = EV_PAGE;
    unsigned char h[2] = {(unsigned char)(p->has_pagination != 0),
                          (unsigned char)(p->has_next_page != 0)};
    buf_add(l, &ev, 1);
    buf_u64(l, errors);
    buf_u64(l, p->document);
    buf_u64(l, p->backups);
    buf_add(l, h, 2);
}

/* ---- one block ------------------------------------------------------- */

/* Where a block's reports are rebased to the whole file: its offset, the
 * lines and documents before it, and the bytes of its first line before
 * it (a block may start inside a line). */
typedef struct base {
    uint64_t offset, lines, docs, col;
} base;

/* The line breaks of some bytes, and the bytes after the last of them (all
 * the bytes when there is none). */
typedef struct lines {
    uint64_t n, tail;
} lines;

typedef struct par par;

/* A reader and where it reports: into its log, or (direct) through the
 * run's callbacks, rebased by b, when the merger feeds it. */
typedef struct tap {
    par *pr;
    nfb_reader *r;
    buf log;
    int direct;
    base b;
    size_t pre;     /* bytes of the list's prefix fed before the block, or
                       0: it starts between documents */
    uint64_t elems; /* with pre: the list's elements before the block */
    int chain;      /* it started at the file's start or inside its list */
} tap;

typedef struct block {
    uint64_t start, end; /* bytes of the file: [start, end) */
    int done;            /* the worker has finished with it */
    int ok;              /* the log is whole and the reads succeeded */
    int last;            /* ends the file: the reader was finished */
    int skipped;         /* not read by a worker, memory being short: the
                            merger finds its start and reads it */
    int err;             /* its start or end could not be read: errno, or
                            SHRANK */
    int elem;            /* it starts inside the list, before an element */
    int next_elem;       /* ... and the block after it does */
    lines lines;         /* of [start, end) */
    tap *t;              /* its reader is kept when ok, not last and not between
                            documents at the end */
    nfb_reader_stats st;
} block;

struct par {
    int fd;
    const char *name;
    uint64_t size, block_size;
    uint64_t bom; /* bytes of a BOM at the start: offsets are after it */
    uint64_t nblocks;
    const nfb_reader_config *cfg; /* the run's */
    int records;                  /* the run wants the records */
    nfb_list_page_fn on_page;     /* the run's, NULL: none */
    void *page_ctx;
    size_t log_max;

    pthread_mutex_t mu;
    pthread_cond_t cv;
    uint64_t next;   /* the next block a worker takes */
    uint64_t merged; /* blocks merged so far */
    uint64_t window;
    int quit;
    int lowmem;   /* a worker ran out of memory: the merger reads the rest */
    block *slots; /* window of them, block k in slots[k % window] */

    nfb_destination *dests;
    size_t dcap;
    int stopped; /* a callback asked to stop */

    int list;       /* 1 or 2: the file begins LIST_API or LIST_CLI; 0 */
    size_t pre_len; /* its bytes */
    /* The errors and warnings counted by the readers of the list that the
     * merger is done with (tap.chain). */
    uint64_t chain_errors, chain_warnings;
    char path[1024]; /* the merger's: a path with the list's index */
};

/* The path of a diagnostic of the list a reader started inside (its
 * document 1): the index of the element in the reader made the list's. */
static const char *list_path(par *pr, const char *path, uint64_t elems)
{
    const char *pre = LIST_PATH[pr->list];
    size_t n = strlen(pre);
    char *end;
    if (strncmp(path, pre, n) != 0 || path[n] < '0' || path[n] > '9')
        return path;
    unsigned long long i = strtoull(path + n, &end, 10);
    if (*end != ']') return path;
    snprintf(pr->path, sizeof pr->path, "%s%llu%s", pre,
             i + (unsigned long long)elems, end);
    return pr->path;
}

/* A reader's counts as the file's: one fed the list's prefix counted its
 * bytes and the list's document, counted by the reader before it. */
static void unprefix(nfb_reader_stats *st, size_t pre)
{
    if (!pre) return;
    st->documents--;
    st->bytes -= pre;
}

static void rebase(const base *b, nfb_diag *d)
{
    d->document += b->docs;
    d->offset += b->offset;
    if (d->line == 1) d->column += b->col;
    if (d->line) d->line += b->lines;
}

/* The base after bytes of the lines ln read from b, with docs documents. */
static base base_after(const base *b, const lines *ln, uint64_t docs)
{
    base a = *b;
    a.lines += ln->n;
    a.col = ln->n ? ln->tail : b->col + ln->tail;
    a.docs += docs;
    return a;
}

static uint64_t errors_now(const tap *t)
{
    nfb_reader_stats st;
    nfb_reader_stats_get(t->r, &st);
    return st.errors;
}

static int tap_diag(void *ctx, const nfb_diag *d)
{
    tap *t = ctx;
    if (t->direct) {
        nfb_diag c = *d;
        if (t->pre && c.document == 1)
            c.path = list_path(t->pr, c.path, t->elems);
        rebase(&t->b, &c);
        return t->pr->cfg->on_diag(t->pr->cfg->ctx, &c);
    }
    log_diag(&t->log, d, errors_now(t));
    return t->log.over;
}

static int tap_record(void *ctx, const nfb_backup *b)
{
    tap *t = ctx;
    if (t->direct) return t->pr->cfg->on_record(t->pr->cfg->ctx, b);
    log_record(&t->log, b, errors_now(t));
    return t->log.over;
}

static int tap_page(void *ctx, const nfb_list_page *p)
{
    tap *t = ctx;
    if (t->direct) {
        nfb_list_page c = *p;
        if (t->pre && c.document == 1) c.backups += t->elems;
        c.document += t->b.docs;
        return t->pr->on_page(t->pr->page_ctx, &c);
    }
    log_page(&t->log, p, errors_now(t));
    return t->log.over;
}

static void tap_free(tap *t)
{
    if (!t) return;
    nfb_reader_free(t->r);
    free(t->log.p);
    free(t);
}

/* A reader for the block index, from its start, which is inside the list
 * when elem. NULL: out of memory. */
static tap *tap_new(par *pr, uint64_t index, int elem, int direct,
                    const base *b)
{
    tap *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    t->pr = pr;
    t->log.max = pr->log_max;
    t->direct = direct;
    if (b) t->b = *b;
    nfb_reader_config c = *pr->cfg;
    c.on_diag = tap_diag;
    c.on_record = pr->records ? tap_record : NULL;
    c.ctx = t;
    /* A block after the first starts with '{' or '[' on a line: JSON,
     * not compressed. */
    if (index > 0) c.flags |= NFB_READ_JSON | NFB_READ_NO_DECOMPRESS;
    t->r = nfb_reader_new(&c, NULL);
    if (!t->r || nfb_reader_begin(t->r, pr->name) != NFB_OK) {
        tap_free(t);
        return NULL;
    }
    if (pr->on_page) nfb_reader_on_list_page(t->r, tap_page, t);
    t->chain = index == 0 || elem;
    if (elem) {
        /* The reader goes where the file's reader is at an element. */
        t->pre = pr->pre_len;
        if (nfb_reader_feed(t->r, pr->list == 1 ? LIST_API : LIST_CLI,
                            t->pre) != NFB_OK) {
            tap_free(t);
            return NULL;
        }
    }
    return t;
}

static ssize_t read_at(int fd, unsigned char *p, size_t n, uint64_t off)
{
    for (;;) {
        ssize_t got = pread(fd, p, n, (off_t)off);
        if (got >= 0 || errno != EINTR) return got;
    }
}

/* A read that found the end of the file before the size it had at
 * the start: an err of its own, beside errno's values. */
enum { SHRANK = -2 };

/* Says why the file could not be read: err is errno or SHRANK. */
static void report_read_error(const par *pr, int err)
{
    struct stat sb;
    if (err != SHRANK) {
        report_errorf("cannot read %s: %s", pr->name, strerror(err));
    } else if (fstat(pr->fd, &sb) == 0 && (uint64_t)sb.st_size < pr->size) {
        report_errorf("%s: file shrank from %llu to %llu bytes while being "
                      "read",
                      pr->name, (unsigned long long)pr->size,
                      (unsigned long long)sb.st_size);
    } else {
        report_errorf("%s: file shrank below %llu bytes while being read, "
                      "then grew again",
                      pr->name, (unsigned long long)pr->size);
    }
}

static void count_lines(lines *c, const unsigned char *p, size_t n);

/* Feeds [from, to) of the file to r, counting its lines into ln. Returns
 * 0, -1 on a read error (*err: errno or SHRANK), or 1 when the reader did
 * not take it (res says why). */
static int feed_range(int fd, nfb_reader *r, uint64_t from, uint64_t to,
                      unsigned char *chunk, lines *ln, nfb_result *res,
                      int *err)
{
    while (from < to) {
        size_t want = to - from < CHUNK ? (size_t)(to - from) : CHUNK;
        ssize_t n = read_at(fd, chunk, want, from);
        if (n <= 0) {
            *err = n == 0 ? SHRANK : errno;
            return -1;
        }
        count_lines(ln, chunk, (size_t)n);
        *res = nfb_reader_feed(r, chunk, (size_t)n);
        if (*res != NFB_OK) return 1;
        from += (uint64_t)n;
    }
    return 0;
}

/* A candidate start of a block, in [j * size, (j + 1) * size) (range
 * j): the first '{' or '[' that starts a line, else the first one right
 * after a '}' or ']' (documents joined with no line break: `}{`).
 * Range 0's is the start of the file. NONE when the range has none;
 * UINT64_MAX when the file could not be read (*err: errno or SHRANK). The
 * ranges do not overlap, so finding every block's start reads the file
 * once, whatever its lines look like. */
#define NONE (UINT64_MAX - 1)

/* The first c in p[1, n) whose byte before is one of prev (memchr finds
 * the c's), or n. */
static size_t find_after(const unsigned char *p, size_t n, int c,
                         const char *prev)
{
    for (const unsigned char *q = p + 1, *e = p + n;
         q < e && (q = memchr(q, c, (size_t)(e - q))) != NULL; q++)
        if (q[-1] && strchr(prev, q[-1])) return (size_t)(q - p);
    return n;
}

/* In a file that is one list, when the range has no other candidate: the
 * first '{' of a `},{`, preferably one that goes on `"id":` (the first key
 * of the generated and the API's backups, which a destination lacks), and
 * *elem is set. */
static void find_cut(const unsigned char *p, size_t n, uint64_t from,
                     uint64_t *cut, uint64_t *cut_id)
{
    for (const unsigned char *q = p + 2, *e = p + n;
         q < e && (q = memchr(q, '{', (size_t)(e - q))) != NULL; q++) {
        if (q[-1] != ',' || q[-2] != '}') continue;
        uint64_t at = from + (uint64_t)(q - p);
        if (*cut == NONE) *cut = at;
        if (e - q >= 6 && memcmp(q, "{\"id\":", 6) == 0) {
            *cut_id = at;
            return;
        }
    }
}

static uint64_t range_start(par *pr, uint64_t j, unsigned char *chunk, int *err,
                            int *elem)
{
    *elem = 0;
    if (j == 0) return 0;
    uint64_t lo = j * pr->block_size;
    if (lo >= pr->size) return NONE;
    uint64_t hi =
        lo + pr->block_size < pr->size ? lo + pr->block_size : pr->size;
    /* Each read starts at the byte before the first it looks at. */
    uint64_t from = lo - 1, other = NONE, cut = NONE, cut_id = NONE;
    while (from + 1 < hi) {
        size_t want = hi - from < CHUNK ? (size_t)(hi - from) : CHUNK;
        ssize_t got = read_at(pr->fd, chunk, want, from);
        if (got <= 1) { /* one byte: the file ends before hi */
            *err = got >= 0 ? SHRANK : errno;
            return UINT64_MAX;
        }
        size_t n = (size_t)got;
        size_t i = find_after(chunk, n, '{', "\n");
        size_t k = find_after(chunk, n, '[', "\n");
        if (k < i) i = k;
        if (i < n) return from + i;
        if (other == NONE) {
            i = find_after(chunk, n, '{', "}]");
            k = find_after(chunk, n, '[', "}]");
            if (k < i) i = k;
            if (i < n) other = from + i;
        }
        if (pr->list && cut_id == NONE) find_cut(chunk, n, from, &cut, &cut_id);
        from += n - 1;
    }
    if (other != NONE) return other;
    *elem = cut != NONE;
    return cut_id != NONE ? cut_id : cut;
}

/* The end of the range j (the file's size past the last). */
static uint64_t range_end(const par *pr, uint64_t j)
{
    uint64_t e = (j + 1) * pr->block_size;
    return e < pr->size ? e : pr->size;
}

/* A block starts at its range's candidate and ends at the next range's
 * that has one. Looked for at most LOOKAHEAD ranges on: past that the
 * block is long (one long line, such as a list page on one line), and the
 * merger reads it range by range (LONG). */
#define LONG (UINT64_MAX - 2)
static uint64_t block_end(par *pr, uint64_t j, unsigned char *chunk, int *err,
                          int *elem)
{
    *elem = 0;
    for (uint64_t i = j + 1; i <= j + LOOKAHEAD; i++) {
        if (i >= pr->nblocks) return pr->size;
        uint64_t s = range_start(pr, i, chunk, err, elem);
        if (s != NONE) return s;
    }
    return LONG;
}

/* Counts the lines of p[0, n) into c. */
static void count_lines(lines *c, const unsigned char *p, size_t n)
{
    const unsigned char *e = p + n, *last = NULL;
    for (const unsigned char *q = p;
         (q = memchr(q, '\n', (size_t)(e - q))) != NULL; q++) {
        c->n++;
        last = q;
    }
    c->tail = last ? (uint64_t)(e - last - 1) : c->tail + n;
}

/* A worker's job: block index into k. Returns -1 when memory ran out. The
 * reader of the last block is not finished: the merger reads on to the
 * end of the file, which may have grown. */
static int read_block(par *pr, block *k, uint64_t index, unsigned char *chunk)
{
    k->start = range_start(pr, index, chunk, &k->err, &k->elem);
    if (k->start == UINT64_MAX || k->start == NONE) return 0;
    k->end = block_end(pr, index, chunk, &k->err, &k->next_elem);
    if (k->end == UINT64_MAX || k->end == LONG) return 0;
    k->last = k->end == pr->size;
    k->t = tap_new(pr, index, k->elem, 0, NULL);
    if (!k->t) return -1;
    nfb_result res = NFB_OK;
    nfb_reader *r = k->t->r;
    int err = 0;
    int f =
        feed_range(pr->fd, r, k->start, k->end, chunk, &k->lines, &res, &err);
    nfb_reader_stats_get(r, &k->st);
    k->ok = f == 0 && res == NFB_OK && !k->t->log.over;
    /* Before a block inside the list, the reader is kept: the merger asks
     * it where it is, with the file's count of diagnostics at hand. */
    if (!k->ok ||
        (!k->last && !k->next_elem && nfb_reader_between_documents(r))) {
        nfb_reader_free(r);
        k->t->r = NULL;
    }
    return res == NFB_ENOMEM || k->t->log.nomem ? -1 : 0;
}

static void *worker(void *arg)
{
    par *pr = arg;
    /* A fault in a worker is fatal: with its signal blocked the process
     * would die without the handler that removes -o's temporary file. */
    sigset_t faults;
    sigemptyset(&faults);
    sigaddset(&faults, SIGSEGV);
    sigaddset(&faults, SIGBUS);
    sigaddset(&faults, SIGFPE);
    sigaddset(&faults, SIGILL);
    sigaddset(&faults, SIGABRT);
    pthread_sigmask(SIG_UNBLOCK, &faults, NULL);
    unsigned char *chunk = malloc(CHUNK);
    pthread_mutex_lock(&pr->mu);
    for (;;) {
        while (!pr->quit && pr->next < pr->nblocks &&
               pr->next >= pr->merged + pr->window)
            pthread_cond_wait(&pr->cv, &pr->mu);
        if (pr->quit || pr->next >= pr->nblocks) break;
        uint64_t index = pr->next++;
        block *k = &pr->slots[index % pr->window];
        int lowmem = pr->lowmem || !chunk;
        pthread_mutex_unlock(&pr->mu);
        /* Short of memory, the workers read no more: the merger reads the
         * rest in order, with one reader. */
        if (lowmem || read_block(pr, k, index, chunk) != 0) {
            tap_free(k->t);
            memset(k, 0, sizeof *k);
            k->skipped = 1;
            lowmem = 1;
        }
        if (lowmem && chunk) {
            free(chunk);
            chunk = NULL;
        }
        pthread_mutex_lock(&pr->mu);
        if (lowmem) pr->lowmem = 1;
        k->done = 1;
        pthread_cond_broadcast(&pr->cv);
    }
    pthread_mutex_unlock(&pr->mu);
    free(chunk);
    return NULL;
}

/* ---- merging --------------------------------------------------------- */

/* Replays a block's log, read by t, through the run's callbacks, rebased
 * by b (and the list's indexes of t). Returns 0, or 1 when a callback asked to
 * stop (*errors is then the block's count of errors at that point, as the
 * single reader had it), or -1 when out of memory. */
static int replay(par *pr, const buf *log, const base *b, const tap *t,
                  uint64_t *errors)
{
    const nfb_reader_config *cfg = pr->cfg;
    const unsigned char *p = log->p, *e = p + log->len;
    while (p < e) {
        unsigned char ev = *p++;
        *errors = get_u64(&p);
        if (ev == EV_DIAG) {
            nfb_diag d;
            d.severity = (nfb_severity)p[0];
            d.code = (nfb_code)p[1];
            p += 2;
            d.input = pr->name;
            d.document = get_u64(&p);
            d.offset = get_u64(&p);
            d.line = get_u64(&p);
            d.column = get_u64(&p);
            d.path = (const char *)p;
            p += strlen(d.path) + 1;
            d.message = (const char *)p;
            p += strlen(d.message) + 1;
            if (t->pre && d.document == 1)
                d.path = list_path(pr, d.path, t->elems);
            rebase(b, &d);
            if (cfg->on_diag && cfg->on_diag(cfg->ctx, &d) != 0) return 1;
        } else if (ev == EV_PAGE) {
            nfb_list_page pg;
            pg.input = pr->name;
            pg.document = get_u64(&p);
            pg.backups = get_u64(&p);
            if (t->pre && pg.document == 1) pg.backups += t->elems;
            pg.document += b->docs;
            pg.has_pagination = p[0];
            pg.has_next_page = p[1];
            p += 2;
            if (pr->on_page(pr->page_ctx, &pg) != 0) return 1;
        } else {
            nfb_backup rec;
            if (get_record(&p, &rec, &pr->dests, &pr->dcap) != 0) return -1;
            if (cfg->on_record && cfg->on_record(cfg->ctx, &rec) != 0) return 1;
        }
    }
    return 0;
}

void parallel_add_stats(nfb_reader_stats *acc, const nfb_reader_stats *s)
{
    acc->documents += s->documents;
    acc->records += s->records;
    acc->errors += s->errors;
    acc->warnings += s->warnings;
    acc->bytes += s->bytes;
}

/* Reads on with cont's reader from the size the file had at the start
 * to its end now, as one reader would (the file may have grown), and
 * finishes the reader. Returns as feed_range. */
static int read_tail(par *pr, tap *cont, unsigned char *chunk, nfb_result *res,
                     int *err)
{
    uint64_t at = pr->size;
    for (;;) {
        ssize_t n = read_at(pr->fd, chunk, CHUNK, at);
        if (n < 0) {
            *err = errno;
            return -1;
        }
        if (n == 0) break;
        *res = nfb_reader_feed(cont->r, chunk, (size_t)n);
        if (*res != NFB_OK) return 1;
        at += (uint64_t)n;
    }
    *res = nfb_reader_finish(cont->r);
    return *res == NFB_OK ? 0 : 1;
}

/* The merger's reader: one the merger feeds itself (direct), how far in
 * the file it has read, and the lines it has read since its block's
 * start. */
typedef struct cont {
    tap *t;
    uint64_t pos;
    lines ln;
} cont;

/* Feeds c's reader up to to (nothing when it is there already). Returns 0
 * or as parallel_feed. */
static int cont_feed(par *pr, cont *c, uint64_t to, nfb_result *res,
                     unsigned char *chunk)
{
    if (c->pos >= to) return 0;
    nfb_result fr = NFB_OK;
    int err = 0;
    int f = feed_range(pr->fd, c->t->r, c->pos, to, chunk, &c->ln, &fr, &err);
    if (f < 0) {
        report_read_error(pr, err);
        return EXIT_IO;
    }
    if (f > 0) {
        *res = fr;
        return -1;
    }
    c->pos = to;
    return 0;
}

/* Adds c's counts to acc, frees its reader and returns the base after it. */
static base cont_end(par *pr, cont *c, nfb_reader_stats *acc)
{
    nfb_reader_stats st;
    nfb_reader_stats_get(c->t->r, &st);
    if (c->t->chain) {
        pr->chain_errors += st.errors;
        pr->chain_warnings += st.warnings;
    }
    base b = base_after(&c->t->b, &c->ln, st.documents);
    if (c->t->pre && c->ln.n == 0) b.col += c->t->pre; /* see list_base */
    unprefix(&st, c->t->pre);
    parallel_add_stats(acc, &st);
    tap_free(c->t);
    c->t = NULL;
    return b;
}

/* The base of a block that starts inside the list, at at, for its
 * reader, which was fed the list's prefix first: its offsets and the
 * columns of its first line count the prefix, and its document 1 is the
 * list's, counted in at already. The offsets may wrap below 0 for a
 * moment: the prefix's bytes are added back to each. */
static base list_base(const par *pr, base at)
{
    at.offset -= pr->pre_len;
    at.col -= pr->pre_len;
    at.docs -= 1;
    return at;
}

/* Whether c's reader, at block k's start, is where the block's worker
 * began: between documents, or before an element of the file's list
 * (*elems: the elements before it) with the block's log to take (a block
 * inside the list is never read by the merger from its start) and the
 * list's diagnostics under the reader's cap. */
static int fits(par *pr, const tap *t, const block *k, uint64_t *elems)
{
    if (!k->elem) return nfb_reader_between_documents(t->r);
    nfb_reader_stats st, mine = k->st;
    uint64_t n = 0, max = pr->cfg->max_diags;
    nfb_reader_stats_get(t->r, &st);
    if (!k->ok || !t->chain || st.documents != 1 ||
        nfb_reader_before_list_element(t->r, &n) != pr->list)
        return 0;
    if (pr->chain_errors + st.errors + mine.errors > max ||
        pr->chain_warnings + st.warnings + mine.warnings > max)
        return 0;
    *elems = t->elems + n;
    return 1;
}

/* Merges every block in order into acc, reading with chunk (CHUNK
 * bytes). Returns as parallel_feed.
 *
 * Block index's bytes, [start, end), are either replayed from its
 * worker's log, or fed by the merger to its own reader (c): when the
 * block's worker did not read it (long, or memory short), its log is of
 * no use, or the reader of the block before was not between documents
 * where it ends. The merger's reader goes on through the ranges that
 * hold no start, up to the next start where it is between documents. */
static int merge(par *pr, nfb_reader_stats *acc, nfb_result *res,
                 unsigned char *chunk)
{
    base at = {0, 0, 0, 0}; /* where the block the merger is at starts */
    cont c = {NULL, 0, {0, 0}};
    int rc = 0;

    for (uint64_t index = 0; index < pr->nblocks && rc == 0; index++) {
        block *k = &pr->slots[index % pr->window];
        pthread_mutex_lock(&pr->mu);
        while (!k->done)
            pthread_cond_wait(&pr->cv, &pr->mu);
        pthread_mutex_unlock(&pr->mu);

        if (k->skipped)
            k->start = range_start(pr, index, chunk, &k->err, &k->elem);
        if (k->err) {
            report_read_error(pr, k->err);
            rc = EXIT_IO;
        } else if (k->start == NONE) {
            /* No start in this range: its bytes belong to the block
             * before, read by a worker up to its end or fed here. */
            if (c.t) rc = cont_feed(pr, &c, range_end(pr, index), res, chunk);
        } else {
            uint64_t elems = 0;
            int took = 0; /* a block inside the list fits c's reader */
            if (c.t) {
                rc = cont_feed(pr, &c, k->start, res, chunk);
                if (rc == 0 && fits(pr, c.t, k, &elems)) {
                    took = k->elem;
                    at = cont_end(pr, &c, acc);
                    at.offset = k->start - pr->bom;
                }
            } else if (index > 0) {
                at.offset = k->start - pr->bom; /* block 0's: 0 */
            }
            /* A block inside the list always has c's reader before it:
             * the worker of the block before keeps its reader, or the
             * merger read that block. */
            base kb = k->elem ? list_base(pr, at) : at;
            if (rc != 0) {
            } else if (!c.t && k->ok && (!k->elem || took)) {
                uint64_t errors = 0;
                k->t->elems = elems;
                int st = replay(pr, &k->t->log, &kb, k->t, &errors);
                if (st != 0) {
                    acc->errors += errors;
                    *res = st > 0 ? NFB_STOPPED : NFB_ENOMEM;
                    rc = -1;
                } else if (k->t->r) {
                    /* Not between documents at its end, or the last block:
                     * its reader goes on in the merger from where it
                     * stopped, and its counts are taken when it is done. */
                    c.t = k->t, k->t = NULL;
                    c.t->direct = 1;
                    c.t->b = kb;
                    free(c.t->log.p);
                    memset(&c.t->log, 0, sizeof c.t->log);
                    c.pos = k->end;
                    c.ln = k->lines;
                } else {
                    unprefix(&k->st, k->t->pre);
                    parallel_add_stats(acc, &k->st);
                    at = base_after(&at, &k->lines, k->st.documents);
                    at.offset = k->end - pr->bom;
                }
            } else {
                if (!c.t) {
                    /* The worker's log is of no use, or there is none:
                     * the block is read here. */
                    c.t = tap_new(pr, index, k->elem, 1, &kb);
                    c.pos = k->start;
                    c.ln.n = c.ln.tail = 0;
                    if (!c.t) {
                        *res = NFB_ENOMEM;
                        rc = -1;
                    }
                }
                if (c.t)
                    rc = cont_feed(pr, &c, range_end(pr, index), res, chunk);
            }
        }
        tap_free(k->t);
        pthread_mutex_lock(&pr->mu);
        memset(k, 0, sizeof *k);
        pr->merged = index + 1;
        pthread_cond_broadcast(&pr->cv);
        pthread_mutex_unlock(&pr->mu);
    }
    if (rc == 0 && c.t) {
        /* The last block's reader: on to the end of the file. */
        nfb_result fr = NFB_OK;
        int err = 0;
        int f = read_tail(pr, c.t, chunk, &fr, &err);
        if (f < 0) {
            report_read_error(pr, err);
            rc = EXIT_IO;
        } else if (f > 0) {
            *res = fr;
            rc = -1;
        }
    }
    /* Its counts: at the end, or so far when stopped or failed. */
    if (c.t) cont_end(pr, &c, acc);
    return rc;
}

/* ---- the entry point ------------------------------------------------- */

static uint64_t env_size(const char *name, uint64_t dflt)
{
    const char *v = getenv(name); /* for tests */
    if (!v || !*v) return dflt;
    uint64_t n = strtoull(v, NULL, 10);
    return n ? n : dflt;
}

/* The file may be read in parallel: it starts (after a BOM and white
 * space) with '{' or '[', so it is neither compressed nor YAML. *bom is
 * set to the BOM's length. */
static int splittable(int fd, const nfb_reader_config *cfg, uint64_t *bom,
                      int *list)
{
    unsigned char p[4096];
    if (cfg->flags & (NFB_READ_YAML | NFB_READ_NO_DECOMPRESS)) return 0;
    ssize_t n = read_at(fd, p, sizeof p, 0);
    if (n <= 0) return 0;
    /* A tar whose first member's name starts with '{' is an archive. */
    if (n >= 262 && memcmp(p + 257, "ustar", 5) == 0) return 0;
    ssize_t i = n >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF ? 3 : 0;
    *bom = (uint64_t)i;
    /* One list, its first bytes as the reader is fed them before a block
     * inside it (tap_new). */
    *list = (size_t)(n - i) >= sizeof LIST_API - 1 &&
                    memcmp(p + i, LIST_API, sizeof LIST_API - 1) == 0
                ? 1
            : (size_t)(n - i) >= sizeof LIST_CLI - 1 &&
                    memcmp(p + i, LIST_CLI, sizeof LIST_CLI - 1) == 0
                ? 2
                : 0;
    while (i < n &&
           (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n'))
        i++;
    return i < n && (p[i] == '{' || p[i] == '[');
}

int parallel_feed(int fd, const char *path, int jobs,
                  const nfb_reader_config *cfg, int records,
                  nfb_list_page_fn on_page, void *page_ctx,
                  nfb_reader_stats *acc, nfb_result *res)
{
    if (jobs < 2) return PARALLEL_NO;
    par pr;
    memset(&pr, 0, sizeof pr);
    /* The blocks in flight (WINDOW a worker) hold at most IN_FLIGHT bytes
     * of the file: with many threads the blocks are smaller, down to
     * MIN_BLOCK, and their logs (LOG_MAX a MiB of block) with them. */
    uint64_t bsize = BLOCK;
    while (bsize > MIN_BLOCK && (uint64_t)jobs * WINDOW * bsize > IN_FLIGHT)
        bsize /= 2;
    pr.block_size = env_size("NFBACKUP_JOBS_BLOCK", bsize);
    pr.log_max =
        (size_t)env_size("NFBACKUP_JOBS_LOG_MAX", LOG_MAX / (BLOCK / bsize));
    struct stat sb;
    /* Only a regular file is read at offsets (pread), never a FIFO or a
     * device, whose bytes come once. */
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) ||
        (uint64_t)sb.st_size <= pr.block_size ||
        !splittable(fd, cfg, &pr.bom, &pr.list))
        return PARALLEL_NO;
    pr.fd = fd;
    pr.name = path;
    pr.size = (uint64_t)sb.st_size;
    pr.nblocks = (pr.size + pr.block_size - 1) / pr.block_size;
    pr.cfg = cfg;
    pr.records = records;
    pr.on_page = on_page;
    pr.page_ctx = page_ctx;
    pr.pre_len = pr.list == 1   ? sizeof LIST_API - 1
                 : pr.list == 2 ? sizeof LIST_CLI - 1
                                : 0;
    pr.window = (uint64_t)jobs * WINDOW;
    if (pr.window > pr.nblocks) pr.window = pr.nblocks;
    pr.slots = calloc((size_t)pr.window, sizeof *pr.slots);
    pthread_t *th = calloc((size_t)jobs, sizeof *th);
    /* The merger's buffer before the workers take memory: with it, memory
     * running short in a worker makes the merger read the rest. */
    unsigned char *chunk = malloc(CHUNK);
    if (!pr.slots || !th || !chunk) {
        free(pr.slots);
        free(th);
        free(chunk);
        return PARALLEL_NO; /* one thread needs less memory */
    }
    pthread_mutex_init(&pr.mu, NULL);
    pthread_cond_init(&pr.cv, NULL);

    /* Signals are for the main thread: its handlers remove -o's temporary
     * file and flush the diagnostics. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    /* A worker's stack is bounded (STACK): the reader does not recurse.
     * When a thread cannot be created (memory, or a limit on threads),
     * those created read the file; with none, one thread reads it. */
    pthread_attr_t attr;
    int have_attr = pthread_attr_init(&attr) == 0;
    if (have_attr) pthread_attr_setstacksize(&attr, STACK);
    int started = 0;
    for (; started < jobs; started++)
        if (pthread_create(&th[started], have_attr ? &attr : NULL, worker,
                           &pr) != 0)
            break;
    if (have_attr) pthread_attr_destroy(&attr);
    pthread_sigmask(SIG_SETMASK, &old, NULL);

    int rc;
    *res = NFB_OK;
    if (started == 0) {
        rc = PARALLEL_NO;
    } else {
        rc = merge(&pr, acc, res, chunk);
    }
    pthread_mutex_lock(&pr.mu);
    pr.quit = 1;
    pthread_cond_broadcast(&pr.cv);
    pthread_mutex_unlock(&pr.mu);
    for (int i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    for (uint64_t i = 0; i < pr.window; i++)
        tap_free(pr.slots[i].t);
    pthread_mutex_destroy(&pr.mu);
    pthread_cond_destroy(&pr.cv);
    free(pr.slots);
    free(th);
    free(chunk);
    free(pr.dests);
    return rc;
}
