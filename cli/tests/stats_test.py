#!/usr/bin/env python3
"""nfbackup stats and the record filters, against figures computed here.

Generates a stream of records (envelopes, bare records, list pages, arrays,
API errors) with every status, source type and compression type, absent
ones, sizes from 0 to 2^64-1 (so that the total needs more than 64 bits),
timestamps with any fraction length and offsets, durations from 0 to
centuries (some negative), lastRestore present or absent, unknown fields,
lint warnings and invalid records. Parses the generated timestamps itself
and computes every figure of `nfbackup stats --to json`; counts, sizes,
first/last createdAt and the duration maximum must be equal, the duration
percentiles (nearest rank) within the stated relative error of 1/256.
Then the filters: `convert --to json` and `stats --to json` with --status,
--source-type, --since and --until against the same filters applied here.

usage: stats_test.py NFBACKUP [RECORDS]"""
import datetime as dt
import functools
import json
import os
import random
import re
import subprocess
import sys
import tempfile
from decimal import Decimal

nfbackup = sys.argv[1]
n_records = int(sys.argv[2]) if len(sys.argv) > 2 else 200000

# Pinned on purpose, a second opinion on `nfbackup statuses` and
# `source-types`: the expected figures are counted over these lists.
STATUSES = ["scheduled", "in-progress", "completed", "aborting", "aborted",
            "failed", "not-supported"]
SOURCES = ["fileUpload", "liveInstance", "snapshot", "externalDump",
           "sameAddon"]
COMPRESSIONS = ["gz", "zstd"]
U64 = 2**64 - 1
EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()
rnd = random.Random(12)
OFFSETS = [0, 0, 0, 0, 60, -300, 330, 840, -720, 345]
DIGITS = [0, 0, 1, 3, 3, 3, 6, 9, 12]


