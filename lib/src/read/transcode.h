/* The transcoder: between the byte layer (bytes.h) and the front ends,
 * it turns an input that starts with a UTF-16 or UTF-32 byte order mark
 * into UTF-8, as it streams, in constant memory. Any other input passes
 * through untouched and uncopied (a UTF-8 BOM too: the reader skips it).
 *
 * The first bytes of each input (they may arrive split across feeds):
 *
 *   FF FE 00 00    UTF-32LE     00 00 FE FF    UTF-32BE
 *   FF FE          UTF-16LE     FE FF          UTF-16BE
 *
 * The mark is dropped: the text after it reaches the sink as UTF-8, so
 * the front ends count lines, columns (in bytes) and offsets in that
 * UTF-8 text, as for an input that was UTF-8 from the start.
 *
 * An input without a mark whose first four bytes follow one of RFC 4627
 * section 3's patterns of NUL bytes (00 xx 00 xx, xx 00 xx 00, 00 00 00
 * xx, xx 00 00 00) is UTF-16 or UTF-32 saved without one: it gets one
 * syntax diagnostic saying so and how to convert it, and the rest of the
 * input is ignored (rather than one error per line). Other NUL bytes
 * there pass on, for the front ends to refuse.
 *
 * A lone surrogate, a UTF-32 value that is no code point, or an input that
 * ends inside a code unit is a syntax diagnostic at the position in the
 * UTF-8 text where U+FFFD is put in its place; the bytes before it reach
 * the sink first, so that the diagnostic comes in the order of the text
 * however the input was split, and the record it falls in is not
 * converted (an error was reported inside it).
 *
 * Not thread-safe; no globals and no allocation. */
#ifndef NFB_TRANSCODE_H
#define NFB_TRANSCODE_H

#include "bytes.h"
#include "common/report.h"

/* The most UTF-8 bytes handed to the sink in one call. */
#define NFB__TRANSCODE_OUT 4096

/* What the current input turned out to be. */
typedef enum nfb__encoding {
    NFB__ENC_UNKNOWN, /* not decided yet: fewer bytes than a mark */
    NFB__ENC_UTF8,    /* anything without a UTF-16/32 mark: passed on */
    NFB__ENC_UTF16LE,
    NFB__ENC_UTF16BE,
    NFB__ENC_UTF32LE,
    NFB__ENC_UTF32BE,
    NFB__ENC_REFUSED /* UTF-16/32 without a mark: reported, ignored */
} nfb__encoding;

/* Fields are private to transcode.c, but for those marked "read". */
typedef struct nfb__transcode {
    nfb__diags *dg;
    nfb__encoding enc;     /* read: the current input's encoding */
    unsigned char held[4]; /* a mark or code unit not yet complete */
    size_t nheld;          /* read: 0 when nothing is held */
    uint32_t high;         /* a high surrogate awaiting its low one */
    uint64_t in_off;       /* bytes taken of the current input */
    uint64_t high_off;     /* where the high surrogate began */
    uint64_t out_off;      /* UTF-8 bytes made of the current input */
    uint64_t out_line, out_line_start;
    int done; /* the rest of the input is ignored */
    size_t out_len;
    unsigned char out[NFB__TRANSCODE_OUT];
} nfb__transcode;

/* Starts a new input: detection restarts. dg (not NULL) receives the
 * diagnostics and must outlive t. */
void nfb__transcode_begin(nfb__transcode *t, nfb__diags *dg);

/* Takes the next n bytes of the current input and hands the UTF-8 text
 * they make (or, when the input has no UTF-16/32 mark, p itself) to sink
 * before it returns. Returns 0, or the sink's non-zero value (the rest of
 * the input is then ignored), or NFB_STOPPED when the diagnostic callback
 * asked to stop. Its signature is an nfb__bytes_sink's. */
int nfb__transcode_feed(nfb__transcode *t, const unsigned char *p, size_t n,
                        nfb__bytes_sink sink, void *ctx);

/* 1 when the current input has no UTF-16/32 mark and no byte is held
 * back: every byte fed from here on reaches the sink as it is, at once. */
int nfb__transcode_passing(const nfb__transcode *t);

/* Ends the current input: bytes held back for a mark are handed on as
 * they are; a code unit or surrogate pair left open is reported. */
int nfb__transcode_finish(nfb__transcode *t, nfb__bytes_sink sink, void *ctx);

#endif
