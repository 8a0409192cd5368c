/* The writer contract of writer.h, for every registered format:
 * - a record with an enum out of range (status = 99 and the others), a
 *   NULL string with a length, or a string that is not UTF-8 (a bad byte,
 *   an overlong form, a surrogate, a code point above U+10FFFF, a cut
 *   sequence; in any string field, a date-time's text or an array's
 *   element), or a number field whose text is not a JSON number (RFC 8259:
 *   "1x", "01", "+1", ".5", "1.", "1e", "NaN", " 1"), is refused with
 *   NFB_EINVAL, writes nothing,
 *   and the writer goes on: the output is byte for byte that of the same
 *   run without the bad record (for the formats that do not write the time
 *   of writing);
 * - every JSON number is taken, and the json writer writes it as it is;
 * - an enum out of range in a field marked absent is not looked at;
 * - after nfb_writer_end, a record or a second end returns NFB_ESTATE and
 *   the write function is not called again;
 * - NULL handles are NFB_EINVAL;
 * - inside a reader's record callback, the reader's record is written,
 *   and a copy of it changed in some of the ways above is refused as any
 *   other record is (the writer does not check the reader's own record
 *   again: the copy must not pass for it), also from a reader run inside
 *   another reader's callback, and after it;
 * - nfb_column_name lists the columns of csv's header, in its order, and
 *   each name is one the columns option takes alone. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <nfbackup/nfbackup.h>

#include "collect.h"

#define S(lit) ((nfb_str){lit, sizeof lit - 1})

static const nfb_destination dest = {
    .destination_id = {"offsite", 7},
    .has_retention_time = true,
    .retention_time = {"30", 2},
    .retention_days = 30,
};

/* A valid record that uses every field. */
static nfb_backup good(void)
{
    nfb_backup b = {0};
    b.id = S("nightly-1");
    b.name = S("Nightly 1");
    b.status = NFB_STATUS_COMPLETED;
    b.created_at =
        (nfb_time){S("2021-01-20T11:19:53.175Z"), 1611141593, 175000000, 0};
    b.has_completed_at = true;
    b.completed_at =
        (nfb_time){S("2021-01-20T11:19:54.494Z"), 1611141594, 494000000, 0};
    b.config.has_source = true;
    b.config.has_source_type = true;
    b.config.source_type = NFB_SOURCE_SNAPSHOT;
    b.config.size_text = S("1234");
    b.config.size = 1234;
    b.config.has_addon_version = true;
    b.config.addon_version = S("4.4.8");
    b.config.has_compression_type = true;
    b.config.compression_type = NFB_COMPRESSION_ZSTD;
    b.config.has_additional_destinations = true;
    b.config.additional_destinations = &dest;
    b.config.additional_destinations_count = 1;
    b.has_custom_destination_id = true;
    b.custom_destination_id = S("custom-1");
    b.has_last_restore = true;
    b.last_restore.restore_timestamp = b.completed_at;
    b.last_restore.status = NFB_STATUS_FAILED;
    return b;
}

/* An element of the destinations with a string cut in a sequence. */
static const nfb_destination cut_dest = {
    .destination_id = {"offsite\xe2\x82", 9},
    .has_retention_time = true,
    .retention_time = {"30", 2},
    .retention_days = 30,
};

/* The ways a record can break the contract. */
enum { NBAD = 15 };

static nfb_backup bad(int k)
{
    nfb_backup b = good();
    switch (k) {
    case 0:
        b.status = (nfb_status)99;
        break;
    case 1:
        b.status = (nfb_status)-1;
        break;
    case 2:
        b.config.source_type = (nfb_source_type)99;
        break;
    case 3:
        b.config.compression_type = (nfb_compression)99;
        break;
    case 4:
        b.last_restore.status = (nfb_status)99;
        break;
    case 5:
        b.id = (nfb_str){NULL, 3};
        break;
    case 6:
        b.config.additional_destinations = NULL;
        break;
    case 7:
        b.last_restore.completed_at.text = (nfb_str){NULL, 1};
        break;
    case 8:
        b.name = S("Nightly \xff 1"); /* a byte that is never UTF-8 */
        break;
    case 9:
        b.id = S("nightly-1-and-more-than-sixteen-\xc0\xaf"); /* overlong */
        break;
    case 10:
        b.custom_destination_id = S("\xed\xa0\x80"); /* a surrogate */
        break;
    case 11:
        b.config.addon_version = S("4.4.8\xf4\x90\x80\x80"); /* > U+10FFFF */
        break;
    case 12:
        b.config.additional_destinations = &cut_dest;
        break;
    case 13:
        b.created_at.text = S("2021-01-20T11:19:53.175Z\x80");
        break;
    default:
        b.name = (nfb_str){NULL, 1};
        break;
    }
    return b;
}

