#!/usr/bin/env bash
# Output failures and atomic -o, for every writer.
#
# 1. Standard output on a full disk (/dev/full): exit 3 and a message that
#    names the output and the reason, never a success. Small outputs fail
#    only at the final flush, large ones in the middle of the stream.
# 2. -o FILE killed with SIGKILL in the middle of a large conversion: the
#    destination is as it was before (absent, or the old bytes), never
#    partial. A normal run creates it and leaves no temporary file.
# 3. The same with every catchable signal that ends the process: it dies by
#    that signal, and the temporary file is gone too. A file size limit
#    (ulimit -f) is an I/O error (exit 3, "File too large"), not a silent
#    death by SIGXFSZ.
# 4. fds 0-2 closed at start: the temporary file of -o never takes fd 2 (no
#    diagnostic lands in the output); reading a closed stdin or writing a
#    closed stdout is still an error (exit 3).
# 5. -o onto what is not a regular file or a new name is written in place:
#    /dev/stdout, /dev/fd/N and /proc/self/fd/N keep their descriptor (so
#    >> still appends), a dangling symbolic link gets its target created
#    and stays a link, a name of NAME_MAX bytes works.
# 6. Diagnostics that cannot be written (2>/dev/full) are an I/O error, and
#    the output of -o is then not made final.
# 7. Limits: numbers of any length are parsed without overflow; a value the
#    reader cannot honour is a usage error that gives the valid range.
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
    # Every format but xlsx, which xlsx_io_errors.sh fills disks with.
    for fmt in $("$BIN" formats --names | grep -vx xlsx); do
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
    echo "FAIL: no writable /dev/full: the full-disk checks cannot run" >&2
    exit 1
fi

