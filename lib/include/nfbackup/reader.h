/* nfbackup: the streaming reader.
 *
 * A reader turns bytes of saved API responses (every form: envelope, bare
 * backup, JS client result, API error, list page, CLI list, array, and any
 * number of them concatenated or one per line) into validated records.
 *
 * Encodings: gzip and zstd are decompressed (see NFB_READ_NO_DECOMPRESS);
 * a UTF-8 byte order mark is skipped; after a UTF-16 or UTF-32 one (LE or
 * BE) the text is transcoded to UTF-8 as it streams, and diagnostics name
 * lines, columns and offsets of that UTF-8 text (after the mark), as for a
 * UTF-8 input. A lone surrogate is a syntax error there (the record it is
 * in is not delivered). UTF-16 or UTF-32 without a mark is one syntax
 * error, and the rest of that input is ignored.
 *
 * Transport wrappers between JSON documents are skipped: HTTP/1.x and
 * HTTP/2 response heads (curl -i; 1xx heads too) and RFC 7464 record
 * separators (0x1E, jq --seq). The API error after a head names its status
 * line; a 4xx or 5xx head whose body is not an API error, or that has
 * none, is an NFB_CODE_API_ERROR diagnostic naming it.
 * Feed it chunks of any size with nfb_reader_feed and end each input with
 * nfb_reader_finish. Memory stays bounded by the limits below whatever
 * the input's length.
 *
 * Threads: any number of readers may run at once, one call at a time on
 * each (common.h). Ownership: the config, the names and the bytes fed are
 * the caller's and are not kept after the call (the config and names are
 * copied); records and diagnostics are the reader's, valid during their
 * callback only. Re-entry: from inside its own callbacks (on_record,
 * on_diag and its filter, on_input) a reader refuses nfb_reader_begin,
 * nfb_reader_feed, nfb_reader_finish, nfb_reader_read and
 * nfb_reader_feed_file with NFB_ESTATE, and nfb_reader_on_input,
 * nfb_reader_on_diag_filter and nfb_reader_free do nothing there;
 * nfb_reader_stats_get and nfb_reader_between_documents answer. To stop
 * from a callback, return non-zero; free the reader after the call
 * returns. */
#ifndef NFBACKUP_READER_H
#define NFBACKUP_READER_H

#include <stddef.h>
#include <stdint.h>

#include <nfbackup/backup.h>
#include <nfbackup/common.h>
#include <nfbackup/diag.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct nfb_reader nfb_reader;

/* Called once per valid record. b and its strings are valid only during the
 * call. Return 0 to go on, non-zero to stop: the feed or finish call then
 * returns NFB_STOPPED. */
typedef int (*nfb_record_fn)(void *ctx, const nfb_backup *b);

/* Called once per diagnostic. Return 0 to go on, non-zero to stop. */
typedef int (*nfb_diag_fn)(void *ctx, const nfb_diag *d);

enum {
    /* unknown fields are errors rather than warnings */
    NFB_READ_STRICT = 1u << 0,
    /* inputs are taken as they are: gzip and zstd (found by their magic
     * bytes, and read in constant memory) are not decompressed */
    NFB_READ_NO_DECOMPRESS = 1u << 1,
    /* the format of every input: JSON or YAML. Without either it is told
     * from each input's first bytes (after a BOM and white space): '{',
     * '[' or '"' is JSON; "---", '%', '#', "- " or a first line "key:" is
     * YAML (the Northflank CLI's -o yaml), unless a line that starts with
     * '{' or '[' follows it and any other "key:" lines (a "VERBOSE: ..." or
     * "Warning: ..." line before JSON, where YAML would fail); anything
     * else is JSON. When that guess fails, the first syntax error says
     * why the format was chosen. Both together make nfb_reader_new fail.
     * YAML is read into the same
     * records and diagnostics: a quoted scalar is a string; where the
     * schema wants a string, a plain scalar is that string as written
     * unless js-yaml 3 (the Northflank CLI's writer), PyYAML (YAML 1.1)
     * and the YAML 1.2 core schema all read it as a null, bool or number
     * (08, 0o17, 1e3 are strings; size: 1234 is a wrong type, as in JSON);
     * elsewhere plain scalars are typed by the YAML 1.2 core schema.
     * Aliases, anchors, merge keys and tags other than !!str, !!map and
     * !!seq are refused, never expanded. */
    NFB_READ_JSON = 1u << 2,
    NFB_READ_YAML = 1u << 3,
    /* warnings are counted (nfb_reader_stats) but never given to on_diag,
     * and so never formatted: for a caller that would not show them.
     * Errors are reported as usual. */
    NFB_READ_NO_WARNINGS = 1u << 4
};

