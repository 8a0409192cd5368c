/* Diagnostics and messages on stderr, as compilers print them or as JSON
 * lines, and the summary that counts them.
 *
 * Everything this module prints goes through one buffer, written with
 * write(2) when it is full, when the program ends (report_finish, or at
 * exit), when a signal ends it (report_flush_on_signal), before the output
 * file is made final (report_flush), and after every line when stderr is a
 * terminal, where a person watches it. A flood of warnings into a file is
 * then a few large writes rather than one per line, in the same order and
 * with the same text. */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

enum { BUF_SIZE = 1 << 16 };

static struct {
    char buf[BUF_SIZE];
    size_t len;                /* bytes in buf */
    volatile sig_atomic_t end; /* bytes of buf up to the last whole line */
    volatile sig_atomic_t off; /* bytes of buf already written */
    int per_line;              /* stderr is a terminal */
    int broken;                /* EPIPE: its reader went away */
    int error;                 /* errno of a failed write */
    int json;                  /* every line a JSON object */
    volatile sig_atomic_t fd;  /* where stderr is, when not fd 2 (0: 2) */
} err;

/* The descriptor the buffer goes to: stderr, or where it was moved to
 * while fd 2 is captured (report_stderr_fd). */
static int err_fd(void)
{
    return err.fd ? (int)err.fd : STDERR_FILENO;
}

/* A message being built, before it is written as text or as JSON. */
static struct {
    char buf[4096];
    size_t len;
} mb;

/* Writes the buffer and empties it. Once a write has failed nothing more
 * is written: a closed pipe ends the diagnostics quietly, any other
 * failure is reported by report_finish's result. */
static void flush_buf(void)
{
    if ((size_t)err.off < err.len) progress_clear();
    while (!err.broken && !err.error && (size_t)err.off < err.len) {
        ssize_t n =
            write(err_fd(), err.buf + err.off, err.len - (size_t)err.off);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            if (errno == EPIPE)
                err.broken = 1;
            else
                err.error = errno;
            break;
        }
        err.off += (sig_atomic_t)n;
    }
    err.end = 0;
    err.off = 0;
    err.len = 0;
}

void report_flush_on_signal(void)
{
    progress_clear(); /* async-signal-safe: one write(2) */
    /* Only whole lines, and only what no write has taken yet. */
    size_t from = (size_t)err.off, to = (size_t)err.end;
    while (!err.broken && !err.error && from < to) {
        ssize_t n = write(err_fd(), err.buf + from, to - from);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        from += (size_t)n;
    }
    err.off = err.end = 0;
    err.len = 0;
}

/* Makes room by writing the whole lines and keeping the line being built,
 * so that every write ends at a line end (unless one line fills it all). */
static void make_room(void)
{
    size_t whole = (size_t)err.end;
    if (!whole) {
        flush_buf();
        return;
    }
    size_t len = err.len;
    err.len = whole;
    flush_buf();
    memmove(err.buf, err.buf + whole, len - whole);
    err.len = len - whole;
}

static void put(const char *s, size_t n)
{
    while (n > BUF_SIZE - err.len) {
        size_t k = BUF_SIZE - err.len;
        if (err.end) {
            make_room();
            continue;
        }
        memcpy(err.buf + err.len, s, k);
        err.len += k;
        s += k;
        n -= k;
        flush_buf();
    }
    memcpy(err.buf + err.len, s, n);
    err.len += n;
}

static void puts_(const char *s)
{
    put(s, strlen(s));
}

