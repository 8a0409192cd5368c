/* YAML: one block-style document per record (or one sequence of all
 * records), a receiver of the record's walk (walk.h), so keys come in the
 * same canonical order as JSON's.
 *
 * The text is libyaml's emitter's, byte for byte: the fast path below
 * writes the block layout of a record itself, the emitter being ~70% of
 * the job's time otherwise, and leaves to the emitter what it does not
 * know how to write (see "the fast path"). The emitter stays the reference
 * (nfb__yaml_writer_use_emitter, write_yaml.h), and the tests and the
 * round-trip fuzzer compare the two.
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

#include "common/check.h"
#include "write_yaml.h"
#include "writer_impl.h"
#include "yaml_text.h"

extern const nfb__writer_class nfb__yaml_writer;

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

static inline int is_digit(int c)
{
    return c >= '0' && c <= '9';
}
static inline int is_dec_(int c)
{
    return is_digit(c) || c == '_';
}
static inline int is_oct_(int c)
{
    return (c >= '0' && c <= '7') || c == '_';
}
static inline int is_bin_(int c)
{
    return c == '0' || c == '1' || c == '_';
}
static inline int is_hex_(int c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') ||
           c == '_';
}
static inline int is_blank(int c)
{
    return c == ' ' || c == '\t';
}

/* The index past the run of characters from i that satisfy ok. Inline,
 * so that ok is a direct test rather than a call per character: the
 * resolver runs for every string written. */
static inline size_t skip(const unsigned char *s, size_t i, size_t n,
                          int (*ok)(int))
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

/* Is s[0..19) "DDDD-DD-DDTDD:DD:DD" (T or t) with no digit after it: the
 * shape of the date-times of a record, which date_like would take to the
 * same point one field at a time. */
static int date_time_prefix(const unsigned char *s, size_t n)
{
    static const char shape[] = "dddd-dd-ddTdd:dd:dd";
    if (n < 19 || (n > 19 && is_digit(s[19]))) return 0;
    unsigned bad = 0;
    for (size_t i = 0; i < 19; i++) {
        unsigned c = s[i];
        bad |= shape[i] == 'd'   ? c - '0' > 9u
               : shape[i] == 'T' ? (c | 0x20) != 't'
                                 : c != (unsigned char)shape[i];
    }
    return !bad;
}

static int date_like(const unsigned char *s, size_t n)
{
    size_t i = 0;
    if (date_time_prefix(s, n)) {
        i = 19;
        goto seconds_read;
    }
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
seconds_read:
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
    int c = s[0] | 0x20; /* lower case for letters */
    if (n <= 5 && strchr("~nyotf<=", c))
        for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
            if (word_is(s, n, words[i])) return 1;
    c = s[0];
    if (!is_digit(c) && c != '-' && c != '+' && c != '.' && c != 'e' &&
        c != 'E')
        return 0;
    return number_like(s, n) || date_like(s, n);
}

/* A YAML indicator that may not begin a plain scalar (or NUL). */
static int indicator(int c)
{
    switch (c) {
    case 0:
    case '-':
    case '?':
    case ':':
    case ',':
    case '[':
    case ']':
    case '{':
    case '}':
    case '#':
    case '&':
    case '*':
    case '!':
    case '|':
    case '>':
    case '\'':
    case '"':
    case '%':
    case '@':
    case '`':
        return 1;
    default:
        return 0;
    }
}

/* Has x, the 8 bytes at s, a byte that needs_quotes looks at: a control,
 * DEL, a byte of a multi-byte character, or ": " or " #" starting there?
 * When there are 9 bytes, the pairs are told from a lone ':' or ' ' with
 * the 8 bytes from s + 1 (the same byte positions as x, one further). */
