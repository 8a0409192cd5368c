#!/usr/bin/env bash
# The Debian package: `cpack -G DEB` in BUILD_DIR makes
# nfbackup_VERSION_ARCH.deb, whose Depends name the package of every library
# that its program and shared library load, and which holds everything that
# `cmake --install` installs. Then it is installed on this machine with
# apt-get, as a user installs it, and used from there: the program converts
# a file as the build's own program does, man finds its page, pkg-config
# and CMake find the library and a program links against it. Last it is
# removed, and its files are gone.
# Needs root, apt-get and dpkg-dev (dpkg-shlibdeps): without them it skips
# (exit 77). It skips too when a package nfbackup is installed already,
# which it would replace and then remove.
# Usage: package_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$(cd "$1" && pwd)
src=$(cd "$2" && pwd)

skip() {
    echo "skip: $*"
    exit 77
}
[ "$(id -u)" -eq 0 ] || skip "installing a package needs root"
for tool in apt-get dpkg-deb dpkg-shlibdeps cpack; do
    command -v "$tool" >/dev/null 2>&1 || skip "$tool is not installed"
done
if dpkg-query -W -f='${Status}' nfbackup 2>/dev/null | grep -q 'ok installed'; then
    skip "a package nfbackup is installed already; this test would replace and remove it"
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/nfb-package.XXXXXX")
installed=0
cleanup() {
    if [ $installed -eq 1 ]; then
        apt-get purge -y -qq -o DPkg::Lock::Timeout=120 nfbackup >/dev/null 2>&1 || true
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT
fail() {
    echo "FAIL: $*" >&2
    exit 1
}

# The package, built as the README says.
(cd "$build" && cpack -G DEB -B "$tmp/out" >"$tmp/cpack.log" 2>&1) || {
    cat "$tmp/cpack.log" >&2
    fail "cpack -G DEB failed"
}
version=$(sed -n 's/^CMAKE_PROJECT_VERSION:[A-Z]*=//p' "$build/CMakeCache.txt")
arch=$(dpkg --print-architecture)
deb=$tmp/out/nfbackup_${version}_${arch}.deb
[ -f "$deb" ] || fail "no $(basename "$deb"); cpack made: $(cd "$tmp/out" && ls -- *.deb 2>/dev/null)"
[ "$(dpkg-deb -f "$deb" Version)" = "$version" ] || fail "the package's Version is not $version"

# It holds what `cmake --install` installs, under /usr.
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
(cd "$tmp/prefix" && find . ! -type d | sed 's|^\./|/usr/|' | sort) >"$tmp/installed"
dpkg-deb -c "$deb" | awk '$1 !~ /^d/ { sub(/^\./, "", $6); print $6 }' | sort >"$tmp/packaged"
diff "$tmp/installed" "$tmp/packaged" >"$tmp/files.diff" || {
    cat "$tmp/files.diff" >&2
    fail "the package does not hold what cmake --install installs (< installed, > packaged)"
}
for f in /usr/bin/nfbackup /usr/include/nfbackup/nfbackup.h /usr/share/man/man1/nfbackup.1 \
    /usr/share/bash-completion/completions/nfbackup /usr/share/zsh/site-functions/_nfbackup \
    /usr/share/doc/nfbackup/LICENSE; do
    grep -qx "$f" "$tmp/packaged" || fail "the package has no $f"
done
for f in libnfbackup.a libnfbackup.so.0 pkgconfig/nfbackup.pc cmake/nfbackup/nfbackupConfig.cmake; do
    grep -q "^/usr/lib/\(.*/\)\?$f\$" "$tmp/packaged" || fail "the package has no lib/.../$f"
done

# Depends names the package of each library that the program and the
# shared library need (as installed on this machine), libnfbackup aside.
depends=$(dpkg-deb -f "$deb" Depends)
dpkg-deb -x "$deb" "$tmp/root"
needed=$(find "$tmp/root" -type f \( -path '*/bin/nfbackup' -o -name 'libnfbackup.so.*' \) \
    -exec readelf -dW {} + | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' |
    grep -v '^libnfbackup[.]' | sort -u)
[ -n "$needed" ] || fail "the packaged program and library need no library at all?"
# ... and of each library it loads on first use (dlopen, by the sonames
# written in it: libarchive's and libxlsxwriter's).
lazy=$(find "$tmp/root" -type f -name 'libnfbackup.so.*' -exec strings {} + |
    grep -oE 'lib[a-z0-9]+[.]so[.][0-9]+$' | grep -v '^libnfbackup[.]' | sort -u)
for so in libarchive libxlsxwriter; do
    grep -q "^$so[.]so[.]" <<<"$lazy" || fail "libnfbackup.so names no $so.so.N to load"
done
needed="$needed $lazy"
for so in $needed; do
    # awk reads to the end: one that left early would kill ldconfig with
    # SIGPIPE, which pipefail and set -e make this script's exit.
    path=$(ldconfig -p | awk -v so="$so" '$1 == so && !found { print $NF; found = 1 }')
    [ -n "$path" ] || fail "$so is not known to ldconfig"
    owner=$(dpkg -S "$(readlink -f "$path")" 2>/dev/null | sed -n 1p | cut -d: -f1) ||
        owner=$(dpkg -S "$path" | sed -n 1p | cut -d: -f1)
    grep -qE "(^|, )$owner( |,|$)" <<<"$depends" ||
        fail "Depends ($depends) lacks $owner, which holds $so"
done
echo "Depends: $depends"

# Installed as a user installs it.
installed=1
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    -o DPkg::Lock::Timeout=120 "$deb" >"$tmp/apt.log" 2>&1 || {
    cat "$tmp/apt.log" >&2
    fail "apt-get install $deb failed"
}
dpkg-query -W -f='${Status}' nfbackup | grep -q 'ok installed' || fail "dpkg does not list nfbackup as installed"

# The program, from PATH, converts as the build's own program does.
[ "$(command -v nfbackup)" = /usr/bin/nfbackup ] || fail "nfbackup on PATH is '$(command -v nfbackup)'"
[ "$(env -u LD_LIBRARY_PATH nfbackup --version)" = "nfbackup $version" ] ||
    fail "the installed nfbackup --version says '$(nfbackup --version)'"
for input in api.json.gz cli-get.yaml.zst list-page.json; do
    env -u LD_LIBRARY_PATH nfbackup convert --to json "$src/testdata/forms/$input" >"$tmp/got.json" ||
        fail "the installed nfbackup failed to convert testdata/forms/$input"
    "$build/cli/nfbackup" convert --to json "$src/testdata/forms/$input" >"$tmp/want.json"
    cmp -s "$tmp/got.json" "$tmp/want.json" ||
        fail "the installed nfbackup converts testdata/forms/$input otherwise than the build's"
done

# It writes a workbook (libxlsxwriter loaded from its package).
env -u LD_LIBRARY_PATH nfbackup convert --to xlsx -o "$tmp/got.xlsx" "$src/testdata/forms/api.json" ||
    fail "the installed nfbackup failed to write xlsx"
[ "$(head -c 2 "$tmp/got.xlsx")" = PK ] || fail "the installed nfbackup's xlsx is no zip file"

# man finds its page, pkg-config and CMake find the library.
[ "$(man -w nfbackup 2>/dev/null)" = /usr/share/man/man1/nfbackup.1 ] ||
    fail "man -w nfbackup finds '$(man -w nfbackup 2>&1)'"
# (into a file: grep -q leaving early would kill man with SIGPIPE)
MANWIDTH=80 LC_ALL=C.UTF-8 man nfbackup >"$tmp/man.txt" 2>/dev/null || true
grep -qE '^ +nfbackup - ' "$tmp/man.txt" ||
    fail "man nfbackup shows no NAME line"
[ "$(env -u PKG_CONFIG_PATH pkg-config --modversion nfbackup)" = "$version" ] ||
    fail "pkg-config --modversion nfbackup is not $version"

# The README's library example, linked against the installed library with
# pkg-config and with find_package, runs with no LD_LIBRARY_PATH.
# shellcheck disable=SC2046
cc -std=c11 -Wall -Wextra -Werror "$src/lib/tests/example.c" -o "$tmp/example" \
    $(env -u PKG_CONFIG_PATH pkg-config --cflags --libs nfbackup) ||
    fail "the example does not build with pkg-config nfbackup"
out=$(env -u LD_LIBRARY_PATH "$tmp/example" "$src/testdata/forms/api.json") ||
    fail "the example linked with pkg-config failed"
[ "$out" = "example-backup 1234 bytes" ] || fail "the example printed '$out'"
mkdir "$tmp/consumer"
cp "$src/lib/tests/example.c" "$tmp/consumer/"
cat >"$tmp/consumer/CMakeLists.txt" <<'C'
cmake_minimum_required(VERSION 3.20)
project(consumer C)
find_package(nfbackup REQUIRED)
add_executable(example example.c)
target_link_libraries(example PRIVATE nfbackup::nfbackup)
C
{ cmake -S "$tmp/consumer" -B "$tmp/consumer/b" >/dev/null && cmake --build "$tmp/consumer/b" >/dev/null; } ||
    fail "find_package(nfbackup) does not find the installed package, or the example does not build with it"
[ "$(env -u LD_LIBRARY_PATH "$tmp/consumer/b/example" "$src/testdata/forms/api.json")" = "$out" ] ||
    fail "the example linked with find_package failed"

# Removed, it leaves nothing behind.
DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq -o DPkg::Lock::Timeout=120 nfbackup >"$tmp/apt.log" 2>&1 || {
    cat "$tmp/apt.log" >&2
    fail "apt-get purge nfbackup failed"
}
installed=0
left=$(while read -r f; do if [ -e "$f" ] || [ -L "$f" ]; then echo "$f"; fi; done <"$tmp/packaged")
[ -z "$left" ] || fail "files left after apt-get purge nfbackup: $left"
! command -v nfbackup >/dev/null 2>&1 || fail "nfbackup still on PATH after removal"
echo "ok: $(basename "$deb") installed, used (program, man page, pkg-config, CMake) and removed"
