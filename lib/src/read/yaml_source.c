/* The YAML front end: owns libyaml's parser, buffers the pushed input in a
 * ring so that libyaml's pulls never meet a false end of input, turns
 * libyaml's events into decoder events with byte positions, and skips to
 * the next document after an error. See yaml_source.h for the contract.
 *
 * States. Parsing: one yaml_parser_parse call per step, taken only when a
 * whole window is buffered past what libyaml was handed (or the input is
 * finished). Skipping: after an error, a limit, a refusal or a dropped
 * document, the parser is gone and the input is read line by line up to a
 * line that starts a document (`---`, or any line after `...`), where
 * parsing starts again. Done:
 * libyaml's stream ended at the end of the input, or the skip reached it. */
#include <stdio.h>
#include <yaml.h>

#include "yaml_source.h"

#define GAP_SLACK 65536u      /* window bytes for blanks and comments */
#define MAX_RADIX_DIGITS 4096 /* octal or hexadecimal digits converted */
#define MAX_LIMBS (MAX_RADIX_DIGITS * 4 / 29 + 2) /* base 1e9 */
#define MAX_NESTING 100001 /* a safety net: the decoder stops earlier */

#define TOKEN_LIMIT_FMT                                                        \
    "expected a token of at most %zu bytes, found a longer one; the rest of "  \
    "the document is skipped"

/* A place in the current input: byte offset, characters since the current
 * parser started (libyaml's mark index), and the line. bi is always at the
 * start of a character. */
typedef struct cursor {
    uint64_t ci, bi, line, line_start;
} cursor;

struct nfb__yaml {
    nfb_allocator alloc;
    nfb__dec *dec;
    nfb__diags *dg;
    size_t max_string;
    const char *why; /* why it is read as YAML, until the first error */
    uint64_t window;

    yaml_parser_t parser;
    int has_parser;

    /* Input bytes [keep, have) live at ring[offset % cap]. */
    unsigned char *ring;
    size_t cap;
    uint64_t keep, have;
    uint64_t given;   /* bytes handed to libyaml (absolute offset) */
    uint64_t checked; /* bytes known to hold only characters libyaml takes */
    int bad;          /* the character at checked is one it refuses */
    uint64_t end;     /* how far the current step may hand them */
    uint64_t pbase;   /* where the current parser started */
    int finished, done, skipping, exhausted;
    uint64_t skip_from; /* skipping: the first line start to consider */
    int after_end;      /* skipping: a line "..." was passed */

    cursor cur;           /* at the start of the last event */
    uint64_t last_end_ci; /* end of the last event (libyaml's index) */

    /* Open collections of the current document: bit 0 a mapping, bit 1 a
     * mapping awaiting a key. */
    unsigned char *stack;
    size_t depth, stack_cap;

    char *num; /* a number in JSON's grammar */
    size_t num_cap;
    uint32_t limbs[MAX_LIMBS];
    char msg[160];
};

/* ---- the ring ----------------------------------------------------------- */

/* The contiguous bytes from offset from up to to (or the ring's end). */
static size_t span(const nfb__yaml *y, uint64_t from, uint64_t to,
                   const unsigned char **out)
{
    size_t i = (size_t)(from % y->cap);
    uint64_t n = to - from;
    if (n > y->cap - i) n = y->cap - i;
    *out = y->ring + i;
    return (size_t)n;
}

static unsigned char byte_at(const nfb__yaml *y, uint64_t off)
{
    return y->ring[off % y->cap];
}

static void put(unsigned char *ring, size_t cap, uint64_t off,
                const unsigned char *p, size_t n)
{
    while (n) {
        size_t i = (size_t)(off % cap), k = cap - i < n ? cap - i : n;
        memcpy(ring + i, p, k);
        off += k, p += k, n -= k;
    }
}

/* Room for need bytes from keep on. */
static int ring_reserve(nfb__yaml *y, uint64_t need)
{
    if (need <= y->cap) return 1;
    if (need > SIZE_MAX / 2) return 0;
    size_t cap = y->cap ? y->cap + y->cap / 2 : 65536;
    /* What a window and libyaml's read-ahead need, not more: it is all
     * touched as the ring turns. */
    if (cap > y->window + 2 * GAP_SLACK)
        cap = (size_t)(y->window + 2 * GAP_SLACK);
    if (cap < need) cap = (size_t)need;
    unsigned char *p = nfb__malloc(&y->alloc, cap);
    if (!p) return 0;
    for (uint64_t off = y->keep; off < y->have;) {
        const unsigned char *s;
        size_t n = span(y, off, y->have, &s);
        put(p, cap, off, s, n);
        off += n;
    }
    nfb__free(&y->alloc, y->ring);
    y->ring = p;
    y->cap = cap;
    return 1;
}

/* ---- positions ---------------------------------------------------------- */

static nfb__pos pos_of(const cursor *c)
{
    nfb__pos p = {c->bi, c->line, c->bi - c->line_start + 1};
    return p;
}

/* Moves c to the character with index target, or to the end of the
 * buffered input. */
static void walk_chars(const nfb__yaml *y, cursor *c, uint64_t target)
{
    while (c->ci < target && c->bi < y->have) {
        const unsigned char *s;
        size_t n = span(y, c->bi, y->have, &s);
        for (size_t i = 0; i < n; i++) {
            if ((s[i] & 0xC0) == 0x80) continue; /* inside a character */
            if (c->ci == target) {
                c->bi += i;
                return;
            }
            c->ci++;
            if (s[i] == '\n') c->line++, c->line_start = c->bi + i + 1;
        }
        c->bi += n;
    }
    /* Past the last character: skip its continuation bytes. */
    while (c->bi < y->have && (byte_at(y, c->bi) & 0xC0) == 0x80)
        c->bi++;
}

