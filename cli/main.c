/* nfbackup: validate and convert saved Northflank addon backup API
 * responses. This file parses the command line and runs the job; the
 * library does all reading and writing of formats. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

static const char usage_text[] =
    "usage: nfbackup validate [OPTIONS] [FILE...]\n"
    "       nfbackup convert --to FORMAT [OPTIONS] [FILE...]\n"
    "       nfbackup stats [--to text|json|html] [OPTIONS] [FILE...]\n"
    "       nfbackup diff [--to json|csv] [OPTIONS] OLD NEW\n"
    "       nfbackup formats [--names]\n"
    "       nfbackup columns\n"
    "       nfbackup statuses\n"
    "       nfbackup source-types\n"
    "\n"
    "Reads saved Northflank \"Get addon backup\" API responses (API envelope,\n"
    "CLI output, JS client result, list pages, arrays, and streams of them,\n"
    "concatenated or one per line), checks them against the backup schema\n"
    "and converts the valid records. FILE - or no FILE reads stdin; a\n"
    "folder FILE reads its files, recursively, in the byte order of their\n"
    "paths (names starting with . left out).\n";
static const char usage_options[] =
    "\n"
    "Options:\n"
    "  -t, --to FORMAT         output format (see nfbackup formats)\n"
    "  -o, --output FILE       write to FILE atomically instead of stdout\n"
    "                          (xlsx: required)\n"
    "      --output-dir DIR    convert: one output per input, at its path\n"
    "                          under DIR with the format's extension\n"
    "      --files-from FILE   read the inputs named in FILE (- for stdin),\n"
    "                          one per line, after the FILE arguments\n"
    "  -0, --null              --files-from: names end with NUL, not newline\n"
    "      --pretty            json: indented output\n"
    "      --envelope          each record as {\"data\": ...} (yaml: data:)\n"
    "      --array             one JSON array / YAML sequence of all records\n"
    "      --columns LIST      csv/tsv/xlsx: comma-separated columns\n"
    "      --no-header         csv/tsv: no header row\n"
    "      --crlf              csv/tsv: CRLF line ends (RFC 4180)\n"
    "      --no-formula-guard  csv/tsv: no ' before cells starting =+-@...\n"
    "      --bom               csv/tsv: a UTF-8 byte order mark first, for\n"
    "                          spreadsheets to read non-ASCII text as UTF-8\n"
    "      --from json|yaml    read every input as JSON or YAML (default: "
    "told\n"
    "                          from each input's first bytes)\n"
    "      --strict            unknown fields are errors, not warnings\n"
    "      --diagnostics=text|json\n"
    "                          diagnostics as compiler-style lines or JSON\n"
    "      --color=auto|always|never\n"
    "  -q, --quiet             no warnings, summary or progress line\n"
    "      --progress          progress line on stderr (default: on a tty)\n"
    "      --no-progress       no progress line\n"
    "      --max-depth N       nesting limit (default 64)\n"
    "      --max-string N      bytes of one string, key or number, 1 to 1G\n"
    "                          (default 1M); raises --max-record to 4 N\n"
    "      --max-record N      bytes of one record's strings, 1 to 4G\n"
    "                          (default 4M, or 4 times --max-string);\n"
    "                          N may end in K, M or G (KiB, MiB, GiB)\n"
    "      --max-diagnostics N print at most N diagnostics; the summary\n"
    "                          still counts all of them\n"
    "  -j, --jobs N            read each large JSON file with N threads (0:\n"
    "                          one per core; default 1); output, diagnostics\n"
    "                          and exit status are those of -j 1. stdin,\n"
    "                          FIFOs, devices and other files that are not\n"
    "                          regular files, YAML, compressed input and\n"
    "                          archives are read by one thread; a file read\n"
    "                          by N threads draws no progress line\n"
    "      --status LIST       convert, stats: only records with one of\n"
    "                          these comma-separated statuses\n"
    "      --source-type LIST  convert, stats: only these source types\n"
    "                          (none: records without one)\n"
    "      --since TIME        convert, stats: only records created at TIME\n"
    "                          or later (inclusive)\n"
    "      --until TIME        convert, stats: only records created before\n"
    "                          TIME (exclusive); TIME is an RFC 3339\n"
    "                          date-time or a date YYYY-MM-DD (00:00:00Z)\n"
    "      --unique            convert, stats: one record per backup id, the\n"
    "                          last one read (filters apply to it); convert\n"
    "                          writes them in the order ids first appear\n"
    "  -h, --help              this help\n"
    "  -V, --version           the version\n";
static const char usage_tail[] =
    "\n"
    "stats counts the valid records per status, source type, compression\n"
    "type and lastRestore status, and gives the total, smallest and largest\n"
    "size, the first and last createdAt, and the duration from createdAt to\n"
    "completedAt: its 50th, 90th and 99th percentile (nearest rank, within\n"
    "0.4% of the exact value) and its maximum (exact). --to json writes one\n"
    "JSON object; errors and warnings count the diagnostics of all input.\n"
    "--to html writes one self-contained page with charts. An input whose\n"
    "last list page says pagination.hasNextPage is flagged incomplete.\n"
    "\n"
    "diff reads OLD and NEW (each a file, folder or archive) as --unique\n"
    "does and writes one JSON line per backup added, removed or changed,\n"
    "in the byte order of the ids (--to csv: one row per changed field).\n"
    "Its exit status: 0 no difference, 1 differences, 2 usage error, 3 I/O\n"
    "or system error, 4 some input invalid (its valid records compared).\n"
    "\n"
    "An option that does not apply to the command or format is a usage\n"
    "error.\n"
    "\n"
    "Exit status: 0 all input valid (warnings allowed), 1 some input invalid,\n"
    "2 usage error, 3 I/O or system error.\n";

/* The help, in three strings: C99 promises no string literal over 4095
 * bytes. */
static void put_usage(FILE *f)
{
    fputs(usage_text, f);
    fputs(usage_options, f);
    fputs(usage_tail, f);
}

enum {
    OPT_PRETTY = 256,
    OPT_ENVELOPE,
    OPT_ARRAY,
    OPT_COLUMNS,
    OPT_NO_HEADER,
    OPT_CRLF,
    OPT_NO_FORMULA_GUARD,
    OPT_STRICT,
    OPT_FROM,
    OPT_DIAGNOSTICS,
    OPT_COLOR,
    OPT_MAX_DEPTH,
    OPT_MAX_STRING,
    OPT_MAX_RECORD,
    OPT_BOM,
    OPT_MAX_DIAGNOSTICS,
    OPT_PROGRESS,
    OPT_NO_PROGRESS,
    OPT_STATUS, /* the filters, in the order of FILTER_* */
    OPT_SOURCE_TYPE,
    OPT_SINCE,
    OPT_UNTIL,
    OPT_OUTPUT_DIR,
    OPT_FILES_FROM,
    OPT_UNIQUE
};

