/* Diagnostics on stderr, as compilers print them or as JSON lines. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>

#include "cli.h"

int report_init(report *rp)
{
    /* Line buffering: one write per diagnostic, never a torn line. */
    setvbuf(stderr, NULL, _IOLBF, 1 << 16);
    if (!rp->json) return 0;
    yajl_gen g = yajl_gen_alloc(NULL);
    if (!g) return -1;
    rp->gen = g;
    return 0;
}

void report_free(report *rp)
{
    if (rp->gen) yajl_gen_free(rp->gen);
    rp->gen = NULL;
}

void report_errorf(const char *fmt, ...)
{
    va_list ap;
    fputs("nfbackup: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static void gstr(yajl_gen g, const char *s)
{
    yajl_gen_string(g, (const unsigned char *)s, strlen(s));
}

static void gnum(yajl_gen g, const char *key, unsigned long long v)
{
    char t[32];
    int n = snprintf(t, sizeof t, "%llu", v);
    gstr(g, key);
    yajl_gen_number(g, t, (size_t)n);
}

int report_diag(void *ctx, const nfb_diag *d)
{
    report *rp = ctx;
    if (rp->quiet && d->severity == NFB_WARNING) return 0;
    if (rp->json) {
        yajl_gen g = rp->gen;
        const unsigned char *buf;
        size_t len;
        yajl_gen_map_open(g);
        gstr(g, "input");
        gstr(g, d->input);
        gnum(g, "document", d->document);
        gnum(g, "offset", d->offset);
        gnum(g, "line", d->line);
        gnum(g, "column", d->column);
        gstr(g, "severity");
        gstr(g, nfb_severity_name(d->severity));
        gstr(g, "code");
        gstr(g, nfb_code_name(d->code));
        gstr(g, "path");
        gstr(g, d->path);
        gstr(g, "message");
        gstr(g, d->message);
        yajl_gen_map_close(g);
        yajl_gen_get_buf(g, &buf, &len);
        fwrite(buf, 1, len, stderr);
        fputc('\n', stderr);
        yajl_gen_clear(g);
        yajl_gen_reset(g, NULL);
        return 0;
    }
    const char *sev = nfb_severity_name(d->severity);
    if (rp->color) {
        const char *c = d->severity == NFB_ERROR ? "\033[1;31m" : "\033[1;35m";
        fprintf(stderr, "\033[1m%s:%llu:%llu:\033[0m %s%s:\033[0m ", d->input,
                (unsigned long long)d->line, (unsigned long long)d->column, c,
                sev);
    } else {
        fprintf(stderr, "%s:%llu:%llu: %s: ", d->input,
                (unsigned long long)d->line, (unsigned long long)d->column,
                sev);
    }
    if (*d->path) fprintf(stderr, "%s: ", d->path);
    fprintf(stderr, "%s [%s]\n", d->message, nfb_code_name(d->code));
    return 0;
}
