#!/bin/sh
# Installs the build into a temporary prefix and checks what a user of the
# install relies on:
# - bin/nfbackup runs from the prefix, with no LD_LIBRARY_PATH, and loads
#   the prefix's own libnfbackup.so (its RUNPATH is $ORIGIN-relative);
#   its --version is the version of pkg-config, the CMake package and the
#   installed CHANGELOG.md's latest release;
# - lib/libnfbackup.a holds machine code (ELF objects that define the API's
#   functions), not only a compiler's link-time-optimization bytecode;
# - a program builds against it with find_package(nfbackup), linked with
#   the shared library (nfbackup::nfbackup) and with the static one
#   (nfbackup::nfbackup_static, whose dependencies nfbackupConfig.cmake
#   finds with find_dependency), and with pkg-config, shared and static
#   (Libs.private), the static one with gcc and with clang, warnings as
#   errors.
# The program reads a gzip JSON and a zstd YAML response and writes their
# records in every format, so that each dependency is linked and used.
# Run on the dev build by ctest (install.consumer) and on the release build
# (link-time optimization) by .ci/run.
# Usage: install_test.sh BUILD_DIR SOURCE_DIR
set -eu
build=$1
src=$2
# A sanitizer build's library needs its consumer built the same way.
flags=${NFB_CONSUMER_FLAGS:-}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/nfb-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
fail() {
    echo "FAIL: $*" >&2
    exit 1
}
pkgdir=$(dirname "$(find "$tmp/prefix" -name nfbackupConfig.cmake)")

# The exported targets name their dependencies by imported target, never
# by an absolute path of this machine (their own files are relative to the
# prefix).
if grep -n -e '"/[^"]' -e ';/' "$pkgdir"/nfbackupTargets*.cmake; then
    echo "FAIL: nfbackupTargets.cmake names library paths" >&2
    exit 1
fi

inputs="$src/testdata/forms/api.json.gz $src/testdata/forms/cli-get.yaml.zst"
lib=$(dirname "$(find "$tmp/prefix" -name 'libnfbackup.so*' | head -n 1)")
pc=$(dirname "$(find "$tmp/prefix" -name nfbackup.pc)")

# The program, run from the prefix as a user runs it, finds its library
# there: not in the build tree, nor one installed elsewhere on the system.
bin=$tmp/prefix/bin/nfbackup
# shellcheck disable=SC2016
readelf -dW "$bin" | grep -q 'R.*PATH.*\$ORIGIN/' ||
    fail "bin/nfbackup has no \$ORIGIN-relative RUNPATH: $(readelf -dW "$bin" | grep PATH)"
loaded=$(env -u LD_LIBRARY_PATH ldd "$bin" | sed -n 's/.*libnfbackup[.]so[^ ]* => \([^ ]*\).*/\1/p')
[ "$(readlink -f "$loaded")" = "$(readlink -f "$lib"/libnfbackup.so.*.*.*)" ] ||
    fail "bin/nfbackup loads libnfbackup from '$loaded', not from $lib"
got=$(env -u LD_LIBRARY_PATH "$bin" convert --to csv --columns id "$src/testdata/forms/api.json.gz") ||
    fail "bin/nfbackup does not run from the prefix"
[ "$got" = "$(printf 'id\nexample-backup')" ] || fail "bin/nfbackup from the prefix wrote '$got'"

# One version everywhere: the program's, pkg-config's, the CMake package's
# and the changelog's latest release.
version=$(PKG_CONFIG_PATH=$pc pkg-config --modversion nfbackup)
[ "$(env -u LD_LIBRARY_PATH "$bin" --version)" = "nfbackup $version" ] ||
    fail "nfbackup --version says '$("$bin" --version)', pkg-config $version"
grep -q "PACKAGE_VERSION \"$version\"" "$pkgdir/nfbackupConfigVersion.cmake" ||
    fail "nfbackupConfigVersion.cmake is not version $version"
changes=$(find "$tmp/prefix" -name CHANGELOG.md)
[ -n "$changes" ] || fail "no CHANGELOG.md installed"
latest=$(sed -n 's/^## \[\([0-9][0-9.]*\)\].*/\1/p' "$changes" | head -n 1)
[ "$latest" = "$version" ] || fail "CHANGELOG.md's latest release is '$latest', not $version"
[ -n "$(find "$tmp/prefix" -name LICENSE)" ] || fail "no LICENSE installed"

# The static library holds ELF objects with machine code: readelf reads
# the symbol tables themselves (nm would read LTO bytecode through its
# plugin), and a member made only of LTO bytecode defines no function.
archive=$lib/libnfbackup.a
if readelf -SW "$archive" | grep -q '[.]gnu[.]lto_'; then
    fail "libnfbackup.a holds gcc LTO bytecode, which only the same gcc can link"
fi
for api in nfb_reader_new nfb_reader_feed_file nfb_writer_new nfb_version; do
    readelf -sW "$archive" | awk -v f="$api" '
        $4 == "FUNC" && $5 == "GLOBAL" && $7 != "UND" && $8 == f { ok = 1 }
        END { exit !ok }' || fail "libnfbackup.a defines no function $api (no machine code)"
done

mkdir "$tmp/src"
cat >"$tmp/src/main.c" <<'C'
#include <stdio.h>
#include <string.h>
#include <nfbackup/nfbackup.h>

