/* The nfbackup command: shared declarations of its parts. */
#ifndef NFB_CLI_H
#define NFB_CLI_H

#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include <nfbackup/nfbackup.h>

/* printf-like functions checked by the compiler, where it can. */
#if defined(__has_attribute)
#if __has_attribute(format)
#define CLI_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#endif
#elif defined(__GNUC__)
#define CLI_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#endif
#ifndef CLI_PRINTF
#define CLI_PRINTF(fmt, args)
#endif

/* Exit codes. */
enum { EXIT_VALID = 0, EXIT_INVALID = 1, EXIT_USAGE = 2, EXIT_IO = 3 };
/* nfbackup diff: 1 (EXIT_INVALID) says the inputs differ; this says some
 * input was invalid. */
enum { EXIT_DIFF_INVALID = 4 };

/* report.c: diagnostics and messages on stderr, through one buffer (see
 * report.c); everything the tool prints on stderr goes through it, so that
 * the order stays. */
enum { REPORT_CODES = 64 }; /* room for every nfb_code */
enum { REPORT_PER_DOC = 100, REPORT_IN_A_ROW = 100 };

typedef struct report {
    int json;           /* --diagnostics=json */
    int color;          /* ANSI colors */
    int quiet;          /* -q: no warnings and no summary */
    int capped;         /* --max-diagnostics was given */
    uint64_t max_shown; /* its value */
    uint64_t shown, not_shown;
    uint64_t count[2][REPORT_CODES]; /* [is error][code] */
    uint64_t notices; /* the reader's "more diagnostics in this document" */
    uint64_t capped_codes[REPORT_CODES]; /* not shown by --max-diagnostics */
    /* At most REPORT_PER_DOC errors and as many warnings of one document
     * are printed, and at most REPORT_IN_A_ROW alike diagnostics (same
     * input, severity, code and path) in a row; what is left out is told
     * by code in one line before the next one printed (see report.c). */
    char *input;                 /* the current input's name (a copy) */
    uint64_t doc;                /* its document */
    uint64_t doc_shown[2];       /* [is error] printed of that document */
    int run_sev, run_code;       /* the run of alike diagnostics */
    char run_path[256];          /* its path ("" and run_long: too long) */
    size_t run_plen;             /* its length (with run_long: any) */
    int run_long;                /* the path did not fit: no run */
    uint64_t run_len;            /* its length so far */
    uint64_t held[REPORT_CODES]; /* left out since the last line printed */
    uint64_t held_n;
    unsigned held_why; /* HELD_PER_DOC | HELD_IN_A_ROW */
} report;

/* At start: line by line when stderr is a terminal; flush at exit. */
void report_setup(void);
/* With --diagnostics=json every line is a JSON object, messages too. */
void report_set_json(int json);
int report_json(void); /* what report_set_json set */
/* A usage error: "nfbackup: MESSAGE" and the line that points to --help,
 * or with JSON diagnostics an error and a note. */
void report_usage(const char *fmt, ...) CLI_PRINTF(1, 2);
/* A message of the given severity ("error", "warning" or "note") whose
 * text is given as it is (escaped as every message is). */
void report_message(const char *severity, const char *text);
/* Writes what is buffered, and from then on writes to fd rather than to
 * fd 2 (STDERR_FILENO: to fd 2 again); see output_capture_begin. */
void report_stderr_fd(int fd);
/* A diagnostic of the reader, in two steps: report_keep (an
 * nfb_diag_filter_fn) counts it and decides whether it is printed (-q, the
 * caps, the runs of alike ones), report_print (an nfb_diag_fn) prints one
 * kept. A reader gets them as its filter and on_diag, so that what is not
 * printed is never formatted; report_diag is both in turn, for
 * diagnostics given whole (-j's replay). Each returns as the callback it
 * is; after a failed write report_keep keeps every diagnostic and
 * report_print says to stop. */
int report_keep(void *ctx, const nfb_diag *d);
int report_print(void *ctx, const nfb_diag *d);
int report_diag(void *ctx, const nfb_diag *d);
void report_errorf(const char *fmt, ...) CLI_PRINTF(1, 2);
/* A warning of the tool itself ("nfbackup: warning: ..."). */
void report_warnf(const char *fmt, ...) CLI_PRINTF(1, 2);
/* A note of the tool itself ("nfbackup: ..."), as the summary is. */
void report_notef(const char *fmt, ...) CLI_PRINTF(1, 2);
/* At the end: the line saying how many diagnostics --max-diagnostics kept
 * back, and, when st is not NULL and not quiet, the summary of st with
 * the count of each code. */
void report_end(report *rp, const nfb_reader_stats *st);
/* Writes what is buffered. Returns -1 when stderr could not be written
 * (a closed pipe is not a failure: it ends the diagnostics quietly). */
