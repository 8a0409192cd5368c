/* The JSON front end: yajl's parser, positions, and finding the next
 * document after damage. It sends decoder events (event.h) and reports
 * syntax errors (report.h). */
#ifndef NFB_JSON_SOURCE_H
#define NFB_JSON_SOURCE_H

#include "event.h"

/* Input reaches yajl in segments of at most SEG_MAX bytes; a bad escape
 * takes at least 6 bytes. An object watched by the
 * decoder (decode.h) keeps at most CAP_MAX bytes before its first key. A
 * token cut at a segment's end once GATHER_MIN bytes long is held and
 * handed on in growing pieces (json_source.c, "long tokens"). */
enum {
    NFB__SEG_MAX = 16384,
    NFB__BAD_ESC_MAX = NFB__SEG_MAX / 6 + 4,
    NFB__CAP_MAX = 2048,
    NFB__GATHER_MIN = 64,
    NFB__YA_SLOTS = 9, /* json_source.c: the reserve for yajl */
    /* The longest segment whose indentation is taken out before yajl
     * sees it (json_source.c, "white space"): a replayed one. */
    NFB__SQ_MAX = NFB__CAP_MAX + NFB__SEG_MAX
};

typedef struct nfb__json {
    nfb__dec *dec;
    nfb__diags *dg;
    size_t max_string;
    uint64_t tok_max; /* max_string + 2: the longest token, quotes included */
    void *yajl;       /* yajl_handle */

    /* Where the parser is. Input is fed to yajl in segments of up to
     * SEG_MAX bytes, many lines each. Lines are counted lazily: line,
     * line_start and prev_line_start are those of offset lc_off, which a
     * position asked for moves on through the segment (newlines counted
     * once each); between segments lc_off is abs. seg_line... are the
     * same at the segment's start, for a position asked for behind. */
    uint64_t abs; /* offset of the next byte to be fed */
    const unsigned char *seg;
    size_t seg_len;
    uint64_t seg_base;   /* offset of seg[0] */
    uint64_t lc_off;     /* the offset line... are counted up to */
    uint64_t lc_end;     /* how far it may go: the segment's end, or lc_off */
    uint64_t line;       /* line of lc_off */
    uint64_t line_start; /* offset where that line starts */
    uint64_t prev_line_start;
    uint64_t seg_line, seg_line_start, seg_prev_line_start;
    int seg_line_white;     /* line_white at the segment's start */
    uint64_t tok_prev_end;  /* offset just past the previous token */
    uint64_t tok_end;       /* offset just past the current token */
    uint64_t pending_start; /* start of a token cut at the segment end */
    int has_pending;
    unsigned char pending_byte; /* the byte at pending_start */
    unsigned char pending_num;  /* where a number cut there is in JSON's
                                   number grammar (json_source.c) */
    unsigned char seg_last;     /* the last byte of the segment before */
    int seg_esc0; /* where in an escape a string cut before seg[0] is */

    /* What yajl is fed for the segment: seg itself, or a copy without the
     * spaces that follow its newlines (json_source.c, "white space").
     * Byte k of it is byte seg_base + k + sq_gone[k & sq_mask] of the
     * input: with the copy, sq_gone[k] is how many spaces were taken out
     * before its byte k and sq_mask all ones; without, sq_mask is 0 and
     * sq_gone[0] is 0. While yajl_parse runs on the copy (tok_fed), the
     * token ends tok_end and tok_prev_end from seg_base on are offsets of
     * the copy plus seg_base, which tok_in turns into the input's; they
     * are the input's again when it returns. */
    const unsigned char *in;
    size_t in_len;
    const uint16_t *sq_gone;
    size_t sq_mask;
    int tok_fed;
    unsigned char *sq;  /* the copy, NFB__SQ_MAX bytes; made when first used */
    uint16_t *sq_table; /* sq_gone of the copy: NFB__SQ_MAX + 16 entries */
    uint16_t sq_zero;   /* sq_gone without it */
    uint64_t nest;      /* open objects and arrays */
    int line_white;     /* the line is white space up to abs (between
                           segments) or seg_base (in one) */

    /* After damage. skip: looking for the next '{' or '['; lines: a line
     * that starts with anything else is parsed (and reported) on its own.
     * drop: skipping the rest of a document the decoder dropped, by
     * counting brackets (drop_nest) outside strings. */
    int skip, skip_lines;
    int drop, drop_in_string, drop_word, drop_escape;
    int limit_word; /* the token over the limit is a number or literal */
    uint64_t drop_nest;

    /* The bytes of a watched object (decode.h), from its '{' on. */
    unsigned char cap[NFB__CAP_MAX];
    size_t cap_len;
    uint64_t cap_off; /* where they begin (UINT64_MAX: none kept) */
    uint64_t cap_line_start, cap_prev_line_start;
    int cap_line_white;       /* only white space before its '{' on its line */
    unsigned char *replay[2]; /* NFB__CAP_MAX + NFB__SEG_MAX bytes each */

    /* Escape scan: "\uD800" not followed by a low surrogate, which yajl
     * silently turns into '?' or a wrong code point. */
    unsigned char esc[12];
    size_t esc_n;
    uint64_t esc_off;
    uint64_t bad_esc[NFB__BAD_ESC_MAX];
    size_t bad_esc_n, bad_esc_head;

    /* A long token cut at a segment's end: its next bytes are held until
     * there are as many as yajl keeps of it, or it ends. */
    const nfb_allocator *alloc;
    int gather;           /* bytes of the cut token are being held */
    int gather_str;       /* it is a string; else a number */
    int gather_esc;       /* where in an escape the string is (0: not) */
    int gather_backslash; /* the string may hold an escape */
    unsigned char *hold;
    size_t hold_len, hold_cap;

    /* Transport wrappers between documents (json_source.c, "wrappers"):
     * an HTTP response head, and RFC 7464's record separator. */
    int head_match;      /* bytes of "HTTP/" and a digit matched */
    int head_try;        /* an 'H' between documents comes next */
    int head_refusing;   /* they were no head: parsed as JSON */
    int head;            /* inside a response head */
    uint64_t head_lines; /* its lines ended so far */
    uint64_t head_col;   /* bytes on its current line, CR not counted */
    nfb__pos head_pos;   /* where it began */
    char head_text[72];  /* its status line, cut, printable ASCII */
    size_t head_text_len;
    int http_state;  /* 0, or after a final head: 1 its body awaited,
                        2 its body being read */
    int http_status; /* that head's status code (0: none found) */
    nfb__pos http_pos;
    char http_text[72];

    /* Why the input was read as JSON, when that was a guess (reader.c):
     * said in the first syntax error on the line of its first text. */
    const char *why;
    uint64_t why_line;

    /* yajl's memory when the C library has none (json_source.c, yajl's
     * memory): the reserve's slots (ya_used: a bit per slot yajl holds),
     * and the buffers set aside for a long token (room_cap bytes each). */
    unsigned char *ya_reserve;
    size_t ya_off[NFB__YA_SLOTS], ya_cap[NFB__YA_SLOTS];
    unsigned ya_used;
    unsigned char *room[2];
    size_t room_cap;

    /* Work done, for tests: yajl_parse calls, and the bytes of cut tokens
     * that yajl read again at the start of a call. */
    uint64_t parse_calls, reread;
} nfb__json;