static void put_u64(uint64_t v)
{
    char t[24];
    size_t i = sizeof t;
    do {
        t[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    put(t + i, sizeof t - i);
}

static void end_line(void)
{
    put("\n", 1);
    err.end = (sig_atomic_t)err.len;
    if (err.per_line) flush_buf();
}

static void at_exit(void)
{
    flush_buf();
}

void report_setup(void)
{
    err.per_line = isatty(STDERR_FILENO);
    atexit(at_exit);
}

int report_flush(void)
{
    flush_buf();
    return err.error ? -1 : 0;
}

int report_finish(void)
{
    flush_buf();
    /* Messages printed with stdio (libxlsxwriter's, with text
     * diagnostics) count too. */
    if (fflush(stderr) != 0 || ferror(stderr)) return -1;
    return err.error ? -1 : 0;
}

/* put as an nfb_write_fn. */
static int put_piece(void *ctx, const void *data, size_t len)
{
    (void)ctx;
    put(data, len);
    return 0;
}

/* A JSON string that keeps the line one line, whatever its bytes: the
 * library's NFB_JSON_LINES escapes (a byte outside well-formed UTF-8, a
 * file name in another encoding say, as \uDCXX; C1 controls, U+0085
 * among them, U+2028 and U+2029 as \u escapes). */
static void put_json_str(const char *str)
{
    nfb_json_write_string(str, strlen(str), NFB_JSON_LINES, put_piece, NULL);
}

/* Text from the input or the command line (a file name, a key, a
 * message quoting either) written for a terminal: a control character
 * (C0, DEL, C1), U+2028 and U+2029 are written as escapes (\n, \t, \x1B,
 * \u0085, \u2028), and a byte outside well-formed UTF-8 as \xHH, so that
 * no escape sequence reaches the terminal and no name splits a line. */
static void put_text_safe(const char *str)
{
    static const char hex[] = "0123456789ABCDEF";
    const unsigned char *s = (const unsigned char *)str;
    for (;;) {
        const unsigned char *run = s;
        while (*s >= 0x20 && *s < 0x7F)
            s++;
        put((const char *)run, (size_t)(s - run));
        unsigned c = *s;
        if (!c) break;
        if (c < 0x20 || c == 0x7F) {
            const char *short_esc = c == '\n'   ? "\\n"
                                    : c == '\r' ? "\\r"
                                    : c == '\t' ? "\\t"
                                                : NULL;
            char e[4] = {'\\', 'x', hex[c >> 4], hex[c & 15]};
            if (short_esc)
                put(short_esc, 2);
            else
                put(e, 4);
            s++;
            continue;
        }
        uint32_t cp;
        size_t n =
            nfb_utf8_char((const char *)s, strnlen((const char *)s, 4), &cp);
        if (!n) {
            char e[4] = {'\\', 'x', hex[c >> 4], hex[c & 15]};
            put(e, 4);
            s++;
            continue;
        }
        char u[6] = {'\\',
                     'u',
                     hex[cp >> 12 & 15],
                     hex[cp >> 8 & 15],
                     hex[cp >> 4 & 15],
                     hex[cp & 15]};
        /* C1 (U+0080..U+009F), U+2028 and U+2029: escaped. */
        if (cp < 0xA0 || cp == 0x2028 || cp == 0x2029)
            put(u, 6);
        else
            put((const char *)s, n);
        s += n;
    }
}

static void mb_put(const char *s)
{
    size_t n = strlen(s);
    if (n > sizeof mb.buf - 1 - mb.len) n = sizeof mb.buf - 1 - mb.len;
    memcpy(mb.buf + mb.len, s, n);
    mb.len += n;
    mb.buf[mb.len] = 0;
}

static void mb_u64(uint64_t v)
{
    char t[24];
    snprintf(t, sizeof t, "%llu", (unsigned long long)v);
    mb_put(t);
}

/* Writes the message built in mb as a line of the tool's own: as text
 * "nfbackup: [INPUT: ][warning: ]MESSAGE", or as JSON {"input": INPUT,
 * "severity": SEVERITY, "message": MESSAGE, ...} where extra writes more
 * members. */
static void put_message(const char *severity, const char *input,
                        void (*extra)(const void *), const void *arg)
{
    if (err.json) {
        put("{", 1);
        if (input) {
            puts_("\"input\":");
            put_json_str(input);
            put(",", 1);
        }
        puts_("\"severity\":");
        put_json_str(severity);
        puts_(",\"message\":");
        put_json_str(mb.buf);
        if (extra) extra(arg);
        put("}", 1);
    } else {
        puts_("nfbackup: ");
        if (input) {
            put_text_safe(input);
            puts_(": ");
        }
        if (strcmp(severity, "warning") == 0) puts_("warning: ");
        put_text_safe(mb.buf);
    }
    end_line();
    mb.len = 0;
    mb.buf[0] = 0;
}

static void mb_vf(const char *fmt, va_list ap) CLI_PRINTF(1, 0);

static void mb_vf(const char *fmt, va_list ap)
{
    mb.len = 0;
    int n = vsnprintf(mb.buf, sizeof mb.buf, fmt, ap);
    mb.len = n < 0                       ? 0
             : (size_t)n < sizeof mb.buf ? (size_t)n
                                         : sizeof mb.buf - 1;
    mb.buf[mb.len] = 0;
}

static void report_vmsg(const char *what, const char *fmt, va_list ap)
    CLI_PRINTF(2, 0);

/* One message of the program, of severity what, from fmt's arguments. */
static void report_vmsg(const char *what, const char *fmt, va_list ap)
{
    mb_vf(fmt, ap);
    put_message(what, NULL, NULL, NULL);
}

void report_errorf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report_vmsg("error", fmt, ap);
    va_end(ap);
}

void report_warnf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report_vmsg("warning", fmt, ap);
    va_end(ap);
}

