/* The byte layer: magic-number detection, and gzip (zlib) and zstd (libzstd)
 * decompression in constant memory. See bytes.h for the contract.
 *
 * States of one input:
 *
 *   DETECT      the first bytes: up to 3 are held in b->held while they
 *               may still start a magic number; then PLAIN, GZIP or ZSTD
 *   PLAIN       every byte goes straight to the sink
 *   GZIP        inside a gzip member; its end leads to GZIP_NEXT
 *   GZIP_NEXT   between members: the next bytes must be a gzip magic
 *               (held until known) or the end of the input
 *   ZSTD        inside a zstd frame; its end leads to ZSTD_NEXT
 *   ZSTD_NEXT   between frames, as GZIP_NEXT
 *   DONE        after an error or a stop: the rest of the input is ignored
 *   END         after finish: the next feed or begin starts a new input
 *   FAILED      out of memory: only free is allowed
 *
 * Offsets in diagnostics must not depend on how the input was split into
 * feeds (the reader's chunk tests require it), so each decompressor is
 * driven so that the place where it notices damage is a function of the
 * compressed bytes alone: for zlib, from its bit position; for zstd, by
 * giving it no more than the rest of the unit (frame header, block header,
 * block, checksum) it is reading, so that the call that fails ends at the
 * end of the damaged unit whatever the chunk size. */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>

#define ZLIB_CONST
#include <zlib.h>
/* For ZSTD_createDCtx_advanced and ZSTD_customMem, so that zstd allocates
 * with the caller's allocator. These have been in libzstd's exported
 * "experimental" section, unchanged, since 1.0. */
#define ZSTD_STATIC_LINKING_ONLY
#include <zstd.h>
#include <zstd_errors.h>

#include "bytes.h"

enum {
    S_DETECT,
    S_PLAIN,
    S_GZIP,
    S_GZIP_NEXT,
    S_ZSTD,
    S_ZSTD_NEXT,
    S_DONE,
    S_END,
    S_FAILED
};

/* What the bytes held so far are the start of. */
enum { M_MORE, M_NONE, M_GZIP, M_ZSTD };
enum { WANT_GZIP = 1, WANT_ZSTD = 2 };

static int classify(const unsigned char *h, size_t n, unsigned want)
{
    static const unsigned char gz[2] = {0x1f, 0x8b};
    static const unsigned char zs[4] = {0x28, 0xb5, 0x2f, 0xfd};
    /* A skippable frame's magic is 0x184D2A50 to 0x184D2A5F, little
     * endian: any of 16 first bytes, then 2a 4d 18. */
    static const unsigned char skip[3] = {0x2a, 0x4d, 0x18};
    if ((want & WANT_GZIP) && n <= 2 && memcmp(h, gz, n) == 0)
        return n == 2 ? M_GZIP : M_MORE;
    if (want & WANT_ZSTD) {
        if (memcmp(h, zs, n) == 0 ||
            ((h[0] & 0xf0) == 0x50 && memcmp(h + 1, skip, n - 1) == 0))
            return n == 4 ? M_ZSTD : M_MORE;
    }
    return M_NONE;
}

/* ---- allocation ------------------------------------------------------ */

static voidpf gz_alloc(voidpf opaque, uInt items, uInt size)
{
    const nfb_allocator *a = opaque;
    if (size && items > SIZE_MAX / size) return Z_NULL;
    return nfb__malloc(a, (size_t)items * size);
}

static void gz_free(voidpf opaque, voidpf p)
{
    nfb__free(opaque, p);
}

static void *zs_alloc(void *opaque, size_t n)
{
    return nfb__malloc(opaque, n);
}

static void zs_free(void *opaque, void *p)
{
    nfb__free(opaque, p);
}

static nfb_result out_of_memory(nfb__bytes *b)
{
    b->state = S_FAILED;
    b->dg->failed = 1;
    return NFB_ENOMEM;
}

/* The output buffer and the inflate state, made once. */
static int gz_make(nfb__bytes *b)
{
    if (!b->out && !(b->out = nfb__malloc(&b->alloc, NFB__BYTES_OUT))) return 0;
    if (b->gz_ready) return inflateReset(b->gz) == Z_OK;
    if (!b->gz) {
        b->gz = nfb__malloc(&b->alloc, sizeof *b->gz);
        if (!b->gz) return 0;
        memset(b->gz, 0, sizeof *b->gz);
        b->gz->zalloc = gz_alloc;
        b->gz->zfree = gz_free;
        b->gz->opaque = &b->alloc;
    }
    /* 16 + MAX_WBITS: a gzip wrapper, not zlib's, with a 32 KiB window. */
    if (inflateInit2(b->gz, 16 + MAX_WBITS) != Z_OK) return 0;
    b->gz_ready = 1;
    return 1;
}

