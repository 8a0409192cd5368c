/* The reader test harness: see harness.h. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <setjmp.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *c = malloc(n);
    assert_non_null(c);
    memcpy(c, s, n);
    return c;
}

typedef struct growbuf {
    char *p;
    size_t n, cap;
} growbuf;

static void gb_put(growbuf *b, const void *data, size_t len)
{
    if (b->n + len + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (b->n + len + 1 > cap)
            cap *= 2;
        b->p = realloc(b->p, cap);
        assert_non_null(b->p);
        b->cap = cap;
    }
    if (len) memcpy(b->p + b->n, data, len);
    b->n += len;
    b->p[b->n] = 0;
}

static void gb_printf(growbuf *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static void gb_printf(growbuf *b, const char *fmt, ...)
{
    char t[2048];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(t, sizeof t, fmt, ap);
    va_end(ap);
    assert_true(n >= 0 && (size_t)n < sizeof t);
    gb_put(b, t, (size_t)n);
}

static int gb_write(void *ctx, const void *data, size_t len)
{
    gb_put(ctx, data, len);
    return 0;
}

static int on_record(void *ctx, const nfb_backup *b)
{
    hres *h = ctx;
    if (h->on_record) h->on_record(h->ctx, b);

    /* A writer per record: a writer flushes only when it ends. */
    growbuf out = {0};
    nfb_error err;
    nfb_writer_options o = {.size = sizeof o, .write = gb_write, .ctx = &out};
    nfb_writer *w = nfb_writer_new("json", &o, &err);
    assert_non_null(w);
    assert_int_equal(nfb_writer_record(w, b), NFB_OK);
    assert_int_equal(nfb_writer_end(w), NFB_OK);
    nfb_writer_free(w);
    gb_put(&out, "", 0);
    if (out.n && out.p[out.n - 1] == '\n') out.p[--out.n] = 0;

    if (h->nrec == h->rec_cap) {
        h->rec_cap = h->rec_cap ? h->rec_cap * 2 : 8;
        h->rec = realloc(h->rec, h->rec_cap * sizeof *h->rec);
        assert_non_null(h->rec);
    }
    h->rec[h->nrec++] = out.p;
    return h->stop_at_record && h->nrec >= h->stop_at_record;
}

static int on_diag(void *ctx, const nfb_diag *d)
{
    hres *h = ctx;
    assert_non_null(d->input);
    assert_non_null(d->path);
    assert_non_null(d->message);
    if (h->ndiag == h->diag_cap) {
        h->diag_cap = h->diag_cap ? h->diag_cap * 2 : 8;
        h->diag = realloc(h->diag, h->diag_cap * sizeof *h->diag);
        assert_non_null(h->diag);
    }
    hdiag *c = &h->diag[h->ndiag++];
    c->severity = d->severity;
    c->code = d->code;
    c->input = dup_str(d->input);
    c->document = d->document;
    c->offset = d->offset;
    c->line = d->line;
    c->column = d->column;
    c->path = dup_str(d->path);
    c->message = dup_str(d->message);
    return h->stop_at_diag && h->ndiag >= h->stop_at_diag;
}

void h_run(hres *h, const nfb_reader_config *cfg, const char *name,
           const void *data, size_t len, hsplit_fn split, void *state)
{
    nfb_reader_config c;
    if (cfg)
        c = *cfg;
    else
        nfb_reader_config_init(&c);
    c.on_record = on_record;
    c.on_diag = on_diag;
    c.ctx = h;
    nfb_reader *r = nfb_reader_new(&c, NULL);
    assert_non_null(r);
    h->feed_res = NFB_OK;
    h->finish_res = NFB_OK;
    assert_int_equal(nfb_reader_begin(r, name), NFB_OK);

    /* Each chunk is an exact-size heap copy, so that AddressSanitizer
     * catches a read past the end of a chunk. */
    const unsigned char *p = data;
    size_t left = len;
    while (left) {
        size_t n = split ? split(state, left) : left;
        assert_true(n >= 1 && n <= left);
        unsigned char *chunk = malloc(n);
        assert_non_null(chunk);
        memcpy(chunk, p, n);
        nfb_result res = nfb_reader_feed(r, chunk, n);
        free(chunk);
        p += n, left -= n;
        if (res != NFB_OK) {
            h->feed_res = res;
            break;
        }
    }
    if (h->feed_res == NFB_OK) h->finish_res = nfb_reader_finish(r);
    nfb_reader_stats_get(r, &h->stats);
    nfb_reader_free(r);
}

