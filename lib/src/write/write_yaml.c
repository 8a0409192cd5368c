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

/* The bytes of v that mask (0xFF or 0 a byte) selects and that are above
 * 9. A byte past 0x89 carries into the next one, which may then be found
 * too: "none" is exact, which is all the callers ask. */
static inline uint64_t above_9(uint64_t v, uint64_t mask)
{
    v &= mask;
    return ((v + NFB__ONES * (0x80 - 10)) | v) & mask & NFB__HIGH;
}

/* The shape of the date-times of a record, its first 19 bytes: the
 * separators and '0' where a digit goes, where the digits go (0xFF), and
 * the bit that makes 'T' and 't' alike. Read eight bytes at a time, in
 * memory order like the text. */
static const unsigned char dt_shape[19] = "0000-00-00t00:00:00";
static const unsigned char dt_digit[19] = {
    0xff, 0xff, 0xff, 0xff, 0,    0xff, 0xff, 0,    0xff, 0xff,
    0,    0xff, 0xff, 0,    0xff, 0xff, 0,    0xff, 0xff};
static const unsigned char dt_case[19] = {[10] = 0x20};

/* Do the eight bytes of s at off miss the shape? */
static inline uint64_t dt_mismatch8(const unsigned char *s, size_t off)
{
    uint64_t digit = nfb__load8(dt_digit + off);
    /* 0 for a separator in its place, a digit's value where one goes */
    uint64_t d = (nfb__load8(s + off) | nfb__load8(dt_case + off)) ^
                 nfb__load8(dt_shape + off);
    return (d & ~digit) | above_9(d, digit);
}

/* Is s[0..19) "DDDD-DD-DDTDD:DD:DD" (T or t) with no digit after it: the
 * shape of the date-times of a record, which date_like would take to the
 * same point one field at a time. Three words of eight bytes, the last two
 * overlapping. */
static int date_time_prefix(const unsigned char *s, size_t n)
{
    if (n < 19 || (n > 19 && is_digit(s[19]))) return 0;
    return !(dt_mismatch8(s, 0) | dt_mismatch8(s, 8) | dt_mismatch8(s, 11));
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

/* What the first byte of a text tells needs_quotes. */
enum {
    F_QUOTE = 1,  /* quoted whatever follows: a space, or a YAML indicator
                     that may not begin a plain scalar (or NUL) */
    F_WORD = 2,   /* may begin one of the resolver's words */
    F_NUMBER = 4, /* may begin a number, a date-time or "..." */
};

#define QUOTE_(c) [c] = F_QUOTE
#define WORD_(c) [c] = F_WORD, [c - 'a' + 'A'] = F_WORD
static const unsigned char first_class[256] = {
    QUOTE_(0),        QUOTE_(' '),      QUOTE_('-'),      QUOTE_('?'),
    QUOTE_(':'),      QUOTE_(','),      QUOTE_('['),      QUOTE_(']'),
    QUOTE_('{'),      QUOTE_('}'),      QUOTE_('#'),      QUOTE_('&'),
    QUOTE_('*'),      QUOTE_('!'),      QUOTE_('|'),      QUOTE_('>'),
    QUOTE_('\''),     QUOTE_('"'),      QUOTE_('%'),      QUOTE_('@'),
    QUOTE_('`'),      WORD_('n'),       WORD_('y'),       WORD_('o'),
    WORD_('t'),       WORD_('f'),       ['~'] = F_WORD,   ['<'] = F_WORD,
    ['='] = F_WORD,   ['0'] = F_NUMBER, ['1'] = F_NUMBER, ['2'] = F_NUMBER,
    ['3'] = F_NUMBER, ['4'] = F_NUMBER, ['5'] = F_NUMBER, ['6'] = F_NUMBER,
    ['7'] = F_NUMBER, ['8'] = F_NUMBER, ['9'] = F_NUMBER, ['+'] = F_NUMBER,
    ['.'] = F_NUMBER, ['e'] = F_NUMBER, ['E'] = F_NUMBER};
#undef QUOTE_
#undef WORD_

/* Would a loader resolve plain s as a non-string? cls: first_class of its
 * first byte, F_WORD or F_NUMBER ('-', the other sign, is an indicator). */
static int resolves_to_non_string(unsigned cls, const unsigned char *s,
                                  size_t n)
{
    /* null, bool (YAML 1.1's among them), merge and value, in any case */
    static const char *const words[] = {"~",    "null",  "yes", "no",
                                        "on",   "off",   "y",   "n",
                                        "true", "false", "<<",  "="};
    if (cls & F_WORD) {
        if (n <= 5)
            for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
                if (word_is(s, n, words[i])) return 1;
        return 0;
    }
    /* "..." closes a document. */
    if (n >= 3 && s[0] == '.' && s[1] == '.' && s[2] == '.') return 1;
    return number_like(s, n) || date_like(s, n);
}

/* Has x a byte that the scan of needs_quotes must look at: a control, DEL,
 * a byte of a multi-byte character, ':' or '#'? A space alone needs no
 * look, ": " and " #" having the other byte. Where the bytes of x stand
 * does not matter. */
static inline uint64_t closer8(uint64_t x)
{
    return nfb__bytes_lt_or_high(x, 0x20) | nfb__bytes_eq(x, 0x7f) |
           nfb__bytes_eq(x, ':') | nfb__bytes_eq(x, '#');
}

static inline uint32_t load4(const unsigned char *p)
{
    uint32_t x;
    memcpy(&x, p, sizeof x);
    return x;
}

/* Has s[0..n) a byte that the scan must look at (closer8)? Most strings
 * have none: eight bytes at a time, the last eight overlapping, or two
 * overlapping halves of fewer than eight. */
static int closer_look(const unsigned char *s, size_t n)
{
    if (n >= 8) {
        for (size_t i = 0; i + 8 < n; i += 8)
            if (closer8(nfb__load8(s + i))) return 1;
        return closer8(nfb__load8(s + n - 8)) != 0;
    }
    if (n >= 4)
        return closer8(load4(s) | (uint64_t)load4(s + n - 4) << 32) != 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] < 0x20 || s[i] >= 0x7f || s[i] == ':' || s[i] == '#') return 1;
    return 0;
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

