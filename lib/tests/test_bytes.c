/* The byte layer (lib/src/read/bytes.c): plain input passes through uncopied;
 * gzip and zstd input, made here with zlib's and libzstd's compressors, is
 * decompressed to exactly what was compressed whatever the feed sizes;
 * damage (corrupt, truncated, trailing garbage, too large a window) is one
 * syntax diagnostic naming the byte offset in the compressed input, after
 * all that decoded before it, and the same whatever the feed sizes; memory
 * is bounded whatever the output's length; every allocation failure is
 * NFB_ENOMEM and leaks nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <zlib.h>
#include <zstd.h>

#include "read/bytes.h"

/* ---- a counting allocator -------------------------------------------- */

typedef struct counting {
    long calls;   /* allocations so far */
    long fail_at; /* the call that fails, 0 for none */
    long live;    /* blocks not yet freed */
    size_t bytes; /* bytes not yet freed */
    size_t peak;  /* most bytes at once */
} counting;

typedef union header {
    max_align_t align;
    size_t size;
} header;

static void *c_malloc(void *ctx, size_t n)
{
    counting *c = ctx;
    if (++c->calls == c->fail_at) return NULL;
    header *h = malloc(sizeof *h + n);
    if (!h) return NULL;
    h->size = n;
    c->live++;
    c->bytes += n;
    if (c->bytes > c->peak) c->peak = c->bytes;
    return h + 1;
}

static void c_free(void *ctx, void *p)
{
    counting *c = ctx;
    if (!p) return;
    header *h = (header *)p - 1;
    c->live--;
    c->bytes -= h->size;
    free(h);
}

static void *c_realloc(void *ctx, void *p, size_t n)
{
    counting *c = ctx;
    void *q = c_malloc(ctx, n);
    if (!q) return NULL;
    if (p) {
        size_t old = ((header *)p - 1)->size;
        memcpy(q, p, old < n ? old : n);
        c_free(c, p);
    }
    return q;
}

static nfb_allocator counting_allocator(counting *c)
{
    nfb_allocator a = {c_malloc, c_realloc, c_free, c};
    return a;
}

/* ---- growing buffers ------------------------------------------------- */

typedef struct buf {
    unsigned char *p;
    size_t n, cap;
} buf;

static void buf_add(buf *b, const void *p, size_t n)
{
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->n + n)
            cap *= 2;
        b->p = realloc(b->p, cap);
        assert_non_null(b->p);
        b->cap = cap;
    }
    if (n) memcpy(b->p + b->n, p, n);
    b->n += n;
}

static void buf_free(buf *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

/* ---- test inputs ----------------------------------------------------- */

static uint32_t lcg(uint32_t *s)
{
    *s = *s * 1103515245u + 12345u;
    return *s >> 8;
}

/* About n bytes of NDJSON with random numbers: compresses 3 to 4 times. */
static buf make_text(size_t n, uint32_t seed)
{
    buf b = {0};
    char line[160];
    while (b.n < n) {
        uint32_t a = lcg(&seed), c = lcg(&seed), d = lcg(&seed);
        int k = snprintf(line, sizeof line,
                         "{\"id\":\"backup-%u\",\"name\":\"nightly %08x\","
                         "\"status\":\"completed\",\"size\":\"%u\"}\n",
                         a, c, d);
        buf_add(&b, line, (size_t)k);
    }
    return b;
}

/* Appends one gzip member holding src to out: level 0 makes stored
 * blocks; name, when set, is written in the header (FNAME) with every
 * other optional field (FEXTRA, FCOMMENT, FHCRC). */
static void gz_add(buf *out, const void *src, size_t n, int level,
                   const char *name)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    assert_int_equal(deflateInit2(&z, level, Z_DEFLATED, 16 + MAX_WBITS, 8,
                                  Z_DEFAULT_STRATEGY),
                     Z_OK);
    gz_header h;
    memset(&h, 0, sizeof h);
    static const unsigned char extra[] = {'N', 'F', 2, 0, 1, 2};
    if (name) {
        h.name = (Bytef *)(uintptr_t)name;
        h.comment = (Bytef *)(uintptr_t) "a comment";
        h.extra = (Bytef *)(uintptr_t)extra;
        h.extra_len = sizeof extra;
        h.hcrc = 1;
        assert_int_equal(deflateSetHeader(&z, &h), Z_OK);
    }
    size_t cap = deflateBound(&z, (uLong)n) + 64;
    unsigned char *dst = malloc(cap);
    assert_non_null(dst);
    z.next_in = (Bytef *)(uintptr_t)src;
    z.avail_in = (uInt)n;
    z.next_out = dst;
    z.avail_out = (uInt)cap;
    assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
    buf_add(out, dst, z.total_out);
    deflateEnd(&z);
    free(dst);
}

/* Appends one zstd frame holding src to out. window_log 0 keeps the
 * level's; sized 0 leaves the content size out of the header (as a
 * streaming compressor does). Frames carry a checksum. */