# 2. Atomic -o under SIGKILL.
# Starts a conversion into $2, waits until its temporary file holds data,
# and sends it signal $3 (KILL by default). Sets killed_status to its exit
# status.
kill_midway() {
    local fmt=$1 out=$2 sig=${3:-KILL} dir base pid i tmpfile size
    dir=$(dirname "$out")
    base=$(basename "$out")
    (ulimit -c 0; exec "$BIN" convert --to "$fmt" -o "$out" "$tmp/big.ndjson") 2>/dev/null &
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
    kill -s "$sig" "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    killed_status=$?
    if [ -z "$tmpfile" ]; then
        fail "$fmt: no temporary file with data appeared before the end"
        return 1
    fi
    # SIGKILL cannot be caught: the temporary file stays; only the
    # destination matters. Any other signal must leave none.
    if [ "$sig" != KILL ]; then
        for f in "$dir/.$base".*; do
            [ -e "$f" ] && fail "$fmt: SIG$sig left the temporary file $f"
        done
    fi
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

# 3. Every catchable terminating signal: death by it, nothing left.
printf 'old content\n' >"$tmp/old"
for sig in HUP INT QUIT TERM USR1 USR2 ALRM XCPU VTALRM PROF IO PWR SYS \
    ABRT RTMIN RTMAX; do
    checks=$((checks + 1))
    out="$tmp/sig.csv"
    cp "$tmp/old" "$out"
    if kill_midway csv "$out" "$sig"; then
        num=$(kill -l "$sig")
        [ "$killed_status" -eq $((128 + num)) ] ||
            fail "SIG$sig: exit status $killed_status, not $((128 + num))"
        cmp -s "$out" "$tmp/old" || fail "SIG$sig: the old file changed"
    fi
done

# ulimit -f: exit 3 with a message, no temporary file, the old file kept.
checks=$((checks + 1))
cp "$tmp/old" "$tmp/limited.json"
(ulimit -f 64; exec "$BIN" convert --to json -o "$tmp/limited.json" \
    "$tmp/big.ndjson") 2>"$tmp/err"
rc=$?
[ "$rc" -eq 3 ] || fail "ulimit -f: exit $rc, not 3"
grep -q "cannot write $tmp/limited.json: File too large" "$tmp/err" ||
    fail "ulimit -f: message: $(cat "$tmp/err")"
cmp -s "$tmp/limited.json" "$tmp/old" || fail "ulimit -f: the old file changed"
for f in "$tmp/.limited.json".*; do
    [ -e "$f" ] && fail "ulimit -f: temporary file $f left behind"
done
# The same on stdout.
checks=$((checks + 1))
(ulimit -f 64; exec "$BIN" convert --to json "$tmp/big.ndjson") \
    >"$tmp/limited.out" 2>"$tmp/err"
rc=$?
[ "$rc" -eq 3 ] || fail "ulimit -f, stdout: exit $rc, not 3"
grep -q "cannot write standard output: File too large" "$tmp/err" ||
    fail "ulimit -f, stdout: message: $(cat "$tmp/err")"

# Inputs with diagnostics: a lint warning (status completed without
# completedAt), and a bad document between two good ones.
R=$("$BIN" convert --to json --envelope "$SRC/testdata/forms/api.json")
printf '%s\n' "$R" | sed 's/"completedAt":"[^"]*",//' >"$tmp/warn.json"
printf '%s\n{"data":x}\n%s\n' "$R" "$R" >"$tmp/bad.json"
"$BIN" convert --to csv "$tmp/bad.json" >"$tmp/bad.csv" 2>/dev/null

# 4. Closed fds 0-2.
checks=$((checks + 1))
rm -f "$tmp/closed.csv"
"$BIN" convert --to csv -o "$tmp/closed.csv" "$tmp/bad.json" 2>&-
rc=$?
[ "$rc" -eq 1 ] || fail "2>&-: exit $rc, not 1"
cmp -s "$tmp/closed.csv" "$tmp/bad.csv" ||
    fail "2>&-: the output holds more than the records: $(cat "$tmp/closed.csv")"
checks=$((checks + 1))
rm -f "$tmp/closed.csv"
"$BIN" convert --to csv -o "$tmp/closed.csv" "$tmp/bad.json" <&- 2>&-
cmp -s "$tmp/closed.csv" "$tmp/bad.csv" || fail "<&- 2>&-: output differs"
checks=$((checks + 1))
"$BIN" convert --to csv "$tmp/bad.json" >&- 2>"$tmp/err"
rc=$?
[ "$rc" -eq 3 ] || fail ">&-: exit $rc, not 3"
grep -q "cannot write standard output: Bad file descriptor" "$tmp/err" ||
    fail ">&-: message: $(cat "$tmp/err")"
checks=$((checks + 1))
"$BIN" --help >&- 2>/dev/null
rc=$?
[ "$rc" -eq 3 ] || fail "--help >&-: exit $rc, not 3"
checks=$((checks + 1))
"$BIN" validate <&- 2>"$tmp/err"
rc=$?
[ "$rc" -eq 3 ] || fail "validate <&-: exit $rc, not 3"
grep -q "cannot read <stdin>: Bad file descriptor" "$tmp/err" ||
    fail "validate <&-: message: $(cat "$tmp/err")"

# 5. Written in place. (A copy of the input: a tool that got this wrong
# would overwrite it.)
api="$tmp/api.json"
cp "$SRC/testdata/forms/api.json" "$api"
"$BIN" convert --to csv "$api" >"$tmp/api.csv"
for name in /dev/stdout /proc/self/fd/1; do
    checks=$((checks + 1))
    printf 'earlier line\n' >"$tmp/log.csv"
    "$BIN" convert --to csv -o "$name" "$api" >>"$tmp/log.csv"
    rc=$?
    [ "$rc" -eq 0 ] || fail "-o $name >>: exit $rc"
    { printf 'earlier line\n'; cat "$tmp/api.csv"; } >"$tmp/expect"
    cmp -s "$tmp/log.csv" "$tmp/expect" ||
        fail "-o $name >> log.csv did not append: $(cat "$tmp/log.csv")"
done
checks=$((checks + 1))
printf 'earlier line\n' >"$tmp/log.csv"
"$BIN" convert --to csv -o /dev/fd/3 "$api" 3>>"$tmp/log.csv"
cmp -s "$tmp/log.csv" "$tmp/expect" || fail "-o /dev/fd/3 3>> did not append"
checks=$((checks + 1))
"$BIN" convert --to csv -o /dev/stdout "$api" | cat >"$tmp/piped.csv"
cmp -s "$tmp/piped.csv" "$tmp/api.csv" || fail "-o /dev/stdout | cat differs"
checks=$((checks + 1))
"$BIN" convert --to csv -o /dev/fd/3 "$api" 3<"$api" 2>"$tmp/err"
rc=$?
[ "$rc" -eq 3 ] || fail "-o /dev/fd/3 open for reading: exit $rc, not 3"
cmp -s "$api" "$SRC/testdata/forms/api.json" ||
    fail "-o /dev/fd/3 3<: the input was overwritten"
cp "$SRC/testdata/forms/api.json" "$api"

# A dangling symbolic link: its target is created, the link stays.
checks=$((checks + 1))
mkdir -p "$tmp/links/sub"
rm -f "$tmp/links/target.csv"
ln -sfn ../target.csv "$tmp/links/sub/link.csv"
"$BIN" convert --to csv -o "$tmp/links/sub/link.csv" "$api"
rc=$?
[ "$rc" -eq 0 ] || fail "dangling link: exit $rc"
[ -L "$tmp/links/sub/link.csv" ] || fail "dangling link: the link was replaced"
cmp -s "$tmp/links/target.csv" "$tmp/api.csv" ||
    fail "dangling link: the target does not hold the output"
# A link to an existing file: the file is replaced, the link stays.
checks=$((checks + 1))
printf 'old\n' >"$tmp/links/target.csv"
"$BIN" convert --to csv -o "$tmp/links/sub/link.csv" "$api"
[ -L "$tmp/links/sub/link.csv" ] || fail "link: the link was replaced"
cmp -s "$tmp/links/target.csv" "$tmp/api.csv" || fail "link: target not written"
for f in "$tmp/links/".* "$tmp/links/sub/".*; do
    case $f in */. | */..) continue ;; esac
    [ -e "$f" ] && fail "link: temporary file $f left behind"
