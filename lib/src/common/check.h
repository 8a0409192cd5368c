/* Field checkers shared by the decoder: RFC 3339 date-times, byte sizes and
 * strict UTF-8. Pure functions, no allocation. */
#ifndef NFB_CHECK_H
#define NFB_CHECK_H

#include <stddef.h>
#include <stdint.h>

#include <nfbackup/backup.h>

/* Parses an RFC 3339 date-time ("2021-01-20T11:19:53.175Z") against the
 * real calendar: month lengths and leap years, 'T' or 't', 'Z', 'z' or
 * +hh:mm/-hh:mm, a fraction of any length (at least one digit), and second
 * 60 only where the time taken to UTC is 23:59. On success fills out
 * (text included, pointing at s) and returns NULL; otherwise returns a short
 * lower-case reason that says what was wrong ("day 30 does not exist in
 * February 2021"), written into buf (of buflen bytes) when it needs
 * numbers. */
const char *nfb__parse_datetime(const char *s, size_t len, nfb_time *out,
                                char *buf, size_t buflen);

/* Parses a byte count: canonical unsigned decimal (digits only, no sign, no
 * leading zero except "0" itself) that fits uint64_t. Returns NULL on
 * success, else a short reason ("leading zero", "more than 2^64-1"). */
const char *nfb__parse_size(const char *s, size_t len, uint64_t *out);

/* Copies len bytes from src to dst (which has room for len bytes) while
 * checking that they are strict UTF-8: no overlong forms, no surrogates
 * (U+D800..U+DFFF), nothing above U+10FFFF, no truncated sequences.
 * Returns len when all is valid; otherwise the index of the first byte of
 * the bad sequence, with *why set to a short reason ("overlong encoding",
 * "surrogate code point", "code point above U+10FFFF", "truncated sequence",
 * "invalid byte 0xff"). dst may be NULL to check without copying. */
size_t nfb__utf8_copy(char *dst, const char *src, size_t len, const char **why);

/* Decodes the well-formed multi-byte UTF-8 sequence at s[0..n), whose
 * first byte is >= 0x80 (as nfb__utf8_copy checks it): its code point in
 * *cp and its length (2 to 4), or 0 when it is not well formed. */
size_t nfb__utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);

#endif
