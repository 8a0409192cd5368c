/* fuzz_roundtrip: bytes -> reader -> normalized JSON -> reader -> JSON.
 *
 * Whatever records the reader makes of arbitrary bytes, the normalized
 * JSON it writes of them must read back with no error into the very same
 * records: the second compact output equals the first byte for byte. The
 * JSON read back is written in the variant the input picks (pretty, array,
 * envelope), so every layout the writer offers must be readable. Every
 * other registered writer must accept every record without error; the
 * YAML output must parse as YAML and hold each string of the records as a
 * scalar, and every CSV row must have the header's number of cells.
 *
 * The YAML output, in the layout its flags pick (documents, sequence,
 * envelopes, or both), must read back too, through nfbackup's own YAML
 * front end, into the same records: its compact JSON equals the first
 * one, but for a number with an exponent, which YAML spells with a
 * fraction and a sign ("1e3" is written 1.0e+3): those compare by value.
 *
 * The YAML writer's fast path writes the very bytes of libyaml's emitter:
 * a second YAML writer on the emitter path (nfb__yaml_writer_use_emitter)
 * gets the same records with the same flags, and the outputs are equal.
 *
 * The JSON writer's fast path writes the very bytes of yajl's generator:
 * the input is read again into two json writers on the generator path
 * (nfb__json_writer_use_yajl), compact and in the variant, whose outputs
 * equal the first read's.
 *
 * Those bytes are the yajl's and libyaml's this runs with; the fast paths
 * were matched to yajl 2.1.0 and libyaml 0.2.5 (CMake's minimums). The
 * first input prints both versions on stderr.
 *
 *   byte 0   bits 0-2: NFB_WRITE_PRETTY, _ENVELOPE, _ARRAY of the JSON
 *            read back; bit 3: the YAML is read back as NFB_READ_YAML
 *            rather than told from its first bytes; bits 4-7: chunk
 *            length of the first read and of the YAML read back (0: one
 *            chunk)
 *   byte 1   NFB_WRITE_* flags of the other writers
 *   rest     the input text */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <csv.h>
#include <yajl/yajl_version.h>
#include <yaml.h>

#include <nfbackup/nfbackup.h>

#include "fuzz.h"
#include "write/write_json.h"
#include "write/write_yaml.h"

enum { HDR = 2, MAX_WRITERS = 16 };

/* A growable memory buffer, the write function of every writer. */
typedef struct mem {
    unsigned char *p;
    size_t n, cap;
} mem;

static void mem_put(mem *m, const void *data, size_t len)
{
    if (len > m->cap - m->n) {
        size_t cap = m->cap ? m->cap : 256;
        while (cap - m->n < len)
            cap *= 2;
        m->p = realloc(m->p, cap);
        FUZZ_CHECK(m->p != NULL);
        m->cap = cap;
    }
    if (len) memcpy(m->p + m->n, data, len);
    m->n += len;
}

static int mem_write(void *ctx, const void *data, size_t len)
{
    mem_put(ctx, data, len);
    return 0;
}

/* A writer and the buffer it writes to. */
typedef struct out {
    const char *name;
    nfb_writer *w;
    mem m;
} out;

static void out_open(out *o, const char *name, unsigned flags)
{
    nfb_writer_options opts = {.size = sizeof opts};
    nfb_error err;
    opts.write = mem_write;
    opts.ctx = &o->m;
    opts.flags = flags;
    o->name = name;
    o->w = nfb_writer_new(name, &opts, &err);
    if (!o->w) fprintf(stderr, "writer %s: %s\n", name, err.text);
    FUZZ_CHECK(o->w != NULL);
}

/* The yaml writer on libyaml's emitter, the fast path's reference. */
static void out_open_emitter(out *o, unsigned flags)
{
    out_open(o, "yaml", flags);
    o->name = "yaml (emitter)";
    FUZZ_CHECK(nfb__yaml_writer_use_emitter(o->w) == NFB_OK);
}

static void out_close(out *o)
{
    nfb_result res = nfb_writer_end(o->w);
    if (res != NFB_OK)
        fprintf(stderr, "writer %s: end: %s\n", o->name, nfb_result_str(res));
    FUZZ_CHECK(res == NFB_OK);
    nfb_writer_free(o->w);
    o->w = NULL;
}

typedef struct pass {
    out *outs;
    size_t nouts;
    uint64_t records, errors;
    bool keep;   /* keep each string of the records in strings */
    mem strings; /* length-prefixed */
} pass;