/* The output buffer and the zstd context, made once. */
static int zs_make(nfb__bytes *b)
{
    if (!b->out && !(b->out = nfb__malloc(&b->alloc, NFB__BYTES_OUT))) return 0;
    if (!b->zs) {
        ZSTD_customMem mem = {zs_alloc, zs_free, &b->alloc};
        b->zs = ZSTD_createDCtx_advanced(mem);
        if (!b->zs) return 0;
        if (ZSTD_isError(ZSTD_DCtx_setParameter(
                b->zs, ZSTD_d_windowLogMax, NFB__BYTES_ZSTD_WINDOW_LOG_MAX)))
            return 0; /* cannot happen: 27 is within every build's range */
    }
    /* After an error the context may be inside a frame. */
    return !ZSTD_isError(ZSTD_DCtx_reset(b->zs, ZSTD_reset_session_only));
}

/* ---- diagnostics ----------------------------------------------------- */

/* Reports a problem with the compressed data at offset and drops the rest
 * of the input. */
NFB_PRINTF(3, 4)
static nfb_result damaged(nfb__bytes *b, uint64_t offset, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    b->state = S_DONE;
    nfb__pos at = {offset, 0, 0};
    return nfb__report(b->dg, NFB_ERROR, NFB_CODE_SYNTAX, NULL, at, "%s", msg)
               ? NFB_OK
               : NFB_STOPPED;
}

static nfb_result deliver(nfb__bytes *b, const unsigned char *p, size_t n,
                          nfb__bytes_sink sink, void *ctx)
{
    if (n == 0) return NFB_OK;
    int rc = sink(ctx, p, n);
    if (rc != 0) b->state = S_DONE;
    return (nfb_result)rc;
}

/* ---- gzip ------------------------------------------------------------ */

/* Inflates p[0..n) until it is used up or the member ends; *used tells how
 * much was taken. */
static nfb_result gz_run(nfb__bytes *b, const unsigned char *p, size_t n,
                         size_t *used, nfb__bytes_sink sink, void *ctx)
{
    z_stream *z = b->gz;
    size_t pos = 0;
    nfb_result res = NFB_OK;
    for (;;) {
        uInt give = n - pos > UINT_MAX ? UINT_MAX : (uInt)(n - pos);
        z->next_in = p + pos;
        z->avail_in = give;
        z->next_out = b->out;
        z->avail_out = (uInt)NFB__BYTES_OUT;
        int ret = inflate(z, Z_NO_FLUSH);
        size_t took = give - z->avail_in;
        size_t made = NFB__BYTES_OUT - z->avail_out;
        pos += took;
        b->in_offset += took;
        if (ret == Z_MEM_ERROR) {
            res = out_of_memory(b);
            break;
        }
        /* What was inflated before the damage counts. */
        if ((res = deliver(b, b->out, made, sink, ctx)) != NFB_OK) break;
        if (ret == Z_STREAM_END) {
            b->state = S_GZIP_NEXT;
            if (inflateReset(z) != Z_OK) res = out_of_memory(b);
            break;
        }
        if (ret != Z_OK && ret != Z_BUF_ERROR) {
            /* Z_DATA_ERROR (Z_NEED_DICT cannot happen in gzip). The last
             * byte zlib took is the same whichever way the input was
             * split: a check (header, lengths, CRC) takes just the bytes
             * of its field, and a code takes only the bytes it needs,
             * whether inflate's slow loop decodes it or its fast one
             * (which hands back the whole bytes it read ahead). */
            uint64_t at = b->in_offset ? b->in_offset - 1 : 0;
            res = damaged(b, at,
                          "expected gzip data, found a corrupt stream (%s) "
                          "at byte %llu of the compressed input",
                          z->msg ? z->msg : "invalid data",
                          (unsigned long long)at);
            break;
        }
        if (z->avail_out != 0 && (pos == n || (took == 0 && made == 0))) break;
    }
    *used = pos;
    return res;
}

/* ---- zstd ------------------------------------------------------------ */

