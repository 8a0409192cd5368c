/* The writer vtable. A format is one file that defines an nfb__writer_class
 * and one line in the registry of writer.c (see lib/src/README.md). */
#ifndef NFB_WRITER_IMPL_H
#define NFB_WRITER_IMPL_H

#include "common/internal.h"
#include "sink.h"
/* What a format needs of the record: the walk for tree formats, the
 * column table for tabular ones. */
#include "walk.h"

typedef struct nfb__writer_class nfb__writer_class;

/* The common part of every writer; a format's struct begins with it. */
struct nfb_writer {
    const nfb__writer_class *cls;
    nfb_allocator alloc;
    nfb__sink sink;
    unsigned flags;
    int begun;
    int ended;  /* nfb_writer_end was called: every call is NFB_ESTATE */
    int busy;   /* inside a call of the API: its callbacks are running */
    int failed; /* the error every later call returns */
    uint64_t records;
    nfb__check check; /* what a record must be to be written */
};

struct nfb__writer_class {
    nfb_format info; /* name and description */
    size_t size;     /* of the format's struct */
    /* Sets up the format's state from the options. Returns NFB_OK, or an
     * error with a reason in err. free is called in any case. */
    int (*init)(nfb_writer *w, const nfb_writer_options *o, char *err,
                size_t errlen);
    /* Before the first record, or at end when there was none. */
    int (*begin)(nfb_writer *w);
    int (*record)(nfb_writer *w, const nfb_backup *b);
    /* After the last record; the sink is flushed by the caller. */
    int (*end)(nfb_writer *w);
    /* Frees the format's state (not the writer itself). May be NULL. */
    void (*free)(nfb_writer *w);
    /* Writes a file by name when the options give a path, and then needs
     * no write function (xlsx). */
    int writes_file;
};

/* JSON text from record strings escapes the line ends that JSON allows
 * raw: U+0085 (C2 85), U+2028 (E2 80 A8) and U+2029 (E2 80 A9). JavaScript
 * ends a line at the last two and Python's str.splitlines at all three,
 * which would cut an NDJSON record or a CSV cell's JSON in two.
 *
 * The length of such a character at s[i..n), or 0. */
static inline size_t nfb__json_line_end_at(const unsigned char *s, size_t i,
                                           size_t n)
{
    if (n - i >= 2 && s[i] == 0xc2 && s[i + 1] == 0x85) return 2;
    if (n - i >= 3 && s[i] == 0xe2 && s[i + 1] == 0x80 &&
        (s[i + 2] == 0xa8 || s[i + 2] == 0xa9))
        return 3;
    return 0;
}

/* The escape of the character nfb__json_line_end_at found at s: six
 * bytes, "\u0085", "\u2028" or "\u2029". */
static inline const char *nfb__json_line_end_escape(const unsigned char *s)
{
    return s[0] == 0xc2 ? "\\u0085" : s[2] == 0xa8 ? "\\u2028" : "\\u2029";
}

/* Output block size of every writer. */
enum { NFB__SINK_CAP = 64 * 1024 };

#endif
