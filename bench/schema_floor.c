/* schema_floor: a benchmark reference, not a validator to use. It is the
 * floor of a schema validator for backup records built on yajl's callback
 * API: the whole check of `nfbackup validate -q` written as one fused state
 * machine, so that bench/run --instructions can show how close nfbackup's
 * decoder is to what the work itself costs.
 *
 * yajl is configured as nfbackup's JSON reader configures it (several
 * top-level values, yajl's own UTF-8 check off) and fed 64 KiB chunks; each
 * token's end is noted (yajl_get_bytes_consumed), as a reader that reports
 * positions must. On top of that, and nothing more: keys matched to the
 * fields of each object with a presence mask (duplicates, required fields),
 * strings checked for strict UTF-8 (no copy), enums matched, date-times
 * parsed to the second and nanosecond with the calendar checked, sizes
 * parsed to uint64 with overflow, the lint rules of status and completedAt
 * (counted, never formatted). Unknown keys are skipped with their values.
 * Input: {"data": BACKUP} envelopes and list pages {"data": {"backups":
 * [BACKUP...]}, ...}. No messages, positions kept as offsets, no recovery,
 * no YAML: what it leaves out, nfbackup must do, but only when an input
 * needs it.
 *
 * Output: the number of records on stdout, "N lint" on stderr. Exit status
 * 0; 1 on invalid JSON, a schema error or a read error; 2 on a usage error.
 */

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <yajl/yajl_parse.h>

enum ctx {
    C_TOP,
    C_WRAP,
    C_DATA,
    C_LIST,
    C_BACKUP,
    C_CONFIG,
    C_SOURCE,
    C_DESTS,
    C_DEST,
    C_RESTORE,
    C_SKIP
};
enum type {
    T_NONE,
    T_STR,
    T_ENUM_STATUS,
    T_ENUM_SOURCE,
    T_ENUM_COMP,
    T_ENUM_CUSTOM,
    T_TIME,
    T_SIZE,
    T_NUM,
    T_OBJ,
    T_ARR,
    T_ANY
};

typedef struct {
    const char *name;
    unsigned char len, type, child, required;
} field;

#define F(s, t, c, r)                                                          \
    {                                                                          \
        s, sizeof s - 1, t, c, r                                               \
    }
static const field backup_f[] = {F("id", T_STR, 0, 1),
                                 F("name", T_STR, 0, 1),
                                 F("status", T_ENUM_STATUS, 0, 1),
                                 F("createdAt", T_TIME, 0, 1),
                                 F("completedAt", T_TIME, 0, 0),
                                 F("config", T_OBJ, C_CONFIG, 1),
                                 F("customDestinationId", T_STR, 0, 0),
                                 F("lastRestore", T_OBJ, C_RESTORE, 0)};
static const field config_f[] = {
    F("source", T_OBJ, C_SOURCE, 0), F("size", T_SIZE, 0, 1),
    F("addonVersion", T_STR, 0, 0), F("compressionType", T_ENUM_COMP, 0, 0),
    F("additionalDestinations", T_ARR, C_DESTS, 0)};
static const field source_f[] = {F("type", T_ENUM_SOURCE, 0, 0)};
static const field dest_f[] = {F("destinationId", T_STR, 0, 1),
                               F("retentionTime", T_NUM, 0, 0),
                               F("type", T_ENUM_CUSTOM, 0, 1)};
static const field restore_f[] = {F("restoreTimestamp", T_TIME, 0, 1),
                                  F("status", T_ENUM_STATUS, 0, 1),
                                  F("completedAt", T_TIME, 0, 0)};
static const field wrap_f[] = {F("data", T_OBJ, C_DATA, 0)};
static const field list_f[] = {F("backups", T_ARR, C_LIST, 1)};

static const struct {
    const field *f;
    unsigned n;
} fields_of[] = {[C_BACKUP] = {backup_f, 8},   [C_CONFIG] = {config_f, 5},
                 [C_SOURCE] = {source_f, 1},   [C_DEST] = {dest_f, 3},
                 [C_RESTORE] = {restore_f, 3}, [C_WRAP] = {wrap_f, 1},
                 [C_DATA] = {list_f, 1}};

