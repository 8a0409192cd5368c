/* nfbackup: diagnostics, one struct per problem found in the input. */
#ifndef NFBACKUP_DIAG_H
#define NFBACKUP_DIAG_H

#include <stdint.h>

#include <nfbackup/common.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum nfb_severity {
    NFB_WARNING, /* the input is usable (strict mode makes unknown fields
                    errors) */
    NFB_ERROR    /* the record or document concerned is skipped */
} nfb_severity;

/* Stable codes: their names (nfb_code_name) are part of the interface. */
typedef enum nfb_code {
    NFB_CODE_SYNTAX,          /* "syntax": not JSON, or not UTF-8 */
    NFB_CODE_MISSING_FIELD,   /* "missing-field" */
    NFB_CODE_WRONG_TYPE,      /* "wrong-type" */
    NFB_CODE_BAD_ENUM,        /* "bad-enum" */
    NFB_CODE_BAD_DATE_TIME,   /* "bad-date-time" */
    NFB_CODE_BAD_SIZE,        /* "bad-size" */
    NFB_CODE_DUPLICATE_FIELD, /* "duplicate-field" */
    NFB_CODE_UNKNOWN_FIELD,   /* "unknown-field" */
    NFB_CODE_API_ERROR,       /* "api-error": an archived error response */
    NFB_CODE_LIMIT,           /* "limit": a configured limit was exceeded */
    NFB_CODE_LINT,            /* "lint": an inconsistency between fields */
    NFB_CODE_SECRET /* "secret": a credential (an Authorization header...) in
                       a saved response; a warning, also under strict mode */
} nfb_code;

NFB_API const char *nfb_code_name(nfb_code code);
NFB_API const char *nfb_severity_name(nfb_severity severity);

/* One diagnostic. All pointers are valid only during the callback that
 * receives it. */
typedef struct nfb_diag {
    nfb_severity severity;
    nfb_code code;
    const char *input;   /* the input's name, as given to nfb_reader_begin */
    uint64_t document;   /* 1-based index of the top-level value in input */
    uint64_t offset;     /* byte offset in the input's text (after any BOM;
                            of gzip or zstd input, in the text it holds) */
    uint64_t line;       /* 1-based; 0 (and column 0) for damage in a gzip
                            or zstd stream: offset is then the byte in the
                            compressed input */
    uint64_t column;     /* 1-based, in bytes */
    const char *path;    /* JSON path such as "data.config.size"; "" at top */
    const char *message; /* lower case, says what was expected and found */
} nfb_diag;

#ifdef __cplusplus
}
#endif

#endif
