/* libarchive, loaded the first time an archive or an xz, bzip2, lz4 or
 * lzma stream is read, so that a program that reads none (most runs: JSON
 * and YAML, plain or gzip/zstd) neither maps it nor the libraries it
 * brings (libxml2, ICU, libcrypto, nettle...): they double the memory and
 * the start-up time of a run.
 *
 * The table holds the libarchive functions that pull.c calls, each typed
 * by libarchive's own declaration (so a mismatch does not compile). It is
 * loaded once per process (pthread_once), then read-only: any number of
 * readers in any threads may use it. */
#ifndef NFB_LA_LOAD_H
#define NFB_LA_LOAD_H

#include <archive.h>
#include <archive_entry.h>

/* The functions, named without their "archive_" prefix. */
#define NFB__LA_FUNCTIONS(X)                                                   \
    X(read_new)                                                                \
    X(read_free)                                                               \
    X(read_open)                                                               \
    X(read_next_header)                                                        \
    X(read_data)                                                               \
    X(format)                                                                  \
    X(error_string)                                                            \
    X(set_error)                                                               \
    X(read_support_filter_gzip)                                                \
    X(read_support_filter_zstd)                                                \
    X(read_support_filter_xz)                                                  \
    X(read_support_filter_bzip2)                                               \
    X(read_support_filter_lz4)                                                 \
    X(read_support_filter_lzma)                                                \
    X(read_support_format_tar)                                                 \
    X(read_support_format_zip)                                                 \
    X(read_support_format_raw)                                                 \
    X(entry_pathname)                                                          \
    X(entry_hardlink)                                                          \
    X(entry_symlink)                                                           \
    X(entry_filetype)

typedef struct nfb__la {
#define NFB__LA_FIELD(f) __typeof__(archive_##f) *f;
    NFB__LA_FUNCTIONS(NFB__LA_FIELD)
#undef NFB__LA_FIELD
} nfb__la;

/* The table, loaded on the first call; NULL when libarchive (the shared
 * library NFB_LIBARCHIVE_SONAME) cannot be loaded or lacks a function,
 * with *why saying so (a static text). */
const nfb__la *nfb__la_load(const char **why);

#endif
