#!/usr/bin/env python3
"""xlsx past Excel's row limit, without the test knob: 1,048,580 generated
records make a sheet "backups" of exactly 1,048,576 rows (the header and
1,048,575 records) and a sheet "backups-2" of the header and the last 5
records; each sheet has its own autofilter and dimension, and the records
are the CSV's, in order. The sheets' XML is scanned as a stream (openpyxl
would take minutes on a million rows). Slow: about a minute.

usage: xlsx_big.py NFBACKUP SOURCE_DIR"""

import os
import re
import subprocess
import sys
import tempfile
import zipfile

BIN, SRC = sys.argv[1], sys.argv[2]
GEN = os.path.join(SRC, "bench", "gen")
LIMIT = 1048576
RECORDS = LIMIT + 4  # the header takes one row of the first sheet

failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL:", msg, file=sys.stderr)


def scan(z, name):
    """(rows, first cell of the last row, dimension, autofilter) of a
    sheet's XML, read as a stream."""
    rows, tail = 0, b""
    dim = auto = None
    with z.open(name) as f:
        while True:
            chunk = f.read(1 << 20)
            if not chunk:
                break
            data = tail + chunk
            # "<row " is 5 bytes: keep 4 for a tag cut between chunks
            rows += data.count(b"<row ") - tail.count(b"<row ")
            if dim is None:
                m = re.search(rb'<dimension ref="([^"]+)"', data)
                dim = m and m.group(1).decode()
            m = re.search(rb'<autoFilter ref="([^"]+)"', data)
            if m:
                auto = m.group(1).decode()
            tail = data[-65536:]
    last = tail[tail.rfind(b"<row "):]
    m = re.search(rb'<c r="A\d+"[^>]*><is><t[^>]*>([^<]*)</t>', last)
    return rows, m and m.group(1).decode(), dim, auto


def main():
    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "big.ndjson")
        with open(data, "wb") as f:
            subprocess.run([sys.executable, GEN, "--records", str(RECORDS)],
                           stdout=f, check=True)
        ids = subprocess.run([BIN, "convert", "--to", "csv", "--columns",
                              "id", data], capture_output=True, check=True)
        ids = ids.stdout.decode().split("\n")[1:-1]
        if len(ids) != RECORDS:
            fail("csv: %d records, expected %d" % (len(ids), RECORDS))
            return
        book = os.path.join(tmp, "big.xlsx")
        p = subprocess.run([BIN, "convert", "--to", "xlsx", "-o", book,
                            data], capture_output=True)
        # bench/gen makes some sizes longer than 15 digits: warnings
        if p.returncode != 0 or any(
                not line.startswith(b"nfbackup: warning: ")
                for line in p.stderr.splitlines()):
            fail("xlsx: exit %d %r" % (p.returncode, p.stderr[-500:]))
            return
        with zipfile.ZipFile(book) as z:
            wbxml = z.read("xl/workbook.xml").decode()
            sheets = re.findall(r'<sheet name="([^"]+)"', wbxml)
            if sheets != ["backups", "backups-2"]:
                fail("sheets %s, expected backups, backups-2" % sheets)
            want = [(LIMIT, ids[LIMIT - 2], "A1:N%d" % LIMIT),
                    (1 + RECORDS - (LIMIT - 1), ids[-1],
                     "A1:N%d" % (1 + RECORDS - (LIMIT - 1)))]
            for i, (rows, last_id, ref) in enumerate(want):
                name = "xl/worksheets/sheet%d.xml" % (i + 1)
                got = scan(z, name)
                print("%s: %d rows, last id %s, dimension %s, autofilter %s"
                      % ((name,) + got))
                if got != (rows, last_id, ref, ref):
                    fail("%s: %s, expected %s" % (
                        name, got, (rows, last_id, ref, ref)))
            head2 = z.open("xl/worksheets/sheet2.xml").read(1 << 16)
            if b">config.size<" not in head2 or b">" + ids[LIMIT - 1].encode() + b"<" not in head2:
                fail("backups-2: no header, or not starting at record %d"
                     % LIMIT)
    if failures:
        sys.exit(1)


main()