static void zs_add_with(buf *out, const void *src, size_t n, int level,
                        int window_log, int sized)
{
    ZSTD_CCtx *c = ZSTD_createCCtx();
    assert_non_null(c);
    assert_false(ZSTD_isError(
        ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, level)));
    assert_false(
        ZSTD_isError(ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1)));
    if (window_log)
        assert_false(ZSTD_isError(
            ZSTD_CCtx_setParameter(c, ZSTD_c_windowLog, window_log)));
    size_t cap = ZSTD_compressBound(n) + 64;
    unsigned char *dst = malloc(cap);
    assert_non_null(dst);
    ZSTD_outBuffer o = {dst, cap, 0};
    ZSTD_inBuffer i = {src, n, 0};
    /* ZSTD_e_end on the first call would tell the size; continue first
     * does not. */
    if (!sized)
        assert_false(
            ZSTD_isError(ZSTD_compressStream2(c, &o, &i, ZSTD_e_continue)));
    assert_int_equal(ZSTD_compressStream2(c, &o, &i, ZSTD_e_end), 0);
    buf_add(out, dst, o.pos);
    free(dst);
    ZSTD_freeCCtx(c);
}

static void zs_add(buf *out, const void *src, size_t n, int level)
{
    zs_add_with(out, src, n, level, 0, 1);
}

/* Appends a skippable frame of n payload bytes with magic 0x184D2A5 low. */
static void skip_add(buf *out, unsigned low, size_t n)
{
    unsigned char h[8] = {(unsigned char)(0x50 | low), 0x2a, 0x4d, 0x18};
    for (int i = 0; i < 4; i++)
        h[4 + i] = (unsigned char)(n >> (8 * i));
    buf_add(out, h, 8);
    for (size_t i = 0; i < n; i++)
        buf_add(out, "s", 1);
}

/* ---- running the byte layer ------------------------------------------ */

typedef struct run {
    buf out;                  /* what reached the sink */
    size_t sink_calls;        /* calls of the sink */
    const unsigned char *fed; /* the caller's first chunk */
    int same_pointer;         /* the first sink call got that chunk itself */
    size_t stop_at;           /* the sink call that stops, 0 for none */
    int stop_diag;            /* the diagnostic callback stops */
    nfb_result rc;            /* the first result other than NFB_OK */
    int ndiags;
    char msg[512]; /* the first diagnostic */
    uint64_t offset, line, column;
    nfb_code code;
    nfb_severity severity;
    nfb__bytes_format format;
} run;

static int sink(void *ctx, const unsigned char *p, size_t n)
{
    run *r = ctx;
    assert_true(n > 0);
    assert_true(n <= NFB__BYTES_OUT || p == r->fed);
    if (r->sink_calls++ == 0) r->same_pointer = p == r->fed;
    buf_add(&r->out, p, n);
    return r->sink_calls == r->stop_at ? NFB_STOPPED : 0;
}

static int on_diag(void *ctx, const nfb_diag *d)
{
    run *r = ctx;
    if (r->ndiags++ == 0) {
        snprintf(r->msg, sizeof r->msg, "%s", d->message);
        r->offset = d->offset;
        r->line = d->line;
        r->column = d->column;
        r->code = d->code;
        r->severity = d->severity;
    }
    return r->stop_diag;
}

static void note(run *r, nfb_result rc)
{
    if (rc != NFB_OK && r->rc == NFB_OK) r->rc = rc;
}

/* The next feed size: split > 0 is a fixed size; split < 0 a random size
 * from seed -split, sometimes tiny, sometimes large; 0 all at once. */
static size_t piece(long split, uint32_t *seed, size_t left)
{
    size_t k = left;
    if (split > 0) {
        k = (size_t)split;
    } else if (split < 0) {
        uint32_t v = lcg(seed);
        switch (v % 3) {
        case 0:
            k = 1 + (v / 3) % 8;
            break;
        case 1:
            k = 1 + (v / 3) % 4096;
            break;
        default:
            k = 1 + (v / 3) % (left + 1);
            break;
        }
    }
    return k < left ? k : left;
}

/* Feeds in[0..n) as one input of b, split as piece() says. */
static void feed_input(nfb__bytes *b, unsigned flags, const unsigned char *in,
                       size_t n, long split, run *r)
{
    uint32_t seed = (uint32_t)(split < 0 ? -split : 0);
    nfb__bytes_begin(b, flags);
    r->fed = in;
    size_t pos = 0;
    do {
        size_t k = piece(split, &seed, n - pos);
        note(r, nfb__bytes_feed(b, in + pos, k, sink, r));
        pos += k;
    } while (pos < n);
    note(r, nfb__bytes_finish(b, sink, r));
    r->format = b->format;
}

static void diags_init(nfb__diags *dg, run *r)
{
    memset(dg, 0, sizeof *dg);
    dg->on_diag = on_diag;
    dg->ctx = r;
    dg->max_diags = 100;
    dg->name = "test";
}

/* Reads one input with a fresh byte layer; checks that nothing leaks. */
static void read_one(const void *in, size_t n, long split, unsigned flags,
                     run *r)
{
    counting c = {0};
    nfb_allocator a = counting_allocator(&c);
    nfb__diags dg;
    diags_init(&dg, r);
    nfb__bytes b;
    nfb__bytes_init(&b, &a, &dg);
    feed_input(&b, flags, in, n, split, r);
    nfb__bytes_free(&b);
    assert_int_equal(c.live, 0);
}

static void run_free(run *r)
{
    buf_free(&r->out);
}

static void assert_same_run(const run *a, const run *b)
{
    assert_int_equal(a->rc, b->rc);
    assert_int_equal(a->out.n, b->out.n);
    if (a->out.n) assert_memory_equal(a->out.p, b->out.p, a->out.n);
    assert_int_equal(a->ndiags, b->ndiags);
    assert_string_equal(a->msg, b->msg);
    assert_int_equal(a->offset, b->offset);
    assert_int_equal(a->format, b->format);
}

