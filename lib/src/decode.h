/* The reader's private state, shared by the front end (json_source.c),
 * which owns yajl and positions, and the decoder (decode.c), which owns the
 * schema state machine. */
#ifndef NFB_DECODE_H
#define NFB_DECODE_H

#include <stdarg.h>

#include "arena.h"
#include "internal.h"
#include "schema.h"

typedef struct nfb__frame {
    uint8_t kind;     /* nfb__kind */
    uint8_t elem;     /* NFB_K_ARRAY: the kind of its elements */
    int8_t field;     /* objects: field whose value is awaited, -1: none */
    int8_t next;      /* objects: the field likely to come next */
    uint32_t seen;    /* objects: fields met (duplicates, required) */
    uint32_t present; /* objects: fields met with a non-null value */
    uint64_t index;   /* arrays: elements begun so far */
    void *base;       /* objects: the struct their fields are stored in */
    uint64_t offset, line, column; /* where the value begins */
} nfb__frame;

/* A position in the current input. */
typedef struct nfb__pos {
    uint64_t offset, line, column;
} nfb__pos;

/* Input reaches yajl in segments of at most a line and at most SEG_MAX
 * bytes; a bad escape takes at least 6 bytes (see json_source.c). */
enum { NFB__SEG_MAX = 16384, NFB__BAD_ESC_MAX = NFB__SEG_MAX / 6 + 4 };

struct nfb_reader {
    nfb_allocator alloc;
    nfb_reader_config cfg;
    void *yajl; /* yajl_handle */
    nfb__arena arena;
    nfb_reader_stats stats;
    char *name;
    int begun;             /* an input is open */
    int stopped;           /* a callback asked to stop */
    int failed;            /* out of memory: only free is allowed */
    uint64_t input_errors; /* errors reported for the current input */

    /* Front end: where the parser is. Input is fed to yajl one line (or
     * the part of a line within a chunk) at a time, so the segment being
     * parsed never holds a newline before its last byte. */
    uint64_t abs; /* offset of the next byte to be fed */
    const unsigned char *seg;
    size_t seg_len;
    uint64_t seg_base;   /* offset of seg[0] */
    uint64_t line;       /* line of the current segment */
    uint64_t line_start; /* offset where that line starts */
    uint64_t prev_line_start;
    uint64_t tok_prev_end;  /* offset just past the previous token */
    uint64_t tok_end;       /* offset just past the current token */
    uint64_t pending_start; /* start of a token cut at the segment end */
    int has_pending;
    unsigned char pending_byte; /* the byte at pending_start */
    unsigned char seg_last;     /* the last byte of the segment before */
    uint64_t seg_tokens;        /* tokens reported in the current segment */
    int bom;                    /* bytes of a BOM matched; -1 once past */
    int skipping;               /* resync: skipping to a line that starts a
                                   document */
    int at_line_start;
    int cancel; /* the decoder asked to drop the document */

    /* Escape scan: "\uD800" not followed by a low surrogate, which yajl
     * silently turns into '?' or a wrong code point. */
    unsigned char esc[12];
    size_t esc_n;
    uint64_t esc_off;
    uint64_t bad_esc[NFB__BAD_ESC_MAX];
    size_t bad_esc_n, bad_esc_head;

    /* Decoder */
    nfb__frame *frames;
    size_t depth;       /* frames in use */
    size_t skip;        /* depth inside a skipped subtree */
    int skip_value;     /* the next value is skipped */
    uint64_t doc;       /* index of the current document */
    uint64_t doc_line;  /* the line it began on */
    int ndjson;         /* input is one document per line: 1 yes, 0 no,
                           -1 not known yet */
    uint64_t doc_diags; /* diagnostics reported in it */
    int in_record;
    uint64_t rec_errors; /* stats.errors when the record began */
    nfb_backup rec;
    nfb__api_error apierr;
    nfb_destination *dests;
    size_t ndests, dests_cap;
    char path[512];
    char msg[768];
};

/* Decoder events, called by the front end for each yajl token. They
 * return 1 to go on, 0 to cancel the parse (r->stopped tells a stop asked
 * by the user from a dropped document). */
int nfb__dec_map_start(nfb_reader *r);
int nfb__dec_map_key(nfb_reader *r, const unsigned char *s, size_t len);
int nfb__dec_map_end(nfb_reader *r);
int nfb__dec_array_start(nfb_reader *r);
int nfb__dec_array_end(nfb_reader *r);
int nfb__dec_string(nfb_reader *r, const unsigned char *s, size_t len);
int nfb__dec_number(nfb_reader *r, const char *s, size_t len);
int nfb__dec_bool(nfb_reader *r, int value);
int nfb__dec_null(nfb_reader *r);

/* Drops any open document (after a syntax error or a limit). */
void nfb__dec_reset(nfb_reader *r);

/* True while a document is open. */
int nfb__dec_open(const nfb_reader *r);

/* Front end services for the decoder. */
nfb__pos nfb__token_pos(nfb_reader *r);     /* start of the current token */
nfb__pos nfb__end_pos(const nfb_reader *r); /* offset r->abs */

/* Reports a diagnostic at pos. path NULL means the current path. Returns 1
 * to go on, 0 when the user's callback asked to stop. */
int nfb__report(nfb_reader *r, nfb_severity sev, nfb_code code,
                const char *path, nfb__pos pos, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 6, 7)))
#endif
    ;

/* The position of offset off, which must be on the current line or be the
 * end of the line before. */
nfb__pos nfb__pos_at(const nfb_reader *r, uint64_t off);

/* Takes the lone-surrogate escapes the scan found before offset end: returns
 * how many, and the offset of the first in *first. */
size_t nfb__take_bad_escapes(nfb_reader *r, uint64_t end, uint64_t *first);

#endif
