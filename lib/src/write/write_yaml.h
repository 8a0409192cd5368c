/* What the yaml writer offers the library's tests and fuzzers beyond the
 * writer API. */
#ifndef NFB_WRITE_YAML_H
#define NFB_WRITE_YAML_H

#include "common/internal.h"

/* Makes the yaml writer w write its whole output through libyaml's emitter,
 * the reference its fast path must match byte for byte, rather than write
 * the text itself. Call it before the first record. NFB_OK, or NFB_EINVAL
 * when w is not a yaml writer or has begun. */
int nfb__yaml_writer_use_emitter(nfb_writer *w);

/* How many of the records the yaml writer w wrote went through the emitter:
 * every one on the emitter path, on the fast path those it left to the
 * emitter. */
uint64_t nfb__yaml_writer_emitted(const nfb_writer *w);

#endif