void h_str(hres *h, const char *json)
{
    h_run(h, NULL, "t.json", json, strlen(json), NULL, NULL);
}

void h_str_flags(hres *h, const char *json, unsigned flags)
{
    nfb_reader_config c;
    nfb_reader_config_init(&c);
    c.flags = flags;
    h_run(h, &c, "t.json", json, strlen(json), NULL, NULL);
}

void hres_free(hres *h)
{
    for (size_t i = 0; i < h->nrec; i++)
        free(h->rec[i]);
    free(h->rec);
    for (size_t i = 0; i < h->ndiag; i++) {
        free(h->diag[i].input);
        free(h->diag[i].path);
        free(h->diag[i].message);
    }
    free(h->diag);
    memset(h, 0, sizeof *h);
}

char *h_diag_text(const hres *h)
{
    growbuf b = {0};
    gb_put(&b, "", 0);
    for (size_t i = 0; i < h->ndiag; i++) {
        const hdiag *d = &h->diag[i];
        gb_printf(&b, "%s doc %llu off %llu %llu:%llu %s %s %s | %s\n",
                  d->input, (unsigned long long)d->document,
                  (unsigned long long)d->offset, (unsigned long long)d->line,
                  (unsigned long long)d->column, nfb_severity_name(d->severity),
                  nfb_code_name(d->code), d->path, d->message);
    }
    return b.p;
}

char *h_rec_text(const hres *h)
{
    growbuf b = {0};
    gb_put(&b, "", 0);
    for (size_t i = 0; i < h->nrec; i++) {
        gb_put(&b, h->rec[i], strlen(h->rec[i]));
        gb_put(&b, "\n", 1);
    }
    return b.p;
}

void h_dump(const hres *h)
{
    char *r = h_rec_text(h), *d = h_diag_text(h);
    printf("-- %zu record(s):\n%s-- %zu diagnostic(s):\n%s", h->nrec, r,
           h->ndiag, d);
    free(r);
    free(d);
}

size_t h_count(const hres *h, nfb_severity sev)
{
    size_t n = 0;
    for (size_t i = 0; i < h->ndiag; i++)
        n += h->diag[i].severity == sev;
    return n;
}

const hdiag *h_find(const hres *h, nfb_code code)
{
    for (size_t i = 0; i < h->ndiag; i++)
        if (h->diag[i].code == code) return &h->diag[i];
    return NULL;
}

char *h_subst(const char *base, const char *from, const char *to)
{
    const char *at = strstr(base, from);
    if (!at) fail_msg("h_subst: \"%s\" is not in \"%s\"", from, base);
    size_t pre = (size_t)(at - base), fl = strlen(from), tl = strlen(to);
    size_t rest = strlen(at + fl);
    char *s = malloc(pre + tl + rest + 1);
    assert_non_null(s);
    memcpy(s, base, pre);
    memcpy(s + pre, to, tl);
    memcpy(s + pre + tl, at + fl, rest + 1);
    return s;
}

char *h_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    growbuf b = {0};
    char t[4096];
    size_t n;
    gb_put(&b, "", 0);
    while ((n = fread(t, 1, sizeof t, f)) > 0)
        gb_put(&b, t, n);
    int err = ferror(f);
    fclose(f);
    if (err) {
        free(b.p);
        return NULL;
    }
    *len = b.n;
    return b.p;
}
