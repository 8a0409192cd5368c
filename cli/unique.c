/* --unique: one record per backup id, the last one read.
 *
 * Every valid record is written, as the json writer writes it (one
 * compact line, the canonical form), to a spool: a temporary file whose
 * name is removed as soon as it is created, so that nothing is left
 * behind on any exit path, signals and kill -9 included. In memory each
 * distinct id keeps its bytes, where its latest line is in the spool and
 * how long it is: an entry of 32 bytes, the id, and 8 bytes of hash
 * table. The records themselves stay on disk.
 *
 * The json writer hands its output on in blocks, so where a record's line
 * lies is known only when its bytes arrive: each record written waits in
 * a queue of pending entries, and each line end that arrives (a record's
 * JSON holds none: a line feed in a string is written \n) ends the line
 * of the entry at the head of the queue.
 *
 * At the end the entries are read back in the order their ids first
 * appeared (unique_replay), each line through a reader of its own so that
 * the rest of the run gets an nfb_backup as from any input.
 *
 * For diff (unique_new_parts) nothing is kept per id: each line goes to
 * one of UNIQUE_PARTS partitions chosen by a hash of its record's id, so
 * that every record of an id lands in the same partition, in input order.
 * A partition fills a block of BLOCK bytes in memory; a full block is
 * appended to the spool and its place noted, so the partitions share the
 * one file. diff.c reads them back one at a time (unique_part). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

typedef struct entry {
    uint64_t off;    /* of the latest line in the spool */
    uint64_t id_at;  /* of the id in ids */
    uint32_t len;    /* of the line, its '\n' included */
    uint32_t id_len; /* of the id */
    uint64_t hash;
} entry;

enum { WINDOW = 256 * 1024, BLOCK = 16 * 1024 };

/* A partition: its blocks in the spool, and the one being filled. */
typedef struct part {
    char *buf; /* BLOCK bytes, or NULL before its first byte */
    size_t len;
    uint64_t *at; /* where each block written lies in the spool */
    uint32_t *n;  /* and its length */
    size_t blocks, cap;
} part;

struct unique {
    int fd;           /* the spool */
    int err;          /* errno of a failed write or read of the spool */
    uint64_t written; /* bytes handed to the spool */
    uint64_t line_at; /* where the line being written began */
    nfb_writer *w;
    entry *e;
    size_t n, cap;
    uint32_t *table; /* entry index + 1; 0: free */
    size_t slots;    /* a power of two */
    char *ids;
    uint64_t ids_len, ids_cap;
    uint32_t *pending; /* a ring of entry indexes waiting for their line */
    size_t p_head, p_len, p_cap;
    uint64_t seen; /* records added */
    part *parts;   /* unique_new_parts: [UNIQUE_PARTS]; NULL: --unique */
    char *win;     /* the spool read back: a window of it */
    uint64_t win_off;
    size_t win_len;
    char *big; /* a line longer than the window */
    size_t big_cap;
};

/* FNV-1a, 64 bits. */
static uint64_t hash_of(const char *p, size_t n)
{
    uint64_t h = 14695981039346656037ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)p[i]) * 1099511628211ull;
    return h;
}

/* The spool's line ends: each ends the line of the entry at the head of
 * the pending queue. */
static void lines_end(unique *u, const char *p, size_t len)
{
    const char *s = p, *end = p + len, *nl;
    while ((nl = memchr(s, '\n', (size_t)(end - s))) != NULL) {
        uint64_t at = u->written + (uint64_t)(nl + 1 - p);
        if (u->p_len) {
            entry *e = &u->e[u->pending[u->p_head]];
            e->off = u->line_at;
            e->len = (uint32_t)(at - u->line_at);
            u->p_head = (u->p_head + 1) % u->p_cap;
            u->p_len--;
        }
        u->line_at = at;
        s = nl + 1;
    }
}

static int spool_raw(unique *u, const void *data, size_t len)
{
    const char *p = data;
    size_t left = len;
    while (left) {
        ssize_t k = write(u->fd, p, left);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) {
            u->err = errno;
            return -1;
        }
        p += k;
        left -= (size_t)k;
    }
    u->written += len;
    return 0;
}

