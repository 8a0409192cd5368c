/* The decoder's state: the schema state machine that turns front end
 * events (event.h) into records. It knows nothing of the front end: what
 * it needs of a token comes with the event. */
#ifndef NFB_DECODE_H
#define NFB_DECODE_H

#include "common/arena.h"
#include "common/schema.h"
#include "event.h"

/* The decoder's state beside its frames is one enum per concern, each
 * changed at few places (decode.c):
 *
 * the document   READING: it goes on (or none is open); HELD: its record
 *                is complete and waits for the response around it to end
 *                whole; DROPPED: a limit dropped it, the front end skips
 *                its rest; RESTART: a new document began inside it, the
 *                front end parses again from restart_at. The last two are
 *                what the front end is asked when an event returns 0.
 * the watch      OFF, or an object or array watched where a new document
 *                may begin (watch_start in decode.c) until its first key
 *                decides: OBJECT before that key; ARRAY before its first
 *                element; ELEMENT in the object that is its first element.
 * skipping       NONE: values are the schema's; VALUE: the next value is
 *                not (its key was unknown or not kept); TREE: inside such
 *                a value, skip_depth levels deep. */
typedef enum nfb__doc_state {
    NFB__DOC_READING,
    NFB__DOC_HELD,
    NFB__DOC_DROPPED,
    NFB__DOC_RESTART
} nfb__doc_state;

typedef enum nfb__watch {
    NFB__WATCH_OFF,
    NFB__WATCH_OBJECT,
    NFB__WATCH_ARRAY,
    NFB__WATCH_ELEMENT
} nfb__watch;

typedef enum nfb__skip {
    NFB__SKIP_NONE,
    NFB__SKIP_VALUE,
    NFB__SKIP_TREE
} nfb__skip;

typedef struct nfb__frame {
    uint8_t kind;         /* nfb__kind */
    uint8_t elem;         /* NFB_K_ARRAY: the kind of its elements */
    int8_t field;         /* objects: field whose value is awaited, -1: none */
    const nfb__field *fd; /* ... and its row of the schema, or NULL */
    uint32_t seen;        /* objects: fields met (duplicates, required) */
    uint32_t present;     /* objects: fields met with a non-null value */
    uint64_t index;       /* arrays: elements begun so far */
    void *base;           /* objects: the struct their fields are stored in */
    nfb__pos pos;         /* where the value begins (NFB__POS_AT: frame_pos) */
} nfb__frame;

/* The room for a path (nfb__dec.path), and the frames above a record that
 * nfb__dec.lint keeps track of. */
enum { NFB__PATH_SIZE = 512, NFB__LINT_FRAMES = 4 };

struct nfb__dec {
    nfb__diags *dg;
    nfb_record_fn on_record;
    void *ctx;
    unsigned flags; /* NFB_READ_* */
    size_t max_depth;
    nfb__arena arena;
    void *c_locale; /* locale_t of the "C" numbers, for strtod_l */

    nfb__doc_state doc;
    /* RESTART: where the new document begins; a watch: where the watched
     * value begins. */
    nfb__pos restart_at;
    /* Set by a front end that can parse bytes again (JSON): objects and
     * arrays where a new document may begin are then watched. */
    int can_restart;
    /* The states the common paths of decode.c must look at on each event,
     * in one word (unusual): it is 0 when no watch, skip, YAML plain text
     * or bad text is going on, tested at once.
     * watch (nfb__watch): while it is not OFF, the front end keeps the
     * watched value's bytes from restart_at on, in case it must parse them
     * again; it turns the watch OFF (nfb__dec_unwatch) when it cannot.
     * skip (nfb__skip), described above.
     * odd_text: plain or bad_why is set (nfb__dec_plain,
     * nfb__dec_bad_text), cleared with them (text_done in decode.c). */
    union {
        struct {
            union {
                struct {
                    uint8_t watch;
                    uint8_t skip;
                };
                uint16_t watch_skip; /* 0: neither */
            };
            uint8_t odd_text;
            uint8_t unused_;
        };
        uint32_t unusual;
    };
    uint8_t watch_kind; /* the object kind that fits there, or none */
    uint8_t watch_jt;   /* J_OBJECT or J_ARRAY, for its wrong type */
    const nfb__field *watch_field; /* its wrong type, not yet reported: */
    const char *watch_expected;    /* what was expected, or NULL: none */
    int num_status; /* a top-level object's status was a number */
    nfb__pos num_status_at;
    uint64_t form_errors; /* errors when the current response began */

    uint32_t required[NFB_K_COUNT]; /* each kind's required fields */
    /* Each kind's fields by a hash of the key (key_slot in decode.c), made
     * from the schema's rows: the field to compare the key with, or
     * KEY_NONE (no field has that hash) or KEY_MANY (more than one). */
    int8_t keys[NFB_K_COUNT][64];
    nfb__frame *frames;
    size_t depth;        /* frames in use */
    size_t skip_depth;   /* TREE: levels inside the skipped value */
    uint64_t doc_errors; /* dg->stats.errors when the document began */
    uint64_t rec_errors; /* dg->stats.errors when the record began */
    nfb__pos at;         /* where the current event's token begins, or
                            NFB__POS_LATER: ask locate (here() in decode.c),
                            or NFB__POS_AT: ask resolve */
    nfb__pos (*locate)(void *ctx); /* the front end's, for NFB__POS_LATER */
    nfb__pos (*resolve)(void *ctx, uint64_t off); /* ... for NFB__POS_AT */
    void *locate_ctx;
    const char *plain; /* the next value's text as written, or NULL */
    size_t plain_len;
    int plain_string;    /* ... and where a string is wanted, it is one */
    const char *bad_why; /* the next key or string is unusable: why */
    nfb__pos bad_at;
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
    char path[NFB__PATH_SIZE];
    char msg[768];
    /* The path of the record whose lints were reported last (lint_path in
     * decode.c), kept for the next record's: the frames above the record
     * (at most NFB__LINT_FRAMES of them are kept track of), what each put
     * in the path (its kind, and its field's row or its index), and the
     * path's length before each. In a stream of records the frames above
     * them are the same (or differ in an array's index only), so a lint's
     * path is mostly there already. */
    struct {
        size_t n;                         /* frames above the record */
        uint8_t kind[NFB__LINT_FRAMES];   /* each one's kind */
        uintptr_t key[NFB__LINT_FRAMES];  /* ... and its fd or index */
        size_t len[NFB__LINT_FRAMES + 1]; /* the path's length before it */
        char path[NFB__PATH_SIZE + 32];   /* and then a lint's field */
    } lint;
};

/* Sets up d for the config's limits and callbacks. Returns 0, or -1 when
 * out of memory. */
int nfb__dec_init(nfb__dec *d, const nfb_allocator *a, nfb__diags *dg,
                  const nfb_reader_config *cfg);
void nfb__dec_free(nfb__dec *d);

/* The front end can no longer parse the watched value again: the watch
 * ends, with no word (the value is not a new document). */
void nfb__dec_unwatch(nfb__dec *d);

/* 1 when no document is open, none is held, dropped or restarting: the
 * events from here on are decoded as a new decoder would decode them. */
int nfb__dec_between_documents(const nfb__dec *d);

/* 1 (an API list page, {"data":{"backups":[) or 2 (a CLI list,
 * {"backups":[) when the decoder is in the frames those bytes leave it in,
 * no other key met, between two elements of the array; *elements: the
 * elements before the next one. 0 anywhere else. */
int nfb__dec_before_element(const nfb__dec *d, uint64_t *elements);

#endif
