/* xlsx: an Excel workbook with the csv columns as typed cells, written
 * with libxlsxwriter in its constant-memory mode.
 *
 * Where the file goes. libxlsxwriter writes a zip archive, which needs
 * seeking, to a file it opens by name; it cannot write to a stream. So
 * this writer is registered like the others, but when the options give a
 * path it writes that file directly and the write function is not used:
 * the command line passes the temporary file of its atomic -o (the one it
 * renames over the destination on success), so the library stays free of
 * any policy about where output goes. Without a path the workbook is built
 * in a temporary file ($TMPDIR or /tmp) and handed to write in blocks at
 * the end, so a library caller can send it anywhere.
 *
 * Cells. A sheet "backups" has a bold header row of the dotted column
 * names, frozen, with an autofilter over the data; then one row per
 * record, in the columns --columns picks (the column table of walk.h, as
 * for csv). Every string is a text cell, never a
 * formula, so it needs no guard and keeps its exact value: "007", "true",
 * "=1+1" and "2021-01-20" stay text. Absent values and empty strings are
 * empty cells. config.size is a number cell (format "0", all digits) when
 * it has at most 15 digits, and a text cell of its digits above that: a
 * double holds every integer up to 2^53 (16 digits), but Excel and
 * LibreOffice show, export and compute with 15 significant digits only
 * (LibreOffice shows 2^53 as 9007199254740990), so a 16-digit size would
 * not read back as written. The date-times are
 * date cells in UTC (format yyyy-mm-dd hh:mm:ss.000), so they sort and
 * filter as dates; the fraction is cut to the millisecond, as shown. A
 * date-time before 1900-03-01 is text: Excel's serial numbers start in
 * 1900 and count a 29 February 1900 that did not exist. So is one from
 * 10000-01-01T00:00:00Z on (a year 9999 with an offset west of UTC, or
 * its last leap second): Excel's dates end with 9999-12-31, and a larger
 * serial number in a date cell shows as #### in Excel and cannot be read
 * as a date by others.
 * config.additionalDestinations is its compact JSON, as in csv.
 *
 * Strings. OOXML text escapes a character as _xHHHH_, so the "_" of every
 * "_x" in a value is written escaped, "_x0041_" as "_x005F_x0041_", and
 * NUL, U+FFFE and U+FFFF, which XML cannot hold, as _x0000_, _xFFFE_ and
 * _xFFFF_; libxlsxwriter escapes the other control characters. Excel
 * holds at most 32,767 characters (UTF-16 code units) in a cell: a longer
 * string is cut to that, counting each escape as the seven characters
 * libxlsxwriter counts.
 *
 * Sheets. A sheet has 1,048,576 rows; past that the records go on in a
 * sheet "backups-2" with the header repeated, then "backups-3", and so on
 * (options.sheet_rows lowers the limit, for tests).
 *
 * Column widths. In constant-memory mode each row is written out to
 * libxlsxwriter's temporary file once the next begins, but the column
 * widths (<cols>) are written before the rows only when the workbook is
 * closed, so worksheet_set_column may still be called when a sheet is
 * done. The writer keeps the widest value of each column (in characters,
 * counted up to the cap) as the rows go by and sets each sheet's widths,
 * between the header's and 60 characters, when it moves past that sheet.
 * The autofilter, which must cover the last row, is set at the same time.
 *
 * Notes. A size written as text, a string cut and a date-time written as
 * text are each counted, and at the end one note per kind (how many, and
 * the first cell) goes to options.on_note: the library never prints.
 *
 * Memory stays bounded: libxlsxwriter keeps only the current row (it
 * spills the rows to temporary files beside the output), and the writer
 * keeps one cell's text. libxlsxwriter allocates with malloc, not with the
 * options' allocator, and prints a line on stderr itself when it cannot
 * write the file (a full disk). */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <xlsxwriter.h>

#include "writer_impl.h"

enum {
    MAX_CELL = 32767,            /* Excel's characters in a cell */
    MAX_WIDTH = 60,              /* widest column set, in characters */
    DEFAULT_SHEET_ROWS = 1048575 /* data rows: LXW_ROW_MAX less the header */
};

/* Largest size written as a number: 15 digits, the precision of Excel and
 * LibreOffice (and below 2^53, so exact in a double). */
#define MAX_EXACT_SIZE UINT64_C(999999999999999)