/* Make it with nfb_reader_config_init, then set what differs from the
 * defaults: size says which fields the caller's header has, and new
 * fields are added at the end only, so that a later library reads none
 * that an earlier header lacked and gives them their defaults. */
typedef struct nfb_reader_config {
    size_t size; /* sizeof (nfb_reader_config) as the caller compiled it:
                    set by nfb_reader_config_init */
    const nfb_allocator *allocator; /* NULL: malloc and free */
    nfb_record_fn on_record;        /* may be NULL */
    nfb_diag_fn on_diag;            /* may be NULL */
    void *ctx;                      /* passed to both callbacks */
    unsigned flags;                 /* NFB_READ_* */
    size_t max_depth;  /* nesting of arrays and objects; default 64 */
    size_t max_string; /* bytes of one string, key or number; default
                          1 MiB */
    size_t max_record; /* arena bytes of one record; default 4 MiB */
    size_t max_diags;  /* errors reported per document, and warnings
                          apart; default 100 each, then one "limit"
                          diagnostic for the severity past it */
} nfb_reader_config;

/* The limits: their defaults, and the largest values a reader takes
 * (nfb_reader_new refuses more: a token is held whole in memory, and
 * every level of nesting has its frame). */
#define NFB_DEFAULT_MAX_DEPTH 64
#define NFB_DEFAULT_MAX_STRING ((size_t)1 << 20)
#define NFB_DEFAULT_MAX_RECORD ((size_t)4 << 20)
#define NFB_DEFAULT_MAX_DIAGS 100
#define NFB_MAX_DEPTH_LIMIT 100000
#define NFB_MAX_STRING_LIMIT ((size_t)1 << 30)

/* Fills the first size bytes of cfg with the defaults (no callbacks, no
 * flags, default limits) and sets cfg->size to size. Call it through
 * nfb_reader_config_init, which passes the size of the caller's struct. */
NFB_API void nfb_reader_config_init_size(nfb_reader_config *cfg, size_t size);

static inline void nfb_reader_config_init(nfb_reader_config *cfg)
{
    nfb_reader_config_init_size(cfg, sizeof *cfg);
}

/* Makes a reader; free it with nfb_reader_free. The config is copied:
 * its first cfg->size bytes, the fields it does not have taking their
 * defaults. Returns NULL when out of memory, when cfg is NULL or was not
 * made by nfb_reader_config_init (size too small) or by a later header
 * than this library's (size too large), a limit is 0, max_depth is over
 * NFB_MAX_DEPTH_LIMIT, max_string over NFB_MAX_STRING_LIMIT, both formats
 * are forced, or the allocator is only partly set. err (may be NULL) then
 * says why: NFB_EINVAL for a bad config (the text names it), NFB_ENOMEM;
 * on success it is NFB_OK and "". */
NFB_API nfb_reader *nfb_reader_new(const nfb_reader_config *cfg,
                                   nfb_error *err);

/* Starts a new input named name (a file name, "<stdin>"); the name is
 * copied. Positions and document indexes restart at the beginning. An
 * input begins implicitly with name "<input>" if feed is called first.
 * An input begun and not finished is finished first, exactly as by
 * nfb_reader_finish: a document left open in it is reported; then that
 * call's result is returned if it is not NFB_OK. */
NFB_API nfb_result nfb_reader_begin(nfb_reader *r, const char *name);

/* Parses the next len bytes of the current input. Records and diagnostics
 * are delivered through the callbacks before it returns. An archive, or an
 * xz, bzip2, lz4 or lzma stream, is not read from pushed bytes: it gets
 * one diagnostic saying so (read it with nfb_reader_read). A value cut at
 * the end of the chunk is completed by the next one; this is why the end
 * of an input must be announced with nfb_reader_finish. */
NFB_API nfb_result nfb_reader_feed(nfb_reader *r, const void *buf, size_t len);

/* Ends the current input: a number at the very end is completed, and a
 * value left open is reported as truncated. */
