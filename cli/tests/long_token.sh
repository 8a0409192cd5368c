#!/bin/sh
# A huge token with a raised --max-string, in little memory: out of memory
# is exit 3 with a message, never a signal (yajl used to crash in memcpy);
# with enough memory the same token is read to its end.
#
# usage: long_token.sh NFBACKUP SANITIZE   (SANITIZE: 1 in an ASan build,
# whose shadow memory does not fit under ulimit -v: the test is skipped)
set -u
BIN=$1
if [ "${2:-0}" = 1 ]; then
    echo "skipped: ulimit -v and AddressSanitizer do not mix"
    exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() {
    echo "FAIL: $*" >&2
    exit 1
}

# {"id":"aaa...a"} with a 100 MB id, on a pipe so that it comes in pieces.
token() {
    printf '{"id":"'
    head -c "$1" /dev/zero | tr '\0' a
    printf '"}\n'
}

token 100000000 | (ulimit -v 60000; exec "$BIN" validate --max-string 100000000) \
    >"$tmp/out" 2>"$tmp/err"
rc=$?
[ "$rc" -eq 3 ] || fail "100 MB token under ulimit -v 60000: exit $rc, not 3: $(cat "$tmp/err")"
grep -q '^nfbackup: out of memory$' "$tmp/err" ||
    fail "no out of memory message: $(cat "$tmp/err")"

# With room, the token is read whole: the record is over the limit that
# --max-record keeps at 4 MiB (--max-string alone would raise it too),
# reported at the id.
token 20000000 | (ulimit -v 400000; exec "$BIN" validate --max-string 100000000 --max-record 4M) \
    >"$tmp/out" 2>"$tmp/err"
rc=$?
[ "$rc" -eq 1 ] || fail "20 MB token with room: exit $rc, not 1: $(cat "$tmp/err")"
grep -q '^<stdin>:1:7: error: id: expected a record of at most' "$tmp/err" ||
    fail "20 MB token: $(cat "$tmp/err")"
echo "ok"
