/* The byte layer: the bytes of one input, as the front ends are to read
 * them. An input that starts with a gzip or zstd magic number is
 * decompressed in-process, in constant memory; any other input passes
 * through untouched and uncopied.
 *
 * Detection looks only at the first bytes of each input (they may arrive
 * split across feeds of any size):
 *
 *   1f 8b          gzip (RFC 1952); any number of members, one after the
 *                  other, as `cat a.gz b.gz` and `gzip -c >>` make them
 *   28 b5 2f fd    a zstd frame (RFC 8878)
 *   5? 2a 4d 18    a zstd skippable frame (pzstd starts its files with one)
 *
 * A zstd input is any number of frames, skippable ones included. Whatever
 * follows the end of a gzip member or zstd frame must start another one of
 * the same kind: anything else is trailing garbage, an error.
 *
 * Memory: one output buffer of NFB__BYTES_OUT bytes and the decompressor's
 * state, made on the first compressed input and kept for the next ones;
 * plain input allocates nothing. zlib needs about 44 KiB; zstd allocates
 * the window its frame declares (at most the input's size): 8 MiB at most
 * for `zstd -19`, 2 MiB for the default level, 3, on large files, and up
 * to 128 MiB for `zstd --long=27` or `--ultra -22`.
 * NFB__BYTES_ZSTD_WINDOW_LOG_MAX caps it at 128 MiB, zstd's own default
 * limit (what `zstd -d` reads without --memory); frames that need more
 * (`--long=28` and over) are refused.
 * All of it comes from the caller's allocator, zlib's and zstd's included.
 *
 * Errors in compressed data (corrupt, truncated, trailing garbage, a window
 * over the limit) are diagnostics of code NFB_CODE_SYNTAX reported through
 * nfb__report, at a position whose offset is a 0-based byte offset in the
 * compressed input and whose line and column are 0 (compressed bytes have
 * no lines). The offset of a corrupt stream is where the decompressor
 * noticed the damage: the damaged byte itself or a later one (zlib notices
 * a changed literal only at the checksum after it; zstd checks whole
 * blocks). What was decompressed before the damage has gone to the sink;
 * nothing more of that input does, and the call still returns NFB_OK.
 *
 * Not thread-safe; no globals: any number of these may run at once. */
#ifndef NFB_BYTES_H
#define NFB_BYTES_H

#include "common/report.h"

/* The most decompressed bytes handed to the sink in one call. */
#define NFB__BYTES_OUT ((size_t)64 * 1024)

/* The largest zstd window accepted, as a power of two: 2^27 = 128 MiB.
 * The fuzz build lowers it (fuzz/CMakeLists.txt): a sanitizer fills every
 * 128 MiB block it frees, which would make each input declaring such a
 * window take seconds. */
#ifndef NFB__BYTES_ZSTD_WINDOW_LOG_MAX
#define NFB__BYTES_ZSTD_WINDOW_LOG_MAX 27
#endif

/* Receives the bytes of the input: n > 0 bytes at p, valid only during the
 * call. Returns 0 to go on, or a non-zero value (an nfb_result such as
 * NFB_STOPPED or NFB_ENOMEM) that the feed or finish call then returns
 * unchanged; the rest of that input is then ignored. */
typedef int (*nfb__bytes_sink)(void *ctx, const unsigned char *p, size_t n);

/* Flags of nfb__bytes_begin. */
enum {
    /* no detection: every byte passes through, magic numbers included */
    NFB__BYTES_PLAIN_ONLY = 1u << 0
};

/* What the current input turned out to be. */
typedef enum nfb__bytes_format {
    NFB__BYTES_UNKNOWN, /* not decided yet: fewer bytes than a magic */
    NFB__BYTES_PLAIN,
    NFB__BYTES_GZIP,
    NFB__BYTES_ZSTD
} nfb__bytes_format;

struct z_stream_s;
struct ZSTD_DCtx_s;

/* Fields are private to bytes.c, but for the two marked "read". */
typedef struct nfb__bytes {
    nfb_allocator alloc;
    nfb__diags *dg;
    unsigned flags;
    int state;                /* see bytes.c */
    nfb__bytes_format format; /* read: the current input's format */
    uint64_t in_offset;    /* read: input bytes consumed of the current input */
    unsigned char held[4]; /* the start of a magic number, not yet decided */
    size_t nheld;
    unsigned char *out;     /* NFB__BYTES_OUT bytes, made on first use */
    struct z_stream_s *gz;  /* inflate state, made on the first gzip input */
    int gz_ready;           /* inflateInit2 succeeded: inflateEnd on free */
    struct ZSTD_DCtx_s *zs; /* made on the first zstd input */
    size_t zs_need;         /* the most input to give zstd's next call */
} nfb__bytes;

/* Prepares b; allocates nothing. a (not NULL) is copied; dg (not NULL)
 * receives the diagnostics and must outlive b. Free b with
 * nfb__bytes_free. */
void nfb__bytes_init(nfb__bytes *b, const nfb_allocator *a, nfb__diags *dg);

/* Starts a new input with flags NFB__BYTES_*: the previous input's format,
 * offset and any error are forgotten and detection restarts. Decompressor
 * state made for an earlier input is kept and reused. feed may be called
 * without begin for the first input (flags 0). */
void nfb__bytes_begin(nfb__bytes *b, unsigned flags);

/* Takes the next n bytes of the current input (n may be 0) and hands what
 * they decode to (or, for plain input, p itself) to sink before it
 * returns. Up to 3 bytes that might start a magic number are held back
 * until the next feed or finish decides. Returns NFB_OK (invalid
 * compressed data included: it is a diagnostic), NFB_STOPPED when the
 * diagnostic callback asked to stop, the sink's non-zero value, or
 * NFB_ENOMEM: then dg->failed is set and every later feed or finish
 * returns NFB_ENOMEM; b can only be freed. After NFB_STOPPED or a sink's
 * value, the rest of the input is ignored until the next begin. */
nfb_result nfb__bytes_feed(nfb__bytes *b, const void *p, size_t n,
                           nfb__bytes_sink sink, void *ctx);

/* Ends the current input: bytes held back are handed to sink as plain
 * text (a 1-byte input "\x1f" is not gzip), and a gzip member or zstd frame
 * left open is reported as truncated at the input's length. Returns as
 * nfb__bytes_feed. The next input needs nfb__bytes_begin. */
nfb_result nfb__bytes_finish(nfb__bytes *b, nfb__bytes_sink sink, void *ctx);

/* 1 when the current input is plain bytes and none is held back: every
 * byte fed from here on reaches the sink as it is, at once. */
int nfb__bytes_passing(const nfb__bytes *b);

/* Frees what b owns. b may be zero-filled or already freed (then nothing
 * happens); it must be initialised again before any other use. */
void nfb__bytes_free(nfb__bytes *b);

#endif