static void keep(mem *m, nfb_str s)
{
    mem_put(m, &s.len, sizeof s.len);
    mem_put(m, s.ptr, s.len);
}

static void keep_cstr(mem *m, const char *s)
{
    keep(m, (nfb_str){s, strlen(s)});
}

/* The strings a YAML reader must find again in the YAML output. */
static void keep_strings(mem *m, const nfb_backup *b)
{
    keep(m, b->id);
    keep(m, b->name);
    keep_cstr(m, nfb_status_name(b->status));
    keep(m, b->created_at.text);
    if (b->has_completed_at) keep(m, b->completed_at.text);
    if (b->config.has_source_type)
        keep_cstr(m, nfb_source_type_name(b->config.source_type));
    keep(m, b->config.size_text);
    if (b->config.has_addon_version) keep(m, b->config.addon_version);
    if (b->config.has_compression_type)
        keep_cstr(m, nfb_compression_name(b->config.compression_type));
    for (size_t i = 0; i < b->config.additional_destinations_count; i++)
        keep(m, b->config.additional_destinations[i].destination_id);
    if (b->has_custom_destination_id) keep(m, b->custom_destination_id);
    if (b->has_last_restore) {
        keep(m, b->last_restore.restore_timestamp.text);
        keep_cstr(m, nfb_status_name(b->last_restore.status));
        if (b->last_restore.has_completed_at)
            keep(m, b->last_restore.completed_at.text);
    }
}

static int on_record(void *ctx, const nfb_backup *b)
{
    pass *p = ctx;
    p->records++;
    if (p->keep) keep_strings(&p->strings, b);
    for (size_t i = 0; i < p->nouts; i++) {
        nfb_result res = nfb_writer_record(p->outs[i].w, b);
        if (res != NFB_OK)
            fprintf(stderr, "writer %s: record %llu: %s\n", p->outs[i].name,
                    (unsigned long long)p->records, nfb_result_str(res));
        FUZZ_CHECK(res == NFB_OK);
    }
    return 0;
}

static int on_diag(void *ctx, const nfb_diag *d)
{
    pass *p = ctx;
    if (d->severity == NFB_ERROR) p->errors++;
    return 0;
}

/* Reads text in chunks of chunk bytes (0: one chunk) into the writers,
 * with the reader's flags NFB_READ_*. */
static void read_into(pass *p, const uint8_t *text, size_t len, size_t chunk,
                      nfb_diag_fn on_diag_fn, unsigned flags)
{
    nfb_reader_config cfg;
    nfb_reader_config_init(&cfg);
    cfg.flags = flags;
    cfg.on_record = on_record;
    cfg.on_diag = on_diag_fn;
    cfg.ctx = p;
    nfb_reader *r = nfb_reader_new(&cfg, NULL);
    FUZZ_CHECK(r != NULL);
    FUZZ_CHECK(nfb_reader_begin(r, "fuzz") == NFB_OK);
    if (chunk == 0) chunk = len ? len : 1;
    for (size_t pos = 0; pos < len; pos += chunk) {
        size_t n = len - pos < chunk ? len - pos : chunk;
        FUZZ_CHECK(nfb_reader_feed(r, text + pos, n) == NFB_OK);
    }
    FUZZ_CHECK(nfb_reader_finish(r) == NFB_OK);
    nfb_reader_free(r);
}

/* Prints the errors of a reading back, to explain a failed check. */
static int print_diag(void *ctx, const nfb_diag *d)
{
    if (d->severity == NFB_ERROR)
        fprintf(stderr, "read back: %llu:%llu: %s: %s: %s [%s]\n",
                (unsigned long long)d->line, (unsigned long long)d->column,
                nfb_severity_name(d->severity), d->path, d->message,
                nfb_code_name(d->code));
    return on_diag(ctx, d);
}

/* Reads text again as a failed reading back did, printing its errors
 * (only then: an empty output's error is expected, and printing every
 * time would slow the fuzzer down). */
static void print_errors(const uint8_t *text, size_t len, size_t chunk,
                         unsigned flags)
{
    pass p = {NULL, 0, 0, 0, false, {0}};
    read_into(&p, text, len, chunk, print_diag, flags);
}

/* ---- YAML: the output parses, and holds every string as a scalar ----- */

typedef struct scalar {
    const unsigned char *p;
    size_t n;
} scalar;

static int scalar_cmp(const void *a, const void *b)
{
    const scalar *x = a, *y = b;
    size_t n = x->n < y->n ? x->n : y->n;
    int c = n ? memcmp(x->p, y->p, n) : 0;
    return c ? c : (x->n > y->n) - (x->n < y->n);
}

