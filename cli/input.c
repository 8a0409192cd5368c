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

int input_feed(nfb_reader *r, const char *path, nfb_result *res)
{
    int is_stdin = strcmp(path, "-") == 0;
    const char *name = is_stdin ? "<stdin>" : path;
    int fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        report_errorf("cannot open %s: %s", path, strerror(errno));
        return EXIT_IO;
    }
#ifdef POSIX_FADV_SEQUENTIAL
    if (!is_stdin) posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
    source s = {r, fd};
    *res = nfb_reader_read(r, name, read_fd, &s);
    int rc = 0;
    if (*res == NFB_EIO) {
        report_errorf("cannot read %s: %s", name, strerror(errno));
        rc = EXIT_IO;
        *res = NFB_OK;
    }
    if (!is_stdin) close(fd);
    if (rc) return rc;
    return *res == NFB_OK ? 0 : -1;
}