static int looked_at8(const unsigned char *s, size_t n)
{
    uint64_t x = nfb__load8(s);
    uint64_t odd = nfb__bytes_lt_or_high(x, 0x20) | nfb__bytes_eq(x, 0x7f);
    if (n < 9)
        return (odd | nfb__bytes_eq(x, ':') | nfb__bytes_eq(x, ' ')) != 0;
    uint64_t y = nfb__load8(s + 1);
    uint64_t pairs = (nfb__bytes_eq(x, ':') & nfb__bytes_eq(y, ' ')) |
                     (nfb__bytes_eq(x, ' ') & nfb__bytes_eq(y, '#'));
    return (odd | pairs) != 0;
}

/* Returns 1 when s must be double-quoted, 0 when it may be plain. s is
 * strict UTF-8: needs_quotes is called on a string field's text only, as
 * the walk gives it (ops.string), and nfb_writer_record walks no record
 * that the record check refused (writer.c); that check (check_record.c) tests
 * every string the walk can give, a date-time's text and the strings of
 * array elements included, with the same UTF-8 rule (utf8.c). */
static int needs_quotes(const unsigned char *s, size_t n)
{
    if (n == 0 || s[0] == ' ' || s[n - 1] == ' ' || s[n - 1] == ':') return 1;
    if (indicator(s[0])) return 1;
    /* "---" and "..." open and close documents. */
    if (n >= 3 && (s[0] == '-' || s[0] == '.') && s[1] == s[0] && s[2] == s[0])
        return 1;
    /* The resolver's words and patterns are ASCII, so a match is valid
     * UTF-8 and quoted whatever the scan below would find: dates and
     * numbers skip it. */
    if (resolves_to_non_string(s, n)) return 1;
    int quote = 0;
    for (size_t i = 0, stop = 0; i < n;) {
        /* Most bytes: printable ASCII, with no ": " or " #". Eight such
         * bytes are skipped at once; otherwise the eight are looked at one
         * by one. */
        if (i >= stop) {
            if (n - i >= 8 && !looked_at8(s + i, n - i)) {
                i += 8;
                continue;
            }
            stop = i + 8;
        }
        unsigned c = s[i];
        if (c - 0x21u < 0x7f - 0x21u && c != ':') {
            i++;
            continue;
        }
        if (c < 0x80) {
            if (c < 0x20 || c == 0x7f) quote = 1;
            if (c == ':' && i + 1 < n && s[i + 1] == ' ') quote = 1;
            if (c == ' ' && i + 1 < n && s[i + 1] == '#') quote = 1;
            i++;
            continue;
        }
        /* A well-formed character (see above): its lead byte gives its
         * length. */
        size_t len = c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
        uint32_t cp = c & (0x7fu >> len);
        for (size_t k = 1; k < len; k++)
            cp = cp << 6 | (s[i + k] & 0x3fu);
        /* Not printable in YAML, or a line break to YAML 1.1: C1 controls
         * (NEL among them), U+2028, U+2029, the BOM, U+FFFE, U+FFFF. Past
         * U+FFFF: printable, but not to libyaml's emitter, which would
         * quote it anyway (and the fast path relies on plain meaning
         * plain). */
        if (cp <= 0x9f || cp == 0x2028 || cp == 0x2029 || cp == 0xfeff ||
            cp == 0xfffe || cp == 0xffff || cp > 0xffff)
            quote = 1;
        i += len;
    }
    return quote;
}

/* ---- the text of a number ---- */

/* A JSON number is written as a plain YAML number of the same value and
 * type. PyYAML reads an exponent only after a '.' and with a sign ("1.0e+3";
 * "1e3" would be a string), so those are added; integers and decimals stay
 * as written. */
typedef struct number_text {
    char small[128];
    char *ptr; /* v's text, small, or allocated */
    size_t len;
    int owned; /* ptr was allocated */
} number_text;

