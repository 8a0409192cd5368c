/* The decoder's state: the schema state machine that turns front end
 * events (event.h) into records. It knows nothing of the front end: what
 * it needs of a token comes with the event. */
#ifndef NFB_DECODE_H
#define NFB_DECODE_H

#include "common/arena.h"
#include "common/schema.h"
#include "event.h"

typedef struct nfb__frame {
    uint8_t kind;     /* nfb__kind */
    uint8_t elem;     /* NFB_K_ARRAY: the kind of its elements */
    int8_t field;     /* objects: field whose value is awaited, -1: none */
    int8_t next;      /* objects: the field likely to come next */
    uint32_t seen;    /* objects: fields met (duplicates, required) */
    uint32_t present; /* objects: fields met with a non-null value */
    uint64_t index;   /* arrays: elements begun so far */
    void *base;       /* objects: the struct their fields are stored in */
    nfb__pos pos;     /* where the value begins */
} nfb__frame;

struct nfb__dec {
    nfb__diags *dg;
    nfb_record_fn on_record;
    void *ctx;
    unsigned flags; /* NFB_READ_* */
    size_t max_depth;
    nfb__arena arena;
    void *c_locale; /* locale_t of the "C" numbers, for strtod_l */

    /* Set when the decoder drops the document (a limit): the front end
     * skips the rest of it. */
    int cancel;
    /* Set when an object that cannot belong where it is begins a new
     * document (the one before was cut short): the front end parses again
     * from restart_at. */
    int restart;
    nfb__pos restart_at;
    /* Set by a front end that can parse bytes again (JSON): objects and
     * arrays where a new document may begin are then watched. */
    int can_restart;
    /* An object or array was opened where a new document may begin (see
     * watch_start in decode.c); the front end keeps its bytes until the
     * first key (of an array's first element), in case it must parse them
     * again. */
    int watch;
    uint8_t watch_kind;  /* the object kind that fits there, or none */
    uint8_t watch_array; /* 1: an array, before its first element; 2: in
                            the object that is its first element */
    uint8_t watch_jt;    /* J_OBJECT or J_ARRAY, for its wrong type */
    const nfb__field *watch_field; /* its wrong type, not yet reported: */
    const char *watch_expected;    /* what was expected, or NULL: none */
    int num_status; /* a top-level object's status was a number */
    nfb__pos num_status_at;
    uint64_t form_errors; /* errors when the current response began */

    uint32_t required[NFB_K_COUNT]; /* each kind's required fields */
    nfb__frame *frames;
    size_t depth;   /* frames in use */
    size_t skip;    /* depth inside a skipped subtree */
    int skip_value; /* the next value is skipped */
    int in_record;
    int held;            /* a record waits for the end of its document */
    uint64_t doc_errors; /* dg->stats.errors when the document began */
    uint64_t rec_errors; /* dg->stats.errors when the record began */
    nfb__pos at;         /* where the current event's token begins, or
                            NFB__POS_LATER: ask locate (here() in decode.c) */
    nfb__pos (*locate)(void *ctx); /* the front end's, for NFB__POS_LATER */
    void *locate_ctx;
    const char *plain; /* the next value's text as written, or NULL */
    size_t plain_len;
    int plain_string; /* ... and where a string is wanted, it is one */
    int bad_text;     /* the next key or string is unusable */
    nfb__pos bad_at;
    const char *bad_why;
    nfb_backup rec;
    nfb__api_error apierr;
    /* The status line of the HTTP response head before the current
     * document (json_source.c), or NULL: an API error names it, and sets
     * http_used. */
    const char *http;
    int http_used;
    /* nfb_reader_on_list_page's callback, and the list page being read:
     * a response's "pagination" is skipped, but its "hasNextPage" seen. */
    nfb_list_page_fn on_page;
    void *page_ctx;
    int page_list; /* the response's "data" was a list */
    int page_in;   /* skipping its "pagination" object */
    int page_key;  /* ... and its "hasNextPage" key came last */
    int page_has;  /* "pagination" was an object */
    int page_next; /* hasNextPage: true */
    uint64_t page_backups;
    nfb_destination *dests;
    size_t ndests, dests_cap;
    char path[512];
    char msg[768];
};

/* Sets up d for the config's limits and callbacks. Returns 0, or -1 when
 * out of memory. */
int nfb__dec_init(nfb__dec *d, const nfb_allocator *a, nfb__diags *dg,
                  const nfb_reader_config *cfg);
void nfb__dec_free(nfb__dec *d);

#endif
