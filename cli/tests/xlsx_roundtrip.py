#!/usr/bin/env python3
"""xlsx read back with openpyxl, cell by cell, against the CSV of the same
input (`--to csv --no-formula-guard`): strings equal (OOXML's _xHHHH_
escapes decoded, as Excel does), config.size a number equal to the CSV's
when it has at most 15 digits and its digits as text above, every date-time a
date cell at the instant the CSV's text names, to the millisecond, in UTC
(text before 1900-03-01 and after 9999-12-31 in UTC), strings longer than Excel's 32,767 characters cut
to exactly that. Over every fixture in testdata/forms, the adversarial
strings, a generated set (bench/gen) and edge records (sizes around 10^15 and 2^53
and up to 2^64-1, formula-like and number-like names, 40,000-character
names, offsets, a leap second, nanoseconds, dates before 1900 and past
9999 in UTC). Also: the
bold frozen header with an autofilter over every row, column widths that
fit, the warnings, sheets backups-2.. past the row limit (lowered with the
test knob NFBACKUP_XLSX_SHEET_ROWS), --columns, -o required and not a
terminal (exit 2), a failed run leaving the old file and no temporary
file, and the file handed through a pipe (-o /dev/stdout).

usage: xlsx_roundtrip.py NFBACKUP SOURCE_DIR"""

import calendar
import csv
import datetime
import io
import json
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import adversarial  # noqa: E402
import optional  # noqa: E402

try:
    import openpyxl
except ImportError:
    optional.skip_now("xlsx read back", "this Python has no openpyxl "
                      "(python3-openpyxl, scripts/install-deps)")

BIN, SRC = sys.argv[1], sys.argv[2]
FORMS = os.path.join(SRC, "testdata", "forms")
GEN = os.path.join(SRC, "bench", "gen")

# Pinned on purpose, a second opinion on `nfbackup columns`: the
# expected cells are built from this list, not from the program's.
COLUMNS = ["id", "name", "status", "createdAt", "completedAt",
           "config.source.type", "config.size", "config.addonVersion",
           "config.compressionType", "config.additionalDestinations",
           "customDestinationId", "lastRestore.restoreTimestamp",
           "lastRestore.status", "lastRestore.completedAt"]
TIMES = {"createdAt", "completedAt", "lastRestore.restoreTimestamp",
         "lastRestore.completedAt"}
MAX_CELL = 32767
MAX_EXACT = 10 ** 15 - 1  # 15 digits: what spreadsheets show exactly
EXCEL_EPOCH = datetime.datetime(1899, 12, 30)
FIRST_DATE_MS = calendar.timegm((1900, 3, 1, 0, 0, 0)) * 1000
# 10000-01-01T00:00:00Z, the first instant past Excel's last date.
PAST_DATES_MS = (calendar.timegm((9999, 12, 31, 0, 0, 0)) + 86400) * 1000

failures = []
checked = {"cells": 0, "dates": 0, "numbers": 0, "big": 0, "cut": 0}


def fail(msg):
    failures.append(msg)
    if len(failures) <= 20:
        print("FAIL:", msg[:500], file=sys.stderr)


def convert(args, env=None, ok=(0,)):
    p = subprocess.run([BIN, "convert"] + args, capture_output=True,
                       env=env)
    if p.returncode not in ok:
        fail("%s: exit %d: %s" % (args, p.returncode, p.stderr[-2000:]))
    return p


def unescape(s):
    """OOXML's _xHHHH_ escapes, which openpyxl leaves in inline strings."""
    return re.sub(r"_x([0-9A-Fa-f]{4})_", lambda m: chr(int(m.group(1), 16)),
                  s)


def expected_cut(s):
    """s as the writer must store it: cut where the escaped text would pass
    32,767 characters (an escape counts 7, a character beyond U+FFFF 2)."""
    n = 0
    for i, ch in enumerate(s):
        if ch in "\0\ufffe\uffff" or s[i:i + 2] == "_x":
            add = 7
        elif ord(ch) > 0xFFFF:
            add = 2
        else:
            add = 1
        if n + add > MAX_CELL:
            return s[:i]
        n += add
    return s