static int number_text_make(number_text *t, nfb_str v, const nfb_allocator *a)
{
    if (!v.len) return NFB_EINVAL;
    t->ptr = (char *)v.ptr, t->len = v.len, t->owned = 0;
    const char *e = memchr(v.ptr, 'e', v.len);
    if (!e) e = memchr(v.ptr, 'E', v.len);
    if (!e) return NFB_OK;
    size_t head = (size_t)(e - v.ptr), tail = v.len - head - 1;
    int dot = memchr(v.ptr, '.', head) != NULL;
    int sgn = tail && (e[1] == '-' || e[1] == '+');
    size_t n = v.len + 3;
    char *buf = t->small;
    if (n > sizeof t->small && !(buf = nfb__malloc(a, n))) return NFB_ENOMEM;
    size_t k = 0;
    memcpy(buf, v.ptr, head), k = head;
    if (!dot) memcpy(buf + k, ".0", 2), k += 2;
    buf[k++] = *e;
    if (!sgn) buf[k++] = '+';
    memcpy(buf + k, e + 1, tail), k += tail;
    t->ptr = buf, t->len = k, t->owned = buf != t->small;
    return NFB_OK;
}

static void number_text_free(number_text *t, const nfb_allocator *a)
{
    if (t->owned) nfb__free(a, t->ptr);
}

/* ---- the reference path: libyaml's emitter ----
 *
 * Events in, text out through the emitter's output handler: the whole
 * output when a test asks for it (nfb__yaml_writer_use_emitter), and the
 * records the fast path leaves to it (redo_record). */

typedef struct emitter {
    yaml_emitter_t em;
    int ready; /* em was initialized and must be deleted */
    const nfb_allocator *alloc;
} emitter;

static int emitter_open(emitter *e, const nfb_allocator *a,
                        yaml_write_handler_t *output, void *data)
{
    e->alloc = a;
    if (!yaml_emitter_initialize(&e->em)) return NFB_ENOMEM;
    e->ready = 1;
    yaml_emitter_set_output(&e->em, output, data);
    yaml_emitter_set_encoding(&e->em, YAML_UTF8_ENCODING);
    yaml_emitter_set_unicode(&e->em, 1); /* UTF-8 text as is, not \u */
    yaml_emitter_set_width(&e->em, -1);  /* never fold long strings */
    yaml_emitter_set_indent(&e->em, 2);
    yaml_emitter_set_break(&e->em, YAML_LN_BREAK);
    return NFB_OK;
}

static void emitter_close(emitter *e)
{
    if (e->ready) yaml_emitter_delete(&e->em);
    e->ready = 0;
}

static int emit(emitter *e, yaml_event_t *ev)
{
    /* yaml_emitter_emit owns the event from here, on failure too. */
    if (yaml_emitter_emit(&e->em, ev)) return NFB_OK;
    return e->em.error == YAML_MEMORY_ERROR ? NFB_ENOMEM : NFB_EWRITE;
}

static int scalar(emitter *e, const char *s, size_t n,
                  yaml_scalar_style_t style)
{
    yaml_event_t ev;
    if (n > INT_MAX) return NFB_EINVAL;
    /* Fails on text that is not UTF-8, which the record check (check_record.c)
     * leaves to no string and no number's text, or when malloc does. */
    if (!yaml_scalar_event_initialize(
            &ev, NULL, NULL, (yaml_char_t *)(s ? s : ""), (int)n, 1, 1, style))
        return NFB_ENOMEM;
    return emit(e, &ev);
}

#define KEY(e, k) scalar(e, k, sizeof k - 1, YAML_PLAIN_SCALAR_STYLE)

static int mapping_start(emitter *e)
{
    yaml_event_t ev;
    yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
                                        YAML_BLOCK_MAPPING_STYLE);
    return emit(e, &ev);
}

static int mapping_end(emitter *e)
{
    yaml_event_t ev;
    yaml_mapping_end_event_initialize(&ev);
    return emit(e, &ev);
}

static int sequence_start(emitter *e)
{
    yaml_event_t ev;
    yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
                                         YAML_BLOCK_SEQUENCE_STYLE);
    return emit(e, &ev);
}