/* Moves c to the byte offset target (at most the buffered end). */
static void walk_bytes(const nfb__yaml *y, cursor *c, uint64_t target)
{
    if (target > y->have) target = y->have;
    while (c->bi < target) {
        const unsigned char *s;
        size_t n = span(y, c->bi, target, &s);
        for (size_t i = 0; i < n; i++) {
            if ((s[i] & 0xC0) != 0x80) c->ci++;
            if (s[i] == '\n') c->line++, c->line_start = c->bi + i + 1;
        }
        c->bi += n;
    }
}

/* The position of libyaml's mark; with advance, the cursor moves there.
 * Marks before the cursor (never seen) are taken as the cursor. */
static nfb__pos mark_pos(nfb__yaml *y, yaml_mark_t m, int advance)
{
    cursor c = y->cur;
    walk_chars(y, &c, m.index);
    if (advance) y->cur = c;
    return pos_of(&c);
}

/* ---- the parser --------------------------------------------------------- */

/* The length of the character at s[0..n) when libyaml accepts it (UTF-8
 * of a printable character: tab, line breaks, U+0020..U+007E, U+0085,
 * U+00A0..U+D7FF, U+E000..U+FFFD, U+10000..U+10FFFF), 0 when it refuses
 * it, -1 when n bytes are too few to tell. */
static int char_len(const unsigned char *s, size_t n)
{
    unsigned c = s[0], v;
    int w;
    if (c < 0x80)
        return c == 0x09 || c == 0x0A || c == 0x0D || c >= 0x20
                   ? (c == 0x7F ? 0 : 1)
                   : 0;
    if ((c & 0xE0) == 0xC0)
        w = 2, v = c & 0x1F;
    else if ((c & 0xF0) == 0xE0)
        w = 3, v = c & 0x0F;
    else if ((c & 0xF8) == 0xF0)
        w = 4, v = c & 0x07;
    else
        return 0;
    for (int i = 1; i < w; i++) {
        if ((size_t)i >= n) return -1;
        if ((s[i] & 0xC0) != 0x80) return 0;
        v = v << 6 | (s[i] & 0x3F);
    }
    if ((w == 2 && v < 0x80) || (w == 3 && v < 0x800) ||
        (w == 4 && v < 0x10000))
        return 0; /* overlong */
    if (v == 0x85 || (v >= 0xA0 && v <= 0xD7FF) ||
        (v >= 0xE000 && v <= 0xFFFD) || (v >= 0x10000 && v <= 0x10FFFF))
        return w;
    return 0;
}

/* Moves y->checked over the characters libyaml accepts, up to end: it
 * stops at one it refuses (y->bad set) or at one cut by end. */
static void check_input(nfb__yaml *y, uint64_t end)
{
    while (!y->bad && y->checked < end) {
        const unsigned char *s;
        size_t n = span(y, y->checked, end, &s), i = 0;
        while (i < n && s[i] >= 0x20 && s[i] < 0x7F)
            i++;
        y->checked += i;
        if (i < n) {
            unsigned char t[4] = {0};
            size_t k = 0;
            for (; k < 4 && y->checked + k < end; k++)
                t[k] = byte_at(y, y->checked + k);
            int w = char_len(t, k);
            if (w < 0) return;
            if (w == 0)
                y->bad = 1;
            else
                y->checked += (uint64_t)w;
        }
    }
}

/* libyaml's read handler: hands out bytes up to the step's end. Asked for
 * more there before the real end of the input, the window is exhausted:
 * libyaml then sees an end of input, and the step is thrown away.
 * libyaml checks the text it reads ahead as it reads it, so it would
 * refuse a bad character before giving the events in front of it: bytes
 * are handed up to the first character it would refuse, and that one only
 * when it asks for more there. */
static int read_handler(void *data, unsigned char *buf, size_t size,
                        size_t *size_read)
{
    nfb__yaml *y = data;
    uint64_t end = y->end < y->have ? y->end : y->have;
    *size_read = 0;
    if (y->given >= end) {
        if (!y->finished || y->given < y->have) y->exhausted = 1;
        return 1;
    }
    if (y->checked < y->given) y->checked = y->given;
    check_input(y, end);
    uint64_t n = end - y->given;
    if (y->checked > y->given) {
        n = y->checked - y->given; /* the good characters */
    } else if (y->bad) {
        n = 1; /* the bad one: libyaml reports it */
    } else if (end < y->have || !y->finished) {
        /* A character cut by the window's end: it is past the window. */
        y->exhausted = 1;
        return 1;
    }
    if (n > size) n = size;
    for (size_t done = 0; done < n;) {
        const unsigned char *s;
        size_t k = span(y, y->given, y->given + (n - done), &s);
        memcpy(buf + done, s, k);
        done += k;
        y->given += k;
    }
    *size_read = (size_t)n;
    return 1;
}

static void parser_drop(nfb__yaml *y)
{
    if (y->has_parser) yaml_parser_delete(&y->parser);
    y->has_parser = 0;
}

/* A fresh parser reading from offset at (a line start). */
static int parser_start(nfb__yaml *y, uint64_t at)
{
    parser_drop(y);
    if (!yaml_parser_initialize(&y->parser)) {
        y->dg->failed = 1;
        return 0;
    }
    y->has_parser = 1;
    yaml_parser_set_input(&y->parser, read_handler, y);
    yaml_parser_set_encoding(&y->parser, YAML_UTF8_ENCODING);
    y->pbase = y->given = y->checked = at;
    y->bad = 0;
    y->cur.ci = 0;
    y->last_end_ci = 0;
    y->depth = 0;
    y->skipping = 0;
    y->after_end = 0;
    return 1;
}