int report_flush(void);
/* The last flush, stdio's stderr included; -1 as report_flush. */
int report_finish(void);
/* From a signal handler: writes the whole lines buffered. */
void report_flush_on_signal(void);

/* output.c: where converted records go. */
typedef struct output {
    const char *path; /* as given; NULL: stdout */
    const char *dest; /* the file renamed onto (symbolic links followed) */
    int fd;
    char *tmp;       /* the temporary file that becomes dest */
    int direct;      /* not a regular file or a new name: written in place */
    int broken_pipe; /* the reader of stdout went away */
    int error;       /* errno of a failed write */
    int bom;         /* --bom: a UTF-8 byte order mark before the first
                        bytes written (then cleared) */
} output;

/* At start, before anything is opened: fds 0-2 open (/dev/null for a
 * closed one), SIGPIPE and SIGXFSZ ignored, and the handlers that remove
 * the temporary file on every catchable signal. Returns -1 on failure. */
int output_init(void);
int output_open(output *o, const char *path);
int output_write(void *ctx, const void *data, size_t len); /* nfb_write_fn */
/* Makes the output final: flushes, renames the temporary file. On failure
 * (or when discard is set) the destination is left as it was. Returns 0 on
 * success. */
int output_close(output *o, int discard);
/* What a library prints on stderr itself (libxlsxwriter's "[ERROR] ..."
 * lines), made messages of the tool: between output_capture_begin and
 * output_capture_end fd 2 is an anonymous file, and the tool's own
 * messages go to where stderr was; the end puts stderr back and reports
 * each line captured as an error ("[ERROR]"), a warning ("[WARNING]") or
 * a note. A capture that cannot be set up captures nothing (fd -1). */
typedef struct capture {
    int fd;    /* the anonymous file, or -1 */
    int saved; /* stderr, while fd 2 is the file */
} capture;
void output_capture_begin(capture *c);
void output_capture_end(capture *c);

/* input.c: feeds the named file (or stdin: "-") to a reader, or, when
 * jobs is not NULL and asks for more than one thread, to parallel_feed
 * where it can read it. Returns 0, or EXIT_IO after reporting an
 * unreadable input, or -1 when the reader was stopped or failed (res
 * tells which). */
typedef struct input_jobs {
    int jobs;                     /* -j */
    const nfb_reader_config *cfg; /* the run's callbacks */
    int records;                  /* the run wants the records */
    nfb_reader_stats *acc;        /* gets the counts of files read by -j */
    nfb_list_page_fn on_page;     /* the reader's list page callback, with */
    void *page_ctx;               /* its ctx: -j reports the pages too */
} input_jobs;
int input_feed(nfb_reader *r, const char *path, const input_jobs *jobs,
               nfb_result *res);

/* batch.c: the inputs of a run, and where --output-dir writes each. */
enum {
    BATCH_FILE,        /* read it (a file, stdin, or a name to try) */
    BATCH_NOT_REGULAR, /* found in a folder: not a file or folder */
    BATCH_UNLISTED,    /* a folder that could not be listed (err) */
    BATCH_LOOP,        /* a link to a folder it is in: not followed */
    BATCH_EMPTY        /* a folder given that holds no file to read */
};
typedef struct batch_input {
    char *path; /* as given, or as found under a folder given */
    int kind;   /* BATCH_* */
    int err;    /* errno, for BATCH_UNLISTED */
} batch_input;
typedef struct batch {
    batch_input *in;
    size_t n, cap;
    char **paths; /* of batch_paths */
    int skip_set; /* a folder not to read: the output folder */
    dev_t skip_dev;
    ino_t skip_ino;
} batch;
void batch_init(batch *b);
void batch_free(batch *b);
/* Adds one argument: a folder's files in the byte order of their paths,
 * anything else as it is ("-": stdin). Returns -1 when out of memory. */
int batch_add(batch *b, const char *arg);
/* Adds the names listed in the file list ("-": stdin), one per line, or
 * NUL-separated when nul is set; empty names are skipped. Returns 0, or
 * EXIT_IO or EXIT_USAGE after reporting why. */
int batch_read_list(batch *b, const char *list, int nul);
/* At an input's turn: reports what cannot be read. Returns 0 (read it),
 * BATCH_SKIP (a loop, warned about) or EXIT_IO. */
enum { BATCH_SKIP = 1 };
int batch_check(const batch_input *in);
/* The paths of the entries to read, for the progress line (owned by b). */
char **batch_paths(batch *b, int *n);
/* Where --output-dir dir writes the output of input (its path, "-" for
 * stdin) or of the archive member named member inside it (NULL: none),
 * for a format whose extension is ext: dir, then the input's path with
 * a leading '/' dropped and its extension (after a .gz, .zst or .zstd)
 * replaced by ext, or the archive's path as a folder, then the member's
 * path with its extension replaced; stdin is "stdin.EXT". Returns 0 with
 * *out a new string, -1 when out of memory, or 1 with *why saying why
 * the name is refused (a '..' component, an absolute member name). */
