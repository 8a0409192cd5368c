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
} err;

/* Writes the buffer and empties it. Once a write has failed nothing more
 * is written: a closed pipe ends the diagnostics quietly, any other
 * failure is reported by report_finish's result. */
static void flush_buf(void)
{
    if ((size_t)err.off < err.len) progress_clear();
    while (!err.broken && !err.error && (size_t)err.off < err.len) {
        ssize_t n =
            write(STDERR_FILENO, err.buf + err.off, err.len - (size_t)err.off);
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
        ssize_t n = write(STDERR_FILENO, err.buf + from, to - from);
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

static void put_vf(const char *fmt, va_list ap)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 0)))
#endif
    ;

static void put_vf(const char *fmt, va_list ap)
{
    va_list cp;
    va_copy(cp, ap);
    size_t room = BUF_SIZE - err.len;
    int n = vsnprintf(err.buf + err.len, room, fmt, cp);
    va_end(cp);
    if (n < 0) return;
    if ((size_t)n < room) {
        err.len += (size_t)n;
        return;
    }
    make_room();
    room = BUF_SIZE - err.len;
    n = vsnprintf(err.buf + err.len, room, fmt, ap);
    if (n < 0) return;
    err.len += (size_t)n < room ? (size_t)n : room - 1;
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
    /* Messages printed with stdio (getopt's) count too. */
    if (fflush(stderr) != 0 || ferror(stderr)) return -1;
    return err.error ? -1 : 0;
}

void report_errorf(const char *fmt, ...)
{
    va_list ap;
    puts_("nfbackup: ");
    va_start(ap, fmt);
    put_vf(fmt, ap);
    va_end(ap);
    end_line();
}

/* A JSON string. Every byte sequence becomes valid JSON: a byte that is
 * not part of a well-formed UTF-8 character (a file name in another
 * encoding, say) is written as the escape \uDCXX, XX being the byte (the
 * code points U+DC80 to U+DCFF, as Python's "surrogateescape" does), and
 * U+2028 and U+2029 are escaped so that no line reader splits the line. */
static void put_json_str(const char *str)
{
    static const char hex[] = "0123456789ABCDEF";
    const unsigned char *s = (const unsigned char *)str;
    put("\"", 1);
    for (;;) {
        const unsigned char *run = s;
        while (*s >= 0x20 && *s < 0x80 && *s != '"' && *s != '\\')
            s++;
        put((const char *)run, (size_t)(s - run));
        unsigned c = *s;
        if (!c) break;
        char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
        if (c == '"' || c == '\\') {
            e[1] = (char)c;
            put(e, 2);
            s++;
            continue;
        }
        if (c < 0x20) {
            const char *short_esc = c == '\b'   ? "\\b"
                                    : c == '\f' ? "\\f"
                                    : c == '\n' ? "\\n"
                                    : c == '\r' ? "\\r"
                                    : c == '\t' ? "\\t"
                                                : NULL;
            if (short_esc)
                put(short_esc, 2);
            else
                put(e, 6);
            s++;
            continue;
        }
        /* The length of a well-formed UTF-8 character at s, or 0. */
        size_t n = 0;
        unsigned lo = 0x80, hi = 0xBF;
        if (c >= 0xC2 && c <= 0xDF) {
            n = 2;
        } else if (c >= 0xE0 && c <= 0xEF) {
            n = 3;
            if (c == 0xE0) lo = 0xA0;
            if (c == 0xED) hi = 0x9F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            n = 4;
            if (c == 0xF0) lo = 0x90;
            if (c == 0xF4) hi = 0x8F;
        }
        if (n && (s[1] < lo || s[1] > hi)) n = 0;
        for (size_t i = 2; n && i < n; i++)
            if (s[i] < 0x80 || s[i] > 0xBF) n = 0;
        if (!n) {
            e[2] = 'D';
            e[3] = 'C';
            put(e, 6);
            s++;
        } else if (c == 0xE2 && s[1] == 0x80 &&
                   (s[2] == 0xA8 || s[2] == 0xA9)) {
            put(s[2] == 0xA8 ? "\\u2028" : "\\u2029", 6);
            s += 3;
        } else {
            put((const char *)s, n);
            s += n;
        }
    }
    put("\"", 1);
}

