/* The resource's schema, as docs/resource.md states it from the API's
 * types. */
#include "schema.h"

#include <stddef.h>

#include "internal.h"

#define S(s)                                                                   \
    {                                                                          \
        s, sizeof s - 1                                                        \
    }

/* The enum names, indexed by the public enums' values (backup.h). */
const nfb_str nfb__status_names[] = {
    S("scheduled"), S("in-progress"), S("completed"),    S("aborting"),
    S("aborted"),   S("failed"),      S("not-supported")};
const nfb_str nfb__source_type_names[] = {S("fileUpload"), S("liveInstance"),
                                          S("snapshot"), S("externalDump"),
                                          S("sameAddon")};
const nfb_str nfb__compression_names[] = {S("gz"), S("zstd")};
static const nfb_str dest_type_enum[] = {S("custom")};

/* One name per value of the public enums, and the decoder stores an enum
 * as an int. */
_Static_assert((int)NFB_STATUS_COUNT == (int)NFB__NSTATUS,
               "a status without a name");
_Static_assert((int)NFB_SOURCE_TYPE_COUNT == (int)NFB__NSOURCE_TYPE,
               "a source type without a name");
_Static_assert((int)NFB_COMPRESSION_COUNT == (int)NFB__NCOMPRESSION,
               "a compression without a name");
_Static_assert(sizeof(nfb_status) == sizeof(int) &&
                   sizeof(nfb_source_type) == sizeof(int) &&
                   sizeof(nfb_compression) == sizeof(int),
               "enums are stored as int");
/* Offsets are int16_t. */
_Static_assert(sizeof(nfb_backup) <= INT16_MAX &&
                   sizeof(nfb_destination) <= INT16_MAX,
               "a record struct too large for the table's offsets");

#define N(a) (uint8_t)(sizeof a / sizeof a[0])

/* The offset of member m of struct S, which must be of C type T: a row
 * whose type does not match its member does not compile. */
#define OFF(S, T, m) ((int16_t) _Generic(((S *)0)->m, T : offsetof(S, m)))

/* Rows are written with designated initializers; every row names its type
 * (one of the macros below, which set off and off2) and its presence:
 * REQUIRED, OPTIONAL(the bool flag) or UNFLAGGED (optional, nothing
 * records whether it was there). A member a row leaves out is 0, which is
 * an offset: hence the explicit -1s. */
#define NAME(s) .name = s, .len = (uint8_t)(sizeof s - 1)
#define REQUIRED .required = 1, .has_off = -1
#define OPTIONAL(S, m) .has_off = OFF(S, bool, m)
#define UNFLAGGED .has_off = -1

#define STRING(S, m) .type = NFB_T_STRING, .off = OFF(S, nfb_str, m), .off2 = -1
#define DATETIME(S, m)                                                         \
    .type = NFB_T_DATETIME, .off = OFF(S, nfb_time, m), .off2 = -1
#define ENUM(S, T, m, names)                                                   \
    .type = NFB_T_ENUM, .off = OFF(S, T, m), .off2 = -1, .enums = names,       \
    .nenums = N(names)
/* An enum of one value, not stored. */
#define CONST_ENUM(names)                                                      \
    .type = NFB_T_ENUM, .off = -1, .off2 = -1, .enums = names,                 \
    .nenums = N(names)
/* The digits as written, and their value. */
#define SIZE(S, text, value)                                                   \
    .type = NFB_T_SIZE, .off = OFF(S, nfb_str, text),                          \
    .off2 = OFF(S, uint64_t, value)
/* The number's text, and its value (or -1 for none). */
#define NUMBER(S, text, value)                                                 \
    .type = NFB_T_NUMBER, .off = OFF(S, nfb_str, text), .off2 = value
#define OBJECT(k) .type = NFB_T_OBJECT, .kind = k, .off = -1, .off2 = -1
#define CLIENT(k) .type = NFB_T_CLIENT, .kind = k, .off = -1, .off2 = -1
/* An array of k objects of C type E, at member m, count at member count. */
#define ARRAY(k, S, E, m, count)                                               \
    .type = NFB_T_ARRAY, .kind = k, .off = OFF(S, const E *, m),               \
    .count_off = OFF(S, size_t, count), .elem_size = sizeof(E), .off2 = -1
/* An array handled by the decoder itself (the list of backups). */
#define LIST(k) .type = NFB_T_ARRAY, .kind = k, .off = -1, .off2 = -1
#define SKIP .type = NFB_T_ANY, .off = -1, .off2 = -1

#define B nfb_backup
#define D nfb_destination
#define E nfb__api_error

/* Field order here is the canonical order of the output; .column names
 * the csv/tsv/xlsx column of a value (columns come in this order too). */
