/* The pull function, nfb_reader_read: what a library user relies on that
 * the CLI's golden cases do not show.
 *
 * - A packed folder read in reads of any size (1 byte, 7, 64 KiB) gives
 *   the same records and diagnostics.
 * - Text whose first line ends before any NUL is text in reads of any
 *   size, even where its first 512 bytes would pass for a tar header.
 * - An archive pushed with nfb_reader_feed gets one diagnostic that says
 *   to read it with nfb_reader_read, and nothing else.
 * - nfb_reader_feed_file reads archives and xz files.
 * - A read function that fails: NFB_EIO with its errno.
 * - A callback that asks to stop, inside an archive: NFB_STOPPED. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <nfbackup/nfbackup.h>

#define ARCHIVE NFB_TESTDATA "/archive/"

typedef struct seen {
    char log[8192];
    size_t n;
    int records, diags, stop_after;
} seen;

static int on_record(void *ctx, const nfb_backup *b)
{
    seen *s = ctx;
    s->records++;
    s->n += (size_t)snprintf(s->log + s->n, sizeof s->log - s->n,
                             "record %.*s\n", (int)b->id.len, b->id.ptr);
    return 0;
}

static int on_diag(void *ctx, const nfb_diag *d)
{
    seen *s = ctx;
    s->diags++;
    s->n +=
        (size_t)snprintf(s->log + s->n, sizeof s->log - s->n, "%s:%llu: %s\n",
                         d->input, (unsigned long long)d->line, d->message);
    return s->stop_after && s->diags >= s->stop_after;
}

static nfb_reader *reader(seen *s)
{
    nfb_reader_config c;
    nfb_reader_config_init(&c);
    c.on_record = on_record;
    c.on_diag = on_diag;
    c.ctx = s;
    nfb_reader *r = nfb_reader_new(&c, NULL);
    assert_non_null(r);
    return r;
}

typedef struct file {
    FILE *f;
    size_t step;
    int fail;
} file;

static ptrdiff_t read_file(void *ctx, void *buf, size_t len)
{
    file *f = ctx;
    if (f->fail) {
        errno = EACCES;
        return -1;
    }
    if (len > f->step) len = f->step;
    return (ptrdiff_t)fread(buf, 1, len, f->f);
}

static nfb_result read_path(seen *s, const char *path, size_t step)
{
    file f = {fopen(path, "rb"), step, 0};
    assert_non_null(f.f);
    nfb_reader *r = reader(s);
    nfb_result res = nfb_reader_read(r, "a.tgz", read_file, &f);
    nfb_reader_free(r);
    fclose(f.f);
    return res;
}

static void test_read_sizes(void **state)
{
    (void)state;
    static const size_t steps[] = {1, 7, 512, 65536};
    seen first = {0};
    assert_int_equal(read_path(&first, ARCHIVE "backups.tar.gz", 65536),
                     NFB_OK);
    assert_int_equal(first.records, 2);
    assert_int_equal(first.diags, 3);
    assert_non_null(strstr(first.log, "a.tgz:backups/notes.bin:1: expected "
                                      "JSON or YAML text, found binary"));
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        seen s = {0};
        assert_int_equal(read_path(&s, ARCHIVE "backups.tar.gz", steps[i]),
                         NFB_OK);
        assert_string_equal(s.log, first.log);
    }
}

typedef struct mem {
    const char *p;
    size_t n, step;
} mem;

static ptrdiff_t read_mem(void *ctx, void *buf, size_t len)
{
    mem *m = ctx;
    if (len > m->step) len = m->step;
    if (len > m->n) len = m->n;
    memcpy(buf, m->p, len);
    m->p += len, m->n -= len;
    return (ptrdiff_t)len;
}

static void test_text_like_tar(void **state)
{
    (void)state;
    /* A record whose name puts "ustar" at byte 257, where a POSIX tar
     * header has its magic: a first read that ends after the first
     * line decides text, so one read of it all must too. */
    char text[1024];
    int n = snprintf(text, sizeof text,
                     "id: example-backup\nname: %*sustar\n"
                     "status: completed\n"
                     "createdAt: '2021-01-20T11:19:53.175Z'\n"
                     "completedAt: '2021-01-20T11:19:54.494Z'\n"
                     "config:\n  source:\n    type: snapshot\n"
                     "  size: '1234'\n  addonVersion: 4.4.8\n"
                     "lastRestore:\n"
                     "  restoreTimestamp: '2021-01-20T11:19:54.494Z'\n"
                     "  status: completed\n"
                     "  completedAt: '2021-01-20T11:19:54.494Z'\n",
                     257 - 25, "");
    assert_true(n > 512 && memcmp(text + 257, "ustar", 5) == 0);
    static const size_t steps[] = {65536, 1, 7, 64, 300};
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        seen s = {0};
        mem m = {text, (size_t)n, steps[i]};
        nfb_reader *r = reader(&s);
        assert_int_equal(nfb_reader_read(r, "t.yaml", read_mem, &m), NFB_OK);
        nfb_reader_free(r);
        assert_string_equal(s.log, "record example-backup\n");
    }
}

static void test_pushed_archive(void **state)
{
    (void)state;
    static const char *const files[] = {
        "backups.tar.gz",     "backups.tar",         "backups.zip",
        "2025-01-01.json.xz", "2025-01-01.json.bz2", "2025-01-01.json.lz4"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char path[512], buf[16384];
        snprintf(path, sizeof path, "%s%s", ARCHIVE, files[i]);
        FILE *f = fopen(path, "rb");
        assert_non_null(f);
        size_t n = fread(buf, 1, sizeof buf, f);
        fclose(f);
        seen s = {0};
        nfb_reader *r = reader(&s);
        assert_int_equal(nfb_reader_begin(r, files[i]), NFB_OK);
        assert_int_equal(nfb_reader_feed(r, buf, n), NFB_OK);
        assert_int_equal(nfb_reader_finish(r), NFB_OK);
        nfb_reader_free(r);
        assert_int_equal(s.records, 0);
        assert_int_equal(s.diags, 1);
        assert_non_null(strstr(s.log, "nfb_reader_read"));
    }
}

static void test_feed_file(void **state)
{
    (void)state;
    seen s = {0};
    nfb_reader *r = reader(&s);
    assert_int_equal(nfb_reader_feed_file(r, ARCHIVE "backups.tar.xz"), NFB_OK);
    assert_int_equal(nfb_reader_feed_file(r, ARCHIVE "2025-01-01.json.xz"),
                     NFB_OK);
    assert_int_equal(nfb_reader_feed_file(r, ARCHIVE "2025-01-01.json.zst"),
                     NFB_OK);
    nfb_reader_free(r);
    assert_int_equal(s.records, 4);
    assert_int_equal(s.diags, 3);
}

static void test_read_error(void **state)
{
    (void)state;
    seen s = {0};
    nfb_reader *r = reader(&s);
    file f = {NULL, 1, 1};
    errno = 0;
    assert_int_equal(nfb_reader_read(r, "x", read_file, &f), NFB_EIO);
    assert_int_equal(errno, EACCES);
    nfb_reader_free(r);
}

static void test_stop(void **state)
{
    (void)state;
    seen s = {0};
    s.stop_after = 1;
    assert_int_equal(read_path(&s, ARCHIVE "backups.tar", 65536), NFB_STOPPED);
    assert_int_equal(s.diags, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_read_sizes),
        cmocka_unit_test(test_text_like_tar),
        cmocka_unit_test(test_pushed_archive),
        cmocka_unit_test(test_feed_file),
        cmocka_unit_test(test_read_error),
        cmocka_unit_test(test_stop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