/* The document is dropped: the decoder forgets it and the input is skipped
 * from offset from to the next line that starts a document. */
static void skip_document(nfb__yaml *y, uint64_t from)
{
    nfb__dec_reset(y->dec);
    parser_drop(y);
    y->depth = 0;
    y->skipping = 1;
    y->skip_from = from;
}

/* ---- diagnostics -------------------------------------------------------- */

/* What is at offset off, for "found ...". */
static const char *found_at(nfb__yaml *y, uint64_t off, char *buf, size_t n)
{
    if (off >= y->have) return "the end of the input";
    unsigned char c = byte_at(y, off);
    if (c == '\n') return "the end of the line";
    if (c >= 0x21 && c < 0x7f)
        snprintf(buf, n, "'%c'", c);
    else
        snprintf(buf, n, "byte 0x%02x", c);
    return buf;
}

/* A step met the window's end: the token limit, reported at the first
 * byte after the last event that is not blank, a comment or an indicator. */
static void token_limit(nfb__yaml *y)
{
    cursor c = y->cur;
    walk_chars(y, &c, y->last_end_ci);
    uint64_t off = c.bi, end = y->end < y->have ? y->end : y->have;
    int blank_before = 1;
    while (off < end) {
        unsigned char b = byte_at(y, off);
        unsigned char nx = off + 1 < end ? byte_at(y, off + 1) : ' ';
        int nx_blank = nx == ' ' || nx == '\t' || nx == '\r' || nx == '\n';
        if (b == ' ' || b == '\t' || b == '\r' || b == '\n') {
            off++;
            blank_before = 1;
        } else if (b == '#' && blank_before) {
            while (off < end && byte_at(y, off) != '\n')
                off++;
        } else if (((b == '-' || b == '?' || b == ':') && nx_blank) ||
                   b == ',' || b == '[' || b == '{') {
            off++;
            blank_before = 0;
        } else {
            break;
        }
    }
    walk_bytes(y, &c, off);
    nfb__report(y->dg, NFB_ERROR, NFB_CODE_LIMIT, "", pos_of(&c),
                TOKEN_LIMIT_FMT, y->max_string);
    skip_document(y, c.bi);
}

/* libyaml refused the input. */
static nfb_result yaml_error(nfb__yaml *y)
{
    yaml_parser_t *p = &y->parser;
    if (p->error == YAML_MEMORY_ERROR) {
        y->dg->failed = 1;
        return NFB_ENOMEM;
    }
    cursor c = y->cur;
    if (p->error == YAML_READER_ERROR)
        walk_bytes(y, &c, y->pbase + p->problem_offset);
    else
        walk_chars(y, &c, p->problem_mark.index);
    char found[32];
    const char *problem = p->problem ? p->problem : "unknown error";
    const char *context = p->context ? p->context : "";
    /* Why it is read as YAML, in the first document only. */
    const char *why = y->dg->doc <= 1 ? y->why : NULL;
    y->why = NULL;
    nfb__report(y->dg, NFB_ERROR, NFB_CODE_SYNTAX, "", pos_of(&c),
                "invalid YAML: %s%s%s, found %s%s%s", problem,
                *context ? " " : "", context,
                found_at(y, c.bi, found, sizeof found), why ? "; " : "",
                why ? why : "");
    skip_document(y, c.bi);
    return y->dg->stopped ? NFB_STOPPED : NFB_OK;
}

/* A node nfbackup does not read: a syntax error "expected <expected>,
 * found <found><name>", and the document is skipped. */
static nfb_result refuse(nfb__yaml *y, nfb__pos at, const char *expected,
                         const char *found, const char *name)
{
    char shown[72];
    size_t n = 0, len = strlen(name);
    /* Tags may hold any bytes (%-escapes): show printable ASCII only. */
    for (; n < 64 && n < len; n++) {
        unsigned char c = (unsigned char)name[n];
        shown[n] = c >= 0x21 && c < 0x7f ? (char)c : '?';
    }
    if (n < len) shown[n++] = '.', shown[n++] = '.', shown[n++] = '.';
    shown[n] = 0;
    nfb__report(y->dg, NFB_ERROR, NFB_CODE_SYNTAX, "", at,
                "expected %s, found %s%s; the rest of the document is skipped",
                expected, found, shown);
    skip_document(y, at.offset);
    return y->dg->stopped ? NFB_STOPPED : NFB_OK;
}

/* ---- scalars ------------------------------------------------------------ */

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static int one_of(const char *s, size_t len, const char *const *words)
{
    for (; *words; words++)
        if (strlen(*words) == len && memcmp(*words, s, len) == 0) return 1;
    return 0;
}

static int num_reserve(nfb__yaml *y, size_t n)
{
    if (n <= y->num_cap) return 1;
    char *p = nfb__malloc(&y->alloc, n);
    if (!p) return 0;
    nfb__free(&y->alloc, y->num);
    y->num = p;
    y->num_cap = n;
    return 1;
}

/* A core-schema float or integer in JSON's grammar into y->num. Returns
 * its length, 0 when s is not one, or (size_t)-1 when memory ran out. */
