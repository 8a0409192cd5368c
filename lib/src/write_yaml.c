/* YAML on libyaml's emitter: one block-style document per record (or one
 * sequence of all records), a receiver of the record's walk (walk.h), so
 * keys come in the same canonical order as JSON's.
 *
 * A string must come back as the same string from every common loader, so
 * a value is double-quoted when a plain scalar could be read as something
 * else: by any YAML 1.1 or 1.2 loader (PyYAML, ruamel.yaml, js-yaml 3 and 4,
 * the yaml package) as a number, bool, null, timestamp, merge or value key
 * (see "the resolver" below), or as YAML syntax (indicators, ": ", " #",
 * leading or trailing spaces, control and non-printable characters).
 * Everything else stays plain and readable.
 * libyaml may still quote a scalar we ask to be plain when its own analysis
 * forbids plain style; it never makes one plain that we quote. */
#include <limits.h>
#include <yaml.h>

#include "check.h"
#include "writer_impl.h"

typedef struct yaml_writer {
    nfb_writer base;
    yaml_emitter_t em;
    int em_ready; /* em was initialized and must be deleted */
} yaml_writer;

#define TRY(x)                                                                 \
    do {                                                                       \
        int res_ = (x);                                                        \
        if (res_ != NFB_OK) return res_;                                       \
    } while (0)

/* ---- the resolver: would a plain scalar read as something else? ----
 *
 * The loaders disagree: YAML 1.1 ones (PyYAML, ruamel.yaml with %YAML 1.1,
 * js-yaml 3, the yaml package's 1.1 schema) take '_' anywhere in a number,
 * sexagesimal "1:20", "0b1", "017", y/n/yes/no/on/off and timestamps; YAML
 * 1.2 ones take "0o17", "1e3", "09"; several go beyond their own spec
 * (ruamel.yaml reads "._5", "0_9" and "0o1_7" as numbers and fails on "+_",
 * "._" and "0o_"; the yaml package's 1.1 schema reads "e5" and "." as
 * floats). Rather than follow each regular expression, each rule below
 * covers a family as a whole, '_' wherever a digit may be: a string that
 * matches is quoted although a given loader might have read it as a
 * string. Version numbers ("14.5.0"), words and names stay plain. */

static int is_digit(int c)
{
    return c >= '0' && c <= '9';
}
static int is_dec_(int c)
{
    return is_digit(c) || c == '_';
}
static int is_oct_(int c)
{
    return (c >= '0' && c <= '7') || c == '_';
}
static int is_bin_(int c)
{
    return c == '0' || c == '1' || c == '_';
}
static int is_hex_(int c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') ||
           c == '_';
}
static int is_blank(int c)
{
    return c == ' ' || c == '\t';
}

/* The index past the run of characters from i that satisfy ok. */
static size_t skip(const unsigned char *s, size_t i, size_t n, int (*ok)(int))
{
    while (i < n && ok(s[i]))
        i++;
    return i;
}

/* Case-insensitive: is s[0..n) equal to word (lower case)? */
static int word_is(const unsigned char *s, size_t n, const char *word)
{
    size_t i = 0;
    for (; i < n && word[i]; i++) {
        int c = s[i];
        if (c >= 'A' && c <= 'Z') c += 'a' - 'A';
        if (c != word[i]) return 0;
    }
    return i == n && !word[i];
}

/* With D for [0-9_], every int and float of any loader is, after an
 * optional sign, one of
 *   0b[01_]*  0o[0-7_]*  0x[0-9a-fA-F_]*       (also with no digit)
 *   D+ (":" D*)+ ("." D*)?                    sexagesimal
 *   (D+ ("." D*)? | "." D*) ([eE][-+]?D+)?    ints, floats, "." alone
 *   [eE][-+]?D+                               an exponent alone
 *   .inf  .nan                                in any case */
