#!/usr/bin/env python3
"""CSV and TSV round trip: Python's csv module reads `nfbackup convert --to
csv --no-formula-guard` back to exactly the field values of `--to json` for
the same input (an absent value is "", additionalDestinations is JSON equal
to the json output's), over every fixture in testdata/forms and the
adversarial set; with the guard on, exactly the cells that start with a
guarded character or with ' gain a leading ', so that removing one leading
' from every cell that has one gives back the values. TSV the same. Then --columns, unknown
and bad column lists (exit 2), --no-header, --crlf, --bom (read back with
the utf-8-sig codec), a header with no
records, and many inputs giving one header and rows in input order.

usage: csv_roundtrip.py NFBACKUP SOURCE_DIR"""

import csv
import io
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import adversarial  # noqa: E402

BIN, SRC = sys.argv[1], sys.argv[2]
FORMS = os.path.join(SRC, "testdata", "forms")

# Pinned on purpose, a second opinion on `nfbackup columns`: the
# expected rows are built from this list, not from the program's.
COLUMNS = ["id", "name", "status", "createdAt", "completedAt",
           "config.source.type", "config.size", "config.addonVersion",
           "config.compressionType", "config.additionalDestinations",
           "customDestinationId", "lastRestore.restoreTimestamp",
           "lastRestore.status", "lastRestore.completedAt"]
# The first characters the formula guard escapes: formula starts, and the '
# itself, so that the guard can be undone.
GUARDED = "=+-@\t\r\n\0'"

failures = []
cells = 0


def fail(msg):
    failures.append(msg)
    if len(failures) <= 20:
        print("FAIL:", msg, file=sys.stderr)


def run(args, ok=(0,)):
    p = subprocess.run([BIN, "convert"] + args, capture_output=True)
    if p.returncode not in ok:
        fail("%s: exit %d: %s" % (args, p.returncode, p.stderr[-2000:]))
    return p


def records(inputs, ok):
    out = run(["--to", "json"] + inputs, ok).stdout.decode()
    return [json.loads(line) for line in out.split("\n") if line]


def value(rec, col):
    v = rec
    for part in col.split("."):
        if not isinstance(v, dict) or part not in v:
            return None
        v = v[part]
    return v


def unguard(cell):
    """The inverse of the formula guard, as the README gives it."""
    return cell[1:] if cell.startswith("'") else cell


def rows(data, delim):
    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline=""),
                           delimiter=delim))


def compare(name, recs, got, cols, guard):
    """Checks the parsed rows (header included) against the records."""
    global cells
    if not got or got[0] != cols:
        fail("%s: header %r" % (name, got[:1]))
        return
    body = got[1:]
    if len(body) != len(recs):
        fail("%s: %d rows for %d records" % (name, len(body), len(recs)))
        return
    for i, (rec, row) in enumerate(zip(recs, body)):
        if len(row) != len(cols):
            fail("%s: row %d has %d cells, not %d" % (name, i, len(row),
                                                      len(cols)))
            continue
        for col, cell in zip(cols, row):
            cells += 1
            v = value(rec, col)
            if col == "config.additionalDestinations":
                if v is None:
                    ok = cell == ""
                else:
                    try:
                        ok = json.loads(cell) == v
                    except ValueError:
                        ok = False
                if not ok:
                    fail("%s: row %d %s: %r is not %r" % (name, i, col,
                                                          cell[:100], v))
                continue
            want = "" if v is None else v
            if guard and want and want[0] in GUARDED:
                want = "'" + want
            if cell != want:
                fail("%s: row %d %s: %r != %r" % (name, i, col, cell[:100],
                                                 want[:100]))


def check_both(name, inputs, ok=(0,)):
    recs = records(inputs, ok)
    for fmt, delim in (("csv", ","), ("tsv", "\t")):
        for guard in (False, True):
            flags = [] if guard else ["--no-formula-guard"]
            out = run(["--to", fmt] + flags + inputs, ok).stdout
            compare("%s %s %s" % (name, fmt, flags), recs, rows(out, delim),
                    COLUMNS, guard)
    return recs


