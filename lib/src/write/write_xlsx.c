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
 * record, in the columns --columns picks (the column table of columns.h, as
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
 * libxlsxwriter is not linked: lx_load.c loads it when the first xlsx
 * writer is made, so that the runs that write none do not load it.
 *
 * Memory stays bounded: libxlsxwriter keeps only the current row (it
 * spills the rows to temporary files beside the output), and the writer
 * keeps one cell's text. libxlsxwriter allocates with malloc, not with the
 * options' allocator, and prints a line on stderr itself when it cannot
 * write the file (a full disk).
 *
 * Write errors. libxlsxwriter checks its writes to the zip, but not those
 * to its temporary files: each sheet's rows go to a file of their own,
 * which is copied into the sheet's XML (another temporary file) when the
 * workbook is closed, and then deflated into the zip. A full disk or a
 * file size limit there would leave a workbook with rows missing or its
 * XML cut, and no error. So the writer checks what it can reach, and
 * reads back what it cannot:
 * - the rows' file (worksheet->optimize_tmpfile, a field of the public
 *   struct): its error flag after every record, so that a full disk stops
 *   the run at once; its last row written out and the file flushed when
 *   the writer moves past the sheet, and its size kept;
 * - the finished workbook: every member inflated, each XML part ending
 *   with its root element's end tag (a part cut short does not), the size
 *   the zip's directory gives, and each sheet's rows between <sheetData>
 *   and </sheetData> exactly as many bytes as its rows' file held (a
 *   failed write in the middle of the copy leaves a hole). Inflating costs
 *   a few per cent of the run.
 * A failure is NFB_EWRITE with errno saying why: the error of the write,
 * when it is one a write gives (ENOSPC, EFBIG, EDQUOT, EIO), else EIO.
 *
 * Temporary files. libxlsxwriter's own are removed as soon as they are
 * made (its tmpfileplus), in the folder of the output, or of the spool
 * file. The spool file (no path) is made in $TMPDIR or /tmp and its name
 * removed at once too: libxlsxwriter, which opens the output by name,
 * gets it as /proc/self/fd/N, so that no exit, not even SIGKILL, leaves it
 * behind. Only where /proc is missing does the name stay until the writer
 * is freed. */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/statvfs.h>
#include <sys/types.h>
#include <unistd.h>

#include <xlsxwriter.h>
#include <zlib.h>

#include "lx_load.h"
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
    const nfb__lx *lx; /* libxlsxwriter's functions */
    lxw_workbook *wb;
    lxw_worksheet *ws;
    lxw_format *bold, *date, *count;
    char *path;           /* the file libxlsxwriter writes (ours) */
    char *tmpdir;         /* its temporary files' folder */
    int spool;            /* path is a temporary file handed to write at end */
    int spool_fd;         /* that file, open; -1 */
    int spool_named;      /* its name is path, to remove at the end */
    uint64_t *rows_bytes; /* bytes in the rows' file of each sheet */
    uint32_t sheets_cap;
    int cut_by_limit; /* the workbook read back had a part cut there */
    int no_memory;    /* ... or could not be read back for want of it */
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

/* A file could not be written: NFB_EWRITE, with errno saying why (e, when
 * it is an error that a write gives, else EIO). */
static int io_error(int e)
{
    errno = e == ENOSPC || e == EFBIG || e == EDQUOT || e == EIO ? e : EIO;
    return NFB_EWRITE;
}

/* A libxlsxwriter result as an nfb_result: a cell it refuses is a
 * workbook that cannot be written. */
static int lxw_res(lxw_error e)
{
    if (e == LXW_NO_ERROR) return NFB_OK;
    return e == LXW_ERROR_MEMORY_MALLOC_FAILED ? NFB_ENOMEM : io_error(errno);
}