static nfb_writer *make(const char *format, out *o, unsigned flags)
{
    nfb_writer_options opts = {.size = sizeof opts};
    opts.write = collect;
    opts.ctx = o;
    opts.flags = flags;
    nfb_error err;
    nfb_writer *w = nfb_writer_new(format, &opts, &err);
    if (!w) fail_msg("%s: %s", format, err.text);
    return w;
}

/* The flags of every layout the text formats have. */
static const unsigned layouts[] = {
    0,
    NFB_WRITE_ARRAY,
    NFB_WRITE_ENVELOPE | NFB_WRITE_PRETTY,
    NFB_WRITE_ARRAY | NFB_WRITE_ENVELOPE | NFB_WRITE_PRETTY,
};

/* The output of good, good, end. */
static out reference(const char *format, unsigned flags)
{
    out o = {0};
    nfb_writer *w = make(format, &o, flags);
    nfb_backup g = good();
    assert_int_equal(nfb_writer_record(w, &g), NFB_OK);
    assert_int_equal(nfb_writer_record(w, &g), NFB_OK);
    assert_int_equal(nfb_writer_end(w), NFB_OK);
    nfb_writer_free(w);
    return o;
}

/* Does the format write the time of writing into its output? (An xlsx
 * archive holds its creation time, so two runs may differ.) The others are
 * compared byte for byte. */
static int timestamped(const char *format)
{
    return strcmp(format, "xlsx") == 0;
}

static void bad_records_are_refused(void **state)
{
    (void)state;
    size_t nformats = 0;
    for (size_t i = 0; nfb_format_get(i); i++, nformats++) {
        const char *format = nfb_format_get(i)->name;
        for (size_t l = 0; l < sizeof layouts / sizeof layouts[0]; l++) {
            int same = !timestamped(format);
            out want = reference(format, layouts[l]);
            for (int k = 0; k < NBAD; k++) {
                out o = {0};
                nfb_writer *w = make(format, &o, layouts[l]);
                nfb_backup g = good(), b = bad(k);
                /* Before the first record and between two. */
                assert_int_equal(nfb_writer_record(w, &b), NFB_EINVAL);
                assert_int_equal(nfb_writer_record(w, &g), NFB_OK);
                assert_int_equal(nfb_writer_record(w, &b), NFB_EINVAL);
                assert_int_equal(nfb_writer_record(w, &g), NFB_OK);
                assert_int_equal(nfb_writer_end(w), NFB_OK);
                nfb_writer_free(w);
                if (same) {
                    if (o.n != want.n || memcmp(o.p, want.p, o.n) != 0)
                        fail_msg("%s, flags %u, bad record %d: the output "
                                 "is not that of the good records alone",
                                 format, layouts[l], k);
                } else {
                    assert_true(o.n > 0);
                }
                free(o.p);
            }
            free(want.p);
        }
    }
    /* json, yaml, csv and tsv at least. */
    assert_true(nformats >= 4);
}

/* Texts of a number field that are not JSON numbers. */
static const char *const not_numbers[] = {
    "1x",  "01",  "+1",   ".5",    "1.",   "1.e3", "1e",    "1e+",
    "-",   "--1", "0x1F", "NaN",   "Inf",  " 1",   "1 ",    "1,5",
    "1_0", "-.5", "1e3.", "1.5.2", "1ee3", "0.5x", "1e+-3", "\xff"};

static void numbers_not_json_are_refused(void **state)
{
    (void)state;
    for (size_t i = 0; nfb_format_get(i); i++) {
        const char *format = nfb_format_get(i)->name;
        out want = reference(format, 0);
        for (size_t k = 0; k < sizeof not_numbers / sizeof *not_numbers; k++) {
            nfb_destination d = dest;
            d.retention_time =
                (nfb_str){not_numbers[k], strlen(not_numbers[k])};
            out o = {0};
            nfb_writer *w = make(format, &o, 0);
            nfb_backup g = good(), b = good();
            b.config.additional_destinations = &d;
            if (nfb_writer_record(w, &b) != NFB_EINVAL)
                fail_msg("%s: retentionTime \"%s\" taken", format,
                         not_numbers[k]);
            assert_int_equal(nfb_writer_record(w, &g), NFB_OK);
            assert_int_equal(nfb_writer_record(w, &b), NFB_EINVAL);
            assert_int_equal(nfb_writer_record(w, &g), NFB_OK);
            assert_int_equal(nfb_writer_end(w), NFB_OK);
            nfb_writer_free(w);
            if (!timestamped(format) &&
                (o.n != want.n || memcmp(o.p, want.p, o.n) != 0))
                fail_msg("%s, retentionTime \"%s\": the output is not that "
                         "of the good records alone",
                         format, not_numbers[k]);
            free(o.p);
        }
        free(want.p);
    }
}

