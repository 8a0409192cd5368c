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
static NFB_NOINLINE int resolves_to_non_string(unsigned cls,
                                               const unsigned char *s, size_t n)
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

static inline uint32_t load4(const unsigned char *p)
{
    uint32_t x;
    memcpy(&x, p, sizeof x);
    return x;
}

#if defined(NFB_HAVE_VECTORS)
/* closer8 (below, for builds without vectors) on 16 bytes at once. */
static inline int closer16(nfb__bytes16 v)
{
    return nfb__any16((v < 0x20) | (v == 0x7f) | (v == ':') | (v == '#'));
}

static inline int closer16_at(const unsigned char *s)
{
    return closer16(nfb__load16(s));
}

/* The two words a and b as one vector. */
static inline int closer2x8(uint64_t a, uint64_t b)
{
    return closer16(nfb__join16(a, b));
}
#else
/* Has x a byte that the scan of needs_quotes must look at: a control, DEL,
 * a byte of a multi-byte character, ':' or '#'? A space alone needs no
 * look, ": " and " #" having the other byte. Where the bytes of x stand
 * does not matter. */
static inline uint64_t closer8(uint64_t x)
{
    return nfb__bytes_lt_or_high(x, 0x20) | nfb__bytes_eq(x, 0x7f) |
           nfb__bytes_eq(x, ':') | nfb__bytes_eq(x, '#');
}

/* Each word tested apart: OR-ed first, a control byte in one would hide
 * under a letter in the other (0x01 | 'a' is 'a'). */
static inline int closer2x8(uint64_t a, uint64_t b)
{
    return (closer8(a) | closer8(b)) != 0;
}
#endif

/* Has s[0..n) a byte that the scan must look at (closer8)? Most strings
 * have none: 16 bytes at a time with vectors (the last 16 overlapping),
 * else 8; fewer than 16 as two overlapping halves. */