static const struct option long_options[] = {
    {"to", required_argument, NULL, 't'},
    {"output", required_argument, NULL, 'o'},
    {"pretty", no_argument, NULL, OPT_PRETTY},
    {"envelope", no_argument, NULL, OPT_ENVELOPE},
    {"array", no_argument, NULL, OPT_ARRAY},
    {"columns", required_argument, NULL, OPT_COLUMNS},
    {"no-header", no_argument, NULL, OPT_NO_HEADER},
    {"crlf", no_argument, NULL, OPT_CRLF},
    {"no-formula-guard", no_argument, NULL, OPT_NO_FORMULA_GUARD},
    {"strict", no_argument, NULL, OPT_STRICT},
    {"from", required_argument, NULL, OPT_FROM},
    {"diagnostics", required_argument, NULL, OPT_DIAGNOSTICS},
    {"color", required_argument, NULL, OPT_COLOR},
    {"colour", required_argument, NULL, OPT_COLOR},
    {"quiet", no_argument, NULL, 'q'},
    {"max-depth", required_argument, NULL, OPT_MAX_DEPTH},
    {"max-string", required_argument, NULL, OPT_MAX_STRING},
    {"max-record", required_argument, NULL, OPT_MAX_RECORD},
    {"bom", no_argument, NULL, OPT_BOM},
    {"max-diagnostics", required_argument, NULL, OPT_MAX_DIAGNOSTICS},
    {"jobs", required_argument, NULL, 'j'},
    {"progress", no_argument, NULL, OPT_PROGRESS},
    {"no-progress", no_argument, NULL, OPT_NO_PROGRESS},
    {"status", required_argument, NULL, OPT_STATUS},
    {"source-type", required_argument, NULL, OPT_SOURCE_TYPE},
    {"since", required_argument, NULL, OPT_SINCE},
    {"until", required_argument, NULL, OPT_UNTIL},
    {"output-dir", required_argument, NULL, OPT_OUTPUT_DIR},
    {"files-from", required_argument, NULL, OPT_FILES_FROM},
    {"null", no_argument, NULL, '0'},
    {"unique", no_argument, NULL, OPT_UNIQUE},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0}};

/* Where each option applies: the commands, and for convert and stats the
 * format of --to. */
enum {
    W_VALIDATE = 1u << 0,
    W_STATS_TEXT = 1u << 1,
    W_STATS_JSON = 1u << 2,
    W_JSON = 1u << 3,
    W_YAML = 1u << 4,
    W_CSV = 1u << 5,
    W_TSV = 1u << 6,
    W_XLSX = 1u << 7,
    W_STATS_HTML = 1u << 8,
    W_DIFF_JSON = 1u << 9,
    W_DIFF_CSV = 1u << 10,
    W_STATS = W_STATS_TEXT | W_STATS_JSON | W_STATS_HTML,
    W_CONVERT = W_JSON | W_YAML | W_CSV | W_TSV | W_XLSX,
    W_DIFF = W_DIFF_JSON | W_DIFF_CSV,
    W_BATCH = W_VALIDATE | W_STATS | W_CONVERT, /* any number of inputs */
    W_ANY = W_BATCH | W_DIFF
};

/* The formats of convert --to, in the order of their W_ bits. A format of
 * the library that is not here is written, but no option is checked
 * against it (see lib/src/README.md, "add a format"). */
static const char *const convert_formats[] = {"json", "yaml", "csv", "tsv",
                                              "xlsx"};
enum { N_CONVERT_FORMATS = sizeof convert_formats / sizeof *convert_formats };
_Static_assert(W_CONVERT == (W_JSON << N_CONVERT_FORMATS) - W_JSON,
               "one W_ bit per convert format, from W_JSON on, in order");

/* The one place that says which option applies where: an option given
 * where its row does not say so is a usage error (check_job). -h and -V
 * apply everywhere and end the run at once. */
static const struct applies {
    int opt;          /* as getopt_long returns it */
    const char *name; /* as the usage message names it */
    unsigned where;   /* W_* */
} applies[] = {
    {'t', "--to", W_CONVERT | W_STATS | W_DIFF},
    {'o', "-o/--output", W_CONVERT | W_STATS | W_DIFF},
    {OPT_OUTPUT_DIR, "--output-dir", W_CONVERT},
    {OPT_FILES_FROM, "--files-from", W_BATCH},
    {'0', "-0/--null", W_BATCH},
    {OPT_UNIQUE, "--unique", W_CONVERT | W_STATS},
    {OPT_PRETTY, "--pretty", W_JSON},
    {OPT_ENVELOPE, "--envelope", W_JSON | W_YAML},
    {OPT_ARRAY, "--array", W_JSON | W_YAML},
    {OPT_COLUMNS, "--columns", W_CSV | W_TSV | W_XLSX},
    {OPT_NO_HEADER, "--no-header", W_CSV | W_TSV},
    {OPT_CRLF, "--crlf", W_CSV | W_TSV},
    {OPT_NO_FORMULA_GUARD, "--no-formula-guard", W_CSV | W_TSV | W_DIFF_CSV},
    {OPT_BOM, "--bom", W_CSV | W_TSV},
    {OPT_STATUS, "--status", W_CONVERT | W_STATS},
    {OPT_SOURCE_TYPE, "--source-type", W_CONVERT | W_STATS},
    {OPT_SINCE, "--since", W_CONVERT | W_STATS},
    {OPT_UNTIL, "--until", W_CONVERT | W_STATS},
    {OPT_FROM, "--from", W_ANY},
    {OPT_STRICT, "--strict", W_ANY},
    {OPT_DIAGNOSTICS, "--diagnostics", W_ANY},
    {OPT_COLOR, "--color", W_ANY},
    {'q', "-q/--quiet", W_ANY},
    {OPT_PROGRESS, "--progress", W_ANY},
    {OPT_NO_PROGRESS, "--no-progress", W_ANY},
    {OPT_MAX_DEPTH, "--max-depth", W_ANY},
    {OPT_MAX_STRING, "--max-string", W_ANY},
    {OPT_MAX_RECORD, "--max-record", W_ANY},
    {OPT_MAX_DIAGNOSTICS, "--max-diagnostics", W_ANY},
    {'j', "-j/--jobs", W_ANY},
};
enum { N_APPLIES = sizeof applies / sizeof *applies };

/* The largest --max-record: four strings of the largest --max-string. */
#define MAX_RECORD_LIMIT ((uint64_t)4 * NFB_MAX_STRING_LIMIT)

typedef struct job {
    const char *format; /* NULL: validate */
    const char *output;
    const char *columns;
    unsigned write_flags;
    unsigned read_flags;
    int bom; /* --bom */
    size_t max_depth, max_string;
    uint64_t max_record;            /* 0: not given */
    unsigned char given[N_APPLIES]; /* the options given, by row */
    report rp;
    int color;    /* -1 auto */
    int progress; /* PROGRESS_AUTO, _ON or _OFF */
    int stats;    /* nfbackup stats: 1 + STATS_TEXT, _JSON or _HTML */
    int jobs;     /* -j: threads per file */
    filter flt;
    const char *output_dir; /* --output-dir */
    const char *files_from; /* --files-from */
    int nul;                /* -0 */
    const char *out_name;   /* the output written now, for messages */
    int unique;             /* --unique */
    int diff;               /* nfbackup diff: 1 json, 2 csv */
} job;

static int usage_error(const char *fmt, ...) CLI_PRINTF(1, 2);

/* Through report.c, so that with --diagnostics=json it is JSON too. */
static int usage_error(const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    report_usage("%s", msg);
    return EXIT_USAGE;
}

/* A decimal number from min to max: digits only (no sign, no spaces),
 * checked for overflow. Returns -1 when s is not one. */
static int parse_number(const char *s, uint64_t min, uint64_t max,
                        uint64_t *out);

/* A size: a number of bytes, or of KiB, MiB or GiB with the suffix K, M or
 * G (in any case, and iB after it allowed: 8M, 8m, 8MiB). Returns -1 when
 * s is not one or it is not from min to max. */