static void json_numbers_are_taken(void **state)
{
    (void)state;
    static const char *const numbers[] = {
        "0",        "-0",
        "30",       "-1",
        "1.5",      "0.25",
        "1e3",      "1E3",
        "1e+3",     "1e-3",
        "-1.5E-10", "10.0",
        "0e0",      "123456789012345678901234567890.5"};
    for (size_t i = 0; nfb_format_get(i); i++) {
        const char *format = nfb_format_get(i)->name;
        for (size_t k = 0; k < sizeof numbers / sizeof *numbers; k++) {
            nfb_destination d = dest;
            d.retention_time = (nfb_str){numbers[k], strlen(numbers[k])};
            out o = {0};
            nfb_writer *w = make(format, &o, 0);
            nfb_backup b = good();
            b.config.additional_destinations = &d;
            if (nfb_writer_record(w, &b) != NFB_OK)
                fail_msg("%s: retentionTime %s refused", format, numbers[k]);
            assert_int_equal(nfb_writer_end(w), NFB_OK);
            nfb_writer_free(w);
            if (strcmp(format, "json") == 0) {
                char key[96];
                snprintf(key, sizeof key, "\"retentionTime\":%s", numbers[k]);
                size_t kl = strlen(key);
                int found = 0;
                for (size_t at = 0; !found && at + kl <= o.n; at++)
                    found = memcmp(o.p + at, key, kl) == 0;
                if (!found) fail_msg("json: %s not written as it is", key);
            }
            free(o.p);
        }
    }
}

static void absent_fields_are_not_checked(void **state)
{
    (void)state;
    for (size_t i = 0; nfb_format_get(i); i++) {
        out o = {0};
        nfb_writer *w = make(nfb_format_get(i)->name, &o, 0);
        nfb_backup b = good();
        b.config.has_source_type = false;
        b.config.source_type = (nfb_source_type)99;
        b.config.has_compression_type = false;
        b.config.compression_type = (nfb_compression)-5;
        b.has_last_restore = false;
        b.last_restore.status = (nfb_status)99;
        b.config.has_additional_destinations = false;
        b.config.additional_destinations_count = 0;
        b.config.additional_destinations = NULL;
        assert_int_equal(nfb_writer_record(w, &b), NFB_OK);
        assert_int_equal(nfb_writer_end(w), NFB_OK);
        nfb_writer_free(w);
        free(o.p);
    }
}

static void nothing_after_end(void **state)
{
    (void)state;
    for (size_t i = 0; nfb_format_get(i); i++) {
        const char *format = nfb_format_get(i)->name;
        for (size_t l = 0; l < sizeof layouts / sizeof layouts[0]; l++) {
            for (int records = 0; records <= 1; records++) {
                out o = {0};
                nfb_writer *w = make(format, &o, layouts[l]);
                nfb_backup g = good(), b = bad(0);
                if (records) assert_int_equal(nfb_writer_record(w, &g), NFB_OK);
                assert_int_equal(nfb_writer_end(w), NFB_OK);
                size_t len = o.n, calls = o.calls;
                assert_int_equal(nfb_writer_record(w, &g), NFB_ESTATE);
                assert_int_equal(nfb_writer_record(w, &b), NFB_ESTATE);
                assert_int_equal(nfb_writer_end(w), NFB_ESTATE);
                assert_int_equal(nfb_writer_record(w, &g), NFB_ESTATE);
                assert_int_equal(o.n, len);
                assert_int_equal(o.calls, calls);
                nfb_writer_free(w);
                free(o.p);
            }
        }
    }
}

static void null_handles(void **state)
{
    (void)state;
    out o = {0};
    nfb_writer *w = make("json", &o, 0);
    nfb_backup g = good();
    assert_int_equal(nfb_writer_record(NULL, &g), NFB_EINVAL);
    assert_int_equal(nfb_writer_record(w, NULL), NFB_EINVAL);
    assert_int_equal(nfb_writer_end(NULL), NFB_EINVAL);
    assert_int_equal(nfb_writer_record(w, &g), NFB_OK);
    assert_int_equal(nfb_writer_end(w), NFB_OK);
    nfb_writer_free(w);
    assert_true(o.n > 0);
    free(o.p);
}

