/* The progress line: while inputs are read, one line on stderr says how
 * much has been read (of how much, when the inputs are files of known
 * size), how many records were valid, the rate and the time left. It is
 * redrawn in place (carriage return, then erase to the end of the line) at
 * most ten times a second, and erased when reading ends, so that a terminal
 * shows only what it showed before. Whatever else writes to stderr calls
 * progress_clear() first; the next chunk read draws the line again.
 *
 * The state is one static struct: there is one stderr.
 *
 * For tests, NFBACKUP_PROGRESS_CLOCK=N replaces the monotonic clock with
 * one that reads N nanoseconds per byte read so far, so that when the line
 * is drawn, and what it says, follow from the bytes alone. */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

/* No line before half a second: a short run shows nothing. Then at most
 * one redraw per tenth of a second. */
enum { FIRST_DRAW_NS = 500000000, REDRAW_NS = 100000000 };

static struct {
    int on; /* drawing enabled for this run */
    /* A line is on the screen now; also read by progress_clear in a
     * signal handler (report_flush_on_signal). */
    volatile sig_atomic_t drawn;
    uint64_t start;       /* monotonic ns at progress_begin */
    uint64_t last;        /* monotonic ns of the last draw */
    uint64_t done;        /* bytes read so far, all inputs */
    uint64_t total;       /* sum of the inputs' sizes; 0: not known */
    uint64_t ns_per_byte; /* the test clock; 0: the real one */
} pg;

/* One write(2) for the whole sequence: the terminal never shows half a
 * redraw. The diagnostics (report.c) also go straight to the descriptor,
 * so the two never wait in different buffers. A failed write is ignored:
 * the line is only a courtesy, and report.c sees stderr's failures. */
static void put(const char *s, size_t n)
{
    while (n) {
        ssize_t k = write(STDERR_FILENO, s, n);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) return;
        s += k;
        n -= (size_t)k;
    }
}

static uint64_t now_ns(void)
{
    if (pg.ns_per_byte) return pg.done * pg.ns_per_byte;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void progress_begin(int mode, int writes_stdout, char **files, int nfiles)
{
    memset(&pg, 0, sizeof pg);
    if (mode == PROGRESS_OFF) return;
    if (mode == PROGRESS_AUTO) {
        /* A terminal that can erase a line, and not one that also shows
         * the converted records, which the line would cut into. */
        const char *term = getenv("TERM");
        if (!isatty(STDERR_FILENO) || (term && strcmp(term, "dumb") == 0))
            return;
        if (writes_stdout && isatty(STDOUT_FILENO)) return;
    }
    pg.on = 1;
    const char *clock = getenv("NFBACKUP_PROGRESS_CLOCK"); /* for tests */
    if (clock) pg.ns_per_byte = strtoull(clock, NULL, 10);
    pg.start = now_ns();
    /* The total is known when every input is a regular file (stdin too,
     * from its offset on, when it is redirected from one); a pipe or a
     * FIFO leaves it unknown, and the line shows the bytes so far. */
    uint64_t total = 0;
    for (int i = 0; i < nfiles; i++) {
        struct stat st;
        int is_stdin = strcmp(files[i], "-") == 0;
        if ((is_stdin ? fstat(STDIN_FILENO, &st) : stat(files[i], &st)) != 0 ||
            !S_ISREG(st.st_mode))
            return;
        uint64_t size = (uint64_t)st.st_size;
        if (is_stdin) {
            off_t at = lseek(STDIN_FILENO, 0, SEEK_CUR);
            if (at > 0) size = (uint64_t)at < size ? size - (uint64_t)at : 0;
        }
        total += size;
    }
    pg.total = total;
}

/* Writes 1234567 as "1.2 MB": SI units, as the rate's MB/s. */
static void fmt_bytes(char *out, size_t cap, uint64_t n)
{
    if (n < 1000)
        snprintf(out, cap, "%llu B", (unsigned long long)n);
    else if (n < 1000000)
        snprintf(out, cap, "%.1f kB", (double)n / 1e3);
    else if (n < 1000000000)
        snprintf(out, cap, "%.1f MB", (double)n / 1e6);
    else
        snprintf(out, cap, "%.2f GB", (double)n / 1e9);
}

static void fmt_duration(char *out, size_t cap, double secs)
{
    unsigned long long s = (unsigned long long)(secs + 0.5);
    if (s >= 3600)
        snprintf(out, cap, "%llu:%02llu:%02llu", s / 3600, s / 60 % 60, s % 60);
    else
        snprintf(out, cap, "%llu:%02llu", s / 60, s % 60);
}

static void draw(const nfb_reader *r, uint64_t now)
{
    nfb_reader_stats st;
    nfb_reader_stats_get(r, &st);
    double secs = (double)(now - pg.start) / 1e9;
    double rate = secs > 0 ? (double)pg.done / secs : 0; /* bytes/s */
    /* Every part is bounded (numbers of at most 20 digits): the line is
     * under 200 bytes, with room left for the erase sequence. */
    char done[32], total[32], line[256];
    int len;
    fmt_bytes(done, sizeof done, pg.done);
    line[0] = '\r';
    if (pg.total) {
        fmt_bytes(total, sizeof total, pg.total);
        unsigned pct = pg.done >= pg.total
                           ? 100
                           : (unsigned)(pg.done * 100.0 / (double)pg.total);
        len = 1 + snprintf(line + 1, sizeof line - 1,
                           "nfbackup: %s of %s (%u%%)", done, total, pct);
    } else {
        len = 1 + snprintf(line + 1, sizeof line - 1, "nfbackup: %s", done);
    }
    len += snprintf(
        line + len, sizeof line - (size_t)len, ", %llu record%s, %.1f MB/s",
        (unsigned long long)st.records, st.records == 1 ? "" : "s", rate / 1e6);
    if (pg.total && rate > 0 && pg.done < pg.total) {
        char eta[32];
        fmt_duration(eta, sizeof eta, (double)(pg.total - pg.done) / rate);
        len += snprintf(line + len, sizeof line - (size_t)len, ", ETA %s", eta);
    }
    /* A line longer than the terminal would wrap, and the carriage return
     * would then go back only to the start of its last row. */
    struct winsize ws;
    if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 1 &&
        len > ws.ws_col)
        len = ws.ws_col; /* the \r and ws_col - 1 characters */
    memcpy(line + len, "\033[K", 3);
    /* Marked drawn first: a signal that ends the run during the write
     * still erases the line (an erasure with no line is harmless). */
    pg.drawn = 1;
    put(line, (size_t)len + 3);
    pg.last = now;
}

void progress_read(const nfb_reader *r, size_t n)
{
    if (!pg.on) return;
    pg.done += n;
    /* One clock read per chunk: a vDSO call of some tens of nanoseconds,
     * against the read(2) and the parse of up to 256 KiB it follows. */
    uint64_t now = now_ns();
    if (now - pg.start < FIRST_DRAW_NS) return;
    if (pg.last && now - pg.last < REDRAW_NS) return;
    draw(r, now);
}

void progress_clear(void)
{
    if (!pg.drawn) return;
    put("\r\033[K", 4);
    pg.drawn = 0;
}

void progress_end(void)
{
    progress_clear();
    pg.on = 0;
}
