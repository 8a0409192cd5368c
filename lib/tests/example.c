/* The library example of README.md, built and run as a test: it reads
 * responses from stdin or the files named, and prints each backup's id and
 * size, and each problem found. */
#include <stdio.h>

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
    nfb_reader *r = nfb_reader_new(&cfg);
    if (!r) return 3;

    char buf[65536];
    size_t n;
    for (int i = 1; i < argc || i == 1; i++) {
        FILE *f = argc > 1 ? fopen(argv[i], "rb") : stdin;
        if (!f) return 3;
        nfb_reader_begin(r, argc > 1 ? argv[i] : "<stdin>");
        while ((n = fread(buf, 1, sizeof buf, f)) > 0)
            nfb_reader_feed(r, buf, n);
        nfb_reader_finish(r);
        if (f != stdin) fclose(f);
    }

    nfb_reader_stats st;
    nfb_reader_stats_get(r, &st);
    nfb_reader_free(r);
    return st.errors ? 1 : 0;
}
