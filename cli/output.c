/* Output: stdout, or a file written atomically through a temporary file in
 * the same folder that is renamed over the destination on success, or, for
 * what is not a regular file or a new name, written in place. Also the
 * process-wide set-up that keeps output safe: fds 0-2 always open, no
 * SIGXFSZ, and the temporary file removed on every catchable signal. */
#define _GNU_SOURCE /* memfd_create: the capture of stderr */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "cli.h"

#ifndef PROC_SUPER_MAGIC
#define PROC_SUPER_MAGIC 0x9fa0
#endif

/* The temporary file, for the signal handler and atexit to remove. */
static volatile sig_atomic_t have_tmp;
static char tmp_path[PATH_MAX];

/* Bit n: fd n was closed when the program started (now /dev/null). */
static int std_closed;

/* Signals whose default action ends the process and that can be caught.
 * SIGPIPE and SIGXFSZ are ignored instead (a closed pipe and a file size
 * limit show as EPIPE and EFBIG from write). */
static const int fatal_signals[] = {
    SIGHUP,    SIGINT,  SIGQUIT,   SIGILL,  SIGTRAP, SIGABRT,
    SIGBUS,    SIGFPE,  SIGUSR1,   SIGSEGV, SIGUSR2, SIGALRM,
    SIGTERM,   SIGXCPU, SIGVTALRM, SIGPROF, SIGSYS,
#ifdef SIGSTKFLT
    SIGSTKFLT,
#endif
#ifdef SIGIO
    SIGIO,
#endif
#ifdef SIGPWR
    SIGPWR,
#endif
};

static struct sigaction old_action[NSIG];

/* A fault raised by the kernel for the instruction being run. */
static int is_fault(int sig, const siginfo_t *si)
{
    return si->si_code > 0 &&
           (sig == SIGSEGV || sig == SIGBUS || sig == SIGFPE || sig == SIGILL);
}

static void on_fatal_signal(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    int saved = errno;
    report_flush_on_signal();
    if (have_tmp) unlink(tmp_path);
    have_tmp = 0;
    /* Die as the signal would have made us: under the action it had
     * before (the default, or a sanitizer's report for a fault). A fault
     * happens again when the instruction is retried; any other signal is
     * sent again, and arrives once this handler returns. */
    sigaction(sig, &old_action[sig], NULL);
    if (!is_fault(sig, si)) raise(sig);
    errno = saved;
}

static void trap(int sig, const struct sigaction *sa)
{
    if (sigaction(sig, NULL, &old_action[sig]) != 0) return;
    /* An ignored signal (nohup) does not end the process: leave it. */
    if (!(old_action[sig].sa_flags & SA_SIGINFO) &&
        old_action[sig].sa_handler == SIG_IGN)
        return;
    sigaction(sig, sa, NULL);
}

static void remove_tmp_at_exit(void)
{
    if (have_tmp) unlink(tmp_path);
    have_tmp = 0;
}

int output_init(void)
{
    /* With fd 0, 1 or 2 closed, the next file opened (the temporary file
     * of -o) would take its number, and diagnostics would land in it. So
     * each takes /dev/null: stdin and stdout opened the wrong way round, so
     * that reading or writing them still fails with EBADF as when closed;
     * stderr for writing, so that diagnostics nobody wants are dropped. */
    for (int fd = 0; fd <= 2; fd++) {
        if (fcntl(fd, F_GETFD) != -1 || errno != EBADF) continue;
        std_closed |= 1 << fd;
        int n = open("/dev/null", fd == 1 ? O_RDONLY : O_WRONLY);
        if (n < 0) return -1;
        if (n != fd) {
            if (dup2(n, fd) < 0) return -1;
            close(n);
        }
    }
    signal(SIGPIPE, SIG_IGN);
    signal(SIGXFSZ, SIG_IGN);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fatal_signal;
    sa.sa_flags = SA_SIGINFO;
    sigfillset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof fatal_signals / sizeof *fatal_signals; i++)
        trap(fatal_signals[i], &sa);