static size_t decimal_number(nfb__yaml *y, const char *s, size_t len)
{
    size_t i = 0;
    if (i < len && (s[i] == '-' || s[i] == '+')) i++;
    size_t int_from = i;
    while (i < len && is_digit(s[i]))
        i++;
    size_t int_to = i, frac_from = i, frac_to = i;
    int dot = 0;
    if (i < len && s[i] == '.') {
        dot = 1;
        frac_from = ++i;
        while (i < len && is_digit(s[i]))
            i++;
        frac_to = i;
    }
    if (int_to == int_from && frac_to == frac_from) return 0;
    if (int_to == int_from && !dot) return 0;
    size_t exp_from = i;
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < len && (s[i] == '-' || s[i] == '+')) i++;
        size_t d = i;
        while (i < len && is_digit(s[i]))
            i++;
        if (i == d) return 0;
    }
    if (i != len) return 0;
    if (!num_reserve(y, len + 3)) return (size_t)-1;
    char *o = y->num;
    size_t n = 0;
    if (s[0] == '-') o[n++] = '-';
    while (int_from + 1 < int_to && s[int_from] == '0')
        int_from++;
    if (int_from == int_to) o[n++] = '0';
    memcpy(o + n, s + int_from, int_to - int_from);
    n += int_to - int_from;
    if (dot) {
        o[n++] = '.';
        if (frac_to == frac_from) o[n++] = '0';
        memcpy(o + n, s + frac_from, frac_to - frac_from);
        n += frac_to - frac_from;
    }
    memcpy(o + n, s + exp_from, len - exp_from);
    return n + (len - exp_from);
}

/* The digits of an octal or hexadecimal integer (after its 0o or 0x), in
 * decimal into y->num: base 1e9 limbs, least significant first. Returns
 * the length, 0 when there are too many digits, (size_t)-1 when memory ran
 * out. */
static size_t radix_number(nfb__yaml *y, const char *s, size_t len,
                           unsigned base)
{
    while (len > 1 && s[0] == '0')
        s++, len--;
    if (len > MAX_RADIX_DIGITS) return 0;
    size_t nl = 1;
    y->limbs[0] = 0;
    for (size_t i = 0; i < len; i++) {
        uint64_t carry = (uint64_t)hex_value(s[i]);
        for (size_t k = 0; k < nl; k++) {
            uint64_t v = (uint64_t)y->limbs[k] * base + carry;
            y->limbs[k] = (uint32_t)(v % 1000000000u);
            carry = v / 1000000000u;
        }
        if (carry) y->limbs[nl++] = (uint32_t)carry;
    }
    if (!num_reserve(y, nl * 9 + 1)) return (size_t)-1;
    int n = snprintf(y->num, 10, "%u", (unsigned)y->limbs[nl - 1]);
    for (size_t k = nl - 1; k-- > 0;)
        n += snprintf(y->num + n, 10, "%09u", (unsigned)y->limbs[k]);
    return (size_t)n;
}

/* ---- the writers' rule ------------------------------------------------
 *
 * A YAML file is written by a tool, and each tool quotes a string exactly
 * when its own loader would read the plain text as something else: the
 * Northflank CLI's -o yaml (js-yaml 3 safeDump) writes the strings 08 and
 * 0o17 plain, PyYAML's safe_dump writes 1e3 plain. So a plain scalar that
 * the core schema types is still a string where the schema wants one,
 * unless each of the three rules below types it too (a null, bool, int or
 * float), which is when every common writer would have quoted the string:
 *
 *   core       the YAML 1.2 core schema (plain_value's typing; the yaml
 *              package, ruamel.yaml and js-yaml 4 type a superset of it)
 *   js-yaml 3  its DEFAULT_SAFE_SCHEMA (lib/js-yaml/type/{null,bool,int,
 *              float}.js of 3.15)
 *   PyYAML     the YAML 1.1 implicit resolvers of its SafeLoader
 *              (resolver.py)
 *
 *   plain text           core    js-yaml 3  PyYAML   where a string is
 *                                                    wanted, read as
 *   ~ null Null NULL ''  null    null       null     null
 *   true False TRUE      bool    bool       bool     bool
 *   yes No on OFF        string  string     bool     string
 *   1234 -5 +0 007 0x1F  int     int        int      number
 *   08 -09 0178          int     string     string   string
 *   0o17                 int     string     string   string
 *   -0x1F 0b101 1_000    string  int        int      string
 *   1:20                 string  int        int      string
 *   1.5 -1. .5 1.5e+3    float   float      float    number
 *   1e3 1.5e3 .5e3       float   float      string   string
 *   1e+3                 float   float      string   string
 *   01.5 00.             float   string     float    string
 *   +.5 -.5              float   string     string   string
 *   1:20.5 1_0.5         string  float      float    string
 *   .inf -.Inf .NaN      float   float      float    number (refused)
 *
 * The two functions below are js-yaml 3's and PyYAML's rules; a string
 * under at least one of them is nfb__dec_plain's "string" (the decoder
 * takes the text where a string is wanted). Where the schema wants a
 * number, the core schema's typing stands. */

/* The end of the run of characters of set from i. */
static size_t run_of(const char *s, size_t i, size_t n, const char *set)
{
    while (i < n && s[i] && strchr(set, s[i]))
        i++;
    return i;
}

#define DIGITS "0123456789"
#define DIGITS_ "0123456789_"

/* Whether s[i..n) is empty or an exponent [eE][-+]?[0-9]+ (with the sign
 * required when sign is set). */
static int exponent_to_end(const char *s, size_t i, size_t n, int sign)
{
    if (i == n) return 1;
    if (s[i] != 'e' && s[i] != 'E') return 0;
    i++;
    if (i < n && (s[i] == '-' || s[i] == '+'))
        i++;
    else if (sign)
        return 0;
    size_t d = run_of(s, i, n, DIGITS);
    return d > i && d == n;
}