/* Every split: whole, 1..31 bytes, 20 random ones. Each must read as the
 * whole input does; returns that run. */
static run read_every_split(const void *in, size_t n, unsigned flags)
{
    run whole = {0};
    read_one(in, n, 0, flags, &whole);
    for (long split = 1; split <= 31; split++) {
        run r = {0};
        read_one(in, n, split, flags, &r);
        assert_same_run(&whole, &r);
        run_free(&r);
    }
    for (long seed = 1; seed <= 20; seed++) {
        run r = {0};
        read_one(in, n, -seed, flags, &r);
        assert_same_run(&whole, &r);
        run_free(&r);
    }
    return whole;
}

/* in reads as want, with no diagnostic, in every split. */
static void check_reads_as(const buf *in, const buf *want,
                           nfb__bytes_format format)
{
    run r = read_every_split(in->p, in->n, 0);
    assert_int_equal(r.rc, NFB_OK);
    assert_int_equal(r.ndiags, 0);
    assert_int_equal(r.format, format);
    assert_int_equal(r.out.n, want->n);
    if (want->n) assert_memory_equal(r.out.p, want->p, want->n);
    run_free(&r);
}

/* ---- plain input ----------------------------------------------------- */

static void test_plain(void **state)
{
    (void)state;
    /* Text, and text that starts like a magic number but is not one. */
    static const struct {
        const char *s;
        size_t n;
    } cases[] = {
        {"{\"data\": {\"id\": \"b\"}}\n", 22},
        {"", 0},
        {"\x1f", 1},
        {"\x1f{", 2},
        {"\x1f\x8a", 2},
        {"(", 1},
        {"(\xb5/", 3},
        {"(\xb5/\xfc{}", 6},
        {"P*M", 3},
        {"P*M\x19", 4},
        {"\xef\xbb\xbf{}", 5},
        {"data:\n  id: b\n", 14},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        buf in = {0};
        buf_add(&in, cases[i].s, cases[i].n);
        check_reads_as(&in, &in, NFB__BYTES_PLAIN);
        buf_free(&in);
    }
}

/* Plain input reaches the sink as the caller's own bytes, not a copy. */
static void test_plain_no_copy(void **state)
{
    (void)state;
    buf text = make_text(200000, 1);
    run r = {0};
    read_one(text.p, text.n, 0, 0, &r);
    assert_int_equal(r.sink_calls, 1);
    assert_true(r.same_pointer);
    assert_int_equal(r.out.n, text.n);
    run_free(&r);
    buf_free(&text);
}

/* NFB__BYTES_PLAIN_ONLY passes compressed bytes through as they are. */
static void test_plain_only(void **state)
{
    (void)state;
    buf text = make_text(1000, 2), gz = {0}, zs = {0};
    gz_add(&gz, text.p, text.n, 6, NULL);
    zs_add(&zs, text.p, text.n, 3);
    run r = read_every_split(gz.p, gz.n, NFB__BYTES_PLAIN_ONLY);
    assert_int_equal(r.ndiags, 0);
    assert_int_equal(r.out.n, gz.n);
    assert_memory_equal(r.out.p, gz.p, gz.n);
    run_free(&r);
    r = read_every_split(zs.p, zs.n, NFB__BYTES_PLAIN_ONLY);
    assert_int_equal(r.out.n, zs.n);
    assert_memory_equal(r.out.p, zs.p, zs.n);
    run_free(&r);
    buf_free(&text);
    buf_free(&gz);
    buf_free(&zs);
}

/* ---- gzip ------------------------------------------------------------ */

static void test_gzip_single(void **state)
{
    (void)state;
    buf text = make_text(300000, 3), gz = {0};
    gz_add(&gz, text.p, text.n, 6, NULL);
    check_reads_as(&gz, &text, NFB__BYTES_GZIP);
    buf_free(&gz);
    buf_free(&text);
}

/* Members one after the other, as `cat a.gz b.gz` makes: of every level,
 * with a file name in the header, and empty. */
static void test_gzip_members(void **state)
{
    (void)state;
    buf a = make_text(5000, 4), c = make_text(70000, 5);
    buf gz = {0}, want = {0};
    gz_add(&gz, a.p, a.n, 9, "a.json");
    buf_add(&want, a.p, a.n);
    gz_add(&gz, "", 0, 6, NULL); /* an empty member */
    gz_add(&gz, c.p, c.n, 0, NULL);
    buf_add(&want, c.p, c.n);
    gz_add(&gz, a.p, a.n, 1, "again.json");
    buf_add(&want, a.p, a.n);
    gz_add(&gz, "", 0, 6, NULL); /* and one at the end */
    check_reads_as(&gz, &want, NFB__BYTES_GZIP);

    buf empty = {0}, nothing = {0};
    gz_add(&empty, "", 0, 6, NULL);
    check_reads_as(&empty, &nothing, NFB__BYTES_GZIP);
    buf_free(&empty);
    buf_free(&gz);
    buf_free(&want);
    buf_free(&a);
    buf_free(&c);
}

/* ---- zstd ------------------------------------------------------------ */

static void test_zstd_single(void **state)
{
    (void)state;
    buf text = make_text(600000, 6), zs = {0}, unsized = {0};
    zs_add(&zs, text.p, text.n, 3);
    check_reads_as(&zs, &text, NFB__BYTES_ZSTD);
    zs_add_with(&unsized, text.p, text.n, 9, 0, 0);
    check_reads_as(&unsized, &text, NFB__BYTES_ZSTD);
    buf_free(&zs);
    buf_free(&unsized);
    buf_free(&text);
}