/* ---- texts known by their field's type ----
 *
 * The fast path writes the reader's date-times and sizes without
 * needs_quotes: each test below holds of a subset of the texts that
 * needs_quotes quotes, with nothing that double quotes escape. */

/* Is s[0..n) a date-time as RFC 3339 writes it: date_time_prefix, then an
 * optional fraction, then Z, a "+hh:mm" or "-hh:mm" offset or nothing?
 * date_like holds of it (with its blanks left out), and its bytes are
 * digits, "-:.+TtZ". */
static int rfc3339_text(const unsigned char *s, size_t n)
{
    if (!date_time_prefix(s, n)) return 0;
    size_t i = 19;
    if (i < n && s[i] == '.') i = skip(s, i + 1, n, is_digit);
    if (i == n) return 1;
    if (s[i] == 'Z') return i + 1 == n;
    return n - i == 6 && (s[i] == '+' || s[i] == '-') && is_digit(s[i + 1]) &&
           is_digit(s[i + 2]) && s[i + 3] == ':' && is_digit(s[i + 4]) &&
           is_digit(s[i + 5]);
}

/* Is s[0..n) one or more ASCII digits? number_like holds of it. Eight
 * bytes at a time like closer_look. */
static int all_digits(const unsigned char *s, size_t n)
{
    const uint64_t all = ~(uint64_t)0, zeros = NFB__ONES * '0';
    if (n >= 8) {
        for (size_t i = 0; i + 8 < n; i += 8)
            if (above_9(nfb__load8(s + i) ^ zeros, all)) return 0;
        return !above_9(nfb__load8(s + n - 8) ^ zeros, all);
    }
    if (n >= 4)
        return !above_9((load4(s) | (uint64_t)load4(s + n - 4) << 32) ^ zeros,
                        all);
    for (size_t i = 0; i < n; i++)
        if (!is_digit(s[i])) return 0;
    return n > 0;
}

/* Returns 1 when s must be double-quoted, 0 when it may be plain. s is
 * strict UTF-8: needs_quotes is called on a string field's text only, as
 * the walk gives it (ops.string), and nfb_writer_record walks no record
 * that the record check refused (writer.c); that check (check_record.c) tests
 * every string the walk can give, a date-time's text and the strings of
 * array elements included, with the same UTF-8 rule (utf8.c). */