static void put_json_diag(const nfb_diag *d)
{
    puts_("{\"input\":");
    put_json_str(d->input);
    puts_(",\"document\":");
    put_u64(d->document);
    puts_(",\"offset\":");
    put_u64(d->offset);
    puts_(",\"line\":");
    put_u64(d->line);
    puts_(",\"column\":");
    put_u64(d->column);
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
            puts_(path + n);
            return;
        }
    }
    puts_(path);
}

static void put_text_diag(const report *rp, const nfb_diag *d)
{
    if (rp->color) puts_("\033[1m");
    puts_(d->input);
    put(":", 1);
    put_u64(d->line);
    put(":", 1);
    put_u64(d->column);
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
    puts_(d->message);
    puts_(" [");
    puts_(nfb_code_name(d->code));
    put("]", 1);
    end_line();
}

int report_diag(void *ctx, const nfb_diag *d)
{
    report *rp = ctx;
    /* The reader's notice that a document's further diagnostics are not
     * shown is a warning with the code limit (a limit of the input itself
     * is an error); the diagnostics it stands for are in the reader's
     * totals but not here. */
    if (d->severity == NFB_WARNING && d->code == NFB_CODE_LIMIT)
        rp->notices++;
    else if ((unsigned)d->code < REPORT_CODES)
        rp->count[d->severity == NFB_ERROR][d->code]++;
    /* What is not printed is not formatted either. */
    if (rp->quiet && d->severity == NFB_WARNING) return err.error != 0;
    if (rp->capped && rp->shown >= rp->max_shown) {
        rp->not_shown++;
        return err.error != 0;
    }
    rp->shown++;
    if (rp->json)
        put_json_diag(d);
    else
        put_text_diag(rp, d);
    /* Diagnostics that cannot be written: stop reading, it is an I/O
     * error. */
    return err.error != 0;
}

/* "N errors: a CODE, b CODE" in decreasing count, and what the reader
 * counted beyond the per-document cap. */
static void put_counts(const report *rp, int is_error, uint64_t total)
{
    put_u64(total);
    puts_(is_error ? " error" : " warning");
    if (total != 1) put("s", 1);
    if (!total) return;
    const uint64_t *count = rp->count[is_error];
    uint64_t listed = 0;
    unsigned char done[REPORT_CODES] = {0};
    const char *sep = ": ";
    for (;;) {
        int best = -1;
        for (int c = 0; c < REPORT_CODES; c++)
            if (count[c] && !done[c] && (best < 0 || count[c] > count[best]))
                best = c;
        if (best < 0) break;
        done[best] = 1;
        puts_(sep);
        put_u64(count[best]);
        put(" ", 1);
        puts_(nfb_code_name((nfb_code)best));
        listed += count[best];
        sep = ", ";
    }
    if (listed < total) {
        puts_(sep);
        put_u64(total - listed);
        puts_(" over the per-document cap");
    }
}

void report_end(report *rp, const nfb_reader_stats *st)
{
    if (rp->not_shown) {
        puts_("nfbackup: ");
        put_u64(rp->not_shown);
        puts_(rp->not_shown == 1 ? " more diagnostic not shown"
                                 : " more diagnostics not shown");
        puts_(" (--max-diagnostics ");
        put_u64(rp->max_shown);
        put(")", 1);
        end_line();
    }
    if (!st || rp->quiet) return;
    puts_("nfbackup: ");
    put_u64(st->records);
    puts_(st->records == 1 ? " record valid in " : " records valid in ");
    put_u64(st->documents);
    puts_(st->documents == 1 ? " document; " : " documents; ");
    put_counts(rp, 1, st->errors);
    puts_("; "); /* the same with and without diagnostics */
    put_counts(rp, 0, st->warnings);
    end_line();
}
