/* fuzz_stream: a structure-aware oracle for streams of documents.
 *
 * The input does not become the text: it chooses how a stream is built
 * from known documents, and the oracle knows what must come out of it.
 * The documents are the example backup of the API documentation in the
 * three forms a response is saved in, each with an id of its own ("d0",
 * "d1", ...): the API envelope {"data": BACKUP} (compact, and pretty on
 * several lines), the CLI form BACKUP, and the JS client's result
 * {"data": BACKUP, "rawResponse": ..., "request": ...}. N of them are
 * joined, each followed by a separator (none, "\n", "\r\n", spaces), some
 * corrupted (replaced by a bare word, a stray '}', a string, a wrong-typed
 * object {"data":5}, or cut off at a chosen byte), and the stream is fed
 * in chunks chosen by the input too.
 *
 *   byte 0        N = 1 + b % 12
 *   bytes 1..3N   per document: form and separator, corruption, where a
 *                 cut falls (in 256ths of the document)
 *   the rest      chunk lengths, 1 + b each, used in turn (none: whole)
 *
 * What must hold:
 * - every document left intact comes out as a record, in order, and
 *   nothing else does (records are told apart by their id);
 * - every stretch of corruption draws at least one error, at a position
 *   from its first byte to the first byte of the document after it;
 * - no error falls inside an intact document, past its first byte;
 * - a stream without corruption draws no diagnostic at all;
 * - wherever the reader says it is between documents (at the end of a
 *   chunk), a new reader given the rest of the stream reports the same
 *   records and diagnostics at the same offsets (what -j rests on).
 *
 * What is not asked, because no reader can tell (the corruption model is
 * narrowed so that the generator never builds these):
 * - Corrupted documents side by side with no newline between them are one
 *   stretch of garbage: `x"a string"}` is one piece of damage, and gets at
 *   least one error, not one per document. A newline ends a stretch (each
 *   line of garbage is reported on its own), except after a document cut
 *   off: what follows it is read as its continuation as long as it can be
 *   one (a string as the value that was due, a '}' closing it), and the
 *   error comes where that stops.
 * - A document cut off inside a string swallows the bytes after it up to
 *   the next quote: `{"id":"ab` then `{"id":"d1",...}` reads as the string
 *   "ab{" and then garbage, and the '{' of the next document is gone. So a
 *   cut inside a string is followed by a newline (a string cannot hold
 *   one: the line ends it and the next line is read afresh).
 * - A document cut off where a value is due takes the next document as
 *   that value when it can be one: `{"data":` then a CLI form document is
 *   exactly an API envelope missing its final '}', and any value inside
 *   the JS client's rawResponse or request may be anything, a whole
 *   response included. A cut never ends there: it is moved before the key,
 *   or before rawResponse.
 * - A document cut off and then a stray '}' or a string can be the
 *   document whole again (`{"data":{...}` and `}`; a string as the value
 *   the cut left due, then '}'s): after a cut document those two are a
 *   bare word instead. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <nfbackup/nfbackup.h>

#include "fuzz.h"

enum { N_MAX = 12, ID_MAX = 24 };

/* The example backup's members, for backups in several key orders; @ is
 * the id. */
#define ID "\"id\":\"@\""
#define NAME "\"name\":\"Example Backup\""
#define STATUS "\"status\":\"completed\""
#define CREATED "\"createdAt\":\"2021-01-20T11:19:53.175Z\""
#define COMPLETED "\"completedAt\":\"2021-01-20T11:19:54.494Z\""
#define CONFIG                                                                 \
    "\"config\":{\"source\":{\"type\":\"snapshot\"},\"size\":\"1234\","        \
    "\"addonVersion\":\"4.4.8\",\"additionalDestinations\":[{"                 \
    "\"destinationId\":\"x\",\"retentionTime\":30,\"type\":\"custom\"}]}"
#define LAST                                                                   \
    "\"lastRestore\":{\"restoreTimestamp\":\"2021-01-20T11:19:54.494Z\","      \
    "\"status\":\"completed\",\"completedAt\":\"2021-01-20T11:19:54.494Z\"}"
#define BACKUP_REST                                                            \
    NAME "," STATUS "," CREATED "," COMPLETED "," CONFIG "," LAST "}"
#define RAW "\"rawResponse\":{\"size\":0,\"timeout\":0,\"list\":[{\"a\":1}]}"
#define REQUEST                                                                \
    "\"request\":{\"url\":\"https://api.northflank.com/v1/projects/p/addons/"  \
    "a/backups/x\",\"method\":\"get\",\"headers\":{\"Accept\":\"json\"}}"