/* A partition's block appended to the spool. */
static int part_flush(unique *u, part *pt)
{
    if (!pt->len) return 0;
    if (pt->blocks == pt->cap) {
        size_t cap = pt->cap ? pt->cap * 2 : 16;
        uint64_t *at = realloc(pt->at, cap * sizeof *at);
        if (at) pt->at = at;
        uint32_t *n = at ? realloc(pt->n, cap * sizeof *n) : NULL;
        if (!n) {
            u->err = ENOMEM;
            return -1;
        }
        pt->n = n, pt->cap = cap;
    }
    pt->at[pt->blocks] = u->written;
    pt->n[pt->blocks++] = (uint32_t)pt->len;
    size_t n = pt->len;
    pt->len = 0;
    return spool_raw(u, pt->buf, n);
}

/* unique_new_parts: the bytes up to each line end go to the partition of
 * the record at the head of the pending queue (lines come in the order
 * their records were written). */
static int route(unique *u, const char *p, size_t len)
{
    while (len) {
        if (!u->p_len) {
            u->err = EIO; /* bytes with no record: never happens */
            return -1;
        }
        part *pt = &u->parts[u->pending[u->p_head]];
        const char *nl = memchr(p, '\n', len);
        size_t n = nl ? (size_t)(nl + 1 - p) : len;
        if (!pt->buf && !(pt->buf = malloc(BLOCK))) {
            u->err = ENOMEM;
            return -1;
        }
        for (size_t done = 0; done < n;) {
            size_t k = BLOCK - pt->len < n - done ? BLOCK - pt->len : n - done;
            memcpy(pt->buf + pt->len, p + done, k);
            pt->len += k, done += k;
            if (pt->len == BLOCK && part_flush(u, pt) != 0) return -1;
        }
        if (nl) {
            u->p_head = (u->p_head + 1) % u->p_cap;
            u->p_len--;
        }
        p += n, len -= n;
    }
    return 0;
}

static int spool_write(void *ctx, const void *data, size_t len)
{
    unique *u = ctx;
    if (u->parts) return route(u, data, len);
    lines_end(u, data, len);
    return spool_raw(u, data, len);
}

/* A temporary file in $TMPDIR (or /tmp) with no name: O_TMPFILE where the
 * file system has it, else a name removed at once, with the signals that
 * end the run held off in between. */
int temp_open(void)
{
    const char *dir = getenv("TMPDIR");
    if (!dir || !*dir) dir = "/tmp";
    int fd;
#ifdef O_TMPFILE
    fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd >= 0) return fd;
#endif
    size_t n = strlen(dir);
    char *path = malloc(n + sizeof "/nfbackup-unique-XXXXXX");
    if (!path) return -1;
    memcpy(path, dir, n);
    memcpy(path + n, "/nfbackup-unique-XXXXXX",
           sizeof "/nfbackup-unique-XXXXXX");
    sigset_t all, old;
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, &old);
    fd = mkstemp(path);
    int e = errno;
    if (fd >= 0) unlink(path);
    sigprocmask(SIG_SETMASK, &old, NULL);
    free(path);
    if (fd >= 0) fcntl(fd, F_SETFD, FD_CLOEXEC);
    errno = e;
    return fd;
}

static unique *make(int parts)
{
    unique *u = calloc(1, sizeof *u);
    if (!u) return NULL;
    if (parts && !(u->parts = calloc(UNIQUE_PARTS, sizeof *u->parts))) {
        report_errorf("out of memory");
        free(u);
        return NULL;
    }
    u->fd = temp_open();
    if (u->fd < 0) {
        int e = errno;
        const char *dir = getenv("TMPDIR");
        report_errorf("%s: cannot create a temporary file in %s: %s",
                      parts ? "diff" : "--unique", dir && *dir ? dir : "/tmp",
                      strerror(e));
        free(u->parts);
        free(u);
        return NULL;
    }
    nfb_writer_options wo = {.size = sizeof wo, .write = spool_write, .ctx = u};
    nfb_error err;
    u->w = nfb_writer_new("json", &wo, &err);
    u->slots = 1024;
    u->table = calloc(u->slots, sizeof *u->table);
    if (!u->w || !u->table) {
        report_errorf("out of memory");
        unique_free(u);
        return NULL;
    }
    return u;
}

