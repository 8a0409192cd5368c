/* fuzz_yaml: arbitrary bytes into the YAML front end
 * (lib/src/read/yaml_source.c) on its own, against a decoder written here that
 * checks what it is sent.
 *
 * The first HDR bytes choose the options; the rest is the input:
 *
 *   byte 0   flags: F_SMALL (max_string below, else 1 MiB), F_DROP (the
 *            decoder drops a document at the event of byte 2), F_STOP (it
 *            asks to stop there instead), F_ONCE (no second reading)
 *   byte 1   max_string = 1 + 4 b                  (F_SMALL)
 *   byte 2   the event, counted from 1, that returns 0 (F_DROP, F_STOP)
 *   byte 3-5 chunk lengths, used in turn; 0 means all that is left
 *
 * Checked on every event and diagnostic: positions name the place of the
 * text fed so far (line and column agree with the offset), events nest
 * (keys only where a mapping awaits one, values after keys, ends match
 * starts), a plain scalar's note (nfb__dec_plain) comes just before its
 * value event, number text is in JSON's grammar, keys and strings are at most
 * max_string bytes, diagnostics are syntax or limit errors whose message
 * is one line of UTF-8, nothing is sent after a stop. Unless F_ONCE is
 * set, the same input read whole must give the same log: how the input
 * is cut never changes the result. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "read/yaml_source.h"

enum { HDR = 6 };

enum { F_SMALL = 1 << 0, F_DROP = 1 << 1, F_STOP = 1 << 2, F_ONCE = 1 << 3 };

/* Open collections: 1 a mapping awaiting a key, 2 a mapping awaiting a
 * value, 3 a sequence. */
enum { MAX_DEPTH = 200000 };

struct nfb__dec {
    nfb__diags *dg;
    const uint8_t *text;
    size_t fed; /* bytes fed so far */
    size_t max_string;
    unsigned char *stack;
    size_t depth;
    unsigned events, fail_at;
    bool fail_stops, stopped;
    fuzz_mem log;
    uint64_t seen, seen_line, seen_start; /* the last position checked */
    bool plain; /* nfb__dec_plain was called for the next value */
};

static void check_pos(nfb__dec *d, nfb__pos at)
{
    FUZZ_CHECK(!d->stopped);
    FUZZ_CHECK(at.offset <= d->fed);
    FUZZ_CHECK(at.line >= 1 && at.column >= 1);
    /* Counted on from the last position checked (positions mostly grow:
     * counting from 0 each time would be quadratic). */
    if (at.offset < d->seen) d->seen = 0, d->seen_line = 1, d->seen_start = 0;
    for (uint64_t i = d->seen; i < at.offset; i++)
        if (d->text[i] == '\n') d->seen_line++, d->seen_start = i + 1;
    d->seen = at.offset;
    FUZZ_CHECK(at.line == d->seen_line);
    FUZZ_CHECK(at.column == at.offset - d->seen_start + 1);
}

/* Logs the event; returns what the decoder answers. */
static int logged(nfb__dec *d, nfb__pos at, char kind, const char *s,
                  size_t len)
{
    check_pos(d, at);
    /* A plain scalar's note comes just before its value event. */
    FUZZ_CHECK(!d->plain || strchr("sntfz", kind));
    d->plain = false;
    char head[64];
    int n = snprintf(head, sizeof head, "%c %llu ", kind,
                     (unsigned long long)at.offset);
    fuzz_mem_put(&d->log, head, (size_t)n);
    if (s) fuzz_mem_put(&d->log, s, len);
    fuzz_mem_put(&d->log, "\n", 1);
    if (++d->events != d->fail_at) return 1;
    if (d->fail_stops) {
        d->dg->stopped = 1;
        d->stopped = true;
    }
    return 0;
}

/* A value (scalar or collection start) where one may be. */
static void value_here(nfb__dec *d)
{
    if (!d->depth) return;
    unsigned char *top = &d->stack[d->depth - 1];
    FUZZ_CHECK(*top != 1); /* a mapping awaiting a key */
    if (*top == 2) *top = 1;
}