static const nfb__field backup_fields[] = {
    {NAME("id"), STRING(B, id), REQUIRED, .column = "id"},
    {NAME("name"), STRING(B, name), REQUIRED, .column = "name"},
    {NAME("status"), ENUM(B, nfb_status, status, nfb__status_names), REQUIRED,
     .column = "status"},
    {NAME("createdAt"), DATETIME(B, created_at), REQUIRED,
     .column = "createdAt"},
    {NAME("completedAt"), DATETIME(B, completed_at),
     OPTIONAL(B, has_completed_at), .column = "completedAt"},
    {NAME("config"), OBJECT(NFB_K_CONFIG), REQUIRED},
    {NAME("customDestinationId"), STRING(B, custom_destination_id),
     OPTIONAL(B, has_custom_destination_id), .column = "customDestinationId"},
    {NAME("lastRestore"), OBJECT(NFB_K_RESTORE), OPTIONAL(B, has_last_restore)},
};

static const nfb__field config_fields[] = {
    {NAME("source"), OBJECT(NFB_K_SOURCE), OPTIONAL(B, config.has_source)},
    {NAME("size"), SIZE(B, config.size_text, config.size), REQUIRED,
     .column = "config.size"},
    {NAME("addonVersion"), STRING(B, config.addon_version),
     OPTIONAL(B, config.has_addon_version), .column = "config.addonVersion"},
    {NAME("compressionType"),
     ENUM(B, nfb_compression, config.compression_type, nfb__compression_names),
     OPTIONAL(B, config.has_compression_type),
     .column = "config.compressionType"},
    {NAME("additionalDestinations"),
     ARRAY(NFB_K_DEST, B, nfb_destination, config.additional_destinations,
           config.additional_destinations_count),
     OPTIONAL(B, config.has_additional_destinations),
     .column = "config.additionalDestinations"},
};

static const nfb__field source_fields[] = {
    {NAME("type"),
     ENUM(B, nfb_source_type, config.source_type, nfb__source_type_names),
     OPTIONAL(B, config.has_source_type), .column = "config.source.type"},
};

static const nfb__field dest_fields[] = {
    {NAME("destinationId"), STRING(D, destination_id), REQUIRED},
    {NAME("retentionTime"),
     NUMBER(D, retention_time, OFF(D, double, retention_days)),
     OPTIONAL(D, has_retention_time)},
    {NAME("type"), CONST_ENUM(dest_type_enum), REQUIRED},
};

static const nfb__field restore_fields[] = {
    {NAME("restoreTimestamp"), DATETIME(B, last_restore.restore_timestamp),
     REQUIRED, .column = "lastRestore.restoreTimestamp"},
    {NAME("status"),
     ENUM(B, nfb_status, last_restore.status, nfb__status_names), REQUIRED,
     .column = "lastRestore.status"},
    {NAME("completedAt"), DATETIME(B, last_restore.completed_at),
     OPTIONAL(B, last_restore.has_completed_at),
     .column = "lastRestore.completedAt"},
};

static const nfb__field apierr_fields[] = {
    {NAME("status"), NUMBER(E, status, -1), UNFLAGGED},
    {NAME("message"), STRING(E, message), UNFLAGGED},
    {NAME("id"), STRING(E, id), UNFLAGGED},
    {NAME("details"), SKIP, UNFLAGGED},
};

/* The keys of the response wrappers around backups. */
static const nfb__field wrapper_fields[] = {
    {NAME("data"), OBJECT(NFB_K_DATA), UNFLAGGED},
    {NAME("error"), OBJECT(NFB_K_APIERR), UNFLAGGED},
    {NAME("pagination"), SKIP, UNFLAGGED},
    {NAME("rawResponse"), SKIP, UNFLAGGED},
    {NAME("request"), CLIENT(NFB_K_REQUEST), UNFLAGGED},
};

/* A JS client result's request ({"url", "method", "headers", ...}): only
 * its headers are looked at, for credentials (decode.c). */
static const nfb__field request_fields[] = {
    {NAME("headers"), CLIENT(NFB_K_HEADERS), UNFLAGGED},
};

static const nfb__field list_fields[] = {
    {NAME("backups"), LIST(NFB_K_BACKUP), REQUIRED},
};

#undef B
#undef D
#undef E

/* Presence is a 32-bit mask in the decoder. */
#define FITS(f) (sizeof f / sizeof f[0] <= 32)
_Static_assert(FITS(backup_fields) && FITS(config_fields) &&
                   FITS(source_fields) && FITS(dest_fields) &&
                   FITS(restore_fields) && FITS(apierr_fields) &&
                   FITS(wrapper_fields) && FITS(request_fields) &&
                   FITS(list_fields),
               "an object of more than 32 fields");

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