unique *unique_new(void)
{
    return make(0);
}

unique *unique_new_parts(void)
{
    return make(1);
}

static void free_parts(unique *u)
{
    for (size_t i = 0; u->parts && i < UNIQUE_PARTS; i++) {
        free(u->parts[i].buf);
        free(u->parts[i].at);
        free(u->parts[i].n);
    }
    free(u->parts);
    u->parts = NULL;
}

void unique_free(unique *u)
{
    if (!u) return;
    free_parts(u);
    if (u->fd >= 0) close(u->fd);
    nfb_writer_free(u->w);
    free(u->e);
    free(u->table);
    free(u->ids);
    free(u->pending);
    free(u->win);
    free(u->big);
    free(u);
}

static int grow_table(unique *u)
{
    size_t slots = u->slots * 2;
    uint32_t *t = calloc(slots, sizeof *t);
    if (!t) return -1;
    for (size_t i = 0; i < u->n; i++) {
        size_t s = (size_t)u->e[i].hash & (slots - 1);
        while (t[s])
            s = (s + 1) & (slots - 1);
        t[s] = (uint32_t)(i + 1);
    }
    free(u->table);
    u->table = t;
    u->slots = slots;
    return 0;
}

/* The entry of id, made when it is new. Returns its index, or -1 when out
 * of memory. */
static long long find_or_add(unique *u, const char *id, size_t len)
{
    uint64_t h = hash_of(id, len);
    size_t s = (size_t)h & (u->slots - 1);
    for (; u->table[s]; s = (s + 1) & (u->slots - 1)) {
        const entry *e = &u->e[u->table[s] - 1];
        if (e->hash == h && e->id_len == len &&
            memcmp(u->ids + e->id_at, id, len) == 0)
            return u->table[s] - 1;
    }
    if (u->n >= UINT32_MAX - 1 || len > UINT32_MAX) return -1;
    if (u->n == u->cap) {
        size_t cap = u->cap ? u->cap * 2 : 1024;
        entry *e = realloc(u->e, cap * sizeof *e);
        if (!e) return -1;
        u->e = e, u->cap = cap;
    }
    if (u->ids_len + len > u->ids_cap) {
        uint64_t cap = u->ids_cap ? u->ids_cap : 16384;
        while (cap < u->ids_len + len)
            cap *= 2;
        char *p = realloc(u->ids, (size_t)cap);
        if (!p) return -1;
        u->ids = p, u->ids_cap = cap;
    }
    memcpy(u->ids + u->ids_len, id, len);
    entry *e = &u->e[u->n];
    e->off = 0;
    e->len = 0;
    e->id_at = u->ids_len;
    e->id_len = (uint32_t)len;
    e->hash = h;
    u->ids_len += len;
    u->table[s] = (uint32_t)(u->n + 1);
    u->n++;
    if (u->n * 2 > u->slots && grow_table(u) != 0) return -1;
    return (long long)(u->n - 1);
}

int unique_add(unique *u, const nfb_backup *b)
{
    long long i =
        u->parts ? (long long)(hash_of(b->id.ptr, b->id.len) % UNIQUE_PARTS)
                 : find_or_add(u, b->id.ptr, b->id.len);
    if (i < 0) return NFB_ENOMEM;
    if (u->p_len == u->p_cap) {
        size_t cap = u->p_cap ? u->p_cap * 2 : 256;
        uint32_t *p = malloc(cap * sizeof *p);
        if (!p) return NFB_ENOMEM;
        for (size_t k = 0; k < u->p_len; k++)
            p[k] = u->pending[(u->p_head + k) % u->p_cap];
        free(u->pending);
        u->pending = p, u->p_cap = cap, u->p_head = 0;
    }
    u->pending[(u->p_head + u->p_len) % u->p_cap] = (uint32_t)i;
    u->p_len++;
    u->seen++;
    nfb_result r = nfb_writer_record(u->w, b);
    return r == NFB_EWRITE ? NFB_EIO : r;
}

uint64_t unique_seen(const unique *u)
{
    return u->seen;
}

size_t unique_count(const unique *u)
{
    return u->n;
}

