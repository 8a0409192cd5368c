/* The record walker, driven by the schema's tables (see walk.h). */
#include "walk.h"

#define TRY(x)                                                                 \
    do {                                                                       \
        int res_ = (x);                                                        \
        if (res_ != NFB_OK) return res_;                                       \
    } while (0)

static int walk_object(nfb__kind k, const void *base, const nfb__walk_ops *ops,
                       void *ctx)
{
    const nfb__object *o = &nfb__objects[k];
    TRY(ops->begin_object(ctx));
    for (int i = 0; i < o->count; i++) {
        const nfb__field *f = &o->fields[i];
        if (!nfb__field_present(f, base)) continue;
        TRY(ops->key(ctx, f->name, f->len));
        TRY(nfb__walk_value(f, base, ops, ctx));
    }
    return ops->end_object(ctx);
}

int nfb__walk_value(const nfb__field *f, const void *base,
                    const nfb__walk_ops *ops, void *ctx)
{
    switch (f->type) {
    case NFB_T_STRING:
    case NFB_T_SIZE:
        return ops->string(ctx, *NFB__AT(nfb_str, base, f->off));
    case NFB_T_DATETIME:
        return ops->string(ctx, NFB__AT(nfb_time, base, f->off)->text);
    case NFB_T_NUMBER:
        return ops->number(ctx, *NFB__AT(nfb_str, base, f->off));
    case NFB_T_ENUM: {
        nfb_str name = nfb__enum_name(f, base);
        return name.ptr ? ops->name(ctx, name) : NFB_EINVAL;
    }
    case NFB_T_OBJECT:
        return walk_object((nfb__kind)f->kind, base, ops, ctx);
    case NFB_T_ARRAY: {
        size_t n;
        const char *items = nfb__array_items(f, base, &n);
        TRY(ops->begin_array(ctx));
        for (size_t i = 0; i < n; i++)
            TRY(walk_object((nfb__kind)f->kind, items + i * f->elem_size, ops,
                            ctx));
        return ops->end_array(ctx);
    }
    default:
        return NFB_EINVAL;
    }
}

int nfb__walk(const nfb_backup *b, const nfb__walk_ops *ops, void *ctx)
{
    return walk_object(NFB_K_BACKUP, b, ops, ctx);
}
