#!/usr/bin/env bash
# Output failures and atomic -o, for every writer.
#
# 1. Standard output on a full disk (/dev/full): exit 3 and a message that
#    names the output and the reason, never a success. Small outputs fail
#    only at the final flush, large ones in the middle of the stream.
# 2. -o FILE killed with SIGKILL in the middle of a large conversion: the
#    destination is as it was before (absent, or the old bytes), never
#    partial. A normal run creates it and leaves no temporary file.
#
# usage: io_errors.sh NFBACKUP SOURCE_DIR
set -u
BIN=$1
SRC=$2
GEN="$SRC/bench/gen"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/nfb-io.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fails=0
checks=0

fail() {
    echo "FAIL: $*" >&2
    fails=$((fails + 1))
}

"$GEN" --records 2000 --seed 3 >"$tmp/small.ndjson" || exit 3
"$GEN" --records 300000 --seed 4 >"$tmp/big.ndjson" || exit 3

# 1. /dev/full
if [ -w /dev/full ]; then
    for fmt in json yaml csv tsv; do
        for input in "$SRC/testdata/forms/api.json" "$tmp/small.ndjson"; do
            checks=$((checks + 1))
            "$BIN" convert --to "$fmt" "$input" >/dev/full 2>"$tmp/err"
            rc=$?
            if [ "$rc" -ne 3 ]; then
                fail "$fmt $(basename "$input") > /dev/full: exit $rc, not 3"
            fi
            if ! grep -q "cannot write standard output: No space left on device" \
                "$tmp/err"; then
                fail "$fmt $(basename "$input") > /dev/full: message: $(cat "$tmp/err")"
            fi
        done
    done
else
    echo "no writable /dev/full: skipping the full-disk checks"
fi

# 2. Atomic -o under SIGKILL.
# Starts a conversion into $1, waits until its temporary file holds data,
# and kills it.
kill_midway() {
    local fmt=$1 out=$2 dir base pid i tmpfile size
    dir=$(dirname "$out")
    base=$(basename "$out")
    "$BIN" convert --to "$fmt" -o "$out" "$tmp/big.ndjson" 2>/dev/null &
    pid=$!
    tmpfile=
    for ((i = 0; i < 3000; i++)); do
        for f in "$dir/.$base".*; do
            if [ -e "$f" ]; then
                size=$(stat -c %s "$f" 2>/dev/null || echo 0)
                if [ "$size" -gt 0 ]; then tmpfile=$f; fi
            fi
        done
        [ -n "$tmpfile" ] && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.005
    done
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    if [ -z "$tmpfile" ]; then
        fail "$fmt: no temporary file with data appeared before the end"
        return 1
    fi
    # SIGKILL cannot be caught: the temporary file stays; only the
    # destination matters.
    rm -f "$dir/.$base".*
    return 0
}

for fmt in csv yaml json; do
    out="$tmp/out.$fmt"

    # Absent before: absent after.
    checks=$((checks + 1))
    rm -f "$out"
    if kill_midway "$fmt" "$out"; then
        [ -e "$out" ] && fail "$fmt: a killed run left a destination file"
    fi

    # An old file: byte-identical after.
    checks=$((checks + 1))
    printf 'old content\nof %s\n' "$fmt" >"$out"
    cp "$out" "$tmp/old"
    if kill_midway "$fmt" "$out"; then
        cmp -s "$out" "$tmp/old" || fail "$fmt: a killed run changed the old file"
    fi

    # A normal run: the complete file, no temporary left.
    checks=$((checks + 1))
    "$BIN" convert --to "$fmt" -o "$out" "$tmp/small.ndjson"
    rc=$?
    [ "$rc" -eq 0 ] || fail "$fmt: -o exit $rc"
    "$BIN" convert --to "$fmt" "$tmp/small.ndjson" >"$tmp/stdout.$fmt"
    cmp -s "$out" "$tmp/stdout.$fmt" || fail "$fmt: -o differs from stdout"
    for f in "$tmp/.out.$fmt".*; do
        [ -e "$f" ] && fail "$fmt: temporary file $f left behind"
    done
done

echo "io errors: $checks checks, $fails failure(s)"
[ "$fails" -eq 0 ]