/* The end of (:[0-5]?[0-9])+ from i, or 0 when there is none. */
static size_t base60(const char *s, size_t i, size_t n)
{
    size_t end = 0;
    while (i < n && s[i] == ':') {
        size_t d = run_of(s, i + 1, n, DIGITS);
        if (d == i + 1 || d > i + 3 || (d == i + 3 && s[i + 1] > '5')) break;
        end = i = d;
    }
    return end;
}

/* [-+]?[0-9][0-9_]*(:[0-5]?[0-9])+\.[0-9_]* : the sexagesimal float of
 * both (i after the sign). */
static int base60_float(const char *s, size_t i, size_t n)
{
    if (i == n || !is_digit(s[i])) return 0;
    size_t e = base60(s, run_of(s, i + 1, n, DIGITS_), n);
    return e && e < n && s[e] == '.' && run_of(s, e + 1, n, DIGITS_) == n;
}

/* The digits (and _) of the integer whose 0 is before *from: 0b binary
 * and 0x hexadecimal (*from then after the b or x), else octal. */
static const char *radix_digits(const char *s, size_t n, size_t *from)
{
    if (*from < n && s[*from] == 'b') {
        ++*from;
        return "01_";
    }
    if (*from < n && s[*from] == 'x') {
        ++*from;
        return "0123456789abcdefABCDEF_";
    }
    return "01234567_";
}

/* [-+]?\.(inf|Inf|INF) and \.(nan|NaN|NAN), the same in all three. */
static int inf_or_nan(const char *s, size_t n)
{
    static const char *const words[] = {".inf", ".Inf", ".INF", NULL};
    static const char *const nans[] = {".nan", ".NaN", ".NAN", NULL};
    size_t i = n && (s[0] == '-' || s[0] == '+');
    return one_of(s + i, n - i, words) || one_of(s, n, nans);
}

/* Whether js-yaml 3 reads the plain text s as a null, bool, int or float
 * (its DEFAULT_SAFE_SCHEMA: nulls and bools as the core schema's). */
static int js_yaml_3_typed(const char *s, size_t n)
{
    static const char *const words[] = {"",      "~",     "null",  "Null",
                                        "NULL",  "true",  "True",  "TRUE",
                                        "false", "False", "FALSE", NULL};
    if (one_of(s, n, words) || inf_or_nan(s, n)) return 1;
    if (s[n - 1] == '_') return 0; /* no int or float ends with _ */
    size_t i = s[0] == '-' || s[0] == '+';
    if (i == n) return 0;
    /* int: 0, 0b[01_]+, 0x[0-9a-fA-F_]+, 0[0-7_]+ (a digit among the
     * underscores), or [1-9][0-9_]*(:[0-5]?[0-9])* */
    if (s[i] == '0') {
        size_t from = i + 1;
        const char *set = radix_digits(s, n, &from);
        if (i + 1 == n ||
            (run_of(s, from, n, set) == n && run_of(s, from, n, "_") < n))
            return 1;
    } else if (is_digit(s[i])) {
        size_t e = run_of(s, i, n, DIGITS_);
        if (e == n || (s[e] == ':' && base60(s, e, n) == n)) return 1;
    }
    /* float: (0|[1-9][0-9_]*)(\.[0-9_]*)?([eE][-+]?[0-9]+)?, or
     * \.[0-9_]+([eE][-+]?[0-9]+)? without a sign, or sexagesimal */
    size_t e = i;
    if (s[i] == '0')
        e = i + 1;
    else if (is_digit(s[i]))
        e = run_of(s, i + 1, n, DIGITS_);
    if (e > i) {
        if (e < n && s[e] == '.') e = run_of(s, e + 1, n, DIGITS_);
        if (exponent_to_end(s, e, n, 0)) return 1;
    }
    if (s[0] == '.') {
        e = run_of(s, 1, n, DIGITS_);
        if (e > 1 && exponent_to_end(s, e, n, 0)) return 1;
    }
    return base60_float(s, i, n);
}

/* Whether PyYAML's SafeLoader reads the plain text s as a null, bool, int
 * or float (the YAML 1.1 resolvers of its resolver.py). */
static int pyyaml_typed(const char *s, size_t n)
{
    static const char *const words[] = {
        "",      "~",     "null",  "Null", "NULL", "true", "True", "TRUE",
        "false", "False", "FALSE", "yes",  "Yes",  "YES",  "no",   "No",
        "NO",    "on",    "On",    "ON",   "off",  "Off",  "OFF",  NULL};
    if (one_of(s, n, words) || inf_or_nan(s, n)) return 1;
    size_t i = s[0] == '-' || s[0] == '+';
    if (i == n) return 0;
    /* int: 0b[0-1_]+, 0x[0-9a-fA-F_]+, 0[0-7_]+, 0, [1-9][0-9_]*, or
     * [1-9][0-9_]*(:[0-5]?[0-9])+ (underscores alone are digits here) */
    if (s[i] == '0') {
        if (i + 1 == n) return 1;
        size_t from = i + 1;
        const char *set = radix_digits(s, n, &from);
        if (from < n && run_of(s, from, n, set) == n) return 1;
    } else if (is_digit(s[i])) {
        size_t e = run_of(s, i, n, DIGITS_);
        if (e == n || (s[e] == ':' && base60(s, e, n) == n)) return 1;
    }
    /* float: [0-9][0-9_]*\.[0-9_]*([eE][-+][0-9]+)?, or
     * \.[0-9][0-9_]*([eE][-+][0-9]+)? without a sign, or sexagesimal */
    if (is_digit(s[i])) {
        size_t e = run_of(s, i, n, DIGITS_);
        if (e < n && s[e] == '.' &&
            exponent_to_end(s, run_of(s, e + 1, n, DIGITS_), n, 1))
            return 1;
    }
    if (s[0] == '.' && n > 1 && is_digit(s[1]) &&
        exponent_to_end(s, run_of(s, 1, n, DIGITS_), n, 1))
        return 1;
    return base60_float(s, i, n);
}

