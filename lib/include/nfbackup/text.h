/* nfbackup: the text rules the library itself follows, for programs that
 * read and write the same text: RFC 3339 date-times, strict UTF-8 and JSON
 * strings.
 *
 * Every function here is pure: no handle, no global state, no allocation.
 * They may be called from any thread at any time, also from inside the
 * reader's and writer's callbacks. */
#ifndef NFBACKUP_TEXT_H
#define NFBACKUP_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include <nfbackup/backup.h>
#include <nfbackup/common.h>
#include <nfbackup/writer.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Parses s[0..len) (no NUL needed) as an RFC 3339 date-time, section 5.6:
 *
 *   YYYY-MM-DD ("T"|"t") hh:mm:ss ["." 1*DIGIT] ("Z"|"z"|("+"|"-") hh:mm)
 *
 * the reader's rule for createdAt and the other date-times: checked
 * against the real calendar (month lengths, leap years), a fraction of any
 * length (truncated to nanoseconds), second 60 only where the time taken
 * to UTC is 23:59 (it then counts as the next second). Nothing before or
 * after: no blanks, no date alone.
 *
 * On success returns NULL and, when out is not NULL, fills it: its text
 * points into s, so it is valid as long as s is. Otherwise returns a short
 * lower-case reason ("day 30 does not exist in February 2021"); a reason
 * that names numbers is written into buf (buflen bytes, NUL-terminated)
 * and points there, and without a buffer large enough (buf may be NULL)
 * a fixed reason without the numbers is returned instead. */
NFB_API const char *nfb_datetime_parse(const char *s, size_t len, nfb_time *out,
                                       char *buf, size_t buflen);

/* The length of the well-formed UTF-8 character at s[0..n) (1 to 4), with
 * its code point in *cp when cp is not NULL; 0 when none begins there:
 * an overlong form, a surrogate, a code point above U+10FFFF, a sequence
 * cut short by n, a stray continuation byte, or n = 0. */
NFB_API size_t nfb_utf8_char(const char *s, size_t n, uint32_t *cp);

/* How nfb_json_write_string escapes a string. */
typedef enum nfb_json_escape {
    /* As the json writer writes a record's strings, byte for byte: the
     * escapes of yajl's generator ('"' and '\\' after a backslash,
     * \b \f \n \r \t, other control characters below 0x20 as \u00XX with
     * upper-case hex digits, '/' as it is), and U+0085, U+2028 and U+2029
     * as \u0085, \u2028 and \u2029, which JavaScript or Python's
     * str.splitlines would take for line ends. Every other byte is
     * written as it is: the text should be UTF-8. */
    NFB_JSON_RECORD = 0,
    /* For one JSON document per line made of any bytes (file names, say):
     * as NFB_JSON_RECORD, and also every C1 control (U+0080..U+009F) as
     * \u00XX, and each byte that is not part of a well-formed UTF-8
     * character as \uDCXX, XX being the byte (Python's "surrogateescape"),
     * so that the output is UTF-8 and no line reader splits the line. */
    NFB_JSON_LINES = 1
} nfb_json_escape;

/* Writes s[0..len) as a JSON string, quotes included, through write(ctx,
 * ...) in pieces of at most a few KiB, escaped as mode says. Returns
 * NFB_OK, NFB_EWRITE when write returned non-zero (nothing more is
 * written), or NFB_EINVAL for a mode it does not know or a NULL s with a
 * length or a NULL write. */
NFB_API int nfb_json_write_string(const char *s, size_t len,
                                  nfb_json_escape mode, nfb_write_fn write,
                                  void *ctx);

#ifdef __cplusplus
}
#endif

#endif