static nfb_result zs_error(nfb__bytes *b, size_t code, uint64_t offset)
{
    const char *why;
    unsigned long long at = (unsigned long long)offset;
    switch (ZSTD_getErrorCode(code)) {
    case ZSTD_error_memory_allocation:
        return out_of_memory(b);
    case ZSTD_error_frameParameter_windowTooLarge:
        return damaged(b, offset,
                       "expected a zstd frame with a window of at most %u "
                       "MiB, found a larger one (zstd --long=28 or more) at "
                       "byte %llu of the compressed input",
                       (1u << NFB__BYTES_ZSTD_WINDOW_LOG_MAX) >> 20, at);
    case ZSTD_error_checksum_wrong:
        why = "checksum mismatch";
        break;
    case ZSTD_error_dictionary_wrong:
        why = "the frame needs a dictionary";
        break;
    case ZSTD_error_frameParameter_unsupported:
    case ZSTD_error_version_unsupported:
        why = "unsupported frame parameters";
        break;
    default:
        why = "corrupt block";
        break;
    }
    return damaged(b, offset,
                   "expected zstd data, found a corrupt stream (%s) at byte "
                   "%llu of the compressed input",
                   why, at);
}

/* Decompresses p[0..n) until it is used up or the frame ends; *used tells
 * how much was taken. */
static nfb_result zs_run(nfb__bytes *b, const unsigned char *p, size_t n,
                         size_t *used, nfb__bytes_sink sink, void *ctx)
{
    size_t pos = 0;
    nfb_result res = NFB_OK;
    int flush = 0; /* the last call filled the output */
    for (;;) {
        /* A call that only flushes takes no input: then a call that fails
         * has written nothing, and what came before the damage has all
         * been delivered. */
        size_t give = flush ? 0 : n - pos;
        if (give > b->zs_need) give = b->zs_need;
        ZSTD_inBuffer in = {p + pos, give, 0};
        ZSTD_outBuffer out = {b->out, NFB__BYTES_OUT, 0};
        size_t r = ZSTD_decompressStream(b->zs, &out, &in);
        if (ZSTD_isError(r)) {
            /* give ended at the end of the failing unit. */
            uint64_t end = b->in_offset + give;
            res = zs_error(b, r, end ? end - 1 : 0);
            break;
        }
        pos += in.pos;
        b->in_offset += in.pos;
        if ((res = deliver(b, b->out, out.pos, sink, ctx)) != NFB_OK) break;
        if (r == 0) {
            b->state = S_ZSTD_NEXT;
            break;
        }
        /* r is what the unit being read still needs, plus the next block
         * header's 3 bytes when a block (or the frame header) is being
         * read; the 3 are not given now so that the call that completes
         * the unit ends with it. When r has no such 3, the unit is
         * completed in two calls, the second ending with it. */
        b->zs_need = r > 3 ? r - 3 : r;
        flush = out.pos == out.size;
        if (!flush && pos == n) break;
    }
    *used = pos;
    return res;
}

/* ---- the state machine ----------------------------------------------- */

static nfb_result run(nfb__bytes *b, const unsigned char *p, size_t n,
                      nfb__bytes_sink sink, void *ctx);

/* Starts what a magic number (or its absence, m == M_NONE, at the start of
 * an input) says the input is. Its first bytes come next. */
static nfb_result start(nfb__bytes *b, int m)
{
    int first = b->state == S_DETECT;
    if (m == M_NONE) {
        b->state = S_PLAIN;
        b->format = NFB__BYTES_PLAIN;
    } else if (m == M_GZIP) {
        if (first && !gz_make(b)) return out_of_memory(b);
        b->format = NFB__BYTES_GZIP;
        b->state = S_GZIP;
    } else {
        if (first && !zs_make(b)) return out_of_memory(b);
        b->format = NFB__BYTES_ZSTD;
        b->state = S_ZSTD;
        b->zs_need = sizeof b->held; /* the magic number */
    }
    return NFB_OK;
}

/* The bytes held (some from earlier feeds) have been classified as m:
 * starts the format they begin and gives them to it, or reports trailing
 * garbage. */
static nfb_result decided(nfb__bytes *b, int m, nfb__bytes_sink sink, void *ctx)
{
    unsigned char h[sizeof b->held];
    size_t k = b->nheld;
    memcpy(h, b->held, k);
    b->nheld = 0;
    if (m == M_NONE && b->state != S_DETECT) {
        /* The last byte held is the first that matches no magic. */
        uint64_t at = b->in_offset + k - 1;
        return damaged(b, at,
                       "expected another %s or the end of the input, found "
                       "byte 0x%02x at byte %llu of the compressed input",
                       b->state == S_GZIP_NEXT ? "gzip member" : "zstd frame",
                       h[k - 1], (unsigned long long)at);
    }
    nfb_result res = start(b, m);
    return res == NFB_OK ? run(b, h, k, sink, ctx) : res;
}