/* 1900-03-01T00:00:00Z, the first instant written as a date cell, and the
 * serial number of 1970-01-01 in Excel's 1900 date system. */
#define FIRST_DATE_SECONDS INT64_C(-2203891200)
/* 10000-01-01T00:00:00Z, the first instant past Excel's last date. */
#define PAST_DATES_SECONDS INT64_C(253402300800)
#define EXCEL_DAY_OF_EPOCH 25569.0

/* The kinds of values written inexactly, for the notes. */
enum { NOTE_BIG_SIZE, NOTE_CUT, NOTE_EARLY_DATE, NOTE_LATE_DATE, NNOTES };

typedef struct note {
    uint64_t count;
    uint32_t sheet, row; /* the first cell */
    unsigned char col;
    char found[40]; /* what was found there, shortened */
} note;

typedef struct xlsx_writer {
    nfb_writer base;
    nfb__columns cols; /* the columns, in output order */
    lxw_workbook *wb;
    lxw_worksheet *ws;
    lxw_format *bold, *date, *count;
    char *path;   /* the file libxlsxwriter writes (ours) */
    char *tmpdir; /* its temporary files' folder, or NULL */
    int spool;    /* path is a temporary file handed to write at end */
    uint32_t sheet_rows;
    uint32_t sheet; /* 1-based number of the current sheet */
    uint32_t row;   /* the next row of the current sheet */
    uint32_t width[NFB__MAX_COLUMNS];
    nfb__buf text; /* one cell's text, escaped, NUL-terminated */
    nfb__buf json; /* an array's cell as JSON */
    note notes[NNOTES];
    nfb_note_fn on_note;
    void *note_ctx;
} xlsx_writer;

static char *copy_str(nfb_allocator *a, const char *s, size_t n)
{
    char *p = nfb__malloc(a, n + 1);
    if (p) memcpy(p, s, n), p[n] = 0;
    return p;
}

/* A libxlsxwriter result as an nfb_result: a cell it refuses is a
 * workbook that cannot be written. */
static int lxw_res(lxw_error e)
{
    if (e == LXW_NO_ERROR) return NFB_OK;
    return e == LXW_ERROR_MEMORY_MALLOC_FAILED ? NFB_ENOMEM : NFB_EWRITE;
}

static int init(nfb_writer *w, const nfb_writer_options *o, char *err,
                size_t errlen)
{
    xlsx_writer *x = (xlsx_writer *)w;
    x->on_note = o->on_note;
    x->note_ctx = o->note_ctx;
    x->sheet_rows = o->sheet_rows && o->sheet_rows < DEFAULT_SHEET_ROWS
                        ? o->sheet_rows
                        : DEFAULT_SHEET_ROWS;
    int res = nfb__parse_columns(o->columns, &x->cols, err, errlen);
    if (res != NFB_OK) return res;
    if (o->path) {
        /* Fail here rather than when libxlsxwriter opens it at the end
         * (where it would print the reason itself). */
        int fd = open(o->path, O_WRONLY | O_CREAT | O_CLOEXEC, 0666);
        if (fd < 0) {
            snprintf(err, errlen, "cannot create %s: %s", o->path,
                     strerror(errno));
            return NFB_EIO;
        }
        close(fd);
        x->path = copy_str(&w->alloc, o->path, strlen(o->path));
        if (!x->path) return NFB_ENOMEM;
        /* libxlsxwriter's temporary files go beside the output, on the
         * file system that is to hold the result anyway. */
        const char *slash = strrchr(o->path, '/');
        x->tmpdir =
            slash ? copy_str(&w->alloc, o->path,
                             slash == o->path ? 1 : (size_t)(slash - o->path))
                  : copy_str(&w->alloc, ".", 1);
        if (!x->tmpdir) return NFB_ENOMEM;
    } else {
        const char *dir = getenv("TMPDIR");
        if (!dir || !*dir) dir = "/tmp";
        size_t n = strlen(dir);
        x->path = nfb__malloc(&w->alloc, n + sizeof "/nfbackup-xlsx-XXXXXX");
        if (!x->path) return NFB_ENOMEM;
        memcpy(x->path, dir, n);
        memcpy(x->path + n, "/nfbackup-xlsx-XXXXXX",
               sizeof "/nfbackup-xlsx-XXXXXX");
        int fd = mkstemp(x->path);
        if (fd < 0) {
            snprintf(err, errlen, "cannot create a temporary file in %s: %s",
                     dir, strerror(errno));
            x->path[0] = 0;
            return NFB_EIO;
        }
        close(fd);
        x->spool = 1;
    }
    lxw_workbook_options wo = {LXW_TRUE, x->tmpdir, LXW_FALSE};
    x->wb = workbook_new_opt(x->path, &wo);
    if (!x->wb) return NFB_ENOMEM;
    x->bold = workbook_add_format(x->wb);
    x->date = workbook_add_format(x->wb);
    x->count = workbook_add_format(x->wb);
    if (!x->bold || !x->date || !x->count) return NFB_ENOMEM;
    format_set_bold(x->bold);
    format_set_num_format(x->date, "yyyy-mm-dd hh:mm:ss.000");
    format_set_num_format(x->count, "0");
    return NFB_OK;
}