void report_notef(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report_vmsg("note", fmt, ap);
    va_end(ap);
}

void report_set_json(int json)
{
    err.json = json;
}

int report_json(void)
{
    return err.json;
}

void report_stderr_fd(int fd)
{
    flush_buf();
    err.fd = fd == STDERR_FILENO ? 0 : fd;
}

void report_message(const char *severity, const char *text)
{
    mb.len = 0;
    mb.buf[0] = 0;
    mb_put(text);
    put_message(severity, NULL, NULL, NULL);
}

void report_usage(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    mb_vf(fmt, ap);
    va_end(ap);
    put_message("error", NULL, NULL, NULL);
    static const char hint[] = "Try 'nfbackup --help' for more information.";
    if (err.json) {
        report_message("note", hint);
    } else {
        puts_(hint);
        end_line();
    }
}

static void put_json_diag(const nfb_diag *d)
{
    puts_("{\"input\":");
    put_json_str(d->input);
    puts_(",\"document\":");
    put_u64(d->document);
    puts_(",\"offset\":");
    put_u64(d->offset);
    /* Damage in a gzip or zstd stream has no line: offset is the byte in
     * the compressed input. */
    puts_(",\"line\":");
    if (d->line)
        put_u64(d->line);
    else
        puts_("null");
    puts_(",\"column\":");
    if (d->line)
        put_u64(d->column);
    else
        puts_("null");
    puts_(",\"severity\":");
    put_json_str(nfb_severity_name(d->severity));
    puts_(",\"code\":");
    put_json_str(nfb_code_name(d->code));
    puts_(",\"path\":");
    put_json_str(d->path);
    puts_(",\"message\":");
    put_json_str(d->message);
    put("}", 1);
    end_line();
}

/* A path whose first key reads as a severity ("error: error.status: ...")
 * is written with that key in brackets, as keys that are not identifiers
 * are: `error: ["error"].status: ...`, so that a path is never read as a
 * second severity. */
static void put_path(const char *path)
{
    static const char *const words[] = {"error", "warning", "note"};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        size_t n = strlen(words[i]);
        if (strncmp(path, words[i], n) == 0 &&
            (path[n] == 0 || path[n] == '.' || path[n] == '[')) {
            puts_("[\"");
            puts_(words[i]);
            puts_("\"]");
            put_text_safe(path + n);
            return;
        }
    }
    put_text_safe(path);
}

static void put_text_diag(const report *rp, const nfb_diag *d)
{
    if (rp->color) puts_("\033[1m");
    put_text_safe(d->input);
    /* Damage in a gzip or zstd stream has no line and column: its
     * message names the byte of the compressed input. */
    if (d->line) {
        put(":", 1);
        put_u64(d->line);
        put(":", 1);
        put_u64(d->column);
    }
    if (rp->color) {
        puts_(d->severity == NFB_ERROR ? ":\033[0m \033[1;31m"
                                       : ":\033[0m \033[1;35m");
        puts_(nfb_severity_name(d->severity));
        puts_(":\033[0m ");
    } else {
        puts_(": ");
        puts_(nfb_severity_name(d->severity));
        puts_(": ");
    }
    if (*d->path) {
        put_path(d->path);
        puts_(": ");
    }
    put_text_safe(d->message);
    puts_(" [");
    puts_(nfb_code_name(d->code));
    put("]", 1);
    end_line();
}

