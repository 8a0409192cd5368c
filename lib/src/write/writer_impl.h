/* The writer vtable. A format is one file that defines an nfb__writer_class
 * and one line in the registry of writer.c (see lib/src/README.md). */
#ifndef NFB_WRITER_IMPL_H
#define NFB_WRITER_IMPL_H

#include "common/internal.h"
#include "sink.h"
/* What a format needs of the record: the walk for tree formats, the
 * column table for tabular ones; the check every record passes first. */
#include "check_record.h"
#include "columns.h"
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

/* Output block size of every writer. */
enum { NFB__SINK_CAP = 64 * 1024 };

#endif
