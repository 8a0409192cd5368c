/* Output: stdout, or a file written atomically through a temporary file in
 * the same folder that is renamed over the destination on success. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

/* The temporary file, for the signal handler to remove. */
static volatile sig_atomic_t have_tmp;
static char tmp_path[4096];

static void on_signal(int sig)
{
    if (have_tmp) unlink(tmp_path);
    signal(sig, SIG_DFL);
    raise(sig);
}

int output_open(output *o, const char *path)
{
    memset(o, 0, sizeof *o);
    o->fd = STDOUT_FILENO;
    if (!path || strcmp(path, "-") == 0) return 0;
    /* A device, a FIFO or the like cannot be replaced by renaming: write
     * to it as it is. A symbolic link is followed, so that the file it
     * points to is replaced rather than the link. */
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        o->fd = open(path, O_WRONLY | O_CLOEXEC);
        if (o->fd < 0) {
            report_errorf("cannot open %s: %s", path, strerror(errno));
            return -1;
        }
        o->path = path;
        o->direct = 1;
        return 0;
    }
    static char target[4096];
    if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode) &&
        realpath(path, target) != NULL)
        path = target;
    o->path = path;
    size_t n = strlen(path);
    if (n + 16 > sizeof tmp_path) {
        report_errorf("output path too long: %s", path);
        return -1;
    }
    /* ".NAME.XXXXXX" beside the destination, so rename stays atomic. */
    const char *slash = strrchr(path, '/');
    size_t dir = slash ? (size_t)(slash - path) + 1 : 0;
    memcpy(tmp_path, path, dir);
    tmp_path[dir] = '.';
    memcpy(tmp_path + dir + 1, path + dir, n - dir);
    memcpy(tmp_path + n + 1, ".XXXXXX", 8);
    int fd = mkstemp(tmp_path);
    if (fd < 0) {
        report_errorf("cannot create a file beside %s: %s", path,
                      strerror(errno));
        return -1;
    }
    have_tmp = 1;
    o->tmp = tmp_path;
    o->fd = fd;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    /* The new file gets the old one's mode, or what a new file would. */
    mode_t mode;
    if (stat(path, &st) == 0) {
        mode = st.st_mode & 07777;
    } else {
        mode_t mask = umask(0);
        umask(mask);
        mode = 0666 & ~mask;
    }
    fchmod(fd, mode);
    return 0;
}

int output_write(void *ctx, const void *data, size_t len)
{
    output *o = ctx;
    const char *p = data;
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
    if (ok && rename(o->tmp, o->path) != 0) o->error = errno, ok = 0;
    if (!ok) unlink(o->tmp);
    have_tmp = 0;
    o->tmp = NULL;
    return ok || discard ? (o->error ? -1 : 0) : -1;
}
