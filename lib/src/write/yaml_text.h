/* Scalars written the way libyaml's emitter (0.2.5) writes them with the
 * yaml writer's settings (UTF-8, unicode on, width -1 so no folding, "\n"
 * line breaks), in a block mapping: the part of emitter.c that the yaml
 * writer's fast path (write_yaml.c) needs to give the very same bytes
 * without the emitter. The references are yaml_emitter_analyze_scalar and
 * yaml_emitter_select_scalar_style (the style), and
 * yaml_emitter_write_plain_scalar and ..._write_double_quoted_scalar (the
 * text). test_yaml_fast and fuzz_roundtrip compare both paths byte for
 * byte. */
#ifndef NFB_YAML_TEXT_H
#define NFB_YAML_TEXT_H

#include "common/internal.h"
#include "scan.h"

/* The style the emitter gives a scalar that is asked for in plain style. */
typedef enum nfb__yaml_style {
    NFB__YAML_PLAIN,  /* written as is */
    NFB__YAML_DOUBLE, /* double-quoted, nfb__yaml_quote's text */
    NFB__YAML_OTHER   /* single-quoted, a "? " key, or text this file does
                         not analyse (empty, not ASCII, a line break):
                         left to the emitter */
} nfb__yaml_style;

/* The style of s[0..n) asked for plain, as a mapping key (key = 1) or a
 * value in a block mapping. */
nfb__yaml_style nfb__yaml_plain_style(const unsigned char *s, size_t n,
                                      int key);

/* nfb__yaml_quote writes at most this many bytes for n bytes of text: an
 * ASCII control is 4 ("\x01"), no character is more than 4 per byte, and
 * the 2 quotes. */
static inline size_t nfb__yaml_quoted_max(size_t n)
{
    return 4 * n + 2;
}

/* Writes s[0..n) double-quoted as the emitter does into out (room for
 * nfb__yaml_quoted_max(n) bytes); returns the length written, or 0 when s
 * is not strict UTF-8 (common/utf8.h): the writer then leaves s to the
 * emitter, which refuses what is not UTF-8 to it. */
size_t nfb__yaml_quote(unsigned char *out, const unsigned char *s, size_t n);

#endif
