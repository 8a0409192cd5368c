/* CSV and TSV: a header row of dotted column names, then one row per
 * record, in the canonical column order or the one --columns asks for.
 *
 * A field is written as is unless it holds the delimiter, a quote, CR or
 * LF; then libcsv's csv_write2 quotes it (RFC 4180: inside quotes a quote is
 * doubled). Absent values are empty cells; additionalDestinations is one
 * cell of compact JSON.
 *
 * The formula guard: spreadsheets run a cell that starts with = + - @ (and,
 * after trimming, tab, CR, LF) as a formula, which lets a crafted backup
 * name run commands or leak data when the file is opened (CSV injection).
 * Such a cell gets a leading ' (OWASP's advice), which spreadsheets show as
 * text. A cell that already starts with ' gets one too, so that the guard
 * can be undone: removing one leading ' from every cell that has one gives
 * back the values. NFB_WRITE_NO_FORMULA_GUARD writes the values unchanged.
 *
 * Rows are built with no allocation per cell: one quoting buffer and one
 * JSON buffer grow as needed and are reused. */
#include <csv.h>
#include <stdio.h>

#include "writer_impl.h"

/* The column names, declared in writer_impl.h for the xlsx writer too. */
const char *const nfb__column_names[NCOLUMNS] = {
    "id",
    "name",
    "status",
    "createdAt",
    "completedAt",
    "config.source.type",
    "config.size",
    "config.addonVersion",
    "config.compressionType",
    "config.additionalDestinations",
    "customDestinationId",
    "lastRestore.restoreTimestamp",
    "lastRestore.status",
    "lastRestore.completedAt"};

typedef struct csv_writer {
    nfb_writer base;
    unsigned char delim;
    unsigned char ncols;
    unsigned char cols[NCOLUMNS]; /* the columns, in output order */
    int guard;
    const char *eol;
    size_t eol_len;
    unsigned char *qbuf; /* a quoted field */
    size_t qcap;
    unsigned char *jbuf; /* the destinations as JSON */
    size_t jcap;
    uint64_t delim8;             /* delim in every byte of a word */
    unsigned char quote_if[256]; /* bytes that make a field quoted */
} csv_writer;

#define BYTES8(c) (0x0101010101010101u * (uint64_t)(unsigned char)(c))

/* Non-zero when a byte of v equals the byte repeated in b (exact as to
 * whether there is one; the flag bits above the first match may be off). */
static inline uint64_t has_byte(uint64_t v, uint64_t b)
{
    uint64_t x = v ^ b;
    return (x - BYTES8(1)) & ~x & BYTES8(0x80);
}

static inline uint64_t special(const csv_writer *c, const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return has_byte(v, c->delim8) | has_byte(v, BYTES8('"')) |
           has_byte(v, BYTES8('\r')) | has_byte(v, BYTES8('\n'));
}

/* Does s need quoting? Eight bytes at a time; the last word overlaps the
 * one before it rather than going byte by byte. */
static int needs_quoting(const csv_writer *c, const unsigned char *s,
                         size_t len)
{
    if (len < 8) {
        for (size_t i = 0; i < len; i++)
            if (c->quote_if[s[i]]) return 1;
        return 0;
    }
    for (size_t i = 0; i + 8 < len; i += 8)
        if (special(c, s + i)) return 1;
    return special(c, s + len - 8) != 0;
}

/* The first bytes of a cell that the formula guard escapes: formula
 * starts, and the ' itself (see the top of the file). */
static int guarded(unsigned char c)
{
    return c == '=' || c == '+' || c == '-' || c == '@' || c == '\t' ||
           c == '\r' || c == '\n' || c == '\0' || c == '\'';
}

/* Makes buf hold at least need bytes. */
static int reserve(nfb_allocator *a, unsigned char **buf, size_t *cap,
                   size_t need)
{
    if (need <= *cap) return NFB_OK;
    size_t n = *cap ? *cap : 256;
    while (n < need)
        n = n > SIZE_MAX / 2 ? need : n * 2;
    unsigned char *p = nfb__realloc(a, *buf, n);
    if (!p) return NFB_ENOMEM;
    *buf = p;
    *cap = n;
    return NFB_OK;
}

