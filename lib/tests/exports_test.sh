#!/bin/sh
# The shared library exports only nfb_ names, and at least the API's. The
# linker's own _edata, _end and __bss_start are exported too when a library
# linked in exports them (libxlsxwriter does): they are no API.
# usage: exports_test.sh LIBRARY
set -u
syms=$(nm -D --defined-only "$1") || {
    echo "FAIL: nm cannot read $1" >&2
    exit 1
}
names=$(printf '%s\n' "$syms" | awk 'NF == 3 { print $3 }')
for api in nfb_reader_new nfb_reader_feed_file nfb_reader_read nfb_reader_on_input nfb_reader_on_list_page \
    nfb_reader_on_diag_filter \
    nfb_writer_new \
    nfb_datetime_parse nfb_utf8_char nfb_json_write_string \
    nfb_version; do
    printf '%s\n' "$names" | grep -qx "$api" || {
        echo "FAIL: $api is not exported" >&2
        exit 1
    }
done
other=$(printf '%s\n' "$names" |
    grep -v -e '^nfb_' -e '^_edata$' -e '^_end$' -e '^__bss_start$')
if [ -n "$other" ]; then
    echo "FAIL: exported names outside the API:" >&2
    printf '%s\n' "$other" >&2
    exit 1
fi
echo "exports: $(printf '%s\n' "$names" | grep -c '^nfb_') nfb_ names, nothing else"