const char *unique_error(const unique *u)
{
    return strerror(u->err ? u->err : EIO);
}

int unique_end(unique *u)
{
    nfb_result r = nfb_writer_end(u->w);
    if (r != NFB_OK || u->p_len) {
        if (!u->err) u->err = r == NFB_ENOMEM ? ENOMEM : EIO;
        return -1;
    }
    for (size_t i = 0; u->parts && i < UNIQUE_PARTS; i++) {
        if (part_flush(u, &u->parts[i]) != 0) return -1;
        free(u->parts[i].buf);
        u->parts[i].buf = NULL;
    }
    return 0;
}

/* Reads n bytes at off of the spool into buf. */
static int read_at(unique *u, char *buf, size_t n, uint64_t off)
{
    size_t got = 0;
    while (got < n) {
        ssize_t k = pread(u->fd, buf + got, n - got, (off_t)(off + got));
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) {
            u->err = k < 0 ? errno : EIO;
            return -1;
        }
        got += (size_t)k;
    }
    return 0;
}

char *unique_part(unique *u, size_t i, size_t *len)
{
    const part *pt = &u->parts[i];
    size_t n = 0;
    for (size_t b = 0; b < pt->blocks; b++)
        n += pt->n[b];
    char *buf = malloc(n ? n : 1);
    if (!buf) {
        u->err = ENOMEM;
        return NULL;
    }
    for (size_t b = 0, at = 0; b < pt->blocks; at += pt->n[b++])
        if (read_at(u, buf + at, pt->n[b], pt->at[b]) != 0) {
            free(buf);
            return NULL;
        }
    *len = n;
    return buf;
}

/* The line of entry i, read back from the spool (valid until the next
 * call), or NULL with u->err set. */
static const char *line_of(unique *u, size_t i, size_t *len)
{
    const entry *e = &u->e[i];
    *len = e->len;
    if (e->off >= u->win_off && e->off + e->len <= u->win_off + u->win_len)
        return u->win + (e->off - u->win_off);
    char *buf;
    size_t want;
    if (e->len > WINDOW) {
        if (e->len > u->big_cap) {
            char *p = realloc(u->big, e->len);
            if (!p) {
                u->err = ENOMEM;
                return NULL;
            }
            u->big = p, u->big_cap = e->len;
        }
        buf = u->big, want = e->len;
    } else {
        if (!u->win && !(u->win = malloc(WINDOW))) {
            u->err = ENOMEM;
            return NULL;
        }
        buf = u->win, want = WINDOW;
        u->win_len = 0;
    }
    size_t got = 0;
    while (got < want) {
        ssize_t k = pread(u->fd, buf + got, want - got, (off_t)(e->off + got));
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) {
            u->err = errno;
            return NULL;
        }
        if (k == 0) break;
        got += (size_t)k;
    }
    if (got < e->len) {
        u->err = EIO;
        return NULL;
    }
    if (buf == u->win) u->win_off = e->off, u->win_len = got;
    return buf;
}

int unique_replay(unique *u, const nfb_reader_config *limits, nfb_record_fn fn,
                  void *ctx, nfb_result *res)
{
    *res = NFB_OK;
    nfb_reader_config cfg = *limits;
    cfg.on_record = fn;
    cfg.ctx = ctx;
    cfg.flags = NFB_READ_JSON;
    cfg.on_diag = NULL; /* counted: a line read back is never invalid */
    nfb_reader *r = nfb_reader_new(&cfg, NULL);
    if (!r) {
        *res = NFB_ENOMEM;
        return -1;
    }
    nfb_result rr = nfb_reader_begin(r, "--unique");
    for (size_t i = 0; rr == NFB_OK && i < u->n; i++) {
        size_t len;
        const char *line = line_of(u, i, &len);
        if (!line) break;
        rr = nfb_reader_feed(r, line, len);
    }
    if (rr == NFB_OK) rr = nfb_reader_finish(r);
    nfb_reader_stats st;
    nfb_reader_stats_get(r, &st);
    nfb_reader_free(r);
    if (rr != NFB_OK) {
        *res = rr;
        return -1;
    }
    if (u->err || st.errors) {
        if (!u->err) u->err = EIO;
        return -1;
    }
    return 0;
}