static void usage_list(char *err, size_t errlen, size_t n)
{
    for (size_t i = 0; i < NCOLUMNS && n < errlen; i++)
        n += (size_t)snprintf(err + n, errlen - n, "%s%s", i ? ", " : "",
                              nfb__column_names[i]);
}

/* Parses the comma-separated list of column names (see writer_impl.h). */
int nfb__parse_columns(const char *list, unsigned char *cols,
                       unsigned char *ncols, char *err, size_t errlen)
{
    const char *p = list;
    unsigned seen = 0;
    *ncols = 0;
    for (;;) {
        while (*p == ' ')
            p++;
        const char *q = p;
        while (*q && *q != ',')
            q++;
        const char *e = q;
        while (e > p && e[-1] == ' ')
            e--;
        size_t len = (size_t)(e - p);
        if (len == 0) {
            snprintf(err, errlen, "%s; columns: ",
                     *list ? "empty column name in the list"
                           : "the column list is empty");
            usage_list(err, errlen, strlen(err));
            return NFB_EINVAL;
        }
        int col = -1;
        for (int i = 0; i < NCOLUMNS; i++)
            if (strlen(nfb__column_names[i]) == len &&
                memcmp(nfb__column_names[i], p, len) == 0)
                col = i;
        if (col < 0) {
            int n = snprintf(err, errlen, "unknown column \"%.*s\"; columns: ",
                             len > 200 ? 200 : (int)len, p);
            if (n > 0) usage_list(err, errlen, (size_t)n);
            return NFB_EINVAL;
        }
        if (seen & 1u << col) {
            snprintf(err, errlen, "column \"%s\" is listed twice",
                     nfb__column_names[col]);
            return NFB_EINVAL;
        }
        seen |= 1u << col;
        cols[(*ncols)++] = (unsigned char)col;
        if (!*q) return NFB_OK;
        p = q + 1;
    }
}

static int init_common(nfb_writer *w, const nfb_writer_options *o, char *err,
                       size_t errlen, unsigned char delim)
{
    csv_writer *c = (csv_writer *)w;
    c->delim = delim;
    c->delim8 = BYTES8(delim);
    c->guard = !(w->flags & NFB_WRITE_NO_FORMULA_GUARD);
    c->eol = (w->flags & NFB_WRITE_CRLF) ? "\r\n" : "\n";
    c->eol_len = strlen(c->eol);
    c->quote_if[delim] = c->quote_if['"'] = 1;
    c->quote_if['\r'] = c->quote_if['\n'] = 1;
    if (o->columns)
        return nfb__parse_columns(o->columns, c->cols, &c->ncols, err, errlen);
    for (int i = 0; i < NCOLUMNS; i++)
        c->cols[i] = (unsigned char)i;
    c->ncols = NCOLUMNS;
    return NFB_OK;
}

static int init_csv(nfb_writer *w, const nfb_writer_options *o, char *err,
                    size_t errlen)
{
    return init_common(w, o, err, errlen, ',');
}

static int init_tsv(nfb_writer *w, const nfb_writer_options *o, char *err,
                    size_t errlen)
{
    return init_common(w, o, err, errlen, '\t');
}

static int begin(nfb_writer *w)
{
    csv_writer *c = (csv_writer *)w;
    if (w->flags & NFB_WRITE_NO_HEADER) return NFB_OK;
    for (unsigned i = 0; i < c->ncols; i++) {
        const char *n = nfb__column_names[c->cols[i]];
        if (i) nfb__sink_put(&w->sink, &c->delim, 1);
        nfb__sink_put(&w->sink, n, strlen(n));
    }
    nfb__sink_put(&w->sink, c->eol, c->eol_len);
    return NFB_OK;
}

/* One field. Quoting goes through csv_write2; a guarded cell is quoted
 * with its ' inside the quotes. */
