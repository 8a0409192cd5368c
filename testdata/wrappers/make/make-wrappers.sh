#!/bin/sh
# Rewrites the inputs of testdata/wrappers/ from the real responses in
# testdata/forms/, the way users' tools wrap and encode them (see
# README.md here). Needs iconv, gzip, jq and python3. Run from anywhere:
#   testdata/wrappers/make/make-wrappers.sh && git diff --stat testdata/wrappers
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
forms=$here/../forms
cd "$here"

# LF to CRLF, as Windows PowerShell writes lines.
crlf() { sed 's/$/\r/' "$1"; }

# Windows PowerShell 5.1: `northflank get addon backup ... -o json > backup.json`
# writes UTF-16LE with a byte order mark (FF FE) and CRLF line ends.
{ printf '\377\376'; crlf "$forms/cli-get.json" | iconv -f UTF-8 -t UTF-16LE; } \
    >ps-cli-get.utf16le.json
# The same, of a backup whose name is not ASCII (é, and U+1F5C4, a
# surrogate pair in UTF-16).
{ printf '\377\376'; crlf "$forms/cli-get.json" |
    sed 's/"Example Backup"/"Sauvegarde été 🗄"/' |
    iconv -f UTF-8 -t UTF-16LE; } >ps-nonascii.utf16le.json
# ... and kept gzip-compressed.
gzip -9 -n -c ps-cli-get.utf16le.json >ps-cli-get.utf16le.json.gz
# UTF-16BE with its mark (FE FF): iconv -t UTF-16BE writes none.
{ printf '\376\377'; iconv -f UTF-8 -t UTF-16BE "$forms/list-page.json"; } \
    >list-page.utf16be.json
# UTF-32LE and UTF-32BE with their marks.
{ printf '\377\376\000\000'; iconv -f UTF-8 -t UTF-32LE "$forms/api.json"; } \
    >api.utf32le.json
{ printf '\000\000\376\377'; iconv -f UTF-8 -t UTF-32BE "$forms/cli-list.json"; } \
    >cli-list.utf32be.json
# UTF-16LE without a mark (iconv -t UTF-16LE, or a .NET
# UnicodeEncoding(false, false)): refused with one diagnostic.
crlf "$forms/cli-get.json" | iconv -f UTF-8 -t UTF-16LE >cli-get.utf16le-nobom.json
# A lone high surrogate (D83D, then no low one) inside the name: the record
# is not converted, the one after it is.
python3 - "$forms/cli-get.json" <<'PY' >lone-surrogate.utf16le.json
import sys
text = open(sys.argv[1], encoding="utf-8").read().replace("\n", " ")
bad = text.replace('"Example Backup"', '"Example \ud83d Backup"')
out = b"\xff\xfe" + bad.encode("utf-16-le", "surrogatepass") + "\r\n".encode("utf-16-le")
out += text.encode("utf-16-le") + "\r\n".encode("utf-16-le")
sys.stdout.buffer.write(out)
PY

# curl -i (and curl -D -) write the response head before the body. The API
# sends a body without a final newline, so the second head of
# `curl -i URL1 URL2` begins right after the first body's '}'.
body() { printf '%s' "$(cat "$1")"; }
head200='HTTP/2 200 \r
date: Thu, 21 Jan 2021 09:12:44 GMT\r
content-type: application/json; charset=utf-8\r
content-length: %s\r
vary: Accept-Encoding\r
x-request-id: 3f2a9c1e-5b7d-4e0a-9c61-2d8f0b1a7e44\r
strict-transport-security: max-age=15552000; includeSubDomains\r
\r
'
head404='HTTP/2 404 \r
date: Thu, 21 Jan 2021 09:12:45 GMT\r
content-type: application/json; charset=utf-8\r
content-length: %s\r
vary: Accept-Encoding\r
x-request-id: 8c0d4e2b-1f9a-4c37-b5e8-6a2e9d0c3f17\r
strict-transport-security: max-age=15552000; includeSubDomains\r
\r
'
len() { body "$1" | wc -c | tr -d ' '; }
# curl -i URL (one backup)
{ printf "$head200" "$(len "$forms/api.json")"; body "$forms/api.json"; } >curl-i-get.txt
# curl -i URL1 URL2 (a backup, then one that is gone: 404 and the API's error)
{ printf "$head200" "$(len "$forms/api.json")"; body "$forms/api.json"
  printf "$head404" "$(len "$forms/api-error.json")"; body "$forms/api-error.json"; } \
    >curl-i-two.txt
# curl -i -H 'Expect: 100-continue' over HTTP/1.1, LF line ends (as the head
# reads once a tool has turned CRLF into LF), then a 502 from a proxy whose
# body is HTML, not the API's.
{ printf 'HTTP/1.1 100 Continue\n\nHTTP/1.1 200 OK\ndate: Thu, 21 Jan 2021 09:12:46 GMT\ncontent-type: application/json; charset=utf-8\n\n'
  cat "$forms/list-page.json"
  printf 'HTTP/1.1 502 Bad Gateway\ndate: Thu, 21 Jan 2021 09:12:47 GMT\ncontent-type: text/html\ncontent-length: 150\n\n'
  printf '<html>\n<head><title>502 Bad Gateway</title></head>\n<body>\n<center><h1>502 Bad Gateway</h1></center>\n</body>\n</html>\n'; } \
    >curl-continue-502.txt

# jq --seq (RFC 7464): RS (0x1E) before each JSON text.
jq --seq -n --slurpfile l "$forms/cli-list.json" --slurpfile a "$forms/api.json" \
    '$l[].backups[], $a[]' >jq-seq.json

# An NDJSON archive of `jq -c` lines, after the line the Northflank CLI's
# --verbose writes to stdout, and after a warning line.
ndjson() { jq -c . "$forms/api.json" "$forms/cli.json" "$forms/list-page.json"; }
{ echo 'VERBOSE: Using endpoint -> GET:/v1/projects/default-project/addons/example-addon/backups/example-backup'; ndjson; } \
    >verbose.ndjson
{ echo 'Warning: your token expires in 3 days'; ndjson; } >warning.ndjson
