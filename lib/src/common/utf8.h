/* Strict UTF-8: no overlong forms, no surrogates (U+D800..U+DFFF), nothing
 * above U+10FFFF, no truncated sequences. Pure functions, no allocation.
 * nfb_utf8_char (nfbackup/text.h) is the public face of the decoder. */
#ifndef NFB_UTF8_H
#define NFB_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Copies len bytes from src to dst (which has room for len bytes) while
 * checking that they are strict UTF-8. Returns len when all is valid;
 * otherwise the index of the first byte of the bad sequence, with *why set
 * to a short reason ("overlong encoding", "surrogate code point", "code
 * point above U+10FFFF", "truncated sequence", "invalid byte 0xff"). dst
 * may be NULL to check without copying. */
size_t nfb__utf8_copy(char *dst, const char *src, size_t len, const char **why);

/* Decodes the well-formed multi-byte UTF-8 sequence at s[0..n), whose
 * first byte is >= 0x80 (as nfb__utf8_copy checks it): its code point in
 * *cp and its length (2 to 4), or 0 when it is not well formed. */
size_t nfb__utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);

#endif