static int parse_size(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
    size_t n = strspn(s, "0123456789");
    const char *suffix = s + n;
    unsigned shift = 0;
    if (*suffix) {
        const char *units = "kKmMgG";
        const char *u = strchr(units, *suffix);
        if (!u || !*u) return -1;
        shift = 10 * (unsigned)((u - units) / 2 + 1);
        if (suffix[1] && strcmp(suffix + 1, "iB") != 0) return -1;
    }
    char digits[24];
    uint64_t v;
    if (n == 0 || n >= sizeof digits) return -1;
    memcpy(digits, s, n);
    digits[n] = '\0';
    if (parse_number(digits, 0, UINT64_MAX >> shift, &v) != 0) return -1;
    v <<= shift;
    if (v < min || v > max) return -1;
    *out = v;
    return 0;
}

/* A decimal number from min to max. */
static int parse_number(const char *s, uint64_t min, uint64_t max,
                        uint64_t *out)
{
    uint64_t v = 0;
    if (!*s) return -1;
    for (; *s; s++) {
        if (*s < '0' || *s > '9') return -1;
        unsigned d = (unsigned)(*s - '0');
        if (v > (UINT64_MAX - d) / 10) return -1;
        v = v * 10 + d;
    }
    if (v < min || v > max) return -1;
    *out = v;
    return 0;
}

/* What the reader hands on: records to the writer. */
typedef struct run {
    nfb_writer *w;
    nfb_result wres;
    int werrno;        /* errno of an NFB_EWRITE (xlsx: its files) */
    const filter *flt; /* NULL: every record */
    stats *st;         /* nfbackup stats */
    unique *uq;        /* --unique: records go there first */
    int replay;        /* --unique: they come back from there */
    nfb_result uqres;  /* --unique: a record that could not be kept */
} run;

static int on_record(void *ctx, const nfb_backup *b)
{
    run *rn = ctx;
    if (rn->uq && !rn->replay) {
        rn->uqres = unique_add(rn->uq, b);
        return rn->uqres != NFB_OK;
    }
    if (rn->flt && !filter_match(rn->flt, b)) return 0;
    if (rn->st && stats_add(rn->st, b) != 0) {
        rn->wres = NFB_ENOMEM;
        return 1;
    }
    if (!rn->w) return 0;
    rn->wres = nfb_writer_record(rn->w, b);
    if (rn->wres == NFB_EWRITE) rn->werrno = errno;
    return rn->wres != NFB_OK;
}

typedef struct both {
    run rn;
    report *rp;
} both;

static int both_record(void *ctx, const nfb_backup *b)
{
    return on_record(&((both *)ctx)->rn, b);
}

static int both_diag(void *ctx, const nfb_diag *d)
{
    return report_diag(((both *)ctx)->rp, d);
}

static int both_keep(void *ctx, const nfb_diag *d)
{
    return report_keep(((both *)ctx)->rp, d);
}

static int both_print(void *ctx, const nfb_diag *d)
{
    return report_print(((both *)ctx)->rp, d);
}

/* xlsx: a value written inexactly is a warning. */
static void xlsx_note(void *ctx, const char *msg)
{
    const job *j = ctx;
    if (!j->rp.quiet) report_warnf("%s: %s", j->out_name, msg);
}

/* xlsx: libxlsxwriter writes -o's temporary file by name (what is written
 * in place, a device or a pipe, gets the finished file through write). */
static void xlsx_options(job *j, const output *out, nfb_writer_options *wo)
{
    const char *rows = getenv("NFBACKUP_XLSX_SHEET_ROWS"); /* for tests */
    wo->path = out->tmp;
    wo->on_note = xlsx_note;
    wo->note_ctx = j;
    if (rows) wo->sheet_rows = (uint32_t)strtoul(rows, NULL, 10);
}

/* With JSON diagnostics every stderr line is JSON, but libxlsxwriter
 * prints lines of its own on stderr ("[ERROR] workbook_close(): ...")
 * when it cannot write the workbook: the calls into the xlsx writer that
 * can make it print (making the workbook and closing it) run with fd 2
 * captured, and what it printed is reported as JSON messages. */
static int captures(const job *j)
{
    return j->rp.json && j->format && strcmp(j->format, "xlsx") == 0;
}

/* Returns GO_ON, or the exit status to end with. */
enum { GO_ON = -1 };

/* Opens the output and makes what records go to: the stats and the
 * writer. Returns GO_ON or the exit status (out is then closed). */
static int open_sinks(job *j, both *ctx, output *out, const char *path)
{
    if (!j->stats && !j->format) return GO_ON;
    j->out_name = path;
    if (output_open(out, path) != 0) return EXIT_IO;
    if (j->stats && !(ctx->rn.st = stats_new())) {
        output_close(out, 1);
        report_errorf("out of memory");
        return EXIT_IO;
    }
    if (!j->format) return GO_ON;
    nfb_error err;
    nfb_writer_options wo = {.size = sizeof wo,
                             .write = output_write,
                             .ctx = out,
                             .flags = j->write_flags,
                             .columns = j->columns};
    if (strcmp(j->format, "xlsx") == 0) {
        if (out->direct && isatty(out->fd)) {
            output_close(out, 1);
            return usage_error("xlsx is a binary workbook: expected -o "
                               "FILE, found a terminal");
        }
        xlsx_options(j, out, &wo);
    }
    capture cap;
    int capturing = captures(j);
    if (capturing) output_capture_begin(&cap);
    ctx->rn.w = nfb_writer_new(j->format, &wo, &err);
    if (capturing) output_capture_end(&cap);
    if (ctx->rn.w) {
        out->bom = j->bom; /* before the first byte written */
        return GO_ON;
    }
    output_close(out, 1);
    if (err.code != NFB_EINVAL) {
        report_errorf("%s", err.text);
        return EXIT_IO;
    }
    return usage_error("%s", err.text);
}

/* Reads every file, in parallel where -j allows; st (NULL: none) counts
 * the list pages. Returns 1 when an input could not be read or memory ran
 * out. */
static int read_all(job *j, nfb_reader *r, const nfb_reader_config *cfg,
                    batch *b, stats *st, nfb_result *res, nfb_reader_stats *pst)
{
    int io_failed = 0;
    for (size_t i = 0; i < b->n; i++) {
        int c = batch_check(&b->in[i]);
        if (c == EXIT_IO) io_failed = 1;
        if (c) continue;
        input_jobs pj = {j->jobs, cfg, j->format || j->stats, pst, NULL, NULL};
        if (st) pj.on_page = stats_page, pj.page_ctx = st;
        int f = input_feed(r, b->in[i].path, &pj, res);
        if (f == EXIT_IO) io_failed = 1;
        if (f < 0) break; /* stopped: the writer failed, or no memory */
    }
    if (*res == NFB_ENOMEM) {
        report_errorf("out of memory");
        io_failed = 1;
    }
    return io_failed;
}

/* Makes the output final, or leaves the old file when anything failed.
 * Returns 1 when it could not be written. */
static int close_output(both *ctx, output *out, int io_failed)
{
    int write_failed = ctx->rn.wres != NFB_OK && !out->broken_pipe;
    if (output_close(out, io_failed || write_failed) == 0 && !write_failed)
        return 0;
    if (out->broken_pipe) return 0; /* the reader is gone: end quietly */
    /* The output's error, or that of the file the xlsx writer writes by
     * name. */
    int e = out->error ? out->error : ctx->rn.werrno;
    report_errorf("cannot write %s: %s",
                  out->path ? out->path : "standard output",
                  e ? strerror(e) : nfb_result_str(ctx->rn.wres));
    return 1;
}

/* --output-dir: the output being written, and what the run has done. */
typedef struct each {
    job *j;
    both *ctx;
    const char *input; /* the path of the input being read */
    output out;
    int open;         /* out is open, with the sinks of open_sinks */
    int io_failed;    /* an output could not be made or written */
    int usage;        /* the writer's options were refused */
    int failed;       /* diagnostics could not be written: the run stops */
    int first_member; /* no member of the input has begun */
    uint64_t *written;
} each;