/* Characters of s as Excel counts them (UTF-16 code units), up to limit. */
static uint32_t chars(const unsigned char *s, size_t len, uint32_t limit)
{
    uint32_t n = 0;
    for (size_t i = 0; i < len && n < limit; i++)
        if ((s[i] & 0xC0) != 0x80) n += s[i] >= 0xF0 ? 2 : 1;
    return n;
}

static void widen(xlsx_writer *x, unsigned i, uint32_t w)
{
    if (w > x->width[i]) x->width[i] = w;
}

/* Sets the widths and the autofilter of the current sheet. */
static int finish_sheet(xlsx_writer *x)
{
    for (unsigned i = 0; i < x->cols.n; i++) {
        uint32_t w = x->width[i] > MAX_WIDTH ? MAX_WIDTH : x->width[i];
        int res = lxw_res(worksheet_set_column(
            x->ws, (lxw_col_t)i, (lxw_col_t)i, (double)w + 1, NULL));
        if (res != NFB_OK) return res;
    }
    return lxw_res(worksheet_autofilter(x->ws, 0, 0, x->row - 1,
                                        (lxw_col_t)(x->cols.n - 1)));
}

/* Starts sheet number x->sheet + 1 with its header row. */
static int new_sheet(xlsx_writer *x)
{
    if (x->ws) {
        int res = finish_sheet(x);
        if (res != NFB_OK) return res;
    }
    char name[32] = "backups";
    if (x->sheet) snprintf(name, sizeof name, "backups-%u", x->sheet + 1);
    x->ws = workbook_add_worksheet(x->wb, name);
    if (!x->ws) return NFB_ENOMEM;
    x->sheet++;
    for (unsigned i = 0; i < x->cols.n; i++) {
        const char *n = x->cols.col[i].name;
        /* The autofilter's button takes about two characters. */
        x->width[i] = (uint32_t)strlen(n) + 2;
        int res =
            lxw_res(worksheet_write_string(x->ws, 0, (lxw_col_t)i, n, x->bold));
        if (res != NFB_OK) return res;
    }
    worksheet_freeze_panes(x->ws, 1, 0);
    x->row = 1;
    return NFB_OK;
}

static int begin(nfb_writer *w)
{
    return new_sheet((xlsx_writer *)w);
}

static void remember(xlsx_writer *x, int kind, unsigned col, const char *s,
                     size_t len)
{
    note *n = &x->notes[kind];
    if (n->count++) return;
    n->sheet = x->sheet;
    n->row = x->row;
    n->col = (unsigned char)col;
    size_t k = len < sizeof n->found - 4 ? len : sizeof n->found - 4;
    while (k && k < len && ((unsigned char)s[k] & 0xC0) == 0x80)
        k--; /* not inside a UTF-8 sequence */
    memcpy(n->found, s, k);
    strcpy(n->found + k, k < len ? "..." : "");
}

/* A text cell. The value is copied into x->text with NUL, U+FFFE, U+FFFF
 * and the "_" of "_x" escaped, and cut at MAX_CELL characters. */