def instant_ms(text):
    """The UTC instant of an RFC 3339 date-time, in milliseconds since the
    epoch, its fraction cut to the millisecond (a second 60 counts as the
    next second, as the reader does)."""
    m = re.fullmatch(r"(\d{4})-(\d\d)-(\d\d)[Tt](\d\d):(\d\d):(\d\d)"
                     r"(?:\.(\d+))?([Zz]|[+-]\d\d:\d\d)", text)
    if not m:
        raise ValueError("not RFC 3339: %r" % text)
    y, mo, d, h, mi, s = (int(m.group(i)) for i in range(1, 7))
    ms = int((m.group(7) or "").ljust(3, "0")[:3])
    off = 0
    if m.group(8) not in "Zz":
        sign = 1 if m.group(8)[0] == "+" else -1
        off = sign * (int(m.group(8)[1:3]) * 60 + int(m.group(8)[4:6]))
    return (calendar.timegm((y, mo, d, h, mi, s)) - off * 60) * 1000 + ms


def cell_ms(v):
    delta = v - datetime.datetime(1970, 1, 1)
    return round(delta.total_seconds() * 1000)


def check_cell(where, col, x, c):
    checked["cells"] += 1
    if col == "config.size":
        if int(c) <= MAX_EXACT:
            checked["numbers"] += 1
            if type(x) is not int or x != int(c):
                fail("%s: size %r, expected the number %s" % (where, x, c))
        else:
            checked["big"] += 1
            if x != c:
                fail("%s: size %r, expected the text %s" % (where, x, c))
        return
    if col in TIMES and c != "":
        ms = instant_ms(c)
        if ms < FIRST_DATE_MS or ms >= PAST_DATES_MS:
            if x != c:
                fail("%s: %r, expected the text %r" % (where, x, c))
            return
        checked["dates"] += 1
        if not isinstance(x, datetime.datetime) or cell_ms(x) != ms:
            fail("%s: %r, expected the instant of %s" % (where, x, c))
        return
    if x is None:
        x = ""
    if not isinstance(x, str):
        fail("%s: %r is not text (CSV %r)" % (where, x, c[:80]))
        return
    want = expected_cut(c)
    if want != c:
        checked["cut"] += 1
    if unescape(x) != want:
        fail("%s: %r, expected %r" % (where, x[:80], want[:80]))


def sheet_rows(ws):
    return [tuple(r) for r in ws.iter_rows(values_only=True)]


def compare(label, inputs, columns=None, env=None, expect_sheets=None):
    """Converts inputs to CSV and xlsx and compares every cell; returns
    (workbook, stderr of the xlsx run, CSV rows)."""
    cols = ["--columns", columns] if columns else []
    p = convert(["--to", "csv", "--no-formula-guard"] + cols + inputs,
                ok=(0, 1))
    rows = list(csv.reader(io.StringIO(p.stdout.decode("utf-8"),
                                       newline="")))
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "out.xlsx")
        px = convert(["--to", "xlsx", "-o", out] + cols + inputs, env=env,
                     ok=(p.returncode,))
        if not os.path.exists(out):
            fail("%s: no file written" % label)
            return None, px.stderr.decode(), rows
        left = [f for f in os.listdir(d) if f != "out.xlsx"]
        if left:
            fail("%s: files left beside the output: %s" % (label, left))
        wb = openpyxl.load_workbook(out)
    header, data = rows[0], rows[1:]
    names = wb.sheetnames
    if expect_sheets is not None and len(names) != expect_sheets:
        fail("%s: %d sheets, expected %d" % (label, len(names),
                                               expect_sheets))
    want_names = ["backups"] + ["backups-%d" % i
                                for i in range(2, len(names) + 1)]
    if names != want_names:
        fail("%s: sheets %s, expected %s" % (label, names, want_names))
    got = []
    for ws in wb.worksheets:
        srows = sheet_rows(ws)
        if not srows or list(srows[0]) != header:
            fail("%s %s: header %s, expected %s" % (
                label, ws.title, srows[:1], header))
            continue
        check_layout(label, ws, header, srows)
        got.extend(srows[1:])
    if len(got) != len(data):
        fail("%s: %d rows, expected %d" % (label, len(got), len(data)))
    for i, (xr, cr) in enumerate(zip(got, data)):
        xr = list(xr) + [None] * (len(header) - len(xr))
        for j, col in enumerate(header):
            check_cell("%s row %d %s" % (label, i + 1, col), col, xr[j],
                       cr[j])
    return wb, px.stderr.decode(), data


def width_of(v):
    if v is None:
        return 0
    if isinstance(v, datetime.datetime):
        return len("2021-01-20 11:19:53.175")
    return len(str(v).encode("utf-16-le")) // 2