/* Opens the output at path for what is read next. Returns 0, or 1 when
 * the run is to stop (the writer's options were refused). */
static int each_open(each *e, const char *path)
{
    if (batch_make_parents(path) != 0) {
        report_errorf("cannot make the folders of %s: %s", path,
                      strerror(errno));
        e->io_failed = 1;
        return 0;
    }
    e->ctx->rn.wres = NFB_OK;
    e->ctx->rn.werrno = 0;
    int rc = open_sinks(e->j, e->ctx, &e->out, path);
    if (rc == GO_ON) {
        e->open = 1;
        return 0;
    }
    if (rc == EXIT_USAGE) {
        e->usage = 1;
        return 1;
    }
    e->io_failed = 1;
    return 0;
}

/* Ends the open output: made final, or left as it was when lost (its
 * input not read to its end) or discard is set. Returns 1 when the run
 * is to stop (diagnostics cannot be written). */
static int each_close(each *e, int lost, int stopped, int discard)
{
    both *ctx = e->ctx;
    if (!e->open) return 0;
    e->open = 0;
    if (!lost && !discard && ctx->rn.wres == NFB_OK) {
        ctx->rn.wres = nfb_writer_end(ctx->rn.w);
        if (ctx->rn.wres == NFB_EWRITE) ctx->rn.werrno = errno;
    }
    nfb_writer_free(ctx->rn.w);
    ctx->rn.w = NULL;
    stats_free(ctx->rn.st);
    ctx->rn.st = NULL;
    if (discard) {
        output_close(&e->out, 1);
        return 0;
    }
    /* Diagnostics that cannot be written fail the run before the output
     * is made final. */
    int diag_failed =
        report_flush() != 0 || (stopped && ctx->rn.wres == NFB_OK);
    if (lost || diag_failed) e->io_failed = 1;
    if (diag_failed) e->failed = 1;
    if (close_output(ctx, &e->out, lost || diag_failed))
        e->io_failed = 1;
    else if (!lost && !diag_failed)
        (*e->written)++;
    return diag_failed;
}

/* An archive's member begins: the output before it is ended (the
 * archive's own is dropped: only its members get outputs), and the
 * member's is opened, unless its name would leave the output folder:
 * its records are then written nowhere. */
static int member_begins(void *p, const char *archive, const char *member)
{
    each *e = p;
    (void)archive; /* the input's path names the folder, as given */
    const char *arch = strcmp(e->input, "-") == 0 ? "stdin" : e->input;
    if (e->ctx->rn.wres != NFB_OK) return 1; /* the output before failed */
    if (each_close(e, 0, 0, e->first_member)) return 1;
    e->first_member = 0;
    char *path;
    const char *why;
    int rc = batch_output_path(e->j->output_dir, arch, member, e->j->format,
                               &path, &why);
    if (rc < 0) {
        e->ctx->rn.wres = NFB_ENOMEM;
        return 1;
    }
    if (rc > 0) {
        report_errorf("--output-dir: cannot write the output of %s:%s: %s; "
                      "its records are not written",
                      arch, member, why);
        e->io_failed = 1;
        return 0;
    }
    int stop = each_open(e, path);
    free(path);
    return stop;
}

/* --output-dir: each input read into its own output, outs[i], and each
 * member of an archive into its own. Returns 1 when an input could not
 * be read, an output not written or memory ran out, EXIT_USAGE when the
 * writer's options were refused; *written counts the outputs made
 * final. */
static int read_each(job *j, both *ctx, nfb_reader *r,
                     const nfb_reader_config *cfg, batch *b, char **outs,
                     nfb_result *res, nfb_reader_stats *pst, uint64_t *written)
{
    each e = {j, ctx, NULL, {0}, 0, 0, 0, 0, 0, written};
    nfb_reader_on_input(r, member_begins, &e);
    for (size_t i = 0; i < b->n; i++) {
        int c = batch_check(&b->in[i]);
        if (c == EXIT_IO) e.io_failed = 1;
        if (c) continue;
        e.input = b->in[i].path;
        e.first_member = 1;
        if (each_open(&e, outs[i])) return EXIT_USAGE;
        if (!e.open) continue;
        input_jobs pj = {j->jobs, cfg, 1, pst, NULL, NULL};
        int f = input_feed(r, b->in[i].path, &pj, res);
        if (e.usage) return EXIT_USAGE;
        /* An input not read to its end leaves its output as it was, as
         * -o does. */
        int lost = f == EXIT_IO || *res == NFB_ENOMEM;
        if (ctx->rn.wres == NFB_ENOMEM) *res = NFB_ENOMEM;
        int stop = each_close(&e, lost, f < 0 && *res == NFB_STOPPED, 0);
        if (*res == NFB_ENOMEM || stop || e.failed) break;
        *res = NFB_OK; /* a failed output stopped only its own input */
    }
    if (*res == NFB_ENOMEM) {
        report_errorf("out of memory");
        e.io_failed = 1;
    }
    return e.io_failed;
}

typedef struct planned {
    const char *out;
    size_t i; /* its input */
} planned;

/* By output, then input. */
static int by_output(const void *a, const void *b)
{
    const planned *x = a, *y = b;
    int c = strcmp(x->out, y->out);
    return c ? c : (x->i > y->i) - (x->i < y->i);
}

/* --output-dir: where each input's output goes, in outs (NULL for what is
 * not read). Refuses, before anything is read, a name that would leave
 * DIR, two inputs with the same output, and an output that is its own
 * input. Returns GO_ON or the exit status. */
static int plan_outputs(const job *j, const batch *b, char **outs)
{
    for (size_t i = 0; i < b->n; i++) {
        if (b->in[i].kind != BATCH_FILE) continue;
        const char *why;
        int rc = batch_output_path(j->output_dir, b->in[i].path, NULL,
                                   j->format, &outs[i], &why);
        if (rc < 0) {
            report_errorf("out of memory");
            return EXIT_IO;
        }
        if (rc > 0) {
            report_errorf("--output-dir: cannot write the output of %s: %s",
                          b->in[i].path, why);
            return EXIT_USAGE;
        }
        struct stat si, so;
        if (strcmp(b->in[i].path, "-") != 0 && stat(outs[i], &so) == 0 &&
            stat(b->in[i].path, &si) == 0 && si.st_dev == so.st_dev &&
            si.st_ino == so.st_ino) {
            report_errorf("--output-dir: the output of %s would replace "
                          "that input itself (%s)",
                          b->in[i].path, outs[i]);
            return EXIT_USAGE;
        }
    }
    /* Two inputs, one output: the second would replace the first. */
    planned *p = malloc((b->n ? b->n : 1) * sizeof *p);
    if (!p) {
        report_errorf("out of memory");
        return EXIT_IO;
    }
    size_t n = 0;
    for (size_t i = 0; i < b->n; i++)
        if (outs[i]) p[n].out = outs[i], p[n].i = i, n++;
    qsort(p, n, sizeof *p, by_output);
    for (size_t k = 1; k < n; k++)
        if (strcmp(p[k - 1].out, p[k].out) == 0) {
            report_errorf("--output-dir: %s and %s would both write %s",
                          b->in[p[k - 1].i].path, b->in[p[k].i].path, p[k].out);
            free(p);
            return EXIT_USAGE;
        }
    free(p);
    return GO_ON;
}

/* The reader's configuration of a run whose records and diagnostics go
 * to ctx. */