static int sequence_end(emitter *e)
{
    yaml_event_t ev;
    yaml_sequence_end_event_initialize(&ev);
    return emit(e, &ev);
}

static int document_start(emitter *e)
{
    yaml_event_t ev;
    /* Not implicit: every document opens with "---". */
    yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 0);
    return emit(e, &ev);
}

static int document_end(emitter *e)
{
    yaml_event_t ev;
    yaml_document_end_event_initialize(&ev, 1);
    return emit(e, &ev);
}

/* The walk's receiver (walk.h) on the emitter. */

static int ref_begin_object(void *ctx)
{
    return mapping_start(ctx);
}

static int ref_end_object(void *ctx)
{
    return mapping_end(ctx);
}

static int ref_begin_array(void *ctx)
{
    return sequence_start(ctx);
}

static int ref_end_array(void *ctx)
{
    return sequence_end(ctx);
}

/* Keys and enum names: plain, they are a few fixed words. */
static int ref_word(void *ctx, const char *s, size_t len)
{
    return scalar(ctx, s, len, YAML_PLAIN_SCALAR_STYLE);
}

static int ref_name(void *ctx, nfb_str s)
{
    return ref_word(ctx, s.ptr, s.len);
}

static int ref_string(void *ctx, nfb_str v)
{
    int q = needs_quotes((const unsigned char *)v.ptr, v.len);
    return scalar(ctx, v.ptr, v.len,
                  q ? YAML_DOUBLE_QUOTED_SCALAR_STYLE
                    : YAML_PLAIN_SCALAR_STYLE);
}

static int ref_number(void *ctx, nfb_str v)
{
    emitter *e = ctx;
    number_text t;
    int res = number_text_make(&t, v, e->alloc);
    if (res != NFB_OK) return res;
    res = scalar(e, t.ptr, t.len, YAML_PLAIN_SCALAR_STYLE);
    number_text_free(&t, e->alloc);
    return res;
}

static const nfb__walk_ops ref_ops = {.begin_object = ref_begin_object,
                                      .end_object = ref_end_object,
                                      .begin_array = ref_begin_array,
                                      .end_array = ref_end_array,
                                      .key = ref_word,
                                      .string = ref_string,
                                      .number = ref_number,
                                      .name = ref_name};

/* The stream in the layout of flags (NFB_WRITE_ARRAY, NFB_WRITE_ENVELOPE):
 * ref_begin, ref_record for each record, ref_end. */

static int ref_begin(emitter *e, unsigned flags)
{
    yaml_event_t ev;
    yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
    TRY(emit(e, &ev));
    if (flags & NFB_WRITE_ARRAY) {
        TRY(document_start(e));
        TRY(sequence_start(e));
    }
    return NFB_OK;
}

static int ref_record(emitter *e, unsigned flags, const nfb_backup *b)
{
    int array = (flags & NFB_WRITE_ARRAY) != 0;
    int env = (flags & NFB_WRITE_ENVELOPE) != 0;
    if (!array) TRY(document_start(e));
    if (env) {
        TRY(mapping_start(e));
        TRY(KEY(e, "data"));
    }
    TRY(nfb__walk(b, &ref_ops, e));
    if (env) TRY(mapping_end(e));
    if (!array) TRY(document_end(e)); /* also flushes the output */
    return NFB_OK;
}

static int ref_end(emitter *e, unsigned flags)
{
    if (flags & NFB_WRITE_ARRAY) {
        TRY(sequence_end(e));
        TRY(document_end(e));
    }
    yaml_event_t ev;
    yaml_stream_end_event_initialize(&ev);
    TRY(emit(e, &ev));
    return yaml_emitter_flush(&e->em) ? NFB_OK : NFB_EWRITE;
}

