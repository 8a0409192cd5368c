/* Reading inputs in large chunks into the reader, through its pull
 * function, so that archives and xz, bzip2 and lz4 streams are read too;
 * the progress line counts the bytes read from the file, compressed or
 * not. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

enum { CHUNK = 256 * 1024 };

typedef struct source {
    nfb_reader *r;
    int fd;
} source;

static ptrdiff_t read_fd(void *ctx, void *buf, size_t len)
{
    source *s = ctx;
    if (len > CHUNK) len = CHUNK;
    ssize_t n = read(s->fd, buf, len);
    if (n > 0) progress_read(s->r, (size_t)n);
    return n;
}

/* Reads fd from where it is to its end into r, told by its first bytes
 * (an archive's members are inputs of their own). An input that cannot be
 * read at all (a directory) is an I/O error only, not also an empty
 * document: the reader begins no input for it. */
static int feed_fd(nfb_reader *r, int fd, const char *name, nfb_result *res)
{
    source s = {r, fd};
    *res = nfb_reader_read(r, name, read_fd, &s);
    if (*res == NFB_EIO) {
        report_errorf("cannot read %s: %s", name, strerror(errno));
        *res = NFB_OK;
        return EXIT_IO;
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
                           jobs->on_page, jobs->page_ctx, jobs->acc, res);
    if (rc == PARALLEL_NO) {
#ifdef POSIX_FADV_SEQUENTIAL
        posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
        rc = feed_fd(r, fd, path, res);
    }
    close(fd);
    return rc;
}