#define PAGINATION "\"pagination\":{\"hasNextPage\":false,\"cursor\":null}"

/* The forms, with @ for the id: every form README's "What it reads" lists
 * that holds a backup, the backup's keys in several orders. */
static const char *const forms[] = {
    "{\"data\":{" ID "," BACKUP_REST "}",
    "{" ID "," BACKUP_REST,
    "{\"data\":{" ID "," BACKUP_REST "," RAW "," REQUEST "}",
    "{\n  \"data\": {\n    \"id\": \"@\",\n    \"name\": \"Example Backup\",\n"
    "    \"status\": \"completed\",\n"
    "    \"createdAt\": \"2021-01-20T11:19:53.175Z\",\n"
    "    \"completedAt\": \"2021-01-20T11:19:54.494Z\",\n"
    "    \"config\": {\n      \"source\": {\n        \"type\": \"snapshot\"\n"
    "      },\n      \"size\": \"1234\"\n    }\n  }\n}",
    "{" NAME "," ID "," STATUS "," CREATED "," COMPLETED "," CONFIG "," LAST
    "}",
    "{" STATUS "," CONFIG "," CREATED "," COMPLETED "," ID "," NAME "}",
    "{" LAST "," COMPLETED "," CONFIG "," NAME "," STATUS "," CREATED "," ID
    "}",
    "{" RAW "," REQUEST ",\"data\":{" ID "," BACKUP_REST "}",
    "{" REQUEST ",\"data\":{" NAME "," ID "," STATUS "," CREATED "," COMPLETED
    "," CONFIG "}," RAW "}",
    "{\"data\":{\"backups\":[{" ID "," BACKUP_REST "]}," PAGINATION "}",
    "{" PAGINATION ",\"data\":{\"backups\":[{" STATUS "," CREATED "," COMPLETED
    "," CONFIG "," ID "," NAME "}]}}",
    "{\"backups\":[{" NAME "," ID "," STATUS "," CREATED "," COMPLETED
    "," CONFIG "}]}",
    "[{" ID "," BACKUP_REST "]",
    "[{\"data\":{" ID "," BACKUP_REST "}]",
    "[{" RAW ",\"data\":{" NAME "," STATUS "," ID "," CREATED "," COMPLETED
    "," CONFIG "}}]",
};
enum { N_FORMS = sizeof forms / sizeof *forms };

static const char *const seps[] = {"", "\n", "\r\n", " ", "  \t"};
enum { N_SEPS = sizeof seps / sizeof *seps };

/* Corruptions; the last two are documents of the forms without a backup
 * (an API error, a thrown error): no record, an error. */
enum {
    C_NONE,
    C_WORD,
    C_CUT,
    C_CLOSE,
    C_STRING,
    C_WRONG_TYPE,
    C_API_ERROR,
    C_THROWN,
    N_KINDS
};

typedef struct doc {
    char id[ID_MAX];
    int corrupt;
    size_t start, end; /* its bytes in the stream, separator excluded */
} doc;

typedef struct buf {
    char *p;
    size_t n, cap;
} buf;