static int number_like(const unsigned char *s, size_t n)
{
    size_t i = n && (s[0] == '-' || s[0] == '+'), j;
    if (i == n) return 0;
    if (s[i] == '0' && i + 1 < n &&
        (s[i + 1] == 'b' || s[i + 1] == 'o' || s[i + 1] == 'x')) {
        int (*ok)(int) = s[i + 1] == 'b'   ? is_bin_
                         : s[i + 1] == 'o' ? is_oct_
                                           : is_hex_;
        return skip(s, i + 2, n, ok) == n;
    }
    j = skip(s, i, n, is_dec_);
    int mantissa = j > i;
    if (mantissa && j < n && s[j] == ':') {
        while (j < n && s[j] == ':')
            j = skip(s, j + 1, n, is_dec_);
        if (j < n && s[j] == '.') j = skip(s, j + 1, n, is_dec_);
        return j == n;
    }
    if (j < n && s[j] == '.') {
        j = skip(s, j + 1, n, is_dec_);
        mantissa = 1;
    }
    if (j == n) return mantissa;
    if (s[j] == 'e' || s[j] == 'E') {
        j += j + 1 < n && (s[j + 1] == '-' || s[j + 1] == '+') ? 2 : 1;
        size_t k = skip(s, j, n, is_dec_);
        return k > j && k == n;
    }
    return word_is(s + i, n - i, ".inf") || word_is(s + i, n - i, ".nan");
}

/* The union of the loaders' timestamp patterns (where PyYAML and js-yaml
 * want two digits, the yaml package takes one or two):
 *   [0-9]{4}-[0-9]{1,2}-[0-9]{1,2}
 *   ( ([Tt]|[ \t]+) [0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2} (\.[0-9]*)?
 *     ([ \t]* (Z | [-+][0-9]{1,2}(:[0-9]{2})?))? )?
 * Every match is quoted, valid date or not (PyYAML fails on a match it
 * cannot turn into a date). A lower-case z matches no loader's pattern. */
static int digits(const unsigned char *s, size_t *i, size_t n, size_t min,
                  size_t max)
{
    size_t k = 0;
    while (*i < n && k < max && is_digit(s[*i]))
        (*i)++, k++;
    return k >= min && (*i == n || !is_digit(s[*i]));
}

/* digits, then sep (when not 0) */
static int field(const unsigned char *s, size_t *i, size_t n, size_t min,
                 size_t max, int sep)
{
    if (!digits(s, i, n, min, max)) return 0;
    if (!sep) return 1;
    return *i < n && s[(*i)++] == sep;
}

static int date_like(const unsigned char *s, size_t n)
{
    size_t i = 0;
    if (!field(s, &i, n, 4, 4, '-') || !field(s, &i, n, 1, 2, '-') ||
        !field(s, &i, n, 1, 2, 0))
        return 0;
    if (i == n) return 1;
    if (s[i] == 'T' || s[i] == 't')
        i++;
    else if (is_blank(s[i]))
        i = skip(s, i, n, is_blank);
    else
        return 0;
    if (!field(s, &i, n, 1, 2, ':') || !field(s, &i, n, 1, 2, ':') ||
        !field(s, &i, n, 1, 2, 0))
        return 0;
    if (i < n && s[i] == '.') i = skip(s, i + 1, n, is_digit);
    i = skip(s, i, n, is_blank);
    if (i == n) return 1;
    if (s[i] == 'Z') return i + 1 == n;
    if (s[i] != '-' && s[i] != '+') return 0;
    i++;
    if (!field(s, &i, n, 1, 2, 0)) return 0;
    if (i < n && s[i] == ':') {
        i++;
        if (!field(s, &i, n, 2, 2, 0)) return 0;
    }
    return i == n;
}

/* Would a loader resolve plain s as a non-string? */
static int resolves_to_non_string(const unsigned char *s, size_t n)
{
    /* null, bool (YAML 1.1's among them), merge and value, in any case */
    static const char *const words[] = {"~",    "null",  "yes", "no",
                                        "on",   "off",   "y",   "n",
                                        "true", "false", "<<",  "="};
    if (n <= 5)
        for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
            if (word_is(s, n, words[i])) return 1;
    int c = s[0];
    if (!is_digit(c) && c != '-' && c != '+' && c != '.' && c != 'e' &&
        c != 'E')
        return 0;
    return number_like(s, n) || date_like(s, n);
}

/* Returns 1 when s must be double-quoted, 0 when it may be plain, -1 when
 * it is not valid UTF-8 (which no YAML stream can carry). */
