/* Diagnostics of one reader: where they go, what they count, and the name
 * and document index they carry. Every layer of the reader (byte layer,
 * front ends, decoder) reports through this module and nothing else. */
#ifndef NFB_REPORT_H
#define NFB_REPORT_H

#include <stdarg.h>

#include "internal.h"

/* A position in the current input: byte offset, 1-based line and column
 * (in bytes). */
typedef struct nfb__pos {
    uint64_t offset, line, column;
} nfb__pos;

typedef struct nfb__diags {
    nfb_diag_fn on_diag; /* may be NULL */
    void *ctx;
    /* nfb_reader_on_diag_filter's: asked before a diagnostic is formatted
     * whether on_diag gets it (NULL: every one does) */
    nfb_diag_filter_fn filter;
    void *filter_ctx;
    size_t max_diags;      /* errors, and warnings, shown per document */
    const char *name;      /* the current input's name */
    uint64_t doc;          /* index of the current document, 1-based */
    uint64_t doc_diags;    /* errors reported in it */
    uint64_t doc_warnings; /* warnings reported in it */
    uint64_t input_errors; /* errors reported for the current input */
    nfb_reader_stats stats;
    int no_warnings; /* warnings are counted, never shown */
    int stopped;     /* a callback asked to stop: nothing is reported again */
    int failed;      /* out of memory: only free is allowed */
} nfb__diags;

/* Starts document number dg->doc + 1. */
void nfb__diags_begin_document(nfb__diags *dg);

/* Whether a diagnostic of severity sev reported now would reach the
 * callback (itself, or the notice of its cap). When not, nfb__report only
 * counts it: a caller that builds a path or a message for it may call
 * nfb__count instead. */
static inline int nfb__diag_shown(const nfb__diags *dg, nfb_severity sev)
{
    if (dg->stopped || !dg->on_diag) return 0;
    /* Past the cap comes one notice, a warning. */
    if (sev == NFB_ERROR)
        return dg->doc_diags < dg->max_diags ||
               (dg->doc_diags == dg->max_diags && !dg->no_warnings);
    return !dg->no_warnings && dg->doc_warnings <= dg->max_diags;
}

/* Reports a diagnostic at pos with the path (NULL: none). Counts it,
 * applies the per-document caps (one for errors, one for warnings, so that
 * warnings never hide an error), asks the filter, and only then formats it
 * and calls the user's callback. Returns 1 to go on, 0 when the callback
 * asked to stop (dg->stopped is then set). */
int nfb__report(nfb__diags *dg, nfb_severity sev, nfb_code code,
                const char *path, nfb__pos pos, const char *fmt, ...)
    NFB_PRINTF(6, 7);

/* Where a diagnostic is, worked out only when it is to be delivered: a
 * diagnostic counted and not delivered (capped, filtered out) never needs
 * its line and column. */
typedef nfb__pos (*nfb__where_fn)(void *ctx);

/* nfb__report at the position where(ctx), called at most once, and only
 * for a diagnostic the callback is given. */
int nfb__report_where(nfb__diags *dg, nfb_severity sev, nfb_code code,
                      const char *path, nfb__where_fn where, void *ctx,
                      const char *fmt, ...) NFB_PRINTF(7, 8);

/* Writes a diagnostic's message into msg: size bytes, which hold an empty
 * string when it is called. */
typedef void (*nfb__message_fn)(void *ctx, char *msg, size_t size);

/* nfb__report_where with the message written by message(ctx, ...): the
 * message and the position are made only for a diagnostic the callback is
 * given, each at most once. */
int nfb__report_lazy(nfb__diags *dg, nfb_severity sev, nfb_code code,
                     const char *path, nfb__where_fn where,
                     nfb__message_fn message, void *ctx);

/* Counts a diagnostic: all nfb__report does with one that
 * nfb__diag_shown says reaches no callback. Returns as nfb__report. */
int nfb__count(nfb__diags *dg, nfb_severity sev);

#endif
