#!/usr/bin/env bash
# Regenerates the fixtures of testdata/forms/ that are real outputs of the
# official Northflank clients, and the compressed ones made from the
# fixtures. See testdata/forms/SOURCES.md for what each file is.
#
#   testdata/forms/make/make-client-outputs.sh
#
# Needs node and npm (which must reach the npm registry), gzip and zstd.
# It installs the clients into a temporary directory that it removes at the
# end, starts mock-server.js on 127.0.0.1 (a port the system picks; it stops
# by itself), and runs the clients against it. When `unshare -rn` works
# (Linux user namespaces), the clients and the server run in a network
# namespace of their own that has only the loopback interface, so nothing
# they write can have come from anywhere but the mock server.
#
# Not run by CI or ctest: the outputs are committed, and the tests must not
# depend on the network. After a run, `git diff testdata/forms` shows what
# changed. Environment: CLI_VERSION (default 0.9.24), JS_VERSION (0.9.5).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
forms=$(dirname "$here")

# run_clients WORK: the part that needs no network but the loopback. WORK
# holds the installed clients.
run_clients() {
  local work=$1 port="" nf
  if [ "$(id -u)" = 0 ] && [ -n "${NFB_IN_NETNS:-}" ]; then
    ip link set lo up
  fi
  node "$here/mock-server.js" --max-requests 40 --max-seconds 120 \
    >"$work/port" 2>"$work/server.log" &
  local server=$!
  for _ in $(seq 100); do
    port=$(cat "$work/port")
    [ -n "$port" ] && break
    sleep 0.1
  done
  if [ -z "$port" ]; then
    echo "make-client-outputs: the mock server did not start" >&2
    cat "$work/server.log" >&2
    exit 1
  fi

  # The CLI keeps its contexts in ~/.northflank/config.json: a HOME of its
  # own, and a context made by the CLI's own login command.
  export HOME=$work/home
  mkdir -p "$HOME"
  nf=$work/cli/node_modules/.bin/northflank
  "$nf" login -n mock --host "http://127.0.0.1:$port" -t NORTHFLANK_API_TOKEN \
    </dev/null >/dev/null

  local get=(get addon backup --projectId default-project --addonId example-addon)
  local list=(get addon backups --projectId default-project --addonId example-addon)
  # cli OUT EXPECTED_STATUS ARGS...: stdout of the CLI into testdata/forms.
  cli() {
    local out=$1 want=$2 status=0
    shift 2
    "$nf" "$@" </dev/null >"$forms/$out" 2>"$work/cli.err" || status=$?
    echo "northflank $*: exit $status, $(wc -c <"$forms/$out") bytes on stdout -> $out" >&2
    sed 's/^/  stderr: /' "$work/cli.err" >&2
    if [ "$status" != "$want" ]; then
      echo "make-client-outputs: expected exit $want" >&2
      exit 1
    fi
  }
  cli cli-get.json 0 "${get[@]}" --backupId example-backup -o json
  cli cli-get.yaml 0 "${get[@]}" --backupId example-backup -o yaml
  cli cli-get.yml 0 "${get[@]}" --backupId example-backup -o yml
  cli cli-list-real.json 0 "${list[@]}" -o json
  cli cli-list.yaml 0 "${list[@]}" -o yaml
  cli cli-error-stdout.json 1 "${get[@]}" --backupId missing-backup -o json
  cli cli-quiet-stdout.json 0 "${get[@]}" --backupId example-backup -o json --quiet

  node "$here/jsclient-outputs.js" "$work/js/node_modules/@northflank/js-client" \
    "$port" "$forms" jsclient
  # The js-client the CLI depends on, as npm installed it for the CLI.
  local bundled=$work/cli/node_modules/@northflank/js-client
  node "$here/jsclient-outputs.js" "$bundled" "$port" "$forms" \
    "jsclient-$(node -p "require('$bundled/package.json').version")"

  kill "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  sed 's/^/  /' "$work/server.log" >&2
}

if [ "${1:-}" = --run-clients ]; then
  run_clients "$2"
  exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cli_version=${CLI_VERSION:-0.9.24}
js_version=${JS_VERSION:-0.9.5}
# --ignore-scripts: the CLI's postinstall only prints a welcome message, and
# the optional native modules (bufferutil, utf-8-validate) are not needed.
npm install --prefix "$work/cli" --no-audit --no-fund --ignore-scripts --loglevel=error \
  "@northflank/cli@$cli_version" >&2