static int needs_quotes(const unsigned char *s, size_t n)
{
    if (n == 0) return 1;
    /* "---" opens a document: '-' is an indicator. */
    unsigned cls = first_class[s[0]];
    if ((cls & F_QUOTE) || s[n - 1] == ' ' || s[n - 1] == ':') return 1;
    /* The resolver's words and patterns are ASCII, so a match is valid
     * UTF-8 and quoted whatever the scan below would find: dates and
     * numbers skip it. */
    if ((cls & (F_WORD | F_NUMBER)) && resolves_to_non_string(cls, s, n))
        return 1;
    if (!closer_look(s, n)) return 0;
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
 * scalars). Like the json writer's fast path, it reads the record through
 * the schema's rows itself, each row's key made into its text once
 * (make_rows), with no call per token. The layout, from emitter.c's block
 * states with indent 2:
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
 * The keys and enum names are the schema's words, which init found plain.
 * A string is plain or double-quoted as needs_quotes says; date-times and
 * sizes as the reader makes them are known to be quoted with nothing to
 * escape and skip it (put_date_time, put_size). What the fast path does
 * not write (a number text the emitter would single-quote and text that is
 * not UTF-8, neither of which the record check lets through, or a schema
 * word that is not plain) returns REDO, and the record is written again by
 * the emitter (redo_record). */

/* A step of the fast path returns NFB_OK, the nfb_result of an error,
 * or REDO: a value of its own type, outside nfb_result's range (not
 * NFB_STOPPED's 1), so that it cannot be taken for a result of the API
 * nor escape as one (write_record turns it into the emitter's result). */
typedef enum fast_redo { REDO = 0x100 } fast_redo;

/* A line's text is copied as a fixed KEY_COPY bytes when it is no longer,
 * and its indentation as a fixed SPACES spaces when it is no deeper: one
 * or two moves each instead of a call to memcpy or memset. */
enum { KEY_COPY = 32, SPACES = 32 };
static const char spaces[SPACES + 1] = "                                ";
_Static_assert(sizeof spaces == SPACES + 1, "SPACES spaces");

/* Lines of the layout that are not a row's key, readable for KEY_COPY. */
static const unsigned char dash_line[KEY_COPY] = "-";
static const unsigned char data_line[KEY_COPY] = "data:";

/* A row of the schema as the fast path reads it, made once per writer
 * (make_rows): its field and its key's text, "name:", from which KEY_COPY
 * bytes may be read. */
typedef struct yaml_row {
    const nfb__field *f;
    const unsigned char *key;
    size_t key_len;
} yaml_row;

typedef struct yaml_writer {
    nfb_writer base;
    int use_emitter; /* the reference path for the whole output */
    emitter ref;     /* its emitter */
    nfb__buf text;   /* the fast path: the text of a record */
    int text_oom;    /* the emitter's output into text ran out of memory */
    int words_plain; /* the schema's keys and enum names are all plain */
    yaml_row *rows;  /* the rows of kind k: row[k] to row[k + 1] */
    const yaml_row *row[NFB_K_COUNT + 1];
    uint64_t emitted; /* records written by an emitter */
} yaml_writer;

/* Makes the rows of every kind, in the order of its table. */
static int make_rows(yaml_writer *y)
{
    const nfb_allocator *a = &y->base.alloc;
    size_t rows = 0, text = 0;
    for (int k = 0; k < NFB_K_COUNT; k++)
        for (int i = 0; i < nfb__objects[k].count; i++, rows++)
            text += nfb__objects[k].fields[i].len + 1u;
    /* The copy of the last key may read KEY_COPY bytes from its first. */
    size_t size = rows * sizeof(yaml_row) + text + KEY_COPY;
    yaml_row *r = nfb__malloc(a, size);
    if (!r) return NFB_ENOMEM;
    memset(r, 0, size);
    y->rows = r;
    unsigned char *t = (unsigned char *)(r + rows);
    for (int k = 0; k < NFB_K_COUNT; k++) {
        y->row[k] = r;
        for (int i = 0; i < nfb__objects[k].count; i++, r++) {
            const nfb__field *f = &nfb__objects[k].fields[i];
            r->f = f;
            r->key = t;
            r->key_len = f->len + 1u;
            memcpy(t, f->name, f->len);
            t += f->len;
            *t++ = ':';
        }
    }
    y->row[NFB_K_COUNT] = r;
    return NFB_OK;
}

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

/* memcpy for the few bytes of a word or a short string, without a call:
 * two overlapping moves of a fixed size cover 4 to 16 bytes. Returns the
 * end. */
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

/* Writes at o a line break and indent spaces, or, for the first key of a
 * sequence item (on_dash), the space after its '-'; then text[0..n), from
 * which KEY_COPY bytes may be read. Returns the end; at most LINE_ROOM
 * bytes are written past o. */
