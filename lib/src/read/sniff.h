/* Magic bytes: what the first bytes of an input or of its decompressed text
 * are, when they are not JSON or YAML text. Pure functions of the bytes;
 * used by the pull side (pull.c), to choose between libarchive and the
 * push path, and by the reader (reader.c), to refuse with one diagnostic
 * an archive or a stream it was pushed and cannot read. */
#ifndef NFB_SNIFF_H
#define NFB_SNIFF_H

#include "common/internal.h"

typedef enum nfb__sniff_kind {
    NFB__SNIFF_NONE,  /* none of the below: text, or bytes of no known kind */
    NFB__SNIFF_GZIP,  /* 1f 8b */
    NFB__SNIFF_ZSTD,  /* a zstd frame or skippable frame */
    NFB__SNIFF_TAR,   /* a tar header: "ustar" at 257, or a valid v7 sum */
    NFB__SNIFF_ZIP,   /* "PK" 03 04, 05 06 (empty) or 07 08 (spanned) */
    NFB__SNIFF_7Z,    /* "7z" bc af 27 1c */
    NFB__SNIFF_XZ,    /* fd "7zXZ" 00 */
    NFB__SNIFF_BZIP2, /* "BZh" and a block size digit */
    NFB__SNIFF_LZ4,   /* an lz4 frame (04 22 4d 18) or legacy frame */
    NFB__SNIFF_LZMA   /* an lzma_alone header (5d 00 00, as file(1)) */
} nfb__sniff_kind;

/* The longest prefix nfb__sniff needs to decide: a tar header. */
#define NFB__SNIFF_MAX 512

/* What p[0..n) starts with. Fewer than NFB__SNIFF_MAX bytes cannot be a
 * tar header. */
nfb__sniff_kind nfb__sniff(const unsigned char *p, size_t n);

/* 1 when p[0..n) (n >= 512) is a tar header: "ustar" at 257 (POSIX and
 * GNU), or a v7 header whose checksum field matches its bytes; never when
 * a newline comes before the first NUL of its 512 bytes (text, as any
 * shorter prefix holding that newline says). */
int nfb__sniff_tar(const unsigned char *p, size_t n);

/* "a tar archive", "an xz stream", ...: for diagnostics. */
const char *nfb__sniff_name(nfb__sniff_kind k);

#endif
