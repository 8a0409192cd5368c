/* Field checkers shared by the decoder: byte sizes here, strict UTF-8 in
 * utf8.h, RFC 3339 date-times in nfbackup/text.h (nfb_datetime_parse).
 * Pure functions, no allocation. */
#ifndef NFB_CHECK_H
#define NFB_CHECK_H

#include <stddef.h>
#include <stdint.h>

#include <nfbackup/backup.h>
#include <nfbackup/text.h>

#include "utf8.h"

/* Parses a byte count: canonical unsigned decimal (digits only, no sign, no
 * leading zero except "0" itself) that fits uint64_t. Returns NULL on
 * success, else a short reason ("leading zero", "more than 2^64-1"). */
const char *nfb__parse_size(const char *s, size_t len, uint64_t *out);

#endif