static void check_yaml(const mem *text, const mem *strings)
{
    yaml_parser_t parser;
    yaml_event_t ev;
    scalar *sc = NULL;
    size_t nsc = 0, cap = 0;
    mem values = {0};
    FUZZ_CHECK(yaml_parser_initialize(&parser));
    yaml_parser_set_input_string(&parser, text->p ? text->p : (void *)"",
                                 text->n);
    for (;;) {
        if (!yaml_parser_parse(&parser, &ev)) {
            fprintf(stderr, "yaml output: %s at %zu:%zu\n", parser.problem,
                    parser.problem_mark.line + 1,
                    parser.problem_mark.column + 1);
            FUZZ_CHECK(!"the YAML output parses");
        }
        int done = ev.type == YAML_STREAM_END_EVENT;
        if (ev.type == YAML_SCALAR_EVENT) {
            /* Offsets for now: values may move while it grows. */
            if (nsc == cap) {
                cap = cap ? cap * 2 : 64;
                sc = realloc(sc, cap * sizeof *sc);
                FUZZ_CHECK(sc != NULL);
            }
            sc[nsc].p = (const unsigned char *)values.n;
            sc[nsc++].n = ev.data.scalar.length;
            mem_put(&values, ev.data.scalar.value, ev.data.scalar.length);
        }
        yaml_event_delete(&ev);
        if (done) break;
    }
    yaml_parser_delete(&parser);
    for (size_t i = 0; i < nsc; i++)
        sc[i].p = values.p + (size_t)(uintptr_t)sc[i].p;
    if (nsc) qsort(sc, nsc, sizeof *sc, scalar_cmp);

    for (size_t pos = 0; pos < strings->n;) {
        scalar want;
        memcpy(&want.n, strings->p + pos, sizeof want.n);
        want.p = strings->p + pos + sizeof want.n;
        pos += sizeof want.n + want.n;
        if (!nsc || !bsearch(&want, sc, nsc, sizeof *sc, scalar_cmp)) {
            fprintf(stderr, "yaml output: no scalar \"%.*s\" (%zu bytes)\n",
                    (int)want.n, (const char *)want.p, want.n);
            FUZZ_CHECK(!"every string of a record is a YAML scalar");
        }
    }
    free(sc);
    free(values.p);
}

/* ---- YAML read back: the same JSON, numbers compared by value -------- */

static int num_char(unsigned char c)
{
    return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' ||
           c == 'e' || c == 'E';
}

/* The value of the JSON number s[0..n). */
static double num_value(const unsigned char *s, size_t n)
{
    char small[64], *t = n < sizeof small ? small : malloc(n + 1);
    FUZZ_CHECK(t != NULL);
    memcpy(t, s, n);
    t[n] = 0;
    char *end;
    double v = strtod(t, &end);
    FUZZ_CHECK(end == t + n); /* the whole token is a number */
    if (t != small) free(t);
    return v;
}

/* Whether the compact JSON texts a and b are the same but for numbers
 * written differently with the same value. Written for the compact
 * writer's output: outside strings a number starts with '-' or a digit. */
static bool same_json(const mem *a, const mem *b)
{
    size_t i = 0, j = 0;
    bool in_str = false;
    while (i < a->n && j < b->n) {
        unsigned char x = a->p[i], y = b->p[j];
        if (!in_str && (x == '-' || (x >= '0' && x <= '9')) &&
            (y == '-' || (y >= '0' && y <= '9'))) {
            size_t i2 = i, j2 = j;
            while (i2 < a->n && num_char(a->p[i2]))
                i2++;
            while (j2 < b->n && num_char(b->p[j2]))
                j2++;
            if ((i2 - i != j2 - j || memcmp(a->p + i, b->p + j, i2 - i)) &&
                num_value(a->p + i, i2 - i) != num_value(b->p + j, j2 - j))
                return false;
            i = i2, j = j2;
            continue;
        }
        if (x != y) return false;
        if (in_str && x == '\\') {
            /* The escaped character, whatever it is. */
            if (++i >= a->n || ++j >= b->n || a->p[i] != b->p[j]) return false;
        } else if (x == '"') {
            in_str = !in_str;
        }
        i++, j++;
    }
    return i == a->n && j == b->n;
}

/* Reads the YAML writer's output y back (flags: NFB_WRITE_* it was written
 * with) and checks it gives the records of the first read, whose compact
 * JSON is first. */