static void make_config(const job *j, nfb_reader_config *cfg, both *ctx)
{
    nfb_reader_config_init(cfg);
    cfg->on_record = both_record;
    cfg->on_diag = both_diag;
    cfg->ctx = ctx;
    cfg->flags = j->read_flags;
    /* -q prints no warning: the reader only counts them. */
    if (j->rp.quiet) cfg->flags |= NFB_READ_NO_WARNINGS;
    /* No cap in the reader: report.c caps what it prints per document and
     * knows the code of every diagnostic it leaves out. */
    cfg->max_diags = SIZE_MAX;
    if (j->max_depth) cfg->max_depth = j->max_depth;
    if (j->max_string) cfg->max_string = j->max_string;
    /* A record holds its strings: room for four of the longest, unless
     * --max-record says otherwise. */
    uint64_t rec = j->max_record;
    if (!rec && (uint64_t)4 * cfg->max_string > cfg->max_record)
        rec = (uint64_t)4 * cfg->max_string;
    if (rec) cfg->max_record = rec < SIZE_MAX ? (size_t)rec : SIZE_MAX;
}

/* The reader of a run made by make_config: cfg's on_diag (both_diag,
 * what -j's workers' diagnostics are replayed through, whole) in its two
 * steps, both_keep as the reader's filter and both_print as its on_diag,
 * so that a diagnostic that is not printed is counted and never
 * formatted. NULL as nfb_reader_new. */
static nfb_reader *new_reader(const nfb_reader_config *cfg, both *ctx,
                              nfb_error *err)
{
    nfb_reader_config c = *cfg;
    c.on_diag = both_print;
    nfb_reader *r = nfb_reader_new(&c, err);
    if (r) nfb_reader_on_diag_filter(r, both_keep, ctx);
    return r;
}

/* --unique, once every input is read: the spool written out, the count of
 * records folded given to stats, and the last record of each id handed on
 * as if read now. Returns 1 when that failed (reported). */
static int finish_unique(both *ctx, const nfb_reader_config *cfg,
                         nfb_result *res)
{
    run *rn = &ctx->rn;
    if (rn->uqres == NFB_OK && unique_end(rn->uq) != 0) rn->uqres = NFB_EIO;
    if (rn->uqres == NFB_ENOMEM) {
        report_errorf("out of memory");
        return 1;
    }
    if (rn->uqres != NFB_OK) {
        report_errorf("--unique: cannot write a temporary file: %s",
                      unique_error(rn->uq));
        return 1;
    }
    if (rn->st)
        stats_set_duplicates(rn->st,
                             unique_seen(rn->uq) - unique_count(rn->uq));
    rn->replay = 1;
    if (unique_replay(rn->uq, cfg, both_record, ctx, res) == 0) return 0;
    if (*res == NFB_STOPPED) return 0; /* the writer failed: said later */
    if (*res == NFB_ENOMEM) {
        report_errorf("out of memory");
        return 1;
    }
    report_errorf("--unique: cannot read a temporary file back: %s",
                  unique_error(rn->uq));
    return 1;
}

static int run_job(job *j, batch *b)
{
    both ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.rp = &j->rp;
    output out;
    char **outs = NULL;
    if (j->flt.active) ctx.rn.flt = &j->flt;
    if (j->output_dir) {
        if (!(outs = calloc(b->n ? b->n : 1, sizeof *outs))) {
            report_errorf("out of memory");
            return EXIT_IO;
        }
        int rc = plan_outputs(j, b, outs);
        if (rc != GO_ON) {
            for (size_t i = 0; i < b->n; i++)
                free(outs[i]);
            free(outs);
            return rc;
        }
    } else {
        int rc = open_sinks(j, &ctx, &out, j->output);
        if (rc != GO_ON) return rc;
    }
    int single = !j->output_dir && (j->format || j->stats);
    if (j->unique && !(ctx.rn.uq = unique_new())) {
        nfb_writer_free(ctx.rn.w);
        stats_free(ctx.rn.st);
        if (single) output_close(&out, 1);
        return EXIT_IO;
    }

    nfb_reader_config cfg;
    make_config(j, &cfg, &ctx);
    nfb_error rerr;
    nfb_reader *r = new_reader(&cfg, &ctx, &rerr);
    int np = 0;
    char **paths = r ? batch_paths(b, &np) : NULL;
    if (!r || !paths) {
        /* The options were checked: only memory can be short here. */
        report_errorf("%s", r ? "out of memory" : rerr.text);
        nfb_reader_free(r);
        nfb_writer_free(ctx.rn.w);
        stats_free(ctx.rn.st);
        unique_free(ctx.rn.uq);
        if (single) output_close(&out, 1);
        for (size_t i = 0; outs && i < b->n; i++)
            free(outs[i]);
        free(outs);
        return EXIT_IO;
    }

    nfb_result res = NFB_OK;
    if (ctx.rn.st) { /* list pages, and the page's header */
        nfb_reader_on_list_page(r, stats_page, ctx.rn.st);
        if (stats_describe(ctx.rn.st, &j->flt, paths, np) != 0 ||
            (j->unique && stats_applied(ctx.rn.st, "--unique") != 0))
            res = NFB_ENOMEM;
    }
    nfb_reader_stats pst = {0}; /* of the files read by -j */
    uint64_t written = 0;
    /* With JSON diagnostics every line on stderr is JSON: no progress. */
    progress_begin(j->rp.quiet || j->rp.json ? PROGRESS_OFF : j->progress,
                   single && j->format &&
                       (!j->output || strcmp(j->output, "-") == 0),
                   paths, np);
    int io_failed =
        res != NFB_OK ? (report_errorf("out of memory"), 1)
        : outs ? read_each(j, &ctx, r, &cfg, b, outs, &res, &pst, &written)
               : read_all(j, r, &cfg, b, ctx.rn.st, &res, &pst);
    progress_end();
    if (ctx.rn.uq && (res == NFB_OK || ctx.rn.uqres != NFB_OK)) {
        if (res == NFB_STOPPED) res = NFB_OK; /* stopped by uqres */
        if (finish_unique(&ctx, &cfg, &res)) {
            io_failed = 1;
            if (res == NFB_OK) res = NFB_EIO; /* no figures, no output */
        }
    }
    unique_free(ctx.rn.uq);
    ctx.rn.uq = NULL;
    /* The writer's options refused when the first output was made. */
    int usage = io_failed == EXIT_USAGE;
    if (ctx.rn.w && res == NFB_OK) {
        capture cap;
        int capturing = captures(j);
        if (capturing) output_capture_begin(&cap);
        ctx.rn.wres = nfb_writer_end(ctx.rn.w);
        if (ctx.rn.wres == NFB_EWRITE) ctx.rn.werrno = errno;
        if (capturing) output_capture_end(&cap);
    }

    nfb_reader_stats st;
    nfb_reader_stats_get(r, &st);
    parallel_add_stats(&st, &pst);
    nfb_reader_free(r);
    nfb_writer_free(ctx.rn.w);
    if (ctx.rn.st && res == NFB_OK && ctx.rn.wres == NFB_OK)
        ctx.rn.wres =
            stats_write(ctx.rn.st, &st, j->stats - 1, output_write, &out);
    stats_free(ctx.rn.st);
    for (size_t i = 0; outs && i < b->n; i++)
        free(outs[i]);
    free(outs);

    report_end(&j->rp, !j->format && !j->stats ? &st : NULL);
    if (j->output_dir && !j->rp.quiet)
        report_notef("%llu output%s written to %s", (unsigned long long)written,
                     written == 1 ? "" : "s", j->output_dir);
    /* Diagnostics that cannot be written fail the run before its output
     * is made final. */
    if (report_flush() != 0) io_failed = 1;
    if (single && close_output(&ctx, &out, io_failed)) io_failed = 1;
    return usage       ? EXIT_USAGE
           : io_failed ? EXIT_IO
           : st.errors ? EXIT_INVALID
                       : EXIT_VALID;
}

