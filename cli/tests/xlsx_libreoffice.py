#!/usr/bin/env python3
"""The xlsx as LibreOffice shows it: `soffice --headless --convert-to csv`
exports the first sheet as Calc displays it, which must give the CSV of
the same input (`--to csv --no-formula-guard`): text cells the same text
(nothing read as a number, date, boolean or formula), sizes the same digits,
date-times shown as yyyy-mm-dd hh:mm:ss.000 at their UTC instant (text
before 1900-03-01), strings longer than 32,767 characters cut to exactly
that. LibreOffice's CSV export turns a CR in a cell into LF, so CR is
compared as LF. Inputs: the generated set (sizes longer than 15 digits
included), the edge records and the adversarial strings of
xlsx_roundtrip.py and adversarial.py. Slow: LibreOffice takes seconds to
start and to load the file.

usage: xlsx_libreoffice.py NFBACKUP SOURCE_DIR"""

import csv
import datetime
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import adversarial  # noqa: E402
import optional  # noqa: E402
import xlsx_roundtrip as xr  # noqa: E402

BIN, SRC = sys.argv[1], sys.argv[2]
failures = []
counts = {"cells": 0, "dates": 0, "numbers": 0}


def fail(msg):
    failures.append(msg)
    if len(failures) <= 20:
        print("FAIL:", msg[:500], file=sys.stderr)


def shown(ms):
    t = datetime.datetime(1970, 1, 1) + datetime.timedelta(milliseconds=ms)
    return t.strftime("%Y-%m-%d %H:%M:%S") + ".%03d" % (ms % 1000)


def lf(s):
    return s.replace("\r\n", "\n").replace("\r", "\n")


def expected(col, c):
    """What LibreOffice shows for the CSV value c of column col."""
    if col in xr.TIMES and c:
        ms = xr.instant_ms(c)
        if xr.FIRST_DATE_MS <= ms < xr.PAST_DATES_MS:
            counts["dates"] += 1
            return shown(ms)
        return c
    if col == "config.size" and int(c) <= xr.MAX_EXACT:
        counts["numbers"] += 1
    return xr.expected_cut(c)


def main():
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice:
        optional.skip_now("xlsx in LibreOffice", "soffice is not installed "
                          "(libreoffice-calc-nogui, scripts/install-deps)")
    with tempfile.TemporaryDirectory() as tmp:
        gen = os.path.join(tmp, "gen.ndjson")
        lines = subprocess.run([sys.executable, xr.GEN, "--records", "3000",
                                "--seed", "11"], capture_output=True,
                               check=True).stdout.decode().split("\n")[:-1]
        with open(gen, "w") as f:
            for i, line in enumerate(lines):
                if i % 5 == 0:
                    line = re.sub(r'"size":"[0-9]+"', '"size":"%d"' % (
                        xr.MAX_EXACT + 1 + i * 1234567), line)
                f.write(line + "\n")
        edge = os.path.join(tmp, "edge.ndjson")
        xr.edge_records(edge)
        adv = os.path.join(tmp, "adversarial.ndjson")
        adversarial.write_ndjson(adv)
        inputs = [gen, edge, adv]

        p = subprocess.run([BIN, "convert", "--to", "csv",
                            "--no-formula-guard"] + inputs,
                           capture_output=True)
        if p.returncode != 0:
            fail("csv: exit %d %r" % (p.returncode, p.stderr[-500:]))
        want = list(csv.reader(io.StringIO(p.stdout.decode("utf-8"),
                                            newline="")))
        book = os.path.join(tmp, "backups.xlsx")
        p = subprocess.run([BIN, "convert", "--to", "xlsx", "-q", "-o", book]
                           + inputs, capture_output=True)
        if p.returncode != 0:
            fail("xlsx: exit %d %r" % (p.returncode, p.stderr[-500:]))
        outdir = os.path.join(tmp, "lo")
        profile = "file://" + os.path.join(tmp, "profile")
        p = subprocess.run([soffice, "-env:UserInstallation=" + profile,
                            "--headless", "--convert-to",
                            "csv:Text - txt - csv (StarCalc):44,34,76,1",
                            "--outdir", outdir, book], capture_output=True,
                           timeout=600)
        out = os.path.join(outdir, "backups.csv")
        if p.returncode != 0 or not os.path.exists(out):
            fail("soffice: exit %d %r" % (p.returncode, p.stderr[-1000:]))
        else:
            with open(out, encoding="utf-8", newline="") as f:
                got = list(csv.reader(f))
            if len(got) != len(want):
                fail("%d rows, expected %d" % (len(got), len(want)))
            if got and got[0] != want[0]:
                fail("header %s, expected %s" % (got[0], want[0]))
            header = want[0]
            for i, (g, w) in enumerate(zip(got[1:], want[1:])):
                g = g + [""] * (len(header) - len(g))
                for j, col in enumerate(header):
                    counts["cells"] += 1
                    e = expected(col, w[j])
                    if lf(g[j]) != lf(e):
                        fail("row %d %s: LibreOffice shows %r, expected %r"
                             % (i + 1, col, g[j][:80], e[:80]))
    print("LibreOffice: %d cells compared (%d date-times, %d numbers)" % (
        counts["cells"], counts["dates"], counts["numbers"]))
    if counts["dates"] < 1000 or counts["numbers"] < 1000:
        fail("too few cells of a kind: %s" % counts)
    if failures:
        print("%d failures" % len(failures), file=sys.stderr)
        sys.exit(1)


main()
