/* The writer registry and the calls common to every format. */
#include <stdio.h>
#include <stdlib.h>

#include "common/vouch.h"

#include "writer_impl.h"

/* The registered formats, in the order "nfbackup formats" lists them: a
 * new format is one line here (and its write_X.c). */
#define FORMATS(X)                                                             \
    X(nfb__json_writer)                                                        \
    X(nfb__yaml_writer)                                                        \
    X(nfb__csv_writer)                                                         \
    X(nfb__tsv_writer)                                                         \
    X(nfb__xlsx_writer)                                                        \
    /* a new format: one line above */

#define DECLARE(cls) extern const nfb__writer_class cls;
#define ENTRY(cls) &cls,
FORMATS(DECLARE)
static const nfb__writer_class *const registry[] = {FORMATS(ENTRY)};

enum { NFORMATS = sizeof registry / sizeof registry[0] };

const nfb_format *nfb_format_get(size_t i)
{
    return i < NFORMATS ? &registry[i]->info : NULL;
}

static const nfb__writer_class *find(const char *name)
{
    for (size_t i = 0; i < NFORMATS; i++)
        if (strcmp(registry[i]->info.name, name) == 0) return registry[i];
    return NULL;
}

/* The fields of the first nfb_writer_options (0.2.0): a caller's struct
 * has at least these. Fields added later are at the end, past this. */
#define OPTIONS_SIZE_0_2                                                       \
    (offsetof(nfb_writer_options, sheet_rows) + sizeof(uint32_t))

void nfb_writer_options_init_size(nfb_writer_options *o, size_t size)
{
    if (!o || size < OPTIONS_SIZE_0_2) return;
    /* Only the bytes the caller has; every default is 0. */
    memset(o, 0, size < sizeof *o ? size : sizeof *o);
    o->size = size;
}

/* The caller's options in *out, its missing fields at their defaults (0).
 * What is wrong with them, or NULL. */
static const char *take_options(nfb_writer_options *out,
                                const nfb_writer_options *o)
{
    if (!o) return "options are required";
    if (o->size < OPTIONS_SIZE_0_2)
        return "the options' size is not set: make them with "
               "nfb_writer_options_init";
    if (o->size > sizeof *out)
        return "the options are from a later version of nfbackup than the "
               "library";
    memset(out, 0, sizeof *out);
    memcpy(out, o, o->size);
    out->size = sizeof *out;
    return NULL;
}

/* Makes a writer, or says why not: *code and err. */
static nfb_writer *make(const char *name, const nfb_writer_options *opts,
                        char *err, size_t errlen, nfb_result *code)
{
    *code = NFB_EINVAL;
    err[0] = 0;
    nfb_writer_options taken;
    const char *why = take_options(&taken, opts);
    if (why) {
        snprintf(err, errlen, "%s", why);
        return NULL;
    }
    const nfb_writer_options *o = &taken;
    const nfb__writer_class *cls = name ? find(name) : NULL;
    if (!name || (!o->write && !(cls && cls->writes_file && o->path))) {
        snprintf(err, errlen,
                 "a format name and a write function are "
                 "required");
        return NULL;
    }
    if (!cls) {
        int n = snprintf(err, errlen, "unknown format \"%s\"; formats:", name);
        for (size_t i = 0; i < NFORMATS && n > 0 && (size_t)n < errlen; i++)
            n += snprintf(err + n, errlen - (size_t)n, " %s",
                          registry[i]->info.name);
        return NULL;
    }
    nfb_allocator a;
    if (nfb__allocator_init(&a, o->allocator) != 0) {
        snprintf(err, errlen, "an allocator needs all three functions");
        return NULL;
    }
    nfb_writer *w = nfb__malloc(&a, cls->size);
    if (!w) {
        snprintf(err, errlen, "out of memory");
        *code = NFB_ENOMEM;
        return NULL;
    }
    memset(w, 0, cls->size);
    w->cls = cls;
    w->alloc = a;
    w->flags = o->flags;
    nfb__check_init(&w->check);
    int res = NFB_ENOMEM;
    if (nfb__sink_init(&w->sink, &w->alloc, o->write, o->ctx, NFB__SINK_CAP) ==
            0 &&
        (res = cls->init(w, o, err, errlen)) == NFB_OK) {
        *code = NFB_OK;
        err[0] = 0;
        return w;
    }
    if (res == NFB_ENOMEM) snprintf(err, errlen, "out of memory");
    *code = (nfb_result)res;
    nfb_writer_free(w);
    return NULL;
}

