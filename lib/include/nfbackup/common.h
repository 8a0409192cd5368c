/* nfbackup: shared definitions of the public API.
 *
 * Every public name starts with nfb_ or NFB_. The library keeps no global
 * state: everything lives in handles made with an optional allocator.
 *
 * Threads: calls on different handles may run at the same time, in any
 * threads; calls on one handle must not (a handle may move from thread to
 * thread between calls). The functions that take no handle
 * (nfb_result_str, nfb_version, nfb_format_get, the *_name functions)
 * may be called from any thread at any time; what they return is static.
 *
 * Ownership: the caller owns what it passes in (configs and options are
 * copied, names too, where a header does not say otherwise) and frees
 * each handle it made with its *_free function; what the library hands to
 * a callback is the library's, valid only during the call.
 *
 * Re-entry: from inside a handle's own callbacks, the calls on that handle
 * that could change it return NFB_ESTATE and do nothing (reader.h and
 * writer.h list them). Other handles may be used there freely.
 *
 * Growth: the structs a caller fills for the library (nfb_reader_config,
 * nfb_writer_options) begin with their size, set by their init function,
 * and the library reads no byte past it: a program built against an
 * earlier header of the same major version runs with a later library,
 * whose new options then take their defaults. */
#ifndef NFBACKUP_COMMON_H
#define NFBACKUP_COMMON_H

#include <stddef.h>

#include <nfbackup/version.h>

#if defined(NFB_STATIC)
#define NFB_API
#elif defined(_WIN32)
#if defined(NFB_BUILDING)
#define NFB_API __declspec(dllexport)
#else
#define NFB_API __declspec(dllimport)
#endif
#elif defined(__GNUC__)
#define NFB_API __attribute__((visibility("default")))
#else
#define NFB_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Result of a library call. Invalid input is not a failure of the call: it
 * is reported through diagnostics and the call still returns NFB_OK. */
typedef enum nfb_result {
    NFB_OK = 0,
    NFB_STOPPED = 1, /* a callback returned non-zero: stopped on request */
    NFB_ENOMEM = -1, /* an allocation failed; the handle can only be freed */
    NFB_EINVAL = -2, /* a bad argument or option */
    NFB_EWRITE = -3, /* the output callback reported a failure */
    NFB_ESTATE = -4, /* the call is not allowed in the handle's state */
    NFB_EIO = -5     /* a file could not be opened or read: errno says why */
} nfb_result;

/* A short lower-case description of a result, never NULL ("unknown
 * result" for a value that is none of the above). */
NFB_API const char *nfb_result_str(nfb_result result);

/* Why a handle could not be made: the cause as a code (NFB_EINVAL for a
 * bad argument or option, NFB_ENOMEM, NFB_EIO for a file that cannot be
 * created) and as a sentence. When the handle is made, code is NFB_OK and
 * text is "". */
typedef struct nfb_error {
    nfb_result code;
    char text[512];
} nfb_error;

/* Memory functions for a handle: set all three, or pass no allocator for
 * the C library's. ctx is passed back unchanged. They serve every
 * allocation of nfbackup's own code; the libraries it parses and emits
 * with (yajl, libyaml) use the C library's allocator, because yajl cannot
 * survive a failed allocation. Those buffers are bounded by the reader's
 * limits. */
typedef struct nfb_allocator {
    void *(*malloc_fn)(void *ctx, size_t size);
    void *(*realloc_fn)(void *ctx, void *ptr, size_t size);
    void (*free_fn)(void *ctx, void *ptr);
    void *ctx;
} nfb_allocator;

/* The library's version as "MAJOR.MINOR.PATCH", and as NFB_VERSION_HEX. */
NFB_API const char *nfb_version(void);
NFB_API unsigned long nfb_version_hex(void);

#ifdef __cplusplus
}
#endif

#endif