def check_layout(label, ws, header, srows):
    where = "%s %s" % (label, ws.title)
    if ws.freeze_panes != "A2":
        fail("%s: frozen at %s, expected A2" % (where, ws.freeze_panes))
    last = "%s%d" % (chr(ord("A") + len(header) - 1), len(srows))
    if ws.auto_filter.ref != "A1:" + last:
        fail("%s: autofilter %s, expected A1:%s" % (
            where, ws.auto_filter.ref, last))
    for j in range(len(header)):
        c = ws.cell(row=1, column=j + 1)
        if not c.font.b:
            fail("%s: header %s not bold" % (where, c.coordinate))
        letter = c.column_letter
        widest = max(width_of(r[j]) if j < len(r) else 0 for r in srows)
        need = min(max(widest, len(header[j]) + 2), 60)
        w = ws.column_dimensions[letter].width
        if not (need <= w <= need + 2):
            fail("%s: column %s (%s) width %s, expected %d to %d" % (
                where, letter, header[j], w, need, need + 2))


def edge_records(path):
    """Records with sizes around 10^15 and 2^53, spreadsheet-hostile strings, long
    names and unusual date-times."""
    sizes = ["0", "1", "7", str(MAX_EXACT), str(MAX_EXACT + 1),
             str(2 ** 53 - 1), str(2 ** 53), str(2 ** 53 + 1),
             "99999999999999999", str(2 ** 63), str(2 ** 64 - 1), "1234"]
    names = ["=1+1", "007", "true", "TRUE", "2021-01-20", "1e3", "-5",
             "+1", "@SUM(A1)", "'quoted", "_x0041_", "_x005F_x0041_",
             "a_x00e9_b", "_X0041_", "_x004_", "\x00", "a\x00b",
             "\ufffe\uffff", "\r\n\t", " lead", "trail ", "é" * 40000,
             "n" * 40000, "😀" * 20000, "_x0041_" * 6000,
             "y" * 32767, "y" * 32768]
    times = ["2021-01-20T11:19:53.175Z", "2021-01-20t11:19:53.1759999z",
             "2016-12-31T23:59:60Z", "2021-01-20T23:30:00.5-05:00",
             "1900-03-01T00:00:00Z", "1900-02-28T23:59:59.999Z",
             "1899-12-31T12:00:00+14:00", "0001-01-01T00:00:00Z",
             "9999-12-31T23:59:59.999999999Z", "1970-01-01T00:00:00.001Z",
             "2021-01-20T11:19:53+00:01", "9999-12-31T23:00:00-05:00",
             "9999-12-31T23:59:60Z"]
    recs = []
    n = 10 * max(len(sizes), len(names), len(times))
    for i in range(n):
        t = times[i % len(times)]
        rec = {"id": "edge-%d" % i, "name": names[i % len(names)],
               "status": "completed", "createdAt": t, "completedAt": t,
               "config": {"size": sizes[i % len(sizes)],
                          "source": {"type": "snapshot"}}}
        if i % 3 == 0:
            rec["lastRestore"] = {"restoreTimestamp": t,
                                  "status": "failed"}
        recs.append(json.dumps({"data": rec}))
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(recs) + "\n")
    return n