static void check_yaml_back(const mem *y, unsigned flags, const mem *first,
                            uint64_t records, size_t chunk, bool forced)
{
    out back = {0};
    out_open(&back, "json", 0);
    pass p = {&back, 1, 0, 0, false, {0}};
    const uint8_t *text = y->p ? y->p : (const uint8_t *)"";
    unsigned rflags = forced ? NFB_READ_YAML : 0;
    read_into(&p, text, y->n, chunk, on_diag, rflags);
    out_close(&back);
    /* No record, no output: reading nothing back is the one error (an
     * empty input), unless a sequence was written. */
    int empty_ok = records == 0 && y->n == 0 && p.errors == 1;
    if ((p.errors != 0 && !empty_ok) || p.records != records ||
        !same_json(&back.m, first)) {
        fprintf(stderr,
                "first: %llu records\n%.*s\nYAML (flags %u, %s):\n%.*s\n"
                "read back: %llu records, %llu errors\n%.*s\n",
                (unsigned long long)records, (int)first->n,
                (const char *)first->p, flags,
                forced ? "read as YAML" : "format detected", (int)y->n,
                (const char *)y->p, (unsigned long long)p.records,
                (unsigned long long)p.errors, (int)back.m.n,
                (const char *)back.m.p);
        print_errors(text, y->n, chunk, rflags);
        FUZZ_CHECK(!"the YAML output reads back into the same records");
    }
    free(back.m.p);
}

/* ---- YAML: the fast path's bytes are the emitter's ------------------- */

static void check_yaml_emitter(const mem *fast, const mem *ref, unsigned flags)
{
    if (fast->n == ref->n && (!fast->n || !memcmp(fast->p, ref->p, fast->n)))
        return;
    size_t i = 0;
    while (i < fast->n && i < ref->n && fast->p[i] == ref->p[i])
        i++;
    fprintf(stderr,
            "yaml (flags %u): the fast path differs from the emitter at "
            "byte %zu\nfast path:\n%.*s\nemitter:\n%.*s\n",
            flags, i, (int)fast->n, (const char *)fast->p, (int)ref->n,
            (const char *)ref->p);
    FUZZ_CHECK(!"the YAML fast path writes the emitter's bytes");
}

/* ---- JSON: the fast path's bytes are yajl_gen's ---------------------- */

/* Reads text again, as the first read did, into json writers on yajl's
 * generator, compact and in layout variant: they write what the fast
 * path wrote in the first read, compact and variant. */
static void check_json_yajl(const uint8_t *text, size_t len, size_t chunk,
                            unsigned variant, const mem *compact,
                            const mem *in_variant)
{
    out ref[2];
    const unsigned flags[2] = {0, variant};
    const mem *fast[2] = {compact, in_variant};
    memset(ref, 0, sizeof ref);
    for (int i = 0; i < 2; i++) {
        out_open(&ref[i], "json", flags[i]);
        FUZZ_CHECK(nfb__json_writer_use_yajl(ref[i].w) == NFB_OK);
    }
    pass p = {ref, 2, 0, 0, false, {0}};
    read_into(&p, text, len, chunk, on_diag, 0);
    for (int i = 0; i < 2; i++) {
        out_close(&ref[i]);
        const mem *f = fast[i], *y = &ref[i].m;
        if (f->n != y->n || (f->n && memcmp(f->p, y->p, f->n) != 0)) {
            fprintf(stderr,
                    "json (flags %u): fast path\n%.*s\nyajl_gen\n%.*s\n",
                    flags[i], (int)f->n, (const char *)f->p, (int)y->n,
                    (const char *)y->p);
            FUZZ_CHECK(!"the JSON fast path writes yajl_gen's bytes");
        }
        free(ref[i].m.p);
    }
}

/* ---- CSV: every row has as many cells as the first -------------------- */

typedef struct csv_count {
    size_t cells, first, rows;
} csv_count;

static void csv_cell(void *s, size_t len, void *ctx)
{
    (void)s, (void)len;
    ((csv_count *)ctx)->cells++;
}

static void csv_row(int c, void *ctx)
{
    csv_count *k = ctx;
    (void)c;
    if (k->rows++ == 0) k->first = k->cells;
    if (k->cells != k->first)
        fprintf(stderr, "csv output: row %zu has %zu cells, not %zu\n", k->rows,
                k->cells, k->first);
    FUZZ_CHECK(k->cells == k->first);
    k->cells = 0;
}

