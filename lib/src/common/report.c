/* Diagnostics: counting, the per-document cap and the user's callback. */
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

int nfb__report(nfb__diags *dg, nfb_severity sev, nfb_code code,
                const char *path, nfb__pos pos, const char *fmt, ...)
{
    /* Once a callback has asked to stop, no callback is called again:
     * callers that report several problems in a row (missing fields,
     * lints) need not check after each one. */
    if (!nfb__count(dg, sev)) return 0;
    /* Errors and warnings have a cap each: a document with many warnings
     * still shows its errors. What reaches no callback is only counted. */
    if (!nfb__diag_shown(dg, sev)) return 1;
    uint64_t *shown = sev == NFB_ERROR ? &dg->doc_diags : &dg->doc_warnings;
    char msg[768];
    nfb_diag d = {sev,      code,       dg->name,         dg->doc, pos.offset,
                  pos.line, pos.column, path ? path : "", msg};
    if (++*shown > dg->max_diags) {
        d.severity = NFB_WARNING;
        d.code = NFB_CODE_LIMIT;
        d.path = "";
        snprintf(msg, sizeof msg,
                 "expected at most %zu %s per document, found more; the rest "
                 "of this document's are not shown",
                 dg->max_diags, sev == NFB_ERROR ? "errors" : "warnings");
    } else {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
    }
    if (dg->on_diag && dg->on_diag(dg->ctx, &d) != 0) {
        dg->stopped = 1;
        return 0;
    }
    return 1;
}