/* Frames one after the other, empty ones and skippable ones among them, and
 * a skippable frame first (as pzstd writes). */
static void test_zstd_frames(void **state)
{
    (void)state;
    buf a = make_text(5000, 7), c = make_text(200000, 8);
    buf zs = {0}, want = {0};
    zs_add(&zs, a.p, a.n, 1);
    buf_add(&want, a.p, a.n);
    skip_add(&zs, 0, 12);
    zs_add(&zs, "", 0, 3);
    zs_add_with(&zs, c.p, c.n, 3, 0, 0);
    buf_add(&want, c.p, c.n);
    skip_add(&zs, 15, 0);
    zs_add(&zs, a.p, a.n, 19);
    buf_add(&want, a.p, a.n);
    check_reads_as(&zs, &want, NFB__BYTES_ZSTD);

    buf skipfirst = {0};
    skip_add(&skipfirst, 10, 300);
    zs_add(&skipfirst, a.p, a.n, 3);
    skip_add(&skipfirst, 10, 5);
    check_reads_as(&skipfirst, &a, NFB__BYTES_ZSTD);

    buf empty = {0}, nothing = {0};
    zs_add(&empty, "", 0, 3);
    check_reads_as(&empty, &nothing, NFB__BYTES_ZSTD);
    buf_free(&empty);
    buf_free(&skipfirst);
    buf_free(&zs);
    buf_free(&want);
    buf_free(&a);
    buf_free(&c);
}

/* ---- damage ---------------------------------------------------------- */

/* r is one syntax error with message msg at offset, and its output is the
 * first `kept` bytes of want. */
static void assert_damage(const run *r, const char *msg, uint64_t offset,
                          const buf *want, size_t kept)
{
    assert_int_equal(r->rc, NFB_OK);
    assert_int_equal(r->ndiags, 1);
    assert_int_equal(r->severity, NFB_ERROR);
    assert_int_equal(r->code, NFB_CODE_SYNTAX);
    assert_string_equal(r->msg, msg);
    assert_int_equal(r->offset, offset);
    assert_int_equal(r->line, 0);
    assert_int_equal(r->column, 0);
    assert_int_equal(r->out.n, kept);
    if (kept) assert_memory_equal(r->out.p, want->p, kept);
}

/* A cut anywhere inside a member or frame: a truncation error at the cut,
 * after a prefix of the text (all of it but the last blocks). */
static void check_cuts(const buf *in, const buf *text, const char *what,
                       size_t from, size_t step)
{
    for (size_t cut = from; cut < in->n; cut += step) {
        run r = read_every_split(in->p, cut, 0);
        char msg[200];
        snprintf(msg, sizeof msg,
                 "expected the rest of the %s, found the end of the input "
                 "at byte %zu of the compressed input",
                 what, cut);
        assert_damage(&r, msg, cut, text, r.out.n);
        run_free(&r);
    }
}

static void test_truncated(void **state)
{
    (void)state;
    buf small = make_text(400, 9), big = make_text(600000, 10);
    buf gz = {0}, zs = {0}, gzbig = {0}, zsbig = {0};
    gz_add(&gz, small.p, small.n, 6, NULL);
    zs_add(&zs, small.p, small.n, 3);
    /* Every cut after the magic number. */
    check_cuts(&gz, &small, "gzip member", 2, 1);
    check_cuts(&zs, &small, "zstd frame", 4, 1);

    /* Cut in half, a large stream has delivered much of its text. */
    gz_add(&gzbig, big.p, big.n, 6, NULL);
    zs_add(&zsbig, big.p, big.n, 3);
    check_cuts(&gzbig, &big, "gzip member", gzbig.n / 2, gzbig.n);
    check_cuts(&zsbig, &big, "zstd frame", zsbig.n / 2, zsbig.n);
    run r = {0};
    read_one(gzbig.p, gzbig.n / 2, 0, 0, &r);
    assert_true(r.out.n > big.n / 4);
    run_free(&r);
    read_one(zsbig.p, zsbig.n / 2, 0, 0, &r);
    assert_true(r.out.n > big.n / 4);
    run_free(&r);

    /* A cut in the second member: the whole first one counts. */
    buf two = {0};
    gz_add(&two, small.p, small.n, 6, NULL);
    size_t first = two.n;
    gz_add(&two, big.p, big.n, 6, NULL);
    r = read_every_split(two.p, first + 5, 0);
    char msg[200];
    snprintf(msg, sizeof msg,
             "expected the rest of the gzip member, found the end of the "
             "input at byte %zu of the compressed input",
             first + 5);
    assert_damage(&r, msg, first + 5, &small, small.n);
    run_free(&r);
    buf_free(&two);
    buf_free(&gz);
    buf_free(&zs);
    buf_free(&gzbig);
    buf_free(&zsbig);
    buf_free(&small);
    buf_free(&big);
}