done

# A name of NAME_MAX (255) bytes, ASCII and UTF-8.
for long in "$(printf 'n%.0s' $(seq 255))" "$(printf 'é%.0s' $(seq 127))x"; do
    checks=$((checks + 1))
    mkdir -p "$tmp/long"
    "$BIN" convert --to csv -o "$tmp/long/$long" "$api" 2>"$tmp/err"
    rc=$?
    [ "$rc" -eq 0 ] || fail "-o NAME_MAX name: exit $rc: $(cat "$tmp/err")"
    cmp -s "$tmp/long/$long" "$tmp/api.csv" || fail "-o NAME_MAX name: output"
    [ "$(ls -A "$tmp/long" | wc -l)" -eq 1 ] ||
        fail "-o NAME_MAX name: files left: $(ls -A "$tmp/long")"
    rm -rf "$tmp/long"
done

# 6. Diagnostics into a full disk.
checks=$((checks + 1))
"$BIN" validate "$api" 2>/dev/full
rc=$?
[ "$rc" -eq 3 ] || fail "validate 2>/dev/full: exit $rc, not 3"
checks=$((checks + 1))
"$BIN" validate -q "$tmp/bad.json" 2>/dev/full
rc=$?
[ "$rc" -eq 3 ] || fail "validate -q (an error) 2>/dev/full: exit $rc, not 3"
checks=$((checks + 1))
"$BIN" validate -q "$tmp/warn.json" 2>/dev/full
rc=$?
[ "$rc" -eq 0 ] || fail "validate -q (nothing printed) 2>/dev/full: exit $rc, not 0"
checks=$((checks + 1))
cp "$tmp/old" "$tmp/diag.csv"
"$BIN" convert --to csv -o "$tmp/diag.csv" "$tmp/warn.json" 2>/dev/full
rc=$?
[ "$rc" -eq 3 ] || fail "convert -o, warning 2>/dev/full: exit $rc, not 3"
cmp -s "$tmp/diag.csv" "$tmp/old" ||
    fail "convert -o, warning 2>/dev/full: the output was made final"

# 7. Limits.
for args in "--max-string 18446744073709551615" \
    "--max-string 18446744073709551616" \
    "--max-string 99999999999999999999999999" "--max-string 1073741825" \
    "--max-string 0" "--max-string -1" "--max-string +5" "--max-string ' 5'" \
    "--max-string 5q" "--max-string ''" "--max-string 2G" "--max-depth 18446744073709551617" \
    "--max-depth 100001" "--max-depth 0" "--max-diagnostics -1" \
    "--max-diagnostics 18446744073709551616"; do
    checks=$((checks + 1))
    eval "set -- $args"
    "$BIN" validate "$@" "$api" 2>"$tmp/err"
    rc=$?
    [ "$rc" -eq 2 ] || fail "validate $args: exit $rc, not 2"
    case $1 in
    --max-string) range="size from 1 to 1073741824 (1G)" ;;
    --max-depth) range="number from 1 to 100000" ;;
    *) range="number from 0 to 18446744073709551615" ;;
    esac
    grep -q -- "$1 takes a $range, not '$2'" "$tmp/err" ||
        fail "validate $args: message: $(cat "$tmp/err")"
done
for args in "--max-string 1073741824" "--max-string 1000" "--max-string 5k" \
    "--max-string 1G" "--max-depth 100000" \
    "--max-depth 8" "--max-diagnostics 18446744073709551615" \
    "--max-diagnostics 0"; do
    checks=$((checks + 1))
    # shellcheck disable=SC2086
    "$BIN" validate $args "$api" 2>"$tmp/err"
    rc=$?
    [ "$rc" -eq 0 ] || fail "validate $args: exit $rc: $(cat "$tmp/err")"
done
# The largest string limit reads a string longer than the default one.
checks=$((checks + 1))
python3 -c 'import sys; print(sys.argv[1].replace("\"name\":\"Example Backup\"", "\"name\":\"" + "x" * 1100000 + "\"", 1))' \
    "$R" >"$tmp/longname.json"
"$BIN" validate -q --max-string 1073741824 "$tmp/longname.json" ||
    fail "--max-string 1073741824: a 1.1 MB name is refused"
"$BIN" validate -q "$tmp/longname.json" 2>/dev/null &&
    fail "default --max-string: a 1.1 MB name is accepted"

echo "io errors: $checks checks, $fails failure(s)"
[ "$fails" -eq 0 ]