def main():
    with tempfile.TemporaryDirectory() as tmp:
        # Every fixture.
        for name in sorted(os.listdir(FORMS)):
            path = os.path.join(FORMS, name)
            if os.path.isfile(path) and not name.endswith(".md"):
                compare("forms/" + name, [path])

        # Adversarial strings in every string column.
        adv = os.path.join(tmp, "adversarial.ndjson")
        adversarial.write_ndjson(adv)
        compare("adversarial", [adv])

        # Edge records: the notes name the first cell of each kind.
        edge = os.path.join(tmp, "edge.ndjson")
        edge_records(edge)
        wb, err, _ = compare("edge", [edge])
        for want in ["backups!G6: expected a size of at most 15 digits "
                     "(999999999999999) for a number cell, found "
                     "1000000000000000: written as text (and ",
                     "backups!B23: expected at most 32767 characters in a "
                     "cell (Excel's limit), found 40000 characters: cut to "
                     "that (and ",
                     "backups!D7: expected a date-time from 1900-03-01 on "
                     "for a date cell, found 1900-02-28T23:59:59.999Z: "
                     "written as text (and ",
                     "backups!D13: expected a date-time up to 9999-12-31 "
                     "(UTC) for a date cell, found 9999-12-31T23:00:00-05:00: "
                     "written as text (and "]:
            if "nfbackup: warning: " not in err or want not in err:
                fail("edge: warning %r not in %r" % (want, err))

        # A generated set, with a knob that makes sheets of 600 rows.
        # Every seventh size is made longer than 15 digits.
        gen = os.path.join(tmp, "gen.ndjson")
        lines = subprocess.run([sys.executable, GEN, "--records", "1500",
                                "--seed", "7"], capture_output=True,
                               check=True).stdout.decode().split("\n")[:-1]
        with open(gen, "w") as f:
            for i, line in enumerate(lines):
                if i % 7 == 0:
                    line = re.sub(r'"size":"[0-9]+"', '"size":"%d"' % (
                        MAX_EXACT + 1 + i * 987654321), line)
                f.write(line + "\n")
        compare("generated", [gen, edge])
        env = dict(os.environ, NFBACKUP_XLSX_SHEET_ROWS="600")
        compare("generated, 600 rows a sheet", [gen], env=env,
                expect_sheets=3)
        compare("generated, 600 rows a sheet, --columns",
                [gen], columns="config.size,createdAt,id", env=env,
                expect_sheets=3)
        compare("no record", [os.path.join(FORMS, "api-error.json")],
                expect_sheets=1)

        # -o is required; a failed run leaves the old file as it was.
        for args in [[], ["-o", "-"]]:
            p = subprocess.run([BIN, "convert", "--to", "xlsx"] + args +
                               [gen], capture_output=True)
            if p.returncode != 2 or b"expected -o FILE" not in p.stderr:
                fail("%s: exit %d, %r" % (args, p.returncode, p.stderr))
            if p.stdout:
                fail("%s: wrote %d bytes to stdout" % (args, len(p.stdout)))
        # Nor to a terminal named by -o (script(1) gives a pseudo-terminal).
        p = subprocess.run(["script", "-qec", "%s convert --to xlsx -o "
                            "/dev/tty %s" % (BIN, gen), "/dev/null"],
                           capture_output=True)
        if p.returncode != 2 or b"expected -o FILE, found a terminal" \
                not in p.stdout:
            fail("-o /dev/tty: exit %d, %r" % (p.returncode, p.stdout[:300]))
        d = os.path.join(tmp, "keep")
        os.mkdir(d)
        old = os.path.join(d, "old.xlsx")
        with open(old, "wb") as f:
            f.write(b"old")
        p = subprocess.run([BIN, "convert", "--to", "xlsx", "-o", old, gen,
                            os.path.join(tmp, "missing.json")],
                           capture_output=True)
        if p.returncode != 3:
            fail("missing input: exit %d" % p.returncode)
        if open(old, "rb").read() != b"old" or os.listdir(d) != ["old.xlsx"]:
            fail("missing input: old file changed or files left: %s"
                 % os.listdir(d))

        # The finished file through a pipe: libxlsxwriter needs a file, so
        # the library builds it in a temporary one and hands it on.
        p = subprocess.run("%s convert --to xlsx -o /dev/stdout %s | cat"
                           % (BIN, edge), shell=True, capture_output=True,
                           env=dict(os.environ, TMPDIR=tmp))
        if p.returncode != 0:
            fail("pipe: exit %d %r" % (p.returncode, p.stderr))
        wb = openpyxl.load_workbook(io.BytesIO(p.stdout))
        named = os.path.join(tmp, "named.xlsx")
        q = convert(["--to", "xlsx", "-q", "-o", named, edge])
        if q.stderr:
            fail("-q: %r" % q.stderr)
        direct = sheet_rows(openpyxl.load_workbook(named).worksheets[0])
        if sheet_rows(wb.worksheets[0]) != direct:
            fail("pipe: the workbook differs from the one written by name")
        left = [f for f in os.listdir(tmp) if f.startswith("nfbackup-")]
        if left:
            fail("pipe: temporary files left: %s" % left)

    print("xlsx: %d cells checked (%d dates, %d numbers, %d sizes above "
          "15 digits, %d strings cut)" % (checked["cells"], checked["dates"],
                                     checked["numbers"], checked["big"],
                                     checked["cut"]))
    if checked["dates"] < 1000 or checked["big"] < 100 or \
            checked["cut"] < 10:
        fail("too few cells of a kind checked: %s" % checked)
    if failures:
        print("%d failures" % len(failures), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
