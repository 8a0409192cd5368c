/* The pull side of the reader: nfb_reader_read and nfb_reader_feed_file,
 * and the archives and streams read by libarchive. See archive.h. */
#include <errno.h>
#include <stdio.h>

#define ZLIB_CONST
#include <zlib.h>
#define ZSTD_STATIC_LINKING_ONLY
#include <zstd.h>
#include <zstd_errors.h>

#include "bytes.h"
#include "la_load.h"
#include "pull.h"
#include "sniff.h"

enum { CHUNK = 64 * 1024 };

typedef struct pull {
    nfb_reader *r;
    const nfb_allocator *a;
    const char *name;
    nfb_read_fn read;
    void *ctx;
    unsigned char *buf;  /* CHUNK bytes: what read fills */
    unsigned char *data; /* CHUNK bytes: a member's bytes */
    size_t held;         /* bytes of buf peeked and not yet handed on */
    size_t tried;        /* held when a gzip or zstd start was last tried */
    int eof;             /* read returned 0 */
    int err;             /* read returned -1: its errno */
    const nfb__la *la;   /* libarchive, once an archive is read */
} pull;

/* One call of the read function; -1 sets p->err. */
static ptrdiff_t pull_read(pull *p, unsigned char *to, size_t len)
{
    for (;;) {
        ptrdiff_t n = p->read(p->ctx, to, len);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) p->err = errno ? errno : EIO;
        if (n == 0) p->eof = 1;
        return n < 0 ? -1 : n;
    }
}

static int enough(pull *p);

/* Reads into buf until its bytes say what the input is (enough), so that
 * text arriving a line at a time through a pipe is read as it comes. */
static int peek(pull *p)
{
    while (!enough(p)) {
        ptrdiff_t n = pull_read(p, p->buf + p->held, CHUNK - p->held);
        if (n < 0) return -1;
        p->held += (size_t)n;
    }
    return 0;
}

/* ---- is a gzip or zstd input a tar? ----------------------------------- */

static voidpf gz_alloc(voidpf opaque, uInt items, uInt size)
{
    if (size && items > SIZE_MAX / size) return Z_NULL;
    return nfb__malloc(opaque, (size_t)items * size);
}

static void gz_free(voidpf opaque, voidpf q)
{
    nfb__free(opaque, q);
}

static void *zs_alloc(void *opaque, size_t n)
{
    return nfb__malloc(opaque, n);
}

static void zs_free(void *opaque, void *q)
{
    nfb__free(opaque, q);
}

/* The first 512 bytes p[0..n) decompress to, into out; how many (fewer
 * when the held bytes end sooner or are damaged: then the byte layer says
 * what is wrong), or -1 when out of memory. */
static ptrdiff_t inflate_start(const pull *p, nfb__sniff_kind k,
                               unsigned char *out)
{
    ptrdiff_t made = 0;
    if (k == NFB__SNIFF_GZIP) {
        z_stream z;
        memset(&z, 0, sizeof z);
        z.zalloc = gz_alloc;
        z.zfree = gz_free;
        z.opaque = (voidpf)p->a;
        if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) return -1;
        z.next_in = p->buf;
        z.avail_in = (uInt)p->held;
        z.next_out = out;
        z.avail_out = NFB__SNIFF_MAX;
        int ret = inflate(&z, Z_SYNC_FLUSH);
        made = NFB__SNIFF_MAX - (ptrdiff_t)z.avail_out;
        inflateEnd(&z);
        return ret == Z_MEM_ERROR ? -1 : made;
    }
    ZSTD_customMem mem = {zs_alloc, zs_free, (void *)p->a};
    ZSTD_DCtx *zs = ZSTD_createDCtx_advanced(mem);
    if (!zs) return -1;
    ZSTD_DCtx_setParameter(zs, ZSTD_d_windowLogMax,
                           NFB__BYTES_ZSTD_WINDOW_LOG_MAX);
    ZSTD_inBuffer in = {p->buf, p->held, 0};
    ZSTD_outBuffer o = {out, NFB__SNIFF_MAX, 0};
    /* Skippable frames come first in pzstd's files: a few calls. */
    for (int i = 0; i < 8 && o.pos < o.size && in.pos < in.size; i++) {
        size_t r = ZSTD_decompressStream(zs, &o, &in);
        if (ZSTD_isError(r)) {
            if (ZSTD_getErrorCode(r) == ZSTD_error_memory_allocation)
                o.pos = (size_t)-1;
            break;
        }
    }
    made = o.pos == (size_t)-1 ? -1 : (ptrdiff_t)o.pos;
    ZSTD_freeDCtx(zs);
    return made;
}

