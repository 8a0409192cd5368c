/* Batches: the list of inputs of a run (arguments, folders read
 * recursively, --files-from lists) and, for --output-dir, where each
 * input's output goes.
 *
 * A folder gives its regular files, found recursively, in the byte order
 * (strcmp) of their paths, so that date-named files come in date order.
 * Names starting with '.' inside it are left out, files and folders alike
 * (.git, editors' swap files, the temporary files of an interrupted -o).
 * Symbolic links are followed; one that leads to a folder it is inside
 * is a loop, told by the folders' (device, inode), and is not followed.
 * What is neither a regular file nor a folder (a FIFO, a socket, a
 * device) is not read, and is an error at its turn; so is a folder that
 * cannot be listed. A folder given that holds no file is a warning. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

void batch_init(batch *b)
{
    memset(b, 0, sizeof *b);
}

void batch_free(batch *b)
{
    for (size_t i = 0; i < b->n; i++)
        free(b->in[i].path);
    free(b->in);
    free(b->paths);
    memset(b, 0, sizeof *b);
}

/* Adds path (copied) of the given kind. Returns -1 when out of memory. */
static int add(batch *b, const char *path, int kind, int err)
{
    if (b->n == b->cap) {
        size_t cap = b->cap ? 2 * b->cap : 16;
        batch_input *in = realloc(b->in, cap * sizeof *in);
        if (!in) return -1;
        b->in = in, b->cap = cap;
    }
    char *copy = strdup(path);
    if (!copy) return -1;
    b->in[b->n].path = copy;
    b->in[b->n].kind = kind;
    b->in[b->n].err = err;
    b->n++;
    return 0;
}

/* The folders from the one given down to the one being read. */
typedef struct ancestor {
    dev_t dev;
    ino_t ino;
    const struct ancestor *up;
} ancestor;

