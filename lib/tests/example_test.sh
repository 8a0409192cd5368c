#!/bin/sh
# The README's library example (lib/tests/example.c): the README shows the
# file as it is, and the program prints the records, reports problems and
# exits as its comment says, for files, stdin, and files it cannot read.
# usage: example_test.sh EXAMPLE SOURCE_DIR
set -u
bin=$1
src=$2
forms=$src/testdata/forms
tmp=$(mktemp -d "${TMPDIR:-/tmp}/nfb-example.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() {
    echo "FAIL: $*" >&2
    fails=$((fails + 1))
}

# The README's block after "This program is `lib/tests/example.c`" is
# the file, byte for byte.
awk '/This program is/ { seen = 1 }
     seen && /^```c$/ { inside = 1; next }
     inside && /^```$/ { exit }
     inside { print }' "$src/README.md" >"$tmp/readme.c"
cmp -s "$tmp/readme.c" "$src/lib/tests/example.c" ||
    fail "README.md's example differs from lib/tests/example.c:
$(diff "$tmp/readme.c" "$src/lib/tests/example.c")"

# run NAME STATUS STDOUT STDERR_PATTERN ARGS...: exit status, stdout
# exactly, stderr matched by a grep pattern ("" for empty).
run() {
    name=$1 status=$2 out=$3 err=$4
    shift 4
    "$bin" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
    rc=$?
    [ "$rc" -eq "$status" ] || fail "$name: exit $rc, not $status"
    printf '%s' "$out" | cmp -s - "$tmp/out" ||
        fail "$name: stdout: $(cat "$tmp/out")"
    if [ -z "$err" ]; then
        [ -s "$tmp/err" ] && fail "$name: stderr: $(cat "$tmp/err")"
    else
        grep -q -e "$err" "$tmp/err" || fail "$name: stderr: $(cat "$tmp/err")"
    fi
}

two='example-backup 1234 bytes
nightly-dump-0042 73400320 bytes
'
one='example-backup 1234 bytes
'
run "list page" 0 "$two" "" "$forms/list-page.json"
run "two files" 0 "$one$two" "" "$forms/api.json.gz" "$forms/list-page.json"
run "api error" 1 "" "api-error.json:2:12: error: .*\[api-error\]$" \
    "$forms/api-error.json"
run "missing file" 3 "" "^$tmp/none.json: No such file or directory$" \
    "$tmp/none.json"
run "directory" 3 "" "^$tmp: Is a directory$" "$tmp"
run "missing file after one" 3 "$one" "No such file" "$forms/api.json" \
    "$tmp/none.json"

# stdin, with no file and with "-": 300 records past several 64 KiB chunks.
i=0
while [ $i -lt 300 ]; do
    cat "$forms/api.json"
    i=$((i + 1))
done >"$tmp/many.json"
many=$(printf "$one%.0s" $(seq 300))
for args in "" "-"; do
    # shellcheck disable=SC2086
    "$bin" $args <"$tmp/many.json" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    [ "$rc" -eq 0 ] || fail "stdin '$args': exit $rc: $(cat "$tmp/err")"
    [ "$(cat "$tmp/out")" = "$many" ] ||
        fail "stdin '$args': $(wc -l <"$tmp/out") lines, not 300"
done

echo "example: $fails failure(s)"
[ "$fails" -eq 0 ]
