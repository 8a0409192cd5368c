/* The reader: the public API, the life of a reader and of each input, and
 * the flow of bytes: the byte layer (gzip and zstd, by magic bytes), the
 * transcoder (UTF-16 and UTF-32, by their BOM), the UTF-8 BOM, format
 * detection, then the front end (JSON on yajl, YAML on libyaml),
 * which sends events to the decoder. Diagnostics of every layer go
 * through report.c. */
#include <errno.h>
#include <stdio.h>

#include "bytes.h"
#include "common/check.h"
#include "decode.h"
#include "json_source.h"
#include "pull.h"
#include "sniff.h"
#include "transcode.h"
#include "yaml_source.h"

/* Bytes held at the start of an input until its format is known: white
 * space and the first line that holds something. White space that fills
 * them is counted rather than held (drop_white). */
enum { DETECT_MAX = 1024 };

enum { FMT_UNKNOWN, FMT_JSON, FMT_YAML };

struct nfb_reader {
    nfb_allocator alloc;
    nfb_reader_config cfg;
    nfb__diags dg;
    nfb__dec dec;
    nfb__json json;
    nfb__yaml *yaml;     /* made for the first YAML input */
    nfb__pos yaml_end;   /* the end of the YAML input so far */
    uint64_t line_start; /* where its last line starts */
    nfb__bytes bytes;
    nfb__transcode tc;
    char *name;
    int busy;   /* inside a call of the API: its callbacks are running */
    int begun;  /* an input is open */
    int member; /* it is a member of an archive (nfb__reader_begin_member) */
    /* nfb_reader_on_input's callback, and the member whose text is awaited
     * for it (NULL once called, or when there is none) */
    nfb_input_fn on_input;
    void *input_ctx;
    const char *arch_name, *member_name;
    int skip; /* it is not text: the rest of it is ignored */
    int bom;  /* bytes of a BOM matched; -1 once past */
    int format;
    char why[160]; /* why the format was chosen, when it was guessed */
    unsigned char detect[DETECT_MAX];
    size_t detect_len;
    /* Leading white space not held: its bytes, and the line and line
     * starts where it ends. */
    uint64_t white_off, white_line, white_line_start, white_prev_line_start;
};

/* The fields of the first nfb_reader_config (0.2.0): a caller's struct
 * has at least these. Fields added later are at the end, past this. */
#define CONFIG_SIZE_0_2                                                        \
    (offsetof(nfb_reader_config, max_diags) + sizeof(size_t))

static void config_defaults(nfb_reader_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->size = sizeof *cfg;
    cfg->max_depth = NFB_DEFAULT_MAX_DEPTH;
    cfg->max_string = NFB_DEFAULT_MAX_STRING;
    cfg->max_record = NFB_DEFAULT_MAX_RECORD;
    cfg->max_diags = NFB_DEFAULT_MAX_DIAGS;
}

void nfb_reader_config_init_size(nfb_reader_config *cfg, size_t size)
{
    if (!cfg || size < CONFIG_SIZE_0_2) return;
    nfb_reader_config d;
    config_defaults(&d);
    /* Only the bytes the caller has: a later library's fields are past
     * an earlier header's struct. */
    memcpy(cfg, &d, size < sizeof d ? size : sizeof d);
    cfg->size = size;
}

/* The caller's config in *out, its missing fields at their defaults. What
 * is wrong with it, or NULL. */
static const char *take_config(nfb_reader_config *out,
                               const nfb_reader_config *cfg)
{
    if (!cfg) return "a config is required";
    if (cfg->size < CONFIG_SIZE_0_2)
        return "the config's size is not set: make it with "
               "nfb_reader_config_init";
    if (cfg->size > sizeof *out)
        return "the config is from a later version of nfbackup than the "
               "library";
    config_defaults(out);
    memcpy(out, cfg, cfg->size);
    out->size = sizeof *out;
    return NULL;
}