static int is_ancestor(const ancestor *a, const struct stat *st)
{
    for (; a; a = a->up)
        if (a->dev == st->st_dev && a->ino == st->st_ino) return 1;
    return 0;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* dir + "/" + name, in a new string (NULL: out of memory). */
static char *join(const char *dir, const char *name)
{
    size_t d = strlen(dir), n = strlen(name);
    int slash = d && dir[d - 1] != '/';
    char *p = malloc(d + slash + n + 1);
    if (!p) return NULL;
    memcpy(p, dir, d);
    if (slash) p[d] = '/';
    memcpy(p + d + slash, name, n + 1);
    return p;
}

/* Adds the files under the folder path (whose stat is st). Returns -1
 * when out of memory. */
static int walk(batch *b, const char *path, const struct stat *st,
                const ancestor *up)
{
    ancestor here = {st->st_dev, st->st_ino, up};
    DIR *d = opendir(path);
    if (!d) return add(b, path, BATCH_UNLISTED, errno);
    char **names = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    struct dirent *e;
    for (;;) {
        errno = 0;
        e = readdir(d);
        if (!e) break;
        if (e->d_name[0] == '.') continue; /* hidden, and . and .. */
        if (n == cap) {
            size_t c = cap ? 2 * cap : 32;
            char **p = realloc(names, c * sizeof *p);
            if (!p) {
                rc = -1;
                break;
            }
            names = p, cap = c;
        }
        if (!(names[n] = join(path, e->d_name))) {
            rc = -1;
            break;
        }
        n++;
    }
    int read_err = !e && errno ? errno : 0;
    closedir(d);
    if (rc == 0 && read_err) rc = add(b, path, BATCH_UNLISTED, read_err);
    /* Sorted here by name within the folder; the whole argument's list is
     * sorted by full path at the end (a/b and a.json differ in order). */
    if (n) qsort(names, n, sizeof *names, by_name);
    for (size_t i = 0; i < n && rc == 0; i++) {
        struct stat s;
        if (stat(names[i], &s) != 0) {
            /* A dangling link, or one that cannot be followed: opening it
             * at its turn says why. */
            rc = add(b, names[i], BATCH_FILE, 0);
        } else if (S_ISREG(s.st_mode)) {
            rc = add(b, names[i], BATCH_FILE, 0);
        } else if (S_ISDIR(s.st_mode)) {
            if (is_ancestor(&here, &s))
                rc = add(b, names[i], BATCH_LOOP, 0);
            else if (b->skip_set && s.st_dev == b->skip_dev &&
                     s.st_ino == b->skip_ino)
                continue; /* the output folder: its files are not inputs */
            else
                rc = walk(b, names[i], &s, &here);
        } else {
            rc = add(b, names[i], BATCH_NOT_REGULAR, 0);
        }
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return rc;
}

static int by_path(const void *a, const void *b)
{
    return strcmp(((const batch_input *)a)->path,
                  ((const batch_input *)b)->path);
}

int batch_add(batch *b, const char *arg)
{
    struct stat st;
    if (strcmp(arg, "-") == 0 || stat(arg, &st) != 0 || !S_ISDIR(st.st_mode))
        return add(b, arg, BATCH_FILE, 0);
    size_t first = b->n;
    if (walk(b, arg, &st, NULL) != 0) return -1;
    if (b->n > first) /* b->in is NULL while nothing was added */
        qsort(b->in + first, b->n - first, sizeof *b->in, by_path);
    /* A folder with nothing in it is told, not read as nothing. */
    return b->n == first ? add(b, arg, BATCH_EMPTY, 0) : 0;
}

/* The whole of stream f, or NULL (errno set). There is always room for
 * one byte after its end (the loop grows the buffer before it reads). */
static char *slurp(FILE *f, size_t *len)
{
    size_t cap = 4096, n = 0;
    char *p = malloc(cap);
    if (!p) return NULL;
    for (;;) {
        if (n == cap) {
            char *q = cap < SIZE_MAX / 2 ? realloc(p, cap * 2) : NULL;
            if (!q) {
                free(p);
                errno = ENOMEM;
                return NULL;
            }
            p = q, cap *= 2;
        }
        size_t k = fread(p + n, 1, cap - n, f);
        n += k;
        if (k == 0) break;
    }
    if (ferror(f)) {
        int e = errno ? errno : EIO;
        free(p);
        errno = e;
        return NULL;
    }
    *len = n;
    return p;
}

int batch_read_list(batch *b, const char *list, int nul)
{
    int from_stdin = strcmp(list, "-") == 0;
    FILE *f = from_stdin ? stdin : fopen(list, "re");
    const char *name = from_stdin ? "<stdin>" : list;
    if (!f) {
        report_errorf("--files-from: cannot open %s: %s", name,
                      strerror(errno));
        return EXIT_IO;
    }
    size_t len = 0;
    errno = 0;
    char *text = slurp(f, &len);
    int e = errno;
    if (!from_stdin) fclose(f);
    if (!text) {
        report_errorf("--files-from: cannot read %s: %s", name, strerror(e));
        return EXIT_IO;
    }
    int rc = 0;
    char sep = nul ? '\0' : '\n';
    for (size_t at = 0; at < len && rc == 0;) {
        char *end = memchr(text + at, sep, len - at);
        size_t n = end ? (size_t)(end - (text + at)) : len - at;
        text[at + n] = '\0'; /* the separator, or the byte after the end */
        const char *entry = text + at;
        at += n + 1;
        if (!n) continue; /* empty lines are skipped */
        if (!nul && memchr(entry, '\0', n)) {
            report_errorf("--files-from: %s holds a NUL byte: give "
                          "--null (-0) for a NUL-separated list",
                          name);
            rc = EXIT_USAGE;
        } else if (from_stdin && strcmp(entry, "-") == 0) {
            report_errorf("--files-from -: the list names - (standard "
                          "input), which holds the list itself");
            rc = EXIT_USAGE;
        } else if (batch_add(b, entry) != 0) {
            report_errorf("out of memory");
            rc = EXIT_IO;
        }
    }
    free(text);
    return rc;
}

int batch_check(const batch_input *in)
{
    switch (in->kind) {
    case BATCH_EMPTY:
        report_warnf("%s: no file to read in this folder (names starting "
                     "with . are left out)",
                     in->path);
        return BATCH_SKIP;
    case BATCH_LOOP:
        report_warnf("%s: a link back to a folder it is in; not followed",
                     in->path);
        return BATCH_SKIP;
    case BATCH_NOT_REGULAR:
        report_errorf("cannot read %s: not a regular file or a folder",
                      in->path);
        return EXIT_IO;
    case BATCH_UNLISTED:
        report_errorf("cannot read folder %s: %s", in->path, strerror(in->err));
        return EXIT_IO;
    default:
        return 0;
    }
}

char **batch_paths(batch *b, int *n)
{
    free(b->paths);
    b->paths = malloc((b->n ? b->n : 1) * sizeof *b->paths);
    if (!b->paths) return NULL;
    int k = 0;
    for (size_t i = 0; i < b->n; i++)
        if (b->in[i].kind == BATCH_FILE) b->paths[k++] = b->in[i].path;
    *n = k;
    return b->paths;
}

/* ---- --output-dir ---------------------------------------------------- */

typedef struct sbuf {
    char *p;
    size_t len, cap;
} sbuf;

static int sb_add(sbuf *s, const char *p, size_t n)
{
    if (s->len + n + 1 > s->cap) {
        size_t cap = s->cap ? s->cap : 64;
        while (cap < s->len + n + 1)
            cap *= 2;
        char *q = realloc(s->p, cap);
        if (!q) return -1;
        s->p = q, s->cap = cap;
    }
    memcpy(s->p + s->len, p, n);
    s->len += n;
    s->p[s->len] = '\0';
    return 0;
}

/* The compression suffixes taken off before the format's extension. */
static const char *const packed[] = {".gz", ".zst", ".zstd"};

/* The length of name without its extensions: a compression suffix, then
 * one extension; a leading dot is part of the name, never an extension,
 * and nothing is taken off that would leave it empty. */
static size_t stem(const char *name, size_t n)
{
    for (size_t i = 0; i < sizeof packed / sizeof *packed; i++) {
        size_t k = strlen(packed[i]);
        if (n > k + 1 && memcmp(name + n - k, packed[i], k) == 0) {
            n -= k;
            break;
        }
    }
    for (size_t i = n; i > 1; i--)
        if (name[i - 1] == '.') return i - 1;
    return n;
}

/* Appends the components of path to s, '/' before each; the last one,
 * when last is set, with its extension replaced by ext. Returns 0, -1
 * when out of memory, or 1 with why set. */
static int add_parts(sbuf *s, const char *path, int last, const char *ext,
                     const char **why)
{
    const char *p = path;
    int any = 0;
    while (*p) {
        size_t n = strcspn(p, "/");
        const char *part = p;
        p += n;
        while (*p == '/')
            p++;
        if (n == 0 || (n == 1 && part[0] == '.')) continue;
        if (n == 2 && part[0] == '.' && part[1] == '.') {
            *why = "a '..' component would write outside the output "
                   "folder";
            return 1;
        }
        int is_last = !*p;
        size_t keep = is_last && last ? stem(part, n) : n;
        if (sb_add(s, "/", 1) || sb_add(s, part, keep)) return -1;
        if (is_last && last &&
            (sb_add(s, ".", 1) || sb_add(s, ext, strlen(ext))))
            return -1;
        any = 1;
    }
    if (!any) {
        *why = "no file name is left to write";
        return 1;
    }
    return 0;
}

int batch_output_path(const char *dir, const char *input, const char *member,
                      const char *ext, char **out, const char **why)
{
    sbuf s = {NULL, 0, 0};
    size_t d = strlen(dir);
    while (d > 1 && dir[d - 1] == '/')
        d--;
    int rc = sb_add(&s, dir, d);
    if (rc == 0 && d == 1 && dir[0] == '/') s.len = 0; /* "/" + "/x" */
    *why = NULL;
    if (rc == 0 && !member && strcmp(input, "-") == 0) {
        rc = sb_add(&s, "/stdin.", 7) || sb_add(&s, ext, strlen(ext)) ? -1 : 0;
    } else if (rc == 0) {
        /* A leading '/' is dropped: absolute inputs land under dir. */
        rc = add_parts(&s, input, !member, ext, why);
        if (rc == 0 && member) {
            if (member[0] == '/') {
                *why = "the archive member's name is absolute";
                rc = 1;
            } else {
                rc = add_parts(&s, member, 1, ext, why);
            }
        }
    }
    if (rc != 0) {
        free(s.p);
        *out = NULL;
        return rc;
    }
    *out = s.p;
    return 0;
}

int batch_make_parents(const char *path)
{
    char *p = strdup(path);
    if (!p) return -1;
    for (char *slash = strchr(p + 1, '/'); slash;
         slash = strchr(slash + 1, '/')) {
        *slash = '\0';
        if (slash[-1] != '/' && mkdir(p, 0777) != 0 && errno != EEXIST) {
            int e = errno;
            struct stat st;
            if (stat(p, &st) != 0 || !S_ISDIR(st.st_mode)) {
                free(p);
                errno = e;
                return -1;
            }
        }
        *slash = '/';
    }
    free(p);
    return 0;
}