/* Tells the decoder that the value event it gets next is the plain text
 * s, which the core schema types, and whether a writer may have meant it
 * as a string. */
static void as_written(nfb__yaml *y, const char *s, size_t len)
{
    int string = !js_yaml_3_typed(s, len) || !pyyaml_typed(s, len);
    nfb__dec_plain(y->dec, s, len, string);
}

/* Sends a plain scalar value, typed by the core schema (and the writers'
 * rule above). */
static int plain_value(nfb__yaml *y, nfb__pos at, const char *s, size_t len)
{
    static const char *const nulls[] = {"", "~", "null", "Null", "NULL", NULL};
    static const char *const trues[] = {"true", "True", "TRUE", NULL};
    static const char *const falses[] = {"false", "False", "FALSE", NULL};
    static const char *const nonfinite[] = {
        ".inf",  ".Inf",  ".INF", "+.inf", "+.Inf", "+.INF", "-.inf",
        "-.Inf", "-.INF", ".nan", ".NaN",  ".NAN",  NULL};
    char c0 = len ? s[0] : 0;
    /* Most plain scalars are words: only these can start a typed one. */
    if (c0 && !is_digit(c0) && !strchr("~nNtTfF.-+", c0))
        return nfb__dec_string(y->dec, at, s, len);
    int null = one_of(s, len, nulls), t = one_of(s, len, trues);
    if (null || t || one_of(s, len, falses)) {
        as_written(y, s, len);
        return null ? nfb__dec_null(y->dec, at) : nfb__dec_bool(y->dec, at, t);
    }
    if (one_of(s, len, nonfinite)) {
        as_written(y, s, len);
        snprintf(y->msg, sizeof y->msg, "a YAML number JSON cannot hold (%.*s)",
                 (int)len, s);
        nfb__dec_bad_text(y->dec, at, y->msg);
        return nfb__dec_string(y->dec, at, s, len);
    }
    size_t n = 0;
    if (len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'o')) {
        unsigned base = s[1] == 'x' ? 16 : 8;
        size_t i = 2;
        while (i < len && hex_value(s[i]) >= 0 && hex_value(s[i]) < (int)base)
            i++;
        if (i == len) {
            n = radix_number(y, s + 2, len - 2, base);
            if (n == 0) {
                as_written(y, s, len);
                snprintf(y->msg, sizeof y->msg,
                         "a YAML %s integer of more than %d digits, too long "
                         "to convert",
                         base == 16 ? "hexadecimal" : "octal",
                         MAX_RADIX_DIGITS);
                nfb__dec_bad_text(y->dec, at, y->msg);
                return nfb__dec_string(y->dec, at, s, len);
            }
        }
    } else {
        n = decimal_number(y, s, len);
    }
    if (n == (size_t)-1) {
        y->dg->failed = 1;
        return 0;
    }
    if (!n) return nfb__dec_string(y->dec, at, s, len);
    as_written(y, s, len);
    return nfb__dec_number(y->dec, at, y->num, n);
}

/* ---- events ------------------------------------------------------------- */

#define ANCHOR_EXPECTED "a node without an anchor (YAML anchors are not read)"
#define TAG_PREFIX "tag:yaml.org,2002:"

/* 1 when the node's tag (NULL: none) is the core tag named. */
static int core_tag(const yaml_char_t *tag, const char *name)
{
    size_t n = sizeof TAG_PREFIX - 1;
    return tag && strncmp((const char *)tag, TAG_PREFIX, n) == 0 &&
           strcmp((const char *)tag + n, name) == 0;
}

/* What the decoder said: go on, stop, or drop the document. */
static nfb_result after(nfb__yaml *y, int ok, nfb__pos at)
{
    if (ok) return NFB_OK;
    if (y->dg->failed) return NFB_ENOMEM;
    if (y->dg->stopped) return NFB_STOPPED;
    skip_document(y, at.offset);
    return NFB_OK;
}

static int push(nfb__yaml *y, unsigned char kind)
{
    if (y->depth == y->stack_cap) {
        size_t cap = y->stack_cap ? y->stack_cap * 2 : 64;
        unsigned char *p = nfb__malloc(&y->alloc, cap);
        if (!p) {
            y->dg->failed = 1;
            return 0;
        }
        if (y->depth) memcpy(p, y->stack, y->depth);
        nfb__free(&y->alloc, y->stack);
        y->stack = p;
        y->stack_cap = cap;
    }
    y->stack[y->depth++] = kind;
    return 1;
}

enum { K_MAP = 1, K_KEY = 2 };

/* A node starts where the open mapping awaits a key: 1 when it is a key.
 * Otherwise, in a mapping, the key after this value is awaited next. */
static int key_position(nfb__yaml *y)
{
    if (!y->depth || !(y->stack[y->depth - 1] & K_MAP)) return 0;
    if (y->stack[y->depth - 1] & K_KEY) return 1;
    y->stack[y->depth - 1] |= K_KEY;
    return 0;
}