/* ---- the fast path: the block layout written directly ----
 *
 * A record is written into the writer's text buffer, then into the sink in
 * one piece, with the bytes the emitter would write (yaml_text.h for the
 * scalars). The layout, from emitter.c's block states with indent 2:
 *
 *   - a mapping's keys sit at its indent, each on a new line; a mapping
 *     that is a key's value is indented 2 more than that key;
 *   - a sequence that is a key's value is not indented: its '-' sit at the
 *     key's column ("indentless"); the root sequence's at column 0;
 *   - a mapping that is a sequence item is indented 2 more than its '-',
 *     its first key on the '-' line after one space;
 *   - an empty mapping or sequence is "{}" or "[]" after a space;
 *   - a scalar value follows its key's ':' after a space;
 *   - a document opens with "---" and ends with a line break, no "...".
 *
 * The emitter writes a line break when the next line begins, not when one
 * ends, which is why a record's text starts with one and the stream's last
 * line break comes from the end of the document.
 *
 * Anything else (a scalar the emitter would single-quote, a key it would
 * write after "? ", a shape the walk does not make, nesting deeper than the
 * frames) stops the walk with REDO, and the record is written again by the
 * emitter (redo_record). */

/* A step of the fast path returns NFB_OK, the nfb_result of an error,
 * or REDO: a value of its own type, outside nfb_result's range (not
 * NFB_STOPPED's 1), so that it cannot be taken for a result of the API
 * nor escape as one (write_record turns it into the emitter's result). */
typedef enum fast_redo { REDO = 0x100 } fast_redo;

enum { MAX_FRAMES = 16 };

typedef enum frame_kind { DOC, MAP, SEQ } frame_kind;

typedef struct frame {
    frame_kind kind;
    int item;      /* a mapping that is a sequence item */
    size_t indent; /* the column of its keys or of its '-' */
    size_t count;  /* keys or items so far */
} frame;

typedef struct yaml_writer {
    nfb_writer base;
    int use_emitter; /* the reference path for the whole output */
    emitter ref;     /* its emitter */
    nfb__buf text;   /* the fast path: the text of a record */
    int text_oom;    /* the emitter's output into text ran out of memory */
    frame stack[MAX_FRAMES];
    int depth;
    int words_plain;  /* the schema's keys and enum names are all plain */
    uint64_t emitted; /* records written by an emitter */
} yaml_writer;

/* Room for n more bytes of text: where to write them, or NULL when out of
 * memory. */
static unsigned char *room(yaml_writer *y, size_t n)
{
    nfb__buf *t = &y->text;
    if (NFB_UNLIKELY(n > t->cap - t->len) &&
        nfb__buf_reserve(t, &y->base.alloc, t->len + n) != NFB_OK)
        return NULL;
    return t->ptr + t->len;
}

static int put(yaml_writer *y, const void *s, size_t n)
{
    unsigned char *o = room(y, n);
    if (!o) return NFB_ENOMEM;
    memcpy(o, s, n);
    y->text.len += n;
    return NFB_OK;
}

/* A line break and indent spaces, then s[0..n). */
static int line(yaml_writer *y, size_t indent, const char *s, size_t n)
{
    unsigned char *o = room(y, 1 + indent + n);
    if (!o) return NFB_ENOMEM;
    o[0] = '\n';
    memset(o + 1, ' ', indent);
    memcpy(o + 1 + indent, s, n);
    y->text.len += 1 + indent + n;
    return NFB_OK;
}

/* Spaces, for an indentation of at most SPACES in one move. */
enum { SPACES = 32 };
static const char spaces[SPACES + 1] = "                                ";
_Static_assert(sizeof spaces == SPACES + 1, "SPACES spaces");

/* memcpy for the few bytes of a key or a word, without a call: two
 * overlapping moves of a fixed size cover 4 to 16 bytes. Returns the end. */