NFB_API nfb_result nfb_reader_finish(nfb_reader *r);

/* Reads an input through read: read(ctx, buf, len) puts up to len bytes
 * in buf and returns how many, 0 at the end of the input, or -1 with errno
 * set (EINTR: it is called again). The input is told by its first bytes,
 * not by its name:
 *
 *   - a tar archive (plain, or compressed by gzip, zstd, xz, bzip2, lz4
 *     or lzma) or a zip archive (a 7z archive is one diagnostic: its
 *     index is at its end, out of a stream's reach): each regular member is an
 * input of its own, named "NAME:MEMBER" (a control byte of MEMBER written as
 *     \xHH). A directory is skipped; a link or other special member gets
 *     one diagnostic and is not followed; a member that is not text (NUL
 *     bytes or invalid UTF-8 in its first line, after gzip or zstd is
 *     decompressed) gets one diagnostic. Damage in the archive is one
 *     diagnostic (what libarchive says), the members before it count, and
 *     the rest of the archive is not read.
 *   - a single xz, bzip2, lz4 or lzma stream: its text, as the input name.
 *   - anything else: begun with name, fed in 64 KiB chunks and finished,
 *     gzip and zstd decompressed as nfb_reader_feed does.
 *
 * With NFB_READ_NO_DECOMPRESS every input takes the last path. Member
 * bytes are read in chunks: their sizes never set memory. Returns the
 * first result other than NFB_OK of the begin, feed and finish calls, or
 * NFB_EIO when a call of read failed (errno as it left it; the input is
 * left open as after a feed, or not begun at all when the first read
 * failed; read is not called again once the rest of a damaged archive is
 * left unread, so a failure after it is not seen),
 * NFB_EINVAL when r or read is NULL. Damage in an input
 * is a diagnostic, not a result. */
typedef ptrdiff_t (*nfb_read_fn)(void *ctx, void *buf, size_t len);

NFB_API nfb_result nfb_reader_read(nfb_reader *r, const char *name,
                                   nfb_read_fn read, void *ctx);

/* Called when the text of an archive's member begins, before its first
 * record: archive is the name given to nfb_reader_read (or
 * nfb_reader_feed_file), member the member's name as the archive holds
 * it (not escaped; it may be absolute or hold ".."). Both are valid only
 * during the call. A member that is not read (a link, binary data, an
 * archive inside) gets its diagnostic and no call; a plain input or a
 * single xz, bzip2, lz4 or lzma stream gets none either. Return 0 to go
 * on, non-zero to stop: the call reading the member then returns
 * NFB_STOPPED. */
typedef int (*nfb_input_fn)(void *ctx, const char *archive, const char *member);

/* Sets the reader's nfb_input_fn (NULL: none) and the ctx it is given.
 * r NULL does nothing. */
NFB_API void nfb_reader_on_input(nfb_reader *r, nfb_input_fn fn, void *ctx);

/* A list page: a response {"data": {"backups": [...]}, "pagination": ...}
 * (GET .../backups), or the CLI's list {"backups": [...]}, whose object
 * was read to its end (a page cut short gets no call). */
typedef struct nfb_list_page {
    const char *input;  /* the current input's name (an archive member:
                           "NAME:MEMBER"), valid only during the call */
    uint64_t document;  /* its index in the input, 1-based, as diagnostics
                           count them */
    uint64_t backups;   /* elements of its "backups" array, valid or not */
    int has_pagination; /* "pagination" is an object (never for the CLI's
                           list) */
    int has_next_page;  /* its "hasNextPage" is true: the API has more
                           pages after this one */
} nfb_list_page;

/* Called once per list page, after the page's records, when its object
 * ends. Return 0 to go on, non-zero to stop (as nfb_input_fn). */
typedef int (*nfb_list_page_fn)(void *ctx, const nfb_list_page *page);

/* Sets the reader's nfb_list_page_fn (NULL: none) and the ctx it is given,
 * apart from nfb_reader_config as nfb_reader_on_input is. r NULL does
 * nothing. */
NFB_API void nfb_reader_on_list_page(nfb_reader *r, nfb_list_page_fn fn,
                                     void *ctx);

/* nfb_reader_read on the file at path, named path ("-" is stdin, named
 * "<stdin>"). Returns as nfb_reader_read, or NFB_EIO when the file cannot
 * be opened, with errno telling why. */
