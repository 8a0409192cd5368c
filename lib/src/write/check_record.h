/* The record check: what makes a record writable by every format,
 * checked once before a writer sees it, so that no format checks it
 * again. */
#ifndef NFB_CHECK_RECORD_H
#define NFB_CHECK_RECORD_H

#include "walk.h"

/* What makes a record writable, flattened from the rows once per writer
 * so that a record is checked by a few short loops: its strings not NULL
 * with a length and UTF-8 (present or not), its enums in range and its
 * numbers' text not empty where present, its arrays not NULL when
 * counted. */
typedef struct nfb__check {
    int16_t str[NFB__MAX_COLUMNS]; /* nfb_str offsets (date-times: text) */
    struct {
        const nfb__field *field;    /* an enum or a number */
        int16_t has[NFB__MAX_PATH]; /* as in nfb__column */
    } when[NFB__MAX_COLUMNS];
    const nfb__field *array[NFB__MAX_PATH];
    unsigned char nstr, nwhen, narray;
} nfb__check;

void nfb__check_init(nfb__check *c);

/* Can every writer write b (see nfb__check)? NFB_OK or NFB_EINVAL. */
int nfb__walk_check(const nfb__check *c, const nfb_backup *b);

#endif
