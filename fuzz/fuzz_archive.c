/* fuzz_archive: arbitrary bytes through the reader's pull function,
 * nfb_reader_read: archives (tar, zip, 7z; compressed by gzip, zstd, xz,
 * bzip2, lz4 or lzma), single xz, bzip2, lz4 and lzma streams, and
 * everything else on the push path.
 *
 *   byte 0   the most bytes one call of the read function returns:
 *            1 + 61 b (1 to 15556), so that short reads are fuzzed
 *   byte 1   flags: F_STRICT, F_SMALL (max_string 64, max_diags 3),
 *            F_FAIL (the read function fails at the end instead of
 *            returning 0)
 *   the rest the input
 *
 * Every diagnostic is checked against the contracts of the public headers
 * (its input is the name given or starts with "NAME:", its message is
 * text); every record has an id. The same input is then read again with
 * reads of 64 KiB: how the read function cuts the input must not change
 * the diagnostics or the records.
 *
 * A few hundred compressed bytes can hold megabytes of text (bzip2 turns
 * 250 bytes into 6.6 million '{', 3.3 million syntax errors), so
 * a reading stops itself after LOG_MAX diagnostics and records: both
 * readings stop at the same one, and what came before must still match.
 * Memory and time then follow the input, not what it expands to. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nfbackup/nfbackup.h>

#include "fuzz.h"

enum { HDR = 2, LOG_MAX = 4096 };
enum { F_STRICT = 1, F_SMALL = 2, F_FAIL = 4 };

static const char NAME[] = "in.tar";

typedef struct src {
    const uint8_t *p;
    size_t n, pos, step;
    int fail;
} src;

static ptrdiff_t read_src(void *ctx, void *buf, size_t len)
{
    src *s = ctx;
    size_t k = s->n - s->pos;
    if (k == 0 && s->fail) {
        errno = EIO;
        return -1;
    }
    if (k > len) k = len;
    if (k > s->step) k = s->step;
    memcpy(buf, s->p + s->pos, k);
    s->pos += k;
    return (ptrdiff_t)k;
}

/* What a reading gave: a log of diagnostics and record ids. */
typedef struct log_ {
    char *p;
    size_t n, cap;
    size_t entries; /* diagnostics and records logged */
} log_;

/* Non-zero (stop the reading) once LOG_MAX entries are logged. */
static int full(log_ *l)
{
    return ++l->entries >= LOG_MAX;
}

static void put(log_ *l, const char *s)
{
    size_t k = strlen(s) + 1;
    if (l->n + k > l->cap) {
        l->cap = (l->n + k) * 2;
        l->p = realloc(l->p, l->cap);
        FUZZ_CHECK(l->p != NULL);
    }
    memcpy(l->p + l->n, s, k);
    l->n += k;
}

static int on_diag(void *ctx, const nfb_diag *d)
{
    log_ *l = ctx;
    size_t nl = strlen(NAME);
    FUZZ_CHECK(d->input != NULL && d->message != NULL && d->path != NULL);
    FUZZ_CHECK(strncmp(d->input, NAME, nl) == 0 &&
               (d->input[nl] == 0 || d->input[nl] == ':'));
    FUZZ_CHECK(d->message[0] != 0);
    FUZZ_CHECK(d->severity == NFB_ERROR || d->severity == NFB_WARNING);
    for (const char *c = d->input + nl; *c; c++)
        FUZZ_CHECK((unsigned char)*c >= 0x20 && *c != 0x7f);
    char pos[96];
    snprintf(pos, sizeof pos, "%d %d %llu %llu %llu %llu", (int)d->severity,
             (int)d->code, (unsigned long long)d->document,
             (unsigned long long)d->offset, (unsigned long long)d->line,
             (unsigned long long)d->column);
    put(l, d->input);
    put(l, pos);
    put(l, d->path);
    put(l, d->message);
    return full(l);
}

static int on_record(void *ctx, const nfb_backup *b)
{
    char id[80];
    FUZZ_CHECK(b->id.ptr != NULL);
    snprintf(id, sizeof id, "record %.*s",
             (int)(b->id.len < 64 ? b->id.len : 64), b->id.ptr);
    put(ctx, id);
    return full(ctx);
}

static nfb_result read_once(const uint8_t *p, size_t n, size_t step,
                            unsigned flags, log_ *l)
{
    nfb_reader_config cfg;
    nfb_reader_config_init(&cfg);
    cfg.on_diag = on_diag;
    cfg.on_record = on_record;
    cfg.ctx = l;
    if (flags & F_STRICT) cfg.flags |= NFB_READ_STRICT;
    if (flags & F_SMALL) {
        cfg.max_string = 64;
        cfg.max_diags = 3;
    }
    nfb_reader *r = nfb_reader_new(&cfg, NULL);
    FUZZ_CHECK(r != NULL);
    src s = {p, n, 0, step, (flags & F_FAIL) != 0};
    nfb_result res = nfb_reader_read(r, NAME, read_src, &s);
    FUZZ_CHECK(res == NFB_OK || res == NFB_EIO ||
               (res == NFB_STOPPED && l->entries == LOG_MAX));
    nfb_reader_stats st;
    nfb_reader_stats_get(r, &st);
    FUZZ_CHECK(st.records <= st.documents);
    nfb_reader_free(r);
    return res;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < HDR) return 0;
    size_t step = 1 + 61 * (size_t)data[0];
    unsigned flags = data[1];
    log_ a = {0}, b = {0};
    nfb_result ra = read_once(data + HDR, size - HDR, step, flags, &a);
    nfb_result rb = read_once(data + HDR, size - HDR, 65536, flags, &b);
    /* A failing read ends the reading where it fails: the logs may then
     * differ only by where libarchive was when it failed, and one reading
     * may fail before its LOG_MAX-th entry while the other stops at it. */
    FUZZ_CHECK(ra == rb || ((flags & F_FAIL) && ra != NFB_OK && rb != NFB_OK));
    if (ra == rb && ra != NFB_EIO) {
        FUZZ_CHECK(a.n == b.n);
        FUZZ_CHECK(a.n == 0 || memcmp(a.p, b.p, a.n) == 0);
    }
    free(a.p);
    free(b.p);
    return 0;
}
