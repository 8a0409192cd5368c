#!/usr/bin/env bash
# xlsx output failures and temporary files.
#
# libxlsxwriter keeps the rows in temporary files of its own (beside the
# output) and copies them into the sheet's XML when the workbook is closed,
# without checking those writes. A failure there must not give a workbook
# with rows missing:
#
# 1. A file size limit (ulimit -f) that its row file passes, and one that
#    only the sheet's XML (the rows plus 1.4 KB) passes: exit 3, "cannot
#    write FILE: File too large", the old file kept byte for byte and no
#    file left beside it.
# 2. A full disk (a small tmpfs; needs root, skipped otherwise): one too
#    small for the rows, and one that holds the rows but not their copy
#    (the copy's space is freed before the zip is written, so that the zip
#    itself fits): exit 3, "No space left on device", the old file kept.
# 3. -o /dev/stdout builds the workbook in a temporary file in $TMPDIR:
#    SIGTERM, SIGINT or SIGKILL in the middle leaves nothing in $TMPDIR;
#    -o FILE killed by SIGTERM leaves the old file and nothing beside it.
#
# usage: xlsx_io_errors.sh NFBACKUP SOURCE_DIR
set -u
BIN=$1
SRC=$2
GEN="$SRC/bench/gen"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/nfb-xlsx-io.XXXXXX")
disk="$tmp/disk"
cleanup() {
    if mountpoint -q "$disk" 2>/dev/null; then umount "$disk"; fi
    rm -rf "$tmp"
}
trap cleanup EXIT
fails=0
checks=0

fail() {
    echo "FAIL: $*" >&2
    fails=$((fails + 1))
}

# Only the old file in the folder of $1, and it as it was ($tmp/old).
kept() {
    local what=$1 out=$2 f
    cmp -s "$out" "$tmp/old" || fail "$what: the old file changed"
    for f in "$(dirname "$out")"/* "$(dirname "$out")"/.[!.]*; do
        [ -e "$f" ] && [ "$f" != "$out" ] &&
            fail "$what: a file left beside it: $f"
    done
}

# Runs a conversion of $2 into $3 under the shell commands $1 (a limit)
# and checks exit 3, the message $4, and the old file kept.
refused() {
    local what=$1 limit=$2 input=$3 out=$4 message=$5 rc
    checks=$((checks + 1))
    cp "$tmp/old" "$out"
    (eval "$limit"; exec "$BIN" convert -q --to xlsx -o "$out" "$input") \
        2>"$tmp/err"
    rc=$?
    [ "$rc" -eq 3 ] || fail "$what: exit $rc, not 3"
    grep -q "cannot write $out: $message" "$tmp/err" ||
        fail "$what: message: $(cat "$tmp/err")"
    kept "$what" "$out"
}

printf 'old content\n' >"$tmp/old"
"$GEN" --records 20000 --seed 3 >"$tmp/rows.ndjson" || exit 3
"$GEN" --records 300000 --seed 4 >"$tmp/big.ndjson" || exit 3

# The sizes of the sheet's XML and of its rows (<sheetData>'s content).
mkdir "$tmp/ref"
"$BIN" convert -q --to xlsx -o "$tmp/ref/ref.xlsx" "$tmp/rows.ndjson" || exit 3
read -r xml rows < <(python3 - "$tmp/ref/ref.xlsx" <<'EOF'
import sys, zipfile
s = zipfile.ZipFile(sys.argv[1]).read("xl/worksheets/sheet1.xml")
a = s.index(b"<sheetData>") + len(b"<sheetData>")
print(len(s), s.index(b"</sheetData>") - a)
EOF
)
zipped=$(stat -c %s "$tmp/ref/ref.xlsx")

# 1. ulimit -f (blocks of 1024 bytes).
mkdir "$tmp/lim"
refused "ulimit -f 64" "ulimit -f 64" "$tmp/rows.ndjson" "$tmp/lim/out.xlsx" \
    "File too large"
blocks=$(((rows + 1023) / 1024))
if [ $((blocks * 1024)) -lt "$xml" ]; then
    refused "ulimit -f $blocks (the rows fit, their copy does not)" \
        "ulimit -f $blocks" "$tmp/rows.ndjson" "$tmp/lim/out.xlsx" \
        "File too large"
else
    fail "no limit between the rows ($rows bytes) and the sheet ($xml)"
fi
# A limit that every file fits: the workbook is written.
checks=$((checks + 1))
(ulimit -f $(((xml + 1023) / 1024)); exec "$BIN" convert -q --to xlsx \
    -o "$tmp/lim/out.xlsx" "$tmp/rows.ndjson") || fail "ulimit -f, room: exit $?"

# 2. A full disk.
mkdir "$disk"
if [ "$(id -u)" -ne 0 ]; then
    echo "SKIP: full-disk checks: mounting a small tmpfs needs root" >&2
elif ! mount -t tmpfs -o size=1m tmpfs "$disk" 2>/dev/null; then
    echo "SKIP: full-disk checks: cannot mount a tmpfs here" >&2
else
    refused "1 MB disk" : "$tmp/rows.ndjson" "$disk/out.xlsx" \
        "No space left on device"
    umount "$disk"
    # Room for the rows and the zip, not for the rows' copy as well.
    kb=$(((rows + rows / 2) / 1024))
    if [ $((kb * 1024)) -lt $((rows + xml)) ] &&
        [ $((kb * 1024)) -gt $((rows + zipped + 65536)) ]; then
        mount -t tmpfs -o size=${kb}k tmpfs "$disk"
        refused "${kb} KB disk (the rows fit, their copy does not)" : \
            "$tmp/rows.ndjson" "$disk/out.xlsx" "No space left on device"
        umount "$disk"
    else
        fail "no disk size between the rows and their copy"
    fi
fi

# 3. Signals. Waits until process $1 has read from file $2.
wait_reading() {
    local pid=$1 file=$2 i fd pos
    for ((i = 0; i < 2000; i++)); do
        for fd in /proc/"$pid"/fd/*; do
            [ "$(readlink "$fd" 2>/dev/null)" = "$file" ] || continue
            pos=$(awk '/^pos:/ {print $2}' /proc/"$pid"/fdinfo/"${fd##*/}" \
                2>/dev/null)
            [ "${pos:-0}" -gt 0 ] && return 0
        done
        kill -0 "$pid" 2>/dev/null || return 1
        sleep 0.005
    done
    return 1
}