static int needs_quotes(const unsigned char *s, size_t n)
{
    if (n == 0 || s[0] == ' ' || s[n - 1] == ' ' || s[n - 1] == ':') return 1;
    if (strchr("-?:,[]{}#&*!|>'\"%@`", s[0])) return 1;
    /* "---" and "..." open and close documents. */
    if (n >= 3 && (s[0] == '-' || s[0] == '.') && s[1] == s[0] && s[2] == s[0])
        return 1;
    int quote = 0;
    for (size_t i = 0; i < n;) {
        unsigned c = s[i];
        if (c < 0x80) {
            if (c < 0x20 || c == 0x7f) quote = 1;
            if (c == ':' && i + 1 < n && s[i + 1] == ' ') quote = 1;
            if (c == ' ' && i + 1 < n && s[i + 1] == '#') quote = 1;
            i++;
            continue;
        }
        /* Strict UTF-8, decoding the code point (check.c). */
        uint32_t cp;
        size_t len = nfb__utf8_decode(s + i, n - i, &cp);
        if (!len) return -1;
        /* Not printable in YAML, or a line break to YAML 1.1: C1 controls
         * (NEL among them), U+2028, U+2029, the BOM, U+FFFE, U+FFFF. */
        if (cp <= 0x9f || cp == 0x2028 || cp == 0x2029 || cp == 0xfeff ||
            cp == 0xfffe || cp == 0xffff)
            quote = 1;
        i += len;
    }
    return quote || resolves_to_non_string(s, n);
}

/* ---- emitting ---- */

static int on_output(void *data, unsigned char *buf, size_t len)
{
    nfb_writer *w = data;
    return nfb__sink_put(&w->sink, buf, len) == 0;
}

static int emit(yaml_writer *y, yaml_event_t *ev)
{
    /* yaml_emitter_emit owns the event from here, on failure too. */
    if (yaml_emitter_emit(&y->em, ev)) return NFB_OK;
    return y->em.error == YAML_MEMORY_ERROR ? NFB_ENOMEM : NFB_EWRITE;
}

static int scalar(yaml_writer *y, const char *s, size_t n,
                  yaml_scalar_style_t style)
{
    yaml_event_t ev;
    if (n > INT_MAX) return NFB_EINVAL;
    if (!yaml_scalar_event_initialize(
            &ev, NULL, NULL, (yaml_char_t *)(s ? s : ""), (int)n, 1, 1, style))
        return NFB_ENOMEM; /* the text is valid UTF-8: only malloc fails */
    return emit(y, &ev);
}

#define KEY(y, k) scalar(y, k, sizeof k - 1, YAML_PLAIN_SCALAR_STYLE)

static int str(yaml_writer *y, nfb_str v)
{
    int q = needs_quotes((const unsigned char *)v.ptr, v.len);
    if (q < 0) return NFB_EINVAL;
    return scalar(y, v.ptr, v.len,
                  q ? YAML_DOUBLE_QUOTED_SCALAR_STYLE
                    : YAML_PLAIN_SCALAR_STYLE);
}

/* A JSON number as a plain YAML number of the same value and type. PyYAML
 * reads an exponent only after a '.' and with a sign ("1.0e+3"; "1e3" would
 * be a string), so those are added; integers and decimals stay as written. */
static int number(yaml_writer *y, nfb_str v)
{
    if (!v.len) return NFB_EINVAL;
    const char *e = memchr(v.ptr, 'e', v.len);
    if (!e) e = memchr(v.ptr, 'E', v.len);
    if (!e) return scalar(y, v.ptr, v.len, YAML_PLAIN_SCALAR_STYLE);
    size_t head = (size_t)(e - v.ptr), tail = v.len - head - 1;
    int dot = memchr(v.ptr, '.', head) != NULL;
    int sgn = tail && (e[1] == '-' || e[1] == '+');
    char small[128], *buf = small;
    size_t n = v.len + 3;
    if (n > sizeof small && !(buf = nfb__malloc(&y->base.alloc, n)))
        return NFB_ENOMEM;
    size_t k = 0;
    memcpy(buf, v.ptr, head), k = head;
    if (!dot) memcpy(buf + k, ".0", 2), k += 2;
    buf[k++] = *e;
    if (!sgn) buf[k++] = '+';
    memcpy(buf + k, e + 1, tail), k += tail;
    int res = scalar(y, buf, k, YAML_PLAIN_SCALAR_STYLE);
    if (buf != small) nfb__free(&y->base.alloc, buf);
    return res;
}

static int mapping_start(yaml_writer *y)
{
    yaml_event_t ev;
    yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
                                        YAML_BLOCK_MAPPING_STYLE);
    return emit(y, &ev);
}

static int mapping_end(yaml_writer *y)
{
    yaml_event_t ev;
    yaml_mapping_end_event_initialize(&ev);
    return emit(y, &ev);
}

