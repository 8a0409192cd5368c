/* A program built against the headers of an earlier minor version (the
 * include path names the baseline), run with the library of the tree:
 * its reader config and writer options are of the earlier size, its stats
 * struct too. It reads the file it is given, writes every format, and
 * checks what it gets. Exit 0 when all is as the earlier version said. */
#include <stdio.h>
#include <string.h>

#include <nfbackup/nfbackup.h>

typedef struct run {
    nfb_writer *w[16];
    size_t nw;
    unsigned long records, diags;
    size_t bytes[16];
} run;

static int count(void *ctx, const void *data, size_t len)
{
    (void)data;
    *(size_t *)ctx += len;
    return 0;
}

static int on_record(void *ctx, const nfb_backup *b)
{
    run *r = ctx;
    r->records++;
    if (b->id.len == 0 || b->status > NFB_STATUS_NOT_SUPPORTED) return 1;
    for (size_t i = 0; i < r->nw; i++)
        if (nfb_writer_record(r->w[i], b) != NFB_OK) return 1;
    return 0;
}

static int on_diag(void *ctx, const nfb_diag *d)
{
    ((run *)ctx)->diags++;
    fprintf(stderr, "%s:%llu:%llu: %s [%s]\n", d->input,
            (unsigned long long)d->line, (unsigned long long)d->column,
            d->message, nfb_code_name(d->code));
    return 0;
}

#define CHECK(c)                                                               \
    do {                                                                       \
        if (!(c)) {                                                            \
            fprintf(stderr, "abi: %s:%d: %s\n", __FILE__, __LINE__, #c);       \
            return 1;                                                          \
        }                                                                      \
    } while (0)

int main(int argc, char **argv)
{
    CHECK(argc == 2);
    /* The library is of this major version, and not older than the
     * headers. */
    CHECK(nfb_version_hex() >> 16 == NFB_VERSION_MAJOR);
    CHECK(nfb_version_hex() >= NFB_VERSION_HEX);
    run r = {0};
    nfb_error err;
    for (const nfb_format *f; r.nw < 16 && (f = nfb_format_get(r.nw)); r.nw++) {
        nfb_writer_options o;
        nfb_writer_options_init(&o);
        CHECK(o.size == sizeof o && o.columns == NULL && o.flags == 0);
        o.write = count;
        o.ctx = &r.bytes[r.nw];
        o.flags = NFB_WRITE_ARRAY;
        if (strcmp(f->name, "csv") == 0) o.columns = "id,status";
        r.w[r.nw] = nfb_writer_new(f->name, &o, &err);
        CHECK(r.w[r.nw] != NULL);
        CHECK(err.code == NFB_OK && err.text[0] == 0);
    }
    CHECK(r.nw >= 5);
    /* A designated initializer with the size, as writer.h allows. */
    nfb_writer_options d = {
        .size = sizeof d, .write = count, .ctx = &r.bytes[0]};
    nfb_writer *dw = nfb_writer_new("json", &d, &err);
    CHECK(dw != NULL);
    nfb_writer_free(dw);
    /* An unknown column is refused with its reason. */
    d.columns = "nope";
    CHECK(nfb_writer_new("csv", &d, &err) == NULL && err.code == NFB_EINVAL);

    nfb_reader_config cfg;
    nfb_reader_config_init(&cfg);
    CHECK(cfg.size == sizeof cfg);
    CHECK(cfg.max_depth == NFB_DEFAULT_MAX_DEPTH &&
          cfg.max_string == NFB_DEFAULT_MAX_STRING &&
          cfg.max_record == NFB_DEFAULT_MAX_RECORD &&
          cfg.max_diags == NFB_DEFAULT_MAX_DIAGS);
    cfg.on_record = on_record;
    cfg.on_diag = on_diag;
    cfg.ctx = &r;
    cfg.flags = NFB_READ_STRICT;
    cfg.max_depth = 32;
    nfb_reader *rd = nfb_reader_new(&cfg, &err);
    CHECK(rd != NULL && err.code == NFB_OK && err.text[0] == 0);
    CHECK(nfb_reader_feed_file(rd, argv[1]) == NFB_OK);
    /* Pushed bytes, in two chunks, then a damaged document. */
    static const char two[] =
        "{\"id\":\"x\",\"name\":\"y\",\"status\":\"failed\",\"createdAt\":"
        "\"2021-01-20T11:19:53.175Z\",\"config\":{\"size\":\"1\"}}\n{\"id\":1}";
    CHECK(nfb_reader_begin(rd, "pushed") == NFB_OK);
    CHECK(nfb_reader_feed(rd, two, 20) == NFB_OK);
    CHECK(nfb_reader_feed(rd, two + 20, sizeof two - 21) == NFB_OK);
    CHECK(nfb_reader_finish(rd) == NFB_OK);
    nfb_reader_stats st;
    nfb_reader_stats_get(rd, &st);
    CHECK(st.records == r.records && st.records == 2);
    CHECK(st.documents == 3 && st.errors + st.warnings == r.diags);
    CHECK(st.errors == 5 && st.warnings == 0);
    nfb_reader_free(rd);
    for (size_t i = 0; i < r.nw; i++) {
        CHECK(nfb_writer_end(r.w[i]) == NFB_OK);
        CHECK(r.bytes[i] > 0);
        nfb_writer_free(r.w[i]);
    }
    CHECK(strcmp(nfb_result_str(NFB_ESTATE),
                 "call not allowed in this state") == 0);
    printf("abi %s headers, library %s: %lu records, %zu formats\n",
           NFB_VERSION_STRING, nfb_version(), r.records, r.nw);
    return 0;
}
