/* Prints the id and size of each backup in the files named (no file, or
 * "-": stdin), and each problem found. Exit status: 0 all valid, 1 errors
 * found, 3 a file could not be read. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <nfbackup/nfbackup.h>

static int on_record(void *ctx, const nfb_backup *b)
{
    (void)ctx;
    printf("%.*s %llu bytes\n", (int)b->id.len, b->id.ptr,
           (unsigned long long)b->config.size);
    return 0; /* non-zero would stop the reader */
}

static int on_diag(void *ctx, const nfb_diag *d)
{
    (void)ctx;
    fprintf(stderr, "%s:%llu:%llu: %s: %s [%s]\n", d->input,
            (unsigned long long)d->line, (unsigned long long)d->column,
            nfb_severity_name(d->severity), d->message, nfb_code_name(d->code));
    return 0;
}

int main(int argc, char **argv)
{
    nfb_reader_config cfg;
    nfb_reader_config_init(&cfg);
    cfg.on_record = on_record;
    cfg.on_diag = on_diag;
    nfb_reader *r = nfb_reader_new(&cfg, NULL);
    if (!r) return 3;

    for (int i = 1; i < argc || i == 1; i++) {
        const char *path = argc > 1 ? argv[i] : "-";
        nfb_result res = nfb_reader_feed_file(r, path);
        if (res != NFB_OK) {
            fprintf(stderr, "%s: %s\n", path,
                    res == NFB_EIO ? strerror(errno) : nfb_result_str(res));
            nfb_reader_free(r);
            return 3;
        }
    }

    nfb_reader_stats st;
    nfb_reader_stats_get(r, &st);
    nfb_reader_free(r);
    return st.errors ? 1 : 0;
}