static unsigned char *copy_short(unsigned char *d, const void *src, size_t n)
{
    const unsigned char *s = src;
    if (n > 16) {
        memcpy(d, s, n);
    } else if (n >= 8) {
        memcpy(d, s, 8);
        memcpy(d + n - 8, s + n - 8, 8);
    } else if (n >= 4) {
        memcpy(d, s, 4);
        memcpy(d + n - 4, s + n - 4, 4);
    } else {
        for (size_t i = 0; i < n; i++)
            d[i] = s[i];
    }
    return d + n;
}

static int push(yaml_writer *y, frame f)
{
    if (y->depth + 1 >= MAX_FRAMES) return REDO;
    y->stack[++y->depth] = f;
    return NFB_OK;
}

/* A mapping or sequence in the place of the next value: after a key, as
 * a sequence item, or at the root of a document. */
static int open_node(yaml_writer *y, frame_kind kind)
{
    frame *top = &y->stack[y->depth];
    frame f = {kind, 0, 0, 0};
    if (top->kind == SEQ) {
        if (kind != MAP) return REDO;
        TRY(line(y, top->indent, "-", 1));
        top->count++;
        f.indent = top->indent + 2;
        f.item = 1;
    } else if (top->kind == MAP) {
        f.indent = kind == MAP ? top->indent + 2 : top->indent;
    } else {
        if (kind != MAP || top->count++) return REDO;
    }
    return push(y, f);
}

/* The end of the mapping or sequence on top: "{}" or "[]" when empty. */
static int close_node(yaml_writer *y)
{
    frame *top = &y->stack[y->depth--];
    if (top->count) return NFB_OK;
    return put(y, top->kind == MAP ? " {}" : " []", 3);
}

static int fast_begin_object(void *ctx)
{
    return open_node(ctx, MAP);
}

static int fast_begin_array(void *ctx)
{
    return open_node(ctx, SEQ);
}

static int fast_end(void *ctx)
{
    return close_node(ctx);
}

static int fast_key(void *ctx, const char *s, size_t n)
{
    yaml_writer *y = ctx;
    frame *top = &y->stack[y->depth];
    if (top->kind != MAP) return REDO;
    if (!y->words_plain && nfb__yaml_plain_style((const unsigned char *)s, n,
                                                 1) != NFB__YAML_PLAIN)
        return REDO;
    /* The first key of an item follows its '-' and a space. */
    int on_dash = top->count++ == 0 && top->item;
    size_t indent = on_dash ? 0 : top->indent;
    /* the spaces copied as a fixed SPACES bytes when they are fewer */
    unsigned char *o = room(y, 1 + SPACES + indent + n + 1), *start = o;
    if (!o) return NFB_ENOMEM;
    *o++ = on_dash ? ' ' : '\n';
    if (NFB_LIKELY(indent <= SPACES))
        memcpy(o, spaces, SPACES);
    else
        memset(o, ' ', indent);
    o = copy_short(o + indent, s, n);
    *o++ = ':';
    y->text.len += (size_t)(o - start);
    return NFB_OK;
}

/* A scalar value after its key's ':', in the style st. */
static int value(yaml_writer *y, const char *s, size_t n, nfb__yaml_style st)
{
    if (y->stack[y->depth].kind != MAP || st == NFB__YAML_OTHER) return REDO;
    if (n > INT_MAX) return NFB_EINVAL; /* as the emitter path says */
    const unsigned char *u = (const unsigned char *)s;
    size_t max = 1 + (st == NFB__YAML_PLAIN ? n : nfb__yaml_quoted_max(n));
    unsigned char *o = room(y, max);
    if (!o) return NFB_ENOMEM;
    o[0] = ' ';
    if (st == NFB__YAML_PLAIN) {
        copy_short(o + 1, s, n);
        y->text.len += 1 + n;
        return NFB_OK;
    }
    size_t len = nfb__yaml_quote(o + 1, u, n);
    if (!len) return REDO; /* not UTF-8: the emitter's error */
    y->text.len += 1 + len;
    return NFB_OK;
}

