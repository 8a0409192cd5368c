/* Field checkers shared by the decoder: RFC 3339 date-times (datetime.c),
 * byte sizes (check.c); strict UTF-8 in utf8.h. Pure functions, no
 * allocation. */
#ifndef NFB_CHECK_H
#define NFB_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <nfbackup/backup.h>

#include "utf8.h"

/* nfb_datetime_parse (nfbackup/text.h says what it accepts and returns),
 * under the name the library calls it by. */
const char *nfb__parse_datetime(const char *s, size_t len, nfb_time *out,
                                char *buf, size_t buflen);

/* The common shape of a date-time alone (YYYY-MM-DDThh:mm:ss, a fraction
 * or none, then Z or +hh:mm): true when s has it and is valid, with out
 * filled as nfb__parse_datetime fills it; false for anything else, valid
 * or not (nfb__parse_datetime then decides and says why). A date-time it
 * accepts is ASCII and at least 20 bytes long. */
bool nfb__parse_datetime_fast(const char *s, size_t len, nfb_time *out);

/* Parses a byte count: canonical unsigned decimal (digits only, no sign, no
 * leading zero except "0" itself) that fits uint64_t. Returns NULL on
 * success, else a short reason ("leading zero", "more than 2^64-1"). */
const char *nfb__parse_size(const char *s, size_t len, uint64_t *out);

#endif