/* Whether the held bytes say what the input is: the end of the input or
 * a full buffer; a magic number (for gzip and zstd, with the 512 bytes
 * of their text that tell a tar); 512 bytes, a tar header's length; or a
 * newline before any NUL byte, which starts no magic number and no tar
 * header (whose name field is padded with NULs; nfb__sniff_tar refuses
 * such a header, so that more bytes held would say the same): text. */
static int enough(pull *p)
{
    if (p->eof || p->held == CHUNK) return 1;
    if (nfb__reader_flags(p->r) & NFB_READ_NO_DECOMPRESS) return p->held > 0;
    nfb__sniff_kind k = nfb__sniff(p->buf, p->held);
    if (k == NFB__SNIFF_GZIP || k == NFB__SNIFF_ZSTD) {
        /* Tried again each time the bytes held have doubled, so that
         * short reads do not decompress the start again and again. */
        if (p->held < 2 * p->tried) return 0;
        p->tried = p->held;
        unsigned char out[NFB__SNIFF_MAX];
        ptrdiff_t n = inflate_start(p, k, out);
        return n < 0 || n == NFB__SNIFF_MAX;
    }
    if (k != NFB__SNIFF_NONE || p->held >= NFB__SNIFF_MAX) return 1;
    const unsigned char *nl = memchr(p->buf, '\n', p->held);
    return nl && !memchr(p->buf, 0, (size_t)(nl - p->buf));
}

/* What the held bytes are: NFB__SNIFF_NONE for the push path, else what
 * libarchive reads (a gzip or zstd input only when it holds a tar); -1
 * when out of memory. */
static int classify(const pull *p)
{
    if (nfb__reader_flags(p->r) & NFB_READ_NO_DECOMPRESS)
        return NFB__SNIFF_NONE;
    nfb__sniff_kind k = nfb__sniff(p->buf, p->held);
    if (k == NFB__SNIFF_GZIP || k == NFB__SNIFF_ZSTD) {
        unsigned char out[NFB__SNIFF_MAX];
        ptrdiff_t n = inflate_start(p, k, out);
        if (n < 0) return -1;
        return nfb__sniff_tar(out, (size_t)n) ? (int)k : NFB__SNIFF_NONE;
    }
    return (int)k;
}

/* ---- the push path ----------------------------------------------------- */

static nfb_result push(pull *p)
{
    nfb_result res = nfb__reader_begin(p->r, p->name);
    if (res == NFB_OK && p->held) res = nfb__reader_feed(p->r, p->buf, p->held);
    while (res == NFB_OK && !p->eof) {
        ptrdiff_t n = pull_read(p, p->buf, CHUNK);
        if (n < 0) return NFB_EIO; /* the input stays open, as after a feed */
        if (n > 0) res = nfb__reader_feed(p->r, p->buf, (size_t)n);
    }
    return res == NFB_OK ? nfb__reader_finish(p->r) : res;
}

/* ---- libarchive -------------------------------------------------------- */

static la_ssize_t la_read(struct archive *a, void *ctx, const void **out)
{
    pull *p = ctx;
    *out = p->buf;
    if (p->held) {
        /* The peeked bytes first; buf is read into again only on the next
         * call, when libarchive no longer needs them. */
        size_t n = p->held;
        p->held = 0;
        return (la_ssize_t)n;
    }
    if (p->eof) return 0;
    ptrdiff_t n = pull_read(p, p->buf, CHUNK);
    if (n < 0) p->la->set_error(a, p->err, "%s", strerror(p->err));
    return n;
}