static void test_trailing_garbage(void **state)
{
    (void)state;
    buf text = make_text(3000, 11);
    char msg[200];
    for (int z = 0; z < 2; z++) {
        const char *what = z ? "zstd frame" : "gzip member";
        buf in = {0};
        if (z)
            zs_add(&in, text.p, text.n, 3);
        else
            gz_add(&in, text.p, text.n, 6, NULL);
        size_t len = in.n;

        buf_add(&in, "garbage\n", 8);
        run r = read_every_split(in.p, in.n, 0);
        snprintf(msg, sizeof msg,
                 "expected another %s or the end of the input, found byte "
                 "0x67 at byte %zu of the compressed input",
                 what, len);
        assert_damage(&r, msg, len, &text, text.n);
        run_free(&r);

        /* The first byte of a magic number, then something else. */
        in.n = len;
        buf_add(&in, z ? "\x28\xb5\x00" : "\x1f\x00", z ? 3 : 2);
        r = read_every_split(in.p, in.n, 0);
        snprintf(msg, sizeof msg,
                 "expected another %s or the end of the input, found byte "
                 "0x00 at byte %zu of the compressed input",
                 what, in.n - 1);
        assert_damage(&r, msg, in.n - 1, &text, text.n);
        run_free(&r);

        /* A magic number cut short is a truncated member or frame. */
        in.n = len + 1;
        r = read_every_split(in.p, in.n, 0);
        snprintf(msg, sizeof msg,
                 "expected the rest of the %s, found the end of the input "
                 "at byte %zu of the compressed input",
                 what, in.n);
        assert_damage(&r, msg, in.n, &text, text.n);
        run_free(&r);
        buf_free(&in);
    }
    buf_free(&text);
}

/* Damage the decompressor notices at a known place. */
static void test_corrupt_known(void **state)
{
    (void)state;
    buf text = make_text(100000, 12), gz = {0}, zs = {0};
    gz_add(&gz, text.p, text.n, 6, NULL);
    zs_add(&zs, text.p, text.n, 3);
    char msg[200];

    /* The CRC-32 (the trailer's first 4 bytes): all the text was
     * delivered, then the check fails at the CRC's last byte. */
    gz.p[gz.n - 7] ^= 0x01;
    run r = read_every_split(gz.p, gz.n, 0);
    snprintf(msg, sizeof msg,
             "expected gzip data, found a corrupt stream (incorrect data "
             "check) at byte %zu of the compressed input",
             gz.n - 5);
    assert_damage(&r, msg, gz.n - 5, &text, text.n);
    run_free(&r);
    gz.p[gz.n - 7] ^= 0x01;

    /* The compression method (header byte 2), noticed when zlib has read
     * it with the flags after it. */
    gz.p[2] = 7;
    r = read_every_split(gz.p, gz.n, 0);
    assert_damage(&r,
                  "expected gzip data, found a corrupt stream (unknown "
                  "compression method) at byte 3 of the compressed input",
                  3, &text, 0);
    run_free(&r);
    gz.p[2] = 8;

    /* zstd's checksum (a frame's last 4 bytes). */
    zs.p[zs.n - 2] ^= 0x40;
    r = read_every_split(zs.p, zs.n, 0);
    snprintf(msg, sizeof msg,
             "expected zstd data, found a corrupt stream (checksum "
             "mismatch) at byte %zu of the compressed input",
             zs.n - 1);
    assert_damage(&r, msg, zs.n - 1, &text, text.n);
    run_free(&r);
    buf_free(&gz);
    buf_free(&zs);
    buf_free(&text);
}

/* Every byte of a stream of two members or frames damaged in turn: the
 * result never depends on the feed sizes; damage is reported at or after
 * the damaged byte; damage not reported changed nothing (a header's time
 * stamp); and nothing of the input after the damage is delivered. */
static void check_every_byte(buf *in, const buf *text)
{
    for (size_t i = 0; i < in->n; i++) {
        in->p[i] ^= 0x55;
        run r = read_every_split(in->p, in->n, 0);
        assert_int_equal(r.rc, NFB_OK);
        assert_true(r.ndiags <= 1);
        if (r.ndiags == 0) {
            if (r.format != NFB__BYTES_PLAIN) {
                assert_int_equal(r.out.n, text->n);
                assert_memory_equal(r.out.p, text->p, text->n);
            }
        } else {
            assert_true(r.offset >= i);
            assert_true(r.offset <= in->n);
            assert_int_equal(r.code, NFB_CODE_SYNTAX);
            assert_true(r.out.n <= text->n + 64 * 1024);
        }
        run_free(&r);
        in->p[i] ^= 0x55;
    }
}

static void test_corrupt_every_byte(void **state)
{
    (void)state;
    buf half = make_text(700, 13), text = {0}, gz = {0}, zs = {0};
    buf_add(&text, half.p, half.n);
    buf_add(&text, half.p, half.n);
    gz_add(&gz, half.p, half.n, 6, NULL);
    gz_add(&gz, half.p, half.n, 6, NULL);
    zs_add(&zs, half.p, half.n, 3);
    zs_add(&zs, half.p, half.n, 3);
    check_every_byte(&gz, &text);
    check_every_byte(&zs, &text);
    buf_free(&half);
    buf_free(&text);
    buf_free(&gz);
    buf_free(&zs);
}

/* Compresses src into out as gzip (z == 0) or zstd with a flush after
 * the first `at` bytes, which ends a block there; returns where the
 * compressed bytes of the rest begin. */