/* What is wrong with a config, or NULL. */
static const char *bad_config(const nfb_reader_config *cfg, nfb_allocator *a)
{
    if ((cfg->flags & NFB_READ_JSON) && (cfg->flags & NFB_READ_YAML))
        return "NFB_READ_JSON and NFB_READ_YAML are exclusive";
    if (!cfg->max_depth || cfg->max_depth > NFB_MAX_DEPTH_LIMIT)
        return "max_depth must be from 1 to NFB_MAX_DEPTH_LIMIT (100000)";
    if (cfg->max_string > NFB_MAX_STRING_LIMIT)
        return "max_string must be at most NFB_MAX_STRING_LIMIT (1 GiB)";
    if (!cfg->max_string || !cfg->max_record || !cfg->max_diags)
        return "max_string, max_record and max_diags must not be 0";
    if (nfb__allocator_init(a, cfg->allocator) != 0)
        return "an allocator needs all three functions";
    return NULL;
}

/* Says why in err, when there is an err; returns NULL. */
static nfb_reader *refuse(nfb_error *err, nfb_result code, const char *why)
{
    if (err) {
        err->code = code;
        snprintf(err->text, sizeof err->text, "%s", why);
    }
    return NULL;
}

nfb_reader *nfb_reader_new(const nfb_reader_config *config, nfb_error *err)
{
    nfb_reader_config c;
    nfb_allocator a;
    const char *why = take_config(&c, config);
    if (!why) why = bad_config(&c, &a);
    if (why) return refuse(err, NFB_EINVAL, why);
    const nfb_reader_config *cfg = &c;
    nfb_reader *r = nfb__malloc(&a, sizeof *r);
    if (!r) return refuse(err, NFB_ENOMEM, "out of memory");
    memset(r, 0, sizeof *r);
    r->alloc = a;
    r->cfg = *cfg;
    r->cfg.allocator = NULL;
    r->dg.on_diag = cfg->on_diag;
    r->dg.ctx = cfg->ctx;
    r->dg.max_diags = cfg->max_diags;
    r->dg.no_warnings = (cfg->flags & NFB_READ_NO_WARNINGS) != 0;
    nfb__bytes_init(&r->bytes, &r->alloc, &r->dg);
    if (nfb__dec_init(&r->dec, &r->alloc, &r->dg, cfg) != 0 ||
        nfb__json_init(&r->json, &r->alloc, &r->dec, &r->dg, cfg->max_string) !=
            0) {
        nfb_reader_free(r);
        return refuse(err, NFB_ENOMEM, "out of memory");
    }
    if (err) *err = (nfb_error){NFB_OK, ""};
    return r;
}

void nfb_reader_free(nfb_reader *r)
{
    if (!r || r->busy) return;
    nfb__bytes_free(&r->bytes);
    nfb__yaml_free(r->yaml);
    nfb__json_free(&r->json, &r->alloc);
    nfb__dec_free(&r->dec);
    nfb__free(&r->alloc, r->name);
    nfb_allocator a = r->alloc;
    nfb__free(&a, r);
}

void nfb_reader_stats_get_size(const nfb_reader *r, nfb_reader_stats *out,
                               size_t size)
{
    if (!r || !out) return;
    memcpy(out, &r->dg.stats,
           size < sizeof r->dg.stats ? size : sizeof r->dg.stats);
}

/* ---- the calls of the API ----------------------------------------------
 *
 * Each public call that can change the reader runs with r->busy set: its
 * callbacks run inside it, and a call they make on the same reader is
 * refused with NFB_ESTATE (the reader is in the middle of a token, a
 * record or an archive's member). pull.c's calls go through the same
 * gate (nfb__reader_enter), and use the nfb__reader_ versions inside. */

int nfb__reader_enter(nfb_reader *r)
{
    if (r->busy) return 0;
    r->busy = 1;
    return 1;
}

void nfb__reader_leave(nfb_reader *r)
{
    r->busy = 0;
}

nfb_result nfb_reader_begin(nfb_reader *r, const char *name)
{
    if (!r) return NFB_EINVAL;
    if (!nfb__reader_enter(r)) return NFB_ESTATE;
    nfb_result res = nfb__reader_begin(r, name);
    nfb__reader_leave(r);
    return res;
}

nfb_result nfb_reader_feed(nfb_reader *r, const void *buf, size_t len)
{
    if (!r) return NFB_EINVAL;
    if (!nfb__reader_enter(r)) return NFB_ESTATE;
    nfb_result res = nfb__reader_feed(r, buf, len);
    nfb__reader_leave(r);
    return res;
}

nfb_result nfb_reader_finish(nfb_reader *r)
{
    if (!r) return NFB_EINVAL;
    if (!nfb__reader_enter(r)) return NFB_ESTATE;
    nfb_result res = nfb__reader_finish(r);
    nfb__reader_leave(r);
    return res;
}

