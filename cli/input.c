/* Reading inputs in large chunks into the reader. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

enum { CHUNK = 256 * 1024 };

int input_feed(nfb_reader *r, const char *path, nfb_result *res)
{
    static unsigned char buf[CHUNK];
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
    /* The input begins in the reader at its first successful read, so
     * that one that cannot be read at all (a directory) is an I/O error
     * only, not also an empty document. */
    int begun = 0;
    int rc = 0;
    *res = NFB_OK;
    while (*res == NFB_OK) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            report_errorf("cannot read %s: %s", name, strerror(errno));
            rc = EXIT_IO;
            break;
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
    if (!is_stdin) close(fd);
    if (rc) return rc;
    return *res == NFB_OK ? 0 : -1;
}