nfb_writer *nfb_writer_new(const char *name, const nfb_writer_options *o,
                           nfb_error *err)
{
    nfb_error dummy;
    if (!err) err = &dummy;
    return make(name, o, err->text, sizeof err->text, &err->code);
}

static nfb_result fail(nfb_writer *w, int res)
{
    w->failed = res;
    return (nfb_result)res;
}

static nfb_result check(nfb_writer *w, int res)
{
    if (res == NFB_OK && w->sink.failed) res = NFB_EWRITE;
    return res == NFB_OK ? NFB_OK : fail(w, res);
}

static nfb_result begin(nfb_writer *w)
{
    if (w->begun) return NFB_OK;
    w->begun = 1;
    return check(w, w->cls->begin ? w->cls->begin(w) : NFB_OK);
}

/* Debug and sanitizer builds (the tests and the fuzzers) check the
 * records the reader vouches for too, and stop at one that fails. */
#if !defined(NDEBUG) || defined(NFB_SANITIZED)
#define VERIFY_VOUCHED 1
#else
#define VERIFY_VOUCHED 0
#endif

/* A record or the end, from outside the writer's callbacks (w->busy is
 * set while it runs them: a call from inside them is NFB_ESTATE). */
static nfb_result record(nfb_writer *w, const nfb_backup *b)
{
    if (w->failed) return (nfb_result)w->failed;
    /* Checked before anything is written, so that a refused record leaves
     * no trace in the output and the writer goes on; the record a reader
     * is handing its callback right now was checked by the reader
     * (common/vouch.h). */
    if (b != nfb__vouched) {
        if (nfb__walk_check(&w->check, b) != NFB_OK) return NFB_EINVAL;
    } else if (VERIFY_VOUCHED && nfb__walk_check(&w->check, b) != NFB_OK) {
        abort(); /* the reader's promise broken: a bug of the reader */
    }
    nfb_result res = begin(w);
    if (res != NFB_OK) return res;
    w->records++;
    return check(w, w->cls->record(w, b));
}

nfb_result nfb_writer_record(nfb_writer *w, const nfb_backup *b)
{
    if (!w || !b) return NFB_EINVAL;
    if (w->ended || w->busy) return NFB_ESTATE;
    w->busy = 1;
    nfb_result res = record(w, b);
    w->busy = 0;
    return res;
}

static nfb_result end(nfb_writer *w)
{
    if (w->failed) return (nfb_result)w->failed;
    nfb_result res = begin(w);
    if (res != NFB_OK) return res;
    res = check(w, w->cls->end ? w->cls->end(w) : NFB_OK);
    if (res != NFB_OK) return res;
    return nfb__sink_flush(&w->sink) == 0 ? NFB_OK : fail(w, NFB_EWRITE);
}

nfb_result nfb_writer_end(nfb_writer *w)
{
    if (!w) return NFB_EINVAL;
    if (w->ended || w->busy) return NFB_ESTATE;
    w->ended = 1;
    w->busy = 1;
    nfb_result res = end(w);
    w->busy = 0;
    return res;
}

void nfb_writer_free(nfb_writer *w)
{
    if (!w || w->busy) return;
    if (w->cls->free) w->cls->free(w);
    nfb__sink_free(&w->sink, &w->alloc);
    nfb_allocator a = w->alloc;
    nfb__free(&a, w);
}
