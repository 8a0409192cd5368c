/* Reading inputs in large chunks into the reader. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

enum { CHUNK = 256 * 1024 };

/* Reads fd from where it is to its end into r. */
static int feed_fd(nfb_reader *r, int fd, const char *name, nfb_result *res)
{
    static unsigned char buf[CHUNK];
    /* The input begins in the reader at its first successful read, so
     * that one that cannot be read at all (a directory) is an I/O error
     * only, not also an empty document. */
    int begun = 0;
    *res = NFB_OK;
    while (*res == NFB_OK) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            report_errorf("cannot read %s: %s", name, strerror(errno));
            return EXIT_IO;
        }
        if (!begun) {
            begun = 1;
            *res = nfb_reader_begin(r, name);
            if (*res != NFB_OK) break;
        }
        if (n == 0) {
            *res = nfb_reader_finish(r);
            break;
        }
        *res = nfb_reader_feed(r, buf, (size_t)n);
        progress_read(r, (size_t)n);
    }
    return *res == NFB_OK ? 0 : -1;
}

int input_feed(nfb_reader *r, const char *path, const input_jobs *jobs,
               nfb_result *res)
{
    if (strcmp(path, "-") == 0) return feed_fd(r, STDIN_FILENO, "<stdin>", res);
    /* Opened once: a FIFO or a device cannot be opened again for the same
     * bytes, so -j decides on this descriptor and, when it does not read
     * it, leaves it where it was for one thread. */
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        report_errorf("cannot open %s: %s", path, strerror(errno));
        return EXIT_IO;
    }
    int rc = PARALLEL_NO;
    if (jobs && jobs->jobs > 1)
        rc = parallel_feed(fd, path, jobs->jobs, jobs->cfg, jobs->records,
                           jobs->acc, res);
    if (rc == PARALLEL_NO) {
#ifdef POSIX_FADV_SEQUENTIAL
        posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
        rc = feed_fd(r, fd, path, res);
    }
    close(fd);
    return rc;
}