def fmt_time(sec, ns):
    """RFC 3339 text of an instant, in a random style: fraction of 0 to 12
    digits (beyond 9 they are extra digits the reader truncates), an
    offset, sometimes lower-case t and z."""
    off = rnd.choice(OFFSETS)
    days, t = divmod(sec + off * 60, 86400)
    date = dt.date.fromordinal(days + EPOCH_ORDINAL)  # ValueError: no year
    s = "%04d-%02d-%02dT%02d:%02d:%02d" % (date.year, date.month, date.day,
                                           t // 3600, t // 60 % 60, t % 60)
    digits = rnd.choice(DIGITS)
    if digits:
        s += "." + ("%09d%03d" % (ns, rnd.randrange(1000)))[:digits]
    if off == 0 and rnd.random() < 0.8:
        s += "Z"
    else:
        a = abs(off)
        s += "%s%02d:%02d" % ("+" if off >= 0 else "-", a // 60, a % 60)
    if rnd.random() < 0.03:
        s = s.replace("T", "t").replace("Z", "z")
    return s


TIME_RE = re.compile(r"(\d{4})-(\d\d)-(\d\d)[Tt](\d\d):(\d\d):(\d\d)"
                     r"(?:\.(\d+))?([Zz]|[+-]\d\d:\d\d)$")


@functools.lru_cache(maxsize=16)
def parse_time(s):
    """(seconds since the epoch, nanoseconds) of RFC 3339 text, the
    fraction truncated to 9 digits; the instant in nanoseconds."""
    m = TIME_RE.match(s)
    y, mo, d, h, mi, se = (int(m.group(i)) for i in range(1, 7))
    ns = int(((m.group(7) or "") + "000000000")[:9])
    z = m.group(8)
    off = 0 if z in "Zz" else (int(z[1:3]) * 60 + int(z[4:6])) * (
        -1 if z[0] == "-" else 1)
    days = dt.date(y, mo, d).toordinal() - EPOCH_ORDINAL
    sec = days * 86400 + h * 3600 + mi * 60 + se - off * 60
    return sec * 10**9 + ns


def instant():
    """A creation instant: mostly 2019..2026, a few far away."""
    r = rnd.random()
    if r < 0.002:
        lo, hi = -62135596800 + 86400, -62135596800 + 86400 * 400  # year 1
    elif r < 0.004:
        lo, hi = 253402300799 - 86400 * 400, 253402300799 - 86400  # 9999
    else:
        lo, hi = 1546300800, 1782777600
    return rnd.randint(lo, hi), rnd.randrange(10**9)


def duration_ns():
    kind = rnd.random()
    if kind < 0.03:
        return 0
    if kind < 0.06:
        return rnd.randint(1, 999)  # nanoseconds
    if kind < 0.15:
        return rnd.randint(1000, 10**9)  # under a second
    if kind < 0.75:
        return rnd.randint(10**9, 3600 * 10**9)
    if kind < 0.95:
        return rnd.randint(3600 * 10**9, 30 * 86400 * 10**9)
    if kind < 0.97:
        return rnd.randint(10**9, 200 * 365 * 86400 * 10**9)  # centuries
    return -rnd.randint(1, 86400 * 10**9)  # completedAt before createdAt


def size():
    r = rnd.random()
    if r < 0.02:
        return 0
    if r < 0.03:
        return U64
    if r < 0.05:
        return rnd.randint(2**63, U64)
    if r < 0.3:
        return rnd.randint(1, 10**6)
    return rnd.randint(10**6, 10**12)


def make_times(status):
    """createdAt and completedAt (or None), as text."""
    while True:
        try:
            sec, ns = instant()
            created = fmt_time(sec, ns)
            has_end = rnd.random() < {"completed": 0.95, "scheduled": 0.03,
                                      "in-progress": 0.03}.get(status, 0.5)
            if not has_end:
                return created, None
            t = sec * 10**9 + ns + duration_ns()
            return created, fmt_time(t // 10**9, t % 10**9)
        except (ValueError, OverflowError):
            continue


def lint(status, start, end):
    """Warnings the reader gives for one status/start/end triple."""
    w = 0
    if end is not None and parse_time(end) < parse_time(start):
        w += 1
    if status == "completed" and end is None:
        w += 1
    if status in ("scheduled", "in-progress") and end is not None:
        w += 1
    return w


BREAKS = [
    ("status", lambda r: r.__setitem__("status", "done")),
    ("size", lambda r: r["config"].__setitem__("size", "12kB")),
    ("size", lambda r: r["config"].__setitem__("size", str(2**64))),
    ("size", lambda r: r["config"].__setitem__("size", "007")),
    ("createdAt", lambda r: r.__setitem__("createdAt",
                                          "2021-02-30T00:00:00Z")),
    ("id", lambda r: r.pop("id")),
    ("source", lambda r: r["config"].__setitem__("source",
                                                 {"type": "tape"})),
]


def make_record(i):
    """(record dict, expected: None when invalid, else its figures;
    warnings; errors)."""
    status = rnd.choice(STATUSES)
    created, completed = make_times(status)
    rec = {"id": "b-%d" % i, "name": "backup %d" % i, "status": status,
           "createdAt": created}
    if completed is not None:
        rec["completedAt"] = completed
    config = {}
    r = rnd.random()
    source = None
    if r < 0.8:
        source = rnd.choice(SOURCES)
        config["source"] = {"type": source}
    elif r < 0.9:
        config["source"] = {}
    sz = size()
    config["size"] = str(sz)
    if rnd.random() < 0.5:
        config["addonVersion"] = "14.%d" % rnd.randint(0, 9)
    comp = None
    if rnd.random() < 0.6:
        comp = rnd.choice(COMPRESSIONS)
        config["compressionType"] = comp
    rec["config"] = config
    warnings = lint(status, created, completed)
    restore = None
    if rnd.random() < 0.3:
        restore = rnd.choice(STATUSES)
        start, end = make_times(restore)
        rec["lastRestore"] = {"restoreTimestamp": start, "status": restore}
        if end is not None:
            rec["lastRestore"]["completedAt"] = end
        warnings += lint(restore, start, end)
    if rnd.random() < 0.01:
        rec["color"] = "blue"  # unknown-field warning
        warnings += 1
    if rnd.random() < 0.01:
        # An invalid record: one error, and no lint (the reader checks
        # consistency only on records whose fields are all there).
        rnd.choice(BREAKS)[1](rec)
        return rec, None, 1 if "color" in rec else 0, 1
    fig = {"id": rec["id"], "status": status,
           "source": source or "none", "compression": comp or "none",
           "size": sz, "created": created,
           "created_ns": parse_time(created),
           "duration": None if completed is None else
           parse_time(completed) - parse_time(created),
           "restore": restore}
    return rec, fig, warnings, 0


def generate(n):
    """The stream's text and the expected per-record figures, in order."""
    lines, figs = [], []
    errors = warnings = documents = 0
    i = 0
    while i < n:
        form = rnd.random()
        k = 1 if form < 0.9 else rnd.randint(1, 50)
        recs = []
        for _ in range(k):
            rec, fig, w, e = make_record(i)
            i += 1
            recs.append(rec)
            warnings += w
            errors += e
            if fig:
                figs.append(fig)
        if form < 0.6:
            doc = {"data": recs[0]}
        elif form < 0.9:
            doc = recs[0]
        elif form < 0.95:
            doc = {"data": {"backups": recs},
                   "pagination": {"hasNextPage": False, "count": k}}
        else:
            doc = recs
        lines.append(json.dumps(doc, separators=(",", ":")))
        documents += 1
        if rnd.random() < 0.001:
            lines.append('{"error":{"status":404,"message":"not found"}}')
            documents += 1
            errors += 1
    # Ties: the earliest and latest instants again, written differently;
    # the first seen keeps its text.
    for pick in (min, max):
        f = pick(figs, key=lambda f: f["created_ns"])
        rec = {"id": "tie-%s" % pick.__name__, "name": "tie",
               "status": "failed",
               "createdAt": retime(f["created"]), "config": {"size": "1"}}
        lines.append(json.dumps({"data": rec}))
        documents += 1
        figs.append({"id": rec["id"], "status": "failed", "source": "none",
                     "compression": "none", "size": 1,
                     "created": rec["createdAt"],
                     "created_ns": parse_time(rec["createdAt"]),
                     "duration": None, "restore": None})
        assert figs[-1]["created_ns"] == f["created_ns"]
    return "\n".join(lines) + "\n", figs, errors, warnings, documents


def ladder(n, sign=1):
    """n completed records whose durations are 1.03^i seconds, shuffled;
    with sign -1, completedAt is that long before createdAt (a warning)."""
    lines, figs = [], []
    for i in rnd.sample(range(1, n + 1), n):
        start = 1600000000 + i * 86400
        ns = sign * int(Decimal("1.03") ** i * 10**9)
        end = start * 10**9 + ns
        rec = {"id": "l-%d" % i, "name": "ladder", "status": "completed",
               "createdAt": fmt_time(start, 0),
               "completedAt": fmt_time(end // 10**9, end % 10**9),
               "config": {"size": str(i)}}
        lines.append(json.dumps(rec))
        figs.append({"id": rec["id"], "status": "completed", "source": "none",
                     "compression": "none", "size": i,
                     "created": rec["createdAt"],
                     "created_ns": parse_time(rec["createdAt"]),
                     "duration": parse_time(rec["completedAt"]) -
                     parse_time(rec["createdAt"]),
                     "restore": None})
    return "\n".join(lines) + "\n", figs, 0, n if sign < 0 else 0, n


def retime(text):
    """The same instant in other words: a longer fraction, lower case."""
    m = TIME_RE.match(text)
    frac = m.group(7) or ""
    return "%s.%s000%s" % (text[:19].replace("T", "t"), frac, m.group(8))


def seconds(ns):
    """Seconds as nfbackup writes them: exact, no trailing zeros."""
    sign = "-" if ns < 0 else ""
    whole, frac = divmod(abs(ns), 10**9)
    s = "%s%d" % (sign, whole)
    if frac:
        s += ("." + "%09d" % frac).rstrip("0")
    return s


def counts(values, names):
    out = {}
    for v in values:
        out[v] = out.get(v, 0) + 1
    assert set(out) <= set(names), out
    return out


def expected(figs, errors, warnings, documents):
    sizes = [f["size"] for f in figs]
    first = last = None
    for f in figs:  # strict comparisons: the first seen wins a tie
        if first is None or f["created_ns"] < first["created_ns"]:
            first = f
        if last is None or f["created_ns"] > last["created_ns"]:
            last = f
    durations = sorted(f["duration"] for f in figs
                       if f["duration"] is not None)
    restores = [f["restore"] for f in figs if f["restore"]]

    def pct(p):
        if not durations:
            return None
        rank = -(-p * len(durations) // 100)
        return durations[rank - 1]
    return {
        "records": len(figs), "documents": documents, "errors": errors,
        "warnings": warnings,
        "status": counts((f["status"] for f in figs), STATUSES),
        "sourceType": counts((f["source"] for f in figs), SOURCES + ["none"]),
        "compressionType": counts((f["compression"] for f in figs),
                                  COMPRESSIONS + ["none"]),
        "size": {"total": str(sum(sizes)),
                 "min": str(min(sizes)) if sizes else None,
                 "max": str(max(sizes)) if sizes else None},
        "createdAt": {"first": first and first["created"],
                      "last": last and last["created"]},
        "duration": {"p50": pct(50), "p90": pct(90), "p99": pct(99),
                     "max": durations[-1] if durations else None,
                     "min": durations[0] if durations else None},
        "lastRestore": {"count": len(restores),
                        "status": counts(restores, STATUSES)},
    }


failures = []


def check(what, cond, detail=""):
    if not cond:
        failures.append("%s: %s" % (what, detail))


def compare(label, got, want):
    """Every figure equal, percentiles within 1/256 of the exact value."""
    keys = ["records", "documents", "errors", "warnings", "status",
            "sourceType", "compressionType", "size", "createdAt", "duration",
            "lastRestore", "listPages"]
    check(label + " keys", list(got) == keys, list(got))
    # The generated list pages all say hasNextPage: false.
    lp = got.get("listPages", {})
    check(label + " listPages", lp.get("count", -1) >= 0 and
          lp.get("hasNextPage") == 0 and lp.get("incomplete") == 0 and
          lp.get("incompleteInputs") == [], lp)
    for k in keys:
        if k in ("duration", "listPages"):
            continue
        check("%s %s" % (label, k), got.get(k) == want[k],
              "got %r, want %r" % (got.get(k), want[k]))
    gd, wd = got.get("duration", {}), want["duration"]
    check(label + " duration keys", list(gd) == ["p50", "p90", "p99", "max"],
          gd)
    if wd["max"] is None:
        check(label + " duration", all(v is None for v in gd.values()), gd)
        return
    # The maximum is exact, and written as exact decimal seconds.
    check(label + " duration.max", gd.get("max") == Decimal(seconds(wd["max"])),
          "got %r, want %s" % (gd.get("max"), seconds(wd["max"])))
    # The percentiles are in order, between the exact extremes.
    got_ns = [int(gd[p] * 10**9) for p in ("p50", "p90", "p99")]
    check(label + " percentiles in order",
          wd["min"] <= got_ns[0] <= got_ns[1] <= got_ns[2] <= wd["max"], gd)
    for p in ("p50", "p90", "p99"):
        g = int(gd[p] * 10**9)
        check("%s duration.%s" % (label, p),
              abs(g - wd[p]) * 256 <= abs(wd[p]),
              "got %s s, exact %s s" % (gd[p], seconds(wd[p])))


def run(args, path):
    p = subprocess.run([nfbackup] + args + [path], capture_output=True)
    # Under the sanitizers, a finding is printed and may not change the
    # exit status the checks expect.
    check("%s: no sanitizer report" % " ".join(args),
          b"runtime error:" not in p.stderr and b"Sanitizer" not in p.stderr,
          p.stderr[-2000:])
    return p


text, figs, errors, warnings, documents = generate(n_records)
with tempfile.TemporaryDirectory() as d:
    path = os.path.join(d, "stream.ndjson")
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)

    # The whole stream.
    want = expected(figs, errors, warnings, documents)
    check("generated data", errors > 0 and warnings > 0 and
          int(want["size"]["total"]) > U64 and want["duration"]["max"] > 0
          and min(f["duration"] for f in figs
                  if f["duration"] is not None) < 0,
          "the data does not cover every case")
    p = run(["stats", "--to", "json", "-q"], path)
    check("stats exit status", p.returncode == 1, p.returncode)
    got = json.loads(p.stdout, parse_float=Decimal)
    compare("stats", got, want)
    check("stats one line", p.stdout.count(b"\n") == 1, p.stdout[-80:])

    # The text table shows the same figures.
    p = run(["stats", "-q"], path)
    table = p.stdout.decode()
    for label, value in [("records", want["records"]),
                         ("total", want["size"]["total"]),
                         ("first", want["createdAt"]["first"]),
                         ("max", seconds(want["duration"]["max"]))]:
        check("table " + label,
              re.search(r"^ *%s +%s( |$)" % (label, re.escape(str(value))),
                        table, re.M), table)

    # Filters, on stats and convert.
    def filtered(statuses=None, sources=None, since=None, until=None):
        return [f for f in figs
                if (statuses is None or f["status"] in statuses)
                and (sources is None or f["source"] in sources)
                and (since is None or f["created_ns"] >= since)
                and (until is None or f["created_ns"] < until)]

    mid = sorted(f["created_ns"] for f in figs)[len(figs) // 3]
    mid_text = next(f["created"] for f in figs if f["created_ns"] == mid)
    cases = [
        (["--status", "completed,failed"],
         dict(statuses={"completed", "failed"})),
        (["--status", "aborted", "--status", "scheduled"],
         dict(statuses={"aborted", "scheduled"})),
        (["--source-type", "snapshot,none"],
         dict(sources={"snapshot", "none"})),
        (["--since", "2022-01-01", "--until", "2023-07-01T12:00:00+02:00"],
         dict(since=parse_time("2022-01-01T00:00:00Z"),
              until=parse_time("2023-07-01T10:00:00Z"))),
        # --since takes its instant (inclusive), --until excludes it.
        (["--since", mid_text], dict(since=mid)),
        (["--until", mid_text], dict(until=mid)),
        (["--status", "in-progress,not-supported", "--source-type",
          "liveInstance,fileUpload", "--since", "2020-02-29T23:59:59.5Z"],
         dict(statuses={"in-progress", "not-supported"},
              sources={"liveInstance", "fileUpload"},
              since=parse_time("2020-02-29T23:59:59.5Z"))),
    ]
    for args, flt in cases:
        sub = filtered(**flt)
        check("filter %s selects" % args, 0 < len(sub) < len(figs), len(sub))
        p = run(["convert", "--to", "json", "-q"] + args, path)
        ids = [json.loads(line)["id"] for line in p.stdout.splitlines()]
        check("convert %s" % args, ids == [f["id"] for f in sub],
              "%d records, want %d" % (len(ids), len(sub)))
        p = run(["stats", "--to", "json", "-q"] + args, path)
        compare("stats %s" % " ".join(args),
                json.loads(p.stdout, parse_float=Decimal),
                expected(sub, errors, warnings, documents))

    # Small streams, and ladders of durations 3% apart (shuffled), where a
    # percentile one rank off is outside the error bound: the ranks must be
    # exactly the nearest ranks.
    small_cases = [generate(n) for n in (1, 7, 100, 300)]
    small_cases += [ladder(n) for n in (1, 2, 10, 20, 50, 99, 100, 101, 200)]
    small_cases += [ladder(n, -1) for n in (1, 10, 101)]
    for small, sfigs, serr, swarn, sdocs in small_cases:
        n = len(sfigs)
        spath = os.path.join(d, "small.ndjson")
        with open(spath, "w", encoding="utf-8") as f:
            f.write(small)
        p = run(["stats", "--to", "json", "-q"], spath)
        compare("stats of %d" % n, json.loads(p.stdout, parse_float=Decimal),
                expected(sfigs, serr, swarn, sdocs))

    # Nothing selected: the figures are empty, not missing.
    p = run(["stats", "--to", "json", "-q", "--since", "9999-12-31"], path)
    compare("stats, nothing selected",
            json.loads(p.stdout, parse_float=Decimal),
            expected([], errors, warnings, documents))

for f in failures[:40]:
    print("FAIL", f)
print("%d records, %d documents, %d errors, %d warnings: %s" % (
    len(figs), documents, errors, warnings,
    "ok" if not failures else "%d failures" % len(failures)))
sys.exit(1 if failures else 0)