static int open_(nfb__dec *d, nfb__pos at, unsigned char kind)
{
    value_here(d);
    FUZZ_CHECK(d->depth < MAX_DEPTH);
    d->stack[d->depth++] = kind;
    return logged(d, at, kind == 1 ? '{' : '[', NULL, 0);
}

static int close_(nfb__dec *d, nfb__pos at, bool map)
{
    FUZZ_CHECK(d->depth > 0);
    unsigned char top = d->stack[--d->depth];
    FUZZ_CHECK(map ? top == 1 : top == 3);
    return logged(d, at, map ? '}' : ']', NULL, 0);
}

int nfb__dec_map_start(nfb__dec *d, nfb__pos at)
{
    return open_(d, at, 1);
}
int nfb__dec_array_start(nfb__dec *d, nfb__pos at)
{
    return open_(d, at, 3);
}
int nfb__dec_map_end(nfb__dec *d, nfb__pos at)
{
    return close_(d, at, true);
}
int nfb__dec_array_end(nfb__dec *d, nfb__pos at)
{
    return close_(d, at, false);
}
int nfb__dec_map_key(nfb__dec *d, nfb__pos at, const char *s, size_t len)
{
    FUZZ_CHECK(d->depth > 0 && d->stack[d->depth - 1] == 1);
    FUZZ_CHECK(len <= d->max_string);
    FUZZ_CHECK(len == 0 || s != NULL);
    d->stack[d->depth - 1] = 2;
    return logged(d, at, 'k', s, len);
}
int nfb__dec_string(nfb__dec *d, nfb__pos at, const char *s, size_t len)
{
    value_here(d);
    FUZZ_CHECK(len <= d->max_string);
    FUZZ_CHECK(len == 0 || s != NULL);
    return logged(d, at, 's', s, len);
}

/* JSON's number grammar, RFC 8259 section 6. */
static bool json_number(const char *s, size_t n)
{
    size_t i = 0;
    if (i < n && s[i] == '-') i++;
    if (i < n && s[i] == '0') {
        i++;
    } else if (i < n && s[i] >= '1' && s[i] <= '9') {
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
    } else {
        return false;
    }
    if (i < n && s[i] == '.') {
        size_t d = ++i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == d) return false;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-')) i++;
        size_t d = i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == d) return false;
    }
    return i == n;
}

int nfb__dec_number(nfb__dec *d, nfb__pos at, const char *s, size_t len)
{
    value_here(d);
    FUZZ_CHECK(json_number(s, len));
    return logged(d, at, 'n', s, len);
}
int nfb__dec_bool(nfb__dec *d, nfb__pos at, int value)
{
    value_here(d);
    FUZZ_CHECK(value == 0 || value == 1);
    return logged(d, at, value ? 't' : 'f', NULL, 0);
}
int nfb__dec_null(nfb__dec *d, nfb__pos at)
{
    value_here(d);
    return logged(d, at, 'z', NULL, 0);
}
void nfb__dec_bad_text(nfb__dec *d, nfb__pos at, const char *why)
{
    check_pos(d, at);
    FUZZ_CHECK(why != NULL && why[0] != 0);
    fuzz_mem_put(&d->log, "bad ", 4);
    fuzz_mem_put(&d->log, why, strlen(why));
    fuzz_mem_put(&d->log, "\n", 1);
}
void nfb__dec_plain(nfb__dec *d, const char *s, size_t len, int string)
{
    FUZZ_CHECK(!d->plain && !d->stopped);
    FUZZ_CHECK(s != NULL && len <= d->max_string);
    FUZZ_CHECK(string == 0 || string == 1);
    d->plain = true;
    fuzz_mem_put(&d->log, string ? "p 1 " : "p 0 ", 4);
    fuzz_mem_put(&d->log, s, len);
    fuzz_mem_put(&d->log, "\n", 1);
}
int nfb__dec_open(const nfb__dec *d)
{
    return d->depth > 0;
}
void nfb__dec_reset(nfb__dec *d)
{
    d->depth = 0;
    fuzz_mem_put(&d->log, "reset\n", 6);
}