/* One side of a diff: the input at path (a file, a folder, an archive,
 * - for stdin) read into *u as --unique reads it; its reader's counts
 * added to acc. Returns 1 when an input could not be read or the records
 * not kept (reported); *u is NULL when nothing can be compared. */
static int read_side(job *j, const char *path, unique **u,
                     nfb_reader_stats *acc)
{
    both ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.rp = &j->rp;
    *u = NULL;
    if (!(ctx.rn.uq = unique_new_parts())) return 1;
    batch b;
    batch_init(&b);
    nfb_reader_config cfg;
    make_config(j, &cfg, &ctx);
    nfb_error rerr;
    nfb_reader *r = NULL;
    int np = 0;
    char **paths = NULL;
    if (batch_add(&b, path) != 0 || !(r = new_reader(&cfg, &ctx, &rerr)) ||
        !(paths = batch_paths(&b, &np))) {
        report_errorf("%s", r || b.n == 0 ? "out of memory" : rerr.text);
        nfb_reader_free(r);
        batch_free(&b);
        unique_free(ctx.rn.uq);
        return 1;
    }
    nfb_result res = NFB_OK;
    nfb_reader_stats pst = {0}, st;
    progress_begin(j->rp.quiet || j->rp.json ? PROGRESS_OFF : j->progress, 0,
                   paths, np);
    int io_failed = read_all(j, r, &cfg, &b, NULL, &res, &pst);
    progress_end();
    nfb_reader_stats_get(r, &st);
    parallel_add_stats(&st, &pst);
    parallel_add_stats(acc, &st);
    nfb_reader_free(r);
    batch_free(&b);
    if (ctx.rn.uqres == NFB_OK && unique_end(ctx.rn.uq) != 0)
        ctx.rn.uqres = NFB_EIO;
    if (ctx.rn.uqres != NFB_OK || res == NFB_ENOMEM) {
        if (ctx.rn.uqres == NFB_ENOMEM)
            report_errorf("out of memory");
        else if (ctx.rn.uqres != NFB_OK)
            report_errorf("diff: cannot write a temporary file: %s",
                          unique_error(ctx.rn.uq));
        unique_free(ctx.rn.uq);
        return 1;
    }
    *u = ctx.rn.uq;
    return io_failed;
}

/* nfbackup diff OLD NEW. Returns the exit status: 0 no difference, 1
 * differences, EXIT_IO, or EXIT_DIFF_INVALID when some input was invalid
 * (its valid records were compared). */
static int run_diff(job *j, const char *old, const char *new)
{
    output out;
    if (output_open(&out, j->output) != 0) return EXIT_IO;
    unique *a = NULL, *b = NULL;
    nfb_reader_stats st = {0, 0, 0, 0, 0};
    int io_failed = read_side(j, old, &a, &st);
    if (a) io_failed |= read_side(j, new, &b, &st);
    diff_counts c = {0, 0, 0, 0};
    nfb_result wres = NFB_OK;
    if (a && b) {
        wres = diff_write(a, b, j->diff == 2,
                          !(j->write_flags & NFB_WRITE_NO_FORMULA_GUARD),
                          output_write, &out, &c);
        if (wres == NFB_ENOMEM) report_errorf("out of memory");
        if (wres == NFB_EIO)
            report_errorf("diff: cannot read a temporary file back: %s",
                          diff_error());
        if (wres == NFB_ENOMEM || wres == NFB_EIO) io_failed = 1;
    } else {
        io_failed = 1;
    }
    unique_free(a);
    unique_free(b);
    report_end(&j->rp, &st);
    if (!j->rp.quiet && !io_failed)
        report_notef("%llu added, %llu removed, %llu changed, %llu unchanged",
                     (unsigned long long)c.added, (unsigned long long)c.removed,
                     (unsigned long long)c.changed, (unsigned long long)c.same);
    if (report_flush() != 0) io_failed = 1;
    int write_failed = wres == NFB_EWRITE && !out.broken_pipe;
    if (output_close(&out, io_failed || write_failed) != 0 || write_failed) {
        if (!out.broken_pipe) {
            report_errorf("cannot write %s: %s",
                          out.path ? out.path : "standard output",
                          strerror(out.error ? out.error : EIO));
            io_failed = 1;
        }
    }
    return io_failed                           ? EXIT_IO
           : st.errors                         ? EXIT_DIFF_INVALID
           : c.added || c.removed || c.changed ? EXIT_INVALID
                                               : EXIT_VALID;
}

/* One option of the command line: sets it in j. Returns GO_ON, or the
 * exit status to end with (a usage error, --help, --version). */

static int set_option(job *j, int c, const char *arg)
{
    uint64_t num;
    for (int i = 0; i < N_APPLIES; i++)
        if (applies[i].opt == c) j->given[i] = 1;
    switch (c) {
    case 't':
        j->format = arg;
        break;
    case 'o':
        if (!*arg)
            return usage_error("-o/--output takes a file name, found an "
                               "empty string");
        j->output = arg;
        break;
    case 'q':
        j->rp.quiet = 1;
        break;
    case OPT_OUTPUT_DIR:
        if (!*arg)
            return usage_error("--output-dir takes a folder name, found an "
                               "empty string");
        j->output_dir = arg;
        break;
    case OPT_FILES_FROM:
        if (!*arg)
            return usage_error("--files-from takes a file name, found an "
                               "empty string");
        j->files_from = arg;
        break;
    case '0':
        j->nul = 1;
        break;
    case OPT_PRETTY:
        j->write_flags |= NFB_WRITE_PRETTY;
        break;
    case OPT_ENVELOPE:
        j->write_flags |= NFB_WRITE_ENVELOPE;
        break;
    case OPT_ARRAY:
        j->write_flags |= NFB_WRITE_ARRAY;
        break;
    case OPT_COLUMNS:
        j->columns = arg;
        break;
    case OPT_NO_HEADER:
        j->write_flags |= NFB_WRITE_NO_HEADER;
        break;
    case OPT_CRLF:
        j->write_flags |= NFB_WRITE_CRLF;
        break;
    case OPT_NO_FORMULA_GUARD:
        j->write_flags |= NFB_WRITE_NO_FORMULA_GUARD;
        break;
    case OPT_BOM:
        j->bom = 1;
        break;
    case OPT_STRICT:
        j->read_flags |= NFB_READ_STRICT;
        break;
    case OPT_FROM:
        j->read_flags &= ~(unsigned)(NFB_READ_JSON | NFB_READ_YAML);
        if (strcmp(arg, "json") == 0)
            j->read_flags |= NFB_READ_JSON;
        else if (strcmp(arg, "yaml") == 0)
            j->read_flags |= NFB_READ_YAML;
        else
            return usage_error("--from takes json or yaml, not '%s'", arg);
        break;
    case OPT_DIAGNOSTICS:
        if (strcmp(arg, "json") == 0)
            j->rp.json = 1;
        else if (strcmp(arg, "text") != 0)
            return usage_error("--diagnostics takes text or json, not "
                               "'%s'",
                               arg);
        break;
    case OPT_COLOR:
        if (strcmp(arg, "always") == 0)
            j->color = 1;
        else if (strcmp(arg, "never") == 0)
            j->color = 0;
        else if (strcmp(arg, "auto") == 0)
            j->color = -1;
        else
            return usage_error("--color takes auto, always or never, not "
                               "'%s'",
                               arg);
        break;
    case OPT_MAX_DEPTH:
        if (parse_number(arg, 1, NFB_MAX_DEPTH_LIMIT, &num))
            return usage_error("--max-depth takes a number from 1 to "
                               "%d, not '%s'",
                               NFB_MAX_DEPTH_LIMIT, arg);
        j->max_depth = (size_t)num;
        break;
    case OPT_MAX_STRING:
        if (parse_size(arg, 1, NFB_MAX_STRING_LIMIT, &num))
            return usage_error("--max-string takes a size from 1 to %zu "
                               "(1G), not '%s'",
                               NFB_MAX_STRING_LIMIT, arg);
        j->max_string = (size_t)num;
        break;
    case OPT_MAX_RECORD:
        if (parse_size(arg, 1, MAX_RECORD_LIMIT, &num))
            return usage_error("--max-record takes a size from 1 to %llu "
                               "(4G), not '%s'",
                               (unsigned long long)MAX_RECORD_LIMIT, arg);
        j->max_record = num;
        break;
    case OPT_MAX_DIAGNOSTICS:
        if (parse_number(arg, 0, UINT64_MAX, &j->rp.max_shown))
            return usage_error("--max-diagnostics takes a number from 0 "
                               "to %llu, not '%s'",
                               (unsigned long long)UINT64_MAX, arg);
        j->rp.capped = 1;
        break;
    case 'j':
        if (parse_number(arg, 0, 1024, &num))
            return usage_error("--jobs takes a number from 0 to 1024, "
                               "not '%s'",
                               arg);
        if (num == 0) {
            long cores = sysconf(_SC_NPROCESSORS_ONLN);
            num = cores > 1 ? (uint64_t)(cores < 1024 ? cores : 1024) : 1;
        }
        j->jobs = (int)num;
        break;
    case OPT_UNIQUE:
        j->unique = 1;
        break;
    case OPT_PROGRESS:
        j->progress = PROGRESS_ON;
        break;
    case OPT_NO_PROGRESS:
        j->progress = PROGRESS_OFF;
        break;
    case OPT_STATUS:
    case OPT_SOURCE_TYPE:
    case OPT_SINCE:
    case OPT_UNTIL: {
        char err[512];
        if (filter_option(&j->flt, c - OPT_STATUS, arg, err, sizeof err))
            return usage_error("%s", err);
        break;
    }
    case 'h':
        put_usage(stdout);
        return fflush(stdout) == 0 && !ferror(stdout) ? EXIT_VALID : EXIT_IO;
    case 'V':
        printf("nfbackup %s\n", nfb_version());
        return fflush(stdout) == 0 && !ferror(stdout) ? EXIT_VALID : EXIT_IO;
    default: /* getopt's errors are option_error's */
        return EXIT_USAGE;
    }
    return GO_ON;
}

