/* The resource's schema, as DESIGN.md and the API's types give it. */
#include "schema.h"

#include <stddef.h>

#include "internal.h"

#define S(s)                                                                   \
    {                                                                          \
        s, sizeof s - 1                                                        \
    }

static const nfb_str status_enum[] = {
    S("scheduled"), S("in-progress"), S("completed"),    S("aborting"),
    S("aborted"),   S("failed"),      S("not-supported")};
static const nfb_str source_enum[] = {S("fileUpload"), S("liveInstance"),
                                      S("snapshot"), S("externalDump"),
                                      S("sameAddon")};
static const nfb_str compression_enum[] = {S("gz"), S("zstd")};
static const nfb_str dest_type_enum[] = {S("custom")};

#define N(a) (uint8_t)(sizeof a / sizeof a[0])
#define B(m) (int16_t) offsetof(nfb_backup, m)
#define D(m) (int16_t) offsetof(nfb_destination, m)
#define E(m) (int16_t) offsetof(nfb__api_error, m)
#define NAME(s) s, (uint8_t)(sizeof s - 1)

/* Field order here is the canonical order of the output. */
static const nfb__field backup_fields[] = {
    {NAME("id"), NFB_T_STRING, 0, 1, NULL, 0, B(id), -1, -1},
    {NAME("name"), NFB_T_STRING, 0, 1, NULL, 0, B(name), -1, -1},
    {NAME("status"), NFB_T_ENUM, 0, 1, status_enum, N(status_enum), B(status),
     -1, -1},
    {NAME("createdAt"), NFB_T_DATETIME, 0, 1, NULL, 0, B(created_at), -1, -1},
    {NAME("completedAt"), NFB_T_DATETIME, 0, 0, NULL, 0, B(completed_at),
     B(has_completed_at), -1},
    {NAME("config"), NFB_T_OBJECT, NFB_K_CONFIG, 1, NULL, 0, -1, -1, -1},
    {NAME("customDestinationId"), NFB_T_STRING, 0, 0, NULL, 0,
     B(custom_destination_id), B(has_custom_destination_id), -1},
    {NAME("lastRestore"), NFB_T_OBJECT, NFB_K_RESTORE, 0, NULL, 0, -1,
     B(has_last_restore), -1},
};

static const nfb__field config_fields[] = {
    {NAME("source"), NFB_T_OBJECT, NFB_K_SOURCE, 0, NULL, 0, -1,
     B(config.has_source), -1},
    {NAME("size"), NFB_T_SIZE, 0, 1, NULL, 0, B(config.size_text), -1,
     B(config.size)},
    {NAME("addonVersion"), NFB_T_STRING, 0, 0, NULL, 0, B(config.addon_version),
     B(config.has_addon_version), -1},
    {NAME("compressionType"), NFB_T_ENUM, 0, 0, compression_enum,
     N(compression_enum), B(config.compression_type),
     B(config.has_compression_type), -1},
    {NAME("additionalDestinations"), NFB_T_ARRAY, NFB_K_DEST, 0, NULL, 0, -1,
     B(config.has_additional_destinations), -1},
};

static const nfb__field source_fields[] = {
    {NAME("type"), NFB_T_ENUM, 0, 0, source_enum, N(source_enum),
     B(config.source_type), B(config.has_source_type), -1},
};

static const nfb__field dest_fields[] = {
    {NAME("destinationId"), NFB_T_STRING, 0, 1, NULL, 0, D(destination_id), -1,
     -1},
    {NAME("retentionTime"), NFB_T_NUMBER, 0, 0, NULL, 0, D(retention_time),
     D(has_retention_time), D(retention_days)},
    {NAME("type"), NFB_T_ENUM, 0, 1, dest_type_enum, N(dest_type_enum), -1, -1,
     -1},
};

static const nfb__field restore_fields[] = {
    {NAME("restoreTimestamp"), NFB_T_DATETIME, 0, 1, NULL, 0,
     B(last_restore.restore_timestamp), -1, -1},
    {NAME("status"), NFB_T_ENUM, 0, 1, status_enum, N(status_enum),
     B(last_restore.status), -1, -1},
    {NAME("completedAt"), NFB_T_DATETIME, 0, 0, NULL, 0,
     B(last_restore.completed_at), B(last_restore.has_completed_at), -1},
};

static const nfb__field apierr_fields[] = {
    {NAME("status"), NFB_T_NUMBER, 0, 0, NULL, 0, E(status), -1, -1},
    {NAME("message"), NFB_T_STRING, 0, 0, NULL, 0, E(message), -1, -1},
    {NAME("id"), NFB_T_STRING, 0, 0, NULL, 0, E(id), -1, -1},
    {NAME("details"), NFB_T_ANY, 0, 0, NULL, 0, -1, -1, -1},
};

/* The keys of the response wrappers around backups. */
static const nfb__field wrapper_fields[] = {
    {NAME("data"), NFB_T_OBJECT, NFB_K_DATA, 0, NULL, 0, -1, -1, -1},
    {NAME("error"), NFB_T_OBJECT, NFB_K_APIERR, 0, NULL, 0, -1, -1, -1},
    {NAME("pagination"), NFB_T_ANY, 0, 0, NULL, 0, -1, -1, -1},
    {NAME("rawResponse"), NFB_T_ANY, 0, 0, NULL, 0, -1, -1, -1},
    {NAME("request"), NFB_T_CLIENT, NFB_K_REQUEST, 0, NULL, 0, -1, -1, -1},
};

/* A JS client result's request ({"url", "method", "headers", ...}): only
 * its headers are looked at, for credentials (decode.c). */
static const nfb__field request_fields[] = {
    {NAME("headers"), NFB_T_CLIENT, NFB_K_HEADERS, 0, NULL, 0, -1, -1, -1},
};

static const nfb__field list_fields[] = {
    {NAME("backups"), NFB_T_ARRAY, NFB_K_BACKUP, 1, NULL, 0, -1, -1, -1},
};

#define OBJ(what, f)                                                           \
    {                                                                          \
        what, f, N(f)                                                          \
    }

const nfb__object nfb__objects[NFB_K_COUNT] = {
    [NFB_K_BACKUP] = OBJ("a backup", backup_fields),
    [NFB_K_CONFIG] = OBJ("a backup config", config_fields),
    [NFB_K_SOURCE] = OBJ("a backup source", source_fields),
    [NFB_K_DEST] = OBJ("a backup destination", dest_fields),
    [NFB_K_RESTORE] = OBJ("a restore", restore_fields),
    [NFB_K_APIERR] = OBJ("an API error", apierr_fields),
    [NFB_K_WRAPPER] = OBJ("an API response", wrapper_fields),
    [NFB_K_REQUEST] = OBJ("a client's request", request_fields),
    [NFB_K_LIST] = OBJ("a list of backups", list_fields),
};

const char *nfb__type_expect(const nfb__field *f)
{
    switch (f->type) {
    case NFB_T_STRING:
        return "a string";
    case NFB_T_ENUM:
        return "one of the enum strings";
    case NFB_T_DATETIME:
        return "an RFC 3339 date-time string";
    case NFB_T_SIZE:
        return "a decimal byte count string";
    case NFB_T_NUMBER:
        return "a number";
    case NFB_T_OBJECT:
        return "an object";
    case NFB_T_ARRAY:
        return "an array";
    default:
        return "a value";
    }
}
