#!/usr/bin/env python3
"""Resynchronising on newline-delimited streams.

Generates a 100,000-line NDJSON stream, corrupts 1% of the lines in
different ways (truncated, stray byte, bad escape, invalid UTF-8, lone
surrogate escape), converts it, and checks that exactly the good records come
out, in order, and that each bad line is reported, on its own line number,
and no good line is.

After a syntax error reading resumes at the next '{' or '[', also inside
the bad line: damage before an envelope's backup leaves that backup to be
read on its own, and it may come out (it is whole)."""
import json
import os
import random
import subprocess
import sys
import tempfile

nfbackup, gen = sys.argv[1], sys.argv[2]
lines_total = int(sys.argv[3]) if len(sys.argv) > 3 else 100000

clean = subprocess.run([gen, "--form", "ndjson", "--records", str(lines_total),
                        "--seed", "7"], check=True, capture_output=True).stdout
lines = clean.split(b"\n")[:-1]
assert len(lines) == lines_total

rnd = random.Random(11)
bad = sorted(rnd.sample(range(lines_total), lines_total // 100))


def truncate(s):
    return s[: rnd.randrange(10, len(s) - 2)]


def stray_inside(s):
    return s[:8] + b"#" + s[8:]  # {"data":#{...


def stray_after(s):
    return s + b"@"


def bad_escape(s):
    i = s.index(b'"name":"') + 8
    return s[:i] + b"\\q" + s[i:]


def invalid_utf8(s):
    i = s.index(b'"id":"') + 6
    return s[:i] + rnd.choice([b"\xff", b"\xc0\xaf", b"\xed\xa0\x80"]) + s[i:]


def lone_surrogate(s):
    i = s.index(b'"name":"') + 8
    return s[:i] + b"\\ud800" + s[i:]


kinds = [truncate, stray_inside, stray_after, bad_escape, invalid_utf8,
         lone_surrogate]
corrupt = list(lines)
for n, i in enumerate(bad):
    corrupt[i] = kinds[n % len(kinds)](lines[i])

with tempfile.TemporaryDirectory() as d:
    src = os.path.join(d, "clean.ndjson")
    with open(src, "wb") as f:
        f.write(clean)
    want = subprocess.run([nfbackup, "convert", "--to", "json", src],
                          check=True, capture_output=True).stdout.split(b"\n")
    assert len(want) == lines_total + 1, "clean stream must convert whole"

    path = os.path.join(d, "corrupt.ndjson")
    with open(path, "wb") as f:
        f.write(b"\n".join(corrupt) + b"\n")
    p = subprocess.run([nfbackup, "convert", "--to", "json",
                        "--diagnostics=json", path], capture_output=True)

failures = []
if p.returncode != 1:
    failures.append(f"exit status {p.returncode}, expected 1")
got = p.stdout.split(b"\n")[:-1]
# A line with a stray byte after its complete document keeps its record: the
# document itself is whole; the stray byte is reported. A line damaged
# before its backup's '{' may give that backup, read on its own.
kind = {i: kinds[n % len(kinds)] for n, i in enumerate(bad)}
k = 0
for i in range(lines_total):
    optional = i in kind
    required = i not in kind or kind[i] is stray_after
    if k < len(got) and got[k] == want[i] and (required or optional):
        k += 1
    elif required:
        failures.append(f"good record of line {i + 1} missing or out of order")
        break
if k != len(got) and not failures:
    failures.append(f"{len(got) - k} records out that no good line holds")

diags = [json.loads(x) for x in p.stderr.decode().splitlines()]
reported = [x["line"] for x in diags]
want_lines = [i + 1 for i in bad]
extra = sorted(set(reported) - set(want_lines))[:5]
missing = sorted(set(want_lines) - set(reported))[:5]
if extra or missing:
    failures.append(f"{len(reported)} diagnostics for {len(want_lines)} bad "
                    f"lines; on good lines {extra}, bad lines unreported "
                    f"{missing}")
    for x in diags:
        if x["line"] in extra:
            failures.append(json.dumps(x))
            if len(failures) > 12:
                break
if not any(x["severity"] == "error" for x in diags):
    failures.append("no error reported")

print(f"{lines_total} lines, {len(bad)} corrupted in {len(kinds)} ways, "
      f"{len(got)} records kept, {len(diags)} diagnostics")
if failures:
    print("\n".join(failures))
    sys.exit(1)