static size_t add_flushed(buf *out, int z, const unsigned char *src, size_t n,
                          size_t at)
{
    size_t cap = 2 * n + 1024, boundary = 0;
    unsigned char *dst = malloc(cap);
    assert_non_null(dst);
    if (z) {
        ZSTD_CCtx *c = ZSTD_createCCtx();
        assert_non_null(c);
        assert_false(
            ZSTD_isError(ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1)));
        ZSTD_outBuffer o = {dst, cap, 0};
        ZSTD_inBuffer i = {src, at, 0};
        assert_int_equal(ZSTD_compressStream2(c, &o, &i, ZSTD_e_flush), 0);
        boundary = o.pos;
        i.size = n;
        assert_int_equal(ZSTD_compressStream2(c, &o, &i, ZSTD_e_end), 0);
        buf_add(out, dst, o.pos);
        ZSTD_freeCCtx(c);
    } else {
        z_stream d;
        memset(&d, 0, sizeof d);
        assert_int_equal(deflateInit2(&d, 6, Z_DEFLATED, 16 + MAX_WBITS, 8,
                                      Z_DEFAULT_STRATEGY),
                         Z_OK);
        d.next_in = (Bytef *)(uintptr_t)src;
        d.avail_in = (uInt)at;
        d.next_out = dst;
        d.avail_out = (uInt)cap;
        assert_int_equal(deflate(&d, Z_FULL_FLUSH), Z_OK);
        boundary = d.total_out;
        d.avail_in = (uInt)(n - at);
        assert_int_equal(deflate(&d, Z_FINISH), Z_STREAM_END);
        buf_add(out, dst, d.total_out);
        deflateEnd(&d);
    }
    free(dst);
    return boundary;
}

/* Damage after a block whose output is not a multiple of what the sink
 * takes in one call: all of that block is delivered before the error, the
 * same way whatever the splits. */
static void test_corrupt_after_block(void **state)
{
    (void)state;
    buf text = make_text(250000, 19);
    const size_t first = 100000; /* 64 KiB and 34464 bytes */
    for (int z = 0; z < 2; z++) {
        buf in = {0};
        size_t boundary = add_flushed(&in, z, text.p, text.n, first);
        /* The block header right after the flush, then bytes after it. */
        for (size_t i = boundary; i < in.n;
             i += i < boundary + 3 ? 1 : (in.n - boundary) / 7) {
            in.p[i] ^= 0x55;
            run r = read_every_split(in.p, in.n, 0);
            assert_int_equal(r.ndiags, 1);
            assert_true(r.offset >= i);
            assert_true(r.out.n >= first);
            assert_memory_equal(r.out.p, text.p, first);
            run_free(&r);
            in.p[i] ^= 0x55;
        }
        buf_free(&in);
    }
    buf_free(&text);
}

/* A frame whose window is over the limit is refused at its header; one at
 * the limit reads. */
static void test_zstd_window(void **state)
{
    (void)state;
    buf text = make_text(20000, 14), ok = {0}, big = {0};
    zs_add_with(&ok, text.p, text.n, 3, NFB__BYTES_ZSTD_WINDOW_LOG_MAX, 0);
    check_reads_as(&ok, &text, NFB__BYTES_ZSTD);
    zs_add_with(&big, text.p, text.n, 3, NFB__BYTES_ZSTD_WINDOW_LOG_MAX + 1, 0);
    run r = read_every_split(big.p, big.n, 0);
    /* magic (4), frame header descriptor, window descriptor */
    assert_damage(&r,
                  "expected a zstd frame with a window of at most 128 MiB, "
                  "found a larger one (zstd --long=28 or more) at byte 5 of "
                  "the compressed input",
                  5, &text, 0);
    run_free(&r);
    buf_free(&ok);
    buf_free(&big);
    buf_free(&text);
}

/* ---- several inputs, stops ------------------------------------------- */

/* One byte layer reads inputs of every kind in turn; what an input was
 * does not leak into the next; the decompressors are made once. */
static void test_sequence(void **state)
{
    (void)state;
    buf text = make_text(50000, 15), gz = {0}, zs = {0}, bad = {0};
    gz_add(&gz, text.p, text.n, 6, NULL);
    zs_add(&zs, text.p, text.n, 3);
    buf_add(&bad, gz.p, gz.n / 2);

    counting c = {0};
    nfb_allocator a = counting_allocator(&c);
    run r = {0};
    nfb__diags dg;
    diags_init(&dg, &r);
    nfb__bytes b;
    nfb__bytes_init(&b, &a, &dg);
    assert_int_equal(c.calls, 0);

    const buf *inputs[] = {&text, &gz, &zs, &bad, &gz, &text, &zs, &gz};
    const nfb__bytes_format formats[] = {
        NFB__BYTES_PLAIN, NFB__BYTES_GZIP,  NFB__BYTES_ZSTD, NFB__BYTES_GZIP,
        NFB__BYTES_GZIP,  NFB__BYTES_PLAIN, NFB__BYTES_ZSTD, NFB__BYTES_GZIP};
    long calls = 0;
    for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
        run_free(&r);
        r.ndiags = 0;
        r.sink_calls = 0;
        feed_input(&b, 0, inputs[i]->p, inputs[i]->n, i % 2 ? 7 : -(long)i, &r);
        assert_int_equal(r.rc, NFB_OK);
        assert_int_equal(r.format, formats[i]);
        if (inputs[i] == &bad) {
            assert_int_equal(r.ndiags, 1);
            assert_true(r.out.n < text.n);
        } else {
            assert_int_equal(r.ndiags, 0);
            assert_int_equal(r.out.n, text.n);
            assert_memory_equal(r.out.p, text.p, text.n);
        }
        if (i == 2) calls = c.calls; /* both decompressors made */
    }
    /* Nothing allocated after the first gzip and zstd inputs. */
    assert_int_equal(c.calls, calls);

    /* After finish, feed without begin starts a new input. */
    run_free(&r);
    assert_int_equal(nfb__bytes_feed(&b, gz.p, gz.n, sink, &r), NFB_OK);
    assert_int_equal(nfb__bytes_finish(&b, sink, &r), NFB_OK);
    assert_int_equal(r.out.n, text.n);
    nfb__bytes_free(&b);
    nfb__bytes_free(&b); /* a second free does nothing */
    assert_int_equal(c.live, 0);
    run_free(&r);
    buf_free(&text);
    buf_free(&gz);
    buf_free(&zs);
    buf_free(&bad);
}