def main():
    fixtures = sorted(os.path.join(FORMS, f) for f in os.listdir(FORMS)
                      if f.endswith((".json", ".ndjson")))
    nrec = 0
    for f in fixtures:
        nrec += len(check_both(os.path.basename(f), [f], ok=(0, 1)))
    with tempfile.TemporaryDirectory() as tmp:
        adv = os.path.join(tmp, "adversarial.ndjson")
        nstr = adversarial.write_ndjson(adv)
        recs = check_both("adversarial", [adv])
        if len(recs) != nstr:
            fail("adversarial: %d records for %d strings" % (len(recs), nstr))

        # The guard touches only cells that start with a guarded character.
        on = rows(run(["--to", "csv", adv]).stdout, ",")
        off = rows(run(["--to", "csv", "--no-formula-guard", adv]).stdout, ",")
        changed = 0
        for r_on, r_off in zip(on, off):
            for a, b in zip(r_on, r_off):
                if a != b:
                    changed += 1
                    if not (b and b[0] in GUARDED and a == "'" + b):
                        fail("guard changed %r into %r" % (b[:50], a[:50]))
        if changed == 0:
            fail("the guard changed no cell of the adversarial set")

        # The guard can be undone: one leading ' less in every cell that has
        # one gives the unguarded cells, in csv and tsv; and values that
        # differ only by a leading ' stay different.
        for fmt, delim in (("csv", ","), ("tsv", "\t")):
            on = rows(run(["--to", fmt, adv]).stdout, delim)
            off = rows(run(["--to", fmt, "--no-formula-guard", adv]).stdout,
                       delim)
            undone = [[unguard(c) for c in r] for r in on[1:]]
            if len(on) != len(off) or undone != off[1:]:
                bad = [(a, b) for ra, rb in zip(undone, off[1:])
                       for a, b in zip(ra, rb) if a != b]
                fail("%s: removing one leading ' does not undo the guard: "
                     "%r" % (fmt, bad[:5]))
        pair = os.path.join(tmp, "quote-pair.ndjson")
        values = ["=1+1", "'=1+1", "''=1+1", "'", "''", "'a"]
        with open(pair, "w") as f:
            for i, v in enumerate(values):
                f.write(adversarial.record(v, i) + "\n")
        ids = [r[0] for r in rows(run(["--to", "csv", "--columns", "id",
                                       pair]).stdout, ",")[1:]]
        if ids != ["'" + v for v in values]:
            fail("the guard on values that differ by a leading ': %r" % ids)

        # --columns: selection and order, in csv and tsv.
        api = os.path.join(FORMS, "list-page.json")
        lrecs = records([api], (0,))
        for fmt, delim in (("csv", ","), ("tsv", "\t")):
            for cols in (["name", "id"],
                         ["config.additionalDestinations", "lastRestore.status",
                          "config.size", "id"],
                         ["completedAt"], ["customDestinationId"],
                         list(reversed(COLUMNS))):
                out = run(["--to", fmt, "--columns", ",".join(cols), api])
                compare("--columns %s %s" % (fmt, cols), lrecs,
                        rows(out.stdout, delim), cols, True)
                out = run(["--to", fmt, "--columns", ",".join(cols), adv])
                compare("--columns %s %s adversarial" % (fmt, cols), recs,
                        rows(out.stdout, delim), cols, True)
        # Spaces around names are allowed.
        out = run(["--to", "csv", "--columns", " name , id ", api])
        compare("--columns with spaces", lrecs, rows(out.stdout, ","),
                ["name", "id"], True)

        # Bad column lists are usage errors that list the valid names.
        for bad, msg in (("id,bogus", 'unknown column "bogus"'),
                         ("Name", 'unknown column "Name"'),
                         ("", "empty"), ("id,,name", "empty"), ("id,", "empty"),
                         ("id,name,id", 'column "id" is listed twice')):
            for fmt in ("csv", "tsv"):
                p = run(["--to", fmt, "--columns", bad, api], ok=(2,))
                err = p.stderr.decode()
                if p.stdout:
                    fail("--columns %r: wrote %r" % (bad, p.stdout[:50]))
                if msg not in err:
                    fail("--columns %r: message %r" % (bad, err))
                if msg != 'column "id" is listed twice' and \
                        ", ".join(COLUMNS) not in err:
                    fail("--columns %r: no list of columns in %r" % (bad, err))

        # --no-header: the records only.
        for fmt, delim in (("csv", ","), ("tsv", "\t")):
            out = run(["--to", fmt, "--no-header", api]).stdout
            compare("--no-header " + fmt, lrecs, [COLUMNS] + rows(out, delim),
                    COLUMNS, True)
            if out.startswith(b"id"):
                fail("--no-header %s: header written" % fmt)

        # Line ends: LF by default, CRLF with --crlf (the fixtures hold no
        # line break inside a value).
        lf = run(["--to", "csv", api]).stdout
        crlf = run(["--to", "csv", "--crlf", api]).stdout
        if b"\r" in lf:
            fail("default line ends are not LF")
        if crlf.count(b"\r\n") != crlf.count(b"\n") or \
                crlf.count(b"\r\n") != len(lrecs) + 1 or \
                crlf.replace(b"\r\n", b"\n") != lf:
            fail("--crlf: %r" % crlf[:200])
        tcrlf = run(["--to", "tsv", "--crlf", api]).stdout
        if tcrlf.count(b"\r\n") != len(lrecs) + 1:
            fail("tsv --crlf: %r" % tcrlf[:200])
        out = run(["--to", "csv", "--crlf", "--no-formula-guard", adv]).stdout
        compare("--crlf adversarial", recs, rows(out, ","), COLUMNS, False)

        # --bom: one UTF-8 byte order mark first, which Python's utf-8-sig
        # codec (as spreadsheets do) takes away, leaving the same rows.
        for fmt, delim in (("csv", ","), ("tsv", "\t")):
            out = run(["--to", fmt, "--bom", "--no-formula-guard", adv]).stdout
            # (values of the adversarial set hold U+FEFF themselves)
            plain = run(["--to", fmt, "--no-formula-guard", adv]).stdout
            if out != b"\xef\xbb\xbf" + plain:
                fail("--bom %s: output starts %r" % (fmt, out[:10]))
            got = list(csv.reader(io.StringIO(out.decode("utf-8-sig"),
                                              newline=""), delimiter=delim))
            compare("--bom %s adversarial" % fmt, recs, got, COLUMNS, False)

        # No record: the header alone, or nothing with --no-header.
        err_form = os.path.join(FORMS, "api-error.json")
        out = run(["--to", "csv", err_form], ok=(1,)).stdout
        if out != (",".join(COLUMNS) + "\n").encode():
            fail("no records: %r" % out)
        out = run(["--to", "csv", "--no-header", err_form], ok=(1,)).stdout
        if out != b"":
            fail("no records, no header: %r" % out)
        empty = os.path.join(tmp, "empty.json")
        open(empty, "w").close()
        # an empty input is an error (exit 1), but the header is written
        out = run(["--to", "tsv", empty], ok=(1,)).stdout
        if out != ("\t".join(COLUMNS) + "\n").encode():
            fail("empty input: %r" % out)

        # Many inputs: one header, the rows in input order.
        many = fixtures + [adv] + fixtures[::-1]
        want = []
        for f in many:
            want += records([f], (0, 1))
        out = run(["--to", "csv", "--no-formula-guard"] + many, ok=(1,)).stdout
        got = rows(out, ",")
        if sum(1 for r in got if r == COLUMNS) != 1:
            fail("many inputs: the header is not written exactly once")
        compare("many inputs", want, got, COLUMNS, False)
        # The same through stdin, concatenated.
        data = b"".join(open(f, "rb").read() + b"\n" for f in many)
        p = subprocess.run([BIN, "convert", "--to", "csv",
                            "--no-formula-guard", "-"], input=data,
                           capture_output=True)
        compare("many inputs on stdin", want, rows(p.stdout, ","), COLUMNS,
                False)

    print("csv round trip: %d fixtures (%d records), %d adversarial strings "
          "in %d fields each; %d cells compared (csv and tsv, guard on and "
          "off, --columns, --no-header, --crlf, many inputs)" %
          (len(fixtures), nrec, nstr, len(adversarial.FIELDS), cells))
    if failures:
        print("%d failure(s)" % len(failures), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