#define LINE_ROOM(indent, n) (1 + SPACES + (indent) + KEY_COPY + (n))
static unsigned char *line_at(unsigned char *o, const unsigned char *text,
                              size_t n, size_t indent, int on_dash)
{
    if (on_dash) {
        *o++ = ' ';
    } else {
        *o++ = '\n';
        if (NFB_LIKELY(indent <= SPACES))
            memcpy(o, spaces, SPACES);
        else
            memset(o, ' ', indent);
        o += indent;
    }
    if (NFB_LIKELY(n <= KEY_COPY))
        memcpy(o, text, KEY_COPY);
    else
        memcpy(o, text, n);
    return o + n;
}

static int put_line(yaml_writer *y, const unsigned char *text, size_t n,
                    size_t indent, int on_dash)
{
    unsigned char *o = room(y, LINE_ROOM(indent, n));
    if (!o) return NFB_ENOMEM;
    y->text.len += (size_t)(line_at(o, text, n, indent, on_dash) - o);
    return NFB_OK;
}

/* How a scalar value is written after its key's ':' and a space. */
typedef enum scalar_form {
    AS_IS,  /* plain: the text as it is */
    QUOTED, /* the text between double quotes, with nothing to escape */
    ESCAPED /* double-quoted and escaped as the emitter does */
} scalar_form;

/* At most how many bytes scalar_at writes for n bytes of text. */
static size_t scalar_max(size_t n, scalar_form form)
{
    return 1 + (form == ESCAPED ? nfb__yaml_quoted_max(n) : n + 2);
}

/* Writes at o a space and the scalar v in form. Returns the end, or NULL
 * when v is not UTF-8 (the emitter's error: the caller's REDO). */
static unsigned char *scalar_at(unsigned char *o, nfb_str v, scalar_form form)
{
    *o++ = ' ';
    if (form == ESCAPED) {
        size_t len = nfb__yaml_quote(o, (const unsigned char *)v.ptr, v.len);
        return len ? o + len : NULL;
    }
    int quoted = form == QUOTED;
    *o = '"'; /* the opening quote, or overwritten by the text */
    o = copy_short(o + quoted, v.ptr, v.len);
    *o = '"'; /* the closing quote, or past the text */
    return o + quoted;
}

/* The line of a row's key (line_at) and its scalar value v in form, with
 * one look at the room left. */
static int put_key_scalar(yaml_writer *y, const yaml_row *r, size_t indent,
                          int on_dash, nfb_str v, scalar_form form)
{
    if (v.len > INT_MAX) return NFB_EINVAL; /* as the emitter path says */
    unsigned char *start =
        room(y, LINE_ROOM(indent, r->key_len) + scalar_max(v.len, form));
    if (!start) return NFB_ENOMEM;
    unsigned char *o = line_at(start, r->key, r->key_len, indent, on_dash);
    if (!(o = scalar_at(o, v, form))) return REDO;
    y->text.len += (size_t)(o - start);
    return NFB_OK;
}

/* The form of a string: needs_quotes also quotes what the emitter cannot
 * write plain. */
static scalar_form string_form(nfb_str v)
{
    return needs_quotes((const unsigned char *)v.ptr, v.len) ? ESCAPED : AS_IS;
}

/* A date-time as the reader takes it is quoted by needs_quotes (date_like)
 * with nothing to escape (rfc3339_text): string_form's text, without the
 * scan. Any other text takes string_form. */
static scalar_form date_time_form(nfb_str v)
{
    if (rfc3339_text((const unsigned char *)v.ptr, v.len)) return QUOTED;
    return string_form(v);
}

/* A size as the reader takes it, digits, is quoted by needs_quotes
 * (number_like), with nothing to escape. Any other text takes
 * string_form. */
static scalar_form size_form(nfb_str v)
{
    if (all_digits((const unsigned char *)v.ptr, v.len)) return QUOTED;
    return string_form(v);
}

/* A number's text (number_text_make) in the style the emitter gives it
 * when asked for plain, which for a JSON number is plain. */
static int put_number(yaml_writer *y, nfb_str v)
{
    number_text t;
    int res = number_text_make(&t, v, &y->base.alloc);
    if (res != NFB_OK) return res;
    nfb_str text = {t.ptr, t.len};
    scalar_form form = AS_IS;
    switch (nfb__yaml_plain_style((const unsigned char *)t.ptr, t.len, 0)) {
    case NFB__YAML_PLAIN:
        break;
    case NFB__YAML_DOUBLE:
        form = ESCAPED;
        break;
    default:
        res = REDO;
        break;
    }
    unsigned char *o = NULL;
    if (res == NFB_OK && t.len > INT_MAX) res = NFB_EINVAL;
    if (res == NFB_OK && !(o = room(y, scalar_max(t.len, form))))
        res = NFB_ENOMEM;
    if (res == NFB_OK) {
        unsigned char *end = scalar_at(o, text, form);
        if (end)
            y->text.len += (size_t)(end - o);
        else
            res = REDO;
    }
    number_text_free(&t, &y->base.alloc);
    return res;
}