/* What a yajl error message says, as far as positions go: a parse error
 * (yajl_get_bytes_consumed is just past the offending token), a token
 * where a ',' was due after a value in an object (the token is not
 * consumed), a lexical error at the offending byte (backed up to it), or a
 * byte that starts no token (consumed). */
typedef enum nfb__yajl_error {
    NFB__YAJL_PARSE,
    NFB__YAJL_AFTER_VALUE,
    NFB__YAJL_LEX,
    NFB__YAJL_LEX_CONSUMED
} nfb__yajl_error;

nfb__yajl_error nfb__json_error_kind(const char *message);

/* Returns 0, or -1 when out of memory. */
int nfb__json_init(nfb__json *j, const nfb_allocator *a, nfb__dec *dec,
                   nfb__diags *dg, size_t max_string);
void nfb__json_free(nfb__json *j, const nfb_allocator *a);

/* A new input: positions restart at offset 0, line 1. */
nfb_result nfb__json_begin(nfb__json *j);
/* The input begins with white space that is not fed: off bytes, the
 * current line starting at line_start (line number line), the one before
 * at prev_line_start. Called after nfb__json_begin, before any feed. */
void nfb__json_skip_white(nfb__json *j, uint64_t off, uint64_t line,
                          uint64_t line_start, uint64_t prev_line_start);
/* Why the input is read as JSON (NULL: it starts as JSON does): added to
 * the first syntax error on line line, the line its first text is on.
 * why must outlive the input. Called after nfb__json_begin. */
void nfb__json_why(nfb__json *j, const char *why, uint64_t line);
nfb_result nfb__json_feed(nfb__json *j, const unsigned char *p, size_t n);
/* The end of the input: a number at the very end completes, a document
 * left open is reported. */
nfb_result nfb__json_finish(nfb__json *j);

/* 1 when the JSON front end is between documents: no token, escape or
 * byte held back, no bracket open, no damage being skipped or document
 * being dropped, no HTTP response head begun or body awaited after one.
 * What the decoder holds is its own to say (nfb__dec_between_documents). */
int nfb__json_between_documents(const nfb__json *j);

/* 1 when the input so far ends with a value inside nest open objects and
 * arrays and the ',' after it, nothing else held: the next value of that
 * array is due (what the decoder holds is its own to say,
 * nfb__dec_before_element). */
int nfb__json_before_element(const nfb__json *j, uint64_t nest);

/* The position at the end of what was fed. */
nfb__pos nfb__json_end_pos(const nfb__json *j);

#endif
