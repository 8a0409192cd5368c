#!/usr/bin/env python3
"""JSON output stays one record per line for every line reader: U+0085,
U+2028 and U+2029, which JSON allows raw but JavaScript or Python's
str.splitlines take for line ends, are written as \\u0085, \\u2028 and
\\u2029. For the adversarial set and strings holding those characters in
every kind of place (alone, at either end, doubled, beside escapes and
beside other characters that start with the same byte), `convert --to
json` gives exactly one str.splitlines() line per record, each loading
back to the input values; --envelope, --pretty and --array load back the
same, and so does the compact JSON of config.additionalDestinations in CSV
and TSV cells. No output holds any of the three raw.

usage: json_lines.py NFBACKUP SOURCE_DIR"""

import csv
import io
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import adversarial  # noqa: E402

BIN = sys.argv[1]
SEPARATORS = "\u0085\u2028\u2029"
# Characters whose UTF-8 also starts with C2 or E2 (U+0084, U+00A0, U+2027,
# U+202A, an em dash, the euro sign), and characters the writer escapes
# anyway.
NEIGHBOURS = ["", "a", "\u0084", "\u00a0", "\u2027", "\u202a", "\u2014",
              "\u20ac", "\n", "\"", "\\", "\x01", "\x1c", "\u0085",
              "\u2028", "\u2029", "\u00e9", "\U0001f600"]

failures = []


def fail(msg):
    failures.append(msg)
    if len(failures) <= 20:
        print("FAIL:", msg, file=sys.stderr)


def separator_strings():
    out = []
    for sep in SEPARATORS:
        for a in NEIGHBOURS:
            for b in NEIGHBOURS:
                out.append(a + sep + b)
                out.append("x" + a + sep + b + "y")
        # Past the first bytes of a long string, and many of them.
        for n in (7, 8, 15, 16, 63, 64, 65, 4096):
            out.append("x" * n + sep + "y" * n)
        out.append(sep * 1000)
        out.append(("ab" + sep) * 500)
    return out


def run(args):
    p = subprocess.run([BIN, "convert"] + args, capture_output=True)
    if p.returncode != 0:
        fail("%s: exit %d: %s" % (args, p.returncode, p.stderr[-2000:]))
    return p.stdout.decode("utf-8")


def values(rec):
    c = rec["config"]
    return [rec["id"], rec["name"], c["addonVersion"],
            rec["customDestinationId"],
            c["additionalDestinations"][0]["destinationId"]]


def check_records(what, recs, strings):
    if len(recs) != len(strings):
        fail("%s: %d records for %d strings" % (what, len(recs), len(strings)))
        return
    for rec, s in zip(recs, strings):
        if any(v != s for v in values(rec)):
            fail("%s: %r came back as %r" % (what, s[:40], values(rec)))
            return


def no_raw_separators(what, text):
    for sep in SEPARATORS:
        if sep in text:
            fail("%s: U+%04X written raw" % (what, ord(sep)))


def main():
    strings = []
    seen = set()
    for s in separator_strings() + adversarial.all_strings():
        if s not in seen:
            seen.add(s)
            strings.append(s)
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "strings.ndjson")
        with open(src, "w", encoding="utf-8") as f:
            for i, s in enumerate(strings):
                f.write(adversarial.record(s, i) + "\n")
        for flags in ([], ["--envelope"]):
            text = run(["--to", "json"] + flags + [src])
            no_raw_separators("json %s" % flags, text)
            lines = text.splitlines()
            if len(lines) != len(strings):
                fail("json %s: splitlines gives %d lines for %d records" %
                     (flags, len(lines), len(strings)))
                continue
            recs = [json.loads(line) for line in lines]
            if flags:
                recs = [r["data"] for r in recs]
            check_records("json %s" % flags, recs, strings)
        for flags in (["--pretty"], ["--array"]):
            text = run(["--to", "json"] + flags + [src])
            no_raw_separators("json %s" % flags, text)
            if "--array" in flags:
                recs = json.loads(text)
            else:
                dec = json.JSONDecoder()
                recs, i = [], 0
                while True:
                    while i < len(text) and text[i].isspace():
                        i += 1
                    if i == len(text):
                        break
                    rec, i = dec.raw_decode(text, i)
                    recs.append(rec)
            check_records("json %s" % flags, recs, strings)
        for fmt, delim in (("csv", ","), ("tsv", "\t")):
            text = run(["--to", fmt, "--no-formula-guard", "--columns",
                        "config.additionalDestinations", src])
            cells = [r[0] for r in csv.reader(io.StringIO(text, newline=""),
                                              delimiter=delim)][1:]
            no_raw_separators(fmt + " destinations", "".join(cells))
            got = [json.loads(c)[0]["destinationId"] for c in cells]
            if got != strings:
                bad = [(a, b) for a, b in zip(got, strings) if a != b]
                fail("%s destinations: %d of %d differ: %r" %
                     (fmt, len(bad) + abs(len(got) - len(strings)),
                      len(strings), bad[:3]))
    print("json lines: %d strings (%d with U+0085, U+2028 or U+2029) in 5 "
          "fields each, one line per record; compact, --envelope, --pretty, "
          "--array and the CSV/TSV destinations cell load back unchanged" %
          (len(strings), sum(1 for s in strings
                             if set(s) & set(SEPARATORS))))
    if failures:
        print("%d failure(s)" % len(failures), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