#if defined(SIGRTMIN) && defined(SIGRTMAX)
    for (int sig = SIGRTMIN; sig <= SIGRTMAX && sig < NSIG; sig++)
        trap(sig, &sa);
#endif
    atexit(remove_tmp_at_exit);
    return 0;
}

/* Signals stay blocked while the temporary file and the flag that names it
 * disagree. */
static void block_signals(sigset_t *old)
{
    sigset_t all;
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, old);
}

/* The folder part of path, "." when there is none, into buf. */
static void dir_of(const char *path, char *buf)
{
    const char *slash = strrchr(path, '/');
    if (!slash) {
        strcpy(buf, ".");
    } else if (slash == path) {
        strcpy(buf, "/");
    } else {
        memcpy(buf, path, (size_t)(slash - path));
        buf[slash - path] = '\0';
    }
}

/* Whether dir is this process's folder of open file descriptors. */
static int is_own_fd_dir(const char *dir)
{
    struct stat d, s;
    if (stat(dir, &d) != 0) return 0;
    if (stat("/proc/self/fd", &s) == 0 && d.st_dev == s.st_dev &&
        d.st_ino == s.st_ino)
        return 1;
    return stat("/proc/thread-self/fd", &s) == 0 && d.st_dev == s.st_dev &&
           d.st_ino == s.st_ino;
}

enum { DEST_NEW, DEST_FILE, DEST_IN_PLACE, DEST_FD };

/* Finds where -o path writes. Symbolic links of the last component are
 * followed, so that a link (even one to a file not made yet) stays a link
 * and its target is written. A name that lives in /proc, as /dev/stdout,
 * /dev/fd/N and /proc/self/fd/N do, names an open file rather than a place
 * in a folder: renaming onto it would replace whatever file that is, so it
 * is written in place, and this process's own descriptor N is used as it
 * is (appending if it appends). dest receives the final name, *fdnum the
 * descriptor for DEST_FD. Returns a DEST_ kind, or -1 with errno set. */
static int resolve(const char *path, char *dest, int *fdnum)
{
    char dir[PATH_MAX], link[PATH_MAX];
    if (strlen(path) >= PATH_MAX) {
        errno = ENAMETOOLONG;
        return -1;
    }
    strcpy(dest, path);
    for (int hops = 0;; hops++) {
        if (hops > 40) {
            errno = ELOOP;
            return -1;
        }
        dir_of(dest, dir);
        struct statfs fs;
        if (statfs(dir, &fs) == 0 && fs.f_type == PROC_SUPER_MAGIC) {
            const char *base = strrchr(dest, '/');
            base = base ? base + 1 : dest;
            size_t digits = strspn(base, "0123456789");
            if (digits && digits < 10 && !base[digits] && is_own_fd_dir(dir)) {
                *fdnum = atoi(base);
                return DEST_FD;
            }
            return DEST_IN_PLACE;
        }
        struct stat st;
        if (lstat(dest, &st) != 0) return errno == ENOENT ? DEST_NEW : -1;
        if (S_ISREG(st.st_mode)) return DEST_FILE;
        if (!S_ISLNK(st.st_mode)) return DEST_IN_PLACE;
        ssize_t n = readlink(dest, link, sizeof link);
        if (n < 0) return -1;
        if ((size_t)n >= sizeof link) {
            errno = ENAMETOOLONG;
            return -1;
        }
        link[n] = '\0';
        if (link[0] == '/' || !strchr(dest, '/')) {
            strcpy(dest, link);
        } else {
            size_t d = strlen(dir);
            if (d + 1 + (size_t)n >= PATH_MAX) {
                errno = ENAMETOOLONG;
                return -1;
            }
            memcpy(dest, dir, d);
            dest[d] = '/';
            memcpy(dest + d + 1, link, (size_t)n + 1);
        }
    }
}

/* Opens descriptor n of this process for writing, as a new descriptor that
 * shares its offset and flags. */