/* A reader whose records go to writer w, each followed by changed copies
 * of it; inner, when set, is read from inside the first
 * record's callback by a second reader with the same callback. */
typedef struct from_reader {
    nfb_writer *w;
    const char *inner;
    int records;
} from_reader;

static void read_text(from_reader *fr, const char *text);

static int on_read(void *ctx, const nfb_backup *b)
{
    from_reader *fr = ctx;
    fr->records++;
    assert_int_equal(nfb_writer_record(fr->w, b), NFB_OK);
    if (fr->inner) {
        const char *inner = fr->inner;
        fr->inner = NULL;
        read_text(fr, inner);
    }
    /* A copy of the reader's record, changed in one of the ways above. */
    for (int k = 0; k < 5; k++) {
        nfb_backup x = *b;
        switch (k) {
        case 0:
            x.status = (nfb_status)99;
            break;
        case 1:
            x.name = S("A \xff"); /* a byte that is never UTF-8 */
            break;
        case 2:
            x.id = (nfb_str){NULL, 1};
            break;
        case 3:
            x.created_at.text = S("2021-01-20T11:19:53\xc0\xafZ");
            break;
        default:
            x.has_last_restore = true;
            x.last_restore.status = (nfb_status)99;
            break;
        }
        if (nfb_writer_record(fr->w, &x) != NFB_EINVAL)
            fail_msg("a copy of the reader's record with change %d was "
                     "taken",
                     k);
    }
    assert_int_equal(nfb_writer_record(fr->w, b), NFB_OK);
    return 0;
}

static void read_text(from_reader *fr, const char *text)
{
    nfb_reader_config cfg;
    nfb_reader_config_init(&cfg);
    cfg.on_record = on_read;
    cfg.ctx = fr;
    nfb_reader *r = nfb_reader_new(&cfg, NULL);
    assert_non_null(r);
    assert_int_equal(nfb_reader_begin(r, "test"), NFB_OK);
    assert_int_equal(nfb_reader_feed(r, text, strlen(text)), NFB_OK);
    assert_int_equal(nfb_reader_finish(r), NFB_OK);
    nfb_reader_free(r);
}

static void reader_records_changed_are_refused(void **state)
{
    (void)state;
    static const char one[] =
        "{\"id\":\"a\",\"name\":\"A\",\"status\":\"completed\","
        "\"createdAt\":\"2021-01-20T11:19:53Z\",\"config\":{\"size\":\"1\"}}\n";
    for (size_t i = 0; nfb_format_get(i); i++) {
        const char *format = nfb_format_get(i)->name;
        out o = {0};
        from_reader fr = {make(format, &o, 0), one, 0};
        read_text(&fr, one);
        assert_int_equal(fr.records, 2);
        /* after the reader: its record copied and changed */
        nfb_backup g = good(), b = bad(0);
        assert_int_equal(nfb_writer_record(fr.w, &b), NFB_EINVAL);
        assert_int_equal(nfb_writer_record(fr.w, &g), NFB_OK);
        assert_int_equal(nfb_writer_end(fr.w), NFB_OK);
        nfb_writer_free(fr.w);
        free(o.p);
    }
}

static void column_names_are_the_header(void **state)
{
    (void)state;
    out o = {0};
    nfb_writer *w = make("csv", &o, 0);
    assert_int_equal(nfb_writer_end(w), NFB_OK);
    nfb_writer_free(w);
    char want[1024] = "";
    size_t n = 0;
    const char *name;
    for (; (name = nfb_column_name(n)) != NULL; n++) {
        if (n) strcat(want, ",");
        strcat(want, name);
        nfb_writer_options opts = {
            .size = sizeof opts, .write = collect, .ctx = &o, .columns = name};
        nfb_error err;
        nfb_writer *one = nfb_writer_new("csv", &opts, &err);
        if (!one) fail_msg("column %s: %s", name, err.text);
        nfb_writer_free(one);
    }
    strcat(want, "\n");
    assert_true(n > 10);
    assert_true(o.n == strlen(want) && memcmp(o.p, want, o.n) == 0);
    assert_null(nfb_column_name(n + 1));
    assert_null(nfb_column_name(SIZE_MAX));
    free(o.p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bad_records_are_refused),
        cmocka_unit_test(numbers_not_json_are_refused),
        cmocka_unit_test(json_numbers_are_taken),
        cmocka_unit_test(absent_fields_are_not_checked),
        cmocka_unit_test(nothing_after_end),
        cmocka_unit_test(null_handles),
        cmocka_unit_test(reader_records_changed_are_refused),
        cmocka_unit_test(column_names_are_the_header),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
