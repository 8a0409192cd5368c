/* The events a front end (JSON on yajl, YAML on libyaml) sends the
 * decoder: one per token, each with the position where the token begins.
 * The decoder knows nothing of the front end: what it needs of a token is
 * in the event. Each event returns 1 to go on and 0 to stop the parse: then
 * dec->diags->stopped says the user asked to stop, dec->diags->failed that
 * memory ran out, and otherwise the decoder dropped the document
 * (dec->cancel: a limit was passed) and the front end is to skip to the
 * next document. */
#ifndef NFB_EVENT_H
#define NFB_EVENT_H

#include "common/report.h"

typedef struct nfb__dec nfb__dec;

/* The position of an event whose token's start the front end finds only
 * when asked (dec->locate, during the event): finding it for each token
 * costs a scan that most tokens, which draw no diagnostic, never need. */
#define NFB__POS_LATER ((nfb__pos){UINT64_MAX, 0, 0})

/* The position of a token known by its offset alone (line 0: lines are
 * counted from 1): the front end works out its line and column only when
 * asked (dec->resolve), and before the bytes of the segment it is in go,
 * for the positions the decoder keeps (its frames' and restart_at). An
 * object's or array's '{', '[', '}' or ']' comes so: most never need a
 * line. */
#define NFB__POS_AT(off) ((nfb__pos){(off), 0, 0})

int nfb__dec_map_start(nfb__dec *d, nfb__pos at);
int nfb__dec_map_key(nfb__dec *d, nfb__pos at, const char *s, size_t len);
int nfb__dec_map_end(nfb__dec *d, nfb__pos at);
int nfb__dec_array_start(nfb__dec *d, nfb__pos at);
int nfb__dec_array_end(nfb__dec *d, nfb__pos at);
/* s is the decoded text (escapes resolved); it need not be valid UTF-8:
 * the decoder checks it. */
int nfb__dec_string(nfb__dec *d, nfb__pos at, const char *s, size_t len);
/* s is a number in JSON's grammar (RFC 8259 section 6). */
int nfb__dec_number(nfb__dec *d, nfb__pos at, const char *s, size_t len);
int nfb__dec_bool(nfb__dec *d, nfb__pos at, int value);
int nfb__dec_null(nfb__dec *d, nfb__pos at);

/* The same events at NFB__POS_AT(off), for a front end that knows the
 * offset of a '{', '[', '}' or ']' (json_source.c): no position is passed
 * or copied on the way. */
int nfb__dec_map_start_at(nfb__dec *d, uint64_t off);
int nfb__dec_map_end_at(nfb__dec *d, uint64_t off);
int nfb__dec_array_start_at(nfb__dec *d, uint64_t off);
int nfb__dec_array_end_at(nfb__dec *d, uint64_t off);

/* The same events at NFB__POS_LATER, for a front end that finds a
 * token's start only when asked (json_source.c): no position is passed
 * or copied on the way. */
int nfb__dec_map_key_later(nfb__dec *d, const char *s, size_t len);
int nfb__dec_string_later(nfb__dec *d, const char *s, size_t len);
int nfb__dec_number_later(nfb__dec *d, const char *s, size_t len);
int nfb__dec_bool_later(nfb__dec *d, int value);
int nfb__dec_null_later(nfb__dec *d);

/* The next key or string event's text is unusable, as the message why
 * says ("expected ..., found ..."; a static string), found at at: the
 * decoder reports it as a syntax error at that value's path and treats the
 * value as bad. */
void nfb__dec_bad_text(nfb__dec *d, nfb__pos at, const char *why);

/* The next value event (string, number, bool or null) is a YAML plain
 * scalar that the core schema types, written s[0..len) (kept until that
 * event): a number's diagnostics show it as written. With string set, a
 * YAML writer may have meant the text as a string (yaml_source.c, the
 * writers' rule): where the schema wants a string, the decoder takes s as
 * that string instead of the event's value. */
void nfb__dec_plain(nfb__dec *d, const char *s, size_t len, int string);

/* True while a document is open. */
int nfb__dec_open(const nfb__dec *d);

/* Ends the open document without delivering anything more of it (after a
 * syntax error, a limit, or the end of the input inside it). */
void nfb__dec_reset(nfb__dec *d);

#endif
