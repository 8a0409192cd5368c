/* The pull side of the reader: nfb_reader_read and nfb_reader_feed_file
 * (reader.h). An input is read through the caller's read function; its
 * first bytes (up to 64 KiB, held) say what it is:
 *
 *   a tar archive (plain, or compressed by gzip, zstd, xz, bzip2, lz4 or
 *   lzma), a zip or a 7z archive, or a single xz, bzip2, lz4 or lzma
 *   stream: read by libarchive, each regular member an input of its own,
 *   named "ARCHIVE:MEMBER" (a single stream: the input's own name);
 *
 *   anything else (text, gzip and zstd files that are not a tar): pushed
 *   through nfb_reader_begin, nfb_reader_feed and nfb_reader_finish, the
 *   byte layer (bytes.c) decompressing gzip and zstd as it does for any
 *   pushed input.
 *
 * A gzip or zstd input is a tar when its first decompressed 512 bytes are
 * a tar header (sniff.h); they are decompressed from the held bytes only,
 * so nothing is read twice and a pipe works as a file does.
 *
 * Members: a directory is skipped; a link, device, FIFO or socket gets one
 * diagnostic and is not followed; a regular member's bytes go through the
 * byte layer like any input's, so a .gz member is decompressed, and the
 * reader then refuses, with one diagnostic, a member that is not text
 * (reader.c, not_text). Damage in the archive (what libarchive reports)
 * is one diagnostic, under the member being read or the archive's name;
 * the members before it count, and the rest of that archive is not read.
 *
 * Memory: two 64 KiB buffers from the reader's allocator, and libarchive's
 * own state (from malloc: libarchive takes no allocator), whose size
 * depends on the format (an xz stream's dictionary, up to 64 MiB for xz
 * -9; a 7z's header) but not on the length of the members, which are read
 * in 64 KiB chunks.
 *
 * What pull.c needs of reader.c, beyond the public API, is declared
 * here; reader.c defines it. */
#ifndef NFB_PULL_H
#define NFB_PULL_H

#include "common/report.h"

/* The gate of the API's calls (reader.c): 1 and the reader marked busy,
 * or 0 when it already is (a call from inside one of its callbacks, to
 * be refused with NFB_ESTATE). nfb__reader_leave unmarks it. */
int nfb__reader_enter(nfb_reader *r);
void nfb__reader_leave(nfb_reader *r);

/* nfb_reader_begin, nfb_reader_feed and nfb_reader_finish inside a call
 * that went through the gate. */
nfb_result nfb__reader_begin(nfb_reader *r, const char *name);
nfb_result nfb__reader_feed(nfb_reader *r, const void *buf, size_t len);
nfb_result nfb__reader_finish(nfb_reader *r);

/* nfb_reader_begin for a member of an archive: the reader refuses binary
 * data in it, and a format forced by the config does not cut short the
 * look at its first line. When member is not NULL, nfb_reader_on_input's
 * callback gets archive and member once its text is found (both must
 * live until the member is finished). */
nfb_result nfb__reader_begin_member(nfb_reader *r, const char *name,
                                    const char *archive, const char *member);

/* Ends the current input without a diagnostic of its own (the archive's
 * damage was reported): a document left open in it is dropped. */
void nfb__reader_abandon(nfb_reader *r);

nfb__diags *nfb__reader_diags(nfb_reader *r);
const nfb_allocator *nfb__reader_allocator(const nfb_reader *r);
unsigned nfb__reader_flags(const nfb_reader *r);

#endif