static inline int closer_look(const unsigned char *s, size_t n)
{
#if defined(NFB_HAVE_VECTORS)
    if (n >= 16) {
        for (size_t i = 0; i + 16 < n; i += 16)
            if (closer16_at(s + i)) return 1;
        return closer16_at(s + n - 16);
    }
#else
    if (n >= 16) {
        for (size_t i = 0; i + 8 < n; i += 8)
            if (closer8(nfb__load8(s + i))) return 1;
        return closer8(nfb__load8(s + n - 8)) != 0;
    }
#endif
    if (n >= 8) return closer2x8(nfb__load8(s), nfb__load8(s + n - 8));
    if (n >= 4) {
        uint64_t w = load4(s) | (uint64_t)load4(s + n - 4) << 32;
        return closer2x8(w, w);
    }
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

/* Are the len bytes that end at e digits (yes when len is 0)? The 8
 * bytes before e may be read: the last 8 are tested with a mask of the
 * last len of them, longer runs 8 bytes at a time before. */
static inline int digits_before(const unsigned char *e, size_t len)
{
    static const unsigned char last[16] = {
        0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    const uint64_t zeros = NFB__ONES * '0';
    for (; len > 8; len -= 8)
        if (above_9(nfb__load8(e - len) ^ zeros, ~(uint64_t)0)) return 0;
    return !above_9(nfb__load8(e - 8) ^ zeros, nfb__load8(last + len));
}

/* Is s[0..n) a date-time as RFC 3339 writes it: date_time_prefix, then an
 * optional fraction ('.' and digits), then Z, a "+hh:mm" or "-hh:mm"
 * offset or nothing? date_like holds of it (with its blanks left out),
 * and its bytes are digits, "-:.+TtZ". The end is read first: the
 * offset, then the fraction before it in one test. */
static int rfc3339_text(const unsigned char *s, size_t n)
{
    if (!date_time_prefix(s, n)) return 0;
    if (n == 19) return 1;
    size_t e = n; /* the end of the fraction */
    const unsigned char *z = s + n - 6;
    if (s[n - 1] == 'Z')
        e = n - 1;
    else if (n >= 19 + 6 && (z[0] == '+' || z[0] == '-') && is_digit(z[1]) &&
             is_digit(z[2]) && z[3] == ':' && is_digit(z[4]) && is_digit(z[5]))
        e = n - 6;
    if (e == 19) return 1;
    return s[19] == '.' && digits_before(s + e, e - 20);
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

/* The rest of needs_quotes for a string with a byte to look at
 * (closer_look): ": ", " #", controls and the characters past ASCII. */
static NFB_NOINLINE int scan_quotes(const unsigned char *s, size_t n)
{
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

/* Returns 1 when s must be double-quoted, 0 when it may be plain. s is
 * strict UTF-8: needs_quotes is called on a string field's text only, as
 * the walk gives it (ops.string), and nfb_writer_record walks no record
 * that the record check refused (writer.c); that check (check_record.c) tests
 * every string the walk can give, a date-time's text and the strings of
 * array elements included, with the same UTF-8 rule (utf8.c). */
static inline int needs_quotes(const unsigned char *s, size_t n)
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
    return closer_look(s, n) && scan_quotes(s, n);
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
 * A record is written straight into the sink's block (or, when little
 * room is left there, into the writer's text buffer, then into the sink in
 * one piece), with the bytes the emitter would write (yaml_text.h for the
 * scalars). Like the json writer's fast path, it reads the record through
 * the schema's rows itself, each row made once for its place in the layout
 * with its whole line (line break, indent, "name:") as text (make_rows),
 * with no call per token and one look at the room left per value. The layout,
 * from emitter.c's block states with indent 2:
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
 * escape and skip it (object_at). What the fast path does
 * not write (a number text the emitter would single-quote and text that is
 * not UTF-8, neither of which the record check lets through, or a schema
 * word that is not plain) returns REDO, and the record is written again by
 * the emitter (redo_record). */

/* A step of the fast path returns NFB_OK, the nfb_result of an error,
 * or REDO: a value of its own type, outside nfb_result's range (not
 * NFB_STOPPED's 1), so that it cannot be taken for a result of the API
 * nor escape as one (write_record turns it into the emitter's result). */
typedef enum fast_redo { REDO = 0x100 } fast_redo;

/* A row's line, "\n", its indent in spaces, "name:" and a space, is
 * copied as a fixed LINE_COPY bytes when it is no longer: one or two
 * moves instead of a call to memcpy. */
enum { LINE_COPY = 48 };

/* A row of the schema at its place in the layout, made once per writer
 * (make_rows) for the writer's flags: the field, the members of it that
 * the fast path reads, and its line. The rows of an object field's value
 * or an array field's items follow at sub. */
typedef struct yaml_row {
    const nfb__field *f;
    int16_t off, has_off;
    uint8_t type;
    uint8_t indent;     /* the key's column */
    uint8_t line_len;   /* "\n", indent spaces and "name:", without the
                           space after it */
    uint16_t sub, nsub; /* NFB_T_OBJECT, NFB_T_ARRAY: the rows of its
                           value's fields (index, count) */
    /* the line, then a space and padding to LINE_COPY bytes (longer lines
     * are not padded) */
    unsigned char line[LINE_COPY];
} yaml_row;

/* make_rows refuses a line that does not fit (a schema or a layout this
 * file does not expect): the fast path is then off (REDO). */
enum { MAX_ROWS = 256 };

typedef struct yaml_writer {
    nfb_writer base;
    int use_emitter;      /* the reference path for the whole output */
    emitter ref;          /* its emitter */
    nfb__buf text;        /* the fast path: the text of a record */
    int text_oom;         /* the emitter's output into text ran out of memory */
    int fast_ok;          /* the schema's keys and enum names are all plain,
                             and make_rows made the rows */
    int err;              /* the fast path's error, when a step returns NULL */
    unsigned char *start; /* where the record's text begins: in text, or
                             in the sink's block (direct) */
    unsigned char *limit; /* the end of the room there */
    int direct;           /* the text goes straight into the sink's block */
    yaml_row *rows;       /* the record's rows from rows[0], nrows of
                             NFB_K_BACKUP first */
    uint16_t nrows;
    unsigned char head[LINE_COPY]; /* what comes before the record's first
                                      key: "---", or "\n-", and "data:" */
    size_t head_len;
    uint64_t emitted; /* records written by an emitter */
} yaml_writer;

/* Fills the rows of kind k whose keys sit at indent into y->rows from
 * *n, then those of their values after them (depth: how deep kind k is).
 * 0 when a row does not fit. */
static int fill_rows(yaml_writer *y, nfb__kind k, size_t indent, int depth)
{
    const nfb__object *o = &nfb__objects[k];
    if (depth > NFB__MAX_PATH || y->nrows + (size_t)o->count > MAX_ROWS)
        return 0;
    uint16_t first = y->nrows;
    y->nrows = (uint16_t)(y->nrows + o->count);
    for (int i = 0; i < o->count; i++) {
        const nfb__field *f = &o->fields[i];
        yaml_row *r = &y->rows[first + i];
        size_t len = 1 + indent + f->len + 1;
        if (len + 1 > LINE_COPY) return 0;
        r->f = f;
        r->off = f->off, r->has_off = f->has_off;
        r->type = f->type;
        r->indent = (uint8_t)indent;
        r->line_len = (uint8_t)len;
        memset(r->line, ' ', LINE_COPY);
        r->line[0] = '\n';
        memcpy(r->line + 1 + indent, f->name, f->len);
        r->line[len - 1] = ':';
        if (f->type == NFB_T_OBJECT || f->type == NFB_T_ARRAY) {
            /* An object's keys 2 further than its key; an array's '-' at
             * its key's column, its items' keys 2 further. */
            r->sub = y->nrows;
            r->nsub = (uint16_t)nfb__objects[f->kind].count;
            if (!fill_rows(y, (nfb__kind)f->kind, indent + 2, depth + 1))
                return 0;
        }
    }
    return 1;
}

/* The rows of a record in the layout of the writer's flags, and the text
 * before its first key. */
static int make_rows(yaml_writer *y)
{
    unsigned flags = y->base.flags;
    size_t indent = 0;
    /* One row more: line_at copies LINE_COPY bytes from a line, which may
     * read into the row after. */
    size_t size = (MAX_ROWS + 1) * sizeof(yaml_row);
    y->rows = nfb__malloc(&y->base.alloc, size);
    if (!y->rows) return NFB_ENOMEM;
    memset(y->rows, 0, size);
    /* An item of the root sequence, whose "---" and last line break begin()
     * and end() write; or a document. Its first key follows on the line,
     * after a space that the key's line brings (line_at). */
    memcpy(y->head, flags & NFB_WRITE_ARRAY ? "\n-" : "---", 3);
    y->head_len = flags & NFB_WRITE_ARRAY ? 2 : 3;
    if (flags & NFB_WRITE_ARRAY) indent = 2;
    if (flags & NFB_WRITE_ENVELOPE) {
        /* "data:" on the '-' line, or on a line of its own */
        const char *data = flags & NFB_WRITE_ARRAY ? " data:" : "\ndata:";
        memcpy(y->head + y->head_len, data, 6);
        y->head_len += 6;
        indent += 2;
    }
    y->nrows = 0;
    y->fast_ok = y->fast_ok && fill_rows(y, NFB_K_BACKUP, indent, 1);
    return NFB_OK;
}

/* Makes room for need more bytes at o, the end of the record's text so
 * far; returns where o is now, or NULL (y->err) when out of memory. A
 * record that does not fit in the rest of the sink's block moves to
 * y->text, which grows. */
static NFB_NOINLINE unsigned char *grow(yaml_writer *y, unsigned char *o,
                                        size_t need)
{
    nfb__buf *t = &y->text;
    size_t len = (size_t)(o - y->start);
    if (need > SIZE_MAX - len ||
        nfb__buf_reserve(t, &y->base.alloc, len + need) != NFB_OK) {
        y->err = NFB_ENOMEM;
        return NULL;
    }
    if (y->direct) memcpy(t->ptr, y->start, len);
    y->direct = 0;
    y->start = t->ptr;
    y->limit = t->ptr + t->cap;
    return t->ptr + len;
}

/* o, with room for need bytes after it. */
static inline unsigned char *room_at(yaml_writer *y, unsigned char *o,
                                     size_t need)
{
    if (NFB_LIKELY(need <= (size_t)(y->limit - o))) return o;
    return grow(y, o, need);
}

/* memcpy for the few bytes of a word or a short string, without a call:
 * two overlapping moves of a fixed size cover 4 to 16 bytes, 16 bytes at
 * a time beyond (the last 16 overlapping). Only s[0..n) is read; d has
 * room for n bytes. Returns the end. */
static inline unsigned char *copy_text(unsigned char *d, const void *src,
                                       size_t n)
{
    const unsigned char *s = src;
    if (n > 16) {
        for (size_t i = 0; i + 16 < n; i += 16)
            memcpy(d + i, s + i, 16);
        memcpy(d + n - 16, s + n - 16, 16);
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

/* Writes row r's line at o, or, for the first key of a sequence item
 * (on_dash), the space and "name:" that follow its '-'; then the space
 * before a value. Returns the end (after the space); at most LINE_COPY
 * bytes are written. */
static inline unsigned char *line_at(unsigned char *o, const yaml_row *r,
                                     int on_dash)
{
    /* The byte before the name is a space: an item's keys are indented. */
    size_t skip = on_dash ? r->indent : 0, len = r->line_len + 1u - skip;
    memcpy(o, r->line + skip, LINE_COPY);
    return o + len;
}

/* The room a scalar value of n bytes needs after its line at most: the
 * escaped text (nfb__yaml_quoted_max) is the longest form. */
static inline size_t value_room(size_t n)
{
    return LINE_COPY + nfb__yaml_quoted_max(n);
}

/* s between double quotes, nothing escaped. */
static inline unsigned char *quoted_at(unsigned char *o, nfb_str s)
{
    *o++ = '"';
    o = copy_text(o, s.ptr, s.len);
    *o++ = '"';
    return o;
}

/* A string: plain, or double-quoted and escaped as the emitter does
 * (needs_quotes also quotes what the emitter cannot write plain). NULL
 * and REDO when s is not UTF-8. */
static inline unsigned char *string_at(yaml_writer *y, unsigned char *o,
                                       nfb_str s)
{
    const unsigned char *p = (const unsigned char *)s.ptr;
    if (!needs_quotes(p, s.len)) return copy_text(o, p, s.len);
    size_t len = nfb__yaml_quote(o, p, s.len);
    if (len) return o + len;
    y->err = REDO;
    return NULL;
}

/* A number's text (number_text_make) in the style the emitter gives it
 * when asked for plain, which for a JSON number is plain. Rare: a call. */
static NFB_NOINLINE unsigned char *number_at(yaml_writer *y, unsigned char *o,
                                             nfb_str v)
{
    number_text t;
    int res = number_text_make(&t, v, &y->base.alloc);
    if (res != NFB_OK) {
        y->err = res;
        return NULL;
    }
    nfb__yaml_style style =
        nfb__yaml_plain_style((const unsigned char *)t.ptr, t.len, 0);
    if (style == NFB__YAML_OTHER) res = REDO;
    if (res == NFB_OK && (o = room_at(y, o, value_room(t.len))) == NULL)
        res = y->err;
    if (res == NFB_OK) {
        const unsigned char *p = (const unsigned char *)t.ptr;
        if (style == NFB__YAML_PLAIN) {
            o = copy_text(o, p, t.len);
        } else {
            size_t len = nfb__yaml_quote(o, p, t.len);
            o = len ? o + len : NULL;
            if (!len) res = REDO;
        }
    }
    number_text_free(&t, &y->base.alloc);
    if (res == NFB_OK) return o;
    y->err = res;
    return NULL;
}

static unsigned char *array_at(yaml_writer *y, unsigned char *o,
                               const yaml_row *r, const char *base);

/* The present fields of the object at base whose rows are r[0..n), at o;
 * item: it is a sequence item (its first key follows the '-'). An object
 * with none is "{}". Returns the end, or NULL (y->err). */
static unsigned char *object_at(yaml_writer *y, unsigned char *o,
                                const yaml_row *r, size_t n, const char *base,
                                int item)
{
    int on_dash = item, any = 0;
    for (const yaml_row *end = r + n; r != end; r++) {
        if (r->has_off >= 0 && !*NFB__AT(bool, base, r->has_off)) continue;
        nfb_str v;
        any = 1;
        switch (r->type) {
        case NFB_T_STRING:
            v = *NFB__AT(nfb_str, base, r->off);
            if (!(o = room_at(y, o, value_room(v.len)))) return NULL;
            o = line_at(o, r, on_dash);
            if (!(o = string_at(y, o, v))) return NULL;
            break;
        case NFB_T_DATETIME:
            /* A date-time as the reader takes it is quoted by needs_quotes
             * (date_like) with nothing to escape (rfc3339_text): the text
             * string_at would write, without its scan. */
            v = NFB__AT(nfb_time, base, r->off)->text;
            if (!(o = room_at(y, o, value_room(v.len)))) return NULL;
            o = line_at(o, r, on_dash);
            if (rfc3339_text((const unsigned char *)v.ptr, v.len))
                o = quoted_at(o, v);
            else if (!(o = string_at(y, o, v)))
                return NULL;
            break;
        case NFB_T_SIZE:
            /* A size as the reader takes it, digits, is quoted by
             * needs_quotes (number_like), with nothing to escape. */
            v = *NFB__AT(nfb_str, base, r->off);
            if (!(o = room_at(y, o, value_room(v.len)))) return NULL;
            o = line_at(o, r, on_dash);
            if (all_digits((const unsigned char *)v.ptr, v.len))
                o = quoted_at(o, v);
            else if (!(o = string_at(y, o, v)))
                return NULL;
            break;
        case NFB_T_ENUM:
            /* a schema word, plain (init) */
            v = nfb__enum_name(r->f, base);
            if (!v.ptr) {
                y->err = NFB_EINVAL;
                return NULL;
            }
            if (!(o = room_at(y, o, value_room(v.len)))) return NULL;
            o = copy_text(line_at(o, r, on_dash), v.ptr, v.len);
            break;
        case NFB_T_NUMBER:
            if (!(o = room_at(y, o, LINE_COPY))) return NULL;
            o = line_at(o, r, on_dash);
            o = number_at(y, o, *NFB__AT(nfb_str, base, r->off));
            if (!o) return NULL;
            break;
        case NFB_T_OBJECT:
            if (!(o = room_at(y, o, LINE_COPY))) return NULL;
            o = line_at(o, r, on_dash) - 1; /* no space after the ':' */
            o = object_at(y, o, y->rows + r->sub, r->nsub, base, 0);
            if (!o) return NULL;
            break;
        case NFB_T_ARRAY:
            if (!(o = room_at(y, o, LINE_COPY))) return NULL;
            o = line_at(o, r, on_dash) - 1;
            if (!(o = array_at(y, o, r, base))) return NULL;
            break;
        default:
            y->err = NFB_EINVAL;
            return NULL;
        }
        on_dash = 0;
    }
    if (any) return o;
    if (!(o = room_at(y, o, 3))) return NULL;
    memcpy(o, " {}", 3);
    return o + 3;
}

/* The items of array row r of the struct at base after its key's ':' at
 * o: each on a line of its own, its '-' at the key's column, or "[]". */
static unsigned char *array_at(yaml_writer *y, unsigned char *o,
                               const yaml_row *r, const char *base)
{
    size_t n;
    const char *items = nfb__array_items(r->f, base, &n);
    if (!n) {
        if (!(o = room_at(y, o, 3))) return NULL;
        memcpy(o, " []", 3);
        return o + 3;
    }
    for (size_t i = 0; i < n; i++) {
        if (!(o = room_at(y, o, LINE_COPY))) return NULL;
        /* "\n", the key's indent (from its line) and '-' */
        memcpy(o, r->line, LINE_COPY);
        o += 1 + r->indent;
        *o++ = '-';
        o = object_at(y, o, y->rows + r->sub, r->nsub,
                      items + i * r->f->elem_size, 1);
        if (!o) return NULL;
    }
    return o;
}

/* A record is written straight into the sink's block when this much room
 * is left there, the common case; else, or when it outgrows the room,
 * into y->text, then into the sink. */
enum { DIRECT_ROOM = 4096 };

/* The text of record b from y->start: NFB_OK (y->start to the returned
 * end *end), an error, or REDO. */
static int fast_record(yaml_writer *y, const nfb_backup *b, unsigned char **end)
{
    if (!y->fast_ok) return REDO;
    y->err = NFB_OK;
    unsigned char *o = room_at(y, y->start, LINE_COPY);
    if (!o) return y->err;
    memcpy(o, y->head, LINE_COPY);
    o += y->head_len;
    /* The first key follows "-" or " data:" on the line, after one space,
     * when there is one; else a line of its own. */
    int on_dash = (y->base.flags & (NFB_WRITE_ARRAY | NFB_WRITE_ENVELOPE)) ==
                  NFB_WRITE_ARRAY;
    o = object_at(y, o, y->rows, (size_t)nfb__objects[NFB_K_BACKUP].count,
                  (const char *)b, on_dash);
    if (!o) return y->err;
    if (!(y->base.flags & NFB_WRITE_ARRAY)) {
        if (!(o = room_at(y, o, 1))) return y->err;
        *o++ = '\n';
    }
    *end = o;
    return NFB_OK;
}

/* Appends n bytes to y->text (the emitter's output). */
static int put(yaml_writer *y, const void *s, size_t n)
{
    nfb__buf *t = &y->text;
    if (n > t->cap - t->len &&
        nfb__buf_reserve(t, &y->base.alloc, t->len + n) != NFB_OK)
        return NFB_ENOMEM;
    memcpy(t->ptr + t->len, s, n);
    t->len += n;
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
    y->fast_ok = schema_words_plain();
    /* text is never NULL in write_record */
    if (nfb__buf_reserve(&y->text, &w->alloc, 256) != NFB_OK) return NFB_ENOMEM;
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
    nfb__sink *k = &w->sink;
    y->direct = !k->failed && k->cap - k->len >= DIRECT_ROOM;
    if (y->direct) {
        y->start = k->buf + k->len;
        y->limit = k->buf + k->cap;
    } else {
        y->start = y->text.ptr;
        y->limit = y->text.ptr + y->text.cap;
    }
    unsigned char *o = NULL;
    int res = fast_record(y, b, &o);
    if (res == NFB_OK && y->direct) {
        nfb__sink_commit(k, o);
        return NFB_OK;
    }
    if (res == NFB_OK) y->text.len = (size_t)(o - y->text.ptr);
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