static int init(nfb_writer *w, const nfb_writer_options *o, char *err,
                size_t errlen)
{
    xlsx_writer *x = (xlsx_writer *)w;
    x->spool_fd = -1;
    x->on_note = o->on_note;
    x->note_ctx = o->note_ctx;
    x->sheet_rows = o->sheet_rows && o->sheet_rows < DEFAULT_SHEET_ROWS
                        ? o->sheet_rows
                        : DEFAULT_SHEET_ROWS;
    int res = nfb__parse_columns(o->columns, &x->cols, err, errlen);
    if (res != NFB_OK) return res;
    /* Before any file is made: without the library there is no workbook. */
    const char *why = "";
    x->lx = nfb__lx_load(&why);
    if (!x->lx) {
        snprintf(err, errlen, "cannot load libxlsxwriter to write xlsx: %s",
                 why);
        return NFB_EIO;
    }
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
        fcntl(fd, F_SETFD, FD_CLOEXEC);
        x->spool = 1;
        x->spool_fd = fd;
        x->spool_named = 1;
        x->tmpdir = copy_str(&w->alloc, dir, n);
        if (!x->tmpdir) return NFB_ENOMEM;
        /* The name removed at once, the file reached through /proc. */
        char proc[32];
        snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
        int again = open(proc, O_WRONLY | O_CLOEXEC);
        if (again >= 0) {
            close(again);
            char *by_fd = copy_str(&w->alloc, proc, strlen(proc));
            if (!by_fd) return NFB_ENOMEM;
            unlink(x->path);
            nfb__free(&w->alloc, x->path);
            x->path = by_fd;
            x->spool_named = 0;
        }
    }
    lxw_workbook_options wo = {LXW_TRUE, x->tmpdir, LXW_FALSE};
    x->wb = x->lx->workbook_new_opt(x->path, &wo);
    if (!x->wb) return NFB_ENOMEM;
    x->bold = x->lx->workbook_add_format(x->wb);
    x->date = x->lx->workbook_add_format(x->wb);
    x->count = x->lx->workbook_add_format(x->wb);
    if (!x->bold || !x->date || !x->count) return NFB_ENOMEM;
    x->lx->format_set_bold(x->bold);
    x->lx->format_set_num_format(x->date, "yyyy-mm-dd hh:mm:ss.000");
    x->lx->format_set_num_format(x->count, "0");
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
        int res = lxw_res(x->lx->worksheet_set_column(
            x->ws, (lxw_col_t)i, (lxw_col_t)i, (double)w + 1, NULL));
        if (res != NFB_OK) return res;
    }
    int res = lxw_res(x->lx->worksheet_autofilter(x->ws, 0, 0, x->row - 1,
                                                  (lxw_col_t)(x->cols.n - 1)));
    if (res != NFB_OK) return res;
    /* The sheet's last row, which libxlsxwriter holds until the next one
     * or the end, written out now so that its write is checked too. */
    x->lx->lxw_worksheet_write_single_row(x->ws);
    FILE *f = x->ws->optimize_tmpfile;
    if (!f) return NFB_OK;
    if (ferror(f)) return io_error(errno);
    if (fflush(f) != 0) return io_error(errno);
    off_t size = ftello(f);
    if (size < 0) return io_error(errno);
    x->rows_bytes[x->sheet - 1] = (uint64_t)size;
    return NFB_OK;
}

/* Whether a write to the current sheet's rows' file has failed. */
static int rows_failed(const xlsx_writer *x)
{
    return x->ws->optimize_tmpfile && ferror(x->ws->optimize_tmpfile);
}