static const char *const statuses[] = {
    "scheduled", "in-progress", "completed",    "aborting",
    "aborted",   "failed",      "not-supported"};
static const char *const sources[] = {"fileUpload", "liveInstance", "snapshot",
                                      "externalDump", "sameAddon"};
static const char *const comps[] = {"gz", "zstd"};
static const char *const custom[] = {"custom"};

typedef struct {
    int64_t s;
    int32_t ns;
} stamp;

typedef struct {
    unsigned char ctx, field; /* the field whose value comes next */
    uint32_t seen;
} frame;

typedef struct {
    yajl_handle h;
    unsigned long long base, end, records, lints, errors;
    frame st[64];
    int top, skip;
    /* the record being checked */
    int status, rstatus, rhas_end;
    stamp created, completed, rts, rcompleted;
} fl;

static int match(const char *const *names, int n, const unsigned char *s,
                 size_t len)
{
    for (int i = 0; i < n; i++)
        if (strlen(names[i]) == len && memcmp(names[i], s, len) == 0) return i;
    return -1;
}

static int utf8_ok(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        int k = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : 1;
        if (c < 0xc2 || c > 0xf4 || i + (size_t)k >= n) return 0;
        unsigned c1 = s[i + 1];
        if ((c1 & 0xc0) != 0x80) return 0;
        if ((c == 0xe0 && c1 < 0xa0) || (c == 0xed && c1 > 0x9f) ||
            (c == 0xf0 && c1 < 0x90) || (c == 0xf4 && c1 > 0x8f))
            return 0;
        for (int j = 2; j <= k; j++)
            if ((s[i + j] & 0xc0) != 0x80) return 0;
        i += (size_t)k + 1;
    }
    return 1;
}

static int digits(const unsigned char *p, int n, int *v)
{
    int x = 0;
    for (int i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9') return 0;
        x = x * 10 + (p[i] - '0');
    }
    *v = x;
    return 1;
}

/* RFC 3339 date-time to seconds since the epoch and nanoseconds. */
static int parse_time(const unsigned char *p, size_t n, stamp *out)
{
    int y, mo, d, h, mi, s, ns = 0;
    if (n < 20 || !digits(p, 4, &y) || p[4] != '-' || !digits(p + 5, 2, &mo) ||
        p[7] != '-' || !digits(p + 8, 2, &d) || (p[10] | 0x20) != 't' ||
        !digits(p + 11, 2, &h) || p[13] != ':' || !digits(p + 14, 2, &mi) ||
        p[16] != ':' || !digits(p + 17, 2, &s))
        return 0;
    static const unsigned char mdays[] = {31, 28, 31, 30, 31, 30,
                                          31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] + (mo == 2 && leap) ||
        h > 23 || mi > 59 || s > 60)
        return 0;
    size_t i = 19;
    if (p[i] == '.') {
        size_t f = ++i;
        while (i < n && p[i] >= '0' && p[i] <= '9' && i - f < 9)
            ns = ns * 10 + (p[i++] - '0');
        if (i == f) return 0;
        for (size_t k = i - f; k < 9; k++)
            ns *= 10;
    }
    int off = 0;
    if (i < n && (p[i] | 0x20) == 'z') {
        i++;
    } else {
        int oh, om;
        if (i + 6 != n || (p[i] != '+' && p[i] != '-') ||
            !digits(p + i + 1, 2, &oh) || p[i + 3] != ':' ||
            !digits(p + i + 4, 2, &om) || oh > 23 || om > 59)
            return 0;
        off = (oh * 60 + om) * 60 * (p[i] == '-' ? -1 : 1);
        i += 6;
    }
    if (i != n) return 0;
    /* days from 1970-01-01 (civil calendar, March-based years) */
    int yy = y - (mo <= 2), era = yy / 400, yoe = yy - era * 400;
    int doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t days =
        (int64_t)era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
    out->s = days * 86400 + h * 3600 + mi * 60 + s - off;
    out->ns = ns;
    return 1;
}

static int before(const stamp *a, const stamp *b)
{
    return a->s < b->s || (a->s == b->s && a->ns < b->ns);
}