static int open_own_fd(int n)
{
    if (n <= 2 && (std_closed & (1 << n))) {
        errno = EBADF;
        return -1;
    }
    int fl = fcntl(n, F_GETFL);
    if (fl < 0) return -1;
    if ((fl & O_ACCMODE) == O_RDONLY) {
        errno = EBADF;
        return -1;
    }
    return fcntl(n, F_DUPFD_CLOEXEC, 3);
}

/* ".NAME.XXXXXX" beside dest, so that rename stays atomic. A NAME too long
 * for the folder's name limit is shortened, at a UTF-8 character
 * boundary. */
static int make_tmp_name(const char *dest)
{
    char dir[PATH_MAX];
    dir_of(dest, dir);
    const char *slash = strrchr(dest, '/');
    size_t dlen = slash ? (size_t)(slash - dest) + 1 : 0;
    const char *base = dest + dlen;
    size_t blen = strlen(base);
    long name_max = pathconf(dir, _PC_NAME_MAX);
    if (name_max <= 0) name_max = 255;
    if (name_max < 16) {
        errno = ENAMETOOLONG;
        return -1;
    }
    if (1 + blen + 7 > (size_t)name_max) {
        blen = (size_t)name_max - 8;
        while (blen && ((unsigned char)base[blen] & 0xC0) == 0x80)
            blen--;
    }
    if (dlen + 1 + blen + 8 > sizeof tmp_path) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(tmp_path, dest, dlen);
    tmp_path[dlen] = '.';
    memcpy(tmp_path + dlen + 1, base, blen);
    memcpy(tmp_path + dlen + 1 + blen, ".XXXXXX", 8);
    return 0;
}

