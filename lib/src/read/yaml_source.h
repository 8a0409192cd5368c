/* The YAML front end: libyaml's parser (its event API) turned into decoder
 * events (event.h), fed chunks of any size, in memory bounded by the
 * string limit.
 *
 * Buffering. libyaml pulls its input through a read handler and takes a
 * read of 0 bytes for the end of the input, while the reader is pushed
 * chunks. So a parse step (one libyaml event) is only taken while at least
 * a window of W = 2 * (max_string + 2) + 64 KiB bytes beyond what libyaml
 * was handed is buffered, or once the input is finished, and during that
 * step libyaml may read at most W bytes more. A step reads the token it
 * delivers and, while that token may still be a simple key, what follows
 * it on its line (up to 1024 characters, libyaml's limit for a simple key)
 * or the next token, with the blank lines and comments between: a token
 * of at most max_string bytes never meets the window's end, even with a
 * second one after it (twice max_string: a block scalar's indentation
 * counts in its bytes). When a step does meet it (a longer token, or more
 * than about 64 KiB of comments and blank lines in one gap), the step's
 * result is thrown away and a `limit` diagnostic is reported, "expected a
 * token of at most N bytes, found a longer one; the rest of the document
 * is skipped", at the first byte after the last event sent that is not
 * blank, a comment or an indicator (-, ?, :, ',', [, {): the long token
 * itself, or, in flow context, the token before it that might have been a
 * key. Where the window ends depends only on the input, never on how it
 * was cut, so events and diagnostics are the same for any chunking. A
 * scalar whose text is longer than max_string is the same limit, at the
 * scalar. Memory: about W for the ring of buffered input, and what libyaml
 * holds of one window (its token queue, its scalar text, one stack entry
 * per nesting level, which the decoder caps at its max_depth).
 *
 * libyaml checks the text it reads as it reads it, ahead of its scanner,
 * so it would refuse a bad character before the events in front of it: it
 * is handed bytes up to the first character it refuses, and that one only
 * when it asks for more there. It still looks up to 4 characters ahead,
 * so a bad character may take the scalar just before it with it.
 *
 * Scalars, by the YAML 1.2 core schema. Quoted (single or double), literal
 * and folded scalars are strings. Plain scalars: empty, ~, null, Null,
 * NULL are null; true/True/TRUE/false/False/FALSE are booleans; integers
 * ([-+]?[0-9]+, 0o[0-7]+, 0x[0-9a-fA-F]+) and floats
 * ([-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?) are numbers, passed
 * to the decoder as the same value in JSON's grammar: a + sign and leading
 * zeros are dropped (+007 is 7, -00 is -0), a fraction without digits gets
 * one zero and one without an integer part gets a zero before it (1. is
 * 1.0, -.5 is -0.5), the exponent is kept as written, and octal and
 * hexadecimal integers are written in decimal, exactly at any size (0x1F
 * is 31) up to 4096 significant digits. Anything else plain is a string.
 * Before the event of a plain scalar the core schema types, nfb__dec_plain
 * gives the decoder its text as written and whether js-yaml 3 or PyYAML
 * reads it as a string (the writers' rule, yaml_source.c): where the
 * schema wants a string, the decoder takes that text.
 * A key is always its text. Numbers JSON cannot hold (.inf, -.Inf, .nan,
 * ... and octal or hexadecimal integers of more than 4096 digits) are sent
 * as strings preceded by nfb__dec_bad_text: the decoder reports them at the
 * value's path and treats the value as bad, as it does a JSON string whose
 * text is unusable, wherever it is (an unknown field included): such a
 * value cannot be carried into JSON.
 *
 * Documents. Each YAML document is one top-level value (the decoder starts
 * a document at the top-level map_start or array_start; a scalar root is
 * sent as a scalar, which the decoder refuses). A document with no node at
 * all (an empty stream, `---` alone, a comment) is skipped silently; an
 * explicit null root (`--- ~`) is sent.
 *
 * Refused, never expanded (no billion laughs): aliases (*a), anchors (&a),
 * merge keys (a plain << key), keys that are mappings or sequences, and
 * every tag but !!str on a scalar (which makes it a string), !!map on a
 * mapping and !!seq on a sequence. A refusal is a `syntax` error at the
 * node, and the rest of the document is skipped as after a YAML error.
 *
 * YAML errors (libyaml's reader, scanner and parser: invalid UTF-8, control
 * characters, bad syntax) are `syntax` errors "invalid YAML: <libyaml's
 * problem>[ <its context>], found <what is there>" at the problem's place.
 * After an error, a limit, a refusal, or a document the decoder dropped
 * (an event returned 0 with neither diags->stopped nor diags->failed set),
 * the decoder is reset and the input is skipped up to the next line that
 * starts with `---` followed by a blank or the end of the input, where a
 * fresh parser starts; positions stay those of the whole input.
 *
 * Positions are those of the decoder's other front end: byte offset,
 * 1-based line (lines end at LF) and 1-based column in bytes. libyaml's
 * marks count characters, not bytes, so they are turned into byte offsets
 * by walking the buffered input, which libyaml has checked as UTF-8. The
 * input is read as UTF-8 whatever its first bytes (no UTF-16), as JSON is;
 * the reader removes a leading byte order mark. An event is at the start
 * of its node; the end of a block mapping or sequence, which has no
 * bracket, is where its last node ends (libyaml puts it at the next token,
 * past blank lines and comments), so that what the decoder reports there
 * (a missing field) points at the mapping's last line.
 *
 * Memory: the handle and its window come from the allocator; libyaml
 * allocates with the C library's malloc (it has no allocator hook). An
 * allocation that fails sets diags->failed. */
#ifndef NFB_YAML_SOURCE_H
#define NFB_YAML_SOURCE_H

#include "event.h"

typedef struct nfb__yaml nfb__yaml;

/* A YAML front end sending events to dec and diagnostics to dg, both kept
 * (not owned) for the handle's life; *a is copied. max_string (> 0) is the
 * most bytes of one scalar. NULL when memory runs out. */
nfb__yaml *nfb__yaml_new(const nfb_allocator *a, nfb__dec *dec, nfb__diags *dg,
                         size_t max_string);

/* A new input starts: a fresh parser, positions from offset 0, line 1. */
void nfb__yaml_begin(nfb__yaml *y);
/* nfb__yaml_begin for an input whose first off bytes, line - 1 whole
 * lines of blanks, are not fed: parsing starts at offset off, line. */
void nfb__yaml_begin_at(nfb__yaml *y, uint64_t off, uint64_t line);

/* Why the input is read as YAML (reader.c's detection), or NULL: added to
 * the first syntax error libyaml reports. why must outlive the input.
 * Called after nfb__yaml_begin_at. */
void nfb__yaml_why(nfb__yaml *y, const char *why);

/* The next n bytes of the input, in chunks of any size. Returns NFB_OK,
 * NFB_STOPPED when a callback asked to stop (dg->stopped), or NFB_ENOMEM
 * (dg->failed). Nothing of p is kept after the call. */
nfb_result nfb__yaml_feed(nfb__yaml *y, const unsigned char *p, size_t n);

/* The end of the input: parses what is buffered to its end. Same results
 * as nfb__yaml_feed. nfb__yaml_begin starts the next input. */
nfb_result nfb__yaml_finish(nfb__yaml *y);

/* Frees the handle (NULL is allowed). */
void nfb__yaml_free(nfb__yaml *y);

#endif