/* The lint rules of one status / start / end triple. */
static void lint(fl *c, int st, const stamp *start, int has_end,
                 const stamp *end)
{
    if (has_end && before(end, start)) c->lints++;
    if (st == 2 && !has_end) c->lints++;
    if ((st == 0 || st == 1) && has_end) c->lints++;
}

static void note(fl *c)
{
    c->end = c->base + yajl_get_bytes_consumed(c->h);
}

static const field *cur(fl *c)
{
    frame *f = &c->st[c->top];
    if (f->field == 0xff) return NULL;
    return &fields_of[f->ctx].f[f->field];
}

static int scalar(fl *c, int is_string, const unsigned char *s, size_t n)
{
    note(c);
    if (c->skip) return 1;
    frame *f = &c->st[c->top];
    const field *fd = cur(c);
    if (!fd) return 1; /* an unknown key's value, or a top-level scalar */
    int idx = f->field;
    f->field = 0xff;
    int ok = 1;
    stamp t;
    switch (fd->type) {
    case T_STR:
        ok = is_string && utf8_ok(s, n);
        break;
    case T_ENUM_STATUS: {
        int v = is_string ? match(statuses, 7, s, n) : -1;
        ok = v >= 0;
        if (f->ctx == C_BACKUP)
            c->status = v;
        else
            c->rstatus = v;
        break;
    }
    case T_ENUM_SOURCE:
        ok = is_string && match(sources, 5, s, n) >= 0;
        break;
    case T_ENUM_COMP:
        ok = is_string && match(comps, 2, s, n) >= 0;
        break;
    case T_ENUM_CUSTOM:
        ok = is_string && match(custom, 1, s, n) >= 0;
        break;
    case T_TIME:
        ok = is_string && parse_time(s, n, &t);
        if (f->ctx == C_BACKUP)
            *(idx == 3 ? &c->created : &c->completed) = t;
        else
            *(idx == 0 ? &c->rts : &c->rcompleted) = t;
        break;
    case T_SIZE: {
        uint64_t v = 0;
        ok = is_string && n > 0 && n <= 20 && (n == 1 || s[0] != '0');
        for (size_t i = 0; ok && i < n; i++) {
            unsigned dg = s[i] - '0';
            ok = dg <= 9 && v <= (UINT64_MAX - dg) / 10;
            v = v * 10 + dg;
        }
        break;
    }
    case T_NUM:
        ok = !is_string;
        break;
    case T_ANY:
        break;
    default:
        ok = 0;
    }
    if (!ok) c->errors++;
    return 1;
}

static int on_null(void *ctx)
{
    return scalar(ctx, 0, NULL, 0);
}

static int on_bool(void *ctx, int b)
{
    (void)b;
    return scalar(ctx, 0, NULL, 0);
}

static int on_number(void *ctx, const char *s, size_t n)
{
    return scalar(ctx, 0, (const unsigned char *)s, n);
}

static int on_string(void *ctx, const unsigned char *s, size_t n)
{
    return scalar(ctx, 1, s, n);
}

static int push(fl *c, int ctx)
{
    if (c->top + 1 >= (int)(sizeof c->st / sizeof c->st[0])) return 0;
    c->st[++c->top] = (frame){(unsigned char)ctx, 0xff, 0};
    return 1;
}

/* A container starts: the child context its field names, or a skip. */
static int open(fl *c, int is_map)
{
    note(c);
    if (c->skip) {
        c->skip++;
        return 1;
    }
    frame *f = &c->st[c->top];
    const field *fd = cur(c);
    int child = -1;
    if (f->ctx == C_TOP) {
        child = is_map ? C_WRAP : -1;
    } else if (f->ctx == C_LIST || f->ctx == C_DESTS) {
        child = is_map ? (f->ctx == C_LIST ? C_BACKUP : C_DEST) : -1;
        if (child < 0) c->errors++;
    } else if (fd) {
        f->field = 0xff;
        if ((fd->type == T_OBJ) == is_map && (fd->type == T_ARR) != is_map)
            child = fd->child;
        else if (fd->type != T_ANY)
            c->errors++;
    }
    if (child < 0) {
        c->skip = 1;
        return 1;
    }
    if (child == C_BACKUP) c->status = c->rstatus = -1;
    return push(c, child);
}

static int on_start_map(void *ctx)
{
    return open(ctx, 1);
}