static void put(buf *b, const char *s, size_t n)
{
    if (n >= b->cap - b->n) {
        size_t cap = b->cap ? b->cap : 1024;
        while (cap - b->n <= n)
            cap *= 2;
        b->p = realloc(b->p, cap);
        FUZZ_CHECK(b->p != NULL);
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
}

static bool key_before(const char *text, size_t e, const char *key)
{
    size_t l = strlen(key);
    return e >= l && memcmp(text + e - l, key, l) == 0;
}

/* Where a cut at k bytes into text leaves the document open, and a cut
 * that the next document cannot continue as something that fits there.
 * *in_string: the cut is inside a string (the quotes before k are odd in
 * number; the documents hold no escaped quote). *loose: it is inside what
 * the schema does not describe (rawResponse, request, pagination), or
 * where their value is due: the next document is then found only at the
 * start of a line. A cut where an object or an array is due (after
 * "data":, "config":, "backups":, '[', or ',' in an array) leaves a value
 * whose first key can fit there (`{"data":` and then a CLI form is an
 * envelope missing its final '}'): it is moved before the key or the
 * bracket, or, before the first byte, replaced by a bare word (returns
 * 0). */
static size_t safe_cut(const char *text, size_t k, bool *in_string, bool *loose)
{
    for (;;) {
        /* The open brackets, and for each whether it is loose. */
        char open[64];
        bool lo[64];
        size_t depth = 0, quotes = 0;
        bool str = false;
        for (size_t i = 0; i < k; i++) {
            char c = text[i];
            if (c == '"') {
                str = !str, quotes++;
                continue;
            }
            if (str) continue;
            if (c == '{' || c == '[') {
                bool l = depth && lo[depth - 1];
                size_t e = i;
                while (e > 0 && (text[e - 1] == ' ' || text[e - 1] == '\n'))
                    e--;
                l |= key_before(text, e, "\"rawResponse\":") ||
                     key_before(text, e, "\"request\":") ||
                     key_before(text, e, "\"pagination\":");
                FUZZ_CHECK(depth < sizeof open);
                open[depth] = c, lo[depth++] = l;
            } else if (c == '}' || c == ']') {
                depth--;
            }
        }
        *in_string = quotes % 2 == 1;
        *loose = depth && lo[depth - 1];
        if (*in_string) return k;
        size_t e = k;
        while (e > 0 && (text[e - 1] == ' ' || text[e - 1] == '\n'))
            e--;
        if (e == 0) return 0;
        char last = text[e - 1];
        size_t back = e; /* where to move a cut that must move */
        if (last == ':') {
            if (key_before(text, e, "\"rawResponse\":") ||
                key_before(text, e, "\"request\":") ||
                key_before(text, e, "\"pagination\":")) {
                *loose = true;
                return k;
            }
            if (*loose) return k;
            /* The value due: an object or array moves the cut. */
            size_t v = k;
            while (text[v] == ' ' || text[v] == '\n')
                v++;
            if (text[v] != '{' && text[v] != '[') return k;
            back = e - 1;
            while (back > 0 && text[back - 1] != '"')
                back--;
            back--; /* the key's closing quote */
            while (back > 0 && text[back - 1] != '"')
                back--;
            back--; /* its opening quote */
        } else if (last == '[' ||
                   (last == ',' && depth && open[depth - 1] == '[')) {
            if (*loose) return k;
            back = e - 1;
        } else {
            return k;
        }
        while (back > 0 && (text[back - 1] == ',' || text[back - 1] == ' ' ||
                            text[back - 1] == '\n'))
            back--;
        if (back == 0) return 0;
        k = back;
    }
}

/* What a reader reported, one line per record or diagnostic, offsets
 * counted from the start of the stream (base: where the reader began). */
typedef struct trace {
    buf text;
    uint64_t base;
} trace;

static void trace_record(trace *t, const nfb_backup *b)
{
    char line[128];
    int n =
        snprintf(line, sizeof line, "record %.*s\n", (int)b->id.len, b->id.ptr);
    put(&t->text, line, (size_t)n);
}

static void trace_diag(trace *t, const nfb_diag *d)
{
    char line[1024];
    int n = snprintf(line, sizeof line, "%d %d %llu %s %s\n", (int)d->severity,
                     (int)d->code, (unsigned long long)(t->base + d->offset),
                     d->path, d->message);
    put(&t->text, line, n < (int)sizeof line ? (size_t)n : sizeof line - 1);
}

static int part_record(void *ctx, const nfb_backup *b)
{
    trace_record(ctx, b);
    return 0;
}

static int part_diag(void *ctx, const nfb_diag *d)
{
    trace_diag(ctx, d);
    return 0;
}

/* The rest of the stream from byte at, read by a new reader as one that
 * is between documents there says it reads it: the same as tr's trace
 * from its byte from on. */
static void check_rest(const buf *text, size_t at, const trace *tr, size_t from)
{
    trace part = {{0}, at};
    nfb_reader_config cfg;
    nfb_reader_config_init(&cfg);
    cfg.flags = NFB_READ_JSON | NFB_READ_NO_DECOMPRESS;
    cfg.on_record = part_record;
    cfg.on_diag = part_diag;
    cfg.ctx = &part;
    nfb_reader *rd = nfb_reader_new(&cfg, NULL);
    FUZZ_CHECK(rd != NULL);
    FUZZ_CHECK(nfb_reader_begin(rd, "stream") == NFB_OK);
    FUZZ_CHECK(nfb_reader_feed(rd, text->p + at, text->n - at) == NFB_OK);
    FUZZ_CHECK(nfb_reader_finish(rd) == NFB_OK);
    nfb_reader_free(rd);
    const char *rest = tr->text.p ? tr->text.p + from : "";
    if (strcmp(part.text.p ? part.text.p : "", rest) != 0) {
        fprintf(stderr, "between documents at %zu; read on:\n%s\nnew:\n%s\n",
                at, rest, part.text.p ? part.text.p : "");
        FUZZ_CHECK(!"a new reader reads the rest as the reader did");
    }
    free(part.text.p);
}

typedef struct run {
    trace tr;
    const doc *docs;
    size_t ndocs;
    size_t next;      /* index of the next good document due */
    uint64_t *err_at; /* offsets of errors */
    size_t nerr, err_cap;
    size_t diags;
    const char *text;
} run;

static int on_record(void *ctx, const nfb_backup *b)
{
    run *r = ctx;
    trace_record(&r->tr, b);
    while (r->next < r->ndocs && r->docs[r->next].corrupt) {
        /* A list cut short keeps its complete element. */
        const doc *d = &r->docs[r->next++];
        if (d->corrupt == C_CUT && b->id.len == strlen(d->id) &&
            memcmp(b->id.ptr, d->id, b->id.len) == 0)
            return 0;
    }
    if (r->next == r->ndocs || b->id.len != strlen(r->docs[r->next].id) ||
        memcmp(b->id.ptr, r->docs[r->next].id, b->id.len) != 0) {
        fprintf(stderr, "record \"%.*s\": expected %s%s\n", (int)b->id.len,
                b->id.ptr, r->next < r->ndocs ? "d" : "none",
                r->next < r->ndocs ? r->docs[r->next].id + 1 : "");
        FUZZ_CHECK(!"the records are the intact documents, in order");
    }
    r->next++;
    return 0;
}

static int on_diag(void *ctx, const nfb_diag *d)
{
    run *r = ctx;
    trace_diag(&r->tr, d);
    r->diags++;
    if (getenv("FUZZ_STREAM_VERBOSE"))
        fprintf(stderr, "%llu: %s\n", (unsigned long long)d->offset,
                d->message);
    if (d->severity != NFB_ERROR) return 0;
    if (r->nerr == r->err_cap) {
        r->err_cap = r->err_cap ? 2 * r->err_cap : 16;
        r->err_at = realloc(r->err_at, r->err_cap * sizeof *r->err_at);
        FUZZ_CHECK(r->err_at != NULL);
    }
    r->err_at[r->nerr++] = d->offset;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    size_t n = 1 + data[0] % N_MAX;
    if (size < 1 + 3 * n) return 0;
    const uint8_t *chunks = data + 1 + 3 * n;
    size_t nchunks = size - 1 - 3 * n;

    doc docs[N_MAX];
    buf text = {0};
    char one[2048];
    bool corrupted = false;
    for (size_t i = 0; i < n; i++) {
        const uint8_t *c = data + 1 + 3 * i;
        doc *d = &docs[i];
        snprintf(d->id, sizeof d->id, "d%zu", i);
        int form = c[0] % N_FORMS;
        const char *sep = seps[(c[0] / N_FORMS) % N_SEPS];
        d->corrupt =
            c[1] < 160 ? C_NONE : 1 + (int)((c[1] - 160) % (N_KINDS - 1));
        if (i > 0 && docs[i - 1].corrupt == C_CUT &&
            (d->corrupt == C_CLOSE || d->corrupt == C_STRING))
            d->corrupt = C_WORD;
        corrupted |= d->corrupt != C_NONE;
        const char *at = strchr(forms[form], '@');
        size_t a = (size_t)(at - forms[form]), il = strlen(d->id);
        size_t l = strlen(forms[form]) - 1 + il;
        FUZZ_CHECK(l < sizeof one);
        memcpy(one, forms[form], a);
        memcpy(one + a, d->id, il);
        memcpy(one + a + il, at + 1, strlen(at + 1) + 1);
        const char *s = one;
        switch (d->corrupt) {
        case C_WORD:
            s = "garbage", l = 7;
            break;
        case C_CLOSE:
            s = "}", l = 1;
            break;
        case C_STRING:
            s = "\"a string\"", l = 10;
            break;
        case C_WRONG_TYPE:
            s = "{\"data\":5}", l = 10;
            break;
        case C_API_ERROR:
            s = "{\"error\":{\"status\":404,\"message\":\"not found\"}}";
            l = strlen(s);
            break;
        case C_THROWN:
            s = "{\"name\":\"NorthflankApiCallError\",\"status\":404,"
                "\"id\":\"backup-not-found\"}";
            l = strlen(s);
            break;
        case C_CUT: {
            bool in_string, loose;
            l = safe_cut(one, 1 + (size_t)c[2] * (l - 2) / 255, &in_string,
                         &loose);
            if (l == 0) {
                d->corrupt = C_WORD;
                s = "garbage", l = 7;
            } else if ((in_string || loose) && !strchr(sep, '\n')) {
                sep = "\n";
            }
            break;
        }
        default:
            break;
        }
        d->start = text.n;
        put(&text, s, l);
        d->end = text.n;
        put(&text, sep, strlen(sep));
    }

    if (getenv("FUZZ_STREAM_VERBOSE")) {
        for (size_t i = 0; i < n; i++)
            fprintf(stderr, "d%zu: corruption %d, bytes %zu..%zu\n", i,
                    docs[i].corrupt, docs[i].start, docs[i].end);
        fprintf(stderr, "%s\n", text.p);
    }
    run r = {{{0}, 0}, docs, n, 0, NULL, 0, 0, 0, text.p};
    /* Where the reader said it was between documents, before the end
     * (the trace's length then); a few are checked. */
    size_t cut_at[N_MAX * 8], cut_from[N_MAX * 8], ncuts = 0;
    nfb_reader_config cfg;
    nfb_reader_config_init(&cfg);
    cfg.on_record = on_record;
    cfg.on_diag = on_diag;
    cfg.ctx = &r;
    nfb_reader *rd = nfb_reader_new(&cfg, NULL);
    FUZZ_CHECK(rd != NULL);
    FUZZ_CHECK(nfb_reader_begin(rd, "stream") == NFB_OK);
    size_t off = 0, k = 0;
    while (off < text.n) {
        size_t len = nchunks ? 1 + (size_t)chunks[k++ % nchunks] : text.n;
        if (len > text.n - off) len = text.n - off;
        /* An exact heap copy: a read past the chunk is caught by ASan. */
        char *chunk = malloc(len);
        FUZZ_CHECK(chunk != NULL);
        memcpy(chunk, text.p + off, len);
        nfb_result res = nfb_reader_feed(rd, chunk, len);
        free(chunk);
        FUZZ_CHECK(res == NFB_OK);
        off += len;
        /* A new reader says that an input with no document has none: only
         * cuts before a document are asked. */
        size_t w = off;
        while (w < text.n && strchr(" \t\r\n", text.p[w]))
            w++;
        if (w < text.n && nfb_reader_between_documents(rd) &&
            ncuts < sizeof cut_at / sizeof cut_at[0]) {
            cut_at[ncuts] = off;
            cut_from[ncuts++] = r.tr.text.n;
        }
    }
    FUZZ_CHECK(nfb_reader_finish(rd) == NFB_OK);
    nfb_reader_free(rd);
    for (size_t c = 0; c < ncuts; c += 1 + ncuts / 4)
        check_rest(&text, cut_at[c], &r.tr, cut_from[c]);
    free(r.tr.text.p);

    /* Every intact document came out. */
    while (r.next < n && docs[r.next].corrupt)
        r.next++;
    if (r.next != n) {
        fprintf(stderr, "document d%zu did not come out\n", r.next);
        FUZZ_CHECK(!"every intact document comes out");
    }
    if (!corrupted) FUZZ_CHECK(r.diags == 0);

    /* No error falls inside an intact document (at its first byte, it
     * can be about the damage before it). */
    for (size_t e = 0; e < r.nerr; e++)
        for (size_t i = 0; i < n; i++)
            if (!docs[i].corrupt && r.err_at[e] > docs[i].start &&
                r.err_at[e] < docs[i].end) {
                fprintf(stderr, "an error at %llu, inside d%zu\n",
                        (unsigned long long)r.err_at[e], i);
                FUZZ_CHECK(!"no error inside an intact document");
            }

    /* Every stretch of corruption drew an error within it. */
    for (size_t i = 0; i < n;) {
        if (!docs[i].corrupt) {
            i++;
            continue;
        }
        size_t j = i;
        bool open = docs[i].corrupt == C_CUT;
        while (j + 1 < n && docs[j + 1].corrupt &&
               (open || !memchr(text.p + docs[j].end, '\n',
                                docs[j + 1].start - docs[j].end))) {
            j++;
            open |= docs[j].corrupt == C_CUT;
        }
        size_t from = docs[i].start;
        size_t to = j + 1 < n ? docs[j + 1].start : text.n;
        bool found = false;
        for (size_t e = 0; e < r.nerr && !found; e++)
            found = r.err_at[e] >= from && r.err_at[e] <= to;
        if (!found) {
            fprintf(stderr, "no error for documents d%zu..d%zu (%zu..%zu)\n", i,
                    j, from, to);
            FUZZ_CHECK(!"every stretch of corruption draws an error");
        }
        i = j + 1;
    }
    free(r.err_at);
    free(text.p);
    return 0;
}