static int put_node(yaml_writer *y, const nfb__field *f, const char *base,
                    size_t indent);

/* The present fields of the object of kind k at base, in the order of its
 * rows, its keys at indent; item: it is a sequence item (its first key
 * follows the '-'). An object with none is "{}". */
static int put_object(yaml_writer *y, nfb__kind k, const char *base,
                      size_t indent, int item)
{
    const yaml_row *r = y->row[k], *end = y->row[k + 1];
    int first = 1;
    for (; r != end; r++) {
        const nfb__field *f = r->f;
        if (f->has_off >= 0 && !*NFB__AT(bool, base, f->has_off)) continue;
        int on_dash = first && item;
        first = 0;
        nfb_str v;
        scalar_form form;
        switch (f->type) {
        case NFB_T_STRING:
            v = *NFB__AT(nfb_str, base, f->off);
            form = string_form(v);
            break;
        case NFB_T_SIZE:
            v = *NFB__AT(nfb_str, base, f->off);
            form = size_form(v);
            break;
        case NFB_T_DATETIME:
            v = NFB__AT(nfb_time, base, f->off)->text;
            form = date_time_form(v);
            break;
        case NFB_T_ENUM:
            v = nfb__enum_name(f, base);
            if (!v.ptr) return NFB_EINVAL;
            form = AS_IS; /* a schema word, plain (init) */
            break;
        default:
            TRY(put_line(y, r->key, r->key_len, indent, on_dash));
            TRY(put_node(y, f, base, indent));
            continue;
        }
        TRY(put_key_scalar(y, r, indent, on_dash, v, form));
    }
    return first ? put(y, " {}", 3) : NFB_OK;
}

/* Array field f of the struct at base, its key at indent: its items'
 * '-' at the key's column, or "[]". */
static int put_array(yaml_writer *y, const nfb__field *f, const char *base,
                     size_t indent)
{
    size_t n;
    const char *items = nfb__array_items(f, base, &n);
    if (!n) return put(y, " []", 3);
    for (size_t i = 0; i < n; i++) {
        TRY(put_line(y, dash_line, 1, indent, 0));
        TRY(put_object(y, (nfb__kind)f->kind, items + i * f->elem_size,
                       indent + 2, 1));
    }
    return NFB_OK;
}

/* The value of field f of the struct at base that is not a string, a
 * date-time, a size or an enum (put_object writes those), after its key at
 * indent. */
static int put_node(yaml_writer *y, const nfb__field *f, const char *base,
                    size_t indent)
{
    switch (f->type) {
    case NFB_T_NUMBER:
        return put_number(y, *NFB__AT(nfb_str, base, f->off));
    case NFB_T_OBJECT:
        return put_object(y, (nfb__kind)f->kind, base, indent + 2, 0);
    case NFB_T_ARRAY:
        return put_array(y, f, base, indent);
    default:
        return NFB_EINVAL;
    }
}

/* The text of record b into y->text: NFB_OK, an error, or REDO. */
static int fast_record(yaml_writer *y, const nfb_backup *b)
{
    unsigned flags = y->base.flags;
    size_t indent = 0;
    int item = 0;
    y->text.len = 0;
    if (!y->words_plain) return REDO;
    if (flags & NFB_WRITE_ARRAY) {
        /* An item of the root sequence, whose "---" and last line break
         * begin() and end() write. */
        TRY(put_line(y, dash_line, 1, 0, 0));
        indent = 2, item = 1;
    } else {
        TRY(put(y, "---", 3));
    }
    if (flags & NFB_WRITE_ENVELOPE) {
        TRY(put_line(y, data_line, 5, indent, item));
        indent += 2, item = 0;
    }
    TRY(put_object(y, NFB_K_BACKUP, (const char *)b, indent, item));
    if (!(flags & NFB_WRITE_ARRAY)) TRY(put(y, "\n", 1));
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
    yaml_writer *y = (yaml_writer *)w;
    y->words_plain = schema_words_plain();
    return make_rows(y);
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
    nfb__free(&w->alloc, y->rows);
}

const nfb__writer_class nfb__yaml_writer = {
    .info = {"yaml", "YAML: one document per record, or --array, --envelope"},
    .size = sizeof(yaml_writer),
    .init = init,
    .begin = begin,
    .record = write_record,
    .end = end,
    .free = destroy};