static int on_start_array(void *ctx)
{
    return open(ctx, 0);
}

static int on_key(void *ctx, const unsigned char *s, size_t n)
{
    fl *c = ctx;
    note(c);
    if (c->skip) return 1;
    frame *f = &c->st[c->top];
    if (f->ctx == C_DATA) { /* an envelope's backup, or a list page */
        if (n == 7 && memcmp(s, "backups", 7) == 0) {
            f->field = 0;
            f->seen |= 1;
            return 1;
        }
        f->ctx = C_BACKUP;
        c->status = c->rstatus = -1;
    }
    const field *fs = fields_of[f->ctx].f;
    unsigned nf = fields_of[f->ctx].n;
    f->field = 0xff;
    for (unsigned i = 0; i < nf; i++) {
        if (fs[i].len == n && memcmp(fs[i].name, s, n) == 0) {
            if (f->seen & (1u << i)) c->errors++; /* a duplicate */
            f->seen |= 1u << i;
            f->field = (unsigned char)i;
            break;
        }
    }
    return 1;
}

static int close_(void *ctx)
{
    fl *c = ctx;
    note(c);
    if (c->skip) {
        c->skip--;
        return 1;
    }
    frame *f = &c->st[c->top];
    if (f->ctx < sizeof fields_of / sizeof fields_of[0] &&
        fields_of[f->ctx].f) {
        const field *fs = fields_of[f->ctx].f;
        for (unsigned i = 0; i < fields_of[f->ctx].n; i++)
            if (fs[i].required && !(f->seen & (1u << i))) c->errors++;
    }
    if (f->ctx == C_BACKUP) {
        c->records++;
        lint(c, c->status, &c->created, (f->seen >> 4) & 1, &c->completed);
        if (f->seen & (1u << 7))
            lint(c, c->rstatus, &c->rts, c->rhas_end, &c->rcompleted);
    } else if (f->ctx == C_RESTORE) {
        c->rhas_end = (f->seen >> 2) & 1;
    }
    c->top--;
    return 1;
}

static const yajl_callbacks callbacks = {
    .yajl_null = on_null,
    .yajl_boolean = on_bool,
    .yajl_number = on_number,
    .yajl_string = on_string,
    .yajl_start_map = on_start_map,
    .yajl_map_key = on_key,
    .yajl_end_map = close_,
    .yajl_start_array = on_start_array,
    .yajl_end_array = close_,
};

int main(int argc, char **argv)
{
    if (argc > 2) {
        fputs("usage: schema_floor [FILE]\n", stderr);
        return 2;
    }
    const char *name = argc > 1 ? argv[1] : "-";
    FILE *in = stdin;
    if (strcmp(name, "-") != 0 && !(in = fopen(name, "rb"))) {
        perror(name);
        return 1;
    }
    static fl c;
    c.h = yajl_alloc(&callbacks, NULL, &c);
    if (!c.h) return 1;
    yajl_config(c.h, yajl_allow_multiple_values, 1);
    yajl_config(c.h, yajl_dont_validate_strings, 1);
    static unsigned char buf[1 << 16];
    size_t n;
    int failed = 0;
    yajl_status st = yajl_status_ok;
    while (st == yajl_status_ok && (n = fread(buf, 1, sizeof buf, in)) > 0) {
        st = yajl_parse(c.h, buf, n);
        c.base += n;
    }
    if (ferror(in)) {
        perror(name);
        failed = 1;
    }
    if (st == yajl_status_ok && !failed) st = yajl_complete_parse(c.h);
    if (st != yajl_status_ok) {
        unsigned char *msg = yajl_get_error(c.h, 0, NULL, 0);
        fprintf(stderr, "schema_floor: %s", (const char *)msg);
        yajl_free_error(c.h, msg);
        failed = 1;
    }
    yajl_free(c.h);
    if (in != stdin) fclose(in);
    if (c.errors) {
        fprintf(stderr, "schema_floor: %llu schema errors\n", c.errors);
        failed = 1;
    }
    if (failed) return 1;
    printf("%llu\n", c.records);
    fprintf(stderr, "%llu lint\n", c.lints);
    return fflush(stdout) != 0 ? 1 : 0;
}