mkdir "$tmp/spool"
for sig in TERM INT KILL; do
    checks=$((checks + 1))
    (ulimit -c 0; TMPDIR="$tmp/spool" exec "$BIN" convert -q --to xlsx \
        -o /dev/stdout "$tmp/big.ndjson" >"$tmp/piped.xlsx") 2>/dev/null &
    pid=$!
    wait_reading "$pid" "$tmp/big.ndjson" ||
        fail "SIG$sig, -o /dev/stdout: the run did not start reading"
    kill -s "$sig" "$pid"
    wait "$pid"
    rc=$?
    [ "$rc" -eq $((128 + $(kill -l "$sig"))) ] ||
        fail "SIG$sig, -o /dev/stdout: exit status $rc, not death by it"
    left=$(ls -A "$tmp/spool")
    [ -z "$left" ] || fail "SIG$sig, -o /dev/stdout: left in \$TMPDIR: $left"
    rm -rf "$tmp/spool"/* "$tmp/spool"/.[!.]*
done

checks=$((checks + 1))
mkdir "$tmp/named"
cp "$tmp/old" "$tmp/named/out.xlsx"
(ulimit -c 0; exec "$BIN" convert -q --to xlsx -o "$tmp/named/out.xlsx" \
    "$tmp/big.ndjson") 2>/dev/null &
pid=$!
wait_reading "$pid" "$tmp/big.ndjson" ||
    fail "SIGTERM, -o FILE: the run did not start reading"
kill -s TERM "$pid"
wait "$pid"
rc=$?
[ "$rc" -eq $((128 + $(kill -l TERM))) ] ||
    fail "SIGTERM, -o FILE: exit status $rc, not death by it"
kept "SIGTERM, -o FILE" "$tmp/named/out.xlsx"

echo "xlsx io errors: $checks checks, $fails failure(s)"
[ "$fails" -eq 0 ]