/* "240 lint, 10 wrong-type": the codes of counts, most frequent first. */
static void mb_codes(const uint64_t *count)
{
    unsigned char done[REPORT_CODES] = {0};
    const char *sep = "";
    for (;;) {
        int best = -1;
        for (int c = 0; c < REPORT_CODES; c++)
            if (count[c] && !done[c] && (best < 0 || count[c] > count[best]))
                best = c;
        if (best < 0) break;
        done[best] = 1;
        mb_put(sep);
        mb_u64(count[best]);
        mb_put(" ");
        mb_put(nfb_code_name((nfb_code)best));
        sep = ", ";
    }
}

/* {"lint":240,"wrong-type":10}, in the order of mb_codes. */
static void put_json_codes(const uint64_t *count)
{
    unsigned char done[REPORT_CODES] = {0};
    const char *sep = "{";
    for (;;) {
        int best = -1;
        for (int c = 0; c < REPORT_CODES; c++)
            if (count[c] && !done[c] && (best < 0 || count[c] > count[best]))
                best = c;
        if (best < 0) break;
        done[best] = 1;
        puts_(sep);
        put_json_str(nfb_code_name((nfb_code)best));
        put(":", 1);
        put_u64(count[best]);
        sep = ",";
    }
    if (*sep == '{') put("{", 1);
    put("}", 1);
}

static void put_not_shown(const void *count)
{
    puts_(",\"not_shown\":");
    put_json_codes(count);
}

enum { HELD_PER_DOC = 1, HELD_IN_A_ROW = 2 };

/* The line for the diagnostics left out since the last one printed. */
static void flush_held(report *rp)
{
    if (!rp->held_n) return;
    mb_u64(rp->held_n);
    mb_put(rp->held_n == 1 ? " more diagnostic not shown: "
                           : " more diagnostics not shown: ");
    mb_codes(rp->held);
    mb_put(" (");
    if (rp->held_why & HELD_PER_DOC) {
        mb_put("at most ");
        mb_u64(REPORT_PER_DOC);
        mb_put(" errors and as many warnings per document");
    }
    if (rp->held_why == (HELD_PER_DOC | HELD_IN_A_ROW)) mb_put("; ");
    if (rp->held_why & HELD_IN_A_ROW) {
        mb_put("at most ");
        mb_u64(REPORT_IN_A_ROW);
        mb_put(" in a row with the same code and path");
    }
    mb_put(")");
    put_message("note", rp->input ? rp->input : "", put_not_shown, rp->held);
    memset(rp->held, 0, sizeof rp->held);
    rp->held_n = 0;
    rp->held_why = 0;
}

/* Follows the input, the document and the run of alike diagnostics that
 * d belongs to. Returns HELD_* when d is not to be printed, else 0. */
static unsigned track(report *rp, const nfb_diag *d)
{
    int sev = d->severity == NFB_ERROR;
    int same_input = rp->input && strcmp(rp->input, d->input) == 0;
    if (!same_input) {
        flush_held(rp);
        free(rp->input);
        rp->input = strdup(d->input); /* NULL: no runs, no caps */
        rp->doc = 0;
        rp->run_len = 0;
    }
    if (!rp->input) return 0;
    if (d->document != rp->doc) {
        rp->doc = d->document;
        rp->doc_shown[0] = rp->doc_shown[1] = 0;
    }
    /* d's path is compared with run_path up to run_path's 0 (strncmp
     * stops there, or at d's 0, or at the first byte that differs): no
     * strlen of it first. */
    int alike = rp->run_len && !rp->run_long && rp->run_sev == sev &&
                rp->run_code == (int)d->code &&
                strncmp(rp->run_path, d->path, rp->run_plen + 1) == 0;
    if (alike) {
        rp->run_len++;
    } else {
        size_t plen = strlen(d->path);
        rp->run_plen = plen;
        rp->run_len = 1;
        rp->run_sev = sev;
        rp->run_code = (int)d->code;
        rp->run_long = plen >= sizeof rp->run_path;
        if (!rp->run_long) memcpy(rp->run_path, d->path, plen + 1);
    }
    unsigned why = 0;
    if (rp->doc_shown[sev] >= REPORT_PER_DOC) why |= HELD_PER_DOC;
    if (rp->run_len > REPORT_IN_A_ROW) why |= HELD_IN_A_ROW;
    if (!why) rp->doc_shown[sev]++;
    return why;
}