static nfb_result run(nfb__bytes *b, const unsigned char *p, size_t n,
                      nfb__bytes_sink sink, void *ctx)
{
    nfb_result res = NFB_OK;
    while (n > 0 && res == NFB_OK) {
        size_t used = 0;
        switch (b->state) {
        case S_DETECT:
        case S_GZIP_NEXT:
        case S_ZSTD_NEXT: {
            unsigned want = b->state == S_DETECT      ? WANT_GZIP | WANT_ZSTD
                            : b->state == S_GZIP_NEXT ? WANT_GZIP
                                                      : WANT_ZSTD;
            size_t before = b->nheld;
            int m;
            do {
                b->held[b->nheld++] = p[used++];
                m = classify(b->held, b->nheld, want);
            } while (m == M_MORE && used < n);
            if (m == M_MORE) break;
            if (before > 0 || (m == M_NONE && b->state != S_DETECT)) {
                res = decided(b, m, sink, ctx);
            } else {
                /* All the bytes held are in p: they are read again from
                 * there, so that plain input is never copied. */
                b->nheld = 0;
                used = 0;
                res = start(b, m);
            }
            break;
        }
        case S_PLAIN:
            b->in_offset += n;
            used = n;
            res = deliver(b, p, n, sink, ctx);
            break;
        case S_GZIP:
            res = gz_run(b, p, n, &used, sink, ctx);
            break;
        case S_ZSTD:
            res = zs_run(b, p, n, &used, sink, ctx);
            break;
        default: /* S_DONE: ignored; S_END, S_FAILED: not reached */
            return NFB_OK;
        }
        p += used;
        n -= used;
    }
    return res;
}

/* ---- the interface --------------------------------------------------- */

void nfb__bytes_init(nfb__bytes *b, const nfb_allocator *a, nfb__diags *dg)
{
    memset(b, 0, sizeof *b);
    b->alloc = *a;
    b->dg = dg;
    nfb__bytes_begin(b, 0);
}

void nfb__bytes_begin(nfb__bytes *b, unsigned flags)
{
    if (b->state == S_FAILED) return;
    b->flags = flags;
    b->state = flags & NFB__BYTES_PLAIN_ONLY ? S_PLAIN : S_DETECT;
    b->format =
        flags & NFB__BYTES_PLAIN_ONLY ? NFB__BYTES_PLAIN : NFB__BYTES_UNKNOWN;
    b->in_offset = 0;
    b->nheld = 0;
}

nfb_result nfb__bytes_feed(nfb__bytes *b, const void *p, size_t n,
                           nfb__bytes_sink sink, void *ctx)
{
    if (b->state == S_FAILED) return NFB_ENOMEM;
    if (b->state == S_END) nfb__bytes_begin(b, b->flags);
    return run(b, p, n, sink, ctx);
}

nfb_result nfb__bytes_finish(nfb__bytes *b, nfb__bytes_sink sink, void *ctx)
{
    nfb_result res = NFB_OK;
    switch (b->state) {
    case S_FAILED:
        return NFB_ENOMEM;
    case S_DETECT: /* too short for a magic number: plain text */
        res = decided(b, M_NONE, sink, ctx);
        break;
    case S_GZIP:
    case S_ZSTD:
    case S_GZIP_NEXT:
    case S_ZSTD_NEXT: {
        int gzip = b->state == S_GZIP || b->state == S_GZIP_NEXT;
        int open = b->state == S_GZIP || b->state == S_ZSTD || b->nheld;
        uint64_t at = b->in_offset + b->nheld;
        if (open)
            res = damaged(b, at,
                          "expected the rest of the %s, found the end of "
                          "the input at byte %llu of the compressed input",
                          gzip ? "gzip member" : "zstd frame",
                          (unsigned long long)at);
        break;
    }
    default:
        break;
    }
    if (b->state != S_FAILED) b->state = S_END;
    return res;
}

int nfb__bytes_passing(const nfb__bytes *b)
{
    return b->format == NFB__BYTES_PLAIN && b->nheld == 0;
}

void nfb__bytes_free(nfb__bytes *b)
{
    if (!b->alloc.free_fn) return;
    if (b->gz_ready) inflateEnd(b->gz);
    nfb__free(&b->alloc, b->gz);
    ZSTD_freeDCtx(b->zs);
    nfb__free(&b->alloc, b->out);
    b->gz = NULL;
    b->gz_ready = 0;
    b->zs = NULL;
    b->out = NULL;
}