/* A sink that stops: feed returns its value; the rest of the input is
 * ignored (no truncation reported at finish); the next input reads. A
 * diagnostic callback that stops: NFB_STOPPED. */
static void test_stop(void **state)
{
    (void)state;
    buf text = make_text(300000, 16), gz = {0};
    gz_add(&gz, text.p, text.n, 6, NULL);
    for (int cut = 0; cut < 2; cut++) {
        size_t n = cut ? gz.n / 2 : gz.n;
        counting c = {0};
        nfb_allocator a = counting_allocator(&c);
        run r = {0};
        r.stop_at = 2;
        nfb__diags dg;
        diags_init(&dg, &r);
        nfb__bytes b;
        nfb__bytes_init(&b, &a, &dg);
        nfb__bytes_begin(&b, 0);
        assert_int_equal(nfb__bytes_feed(&b, gz.p, n - 1000, sink, &r),
                         NFB_STOPPED);
        assert_int_equal(r.sink_calls, 2);
        assert_int_equal(r.out.n, 2 * NFB__BYTES_OUT);
        assert_int_equal(nfb__bytes_feed(&b, gz.p + n - 1000, 1000, sink, &r),
                         NFB_OK);
        assert_int_equal(nfb__bytes_finish(&b, sink, &r), NFB_OK);
        assert_int_equal(r.sink_calls, 2);
        assert_int_equal(r.ndiags, 0);

        run_free(&r);
        r.stop_at = 0;
        r.sink_calls = 0;
        feed_input(&b, 0, gz.p, n, 4096, &r);
        assert_int_equal(r.rc, NFB_OK);
        assert_int_equal(r.ndiags, cut);
        if (!cut) assert_int_equal(r.out.n, text.n);
        nfb__bytes_free(&b);
        assert_int_equal(c.live, 0);
        run_free(&r);
    }

    run r = {0};
    r.stop_diag = 1;
    read_one(gz.p, gz.n / 2, 1000, 0, &r);
    assert_int_equal(r.rc, NFB_STOPPED);
    assert_int_equal(r.ndiags, 1);
    run_free(&r);
    buf_free(&gz);
    buf_free(&text);
}

/* ---- memory ---------------------------------------------------------- */

typedef struct tally {
    uint64_t n;
    uLong crc;
    counting *c;
    long calls_after_first; /* allocations seen by the first sink call */
} tally;

static int tally_sink(void *ctx, const unsigned char *p, size_t n)
{
    tally *t = ctx;
    if (t->n == 0) t->calls_after_first = t->c->calls;
    t->n += n;
    t->crc = crc32(t->crc, p, (uInt)n);
    return 0;
}

enum { PERIOD = 16 * 1024, LARGE = 12208 * PERIOD }; /* 200 MB */

/* LARGE bytes of text repeating every PERIOD bytes, compressed as one
 * stream without a known size (as `gzip <in` and `zstd <in` write). */
static buf large_stream(int zstd, uLong *crc)
{
    buf text = make_text(PERIOD, 17);
    text.n = PERIOD;
    buf out = {0};
    unsigned char *chunk = malloc(1 << 20);
    assert_non_null(chunk);
    *crc = crc32(0, NULL, 0);
    z_stream z;
    memset(&z, 0, sizeof z);
    ZSTD_CCtx *cc = NULL;
    if (zstd) {
        cc = ZSTD_createCCtx();
        assert_non_null(cc);
        assert_false(ZSTD_isError(
            ZSTD_CCtx_setParameter(cc, ZSTD_c_compressionLevel, 3)));
    } else {
        assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8,
                                      Z_DEFAULT_STRATEGY),
                         Z_OK);
    }
    for (size_t done = 0; done <= LARGE; done += PERIOD) {
        int last = done == LARGE;
        size_t n = last ? 0 : PERIOD;
        *crc = crc32(*crc, text.p, (uInt)n);
        if (zstd) {
            ZSTD_inBuffer in = {text.p, n, 0};
            size_t left;
            do {
                ZSTD_outBuffer o = {chunk, 1 << 20, 0};
                left = ZSTD_compressStream2(
                    cc, &o, &in, last ? ZSTD_e_end : ZSTD_e_continue);
                assert_false(ZSTD_isError(left));
                buf_add(&out, chunk, o.pos);
            } while (in.pos < in.size || (last && left != 0));
        } else {
            z.next_in = text.p;
            z.avail_in = (uInt)n;
            int ret;
            do {
                z.next_out = chunk;
                z.avail_out = 1 << 20;
                ret = deflate(&z, last ? Z_FINISH : Z_NO_FLUSH);
                assert_true(ret == Z_OK || ret == Z_STREAM_END ||
                            ret == Z_BUF_ERROR);
                buf_add(&out, chunk, (1 << 20) - z.avail_out);
            } while (z.avail_in > 0 || (last && ret != Z_STREAM_END));
        }
    }
    if (zstd)
        ZSTD_freeCCtx(cc);
    else
        deflateEnd(&z);
    free(chunk);
    buf_free(&text);
    return out;
}