static int field(csv_writer *c, const char *s, size_t len)
{
    nfb__sink *sk = &c->base.sink;
    const unsigned char *u = (const unsigned char *)s;
    int guard = c->guard && len && guarded(u[0]);
    if (NFB_LIKELY(!needs_quoting(c, u, len))) {
        if (len == 0 && c->ncols == 1) {
            /* A row of one empty cell would be an empty line, which
             * readers skip: quote it. */
            nfb__sink_put(sk, "\"\"", 2);
            return NFB_OK;
        }
        if (guard) nfb__sink_put(sk, "'", 1);
        nfb__sink_put(sk, s, len);
        return NFB_OK;
    }
    if (len > (SIZE_MAX - 3) / 2) return NFB_ENOMEM;
    int res = reserve(&c->base.alloc, &c->qbuf, &c->qcap, 2 * len + 3);
    if (res != NFB_OK) return res;
    /* csv_write2 writes "..." at qbuf+1; with the guard, its opening quote
     * becomes the ' and a new opening quote goes before it. */
    size_t n = csv_write2(c->qbuf + 1, c->qcap - 1, s, len, '"');
    unsigned char *out = c->qbuf + 1;
    if (guard) {
        c->qbuf[0] = '"';
        c->qbuf[1] = '\'';
        out = c->qbuf;
        n++;
    }
    nfb__sink_put(sk, out, n);
    return NFB_OK;
}

static int str_field(csv_writer *c, nfb_str v)
{
    return field(c, v.ptr, v.len);
}

static int name_field(csv_writer *c, const char *s)
{
    if (!s) return NFB_EINVAL; /* a value out of the enum's range */
    return field(c, s, strlen(s));
}

/* Appends s as a JSON string body (without quotes). The caller reserved
 * 6 bytes per input byte. Line ends are escaped as the json writer does
 * (see writer_impl.h). */
static size_t json_escape(unsigned char *out, const unsigned char *s,
                          size_t len)
{
    static const char hex[] = "0123456789abcdef";
    size_t k = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = s[i];
        if (ch >= 0x20 && ch != '"' && ch != '\\' && ch != 0xc2 && ch != 0xe2) {
            out[k++] = ch;
            continue;
        }
        if (ch == 0xc2 || ch == 0xe2) {
            size_t n = nfb__json_line_end_at(s, i, len);
            if (!n) {
                out[k++] = ch;
                continue;
            }
            memcpy(out + k, nfb__json_line_end_escape(s + i), 6);
            k += 6;
            i += n - 1;
            continue;
        }
        out[k++] = '\\';
        switch (ch) {
        case '"':
            out[k++] = '"';
            break;
        case '\\':
            out[k++] = '\\';
            break;
        case '\n':
            out[k++] = 'n';
            break;
        case '\r':
            out[k++] = 'r';
            break;
        case '\t':
            out[k++] = 't';
            break;
        case '\b':
            out[k++] = 'b';
            break;
        case '\f':
            out[k++] = 'f';
            break;
        default:
            out[k++] = 'u';
            out[k++] = '0';
            out[k++] = '0';
            out[k++] = (unsigned char)hex[ch >> 4];
            out[k++] = (unsigned char)hex[ch & 15];
        }
    }
    return k;
}

#define PUT(lit) (memcpy(j + k, lit, sizeof lit - 1), k += sizeof lit - 1)

/* config.additionalDestinations as compact JSON, the same as the json
 * writer's: [{"destinationId":"x","retentionTime":30,"type":"custom"}],
 * into *buf (grown as needed); its length in *len. Shared with xlsx. */
int nfb__destinations_json(nfb_allocator *a, unsigned char **buf, size_t *cap,
                           const nfb_backup *b, size_t *len)
{
    size_t count = b->config.additional_destinations_count;
    const nfb_destination *d = b->config.additional_destinations;
    size_t need = 2;
    for (size_t i = 0; i < count; i++) {
        size_t idl = d[i].destination_id.len, rl = d[i].retention_time.len;
        if (idl > SIZE_MAX / 8 || rl > SIZE_MAX / 8) return NFB_ENOMEM;
        need += 6 * idl + rl + 64;
    }
    int res = reserve(a, buf, cap, need);
    if (res != NFB_OK) return res;
    unsigned char *j = *buf;
    size_t k = 0;
    PUT("[");
    for (size_t i = 0; i < count; i++) {
        if (i) PUT(",");
        PUT("{\"destinationId\":\"");
        k += json_escape(j + k, (const unsigned char *)d[i].destination_id.ptr,
                         d[i].destination_id.len);
        PUT("\"");
        if (d[i].has_retention_time) {
            PUT(",\"retentionTime\":");
            memcpy(j + k, d[i].retention_time.ptr, d[i].retention_time.len);
            k += d[i].retention_time.len;
        }
        PUT(",\"type\":\"custom\"}");
    }
    PUT("]");
    *len = k;
    return NFB_OK;
}