int report_keep(void *ctx, const nfb_diag *d)
{
    report *rp = ctx;
    /* The reader's notice that a document's further diagnostics are not
     * shown is a warning with the code limit (a limit of the input itself
     * is an error); the diagnostics it stands for are in the reader's
     * totals but not here. The command sets no such cap on the reader:
     * its own caps below know the code of everything left out. */
    if (d->severity == NFB_WARNING && d->code == NFB_CODE_LIMIT)
        rp->notices++;
    else if ((unsigned)d->code < REPORT_CODES)
        rp->count[d->severity == NFB_ERROR][d->code]++;
    /* Once stderr cannot be written, every diagnostic goes on to
     * report_print, whose answer stops the reader. */
    if (err.error) return 1;
    /* What is not printed is not formatted either. */
    if (rp->quiet && d->severity == NFB_WARNING) return 0;
    if (rp->capped && rp->shown >= rp->max_shown) {
        rp->not_shown++;
        if ((unsigned)d->code < REPORT_CODES) rp->capped_codes[d->code]++;
        return 0;
    }
    unsigned why = track(rp, d);
    if (why) {
        rp->held_why |= why;
        rp->held_n++;
        if ((unsigned)d->code < REPORT_CODES) rp->held[d->code]++;
        return 0;
    }
    return 1;
}

int report_print(void *ctx, const nfb_diag *d)
{
    report *rp = ctx;
    if (err.error) return 1;
    flush_held(rp);
    rp->shown++;
    if (rp->json)
        put_json_diag(d);
    else
        put_text_diag(rp, d);
    /* Diagnostics that cannot be written: stop reading, it is an I/O
     * error. */
    return err.error != 0;
}

int report_diag(void *ctx, const nfb_diag *d)
{
    return report_keep(ctx, d) ? report_print(ctx, d) : 0;
}

/* "N errors: a CODE, b CODE" in decreasing count, and what the reader
 * counted beyond its per-document cap. */
static void mb_counts(const report *rp, int is_error, uint64_t total)
{
    mb_u64(total);
    mb_put(is_error ? " error" : " warning");
    if (total != 1) mb_put("s");
    if (!total) return;
    const uint64_t *count = rp->count[is_error];
    uint64_t listed = 0;
    for (int c = 0; c < REPORT_CODES; c++)
        listed += count[c];
    if (listed) mb_put(": ");
    mb_codes(count);
    if (listed < total) {
        mb_put(listed ? ", " : ": ");
        mb_u64(total - listed);
        mb_put(" over the per-document cap");
    }
}

typedef struct summary {
    const report *rp;
    const nfb_reader_stats *st;
} summary;

static void put_json_summary(const void *arg)
{
    const summary *sm = arg;
    puts_(",\"summary\":{\"records\":");
    put_u64(sm->st->records);
    puts_(",\"documents\":");
    put_u64(sm->st->documents);
    puts_(",\"errors\":");
    put_u64(sm->st->errors);
    puts_(",\"warnings\":");
    put_u64(sm->st->warnings);
    puts_(",\"codes\":{\"error\":");
    put_json_codes(sm->rp->count[1]);
    puts_(",\"warning\":");
    put_json_codes(sm->rp->count[0]);
    puts_("}}");
}

void report_end(report *rp, const nfb_reader_stats *st)
{
    flush_held(rp);
    free(rp->input);
    rp->input = NULL;
    if (rp->not_shown) {
        mb_u64(rp->not_shown);
        mb_put(rp->not_shown == 1 ? " more diagnostic not shown: "
                                  : " more diagnostics not shown: ");
        mb_codes(rp->capped_codes);
        mb_put(" (--max-diagnostics ");
        mb_u64(rp->max_shown);
        mb_put(")");
        put_message("note", NULL, put_not_shown, rp->capped_codes);
    }
    if (!st || rp->quiet) return;
    mb_u64(st->records);
    mb_put(st->records == 1 ? " record valid in " : " records valid in ");
    mb_u64(st->documents);
    mb_put(st->documents == 1 ? " document; " : " documents; ");
    mb_counts(rp, 1, st->errors);
    mb_put("; "); /* the same with and without diagnostics */
    mb_counts(rp, 0, st->warnings);
    summary sm = {rp, st};
    put_message("note", NULL, put_json_summary, &sm);
}