static size_t written;

static int count(void *ctx, const void *data, size_t len)
{
    (void)ctx;
    (void)data;
    written += len;
    return 0;
}

static int on_record(void *ctx, const nfb_backup *b)
{
    for (nfb_writer **w = ctx; *w; w++)
        if (nfb_writer_record(*w, b) != NFB_OK) return 1;
    return 0;
}

int main(int argc, char **argv)
{
    if (nfb_version_hex() != NFB_VERSION_HEX ||
        strcmp(nfb_version(), NFB_VERSION_STRING) != 0)
        return 1;
    nfb_writer_options opts;
    nfb_writer_options_init(&opts);
    opts.write = count;
    nfb_writer *ws[16] = {0};
    size_t n = 0;
    for (const nfb_format *f; n < 15 && (f = nfb_format_get(n)); n++)
        if (!(ws[n] = nfb_writer_new(f->name, &opts, NULL))) return 1;
    nfb_reader_config cfg;
    nfb_reader_config_init(&cfg);
    cfg.on_record = on_record;
    cfg.ctx = ws;
    nfb_reader *r = nfb_reader_new(&cfg, NULL);
    if (!r) return 1;
    for (int i = 1; i < argc; i++)
        if (nfb_reader_feed_file(r, argv[i]) != NFB_OK) return 1;
    nfb_reader_stats st;
    nfb_reader_stats_get(r, &st);
    nfb_reader_free(r);
    for (size_t i = 0; i < n; i++) {
        if (nfb_writer_end(ws[i]) != NFB_OK) return 1;
        nfb_writer_free(ws[i]);
    }
    printf("%s: %llu records, %zu formats\n", nfb_version(),
           (unsigned long long)st.records, n);
    return st.records != (unsigned)(argc - 1) || st.errors || n < 5 ||
           written == 0;
}
C
cat >"$tmp/src/CMakeLists.txt" <<'C'
cmake_minimum_required(VERSION 3.20)
project(consumer C)
find_package(nfbackup REQUIRED)
add_executable(consumer main.c)
target_link_libraries(consumer PRIVATE nfbackup::nfbackup)
add_executable(consumer_static main.c)
target_link_libraries(consumer_static PRIVATE nfbackup::nfbackup_static)
C
# check NAME PROGRAM STATIC: runs it; a static one does not load
# libnfbackup.so, a shared one does.
check() {
    # shellcheck disable=SC2086
    LD_LIBRARY_PATH=$lib "$2" $inputs || {
        echo "FAIL: $1 consumer" >&2
        exit 1
    }
    if LD_LIBRARY_PATH=$lib ldd "$2" | grep -q 'libnfbackup[.]so'; then
        [ "$3" = shared ] || { echo "FAIL: $1 loads libnfbackup.so" >&2; exit 1; }
    else
        [ "$3" = static ] || { echo "FAIL: $1 does not load libnfbackup.so" >&2; exit 1; }
    fi
}

cmake -S "$tmp/src" -B "$tmp/b" -DCMAKE_PREFIX_PATH="$tmp/prefix" \
    -DCMAKE_C_FLAGS="$flags" >/dev/null
cmake --build "$tmp/b" >/dev/null
check "find_package shared" "$tmp/b/consumer" shared
check "find_package static" "$tmp/b/consumer_static" static

# shellcheck disable=SC2046,SC2086
cc $flags "$tmp/src/main.c" -o "$tmp/pc" $(PKG_CONFIG_PATH=$pc pkg-config --cflags --libs nfbackup)
check "pkg-config shared" "$tmp/pc" shared
# Static: the archive by name, then Libs.private for what it needs; with
# gcc and clang, warnings as errors (the library's own code is compiled
# again when the archive holds link-time-optimization bytecode, and its
# warnings would be the consumer's). A sanitizer or coverage build's
# archive needs the runtime of the compiler that built it: cc only.
ccs="gcc clang"
[ -z "$flags" ] || ccs=cc
for c in $ccs; do
    if ! command -v "$c" >/dev/null 2>&1; then
        # An optional tool (cli/tests/optional.py): status 77 at the end
        # (a skip), or a failure under NFB_TESTS_REQUIRE_ALL=1.
        [ "${NFB_TESTS_REQUIRE_ALL:-}" = 1 ] && fail "the static consumer built with $c: $c is not installed"
        echo "SKIP: the static consumer built with $c: $c is not installed" >&2
        skipped=1
        continue
    fi
    # shellcheck disable=SC2046,SC2086
    "$c" -std=c11 -O2 -Wall -Wextra -Wpedantic -Werror $flags "$tmp/src/main.c" \
        -o "$tmp/pc_static_$c" $(PKG_CONFIG_PATH=$pc pkg-config --cflags nfbackup) \
        "$archive" \
        $(PKG_CONFIG_PATH=$pc pkg-config --static --libs-only-l nfbackup | sed 's/-lnfbackup //') ||
        fail "the static library does not link with $c -Werror"
    check "pkg-config static ($c)" "$tmp/pc_static_$c" static
done
echo "ok: $bin runs from its prefix (version $version), libnfbackup.a holds machine code, consumers: find_package and pkg-config, shared and static ($ccs)"
[ -z "${skipped:-}" ] || exit 77
