#!/usr/bin/env python3
"""--bom: csv and tsv output starts with the UTF-8 byte order mark EF BB BF,
exactly once, on stdout, with -o FILE, with several inputs and from stdin,
also when no record is written; the rest of the output is byte for byte
that of the same run without --bom; Python's csv module reads it back
through the utf-8-sig codec to the rows of the run without it, non-ASCII
names included. Without --bom no mark is written, and --bom with any other
format is a usage error (exit 2) that writes nothing.

usage: bom_test.py NFBACKUP SOURCE_DIR"""

import csv
import io
import os
import subprocess
import sys
import tempfile

BIN, SRC = sys.argv[1], sys.argv[2]
FORMS = os.path.join(SRC, "testdata", "forms")
BOM = b"\xef\xbb\xbf"
failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL:", msg, file=sys.stderr)


def run(args, ok=(0,), data=None):
    p = subprocess.run([BIN] + args, capture_output=True, input=data)
    if p.returncode not in ok:
        fail("%s: exit %d: %s" % (args, p.returncode, p.stderr[-500:]))
    return p


def check(name, with_bom, without):
    if not with_bom.startswith(BOM) or with_bom.count(BOM) != 1:
        fail("%s: not one byte order mark at the start: %r" %
             (name, with_bom[:12]))
    elif with_bom[3:] != without:
        fail("%s: --bom changed the rest of the output" % name)
    if without.startswith(BOM):
        fail("%s: a byte order mark without --bom" % name)


def main():
    api = os.path.join(FORMS, "api.json")
    page = os.path.join(FORMS, "list-page.json")
    stream = os.path.join(FORMS, "stream.ndjson")
    with tempfile.TemporaryDirectory() as tmp:
        # A name that spreadsheets show as mojibake without the mark.
        utf8 = os.path.join(tmp, "utf8.json")
        with open(utf8, "w", encoding="utf-8") as f:
            f.write('{"id":"b1","name":"Sauvegarde \u00e9t\u00e9 \u2013 '
                    '\u65e5\u672c","status":"completed",'
                    '"createdAt":"2021-01-20T11:19:53.175Z",'
                    '"completedAt":"2021-01-20T11:19:54.494Z",'
                    '"config":{"size":"1"}}\n')
        for fmt, delim in (("csv", ","), ("tsv", "\t")):
            cases = [("one input", [utf8], None),
                     ("several inputs", [utf8, api, page, stream, utf8], None),
                     ("stdin", ["-"], open(page, "rb").read()),
                     ("--no-header", ["--no-header", api, page], None),
                     ("--crlf", ["--crlf", utf8, page], None)]
            for name, args, data in cases:
                base = ["convert", "--to", fmt] + args
                got = run(base[:3] + ["--bom"] + base[3:], data=data).stdout
                plain = run(base, data=data).stdout
                check("%s %s stdout" % (fmt, name), got, plain)
                # -o FILE: the same bytes in the file.
                out = os.path.join(tmp, "out." + fmt)
                p = run(base[:3] + ["--bom", "-o", out] + base[3:], data=data)
                if p.stdout:
                    fail("%s %s -o: wrote to stdout" % (fmt, name))
                if not os.path.exists(out):
                    fail("%s %s -o: no file written" % (fmt, name))
                    continue
                with open(out, "rb") as f:
                    check("%s %s -o" % (fmt, name), f.read(), plain)
                os.unlink(out)
                # Read back as a spreadsheet would: the same rows.
                rows = list(csv.reader(io.StringIO(got.decode("utf-8-sig"),
                                                   newline=""),
                                       delimiter=delim))
                want = list(csv.reader(io.StringIO(plain.decode("utf-8"),
                                                   newline=""),
                                       delimiter=delim))
                if rows != want:
                    fail("%s %s: utf-8-sig reads other rows" % (fmt, name))
            # Several inputs with -o: the mark once, before the header.
            out = os.path.join(tmp, "many." + fmt)
            run(["convert", "--to", fmt, "--bom", "-o", out, utf8, utf8, utf8])
            data = b""
            if os.path.exists(out):
                with open(out, "rb") as f:
                    data = f.read()
            if data.count(BOM) != 1 or not data.startswith(BOM + b"id"):
                fail("%s several inputs -o: %r" % (fmt, data[:20]))
            # No record: the header still comes after the mark.
            got = run(["convert", "--to", fmt, "--bom",
                       os.path.join(FORMS, "api-error.json")], ok=(1,)).stdout
            if not got.startswith(BOM + b"id") or got.count(BOM) != 1:
                fail("%s no record: %r" % (fmt, got[:20]))
            if "\u65e5\u672c" not in run(["convert", "--to", fmt, "--bom",
                                          utf8]).stdout.decode("utf-8-sig"):
                fail("%s: the non-ASCII name is not read back" % fmt)
        for args in (["convert", "--to", "json"], ["convert", "--to", "yaml"],
                     ["convert", "--to", "xlsx", "-o",
                      os.path.join(tmp, "x.xlsx")],
                     ["validate"], ["stats"], ["stats", "--to", "json"]):
            p = run(args + ["--bom", api], ok=(2,))
            if p.stdout or "--bom" not in p.stderr.decode():
                fail("%s --bom: %r %r" % (args, p.stdout[:20], p.stderr))
    if failures:
        print("%d failure(s)" % len(failures), file=sys.stderr)
        return 1
    print("--bom: csv and tsv, stdout, -o, several inputs, stdin: one mark")
    return 0


if __name__ == "__main__":
    sys.exit(main())