/* getopt_long's short options; the ':' makes a missing argument ':'
 * rather than '?'. */
static const char short_options[] = ":t:o:qj:0hV";

/* The long option that the word (as given: "--diag=x") names, or NULL. */
static const struct option *long_option_of(const char *word, int *ambiguous)
{
    const char *name = word + 2;
    size_t n = strcspn(name, "=");
    const struct option *found = NULL;
    *ambiguous = 0;
    for (const struct option *o = long_options; o->name; o++) {
        if (strncmp(o->name, name, n) != 0) continue;
        if (strlen(o->name) == n) return o; /* exact */
        if (found && found->val != o->val) *ambiguous = 1;
        if (!found) found = o;
    }
    return found;
}

/* getopt_long's error (c is ':' or '?', opterr being 0), worded as glibc
 * words it, as a usage error. av and optind are those of the parse. */
static int option_error(int c, char **av)
{
    const char *word = av[optind - 1];
    int is_long = strncmp(word, "--", 2) == 0;
    int ambiguous = 0;
    const struct option *o = is_long ? long_option_of(word, &ambiguous) : NULL;
    if (c == ':' && !is_long)
        return usage_error("option requires an argument -- '%c'", optopt);
    if (c == ':')
        return usage_error("option '--%s' requires an argument",
                           o ? o->name : word + 2);
    /* An unknown letter: optopt is never one of a long option's. */
    if (optopt > 0 && optopt < 256 &&
        (optopt == ':' || !strchr(short_options + 1, optopt)))
        return usage_error("invalid option -- '%c'", optopt);
    if (optopt && o)
        return usage_error("option '--%s' doesn't allow an argument", o->name);
    if (!o || !ambiguous) return usage_error("unrecognized option '%s'", word);
    /* The options the word can be short for. */
    char list[512] = "";
    size_t n = strcspn(word + 2, "=");
    for (const struct option *p = long_options; p->name; p++) {
        if (strncmp(p->name, word + 2, n) != 0) continue;
        size_t len = strlen(list);
        snprintf(list + len, sizeof list - len, " '--%s'", p->name);
    }
    return usage_error("option '%s' is ambiguous; possibilities:%s", word,
                       list);
}

/* Whether the options after the command ask for JSON diagnostics, found
 * before anything is reported, so that a usage error is JSON too: getopt
 * itself runs over a copy of them (it reorders what it parses), so that
 * "--diag=json", "--diagnostics json" and the last of several count, and
 * neither an operand after "--" nor another option's argument does. */
static int wants_json(int argc, char **argv)
{
    char **copy = malloc((size_t)argc * sizeof *copy);
    if (!copy) return 0;
    memcpy(copy, argv, (size_t)argc * sizeof *copy);
    int json = 0, c;
    opterr = 0;
    optind = 0; /* glibc: start afresh */
    while ((c = getopt_long(argc, copy, short_options, long_options, NULL)) !=
           -1) {
        if (c == OPT_DIAGNOSTICS && strcmp(optarg, "json") == 0) json = 1;
        if (c == OPT_DIAGNOSTICS && strcmp(optarg, "text") == 0) json = 0;
    }
    free(copy);
    return json;
}

/* Where mask applies, in words: "convert --to csv or tsv", "convert and
 * stats". */
static void describe(unsigned mask, char *buf, size_t size)
{
    const char *part[8];
    char fmts[64] = "convert --to ";
    int n = 0;
    if (mask & W_VALIDATE) part[n++] = "validate";
    if ((mask & W_CONVERT) == W_CONVERT) {
        part[n++] = "convert";
    } else if (mask & W_CONVERT) {
        int k = 0, total = 0;
        for (int i = 0; i < N_CONVERT_FORMATS; i++)
            total += (mask & (W_JSON << i)) != 0;
        for (int i = 0; i < N_CONVERT_FORMATS; i++) {
            if (!(mask & (W_JSON << i))) continue;
            if (k)
                strncat(fmts, k == total - 1 ? " or " : ", ",
                        sizeof fmts - strlen(fmts) - 1);
            strncat(fmts, convert_formats[i], sizeof fmts - strlen(fmts) - 1);
            k++;
        }
        part[n++] = fmts;
    }
    if ((mask & W_STATS) == W_STATS)
        part[n++] = "stats";
    else if (mask & W_STATS)
        part[n++] = mask & W_STATS_TEXT   ? "stats --to text"
                    : mask & W_STATS_JSON ? "stats --to json"
                                          : "stats --to html";
    if ((mask & W_DIFF) == W_DIFF)
        part[n++] = "diff";
    else if (mask & W_DIFF)
        part[n++] = mask & W_DIFF_JSON ? "diff --to json" : "diff --to csv";
    buf[0] = '\0';
    for (int i = 0; i < n; i++) {
        if (i)
            strncat(buf, i == n - 1 ? " and " : ", ", size - strlen(buf) - 1);
        strncat(buf, part[i], size - strlen(buf) - 1);
    }
}