static nfb_result on_scalar(nfb__yaml *y, const yaml_event_t *ev, nfb__pos at)
{
    const char *s = (const char *)ev->data.scalar.value;
    size_t len = ev->data.scalar.length;
    int plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
    const yaml_char_t *tag = ev->data.scalar.tag;
    if (ev->data.scalar.anchor)
        return refuse(y, at, ANCHOR_EXPECTED, "the anchor &",
                      (const char *)ev->data.scalar.anchor);
    if (tag && !core_tag(tag, "str"))
        return refuse(y, at, "a scalar with no tag or the tag !!str",
                      "the tag ", (const char *)tag);
    if (tag) plain = 0; /* !!str: a string whatever its text */
    if (!y->depth && plain && len == 0) return NFB_OK; /* no node at all */
    if (len > y->max_string) {
        nfb__report(y->dg, NFB_ERROR, NFB_CODE_LIMIT, "", at, TOKEN_LIMIT_FMT,
                    y->max_string);
        skip_document(y, at.offset);
        return y->dg->stopped ? NFB_STOPPED : NFB_OK;
    }
    if (key_position(y)) {
        if (plain && len == 2 && s[0] == '<' && s[1] == '<')
            return refuse(y, at,
                          "a field name (YAML merge keys are not expanded)",
                          "the merge key ", "<<");
        y->stack[y->depth - 1] &= (unsigned char)~K_KEY;
        return after(y, nfb__dec_map_key(y->dec, at, s, len), at);
    }
    int ok = plain ? plain_value(y, at, s, len)
                   : nfb__dec_string(y->dec, at, s, len);
    return after(y, ok, at);
}

static nfb_result on_start(nfb__yaml *y, const yaml_event_t *ev, nfb__pos at,
                           int map)
{
    const yaml_char_t *anchor =
        map ? ev->data.mapping_start.anchor : ev->data.sequence_start.anchor;
    const yaml_char_t *tag =
        map ? ev->data.mapping_start.tag : ev->data.sequence_start.tag;
    if (anchor)
        return refuse(y, at, ANCHOR_EXPECTED, "the anchor &",
                      (const char *)anchor);
    if (tag && !core_tag(tag, map ? "map" : "seq"))
        return refuse(y, at,
                      map ? "a mapping with no tag or the tag !!map"
                          : "a sequence with no tag or the tag !!seq",
                      "the tag ", (const char *)tag);
    if (key_position(y))
        return refuse(y, at, "a scalar key", map ? "a mapping" : "a sequence",
                      "");
    if (y->depth + 1 >= MAX_NESTING) {
        nfb__report(y->dg, NFB_ERROR, NFB_CODE_LIMIT, "", at,
                    "expected at most %d levels of nesting, found more; the "
                    "rest of the document is skipped",
                    MAX_NESTING - 1);
        skip_document(y, at.offset);
        return y->dg->stopped ? NFB_STOPPED : NFB_OK;
    }
    if (!push(y, map ? K_MAP | K_KEY : 0)) return NFB_ENOMEM;
    int ok =
        map ? nfb__dec_map_start(y->dec, at) : nfb__dec_array_start(y->dec, at);
    return after(y, ok, at);
}

static nfb_result on_event(nfb__yaml *y, const yaml_event_t *ev)
{
    /* A block collection ends where its last node ends (libyaml's mark is
     * at the next token, past blank lines and comments), as a JSON one
     * ends at its bracket. */
    int block_end = (ev->type == YAML_MAPPING_END_EVENT ||
                     ev->type == YAML_SEQUENCE_END_EVENT) &&
                    ev->start_mark.index == ev->end_mark.index &&
                    y->last_end_ci <= ev->start_mark.index;
    nfb__pos at;
    if (block_end) {
        cursor c = y->cur;
        walk_chars(y, &c, y->last_end_ci);
        at = pos_of(&c); /* the cursor stays before it, for the next */
    } else {
        at = mark_pos(y, ev->start_mark, 1);
        y->last_end_ci = ev->end_mark.index;
    }
    switch (ev->type) {
    case YAML_STREAM_END_EVENT:
        y->done = 1;
        return NFB_OK;
    case YAML_DOCUMENT_START_EVENT:
        y->depth = 0;
        return NFB_OK;
    case YAML_ALIAS_EVENT:
        return refuse(y, at, "a value (YAML aliases are not expanded)",
                      "the alias *", (const char *)ev->data.alias.anchor);
    case YAML_SCALAR_EVENT:
        return on_scalar(y, ev, at);
    case YAML_MAPPING_START_EVENT:
        return on_start(y, ev, at, 1);
    case YAML_SEQUENCE_START_EVENT:
        return on_start(y, ev, at, 0);
    case YAML_MAPPING_END_EVENT:
        y->depth--;
        return after(y, nfb__dec_map_end(y->dec, at), at);
    case YAML_SEQUENCE_END_EVENT:
        y->depth--;
        return after(y, nfb__dec_array_end(y->dec, at), at);
    default: /* stream start, document end, nothing */
        return NFB_OK;
    }
}

/* One parse step. */
static nfb_result step(nfb__yaml *y)
{
    yaml_event_t ev;
    y->end =
        y->window > UINT64_MAX - y->given ? UINT64_MAX : y->given + y->window;
    y->exhausted = 0;
    int ok = yaml_parser_parse(&y->parser, &ev);
    if (y->exhausted) {
        if (ok) yaml_event_delete(&ev);
        token_limit(y);
        return y->dg->stopped ? NFB_STOPPED : NFB_OK;
    }
    if (!ok) return yaml_error(y);
    nfb_result r = on_event(y, &ev);
    yaml_event_delete(&ev);
    return r;
}

/* ---- skipping ----------------------------------------------------------- */

