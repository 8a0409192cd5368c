/* The record the reader vouches for: the one its decoder is handing the
 * record callback at this moment, on this thread.
 *
 * The decoder stores only values the writer's record check accepts
 * (check_record.h: strict UTF-8, enums in range, a number's text a JSON
 * number, no NULL with a length), so nfb_writer_record does not check that
 * record again: a program that passes the reader's records straight to a
 * writer (the CLI's convert) pays for the check once, in the reader.
 *
 * Set around the callback only, and put back after it (a reader run from
 * inside another's callback puts the outer record back), so the pointer
 * never outlives the call: a record the caller made, or copied and
 * changed, has another address and is checked as before. Per thread, so
 * readers and writers in other threads do not see it. */
#ifndef NFB_VOUCH_H
#define NFB_VOUCH_H

#include "internal.h"

extern _Thread_local const nfb_backup *nfb__vouched;

#endif