int output_open(output *o, const char *path)
{
    static char dest[PATH_MAX];
    memset(o, 0, sizeof *o);
    o->fd = STDOUT_FILENO;
    if (!path || strcmp(path, "-") == 0) {
        if (std_closed & 2) {
            report_errorf("cannot write standard output: %s", strerror(EBADF));
            return -1;
        }
        return 0;
    }
    o->path = path;
    int fdnum = -1;
    int kind = resolve(path, dest, &fdnum);
    if (kind < 0) {
        report_errorf("cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    if (kind == DEST_FD || kind == DEST_IN_PLACE) {
        o->fd = kind == DEST_FD ? open_own_fd(fdnum)
                                : open(path, O_WRONLY | O_CLOEXEC);
        if (o->fd < 0) {
            report_errorf("cannot open %s: %s", path, strerror(errno));
            return -1;
        }
        /* A regular file reached through another process's descriptor is
         * replaced in place, as the shell's > would. */
        struct stat st;
        if (kind == DEST_IN_PLACE && fstat(o->fd, &st) == 0 &&
            S_ISREG(st.st_mode) && ftruncate(o->fd, 0) != 0) {
            report_errorf("cannot open %s: %s", path, strerror(errno));
            close(o->fd);
            return -1;
        }
        o->direct = 1;
        return 0;
    }
    if (make_tmp_name(dest) != 0) {
        report_errorf("cannot create a file beside %s: %s", path,
                      strerror(errno));
        return -1;
    }
    sigset_t old;
    block_signals(&old);
    int fd = mkstemp(tmp_path);
    if (fd >= 0) have_tmp = 1;
    sigprocmask(SIG_SETMASK, &old, NULL);
    if (fd < 0) {
        report_errorf("cannot create a file beside %s: %s", path,
                      strerror(errno));
        return -1;
    }
    o->dest = dest;
    o->tmp = tmp_path;
    o->fd = fd;
    /* The new file gets the old one's mode, or what a new file would. */
    mode_t mode;
    struct stat st;
    if (kind == DEST_FILE && stat(dest, &st) == 0) {
        mode = st.st_mode & 07777;
    } else {
        mode_t mask = umask(0);
        umask(mask);
        mode = 0666 & ~mask;
    }
    fchmod(fd, mode);
    return 0;
}

static int write_all(output *o, const char *p, size_t len)
{
    while (len) {
        ssize_t n = write(o->fd, p, len);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            if (errno == EPIPE)
                o->broken_pipe = 1;
            else
                o->error = errno;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int output_write(void *ctx, const void *data, size_t len)
{
    output *o = ctx;
    /* --bom: once, before the first bytes, however many inputs there are
     * (the writer's blocks are written here, never before open_sinks has
     * set it). */
    if (o->bom && len) {
        o->bom = 0;
        if (write_all(o, "\xEF\xBB\xBF", 3) != 0) return -1;
    }
    return write_all(o, data, len);
}

int output_close(output *o, int discard)
{
    if (o->direct) {
        if (close(o->fd) != 0 && !o->error) o->error = errno;
        return o->error ? -1 : 0;
    }
    if (!o->tmp) {
        /* stdout is written with write(2) and never buffered here, so a
         * failure has already shown. */
        return o->error ? -1 : 0;
    }
    int ok = !discard && !o->error;
    if (ok && fsync(o->fd) != 0) o->error = errno, ok = 0;
    if (close(o->fd) != 0 && ok) o->error = errno, ok = 0;
    sigset_t old;
    block_signals(&old);
    if (ok && rename(o->tmp, o->dest) != 0) o->error = errno, ok = 0;
    if (!ok) unlink(o->tmp);
    have_tmp = 0;
    sigprocmask(SIG_SETMASK, &old, NULL);
    o->tmp = NULL;
    return ok || discard ? (o->error ? -1 : 0) : -1;
}

/* An anonymous file for a capture: in memory (so that a full disk does
 * not stop it), else an unnamed temporary file. */
static int anonymous_file(void)
{
#ifdef MFD_CLOEXEC
    int fd = memfd_create("nfbackup-stderr", MFD_CLOEXEC);
    if (fd >= 0) return fd;
#endif
    FILE *f = tmpfile();
    if (!f) return -1;
    int t = fcntl(fileno(f), F_DUPFD_CLOEXEC, 3);
    fclose(f);
    return t;
}

void output_capture_begin(capture *c)
{
    c->saved = -1;
    c->fd = anonymous_file();
    if (c->fd < 0) return;
    fflush(stderr);
    c->saved = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
    if (c->saved < 0) {
        close(c->fd);
        c->fd = -1;
        return;
    }
    report_stderr_fd(c->saved);
    if (dup2(c->fd, STDERR_FILENO) < 0) {
        report_stderr_fd(STDERR_FILENO);
        close(c->saved);
        close(c->fd);
        c->fd = c->saved = -1;
    }
}

/* One captured line (without its line end) as a message: "[ERROR]" and
 * "[WARNING]" give the severity and are left out of the text. */
static void report_captured(char *line)
{
    static const struct {
        const char *tag, *severity;
    } tags[] = {{"[ERROR]", "error"}, {"[WARNING]", "warning"}};
    const char *severity = "note";
    for (size_t i = 0; i < sizeof tags / sizeof *tags; i++) {
        size_t n = strlen(tags[i].tag);
        if (strncmp(line, tags[i].tag, n) == 0) {
            severity = tags[i].severity;
            line += n;
            line += strspn(line, ": ");
            break;
        }
    }
    if (*line) report_message(severity, line);
}

void output_capture_end(capture *c)
{
    if (c->fd < 0) return;
    fflush(stderr);
    dup2(c->saved, STDERR_FILENO);
    report_stderr_fd(STDERR_FILENO);
    close(c->saved);
    /* Line by line; a line longer than the buffer is told in parts. */
    char line[4096];
    size_t len = 0;
    off_t at = 0;
    for (;;) {
        ssize_t n = pread(c->fd, line + len, sizeof line - 1 - len, at);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        at += n;
        len += (size_t)n;
        char *p = line, *nl;
        while ((nl = memchr(p, '\n', len - (size_t)(p - line))) != NULL) {
            *nl = 0;
            report_captured(p);
            p = nl + 1;
        }
        len -= (size_t)(p - line);
        memmove(line, p, len);
        if (len == sizeof line - 1) {
            line[len] = 0;
            report_captured(line);
            len = 0;
        }
    }
    if (len) {
        line[len] = 0;
        report_captured(line);
    }
    close(c->fd);
    c->fd = c->saved = -1;
}
