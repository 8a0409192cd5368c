/* nfbackup: the canonical record of one Northflank addon backup.
 *
 * A record is plain data handed to the reader's record callback. Every
 * string is a (ptr, len) view into the reader's per-record arena: valid
 * only until the callback returns, not NUL-terminated, and may contain NUL
 * bytes (from "\u0000"). Copy what must outlive the callback. */
#ifndef NFBACKUP_BACKUP_H
#define NFBACKUP_BACKUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <nfbackup/common.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct nfb_str {
    const char *ptr;
    size_t len;
} nfb_str;

/* status of a backup and of its last restore */
typedef enum nfb_status {
    NFB_STATUS_SCHEDULED,
    NFB_STATUS_IN_PROGRESS,
    NFB_STATUS_COMPLETED,
    NFB_STATUS_ABORTING,
    NFB_STATUS_ABORTED,
    NFB_STATUS_FAILED,
    NFB_STATUS_NOT_SUPPORTED
} nfb_status;

/* config.source.type */
typedef enum nfb_source_type {
    NFB_SOURCE_FILE_UPLOAD,
    NFB_SOURCE_LIVE_INSTANCE,
    NFB_SOURCE_SNAPSHOT,
    NFB_SOURCE_EXTERNAL_DUMP,
    NFB_SOURCE_SAME_ADDON
} nfb_source_type;

/* config.compressionType */
typedef enum nfb_compression {
    NFB_COMPRESSION_GZ,
    NFB_COMPRESSION_ZSTD
} nfb_compression;

/* The JSON spelling of an enum value ("in-progress", "liveInstance", "gz"),
 * or NULL for a value out of range. */
NFB_API const char *nfb_status_name(nfb_status s);
NFB_API const char *nfb_source_type_name(nfb_source_type t);
NFB_API const char *nfb_compression_name(nfb_compression c);

/* An RFC 3339 date-time: the text as written, and its value. */
typedef struct nfb_time {
    nfb_str text;
    int64_t unix_seconds;   /* seconds since 1970-01-01T00:00:00Z; a leap
                               second 60 counts as the next second */
    uint32_t nanoseconds;   /* fraction, truncated to 9 digits */
    int16_t offset_minutes; /* the written offset from UTC; 0 for Z */
} nfb_time;

/* One entry of config.additionalDestinations. */
typedef struct nfb_destination {
    nfb_str destination_id;
    bool has_retention_time;
    nfb_str retention_time; /* the JSON number exactly as written (days) */
    double retention_days;  /* the same number as a double */
    /* type: always "custom", the only value the schema allows */
} nfb_destination;

typedef struct nfb_backup {
    nfb_str id;
    nfb_str name;
    nfb_status status;
    nfb_time created_at;
    bool has_completed_at;
    nfb_time completed_at;

    struct {
        bool has_source; /* "source": {} is present with no type */
        bool has_source_type;
        nfb_source_type source_type;
        nfb_str size_text; /* canonical decimal digits, as written */
        uint64_t size;
        bool has_addon_version;
        nfb_str addon_version;
        bool has_compression_type;
        nfb_compression compression_type;
        bool has_additional_destinations;
        const nfb_destination *additional_destinations;
        size_t additional_destinations_count;
    } config;

    bool has_custom_destination_id;
    nfb_str custom_destination_id;

    bool has_last_restore;
    struct {
        nfb_time restore_timestamp;
        nfb_status status;
        bool has_completed_at;
        nfb_time completed_at;
    } last_restore;
} nfb_backup;

#ifdef __cplusplus
}
#endif

#endif