/* A word asked for plain (an enum name, a number's text). */
static int fast_plain(yaml_writer *y, const char *s, size_t n)
{
    return value(y, s, n,
                 nfb__yaml_plain_style((const unsigned char *)s, n, 0));
}

static int fast_name(void *ctx, nfb_str s)
{
    yaml_writer *y = ctx;
    if (y->words_plain) return value(y, s.ptr, s.len, NFB__YAML_PLAIN);
    return fast_plain(y, s.ptr, s.len);
}

static int fast_number(void *ctx, nfb_str v)
{
    yaml_writer *y = ctx;
    number_text t;
    int res = number_text_make(&t, v, &y->base.alloc);
    if (res != NFB_OK) return res;
    res = fast_plain(y, t.ptr, t.len);
    number_text_free(&t, &y->base.alloc);
    return res;
}

static int fast_string(void *ctx, nfb_str v)
{
    /* needs_quotes also quotes what the emitter cannot write plain. */
    int q = needs_quotes((const unsigned char *)v.ptr, v.len);
    return value(ctx, v.ptr, v.len, q ? NFB__YAML_DOUBLE : NFB__YAML_PLAIN);
}

static const nfb__walk_ops fast_ops = {.begin_object = fast_begin_object,
                                       .end_object = fast_end,
                                       .begin_array = fast_begin_array,
                                       .end_array = fast_end,
                                       .key = fast_key,
                                       .string = fast_string,
                                       .number = fast_number,
                                       .name = fast_name};

/* The text of record b into y->text: NFB_OK, an error, or REDO. */
static int fast_record(yaml_writer *y, const nfb_backup *b)
{
    unsigned flags = y->base.flags;
    int array = (flags & NFB_WRITE_ARRAY) != 0;
    y->text.len = 0;
    y->depth = 0;
    /* In a sequence, the record is an item of the root sequence, whose
     * "---" and last line break begin() and end() write. */
    y->stack[0] = (frame){array ? SEQ : DOC, 0, 0, 0};
    if (!array) TRY(put(y, "---", 3));
    if (flags & NFB_WRITE_ENVELOPE) {
        TRY(fast_begin_object(y));
        TRY(fast_key(y, "data", 4));
    }
    TRY(nfb__walk(b, &fast_ops, y));
    if (flags & NFB_WRITE_ENVELOPE) TRY(close_node(y));
    if (!array) TRY(put(y, "\n", 1));
    return NFB_OK;
}

/* The emitter's output into y->text. */
static int on_text(void *data, unsigned char *buf, size_t len)
{
    yaml_writer *y = data;
    if (put(y, buf, len) == NFB_OK) return 1;
    y->text_oom = 1;
    return 0;
}

/* The text of record b into y->text, by the emitter: a stream of that one
 * record in the writer's layout, which is the record's document, or in a
 * sequence "---", the record's item and "\n" (the text of an item does not
 * depend on the items around it). */
static int redo_record(yaml_writer *y, const nfb_backup *b)
{
    unsigned flags = y->base.flags;
    emitter e;
    y->text.len = 0;
    y->text_oom = 0;
    int res = emitter_open(&e, &y->base.alloc, on_text, y);
    if (res == NFB_OK) res = ref_begin(&e, flags);
    if (res == NFB_OK) res = ref_record(&e, flags, b);
    if (res == NFB_OK) res = ref_end(&e, flags);
    emitter_close(&e);
    if (y->text_oom) return NFB_ENOMEM;
    if (res != NFB_OK || !(flags & NFB_WRITE_ARRAY)) return res;
    nfb__buf *t = &y->text;
    if (t->len < 4 || memcmp(t->ptr, "---", 3) != 0 ||
        t->ptr[t->len - 1] != '\n')
        return NFB_EWRITE; /* not what the emitter writes */
    memmove(t->ptr, t->ptr + 3, t->len - 4);
    t->len -= 4;
    return NFB_OK;
}

/* ---- the writer ---- */