/* 200 MB of output in bounded memory, allocated before the first output
 * and never again. */
static void check_large(int zstd, size_t bound)
{
    uLong crc;
    buf in = large_stream(zstd, &crc);
    assert_true(in.n < LARGE / 50);
    counting c = {0};
    nfb_allocator a = counting_allocator(&c);
    run r = {0};
    nfb__diags dg;
    diags_init(&dg, &r);
    nfb__bytes b;
    nfb__bytes_init(&b, &a, &dg);
    tally t = {0, crc32(0, NULL, 0), &c, 0};
    for (size_t pos = 0; pos < in.n; pos += 65536) {
        size_t k = in.n - pos < 65536 ? in.n - pos : 65536;
        assert_int_equal(nfb__bytes_feed(&b, in.p + pos, k, tally_sink, &t),
                         NFB_OK);
    }
    assert_int_equal(nfb__bytes_finish(&b, tally_sink, &t), NFB_OK);
    assert_int_equal(r.ndiags, 0);
    assert_int_equal(t.n, LARGE);
    assert_int_equal(t.crc, crc);
    assert_int_equal(c.calls, t.calls_after_first);
    printf("# %s: %zu compressed bytes, %ld allocations, peak %zu bytes\n",
           zstd ? "zstd" : "gzip", in.n, c.calls, c.peak);
    assert_true(c.peak <= bound);
    nfb__bytes_free(&b);
    assert_int_equal(c.live, 0);
    buf_free(&in);
}

static void test_large_gzip(void **state)
{
    (void)state;
    /* 64 KiB of output, zlib's 32 KiB window and 7 KiB of state */
    check_large(0, 128 * 1024);
}

static void test_large_zstd(void **state)
{
    (void)state;
    /* 64 KiB of output, level 3's 2 MiB window, zstd's two block buffers
     * (128 KiB each) and its tables: 2.53 MiB with zstd 1.5 */
    check_large(1, 2816 * 1024);
}

/* ---- out of memory --------------------------------------------------- */

/* Reads inputs in turn with the n-th allocation failing (0: none).
 * Returns the number of allocations; asserts NFB_ENOMEM exactly when an
 * allocation failed, then every later call NFB_ENOMEM, and no leak. */
static long read_failing(const buf *const *inputs, size_t count, long n)
{
    counting c = {0};
    c.fail_at = n;
    nfb_allocator a = counting_allocator(&c);
    run r = {0};
    nfb__diags dg;
    diags_init(&dg, &r);
    nfb__bytes b;
    nfb__bytes_init(&b, &a, &dg);
    for (size_t i = 0; i < count && r.rc == NFB_OK; i++)
        feed_input(&b, 0, inputs[i]->p, inputs[i]->n, 1000, &r);
    int failed = n > 0 && c.calls >= n;
    assert_int_equal(r.rc, failed ? NFB_ENOMEM : NFB_OK);
    assert_int_equal(dg.failed, failed);
    if (failed) {
        assert_int_equal(nfb__bytes_feed(&b, "x", 1, sink, &r), NFB_ENOMEM);
        assert_int_equal(nfb__bytes_finish(&b, sink, &r), NFB_ENOMEM);
    }
    nfb__bytes_free(&b);
    assert_int_equal(c.live, 0);
    run_free(&r);
    return c.calls;
}

static void test_out_of_memory(void **state)
{
    (void)state;
    buf text = make_text(100000, 18), gz = {0}, zs = {0};
    gz_add(&gz, text.p, text.n, 6, NULL);
    zs_add(&zs, text.p, text.n, 3);
    const buf *gzip_only[] = {&gz};
    const buf *zstd_only[] = {&zs};
    const buf *both[] = {&text, &gz, &zs, &gz};
    const buf *const *sets[] = {gzip_only, zstd_only, both};
    size_t counts[] = {1, 1, 4};
    for (size_t s = 0; s < 3; s++) {
        long total = read_failing(sets[s], counts[s], 0);
        assert_true(total >= 2);
        for (long n = 1; n <= total; n++)
            read_failing(sets[s], counts[s], n);
    }
    buf_free(&text);
    buf_free(&gz);
    buf_free(&zs);
}

/* Arguments: none runs every test; "--only PATTERN" or "--skip PATTERN"
 * (cmocka's globs) run some, so that ctest can run the large ones apart. */
int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--only") == 0)
        cmocka_set_test_filter(argv[2]);
    else if (argc == 3 && strcmp(argv[1], "--skip") == 0)
        cmocka_set_skip_filter(argv[2]);
    else if (argc != 1)
        return 2;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain),
        cmocka_unit_test(test_plain_no_copy),
        cmocka_unit_test(test_plain_only),
        cmocka_unit_test(test_gzip_single),
        cmocka_unit_test(test_gzip_members),
        cmocka_unit_test(test_zstd_single),
        cmocka_unit_test(test_zstd_frames),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_trailing_garbage),
        cmocka_unit_test(test_corrupt_known),
        cmocka_unit_test(test_corrupt_every_byte),
        cmocka_unit_test(test_corrupt_after_block),
        cmocka_unit_test(test_zstd_window),
        cmocka_unit_test(test_sequence),
        cmocka_unit_test(test_stop),
        cmocka_unit_test(test_large_gzip),
        cmocka_unit_test(test_large_zstd),
        cmocka_unit_test(test_out_of_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