static int on_diag(void *ctx, const nfb_diag *g)
{
    nfb__dec *d = ctx;
    nfb__pos at = {g->offset, g->line, g->column};
    check_pos(d, at);
    FUZZ_CHECK(g->severity == NFB_ERROR);
    FUZZ_CHECK(g->code == NFB_CODE_SYNTAX || g->code == NFB_CODE_LIMIT);
    size_t n = strlen(g->message);
    FUZZ_CHECK(n > 0);
    FUZZ_CHECK(fuzz_utf8_ok((const unsigned char *)g->message, n));
    for (size_t i = 0; i < n; i++)
        FUZZ_CHECK((unsigned char)g->message[i] >= 0x20);
    FUZZ_CHECK(strncmp(g->message, "expected ", 9) == 0 ||
               strncmp(g->message, "invalid YAML: ", 14) == 0);
    char head[64];
    int k = snprintf(head, sizeof head, "! %d %llu ", (int)g->code,
                     (unsigned long long)g->offset);
    fuzz_mem_put(&d->log, head, (size_t)k);
    fuzz_mem_put(&d->log, g->message, n);
    fuzz_mem_put(&d->log, "\n", 1);
    return 0;
}

static void *a_malloc(void *ctx, size_t n)
{
    (void)ctx;
    return malloc(n);
}
static void *a_realloc(void *ctx, void *p, size_t n)
{
    (void)ctx;
    return realloc(p, n);
}
static void a_free(void *ctx, void *p)
{
    (void)ctx;
    free(p);
}

/* Reads data in the chunks given; the log is left in *out. */
static void read_all(const uint8_t h[HDR], const uint8_t *data, size_t size,
                     const uint8_t chunks[3], fuzz_mem *out)
{
    nfb_allocator a = {a_malloc, a_realloc, a_free, NULL};
    nfb__diags dg;
    memset(&dg, 0, sizeof dg);
    nfb__dec d;
    memset(&d, 0, sizeof d);
    d.dg = &dg;
    d.text = data;
    d.seen_line = 1;
    d.max_string = h[0] & F_SMALL ? 1 + 4u * h[1] : 1u << 20;
    d.stack = malloc(MAX_DEPTH);
    FUZZ_CHECK(d.stack != NULL);
    if (h[0] & (F_DROP | F_STOP)) {
        d.fail_at = h[2];
        d.fail_stops = (h[0] & F_STOP) != 0;
    }
    dg.on_diag = on_diag;
    dg.ctx = &d;
    dg.max_diags = 1000;
    dg.name = "fuzz";

    nfb__yaml *y = nfb__yaml_new(&a, &d, &dg, d.max_string);
    FUZZ_CHECK(y != NULL);
    nfb__yaml_begin(y);
    nfb_result r = NFB_OK;
    size_t pos = 0, k = 0;
    while (pos < size && r == NFB_OK) {
        size_t len = chunks[k++ % 3];
        if (len == 0 || len > size - pos) len = size - pos;
        unsigned char *copy = malloc(len);
        FUZZ_CHECK(copy != NULL);
        memcpy(copy, data + pos, len);
        pos += len;
        d.fed = pos;
        r = nfb__yaml_feed(y, copy, len);
        free(copy);
    }
    if (r == NFB_OK) r = nfb__yaml_finish(y);
    FUZZ_CHECK(r == (d.stopped ? NFB_STOPPED : NFB_OK));
    nfb__yaml_free(y);
    free(d.stack);
    *out = d.log;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t whole[3] = {0, 0, 0};
    uint8_t h[HDR] = {0};
    size_t hn = size < HDR ? size : HDR;
    memcpy(h, data, hn);
    data += hn, size -= hn;

    fuzz_mem cut = {0}, one = {0};
    read_all(h, data, size, h + 3, &cut);
    if (!(h[0] & F_ONCE)) {
        read_all(h, data, size, whole, &one);
        if (cut.n != one.n || (cut.n && memcmp(cut.p, one.p, cut.n) != 0)) {
            fprintf(stderr, "chunks %u %u %u:\n%.*s\nwhole:\n%.*s\n", h[3],
                    h[4], h[5], (int)cut.n, cut.p ? cut.p : "", (int)one.n,
                    one.p ? one.p : "");
            FUZZ_CHECK(!"the chunking does not change the result");
        }
    }
    free(cut.p);
    free(one.p);
    return 0;
}
