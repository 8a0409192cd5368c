/* Normalized JSON on yajl's generator: the known fields in canonical order,
 * values exactly as read (timestamps as written, size as its string), one
 * compact record per line unless pretty or array output is asked for. */
#include <yajl/yajl_gen.h>

#include "writer_impl.h"

typedef struct json_writer {
    nfb_writer base;
    yajl_gen g;
} json_writer;

static void print(void *ctx, const char *s, size_t len)
{
    nfb_writer *w = ctx;
    nfb__sink_put(&w->sink, s, len);
}

static int init(nfb_writer *w, const nfb_writer_options *o, char *err,
                size_t errlen)
{
    (void)o, (void)err, (void)errlen;
    json_writer *j = (json_writer *)w;
    /* The C library's allocator: yajl does not check its allocations (see
     * parser_reset in json_source.c). */
    j->g = yajl_gen_alloc(NULL);
    if (!j->g) return NFB_ENOMEM;
    yajl_gen_config(j->g, yajl_gen_print_callback, print, w);
    if (w->flags & NFB_WRITE_PRETTY) {
        yajl_gen_config(j->g, yajl_gen_beautify, 1);
        yajl_gen_config(j->g, yajl_gen_indent_string, "  ");
    }
    return NFB_OK;
}

static void str(yajl_gen g, const char *s, size_t len)
{
    yajl_gen_string(g, (const unsigned char *)s, len);
}

#define KEY(g, k) str(g, k, sizeof k - 1)

static void val(yajl_gen g, nfb_str v)
{
    str(g, v.ptr, v.len);
}

static void cstr(yajl_gen g, const char *s)
{
    str(g, s, strlen(s));
}

static void record(yajl_gen g, const nfb_backup *b)
{
    yajl_gen_map_open(g);
    KEY(g, "id");
    val(g, b->id);
    KEY(g, "name");
    val(g, b->name);
    KEY(g, "status");
    cstr(g, nfb_status_name(b->status));
    KEY(g, "createdAt");
    val(g, b->created_at.text);
    if (b->has_completed_at) {
        KEY(g, "completedAt");
        val(g, b->completed_at.text);
    }
    KEY(g, "config");
    yajl_gen_map_open(g);
    if (b->config.has_source) {
        KEY(g, "source");
        yajl_gen_map_open(g);
        if (b->config.has_source_type) {
            KEY(g, "type");
            cstr(g, nfb_source_type_name(b->config.source_type));
        }
        yajl_gen_map_close(g);
    }
    KEY(g, "size");
    val(g, b->config.size_text);
    if (b->config.has_addon_version) {
        KEY(g, "addonVersion");
        val(g, b->config.addon_version);
    }
    if (b->config.has_compression_type) {
        KEY(g, "compressionType");
        cstr(g, nfb_compression_name(b->config.compression_type));
    }
    if (b->config.has_additional_destinations) {
        KEY(g, "additionalDestinations");
        yajl_gen_array_open(g);
        for (size_t i = 0; i < b->config.additional_destinations_count; i++) {
            const nfb_destination *d = &b->config.additional_destinations[i];
            yajl_gen_map_open(g);
            KEY(g, "destinationId");
            val(g, d->destination_id);
            if (d->has_retention_time) {
                KEY(g, "retentionTime");
                yajl_gen_number(g, d->retention_time.ptr,
                                d->retention_time.len);
            }
            KEY(g, "type");
            KEY(g, "custom");
            yajl_gen_map_close(g);
        }
        yajl_gen_array_close(g);
    }
    yajl_gen_map_close(g);
    if (b->has_custom_destination_id) {
        KEY(g, "customDestinationId");
        val(g, b->custom_destination_id);
    }
    if (b->has_last_restore) {
        KEY(g, "lastRestore");
        yajl_gen_map_open(g);
        KEY(g, "restoreTimestamp");
        val(g, b->last_restore.restore_timestamp.text);
        KEY(g, "status");
        cstr(g, nfb_status_name(b->last_restore.status));
        if (b->last_restore.has_completed_at) {
            KEY(g, "completedAt");
            val(g, b->last_restore.completed_at.text);
        }
        yajl_gen_map_close(g);
    }
    yajl_gen_map_close(g);
}

static int begin(nfb_writer *w)
{
    json_writer *j = (json_writer *)w;
    if (w->flags & NFB_WRITE_ARRAY) yajl_gen_array_open(j->g);
    return NFB_OK;
}

static int write_record(nfb_writer *w, const nfb_backup *b)
{
    json_writer *j = (json_writer *)w;
    int env = (w->flags & NFB_WRITE_ENVELOPE) != 0;
    if (env) {
        yajl_gen_map_open(j->g);
        KEY(j->g, "data");
    }
    record(j->g, b);
    if (env) yajl_gen_map_close(j->g);
    if (!(w->flags & NFB_WRITE_ARRAY)) {
        /* yajl ends a pretty top-level value with a newline itself. */
        yajl_gen_reset(j->g, (w->flags & NFB_WRITE_PRETTY) ? NULL : "\n");
    }
    return NFB_OK;
}

static int end(nfb_writer *w)
{
    json_writer *j = (json_writer *)w;
    if (w->flags & NFB_WRITE_ARRAY) {
        yajl_gen_array_close(j->g);
        if (!(w->flags & NFB_WRITE_PRETTY)) nfb__sink_put(&w->sink, "\n", 1);
    }
    return NFB_OK;
}

static void destroy(nfb_writer *w)
{
    json_writer *j = (json_writer *)w;
    if (j->g) yajl_gen_free(j->g);
}

const nfb__writer_class nfb__json_writer = {
    .info = {"json", "normalized JSON: one record per line, or --pretty, "
                     "--array, --envelope"},
    .size = sizeof(json_writer),
    .init = init,
    .begin = begin,
    .record = write_record,
    .end = end,
    .free = destroy};