npm install --prefix "$work/js" --no-audit --no-fund --ignore-scripts --loglevel=error \
  "@northflank/js-client@$js_version" >&2

if unshare -rn true 2>/dev/null; then
  NFB_IN_NETNS=1 unshare -rn bash "$0" --run-clients "$work"
else
  echo "make-client-outputs: unshare -rn is not available; running with the network" >&2
  run_clients "$work"
fi

# Compressed archives, made from the fixtures with fixed options so that
# the same tools give the same bytes (gzip -n: no name, no time stamp).
cd "$forms"
gzip -9 -n -c stream.ndjson >stream.ndjson.gz
zstd -19 -q -f stream.ndjson -o stream.ndjson.zst
gzip -9 -n -c api.json >api.json.gz
gzip -9 -n -c cli-list.yaml >cli-list.yaml.gz
zstd -19 -q -f cli-get.yaml -o cli-get.yaml.zst
# One gzip member and one zstd frame per line of stream.ndjson.
: >stream-members.ndjson.gz
: >stream-frames.ndjson.zst
sizes=()
while IFS= read -r line; do
  printf '%s\n' "$line" | gzip -9 -n -c >"$work/member"
  printf '%s\n' "$line" | zstd -19 -q -c >"$work/frame"
  cat "$work/member" >>stream-members.ndjson.gz
  cat "$work/frame" >>stream-frames.ndjson.zst
  sizes+=("$(wc -c <"$work/member"):$(wc -c <"$work/frame")")
done <stream.ndjson
m0=${sizes[0]%:*} m1=${sizes[1]%:*}
f0=${sizes[0]#*:} f1=${sizes[1]#*:} f2=${sizes[2]#*:}
# corrupt.ndjson.gz: stream-members.ndjson.gz with the 4th byte of the third
# member's deflate data (after its 10-byte header) inverted. It lies in
# that block's code-length header, so a decoder stops there with an error
# before writing anything of the third line: the first two lines decode.
off=$((m0 + m1 + 10 + 3))
python3 - "$off" <<'EOF'
import sys
off = int(sys.argv[1])
data = bytearray(open("stream-members.ndjson.gz", "rb").read())
data[off] ^= 0xFF
open("corrupt.ndjson.gz", "wb").write(data)
EOF
# truncated.ndjson.zst: stream-frames.ndjson.zst cut in the middle of its
# third frame.
cut=$((f0 + f1 + f2 / 2))
head -c "$cut" stream-frames.ndjson.zst >truncated.ndjson.zst
echo "corrupt.ndjson.gz: byte $off (0-based) of $(wc -c <corrupt.ndjson.gz) inverted" >&2
echo "truncated.ndjson.zst: first $cut of $(wc -c <stream-frames.ndjson.zst) bytes" >&2

# What they must decode to, checked with the tools themselves.
check() {
  if ! cmp -s "$1" "$2"; then
    echo "make-client-outputs: $3" >&2
    exit 1
  fi
}
check <(gzip -dc stream.ndjson.gz) stream.ndjson "stream.ndjson.gz does not decompress to stream.ndjson"
check <(zstd -dc stream.ndjson.zst) stream.ndjson "stream.ndjson.zst does not decompress to stream.ndjson"
check <(gzip -dc stream-members.ndjson.gz) stream.ndjson "stream-members.ndjson.gz is wrong"
check <(zstd -dc stream-frames.ndjson.zst) stream.ndjson "stream-frames.ndjson.zst is wrong"
check <(gzip -dc corrupt.ndjson.gz 2>/dev/null || true) <(head -n 2 stream.ndjson) \
  "corrupt.ndjson.gz does not decode to the first two lines"
check <(zstd -dc truncated.ndjson.zst 2>/dev/null || true) <(head -n 2 stream.ndjson) \
  "truncated.ndjson.zst does not decode to the first two lines"
if gzip -t corrupt.ndjson.gz 2>/dev/null; then
  echo "make-client-outputs: corrupt.ndjson.gz is not corrupt" >&2
  exit 1
fi
if zstd -t -q truncated.ndjson.zst 2>/dev/null; then
  echo "make-client-outputs: truncated.ndjson.zst is not truncated" >&2
  exit 1
fi
echo "make-client-outputs: done" >&2