NFB_API nfb_result nfb_reader_feed_file(nfb_reader *r, const char *path);

/* Counts since the reader was made. New counts are added at the end. */
typedef struct nfb_reader_stats {
    uint64_t documents; /* top-level values */
    uint64_t records;   /* records delivered to on_record */
    uint64_t errors;    /* diagnostics of severity error (strict included) */
    uint64_t warnings;  /* diagnostics of severity warning */
    uint64_t bytes;     /* input bytes fed */
} nfb_reader_stats;

/* Writes the first size bytes of the reader's counts into out. Call it
 * through nfb_reader_stats_get, which passes the size of the caller's
 * struct, so that a later library writes no count it lacks. */
NFB_API void nfb_reader_stats_get_size(const nfb_reader *r,
                                       nfb_reader_stats *out, size_t size);

static inline void nfb_reader_stats_get(const nfb_reader *r,
                                        nfb_reader_stats *out)
{
    nfb_reader_stats_get_size(r, out, sizeof *out);
}

/* Frees the reader and all it owns. NULL is allowed; from inside one of
 * the reader's callbacks it does nothing. */
NFB_API void nfb_reader_free(nfb_reader *r);

/* 1 when the current JSON input is between documents: no document open,
 * no damage being skipped, no token or byte held back, the BOM and the
 * format behind. The bytes fed from here on are then read as a new
 * reader would read them after nfb_reader_begin with NFB_READ_JSON and
 * NFB_READ_NO_DECOMPRESS (when they do not start with a BOM), apart from
 * the positions and document indexes, which go on. This is what lets a
 * caller read parts of one input in parallel. 0 otherwise (YAML, a
 * compressed or transcoded input, inside an HTTP head or before the end
 * of the body after one, no input begun, out of memory, stopped). */
NFB_API int nfb_reader_between_documents(const nfb_reader *r);

/* Inside a list page, what lets a caller read its elements in parallel:
 * 1 when the current JSON input began {"data":{"backups":[ (an API list
 * page), 2 when it began {"backups":[ (a CLI list), with no other key
 * before, and the last bytes fed were an element of that array and the
 * ',' after it, no damage being skipped, no token or byte held back. The
 * bytes fed from here on, when they begin with the next element, are then
 * read as a new reader would read them after being fed those 20 (or 12)
 * bytes, apart from the positions, the document index, the elements'
 * indexes (paths such as data.backups[N]; *elements, when not NULL, is
 * set to the elements before the next one) and the diagnostics shown per
 * document (max_diags). 0 otherwise, as nfb_reader_between_documents. */
NFB_API int nfb_reader_before_list_element(const nfb_reader *r,
                                           uint64_t *elements);

/* Asked, before a diagnostic is formatted, whether on_diag is to have it:
 * for a caller that shows only some diagnostics (a run of alike ones
 * folded into a count, a cap of its own), so that one it would not show
 * costs its counting only, never its message or its line and column.
 * d has the severity, code, input, document and path on_diag would get
 * (the per-document cap's notice too: NFB_CODE_LIMIT, path ""); its
 * offset, line and column are 0 and its message NULL. It is valid only
 * during the call. Return non-zero to have the diagnostic delivered to
 * on_diag, complete, as it is without a filter; 0 to have it only counted
 * (nfb_reader_stats counts it either way; max_diags counts only what
 * on_diag is given, so a notice left out is asked for again with the
 * next diagnostic past the cap). It is called for every diagnostic that
 * would reach on_diag, so not when on_diag is NULL, not for warnings
 * under NFB_READ_NO_WARNINGS, not after a callback asked to stop; on_diag
 * is called right after it returns non-zero, with nothing else between.
 * It is one of the reader's callbacks (re-entry: above). */
typedef int (*nfb_diag_filter_fn)(void *ctx, const nfb_diag *d);

/* Sets the reader's nfb_diag_filter_fn (NULL: none, every diagnostic is
 * delivered) and the ctx it is given, apart from nfb_reader_config as
 * nfb_reader_on_input is. r NULL, or a call from inside one of the
 * reader's callbacks, does nothing. */
NFB_API void nfb_reader_on_diag_filter(nfb_reader *r, nfb_diag_filter_fn fn,
                                       void *ctx);

#ifdef __cplusplus
}
#endif

#endif