/* Refuses the options given that do not apply to the command and format
 * (its W_ bit; 0 for a format the writers will refuse by name). */
static int check_applies(const job *j, unsigned target, const char *cmd)
{
    if (!target) return GO_ON;
    for (int i = 0; i < N_APPLIES; i++) {
        if (!j->given[i] || (applies[i].where & target)) continue;
        char where[128];
        describe(applies[i].where, where, sizeof where);
        if (j->format && target != W_VALIDATE)
            return usage_error("%s is for %s, not for %s --to %s",
                               applies[i].name, where, cmd, j->format);
        return usage_error("%s is for %s, not for %s", applies[i].name, where,
                           cmd);
    }
    return GO_ON;
}

/* The options that go together, once all are read. Returns GO_ON or a
 * usage error's exit status. */
static int check_job(job *j, int validate, int convert, int audit, int diff)
{
    unsigned target = 0;
    if (validate) target = W_VALIDATE;
    if (diff) {
        if (!j->format) j->format = "json";
        if (strcmp(j->format, "json") == 0)
            target = W_DIFF_JSON;
        else if (strcmp(j->format, "csv") == 0)
            target = W_DIFF_CSV;
        else
            return usage_error("diff --to: expected json or csv, found "
                               "\"%s\"",
                               j->format);
        j->diff = target == W_DIFF_CSV ? 2 : 1;
    }
    if (audit)
        target = !j->format                       ? W_STATS_TEXT
                 : strcmp(j->format, "json") == 0 ? W_STATS_JSON
                 : strcmp(j->format, "html") == 0 ? W_STATS_HTML
                                                  : W_STATS_TEXT;
    for (int i = 0; convert && j->format && i < N_CONVERT_FORMATS; i++)
        if (strcmp(j->format, convert_formats[i]) == 0) target = W_JSON << i;
    if (convert && !j->format) return usage_error("convert needs --to FORMAT");
    if (audit && j->format && strcmp(j->format, "text") &&
        strcmp(j->format, "json") && strcmp(j->format, "html"))
        return usage_error("stats --to: expected text, json or html, found "
                           "\"%s\"",
                           j->format);
    int rc = check_applies(j, target,
                           validate  ? "validate"
                           : convert ? "convert"
                           : diff    ? "diff"
                                     : "stats");
    if (rc != GO_ON) return rc;
    if (j->output && j->output_dir)
        return usage_error("-o/--output writes one file for all inputs, "
                           "--output-dir one per input: give one of them");
    if (j->unique && j->output_dir)
        return usage_error("--unique keeps one record per id across all "
                           "inputs, --output-dir writes one output per "
                           "input: give one of them");
    if (j->nul && !j->files_from)
        return usage_error("-0/--null is for the list of --files-from, "
                           "which is not given");
    if (convert && strcmp(j->format, "xlsx") == 0 && !j->output_dir &&
        (!j->output || strcmp(j->output, "-") == 0))
        return usage_error("xlsx is a binary workbook: expected -o FILE "
                           "or --output-dir DIR, "
                           "found standard output");
    if (audit) {
        j->stats = 1 + (target == W_STATS_JSON   ? STATS_JSON
                        : target == W_STATS_HTML ? STATS_HTML
                                                 : STATS_TEXT);
        j->format = NULL;
    }
    char ferr[256];
    if (filter_check(&j->flt, ferr, sizeof ferr) != 0)
        return usage_error("%s", ferr);
    return GO_ON;
}

/* The inputs: the arguments, then the names --files-from lists; stdin
 * when there is neither. Returns GO_ON or the exit status. */
static int list_inputs(const job *j, batch *b, char **args, int nargs)
{
    batch_init(b);
    struct stat st;
    /* A folder of outputs inside a folder of inputs is not read: the
     * outputs of an earlier run are not inputs. */
    if (j->output_dir && stat(j->output_dir, &st) == 0 && S_ISDIR(st.st_mode)) {
        b->skip_set = 1;
        b->skip_dev = st.st_dev;
        b->skip_ino = st.st_ino;
    }
    int from_stdin = j->files_from && strcmp(j->files_from, "-") == 0;
    for (int i = 0; i < nargs; i++) {
        if (from_stdin && strcmp(args[i], "-") == 0)
            return usage_error("--files-from - reads the list from standard "
                               "input: it cannot be an input too");
        if (batch_add(b, args[i]) != 0) {
            report_errorf("out of memory");
            return EXIT_IO;
        }
    }
    if (j->files_from) {
        int rc = batch_read_list(b, j->files_from, j->nul);
        if (rc != 0) return rc;
    } else if (nargs == 0 && batch_add(b, "-") != 0) {
        report_errorf("out of memory");
        return EXIT_IO;
    }
    return GO_ON;
}

int main(int argc, char **argv)
{
    /* Before anything is opened (see output_init). */
    if (output_init() != 0) return EXIT_IO;
    report_setup();
    job j;
    memset(&j, 0, sizeof j);
    j.color = -1;
    j.progress = PROGRESS_AUTO;
    j.jobs = 1;
    if (argc < 2) {
        put_usage(stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    /* The options are parsed as if the command were the program's name:
     * av[0] is the command, and getopt starts after it. */
    char **av = argv + 1;
    int ac = argc - 1;
    j.rp.json = wants_json(ac, av);
    report_set_json(j.rp.json);
    if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0) {
        put_usage(stdout);
        return fflush(stdout) == 0 && !ferror(stdout) ? EXIT_VALID : EXIT_IO;
    }
    if (strcmp(cmd, "-V") == 0 || strcmp(cmd, "--version") == 0) {
        printf("nfbackup %s\n", nfb_version());
        return fflush(stdout) == 0 && !ferror(stdout) ? EXIT_VALID : EXIT_IO;
    }
    int validate = strcmp(cmd, "validate") == 0;
    int convert = strcmp(cmd, "convert") == 0;
    int audit = strcmp(cmd, "stats") == 0;
    int diff = strcmp(cmd, "diff") == 0;
    int listed = list_command(cmd, argc - 2, argv + 2);
    if (listed != LIST_NOT_ONE) return listed;
    if (!validate && !convert && !audit && !diff)
        return usage_error("unknown command '%s'", cmd);

    /* getopt prints nothing: its errors are reported as every other
     * message is (option_error). */
    int c, rc;
    opterr = 0;
    optind = 0; /* glibc: start afresh, after the pass of wants_json */
    while ((c = getopt_long(ac, av, short_options, long_options, NULL)) != -1) {
        if (c == ':' || c == '?') return option_error(c, av);
        if ((rc = set_option(&j, c, optarg)) != GO_ON) return rc;
    }
    if ((rc = check_job(&j, validate, convert, audit, diff)) != GO_ON)
        return rc;
    if (j.color < 0) {
        const char *nc = getenv("NO_COLOR");
        j.color = isatty(STDERR_FILENO) && !(nc && *nc) && !j.rp.json;
    }
    j.rp.color = j.color && !j.rp.json;

    if (diff) {
        if (ac - optind != 2)
            return usage_error("diff takes two inputs, OLD and NEW, found "
                               "%d",
                               ac - optind);
        rc = run_diff(&j, av[optind], av[optind + 1]);
        if (report_finish() != 0) rc = EXIT_IO;
        return rc;
    }
    batch b;
    rc = list_inputs(&j, &b, av + optind, ac - optind);
    if (rc == GO_ON) rc = run_job(&j, &b);
    batch_free(&b);
    /* Diagnostics that could not be written are an I/O error. */
    if (report_finish() != 0) rc = EXIT_IO;
    return rc;
}