int batch_output_path(const char *dir, const char *input, const char *member,
                      const char *ext, char **out, const char **why);
/* Makes the folders above path that do not exist. Returns -1 (errno). */
int batch_make_parents(const char *path);

/* parallel.c: -j N. Reads the file open on fd (named path) with jobs
 * threads, reporting through cfg's callbacks exactly what one reader
 * would (records only when records is set; list pages through on_page,
 * with page_ctx, when it is not NULL), and adds the reader's counts
 * to acc. Returns PARALLEL_NO, having read nothing from fd's offset, when
 * the file cannot be read so (not a regular file, not larger than a
 * block, not JSON starting with '{' or '[': YAML or compressed), for one
 * reader to read; else as input_feed. */
enum { PARALLEL_NO = -2 };
int parallel_feed(int fd, const char *path, int jobs,
                  const nfb_reader_config *cfg, int records,
                  nfb_list_page_fn on_page, void *page_ctx,
                  nfb_reader_stats *acc, nfb_result *res);
/* Adds the counts of s to acc. */
void parallel_add_stats(nfb_reader_stats *acc, const nfb_reader_stats *s);

/* filter.c: which valid records convert and stats take. */
enum { FILTER_STATUS, FILTER_SOURCE_TYPE, FILTER_SINCE, FILTER_UNTIL };
typedef struct filter {
    int active;            /* any filter option was given */
    unsigned statuses;     /* bit 1 << nfb_status; 0: any */
    unsigned source_types; /* bit 1 << nfb_source_type, and one for none */
    int has_since, has_until;
    int64_t since_sec, until_sec; /* --since inclusive, --until exclusive */
    uint32_t since_ns, until_ns;
} filter;
/* Adds one option (FILTER_*) with its argument. Returns 0, or -1 with a
 * usage message in err that lists the valid values. */
int filter_option(filter *f, int which, const char *arg, char *err,
                  size_t errlen);
/* After all options: -1 with a message when --since is not before --until. */
int filter_check(const filter *f, char *err, size_t errlen);
/* 1 when the record passes every filter given. */
int filter_match(const filter *f, const nfb_backup *b);

/* stats.c: the figures of nfbackup stats. */
typedef struct stats stats;
stats *stats_new(void); /* NULL: out of memory */
void stats_free(stats *s);
/* Counts one record. Returns 0, or -1 when out of memory. */
int stats_add(stats *s, const nfb_backup *b);
/* --unique: how many records were folded into a later one of the same id;
 * written by stats_write only when set. */
void stats_set_duplicates(stats *s, uint64_t n);
/* Writes the figures, with the reader's counts, as a text table, one
 * JSON object or one HTML page (view: STATS_TEXT, _JSON, _HTML). Returns
 * NFB_OK, NFB_ENOMEM or NFB_EWRITE. */
enum { STATS_TEXT, STATS_JSON, STATS_HTML };
nfb_result stats_write(const stats *s, const nfb_reader_stats *rs, int view,
                       nfb_write_fn write, void *ctx);
/* An nfb_list_page_fn (ctx: the stats): counts the list pages, and the
 * inputs whose last list page says that more pages follow. */
int stats_page(void *ctx, const nfb_list_page *p);
/* What the run applied, for the header of the HTML page: one line each,
 * copied ("--status failed,aborted"). Returns -1 when out of memory. */
int stats_applied(stats *s, const char *text);
/* The filters of f as stats_applied lines, and the inputs read. */
int stats_describe(stats *s, const filter *f, char **paths, int n);

/* stats_html.c: what stats keeps for its views beyond stats.c's figures:
 * counts per day or month, a capped table of failed and aborted backups,
 * the list pages; and the HTML page. All in bounded memory. */
typedef struct stats_extra stats_extra;
stats_extra *extra_new(void);
void extra_free(stats_extra *x);
int extra_add(stats_extra *x, const nfb_backup *b);
int extra_page(stats_extra *x, const nfb_list_page *p);
int extra_applied(stats_extra *x, const char *text);
int extra_describe(stats_extra *x, const filter *f, char **paths, int n);
/* The list pages: how many, how many said more follow, how many inputs
 * ended on such a page, and the name of the i-th of those (i below
 * EXTRA_NAMES; NULL past the names kept). */
enum { EXTRA_NAMES = 20 };
void extra_pages(const stats_extra *x, uint64_t *pages, uint64_t *with_next,
                 uint64_t *incomplete);
