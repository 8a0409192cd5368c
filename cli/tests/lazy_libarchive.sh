#!/bin/sh
# libarchive (and what it brings: libxml2, ICU, libcrypto...) is loaded
# only when an input is an archive or an xz, bzip2, lz4 or lzma stream:
# a run on JSON, YAML, gzip or zstd never maps it, and one on an archive
# does, and reads it.
# Usage: lazy_libarchive.sh NFBACKUP SOURCE_DIR
set -u
bin=$1
src=$2
fail=0
loads() { # the dynamic loader's account of the run: does it open libarchive?
    LD_DEBUG=libs "$bin" validate -q "$@" 2>&1 >/dev/null |
        grep -q 'calling init: .*libarchive\.so'
}
for f in testdata/forms/api.json testdata/archive/2025-01-01.json.zst; do
    if loads "$src/$f"; then
        echo "FAIL: libarchive loaded to read $f" >&2
        fail=1
    fi
done
for f in testdata/archive/backups.tar.gz testdata/archive/2025-01-01.json.xz; do
    if ! loads "$src/$f"; then
        echo "FAIL: libarchive not loaded to read $f" >&2
        fail=1
    fi
done
# The archive's records are read (one valid member record at least).
out=$("$bin" convert --to json "$src/testdata/archive/2025-01-01.json.xz" 2>/dev/null)
[ -n "$out" ] || { echo "FAIL: no record from the xz file" >&2; fail=1; }
[ $fail -eq 0 ] && echo "lazy libarchive: ok"
exit $fail