static void check_csv(const mem *text, uint64_t records, unsigned flags)
{
    struct csv_parser p;
    csv_count k = {0};
    FUZZ_CHECK(csv_init(&p, CSV_STRICT | CSV_STRICT_FINI) == 0);
    size_t n = csv_parse(&p, text->p, text->n, csv_cell, csv_row, &k);
    if (n != text->n || csv_fini(&p, csv_cell, csv_row, &k) != 0) {
        fprintf(stderr, "csv output: %s\n", csv_strerror(csv_error(&p)));
        FUZZ_CHECK(!"the CSV output parses");
    }
    csv_free(&p);
    uint64_t want = records + ((flags & NFB_WRITE_NO_HEADER) ? 0 : 1);
    if (k.rows != want)
        fprintf(stderr, "csv output: %zu rows, expected %llu\n", k.rows,
                (unsigned long long)want);
    FUZZ_CHECK(k.rows == want);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool named;
    if (!named) {
        int v = yajl_version();
        fprintf(stderr,
                "fast paths against yajl %d.%d.%d's generator and libyaml "
                "%s's emitter (bytes matched to 2.1.0 and 0.2.5)\n",
                v / 10000, v / 100 % 100, v % 100, yaml_get_version_string());
        named = true;
    }
    uint8_t h[HDR] = {0};
    size_t hn = size < HDR ? size : HDR;
    memcpy(h, data, hn);
    data += hn, size -= hn;
    unsigned variant =
        h[0] & (NFB_WRITE_PRETTY | NFB_WRITE_ENVELOPE | NFB_WRITE_ARRAY);
    bool yaml_forced = (h[0] & 8) != 0;
    size_t chunk = h[0] >> 4;
    unsigned other_flags = h[1];

    /* First read: the compact JSON, the variant read back, the others. */
    out outs[MAX_WRITERS + 2];
    memset(outs, 0, sizeof outs);
    size_t nouts = 0;
    out_open(&outs[nouts++], "json", 0);
    out_open(&outs[nouts++], "json", variant);
    const nfb_format *f;
    for (size_t i = 0; (f = nfb_format_get(i)) != NULL; i++) {
        if (strcmp(f->name, "json") == 0) continue;
        FUZZ_CHECK(nouts < MAX_WRITERS + 2);
        out_open(&outs[nouts++], f->name, other_flags);
    }
    size_t yaml_ref = nouts;
    FUZZ_CHECK(nouts < MAX_WRITERS + 2);
    out_open_emitter(&outs[nouts++], other_flags);
    pass p1 = {outs, nouts, 0, 0, true, {0}};
    read_into(&p1, data, size, chunk, on_diag, 0);
    for (size_t i = 0; i < nouts; i++)
        out_close(&outs[i]);
    check_json_yajl(data, size, chunk, variant, &outs[0].m, &outs[1].m);
    for (size_t i = 2; i < nouts; i++) {
        if (strcmp(outs[i].name, "yaml") == 0) {
            check_yaml_emitter(&outs[i].m, &outs[yaml_ref].m, other_flags);
            check_yaml(&outs[i].m, &p1.strings);
            check_yaml_back(&outs[i].m, other_flags, &outs[0].m, p1.records,
                            chunk, yaml_forced);
        } else if (strcmp(outs[i].name, "csv") == 0)
            check_csv(&outs[i].m, p1.records, other_flags);
    }

    /* Second read, of the variant, into compact JSON again. */
    out again = {0};
    out_open(&again, "json", 0);
    pass p2 = {&again, 1, 0, 0, false, {0}};
    read_into(&p2, outs[1].m.p, outs[1].m.n, 0, on_diag, 0);
    out_close(&again);

    /* No record, no output: reading nothing back is the one error (an
     * empty input), unless --array wrote "[]". */
    int empty_ok = p1.records == 0 && outs[1].m.n == 0 && p2.errors == 1;
    if ((p2.errors != 0 && !empty_ok) || p2.records != p1.records ||
        again.m.n != outs[0].m.n ||
        (again.m.n && memcmp(again.m.p, outs[0].m.p, again.m.n) != 0)) {
        fprintf(stderr,
                "first: %llu records\n%.*s\nread back (flags %u): %llu "
                "records, %llu errors\n%.*s\n",
                (unsigned long long)p1.records, (int)outs[0].m.n,
                (const char *)outs[0].m.p, variant,
                (unsigned long long)p2.records, (unsigned long long)p2.errors,
                (int)again.m.n, (const char *)again.m.p);
        print_errors(outs[1].m.p, outs[1].m.n, 0, 0);
        FUZZ_CHECK(!"the normalized JSON reads back into the same records");
    }

    for (size_t i = 0; i < nouts; i++)
        free(outs[i].m.p);
    free(again.m.p);
    free(p1.strings.p);
    return 0;
}