static int blank_or_break(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Reads lines up to one, after skip_from and after where the last parser
 * started, that starts with `---` and a blank or the end of the input, or
 * that follows one that starts with the document end marker `...` and a
 * blank or the end; starts parsing there. Returns 0 when more input is needed,
 * 1 otherwise. */
static int skip(nfb__yaml *y)
{
    cursor *c = &y->cur;
    walk_bytes(y, c, y->skip_from);
    for (;;) {
        if (c->bi == c->line_start && c->bi > y->pbase) {
            if (y->after_end) return parser_start(y, c->bi), 1;
            if (y->have - c->bi < 4 && !y->finished) return 0;
            int marker =
                y->have - c->bi >= 3 &&
                (y->have - c->bi == 3 || blank_or_break(byte_at(y, c->bi + 3)));
            unsigned char m = marker ? byte_at(y, c->bi) : 0;
            if (m != '-' && m != '.') marker = 0;
            for (int i = 1; marker && i < 3; i++)
                marker = byte_at(y, c->bi + (uint64_t)i) == m;
            if (marker && m == '-') return parser_start(y, c->bi), 1;
            /* After a document end marker, the next line may begin a
             * document without "---". */
            if (marker) y->after_end = 1;
        }
        /* On to the next line. */
        int found = 0;
        while (c->bi < y->have && !found) {
            const unsigned char *s;
            size_t n = span(y, c->bi, y->have, &s);
            const unsigned char *nl = memchr(s, '\n', n);
            if (nl) n = (size_t)(nl - s) + 1, found = 1;
            c->bi += n;
        }
        if (!found) {
            y->keep = c->bi;
            if (y->finished) y->done = 1, y->skipping = 0;
            return y->finished;
        }
        c->line++;
        c->line_start = c->bi;
    }
}

/* ---- driving ------------------------------------------------------------ */

/* Parses or skips as far as the buffered input allows. */
static nfb_result pump(nfb__yaml *y)
{
    for (;;) {
        if (y->dg->failed) return NFB_ENOMEM;
        if (y->dg->stopped) return NFB_STOPPED;
        if (y->done) return NFB_OK;
        if (y->skipping) {
            if (!skip(y)) break;
            if (y->dg->failed) return NFB_ENOMEM;
            continue;
        }
        if (!y->finished && y->have - y->given < y->window) break;
        nfb_result r = step(y);
        if (r != NFB_OK) return r;
    }
    /* Bytes before the last event (or the skip) are no longer needed. */
    y->keep = y->cur.bi;
    return NFB_OK;
}

nfb__yaml *nfb__yaml_new(const nfb_allocator *a, nfb__dec *dec, nfb__diags *dg,
                         size_t max_string)
{
    nfb__yaml *y = nfb__malloc(a, sizeof *y);
    if (!y) return NULL;
    memset(y, 0, sizeof *y);
    y->alloc = *a;
    y->dec = dec;
    y->dg = dg;
    y->max_string = max_string;
    uint64_t w = (uint64_t)max_string + 2;
    y->window =
        w > (UINT64_MAX - GAP_SLACK) / 4 ? UINT64_MAX / 4 : 2 * w + GAP_SLACK;
    nfb__yaml_begin(y);
    if (!y->has_parser) {
        nfb__yaml_free(y);
        return NULL;
    }
    return y;
}

void nfb__yaml_begin(nfb__yaml *y)
{
    nfb__yaml_begin_at(y, 0, 1);
}

void nfb__yaml_why(nfb__yaml *y, const char *why)
{
    y->why = why;
}

void nfb__yaml_begin_at(nfb__yaml *y, uint64_t off, uint64_t line)
{
    y->why = NULL;
    y->keep = y->have = off;
    y->finished = y->done = y->exhausted = 0;
    y->cur.bi = y->cur.line_start = off;
    y->cur.line = line;
    parser_start(y, off);
}

nfb_result nfb__yaml_feed(nfb__yaml *y, const unsigned char *p, size_t n)
{
    if (y->dg->failed) return NFB_ENOMEM;
    if (y->dg->stopped) return NFB_STOPPED;
    if (!y->has_parser && !y->skipping && !y->done) {
        y->dg->failed = 1; /* the parser could not be made */
        return NFB_ENOMEM;
    }
    while (n) {
        /* Take what the next step waits for; while skipping, 64 KiB. */
        uint64_t want = GAP_SLACK;
        if (!y->skipping && !y->done) want = y->given + y->window - y->have;
        size_t take = want < n ? (size_t)want : n;
        if (!ring_reserve(y, y->have + take - y->keep)) {
            y->dg->failed = 1;
            return NFB_ENOMEM;
        }
        if (y->done) { /* libyaml ended the stream: nothing more is read */
            y->have += take;
            y->keep = y->have;
        } else {
            put(y->ring, y->cap, y->have, p, take);
            y->have += take;
        }
        p += take, n -= take;
        nfb_result r = pump(y);
        if (r != NFB_OK) return r;
    }
    return NFB_OK;
}

nfb_result nfb__yaml_finish(nfb__yaml *y)
{
    if (y->dg->failed) return NFB_ENOMEM;
    if (y->dg->stopped) return NFB_STOPPED;
    if (!y->has_parser && !y->skipping && !y->done) {
        y->dg->failed = 1;
        return NFB_ENOMEM;
    }
    y->finished = 1;
    nfb_result r = pump(y);
    parser_drop(y);
    return r;
}

void nfb__yaml_free(nfb__yaml *y)
{
    if (!y) return;
    parser_drop(y);
    nfb_allocator a = y->alloc;
    nfb__free(&a, y->ring);
    nfb__free(&a, y->stack);
    nfb__free(&a, y->num);
    nfb__free(&a, y);
}
