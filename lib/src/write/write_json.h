/* The json writer's reference path, for the tests and the round-trip
 * fuzzer only: not part of the public API. */
#ifndef NFB_WRITE_JSON_H
#define NFB_WRITE_JSON_H

#include "common/internal.h"

/* Makes json writer w write through yajl's generator instead of its fast
 * path, so that a test can compare the two outputs byte for byte. Call it
 * before the first record. NFB_OK, NFB_EINVAL (w is not a json writer),
 * NFB_ESTATE (w has begun) or NFB_ENOMEM. */
int nfb__json_writer_use_yajl(nfb_writer *w);

#endif