static int text_cell(xlsx_writer *x, unsigned col, const char *s, size_t len)
{
    if (len == 0) return NFB_OK;
    if (len > (SIZE_MAX - 1) / 7) return NFB_ENOMEM;
    size_t cap = len < MAX_CELL ? len : MAX_CELL;
    int res = nfb__buf_reserve(&x->text, &x->base.alloc, 7 * cap + 8);
    if (res != NFB_OK) return res;
    const unsigned char *u = (const unsigned char *)s;
    char *t = (char *)x->text.ptr;
    size_t k = 0;
    uint32_t n = 0;
    size_t i = 0;
    while (i < len) {
        unsigned char c = u[i];
        size_t step = 1, add;
        const char *esc = NULL;
        if (c == 0) {
            esc = "_x0000_";
        } else if (c == 0xEF && i + 2 < len && u[i + 1] == 0xBF &&
                   (u[i + 2] == 0xBE || u[i + 2] == 0xBF)) {
            /* U+FFFE and U+FFFF, which XML cannot hold */
            esc = u[i + 2] == 0xBE ? "_xFFFE_" : "_xFFFF_";
            step = 3;
        } else if (c == '_' && i + 1 < len && u[i + 1] == 'x') {
            /* Every "_x", not only before HHHH_: LibreOffice also decodes
             * shorter forms such as _x04_. */
            esc = "_x005F_";
        } else if (c >= 0xC0) {
            while (i + step < len && (u[i + step] & 0xC0) == 0x80)
                step++;
        }
        add = esc ? 7 : (c >= 0xF0 ? 2 : 1);
        if (n + add > MAX_CELL) {
            char found[32];
            int m = snprintf(found, sizeof found, "%llu characters",
                             (unsigned long long)n +
                                 chars(u + i, len - i, UINT32_MAX));
            remember(x, NOTE_CUT, col, found, (size_t)m);
            break;
        }
        n += (uint32_t)add;
        /* An escaped "_" is followed by the rest, copied as it is. */
        memcpy(t + k, esc ? esc : (const char *)u + i, esc ? 7 : step);
        k += esc ? 7 : step;
        i += step;
    }
    t[k] = 0;
    widen(x, col, n);
    return lxw_res(
        worksheet_write_string(x->ws, x->row, (lxw_col_t)col, t, NULL));
}

static int time_cell(xlsx_writer *x, unsigned col, const nfb_time *t)
{
    if (t->unix_seconds < FIRST_DATE_SECONDS) {
        remember(x, NOTE_EARLY_DATE, col, t->text.ptr, t->text.len);
        return text_cell(x, col, t->text.ptr, t->text.len);
    }
    if (t->unix_seconds >= PAST_DATES_SECONDS) {
        remember(x, NOTE_LATE_DATE, col, t->text.ptr, t->text.len);
        return text_cell(x, col, t->text.ptr, t->text.len);
    }
    /* Milliseconds since the epoch are exact in a double (below 2^53), and
     * one division rounds them once. */
    double ms =
        (double)t->unix_seconds * 1000.0 + (double)(t->nanoseconds / 1000000u);
    double serial = EXCEL_DAY_OF_EPOCH + ms / 86400000.0;
    widen(x, col, sizeof "2021-01-20 11:19:53.175" - 1);
    return lxw_res(
        worksheet_write_number(x->ws, x->row, (lxw_col_t)col, serial, x->date));
}

/* A size of field f of b: its digits s, its value at off2. */
static int size_cell(xlsx_writer *x, unsigned col, const nfb__field *f,
                     const nfb_backup *b)
{
    nfb_str s = *NFB__AT(nfb_str, b, f->off);
    uint64_t v = *NFB__AT(uint64_t, b, f->off2);
    if (v > MAX_EXACT_SIZE) {
        remember(x, NOTE_BIG_SIZE, col, s.ptr, s.len);
        return text_cell(x, col, s.ptr, s.len);
    }
    widen(x, col, (uint32_t)s.len);
    return lxw_res(worksheet_write_number(x->ws, x->row, (lxw_col_t)col,
                                          (double)v, x->count));
}

/* Cell i of the row: date-times and sizes typed, the rest text, nothing
 * for an absent value. */
static int cell(xlsx_writer *x, unsigned i, const nfb_backup *b)
{
    const nfb__column *c = &x->cols.col[i];
    if (!nfb__column_present(c, b)) return NFB_OK;
    const nfb__field *f = c->field;
    if (f->type == NFB_T_DATETIME)
        return time_cell(x, i, NFB__AT(nfb_time, b, f->off));
    if (f->type == NFB_T_SIZE) return size_cell(x, i, f, b);
    nfb_str v;
    int res = nfb__column_text(c, b, &x->json, &x->base.alloc, &v);
    return res != NFB_OK ? res : text_cell(x, i, v.ptr, v.len);
}