/* Reports a problem of the archive under name (the archive's or a
 * member's). 0: the diagnostic callback asked to stop. */
NFB_PRINTF(3, 4)
static int complain(pull *p, const char *name, const char *fmt, ...)
{
    nfb__diags *dg = nfb__reader_diags(p->r);
    char msg[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    const char *old = dg->name;
    uint64_t doc = dg->doc, doc_diags = dg->doc_diags;
    dg->name = name;
    dg->doc = 0;
    dg->doc_diags = 0;
    nfb__pos at = {0, 0, 0};
    int go = nfb__report(dg, NFB_ERROR, NFB_CODE_SYNTAX, "", at, "%s", msg);
    dg->name = old;
    dg->doc = doc;
    dg->doc_diags = doc_diags;
    return go;
}

/* "ARCHIVE:MEMBER", a control byte of the member's name (untrusted)
 * written as \xHH; NULL when out of memory. */
static char *member_name(const pull *p, const char *m)
{
    size_t a = strlen(p->name), n = a + 2;
    for (const char *c = m; *c; c++)
        n += ((unsigned char)*c < 0x20 || *c == 0x7f) ? 4 : 1;
    char *s = nfb__malloc(p->a, n), *o;
    if (!s) return NULL;
    memcpy(s, p->name, a);
    o = s + a;
    *o++ = ':';
    for (const char *c = m; *c; c++) {
        unsigned char u = (unsigned char)*c;
        if (u < 0x20 || u == 0x7f)
            o += snprintf(o, 5, "\\x%02x", u);
        else
            *o++ = *c;
    }
    *o = 0;
    return s;
}

static const char *entry_kind(const nfb__la *la, struct archive_entry *e)
{
    if (la->entry_hardlink(e)) return "a hard link";
    switch (la->entry_filetype(e)) {
    case AE_IFLNK:
        return "a symbolic link";
    case AE_IFCHR:
        return "a character device";
    case AE_IFBLK:
        return "a block device";
    case AE_IFIFO:
        return "a FIFO";
    case AE_IFSOCK:
        return "a socket";
    case AE_IFREG:
        return NULL;
    default:
        return "a member of an unknown type";
    }
}

/* One regular member, as an input named name (member: its name in the
 * archive, for nfb_reader_on_input; NULL for a single stream). 1 when the
 * archive is to be read on, 0 when it is damaged (reported), or a result other
 * than NFB_OK in *res. */
static int read_member(pull *p, struct archive *a, const char *name,
                       const char *member, nfb_result *res)
{
    *res = nfb__reader_begin_member(p->r, name, p->name, member);
    while (*res == NFB_OK) {
        la_ssize_t n = p->la->read_data(a, p->data, CHUNK);
        if (n == 0) break;
        if (n < 0) {
            if (p->err) {
                *res = NFB_EIO;
                return 0;
            }
            nfb__reader_abandon(p->r);
            if (!complain(p, name,
                          "expected the rest of the member, found a "
                          "damaged archive (%s); the rest of the archive "
                          "is not read",
                          p->la->error_string(a)))
                *res = NFB_STOPPED;
            return 0;
        }
        *res = nfb__reader_feed(p->r, p->data, (size_t)n);
    }
    if (*res == NFB_OK) *res = nfb__reader_finish(p->r);
    return 1;
}

static int la_setup(const nfb__la *la, struct archive *a, int kind)
{
    int (*const filters[])(struct archive *) = {
        la->read_support_filter_gzip, la->read_support_filter_zstd,
        la->read_support_filter_xz,   la->read_support_filter_bzip2,
        la->read_support_filter_lz4,  la->read_support_filter_lzma};
    /* ARCHIVE_WARN means an external program would do it: never, on
     * untrusted input. */
    for (size_t i = 0; i < sizeof filters / sizeof filters[0]; i++)
        if (filters[i](a) != ARCHIVE_OK) return -1;
    if (la->read_support_format_tar(a) != ARCHIVE_OK) return -1;
    if (kind == NFB__SNIFF_ZIP) {
        if (la->read_support_format_zip(a) != ARCHIVE_OK) return -1;
    } else if (kind != NFB__SNIFF_TAR && kind != NFB__SNIFF_GZIP &&
               kind != NFB__SNIFF_ZSTD) {
        /* A single stream: its text, if it holds no tar. */
        if (la->read_support_format_raw(a) != ARCHIVE_OK) return -1;
    }
    return 0;
}

/* What libarchive reads for kind, for diagnostics. */
static const char *kind_name(int kind)
{
    if (kind == NFB__SNIFF_GZIP) return "a tar archive compressed by gzip";
    if (kind == NFB__SNIFF_ZSTD) return "a tar archive compressed by zstd";
    return nfb__sniff_name((nfb__sniff_kind)kind);
}

static nfb_result read_archive(pull *p, int kind)
{
    /* libarchive reads a 7z's index from its end, which it reaches only by
     * seeking: a stream cannot. */
    if (kind == NFB__SNIFF_7Z)
        return complain(p, p->name,
                        "expected an archive that can be read as a stream "
                        "(tar, zip), found a 7z archive, whose index is at "
                        "its end: extract it first (7z x), or pack it as "
                        "tar or zip")
                   ? NFB_OK
                   : NFB_STOPPED;
    const char *why = NULL;
    const nfb__la *la = p->la = nfb__la_load(&why);
    if (!la)
        return complain(p, p->name,
                        "expected %s to be read through libarchive, found "
                        "that it cannot be loaded (%s)",
                        kind_name(kind), why)
                   ? NFB_OK
                   : NFB_STOPPED;
    struct archive *a = la->read_new();
    if (!a) return NFB_ENOMEM;
    nfb_result res = NFB_OK;
    if (la_setup(p->la, a, kind) != 0) {
        if (!complain(p, p->name, "expected %s, found no reader for it (%s)",
                      kind_name(kind),
                      la->error_string(a) ? la->error_string(a)
                                          : "libarchive lacks a library"))
            res = NFB_STOPPED;
        la->read_free(a);
        return res;
    }
    uint64_t members = 0;
    int rc = la->read_open(a, p, NULL, la_read, NULL);
    struct archive_entry *e = NULL;
    while (rc == ARCHIVE_OK &&
           ((rc = la->read_next_header(a, &e)) == ARCHIVE_OK ||
            rc == ARCHIVE_WARN)) {
        rc = ARCHIVE_OK;
        int raw = la->format(a) == ARCHIVE_FORMAT_RAW;
        if (la->entry_filetype(e) == AE_IFDIR) continue;
        const char *path = la->entry_pathname(e);
        char *name = raw ? NULL : member_name(p, path ? path : "");
        if (!raw && !name) {
            res = NFB_ENOMEM;
            break;
        }
        const char *kind_of = raw ? NULL : entry_kind(p->la, e);
        if (kind_of) {
            const char *to = la->entry_hardlink(e) ? la->entry_hardlink(e)
                                                   : la->entry_symlink(e);
            int go = complain(p, name,
                              "expected a regular file, found %s%s%s: not "
                              "followed",
                              kind_of, to ? " to " : "", to ? to : "");
            nfb__free(p->a, name);
            if (!go) {
                res = NFB_STOPPED;
                break;
            }
            continue;
        }
        members++;
        int on = read_member(p, a, raw ? p->name : name,
                             raw    ? NULL
                             : path ? path
                                    : "",
                             &res);
        nfb__free(p->a, name);
        if (!on || res != NFB_OK) {
            rc = ARCHIVE_EOF; /* reported, or to be returned */
            break;
        }
    }
    if (res == NFB_OK && p->err) {
        res = NFB_EIO;
    } else if (res == NFB_OK && rc != ARCHIVE_EOF) {
        why = la->error_string(a);
        if (!complain(p, p->name,
                      "expected %s, found a damaged one (%s); the rest of "
                      "it is not read",
                      kind_name(kind), why ? why : "unreadable"))
            res = NFB_STOPPED;
    } else if (res == NFB_OK && members == 0) {
        if (la->format(a) == ARCHIVE_FORMAT_RAW) {
            /* An empty stream: an empty input, which the reader reports. */
            res = nfb__reader_begin(p->r, p->name);
            if (res == NFB_OK) res = nfb__reader_finish(p->r);
        } else if (!complain(p, p->name,
                             "expected an archive holding JSON or YAML "
                             "files, found no regular file in it")) {
            res = NFB_STOPPED;
        }
    }
    int err = p->err;
    la->read_free(a);
    if (res == NFB_EIO) errno = err;
    return res;
}

/* ---- the interface ----------------------------------------------------- */

/* nfb_reader_read inside the gate. */
static nfb_result read_input(nfb_reader *r, const char *name, nfb_read_fn read,
                             void *ctx)
{
    nfb__diags *dg = nfb__reader_diags(r);
    if (dg->failed) return NFB_ENOMEM;
    if (!name) name = "<input>";
    pull p = {.r = r,
              .a = nfb__reader_allocator(r),
              .name = name,
              .read = read,
              .ctx = ctx};
    p.buf = nfb__malloc(p.a, CHUNK);
    if (!p.buf) return NFB_ENOMEM;
    nfb_result res;
    int kind;
    if (peek(&p) != 0) {
        /* An input that gave no byte is not begun, so that one that cannot
         * be read at all (a directory) is no document; otherwise, as after
         * a feed, its bytes are read and it is left open. */
        res = p.held ? nfb__reader_begin(r, name) : NFB_OK;
        if (res == NFB_OK && p.held) res = nfb__reader_feed(r, p.buf, p.held);
        if (res == NFB_OK) res = NFB_EIO;
    } else if ((kind = classify(&p)) < 0) {
        res = NFB_ENOMEM;
    } else if (kind == NFB__SNIFF_NONE) {
        res = push(&p);
    } else if (!(p.data = nfb__malloc(p.a, CHUNK))) {
        res = NFB_ENOMEM;
    } else {
        /* The input before ends first, as nfb_reader_begin would. */
        res = nfb__reader_begin(r, name);
        if (res == NFB_OK) nfb__reader_abandon(r);
        if (res == NFB_OK) res = read_archive(&p, kind);
    }
    int err = p.err;
    nfb__free(p.a, p.data);
    nfb__free(p.a, p.buf);
    if (res == NFB_ENOMEM) dg->failed = 1;
    if (res == NFB_EIO) errno = err;
    return res;
}

nfb_result nfb_reader_read(nfb_reader *r, const char *name, nfb_read_fn read,
                           void *ctx)
{
    if (!r || !read) return NFB_EINVAL;
    if (!nfb__reader_enter(r)) return NFB_ESTATE;
    nfb_result res = read_input(r, name, read, ctx);
    nfb__reader_leave(r);
    return res;
}

static ptrdiff_t read_stdio(void *ctx, void *buf, size_t len)
{
    FILE *f = ctx;
    size_t n = fread(buf, 1, len, f);
    if (n == 0 && ferror(f)) return -1;
    return (ptrdiff_t)n;
}

nfb_result nfb_reader_feed_file(nfb_reader *r, const char *path)
{
    if (!r || !path) return NFB_EINVAL;
    if (!nfb__reader_enter(r)) return NFB_ESTATE;
    int is_stdin = strcmp(path, "-") == 0;
    /* A terminal's end of file (^D) ends one read of stdin, not all. */
    if (is_stdin) clearerr(stdin);
    FILE *f = is_stdin ? stdin : fopen(path, "rb");
    nfb_result res = NFB_EIO;
    if (f) res = read_input(r, is_stdin ? "<stdin>" : path, read_stdio, f);
    int err = errno;
    if (f && !is_stdin) fclose(f);
    nfb__reader_leave(r);
    if (res == NFB_EIO) errno = err;
    return res;
}
