#!/bin/sh
# Installs the build into a temporary prefix, then builds a program against
# it twice: with find_package(nfbackup) and with pkg-config.
# Usage: install_test.sh BUILD_DIR
set -eu
build=$1
# A sanitizer build's library needs its consumer built the same way.
flags=${NFB_CONSUMER_FLAGS:-}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/nfb-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null

mkdir "$tmp/src"
cat >"$tmp/src/main.c" <<'C'
#include <stdio.h>
#include <string.h>
#include <nfbackup/nfbackup.h>
int main(void)
{
    nfb_reader_config cfg;
    nfb_reader_config_init(&cfg);
    nfb_reader *r = nfb_reader_new(&cfg);
    if (!r || nfb_version_hex() != NFB_VERSION_HEX) return 1;
    nfb_reader_free(r);
    puts(nfb_version());
    return strcmp(nfb_version(), NFB_VERSION_STRING) != 0;
}
C
cat >"$tmp/src/CMakeLists.txt" <<'C'
cmake_minimum_required(VERSION 3.20)
project(consumer C)
find_package(nfbackup REQUIRED)
add_executable(consumer main.c)
target_link_libraries(consumer PRIVATE nfbackup::nfbackup)
C
cmake -S "$tmp/src" -B "$tmp/b" -DCMAKE_PREFIX_PATH="$tmp/prefix" \
    -DCMAKE_C_FLAGS="$flags" >/dev/null
cmake --build "$tmp/b" >/dev/null
lib=$(dirname "$(find "$tmp/prefix" -name 'libnfbackup.so*' | head -n 1)")
LD_LIBRARY_PATH=$lib "$tmp/b/consumer"

pc=$(dirname "$(find "$tmp/prefix" -name nfbackup.pc)")
# shellcheck disable=SC2046
cc $flags "$tmp/src/main.c" -o "$tmp/pc" $(PKG_CONFIG_PATH=$pc pkg-config --cflags --libs nfbackup)
LD_LIBRARY_PATH=$lib "$tmp/pc"
