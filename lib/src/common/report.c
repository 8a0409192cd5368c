/* Diagnostics: counting, the per-document cap, the filter and the user's
 * callback. */
#include <stdio.h>

#include "report.h"

void nfb__diags_begin_document(nfb__diags *dg)
{
    dg->doc++;
    dg->doc_diags = 0;
    dg->doc_warnings = 0;
    dg->stats.documents++;
}

int nfb__count(nfb__diags *dg, nfb_severity sev)
{
    if (dg->stopped) return 0;
    if (sev == NFB_ERROR)
        dg->stats.errors++, dg->input_errors++;
    else
        dg->stats.warnings++;
    return 1;
}

/* The message of fmt and ap into msg (size bytes, cut as vsnprintf cuts):
 * a format without a conversion, and "%s", are copied, not formatted. */
static NFB_PRINTF(3, 0) void format(char *msg, size_t size, const char *fmt,
                                    va_list ap)
{
    const char *text = fmt;
    if (fmt[0] == '%' && fmt[1] == 's' && fmt[2] == 0)
        text = va_arg(ap, const char *);
    else if (strchr(fmt, '%')) {
        vsnprintf(msg, size, fmt, ap);
        return;
    }
    size_t n = strlen(text);
    if (n > size - 1) n = size - 1;
    memcpy(msg, text, n);
    msg[n] = 0;
}

/* nfb__report, nfb__report_where and nfb__report_lazy: the position is
 * pos, or where(ctx) when where is not NULL; the message is fmt's with
 * *ap, or message's when message is not NULL. */
static NFB_ALWAYS_INLINE
    NFB_PRINTF(9, 0) int report(nfb__diags *dg, nfb_severity sev, nfb_code code,
                                const char *path, nfb__pos pos,
                                nfb__where_fn where, nfb__message_fn message,
                                void *ctx, const char *fmt, va_list *ap)
{
    /* Once a callback has asked to stop, no callback is called again:
     * callers that report several problems in a row (missing fields,
     * lints) need not check after each one. */
    if (!nfb__count(dg, sev)) return 0;
    /* Errors and warnings have a cap each: a document with many warnings
     * still shows its errors. What reaches no callback is only counted. */
    if (!nfb__diag_shown(dg, sev)) return 1;
    uint64_t *shown = sev == NFB_ERROR ? &dg->doc_diags : &dg->doc_warnings;
    /* Past the cap, the diagnostic is the notice that stands for the
     * rest. */
    int notice = *shown >= dg->max_diags;
    nfb_diag d = {sev, code, dg->name,         dg->doc, 0,
                  0,   0,    path ? path : "", NULL};
    if (notice) {
        d.severity = NFB_WARNING;
        d.code = NFB_CODE_LIMIT;
        d.path = "";
    }
    /* The filter sees what on_diag would, but the position and the
     * message: a diagnostic it leaves out is counted and nothing more (nor
     * counted against the cap, which is of what on_diag is given). */
    if (dg->filter && !dg->filter(dg->filter_ctx, &d)) return 1;
    ++*shown;
    if (where) pos = where(ctx);
    d.offset = pos.offset;
    d.line = pos.line;
    d.column = pos.column;
    char msg[768];
    if (notice)
        snprintf(msg, sizeof msg,
                 "expected at most %zu %s per document, found more; the rest "
                 "of this document's are not shown",
                 dg->max_diags, sev == NFB_ERROR ? "errors" : "warnings");
    else if (message) {
        msg[0] = 0;
        message(ctx, msg, sizeof msg);
    } else
        format(msg, sizeof msg, fmt, *ap);
    d.message = msg;
    if (dg->on_diag(dg->ctx, &d) != 0) {
        dg->stopped = 1;
        return 0;
    }
    return 1;
}

int nfb__report(nfb__diags *dg, nfb_severity sev, nfb_code code,
                const char *path, nfb__pos pos, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int go = report(dg, sev, code, path, pos, NULL, NULL, NULL, fmt, &ap);
    va_end(ap);
    return go;
}

int nfb__report_where(nfb__diags *dg, nfb_severity sev, nfb_code code,
                      const char *path, nfb__where_fn where, void *ctx,
                      const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    nfb__pos none = {0, 0, 0};
    int go = report(dg, sev, code, path, none, where, NULL, ctx, fmt, &ap);
    va_end(ap);
    return go;
}

int nfb__report_lazy(nfb__diags *dg, nfb_severity sev, nfb_code code,
                     const char *path, nfb__where_fn where,
                     nfb__message_fn message, void *ctx)
{
    nfb__pos none = {0, 0, 0};
    return report(dg, sev, code, path, none, where, message, ctx, "%s", NULL);
}