static int write_record(nfb_writer *w, const nfb_backup *b)
{
    xlsx_writer *x = (xlsx_writer *)w;
    if (x->row > x->sheet_rows) {
        int res = new_sheet(x);
        if (res != NFB_OK) return res;
    }
    for (unsigned i = 0; i < x->cols.n; i++) {
        int res = cell(x, i, b);
        if (res != NFB_OK) return res;
    }
    x->row++;
    return NFB_OK;
}

/* "backups-2!G12" */
static void cell_name(const note *n, char *buf, size_t len)
{
    char sheet[32] = "backups";
    if (n->sheet > 1) snprintf(sheet, sizeof sheet, "backups-%u", n->sheet);
    char cell[LXW_MAX_CELL_NAME_LENGTH];
    lxw_rowcol_to_cell(cell, n->row, n->col);
    snprintf(buf, len, "%s!%s", sheet, cell);
}

static void send_notes(xlsx_writer *x)
{
    if (!x->on_note) return;
    for (int k = 0; k < NNOTES; k++) {
        const note *n = &x->notes[k];
        if (!n->count) continue;
        char where[48], msg[320];
        cell_name(n, where, sizeof where);
        int m;
        if (k == NOTE_BIG_SIZE)
            m = snprintf(msg, sizeof msg,
                         "%s: expected a size of at most 15 digits "
                         "(999999999999999) for a number cell, found %s: "
                         "written as text",
                         where, n->found);
        else if (k == NOTE_CUT)
            m = snprintf(msg, sizeof msg,
                         "%s: expected at most 32767 characters in a cell "
                         "(Excel's limit), found %s: cut to that",
                         where, n->found);
        else if (k == NOTE_EARLY_DATE)
            m = snprintf(msg, sizeof msg,
                         "%s: expected a date-time from 1900-03-01 on for a "
                         "date cell, found %s: written as text",
                         where, n->found);
        else
            m = snprintf(msg, sizeof msg,
                         "%s: expected a date-time up to 9999-12-31 (UTC) "
                         "for a date cell, found %s: written as text",
                         where, n->found);
        if (n->count > 1 && m > 0 && (size_t)m < sizeof msg)
            snprintf(msg + m, sizeof msg - (size_t)m,
                     " (and %llu more cells like it)",
                     (unsigned long long)(n->count - 1));
        x->on_note(x->note_ctx, msg);
    }
}

/* Hands the finished temporary file to the write function. */
static int spool_out(xlsx_writer *x)
{
    FILE *f = fopen(x->path, "rb");
    if (!f) return NFB_EWRITE;
    unlink(x->path);
    x->path[0] = 0;
    char buf[NFB__SINK_CAP];
    size_t n;
    int res = NFB_OK;
    while (res == NFB_OK && (n = fread(buf, 1, sizeof buf, f)) > 0)
        if (nfb__sink_put(&x->base.sink, buf, n) != 0) res = NFB_EWRITE;
    if (ferror(f)) res = NFB_EWRITE;
    fclose(f);
    return res;
}

static int end(nfb_writer *w)
{
    xlsx_writer *x = (xlsx_writer *)w;
    int res = finish_sheet(x);
    if (res != NFB_OK) return res;
    lxw_error e = workbook_close(x->wb);
    x->wb = NULL;
    if (e != LXW_NO_ERROR) return lxw_res(e);
    send_notes(x);
    return x->spool ? spool_out(x) : NFB_OK;
}

static void destroy(nfb_writer *w)
{
    xlsx_writer *x = (xlsx_writer *)w;
    if (x->wb) lxw_workbook_free(x->wb);
    if (x->spool && x->path && x->path[0]) unlink(x->path);
    nfb__free(&w->alloc, x->path);
    nfb__free(&w->alloc, x->tmpdir);
    nfb__buf_free(&x->text, &w->alloc);
    nfb__buf_free(&x->json, &w->alloc);
}

const nfb__writer_class nfb__xlsx_writer = {
    {"xlsx", "Excel workbook of the csv columns as typed cells: -o FILE, "
             "--columns"},
    sizeof(xlsx_writer),
    init,
    begin,
    write_record,
    end,
    destroy,
    1};