static int destinations_field(csv_writer *c, const nfb_backup *b)
{
    size_t len;
    int res =
        nfb__destinations_json(&c->base.alloc, &c->jbuf, &c->jcap, b, &len);
    return res != NFB_OK ? res : field(c, (const char *)c->jbuf, len);
}

static int cell(csv_writer *c, const nfb_backup *b, int col)
{
    switch (col) {
    case COL_ID:
        return str_field(c, b->id);
    case COL_NAME:
        return str_field(c, b->name);
    case COL_STATUS:
        return name_field(c, nfb_status_name(b->status));
    case COL_CREATED_AT:
        return str_field(c, b->created_at.text);
    case COL_COMPLETED_AT:
        return b->has_completed_at ? str_field(c, b->completed_at.text)
                                   : field(c, "", 0);
    case COL_SOURCE_TYPE:
        return b->config.has_source_type
                   ? name_field(c, nfb_source_type_name(b->config.source_type))
                   : field(c, "", 0);
    case COL_SIZE:
        return str_field(c, b->config.size_text);
    case COL_ADDON_VERSION:
        return b->config.has_addon_version
                   ? str_field(c, b->config.addon_version)
                   : field(c, "", 0);
    case COL_COMPRESSION_TYPE:
        return b->config.has_compression_type
                   ? name_field(
                         c, nfb_compression_name(b->config.compression_type))
                   : field(c, "", 0);
    case COL_ADDITIONAL_DESTINATIONS:
        return b->config.has_additional_destinations ? destinations_field(c, b)
                                                     : field(c, "", 0);
    case COL_CUSTOM_DESTINATION_ID:
        return b->has_custom_destination_id
                   ? str_field(c, b->custom_destination_id)
                   : field(c, "", 0);
    case COL_RESTORE_TIMESTAMP:
        return b->has_last_restore
                   ? str_field(c, b->last_restore.restore_timestamp.text)
                   : field(c, "", 0);
    case COL_RESTORE_STATUS:
        return b->has_last_restore
                   ? name_field(c, nfb_status_name(b->last_restore.status))
                   : field(c, "", 0);
    case COL_RESTORE_COMPLETED_AT:
        return b->has_last_restore && b->last_restore.has_completed_at
                   ? str_field(c, b->last_restore.completed_at.text)
                   : field(c, "", 0);
    default:
        return NFB_EINVAL;
    }
}

static int write_record(nfb_writer *w, const nfb_backup *b)
{
    csv_writer *c = (csv_writer *)w;
    for (unsigned i = 0; i < c->ncols; i++) {
        if (i) nfb__sink_put(&w->sink, &c->delim, 1);
        int res = cell(c, b, c->cols[i]);
        if (res != NFB_OK) return res;
    }
    nfb__sink_put(&w->sink, c->eol, c->eol_len);
    return NFB_OK;
}

static void destroy(nfb_writer *w)
{
    csv_writer *c = (csv_writer *)w;
    nfb__free(&w->alloc, c->qbuf);
    nfb__free(&w->alloc, c->jbuf);
}

const nfb__writer_class nfb__csv_writer = {
    .info = {"csv", "CSV with a header row: --columns, --no-header, --crlf, "
                    "--no-formula-guard"},
    .size = sizeof(csv_writer),
    .init = init_csv,
    .begin = begin,
    .record = write_record,
    .free = destroy};

const nfb__writer_class nfb__tsv_writer = {
    .info = {"tsv", "tab-separated values, with the same options as csv"},
    .size = sizeof(csv_writer),
    .init = init_tsv,
    .begin = begin,
    .record = write_record,
    .free = destroy};
