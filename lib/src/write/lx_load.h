/* libxlsxwriter, loaded the first time an xlsx writer is made, so that a
 * program that writes no workbook (most runs: validate, JSON, YAML, CSV)
 * maps neither it nor what it links (minizip, libcrypto): loading them
 * costs every process several million instructions at start.
 *
 * The table holds the libxlsxwriter functions that write_xlsx.c calls,
 * each under its own name and typed by libxlsxwriter's own declaration
 * (so a mismatch does not compile). It is loaded once per process
 * (pthread_once), then read-only: any number of writers in any threads
 * may use it. */
#ifndef NFB_LX_LOAD_H
#define NFB_LX_LOAD_H

#include <xlsxwriter.h>

#define NFB__LX_FUNCTIONS(X)                                                   \
    X(workbook_new_opt)                                                        \
    X(workbook_add_format)                                                     \
    X(workbook_add_worksheet)                                                  \
    X(workbook_close)                                                          \
    X(lxw_workbook_free)                                                       \
    X(format_set_bold)                                                         \
    X(format_set_num_format)                                                   \
    X(worksheet_write_string)                                                  \
    X(worksheet_write_number)                                                  \
    X(worksheet_set_column)                                                    \
    X(worksheet_autofilter)                                                    \
    X(worksheet_freeze_panes)                                                  \
    X(lxw_worksheet_write_single_row)                                          \
    X(lxw_rowcol_to_cell)

typedef struct nfb__lx {
#define NFB__LX_FIELD(f) __typeof__(f) *f;
    NFB__LX_FUNCTIONS(NFB__LX_FIELD)
#undef NFB__LX_FIELD
} nfb__lx;

/* The table, loaded on the first call; NULL when libxlsxwriter (the shared
 * library NFB_LIBXLSXWRITER_SONAME) cannot be loaded or lacks a function,
 * with *why saying so (a static text). */
const nfb__lx *nfb__lx_load(const char **why);

#endif
