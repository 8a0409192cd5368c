/* nfbackup: writers, which turn records into an output format.
 *
 * Writers are registered by name ("json", "yaml", "csv", "tsv", "xlsx"). A
 * writer buffers its output and hands it in large blocks to the caller's
 * write function. xlsx is a zip archive that libxlsxwriter writes to a file
 * by name: it writes the file named in the options' path, or, without one,
 * builds it in a temporary file and hands it to write at the end.
 *
 * Threads: any number of writers may run at once, one call at a time on
 * each (common.h). Ownership: the options are copied (columns is parsed
 * when the writer is made, path is opened then); the records written are
 * the caller's and are not kept after the call; the bytes handed to write
 * and the note handed to on_note are the writer's, valid during that call
 * only. Re-entry: from inside write or on_note, nfb_writer_record and
 * nfb_writer_end on the same writer return NFB_ESTATE and do nothing, and
 * nfb_writer_free does nothing; free it after the call returns. */
#ifndef NFBACKUP_WRITER_H
#define NFBACKUP_WRITER_H

#include <nfbackup/backup.h>
#include <nfbackup/common.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct nfb_writer nfb_writer;

/* Receives output bytes. Returns 0 on success, non-zero on failure (the
 * writer call then returns NFB_EWRITE). */
typedef int (*nfb_write_fn)(void *ctx, const void *data, size_t len);

/* Receives a note about values the format could not hold exactly (xlsx: a
 * size above 2^53 written as text). message is NUL-terminated and valid
 * during the call. */
typedef void (*nfb_note_fn)(void *ctx, const char *message);

enum {
    NFB_WRITE_PRETTY = 1u << 0,          /* json: indented */
    NFB_WRITE_ENVELOPE = 1u << 1,        /* each record as {"data": ...} */
    NFB_WRITE_ARRAY = 1u << 2,           /* one array/sequence of all records */
    NFB_WRITE_NO_HEADER = 1u << 3,       /* csv: no header row */
    NFB_WRITE_CRLF = 1u << 4,            /* csv: CRLF line ends */
    NFB_WRITE_NO_FORMULA_GUARD = 1u << 5 /* csv: no ' before =+-@ ... */
};

/* Make it with nfb_writer_options_init, or with a designated initializer
 * that sets .size = sizeof (nfb_writer_options): 0 is every option's
 * default. size says which fields the caller's header has; new fields are
 * added at the end only, with 0 as their default, so that a later library
 * reads none that an earlier header lacked. */
typedef struct nfb_writer_options {
    size_t size; /* sizeof (nfb_writer_options) as the caller compiled it:
                    set by nfb_writer_options_init */
    const nfb_allocator *allocator; /* NULL: malloc and free */
    nfb_write_fn write;             /* required */
    void *ctx;                      /* passed to write */
    unsigned flags;                 /* NFB_WRITE_*; a writer ignores the
                                       flags that do not concern it */
    const char *columns; /* csv, tsv, xlsx: comma-separated column names;
                            NULL: all */
    const char *path;    /* xlsx: the file to create or replace, by name
                            (write is then not needed); NULL: through
                            write */
    nfb_note_fn on_note; /* NULL: no notes */
    void *note_ctx;      /* passed to on_note */
    uint32_t sheet_rows; /* xlsx: records per sheet before the next one
                            (backups-2, ...); 0: 1048575, Excel's limit
                            with the header row */
} nfb_writer_options;

/* Fills the first size bytes of o with the defaults (all 0) and sets
 * o->size to size. Call it through nfb_writer_options_init, which passes
 * the size of the caller's struct. */
NFB_API void nfb_writer_options_init_size(nfb_writer_options *o, size_t size);

static inline void nfb_writer_options_init(nfb_writer_options *o)
{
    nfb_writer_options_init_size(o, sizeof *o);
}

/* A registered format. */
typedef struct nfb_format {
    const char *name;
    const char *description;
} nfb_format;

/* The i-th registered format, from 0, or NULL past the last. The result
 * points at static data. */
NFB_API const nfb_format *nfb_format_get(size_t i);

/* The name of the i-th column of csv, tsv and xlsx, from 0, in their
 * default order ("id", "config.size", ...), or NULL past the last: the
 * names the options' columns takes. The result points at static data. */
NFB_API const char *nfb_column_name(size_t i);

/* Makes a writer for format name; free it with nfb_writer_free. The
 * options are read up to opts->size, the fields they do not have taking
 * their defaults. On failure returns NULL and, when err is not NULL, says
 * why: NFB_EINVAL (no name or write function, options not made by
 * nfb_writer_options_init or a designated initializer with .size, or by a
 * later header than this library's, an unknown format or column (the text
 * lists the valid ones), a partial allocator), NFB_EIO (a file that cannot
 * be created; for xlsx, libxlsxwriter, loaded by the first xlsx writer,
 * that cannot be loaded), NFB_ENOMEM. On success err is NFB_OK and "". */
NFB_API nfb_writer *nfb_writer_new(const char *name,
                                   const nfb_writer_options *opts,
                                   nfb_error *err);

/* Writes one record. The record is not kept after the call. The record a
 * reader is handing its record callback is not checked again (the reader
 * checked it while reading): pass it unchanged, or change a copy, which is
 * checked as below. Returns
 * - NFB_OK;
 * - NFB_EINVAL, writing nothing, for a record no writer can write: an enum
 *   out of range (status, config.source.type when has_source_type,
 *   config.compressionType when has_compression_type, lastRestore.status
 *   when has_last_restore), a NULL string or destinations array with a
 *   non-zero length, a string (a date-time's text included) that is not
 *   strict UTF-8 as the reader takes it (no overlong form, surrogate or
 *   code point above U+10FFFF), or a retentionTime marked present whose
 *   text is not a JSON number (RFC 8259: "30", "-1.5e3"; not "", "1x",
 *   "01", "+1" or ".5"). The writer goes on: the next record is written
 *   as usual.
 * - NFB_ESTATE, writing nothing, after nfb_writer_end, or from inside the
 *   writer's write or on_note;
 * - NFB_EWRITE when the write function failed, or (xlsx) a file it
 *   writes by name, its temporary files included: errno then says why
 *   (ENOSPC, EFBIG, EDQUOT, or EIO when the finished workbook read back
 *   is not whole). NFB_ENOMEM when an allocation failed. The output is
 *   then incomplete, and later calls return the same code (until
 *   nfb_writer_end, which returns it once). */
NFB_API nfb_result nfb_writer_record(nfb_writer *w, const nfb_backup *b);

/* Ends the output (closes an array, writes a header with no records,
 * flushes the buffer). Call it once, after the last record: a second call,
 * like a record after it, returns NFB_ESTATE and writes nothing. Otherwise
 * returns NFB_OK, or the error that failed the writer (see
 * nfb_writer_record). */
NFB_API nfb_result nfb_writer_end(nfb_writer *w);

/* Frees the writer without flushing. NULL is allowed; from inside the
 * writer's write or on_note it does nothing. */
NFB_API void nfb_writer_free(nfb_writer *w);

#ifdef __cplusplus
}
#endif

#endif