/* Starts sheet number x->sheet + 1 with its header row. */
static int new_sheet(xlsx_writer *x)
{
    if (x->ws) {
        int res = finish_sheet(x);
        if (res != NFB_OK) return res;
    }
    if (x->sheet == x->sheets_cap) {
        uint32_t cap = x->sheets_cap ? 2 * x->sheets_cap : 4;
        uint64_t *bytes = nfb__malloc(&x->base.alloc, cap * sizeof *bytes);
        if (!bytes) return NFB_ENOMEM;
        if (x->sheet) memcpy(bytes, x->rows_bytes, x->sheet * sizeof *bytes);
        nfb__free(&x->base.alloc, x->rows_bytes);
        x->rows_bytes = bytes;
        x->sheets_cap = cap;
    }
    char name[32] = "backups";
    if (x->sheet) snprintf(name, sizeof name, "backups-%u", x->sheet + 1);
    errno = 0;
    x->ws = x->lx->workbook_add_worksheet(x->wb, name);
    /* NULL when memory or its rows' temporary file could not be had. */
    if (!x->ws) return errno && errno != ENOMEM ? io_error(errno) : NFB_ENOMEM;
    x->rows_bytes[x->sheet] = 0;
    x->sheet++;
    for (unsigned i = 0; i < x->cols.n; i++) {
        const char *n = x->cols.col[i].name;
        /* The autofilter's button takes about two characters. */
        x->width[i] = (uint32_t)strlen(n) + 2;
        int res = lxw_res(
            x->lx->worksheet_write_string(x->ws, 0, (lxw_col_t)i, n, x->bold));
        if (res != NFB_OK) return res;
    }
    x->lx->worksheet_freeze_panes(x->ws, 1, 0);
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
        x->lx->worksheet_write_string(x->ws, x->row, (lxw_col_t)col, t, NULL));
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
    return lxw_res(x->lx->worksheet_write_number(x->ws, x->row, (lxw_col_t)col,
                                                 serial, x->date));
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
    return lxw_res(x->lx->worksheet_write_number(x->ws, x->row, (lxw_col_t)col,
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
    return rows_failed(x) ? io_error(errno) : NFB_OK;
}

/* "backups-2!G12" */
static void cell_name(const xlsx_writer *x, const note *n, char *buf,
                      size_t len)
{
    char sheet[32] = "backups";
    if (n->sheet > 1) snprintf(sheet, sizeof sheet, "backups-%u", n->sheet);
    char cell[LXW_MAX_CELL_NAME_LENGTH];
    x->lx->lxw_rowcol_to_cell(cell, n->row, n->col);
    snprintf(buf, len, "%s!%s", sheet, cell);
}

static void send_notes(xlsx_writer *x)
{
    if (!x->on_note) return;
    for (int k = 0; k < NNOTES; k++) {
        const note *n = &x->notes[k];
        if (!n->count) continue;
        char where[48], msg[320];
        cell_name(x, n, where, sizeof where);
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

/* ---- the workbook read back ---- */

enum { VBLOCK = 64 * 1024, VHEAD = 16 * 1024, VTAIL = 64 };

static uint32_t le16(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

static uint32_t le32(const unsigned char *p)
{
    return le16(p) | le16(p + 2) << 16;
}

static uint64_t le64(const unsigned char *p)
{
    return le32(p) | (uint64_t)le32(p + 4) << 32;
}

static int read_at(FILE *f, uint64_t off, void *buf, size_t n)
{
    return off <= (uint64_t)INT64_MAX && fseeko(f, (off_t)off, SEEK_SET) == 0 &&
           fread(buf, 1, n, f) == n;
}

/* What is known of a member as its bytes go by. */
typedef struct scan {
    uint64_t total;
    unsigned char head[VHEAD]; /* its first bytes */
    size_t head_len;
    unsigned char tail[VTAIL]; /* its last bytes */
    size_t tail_len;
    int sheet;          /* a sheet whose rows are checked */
    uint64_t rows;      /* their bytes */
    int64_t rows_start; /* where they begin, once found; -1 */
    unsigned char end_tag[12];
    size_t end_len; /* bytes of end_tag seen where it must be */
} scan;

/* The offset of the first "<sheetData>" in s->head past its end, or -1. */
static int64_t find_rows(const scan *s)
{
    static const char tag[] = "<sheetData>";
    const size_t n = sizeof tag - 1;
    for (size_t i = 0; i + n <= s->head_len; i++)
        if (s->head[i] == '<' && memcmp(s->head + i, tag, n) == 0)
            return (int64_t)(i + n);
    return -1;
}

static void scan_bytes(scan *s, const unsigned char *d, size_t n)
{
    if (s->head_len < VHEAD) {
        size_t k = n < VHEAD - s->head_len ? n : VHEAD - s->head_len;
        memcpy(s->head + s->head_len, d, k);
        s->head_len += k;
        if (s->sheet && s->rows_start < 0) s->rows_start = find_rows(s);
    }
    if (s->sheet && s->rows_start >= 0) {
        /* The 12 bytes where "</sheetData>" must be. */
        uint64_t at = (uint64_t)s->rows_start + s->rows + s->end_len;
        while (s->end_len < sizeof s->end_tag && at >= s->total &&
               at < s->total + n)
            s->end_tag[s->end_len++] = d[at++ - s->total];
    }
    if (n >= VTAIL) {
        memcpy(s->tail, d + n - VTAIL, VTAIL);
        s->tail_len = VTAIL;
    } else {
        size_t keep = s->tail_len + n > VTAIL ? VTAIL - n : s->tail_len;
        memmove(s->tail, s->tail + s->tail_len - keep, keep);
        memcpy(s->tail + keep, d, n);
        s->tail_len = keep + n;
    }
    s->total += n;
}

/* Does the member end with the end tag of the element it begins with
 * (after an XML declaration)? */
static int whole_xml(const scan *s)
{
    const unsigned char *p = s->head, *e = s->head + s->head_len;
    if (e - p >= 5 && memcmp(p, "<?xml", 5) == 0) {
        while (p + 1 < e && !(p[0] == '?' && p[1] == '>'))
            p++;
        p += 2;
    }
    while (p < e && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
        p++;
    if (p >= e || *p++ != '<') return 0;
    const unsigned char *name = p;
    while (p < e && *p != ' ' && *p != '>' && *p != '/' && *p != '\r' &&
           *p != '\n' && *p != '\t')
        p++;
    size_t len = (size_t)(p - name), t = s->tail_len;
    while (t && (s->tail[t - 1] == '\n' || s->tail[t - 1] == '\r' ||
                 s->tail[t - 1] == ' '))
        t--;
    return len && len + 3 <= t && s->tail[t - len - 3] == '<' &&
           s->tail[t - len - 2] == '/' &&
           memcmp(s->tail + t - len - 1, name, len) == 0 &&
           s->tail[t - 1] == '>';
}

/* Inflates the member whose local header is at off into s. */
static int read_member(FILE *f, uint64_t off, uint32_t method, uint64_t csize,
                       scan *s, unsigned char *in, unsigned char *out)
{
    unsigned char h[30];
    if (!read_at(f, off, h, sizeof h) || le32(h) != 0x04034b50) return 0;
    uint64_t data = off + 30 + le16(h + 26) + le16(h + 28);
    if (fseeko(f, (off_t)data, SEEK_SET) != 0) return 0;
    if (method == 0) {
        while (csize) {
            size_t k = csize < VBLOCK ? (size_t)csize : VBLOCK;
            if (fread(in, 1, k, f) != k) return 0;
            scan_bytes(s, in, k);
            csize -= k;
        }
        return 1;
    }
    if (method != Z_DEFLATED) return 0;
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit2(&z, -MAX_WBITS) != Z_OK) return 0;
    int zr = Z_OK;
    while (zr == Z_OK) {
        if (z.avail_in == 0 && csize) {
            size_t k = csize < VBLOCK ? (size_t)csize : VBLOCK;
            if (fread(in, 1, k, f) != k) break;
            csize -= k;
            z.next_in = in;
            z.avail_in = (uInt)k;
        }
        z.next_out = out;
        z.avail_out = VBLOCK;
        zr = inflate(&z, Z_NO_FLUSH);
        scan_bytes(s, out, VBLOCK - z.avail_out);
        /* No progress: more input, or the member is cut short. */
        if (zr == Z_BUF_ERROR && z.avail_in == 0 && csize) zr = Z_OK;
    }
    inflateEnd(&z);
    return zr == Z_STREAM_END;
}

/* The sheet number of a member named xl/worksheets/sheetN.xml, or 0. */
static unsigned long sheet_number(const unsigned char *name, size_t n)
{
    static const char pre[] = "xl/worksheets/sheet";
    const size_t k = sizeof pre - 1;
    if (n <= k + 4 || memcmp(name, pre, k) != 0 ||
        memcmp(name + n - 4, ".xml", 4) != 0)
        return 0;
    unsigned long v = 0;
    for (size_t i = k; i < n - 4; i++) {
        if (name[i] < '0' || name[i] > '9' || v > 1000000) return 0;
        v = v * 10 + (unsigned long)(name[i] - '0');
    }
    return v;
}

/* Reads the central directory's place: 1 and *cd_off, *cd_size, *count,
 * or 0. */
static int find_directory(FILE *f, unsigned char *buf, uint64_t *cd_off,
                          uint64_t *cd_size, uint64_t *count)
{
    if (fseeko(f, 0, SEEK_END) != 0) return 0;
    off_t size = ftello(f);
    if (size < 22) return 0;
    size_t n = size < 22 + 65535 ? (size_t)size : 22 + 65535;
    if (!read_at(f, (uint64_t)size - n, buf, n)) return 0;
    size_t e = n - 22;
    while (le32(buf + e) != 0x06054b50)
        if (e-- == 0) return 0;
    *count = le16(buf + e + 10);
    *cd_size = le32(buf + e + 12);
    *cd_off = le32(buf + e + 16);
    if (*count != 0xffff && *cd_size != 0xffffffff && *cd_off != 0xffffffff)
        return 1;
    /* ZIP64: the locator just before, and the record it points at. */
    uint64_t at = (uint64_t)size - n + e;
    unsigned char z[56];
    if (at < 20 || !read_at(f, at - 20, z, 20) || le32(z) != 0x07064b50)
        return 0;
    if (!read_at(f, le64(z + 8), z, 56) || le32(z) != 0x06064b50) return 0;
    *count = le64(z + 32);
    *cd_size = le64(z + 40);
    *cd_off = le64(z + 48);
    return 1;
}

/* Reads the workbook back (see the top of the file). 1 when it is whole. */
static int workbook_whole(xlsx_writer *x)
{
    FILE *f = fopen(x->path, "rb");
    if (!f) return 0;
    unsigned char *in = nfb__malloc(&x->base.alloc, 2 * VBLOCK + 22);
    scan *s = nfb__malloc(&x->base.alloc, sizeof *s);
    unsigned char *cd = NULL;
    uint64_t cd_off = 0, cd_size = 0, count = 0;
    uint32_t sheets = 0;
    int ok = 0;
    if (!in || !s) {
        x->no_memory = 1;
    } else if (find_directory(f, in, &cd_off, &cd_size, &count) &&
               cd_size <= 64u * 1024 * 1024) {
        cd = nfb__malloc(&x->base.alloc, (size_t)cd_size + 1);
        x->no_memory = !cd;
        ok = cd && read_at(f, cd_off, cd, (size_t)cd_size);
    }
    for (uint64_t i = 0, p = 0; ok && i < count; i++) {
        const unsigned char *e = cd + p;
        if (p + 46 > cd_size || le32(e) != 0x02014b50) {
            ok = 0;
            break;
        }
        uint32_t nlen = le16(e + 28), xlen = le16(e + 30), clen = le16(e + 32);
        if (p + 46 + nlen + xlen + clen > cd_size) {
            ok = 0;
            break;
        }
        uint64_t csize = le32(e + 20), usize = le32(e + 24), off = le32(e + 42);
        /* ZIP64 sizes and offset, each there when the field is full. */
        for (const unsigned char *x64 = e + 46 + nlen, *xe = x64 + xlen;
             x64 + 4 <= xe; x64 += 4 + le16(x64 + 2)) {
            if (le16(x64) != 1) continue;
            const unsigned char *v = x64 + 4, *ve = v + le16(x64 + 2);
            if (ve > xe) break;
            if (usize == 0xffffffff && v + 8 <= ve) usize = le64(v), v += 8;
            if (csize == 0xffffffff && v + 8 <= ve) csize = le64(v), v += 8;
            if (off == 0xffffffff && v + 8 <= ve) off = le64(v);
        }
        unsigned long k = sheet_number(e + 46, nlen);
        memset(s, 0, offsetof(scan, head));
        s->head_len = s->tail_len = s->end_len = 0;
        s->rows_start = -1;
        s->sheet = k >= 1 && k <= x->sheet;
        s->rows = s->sheet ? x->rows_bytes[k - 1] : 0;
        ok = read_member(f, off, le16(e + 10), csize, s, in, in + VBLOCK) &&
             s->total == usize && whole_xml(s);
        /* A file size limit cuts a file at exactly that size. */
        struct rlimit rl;
        if (!ok && getrlimit(RLIMIT_FSIZE, &rl) == 0 &&
            rl.rlim_cur != RLIM_INFINITY && s->total == (uint64_t)rl.rlim_cur)
            x->cut_by_limit = 1;
        if (ok && s->sheet) {
            ok =
                s->end_len == 12 && memcmp(s->end_tag, "</sheetData>", 12) == 0;
            sheets++;
        }
        p += 46 + nlen + xlen + clen;
    }
    ok = ok && sheets == x->sheet;
    nfb__free(&x->base.alloc, cd);
    nfb__free(&x->base.alloc, s);
    nfb__free(&x->base.alloc, in);
    fclose(f);
    return ok;
}

/* The largest sheet's rows are copied into its XML while they are still
 * in their file: where that cannot fit (the size limit of a file, the
 * free space), the failure is known before trying, and its reason. */
static int room_for_copy(const xlsx_writer *x)
{
    uint64_t most = 0;
    for (uint32_t i = 0; i < x->sheet; i++)
        if (x->rows_bytes[i] > most) most = x->rows_bytes[i];
    most += sizeof "<sheetData></sheetData></worksheet>" - 1;
    struct rlimit rl;
    if (getrlimit(RLIMIT_FSIZE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
        most > (uint64_t)rl.rlim_cur)
        return io_error(EFBIG);
    struct statvfs sv;
    if (statvfs(x->tmpdir, &sv) == 0 && sv.f_blocks > 0 &&
        most > (uint64_t)sv.f_bfree * sv.f_frsize)
        return io_error(ENOSPC);
    return NFB_OK;
}

/* Hands the finished temporary file to the write function. */
static int spool_out(xlsx_writer *x)
{
    char buf[NFB__SINK_CAP];
    off_t at = 0;
    for (;;) {
        ssize_t n = pread(x->spool_fd, buf, sizeof buf, at);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return io_error(errno);
        if (n == 0) break;
        at += n;
        if (nfb__sink_put(&x->base.sink, buf, (size_t)n) != 0)
            return NFB_EWRITE;
    }
    return NFB_OK;
}

static int end(nfb_writer *w)
{
    xlsx_writer *x = (xlsx_writer *)w;
    int res = finish_sheet(x);
    if (res != NFB_OK) return res;
    if ((res = room_for_copy(x)) != NFB_OK) return res;
    errno = 0;
    lxw_error e = x->lx->workbook_close(x->wb);
    int saved = errno;
    x->wb = NULL;
    if (e != LXW_NO_ERROR) return lxw_res(e);
    if (!workbook_whole(x))
        return x->no_memory ? NFB_ENOMEM
                            : io_error(saved             ? saved
                                       : x->cut_by_limit ? EFBIG
                                                         : EIO);
    send_notes(x);
    return x->spool ? spool_out(x) : NFB_OK;
}

static void destroy(nfb_writer *w)
{
    xlsx_writer *x = (xlsx_writer *)w;
    if (x->wb) x->lx->lxw_workbook_free(x->wb);
    if (x->spool_named && x->path && x->path[0]) unlink(x->path);
    if (x->spool_fd >= 0) close(x->spool_fd);
    nfb__free(&w->alloc, x->path);
    nfb__free(&w->alloc, x->tmpdir);
    nfb__free(&w->alloc, x->rows_bytes);
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