static int sequence_start(yaml_writer *y)
{
    yaml_event_t ev;
    yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
                                         YAML_BLOCK_SEQUENCE_STYLE);
    return emit(y, &ev);
}

static int sequence_end(yaml_writer *y)
{
    yaml_event_t ev;
    yaml_sequence_end_event_initialize(&ev);
    return emit(y, &ev);
}

static int document_start(yaml_writer *y)
{
    yaml_event_t ev;
    /* Not implicit: every document opens with "---". */
    yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 0);
    return emit(y, &ev);
}

static int document_end(yaml_writer *y)
{
    yaml_event_t ev;
    yaml_document_end_event_initialize(&ev, 1);
    return emit(y, &ev);
}

/* ---- the receiver of the record's walk (walk.h) ---- */

static int begin_object(void *ctx)
{
    return mapping_start(ctx);
}

static int end_object(void *ctx)
{
    return mapping_end(ctx);
}

static int begin_array(void *ctx)
{
    return sequence_start(ctx);
}

static int end_array(void *ctx)
{
    return sequence_end(ctx);
}

/* Keys and enum names: plain, they are a few fixed words. */
static int word(void *ctx, const char *s, size_t len)
{
    return scalar(ctx, s, len, YAML_PLAIN_SCALAR_STYLE);
}

static int name(void *ctx, nfb_str s)
{
    return word(ctx, s.ptr, s.len);
}

static int string(void *ctx, nfb_str v)
{
    return str(ctx, v);
}

static int number_value(void *ctx, nfb_str text)
{
    return number(ctx, text);
}

static const nfb__walk_ops ops = {.begin_object = begin_object,
                                  .end_object = end_object,
                                  .begin_array = begin_array,
                                  .end_array = end_array,
                                  .key = word,
                                  .string = string,
                                  .number = number_value,
                                  .name = name};

static int init(nfb_writer *w, const nfb_writer_options *o, char *err,
                size_t errlen)
{
    (void)o, (void)err, (void)errlen;
    yaml_writer *y = (yaml_writer *)w;
    if (!yaml_emitter_initialize(&y->em)) return NFB_ENOMEM;
    y->em_ready = 1;
    yaml_emitter_set_output(&y->em, on_output, w);
    yaml_emitter_set_encoding(&y->em, YAML_UTF8_ENCODING);
    yaml_emitter_set_unicode(&y->em, 1); /* UTF-8 text as is, not \u */
    yaml_emitter_set_width(&y->em, -1);  /* never fold long strings */
    yaml_emitter_set_indent(&y->em, 2);
    yaml_emitter_set_break(&y->em, YAML_LN_BREAK);
    return NFB_OK;
}

static int begin(nfb_writer *w)
{
    yaml_writer *y = (yaml_writer *)w;
    yaml_event_t ev;
    yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
    TRY(emit(y, &ev));
    if (w->flags & NFB_WRITE_ARRAY) {
        TRY(document_start(y));
        TRY(sequence_start(y));
    }
    return NFB_OK;
}

static int write_record(nfb_writer *w, const nfb_backup *b)
{
    yaml_writer *y = (yaml_writer *)w;
    int array = (w->flags & NFB_WRITE_ARRAY) != 0;
    int env = (w->flags & NFB_WRITE_ENVELOPE) != 0;
    if (!array) TRY(document_start(y));
    if (env) {
        TRY(mapping_start(y));
        TRY(KEY(y, "data"));
    }
    TRY(nfb__walk(b, &ops, y));
    if (env) TRY(mapping_end(y));
    if (!array) TRY(document_end(y)); /* also flushes into the sink */
    return NFB_OK;
}

static int end(nfb_writer *w)
{
    yaml_writer *y = (yaml_writer *)w;
    if (w->flags & NFB_WRITE_ARRAY) {
        TRY(sequence_end(y));
        TRY(document_end(y));
    }
    yaml_event_t ev;
    yaml_stream_end_event_initialize(&ev);
    TRY(emit(y, &ev));
    return yaml_emitter_flush(&y->em) ? NFB_OK : NFB_EWRITE;
}

static void destroy(nfb_writer *w)
{
    yaml_writer *y = (yaml_writer *)w;
    if (y->em_ready) yaml_emitter_delete(&y->em);
}

const nfb__writer_class nfb__yaml_writer = {
    .info = {"yaml", "YAML: one document per record, or --array, --envelope"},
    .size = sizeof(yaml_writer),
    .init = init,
    .begin = begin,
    .record = write_record,
    .end = end,
    .free = destroy};