const char *extra_incomplete(const stats_extra *x, int i);
/* A string as JSON (quoted; invalid UTF-8 as U+FFFD). */
void extra_json_str(FILE *m, const char *s);

/* stats.c's figures, as stats --to json writes them, for the page. */
enum { STATS_NSTATUS = NFB_STATUS_NOT_SUPPORTED + 1 };
typedef struct stats_fig {
    const nfb_reader_stats *rs;
    uint64_t records, durations, restores;
    uint64_t status[STATS_NSTATUS], restore_status[STATS_NSTATUS];
    uint64_t source[NFB_SOURCE_SAME_ADDON + 2];      /* last: none */
    uint64_t compression[NFB_COMPRESSION_ZSTD + 2];  /* last: none */
    char size_total[48], size_min[24], size_max[24]; /* "" when none */
    const char *first, *last; /* createdAt texts, NULL when none */
    size_t first_len, last_len;
    char pct[4][48];     /* p50, p90, p99, max in seconds; "" when none */
    int has_duplicates;  /* --unique: */
    uint64_t duplicates; /* the records folded into a later one */
} stats_fig;
void extra_html(const stats_extra *x, const stats_fig *f, FILE *m);

/* unique.c: --unique, one record per backup id, the last one read; the
 * records wait in a temporary file with no name, the ids in memory. */
typedef struct unique unique;
/* NULL after reporting why (the temporary file, memory). */
unique *unique_new(void);
void unique_free(unique *u);
/* Adds a record. Returns NFB_OK, NFB_ENOMEM or NFB_EIO (unique_error). */
int unique_add(unique *u, const nfb_backup *b);
/* After the last record: the spool written out. -1 on failure. */
int unique_end(unique *u);
uint64_t unique_seen(const unique *u);     /* records added */
size_t unique_count(const unique *u);      /* distinct ids */
const char *unique_error(const unique *u); /* strerror of the failure */
/* Hands the last record of each id to fn, in the order the ids first
 * appeared, read back with the limits of limits. Returns 0, or -1 with
 * *res the reader's result (NFB_STOPPED: fn stopped it) or, when *res is
 * NFB_OK, unique_error saying why. */
int unique_replay(unique *u, const nfb_reader_config *limits, nfb_record_fn fn,
                  void *ctx, nfb_result *res);
/* For diff: a set whose records are not folded as they come but
 * partitioned by a hash of their id into UNIQUE_PARTS partitions of the
 * spool (every record of an id in the same one, in input order); only the
 * partitions' blocks in the making are held in memory. */
enum { UNIQUE_PARTS = 256 };
/* A temporary file in $TMPDIR (or /tmp) with no name, removed from the
 * file system before anything is written to it: -1 with errno. */
int temp_open(void);
unique *unique_new_parts(void);
/* Partition i's lines (each the compact JSON of one record, '\n'
 * included), read into a new buffer (free it), *len bytes; NULL with
 * unique_error saying why. */
char *unique_part(unique *u, size_t i, size_t *len);

/* diff.c: nfbackup diff, over two inputs read with --unique. */
typedef struct diff_counts {
    uint64_t added, removed, changed, same;
} diff_counts;
/* Writes one JSON line (csv: one row per field) per backup that differs,
 * in the byte order of the ids, through write; before and after made with
 * unique_new_parts. Returns NFB_OK, NFB_EWRITE,
 * NFB_ENOMEM, or NFB_EIO (a temporary file could not be read back). */
nfb_result diff_write(unique *before, unique *after, int csv, int guard,
                      nfb_write_fn write, void *ctx, diff_counts *c);
/* Why diff_write returned NFB_EIO. */
const char *diff_error(void);

/* progress.c: the progress line on stderr while inputs are read. */
enum { PROGRESS_OFF = 0, PROGRESS_ON = 1, PROGRESS_AUTO = 2 };
/* Starts a run over the named inputs. PROGRESS_ON draws the line;
 * PROGRESS_AUTO only on a terminal (stderr), unless stdout is one too and
 * the records go there (writes_stdout). */
void progress_begin(int mode, int writes_stdout, char **files, int nfiles);
/* Called after each chunk read: counts n bytes, redraws when it is time. */
void progress_read(const nfb_reader *r, size_t n);
/* Erases the line before something else is written to stderr; the next
 * chunk draws it again. Does nothing when no line is drawn. */
void progress_clear(void);
/* Erases the line for good at the end of the run. */
void progress_end(void);

/* lists.c: nfbackup formats, columns, statuses and source-types. Returns
 * the exit status of the command cmd given argc arguments after it, or
 * LIST_NOT_ONE when cmd is not one of them. */
enum { LIST_NOT_ONE = -1 };
int list_command(const char *cmd, int argc, char **argv);

#endif
