/* The nfbackup command: shared declarations of its parts. */
#ifndef NFB_CLI_H
#define NFB_CLI_H

#include <stdio.h>

#include <nfbackup/nfbackup.h>

/* Exit codes. */
enum { EXIT_VALID = 0, EXIT_INVALID = 1, EXIT_USAGE = 2, EXIT_IO = 3 };

/* report.c: diagnostics on stderr. */
typedef struct report {
    int json;  /* --diagnostics=json */
    int color; /* ANSI colors */
    int quiet; /* -q: no warnings */
    void *gen; /* yajl_gen for json */
} report;

int report_init(report *rp);
void report_free(report *rp);
int report_diag(void *ctx, const nfb_diag *d); /* an nfb_diag_fn */
void report_errorf(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

/* output.c: where converted records go. */
typedef struct output {
    const char *path; /* NULL: stdout */
    int fd;
    char *tmp;       /* the temporary file that becomes path */
    int direct;      /* path is not a regular file: written in place */
    int broken_pipe; /* the reader of stdout went away */
    int error;       /* errno of a failed write */
} output;

int output_open(output *o, const char *path);
int output_write(void *ctx, const void *data, size_t len); /* nfb_write_fn */
/* Makes the output final: flushes, renames the temporary file. On failure
 * (or when discard is set) the destination is left as it was. Returns 0 on
 * success. */
int output_close(output *o, int discard);

/* input.c: feeds the named files (or stdin) to a reader. Returns 0, or
 * EXIT_IO after reporting an unreadable input, or -1 when the reader was
 * stopped or failed (res tells which). */
int input_feed(nfb_reader *r, const char *path, nfb_result *res);

#endif