nfb_result nfb__reader_begin(nfb_reader *r, const char *name)
{
    if (r->dg.failed) return NFB_ENOMEM;
    if (r->begun && !r->dg.stopped) {
        /* The input before was not finished: it ends here, as with
         * nfb_reader_finish, so that a document left open is reported. */
        nfb_result res = nfb__reader_finish(r);
        if (res != NFB_OK) return res;
    }
    if (!name) name = "<input>";
    size_t n = strlen(name) + 1;
    char *copy = nfb__malloc(&r->alloc, n);
    if (!copy) return NFB_ENOMEM;
    memcpy(copy, name, n);
    nfb__free(&r->alloc, r->name);
    r->name = copy;
    r->dg.name = r->name;
    r->dg.stopped = 0;
    r->dg.doc = 0;
    r->dg.doc_diags = 0;
    r->dg.doc_warnings = 0;
    r->dg.input_errors = 0;
    r->member = 0;
    r->arch_name = r->member_name = NULL;
    r->skip = 0;
    r->bom = 0;
    r->format = FMT_UNKNOWN;
    r->detect_len = 0;
    r->white_off = r->white_line_start = r->white_prev_line_start = 0;
    r->white_line = 1;
    r->begun = 1;
    nfb__bytes_begin(&r->bytes, (r->cfg.flags & NFB_READ_NO_DECOMPRESS)
                                    ? NFB__BYTES_PLAIN_ONLY
                                    : 0);
    nfb__transcode_begin(&r->tc, &r->dg);
    return nfb__json_begin(&r->json);
}

/* ---- format detection -------------------------------------------------- */

/* A YAML key at p[0..n), the first line that holds something: a plain
 * key (letters, digits, _ $ . / - and spaces) or a single-quoted one, then
 * ':' and a blank or the end of the line. */
static int yaml_key_line(const unsigned char *p, size_t n)
{
    size_t i = 0;
    if (p[0] == '\'') {
        for (i = 1; i < n && p[i] != '\''; i++)
            ;
        if (i++ >= n) return 0;
    } else {
        while (i < n &&
               ((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= 'A' && p[i] <= 'Z') ||
                (p[i] >= '0' && p[i] <= '9') || p[i] == '_' || p[i] == '$' ||
                p[i] == '.' || p[i] == '/' || p[i] == '-' || p[i] == ' '))
            i++;
        if (i == 0) return 0;
    }
    while (i < n && (p[i] == ' ' || p[i] == '\t'))
        i++;
    return i < n && p[i] == ':' &&
           (i + 1 == n || p[i + 1] == ' ' || p[i + 1] == '\t' ||
            p[i + 1] == '\r');
}

/* The first line l[0..len) looks like a YAML key: YAML, unless a line
 * that starts with '{' or '[' follows it and the lines that look like
 * keys after it, which would end a YAML document with an error there
 * (the Northflank CLI's "VERBOSE: Using endpoint -> GET:/v1/..." or a
 * "Warning: ..." line before a JSON text). p[at..n) are the bytes after
 * the first line. */
static int after_key_line(nfb_reader *r, const unsigned char *l, size_t len,
                          size_t at, int full)
{
    const unsigned char *p = r->detect;
    size_t n = r->detect_len;
    char shown[64];
    size_t k = 0;
    for (; k < len && k < 60; k++) /* printable ASCII only */
        shown[k] = l[k] >= 0x20 && l[k] < 0x7f ? (char)l[k] : '?';
    shown[k] = 0;
    for (;;) {
        if (at >= n) break;
        unsigned char c = p[at];
        if (c == '{' || c == '[') {
            snprintf(r->why, sizeof r->why,
                     "read as JSON, not YAML: this line looks like a YAML "
                     "key, but a JSON text starts on a later line");
            return FMT_JSON;
        }
        const unsigned char *e = memchr(p + at, '\n', n - at);
        if (!e) break;
        size_t ll = (size_t)(e - (p + at));
        if (ll && p[at + ll - 1] == '\r') ll--;
        if (ll && (c == ' ' || c == '\t' || !yaml_key_line(p + at, ll))) {
            full = 1; /* any other line: YAML */
            break;
        }
        at = (size_t)(e - p) + 1;
    }
    if (!full) return FMT_UNKNOWN;
    snprintf(r->why, sizeof r->why,
             "read as YAML because the first line looks like a YAML key "
             "(`%s%s`); --from json reads it as JSON",
             shown, k < len ? "..." : "");
    return FMT_YAML;
}

