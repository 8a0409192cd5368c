/* A test harness around the reader: feeds bytes in chosen chunks and
 * collects what comes out, records as normalized JSON (the json writer's
 * compact line, without its newline) and diagnostics with every field
 * copied, so that tests can compare them after the callbacks returned. */
#ifndef NFB_TEST_HARNESS_H
#define NFB_TEST_HARNESS_H

#include <stddef.h>
#include <stdint.h>

#include <nfbackup/nfbackup.h>

typedef struct hdiag {
    nfb_severity severity;
    nfb_code code;
    char *input;
    uint64_t document, offset, line, column;
    char *path;
    char *message;
} hdiag;

typedef struct hres {
    char **rec; /* normalized JSON of each record, NUL-terminated */
    size_t nrec, rec_cap;
    hdiag *diag;
    size_t ndiag, diag_cap;
    nfb_result feed_res;   /* first result of feed that was not NFB_OK */
    nfb_result finish_res; /* result of finish (not called after a stop) */
    nfb_reader_stats stats;

    /* Set before a run: stop (return 1) at the n-th record or diagnostic,
     * 0 for never. */
    size_t stop_at_record, stop_at_diag;
    /* Called for each record before it is written, may be NULL. */
    void (*on_record)(void *ctx, const nfb_backup *b);
    void *ctx;
} hres;

/* How a run splits its input: returns the size of the next chunk (>= 1)
 * given the bytes left. */
typedef size_t (*hsplit_fn)(void *state, size_t left);

/* Runs a fresh reader (config cfg, or the defaults when NULL; its callbacks
 * and ctx are replaced) over one input named name, fed in the chunks split
 * chooses (whole when split is NULL), then finished. Results go to h, which
 * must be zeroed or reset with hres_free first, apart from the fields set
 * before a run. */
void h_run(hres *h, const nfb_reader_config *cfg, const char *name,
           const void *data, size_t len, hsplit_fn split, void *state);

/* h_run over a NUL-terminated string, whole, with the defaults. */
void h_str(hres *h, const char *json);

/* h_run with flags set on the default config. */
void h_str_flags(hres *h, const char *json, unsigned flags);

void hres_free(hres *h);

/* Every diagnostic as one line per diagnostic, all fields included:
 * "doc D off O L:C severity code path | message". Caller frees. */
char *h_diag_text(const hres *h);

/* All records, one per line. Caller frees. */
char *h_rec_text(const hres *h);

/* Prints records and diagnostics to stdout (for failing tests). */
void h_dump(const hres *h);

/* Number of diagnostics of severity sev. */
size_t h_count(const hres *h, nfb_severity sev);

/* The first diagnostic with code, or NULL. */
const hdiag *h_find(const hres *h, nfb_code code);

/* A copy of base with the first occurrence of from replaced by to; fails
 * the test when from is absent. Caller frees. */
char *h_subst(const char *base, const char *from, const char *to);

/* Reads a whole file; NULL when it cannot be read. Caller frees. */
char *h_read_file(const char *path, size_t *len);

/* The example backup of the API documentation (testdata/forms: BACKUP),
 * compact and in canonical key order, so that its normalized JSON is the
 * same text. */
#define B1                                                                     \
    "{\"id\":\"example-backup\",\"name\":\"Example Backup\",\"status\":"       \
    "\"completed\",\"createdAt\":\"2021-01-20T11:19:53.175Z\","                \
    "\"completedAt\":\"2021-01-20T11:19:54.494Z\",\"config\":{\"source\":{"    \
    "\"type\":\"snapshot\"},\"size\":\"1234\",\"addonVersion\":\"4.4.8\"},"    \
    "\"lastRestore\":{\"restoreTimestamp\":\"2021-01-20T11:19:54.494Z\","      \
    "\"status\":\"completed\",\"completedAt\":\"2021-01-20T11:19:54.494Z\"}}"

/* BACKUP2 of testdata/forms: every optional field present. */
#define B2                                                                     \
    "{\"id\":\"nightly-dump-0042\",\"name\":\"Nightly dump 2021-01-21\","      \
    "\"status\":\"completed\",\"createdAt\":\"2021-01-21T02:00:00.012Z\","     \
    "\"completedAt\":\"2021-01-21T02:03:41.870Z\",\"config\":{\"source\":{"    \
    "\"type\":\"liveInstance\"},\"size\":\"73400320\",\"addonVersion\":"       \
    "\"14.5.0\",\"compressionType\":\"zstd\",\"additionalDestinations\":[{"    \
    "\"destinationId\":\"offsite-archive-eu\",\"retentionTime\":30,\"type\":"  \
    "\"custom\"}]},\"customDestinationId\":\"example-backup-destination\","    \
    "\"lastRestore\":{\"restoreTimestamp\":\"2021-01-22T09:15:02.301Z\","      \
    "\"status\":\"completed\",\"completedAt\":\"2021-01-22T09:16:45.118Z\"}}"

#endif