static int on_output(void *data, unsigned char *buf, size_t len)
{
    nfb_writer *w = data;
    return nfb__sink_put(&w->sink, buf, len) == 0;
}

int nfb__yaml_writer_use_emitter(nfb_writer *w)
{
    if (!w || w->cls != &nfb__yaml_writer || w->begun) return NFB_EINVAL;
    ((yaml_writer *)w)->use_emitter = 1;
    return NFB_OK;
}

/* Are the words the walk writes as keys and enum names, which come from
 * the schema's tables alone, and "data", plain to the emitter? Then the
 * fast path need not look at them again for every record. */
static int schema_words_plain(void)
{
    if (nfb__yaml_plain_style((const unsigned char *)"data", 4, 1) !=
        NFB__YAML_PLAIN)
        return 0;
    for (int k = 0; k < NFB_K_COUNT; k++) {
        const nfb__object *o = &nfb__objects[k];
        for (int i = 0; o->fields && i < o->count; i++) {
            const nfb__field *f = &o->fields[i];
            if (nfb__yaml_plain_style((const unsigned char *)f->name, f->len,
                                      1) != NFB__YAML_PLAIN)
                return 0;
            for (int j = 0; f->type == NFB_T_ENUM && j < f->nenums; j++)
                if (nfb__yaml_plain_style(
                        (const unsigned char *)f->enums[j].ptr, f->enums[j].len,
                        0) != NFB__YAML_PLAIN)
                    return 0;
        }
    }
    return 1;
}

uint64_t nfb__yaml_writer_emitted(const nfb_writer *w)
{
    return w && w->cls == &nfb__yaml_writer ? ((const yaml_writer *)w)->emitted
                                            : 0;
}

static int init(nfb_writer *w, const nfb_writer_options *o, char *err,
                size_t errlen)
{
    (void)o, (void)err, (void)errlen;
    ((yaml_writer *)w)->words_plain = schema_words_plain();
    return NFB_OK;
}

static int sink_put(nfb_writer *w, const void *s, size_t n)
{
    return nfb__sink_put(&w->sink, s, n) == 0 ? NFB_OK : NFB_EWRITE;
}

static int begin(nfb_writer *w)
{
    yaml_writer *y = (yaml_writer *)w;
    if (y->use_emitter) {
        TRY(emitter_open(&y->ref, &w->alloc, on_output, w));
        return ref_begin(&y->ref, w->flags);
    }
    /* The root sequence's "---"; its items begin with a line break. */
    return w->flags & NFB_WRITE_ARRAY ? sink_put(w, "---", 3) : NFB_OK;
}

static int write_record(nfb_writer *w, const nfb_backup *b)
{
    yaml_writer *y = (yaml_writer *)w;
    if (y->use_emitter) {
        y->emitted++;
        return ref_record(&y->ref, w->flags, b);
    }
    int res = fast_record(y, b);
    if (res == REDO) {
        y->emitted++;
        res = redo_record(y, b);
    }
    if (res != NFB_OK) return res;
    return sink_put(w, y->text.ptr, y->text.len);
}

static int end(nfb_writer *w)
{
    yaml_writer *y = (yaml_writer *)w;
    if (y->use_emitter) return ref_end(&y->ref, w->flags);
    if (!(w->flags & NFB_WRITE_ARRAY)) return NFB_OK;
    /* The line break after the last item, or an empty flow sequence. */
    return w->records ? sink_put(w, "\n", 1) : sink_put(w, " []\n", 4);
}

static void destroy(nfb_writer *w)
{
    yaml_writer *y = (yaml_writer *)w;
    emitter_close(&y->ref);
    nfb__buf_free(&y->text, &w->alloc);
}

const nfb__writer_class nfb__yaml_writer = {
    .info = {"yaml", "YAML: one document per record, or --array, --envelope"},
    .size = sizeof(yaml_writer),
    .init = init,
    .begin = begin,
    .record = write_record,
    .end = end,
    .free = destroy};