/* Decides the format from the bytes held so far (white space, then the
 * first line that holds something), or FMT_UNKNOWN when more are needed
 * (end: no more will come). '{', '[' or '"' is JSON; "---", '%', '#',
 * "- " or a key and ':' is YAML, unless a JSON text starts on a line
 * after the key (after_key_line); anything else is JSON, so that a
 * damaged first line of an NDJSON stream gets a JSON syntax error and the
 * lines after it are read. r->why says why, for the first syntax error. */
static int detect_text(nfb_reader *r, int end);

/* A member is held as an unforced input is, even when the format is
 * forced, so that what is not text is found in its first line whatever
 * the format. */
static int detect(nfb_reader *r, int end)
{
    r->why[0] = 0;
    int forced = r->cfg.flags & NFB_READ_JSON   ? FMT_JSON
                 : r->cfg.flags & NFB_READ_YAML ? FMT_YAML
                                                : FMT_UNKNOWN;
    if (forced == FMT_UNKNOWN || !r->member)
        return forced ? forced : detect_text(r, end);
    int f = detect_text(r, end) == FMT_UNKNOWN ? FMT_UNKNOWN : forced;
    r->why[0] = 0; /* forced: not a guess */
    return f;
}

static int detect_text(nfb_reader *r, int end)
{
    const unsigned char *p = r->detect;
    size_t n = r->detect_len, i = 0;
    int full = end || n == DETECT_MAX;
    while (i < n &&
           (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n'))
        i++;
    if (i == n) return full ? FMT_JSON : FMT_UNKNOWN;
    unsigned char c = p[i];
    if (c == '{' || c == '[' || c == '"') return FMT_JSON;
    if (c == '%' || c == '#') {
        snprintf(r->why, sizeof r->why,
                 "read as YAML because the first line starts with '%c'; "
                 "--from json reads it as JSON",
                 c);
        return FMT_YAML;
    }
    const unsigned char *nl = memchr(p + i, '\n', n - i);
    if (!nl && !full) return FMT_UNKNOWN;
    size_t len = nl ? (size_t)(nl - (p + i)) : n - i;
    const unsigned char *l = p + i;
    if (len && l[len - 1] == '\r') len--;
    if (c == '-') {
        size_t k = len >= 3 && l[1] == '-' && l[2] == '-' ? 3 : 1;
        int blank = k == len || l[k] == ' ' || l[k] == '\t';
        if (blank)
            snprintf(r->why, sizeof r->why,
                     "read as YAML because the first line starts with `%s`; "
                     "--from json reads it as JSON",
                     k == 3 ? "---" : "- ");
        if (blank) return FMT_YAML;
    } else if (yaml_key_line(l, len)) {
        return after_key_line(r, l, len, nl ? (size_t)(nl - p) + 1 : n, full);
    }
    snprintf(r->why, sizeof r->why,
             "read as JSON because the first line is not the start of a YAML "
             "document; --from yaml reads it as YAML");
    return FMT_JSON;
}

static nfb_result feed_front(nfb_reader *r, const unsigned char *p, size_t n)
{
    if (r->format == FMT_YAML) {
        /* Where the input ends, for a diagnostic about all of it. */
        const unsigned char *q = p, *e = p + n;
        while ((q = memchr(q, '\n', (size_t)(e - q))) != NULL) {
            q++;
            r->yaml_end.line++;
            r->yaml_end.column = 1;
            r->line_start = r->yaml_end.offset + (uint64_t)(q - p);
        }
        r->yaml_end.offset += n;
        r->yaml_end.column = r->yaml_end.offset - r->line_start + 1;
        return nfb__yaml_feed(r->yaml, p, n);
    }
    return nfb__json_feed(&r->json, p, n);
}

/* The held bytes fill the buffer with white space only: the whole lines
 * of it (or all of it, a line of blanks longer than the buffer) are
 * counted and dropped, so that any amount of it is skipped in constant
 * memory. */
static void drop_white(nfb_reader *r)
{
    const unsigned char *p = r->detect;
    size_t n = r->detect_len, drop = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r' && p[i] != '\n') return;
        if (p[i] == '\n') drop = i + 1;
    }
    if (!drop) drop = n;
    for (size_t i = 0; i < drop; i++) {
        if (p[i] != '\n') continue;
        r->white_prev_line_start = r->white_line_start;
        r->white_line_start = r->white_off + i + 1;
        r->white_line++;
    }
    r->white_off += drop;
    memmove(r->detect, r->detect + drop, n - drop);
    r->detect_len = n - drop;
}

static nfb_result feed_front(nfb_reader *r, const unsigned char *p, size_t n);

/* The format is known: its front end starts, after the white space that
 * was dropped. */
static nfb_result start_front(nfb_reader *r)
{
    /* libyaml cannot parse bytes again: a value that begins a document is
     * only of the wrong type there. */
    r->dec.can_restart = r->format != FMT_YAML;
    if (r->format != FMT_YAML) {
        nfb__json_why(&r->json, r->why[0] ? r->why : NULL, r->white_line);
        if (r->white_off)
            nfb__json_skip_white(&r->json, r->white_off, r->white_line,
                                 r->white_line_start, r->white_prev_line_start);
        return NFB_OK;
    }
    if (!r->yaml) {
        r->yaml = nfb__yaml_new(&r->alloc, &r->dec, &r->dg, r->cfg.max_string);
        if (!r->yaml) {
            r->dg.failed = 1;
            return NFB_ENOMEM;
        }
    }
    /* libyaml starts at the line the white space ends on; the blanks
     * dropped from that line (more than the buffer holds) are given to it
     * as spaces. */
    nfb__yaml_begin_at(r->yaml, r->white_line_start, r->white_line);
    nfb__yaml_why(r->yaml, r->why[0] ? r->why : NULL);
    r->yaml_end = (nfb__pos){r->white_line_start, r->white_line, 1};
    r->line_start = r->white_line_start;
    static const char spaces[] = "                                ";
    for (uint64_t k = r->white_off - r->white_line_start; k;) {
        size_t m = k < sizeof spaces - 1 ? (size_t)k : sizeof spaces - 1;
        nfb_result res = feed_front(r, (const unsigned char *)spaces, m);
        if (res != NFB_OK) return res;
        k -= m;
    }
    return NFB_OK;
}

/* The first line of the text (or all that is held, when it has none),
 * once the format is decided: the same bytes however the input was
 * split. An archive, a compressed stream the byte layer does not read
 * and, in a member, binary data, get one diagnostic, and the rest of the
 * input is ignored (r->skip). Returns 1 then. */
static int not_text(nfb_reader *r)
{
    const unsigned char *p = r->detect;
    const unsigned char *nl = memchr(p, '\n', r->detect_len);
    size_t n = nl ? (size_t)(nl - p) + 1 : r->detect_len;
    /* JSON is told from its first byte, so that what is held then may be
     * that byte alone: an input whose first byte starts a JSON text is
     * JSON, whatever a longer look would sniff (a tar whose first member
     * is named "{..."), so that the result is the same in any chunking. */
    size_t i = n >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
    while (i < n &&
           (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n'))
        i++;
    int json_start = i < n && (p[i] == '{' || p[i] == '[' || p[i] == '"');
    nfb__sniff_kind k = json_start ? NFB__SNIFF_NONE : nfb__sniff(p, n);
    nfb__pos at = {0, 1, 1};
    if (k != NFB__SNIFF_NONE) {
        r->skip = 1;
        const char *what = nfb__sniff_name(k);
        if (r->member)
            nfb__report(&r->dg, NFB_ERROR, NFB_CODE_SYNTAX, "", at,
                        "expected JSON or YAML text, found %s inside the "
                        "archive (archives are read one level deep)",
                        what);
        else if (r->cfg.flags & NFB_READ_NO_DECOMPRESS)
            nfb__report(&r->dg, NFB_ERROR, NFB_CODE_SYNTAX, "", at,
                        "expected JSON or YAML text, found %s, not read "
                        "with NFB_READ_NO_DECOMPRESS",
                        what);
        else
            nfb__report(&r->dg, NFB_ERROR, NFB_CODE_SYNTAX, "", at,
                        "expected JSON or YAML text, found %s, which is "
                        "read from a whole file or stream "
                        "(nfb_reader_read, nfb_reader_feed_file), not "
                        "from bytes pushed by nfb_reader_feed",
                        what);
        return 1;
    }
    if (!r->member) return 0;
    const char *why = NULL;
    const unsigned char *z = memchr(p, 0, n);
    size_t bad =
        nfb__utf8_copy(NULL, (const char *)p, z ? (size_t)(z - p) : n, &why);
    if (bad == (z ? (size_t)(z - p) : n)) {
        if (!z) return 0;
        why = "a NUL byte";
    } else if (!z && n - bad < 4 && n == DETECT_MAX &&
               strcmp(why, "truncated sequence") == 0) {
        return 0; /* a character cut by the end of what is held */
    }
    r->skip = 1;
    at.offset = bad;
    at.column = bad + 1;
    nfb__report(&r->dg, NFB_ERROR, NFB_CODE_SYNTAX, "", at,
                "expected JSON or YAML text, found binary data (%s at byte "
                "%zu)",
                why, bad);
    return 1;
}

/* Bytes after the BOM: held until the format is known, then given to its
 * front end. */
static nfb_result feed_detect(nfb_reader *r, const unsigned char *p, size_t n,
                              int end)
{
    if (r->format != FMT_UNKNOWN) return n ? feed_front(r, p, n) : NFB_OK;
    for (;;) {
        size_t take = DETECT_MAX - r->detect_len;
        if (take > n) take = n;
        if (take) { /* p is NULL at the end of the input */
            memcpy(r->detect + r->detect_len, p, take);
            r->detect_len += take;
            p += take, n -= take;
        }
        if (r->detect_len == DETECT_MAX && !end) drop_white(r);
        r->format = detect(r, end || (n && r->detect_len == DETECT_MAX));
        if (r->format != FMT_UNKNOWN) break;
        if (!n) return NFB_OK;
    }
    if (not_text(r)) return r->dg.stopped ? NFB_STOPPED : NFB_OK;
    if (r->member_name) {
        /* A member's text begins: its caller is told before its first
         * record. */
        const char *arch = r->arch_name, *member = r->member_name;
        r->arch_name = r->member_name = NULL;
        if (r->on_input(r->input_ctx, arch, member) != 0) {
            r->skip = 1;
            r->dg.stopped = 1;
            return NFB_STOPPED;
        }
    }
    nfb_result res = start_front(r);
    if (res == NFB_OK) res = feed_front(r, r->detect, r->detect_len);
    if (res == NFB_OK && n) res = feed_front(r, p, n);
    return res;
}

static const unsigned char bom[3] = {0xEF, 0xBB, 0xBF};

/* The byte layer's sink: the input's text, decompressed if it was. */
static int text(void *ctx, const unsigned char *p, size_t len)
{
    nfb_reader *r = ctx;
    if (r->skip) return NFB_OK;
    /* A UTF-8 byte order mark at the start of an input is skipped. */
    while (r->bom >= 0 && len) {
        if (p[0] == bom[r->bom]) {
            p++, len--;
            if (++r->bom == 3) r->bom = -1;
            continue;
        }
        int matched = r->bom;
        r->bom = -1;
        if (matched) {
            nfb_result res = feed_detect(r, bom, (size_t)matched, 0);
            if (res != NFB_OK) return (int)res;
        }
    }
    return len ? (int)feed_detect(r, p, len, 0) : NFB_OK;
}

/* The byte layer's sink: the input's bytes, decompressed if they were,
 * through the transcoder to text. */
static int decoded(void *ctx, const unsigned char *p, size_t len)
{
    nfb_reader *r = ctx;
    return nfb__transcode_feed(&r->tc, p, len, text, r);
}

nfb_result nfb__reader_feed(nfb_reader *r, const void *buf, size_t len)
{
    if (r->dg.failed) return NFB_ENOMEM;
    if (r->dg.stopped) return NFB_ESTATE;
    if (!r->begun) {
        nfb_result res = nfb__reader_begin(r, NULL);
        if (res != NFB_OK) return res;
    }
    r->dg.stats.bytes += len;
    return nfb__bytes_feed(&r->bytes, buf, len, decoded, r);
}

nfb_result nfb__reader_finish(nfb_reader *r)
{
    if (r->dg.failed) return NFB_ENOMEM;
    if (r->dg.stopped) return NFB_ESTATE;
    if (!r->begun) return NFB_OK;
    nfb_result res = nfb__bytes_finish(&r->bytes, decoded, r);
    if (res == NFB_OK && !r->dg.stopped)
        res = (nfb_result)nfb__transcode_finish(&r->tc, text, r);
    if (res == NFB_OK && r->bom > 0) {
        int matched = r->bom;
        r->bom = -1;
        res = feed_detect(r, bom, (size_t)matched, 0);
    }
    if (res == NFB_OK && !r->skip) res = feed_detect(r, NULL, 0, 1);
    int yaml = r->format == FMT_YAML;
    if (res == NFB_OK && !r->skip)
        res = yaml ? nfb__yaml_finish(r->yaml) : nfb__json_finish(&r->json);
    if (res == NFB_OK && r->dg.doc == 0 && r->dg.input_errors == 0) {
        /* RFC 8259: a JSON text is a value. An empty file is what a failed
         * or quiet CLI call leaves. */
        nfb__report(&r->dg, NFB_ERROR, NFB_CODE_SYNTAX, "",
                    yaml ? r->yaml_end : nfb__json_end_pos(&r->json),
                    "expected a %s document, found the end of the input",
                    yaml ? "YAML" : "JSON");
    }
    r->begun = 0;
    if (res == NFB_OK && r->dg.stopped) res = NFB_STOPPED;
    nfb_result reset = nfb__json_begin(&r->json);
    return res != NFB_OK ? res : reset;
}

/* ---- for pull.c ------------------------------------------------- */

nfb_result nfb__reader_begin_member(nfb_reader *r, const char *name,
                                    const char *archive, const char *member)
{
    nfb_result res = nfb__reader_begin(r, name);
    if (res == NFB_OK) {
        r->member = 1;
        if (r->on_input && member) {
            r->arch_name = archive;
            r->member_name = member;
        }
    }
    return res;
}

void nfb_reader_on_input(nfb_reader *r, nfb_input_fn fn, void *ctx)
{
    if (!r || r->busy) return;
    r->on_input = fn;
    r->input_ctx = ctx;
}

void nfb_reader_on_list_page(nfb_reader *r, nfb_list_page_fn fn, void *ctx)
{
    if (!r) return;
    r->dec.on_page = fn;
    r->dec.page_ctx = ctx;
}

void nfb_reader_on_diag_filter(nfb_reader *r, nfb_diag_filter_fn fn, void *ctx)
{
    if (!r || r->busy) return;
    r->dg.filter = fn;
    r->dg.filter_ctx = ctx;
}

void nfb__reader_abandon(nfb_reader *r)
{
    if (!r->begun || r->dg.failed) return;
    r->begun = 0;
    r->skip = 1;
    if (nfb__json_begin(&r->json) != NFB_OK) r->dg.failed = 1;
}

nfb__diags *nfb__reader_diags(nfb_reader *r)
{
    return &r->dg;
}

const nfb_allocator *nfb__reader_allocator(const nfb_reader *r)
{
    return &r->alloc;
}

unsigned nfb__reader_flags(const nfb_reader *r)
{
    return r->cfg.flags;
}

int nfb_reader_between_documents(const nfb_reader *r)
{
    /* The reader's own state: an input begun, read on, past its BOM and
     * read as JSON; then each layer's, in the order the bytes go. */
    return r->begun && !r->dg.failed && !r->dg.stopped && !r->skip &&
           r->format == FMT_JSON && r->bom < 0 &&
           nfb__bytes_passing(&r->bytes) && nfb__transcode_passing(&r->tc) &&
           nfb__json_between_documents(&r->json) &&
           nfb__dec_between_documents(&r->dec);
}

int nfb_reader_before_list_element(const nfb_reader *r, uint64_t *elements)
{
    uint64_t n = 0;
    if (!r || !r->begun || r->dg.failed || r->dg.stopped || r->skip ||
        r->format != FMT_JSON || r->bom >= 0 ||
        !nfb__bytes_passing(&r->bytes) || !nfb__transcode_passing(&r->tc))
        return 0;
    int form = nfb__dec_before_element(&r->dec, &n);
    if (!form || !nfb__json_before_element(&r->json, form == 1 ? 3 : 2))
        return 0;
    if (elements) *elements = n;
    return form;
}
