#!/usr/bin/env python3
"""What the diagnostics promise when there are many of them, or when the
input is odd:

  1. an error is never hidden by warnings: past 100 warnings in one
     document the errors are still printed, and what is not printed is
     named by code;
  2. a flood of alike diagnostics (a gzip of millions of `0` bytes) prints
     a bounded number of lines, with exact counts in the summary and stats;
  3. with --diagnostics=json every line on stderr is one JSON object: the
     summary, "cannot open", "not shown" too, and no progress line;
  4. control characters in a file name never reach the terminal raw, and a
     name holding U+0085, U+2028 or U+2029 keeps a JSON diagnostic one line
     for Python's str.splitlines;
  5. an unreadable input among several (a directory, a missing file) is an
     I/O error only, not also a syntax error;
  6. damage in a gzip stream has no line:column of 0:0 but the byte offset.

usage: diag_limits.py NFBACKUP SOURCE_DIR
"""
import gzip
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

BIN = os.path.abspath(sys.argv[1])
SRC = os.path.abspath(sys.argv[2])
FORMS = os.path.join(SRC, "testdata", "forms")
failures = []
checks = 0


def check(ok, what):
    global checks
    checks += 1
    if not ok:
        failures.append(what)
        print("FAIL: " + what, file=sys.stderr)


def run(args, stdin=None, cwd=None):
    p = subprocess.run([BIN] + args, input=stdin, cwd=cwd,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       env=dict(os.environ, LC_ALL="C", TERM="dumb"))
    return p.returncode, p.stdout, p.stderr


def json_lines(err, what):
    """Every line of err (split as Python's splitlines does) is one JSON
    object; returns them."""
    out = []
    for ln in err.decode("utf-8", "surrogateescape").splitlines():
        try:
            obj = json.loads(ln)
            check(isinstance(obj, dict), "%s: not an object: %r" % (what, ln))
            out.append(obj)
        except ValueError:
            check(False, "%s: not a JSON line: %r" % (what, ln))
    return out


tmp = tempfile.mkdtemp(prefix="nfb-limits.")
try:
    with open(os.path.join(FORMS, "api.json"), "rb") as f:
        good = json.load(f)["data"]
    # completed without completedAt: a lint warning.
    warn = dict(good)
    del warn["completedAt"]
    bad = json.loads(json.dumps(good))
    bad["config"]["size"] = 5  # wrong-type

    # 1. One list page: 150 warnings, then an error.
    page = {"data": {"backups": [warn] * 150 + [bad, good]}}
    page_path = os.path.join(tmp, "page.json")
    with open(page_path, "w") as f:
        json.dump(page, f)
    rc, _, err = run(["validate", "-q", page_path])
    check(rc == 1 and b"[wrong-type]" in err,
          "page, -q: exit %d, the error not printed: %r" % (rc, err[-300:]))
    rc, out, err = run(["convert", "--to", "json", page_path])
    check(rc == 1 and b"[wrong-type]" in err and out.count(b"\n") == 151,
          "page, convert: exit %d, %d records, error printed: %s"
          % (rc, out.count(b"\n"), b"[wrong-type]" in err))
    rc, _, err = run(["validate", page_path])
    lines = err.decode().splitlines()
    check(sum(ln.endswith("[lint]") for ln in lines) == 100,
          "page: %d lint lines, expected 100"
          % sum(ln.endswith("[lint]") for ln in lines))
    check("nfbackup: 151 records valid in 1 document; 1 error: 1 wrong-type; "
          "150 warnings: 150 lint" in lines, "page: summary: %r" % lines[-1:])
    check(any(re.search(r"\b50 more diagnostics? not shown: 50 lint\b", ln)
              for ln in lines), "page: the 50 lint not shown are not named: "
          "%r" % [ln for ln in lines if "[lint]" not in ln])
    check(not any("per-document cap" in ln for ln in lines),
          "page: codes not known: %r" % lines[-1:])

    # 2. A flood: 2 MB of `0` bytes, gzipped: one wrong-type per byte.
    n_zero = 2000000
    zeros = os.path.join(tmp, "zeros.gz")
    with open(zeros, "wb") as f:
        f.write(gzip.compress(b"0" * n_zero, 9))
    for args in (["validate"], ["validate", "-q"],
                 ["validate", "--diagnostics=json"]):
        rc, _, err = run(args + [zeros])
        n = err.count(b"\n")
        check(rc == 1 and n <= 110, "zeros, %s: exit %d, %d lines on stderr"
              % (" ".join(args), rc, n))
    rc, _, err = run(["validate", zeros])
    check(err.endswith(("; %d errors: %d wrong-type; 0 warnings\n"
                        % (n_zero, n_zero)).encode()),
          "zeros: summary: %r" % err[-200:])
    check(re.search((r"\b%d more diagnostics not shown: %d wrong-type"
                     % (n_zero - 100, n_zero - 100)).encode(), err)
          is not None, "zeros: the collapsed line: %r" % err[-400:])
    rc, out, _ = run(["stats", "--to", "json", zeros])
    try:
        st = json.loads(out)
    except ValueError:
        st = {}
    check(st.get("errors") == n_zero and st.get("documents") == n_zero,
          "zeros: stats: %r" % out[:200])

    # 3. --diagnostics=json: every line is JSON.
    flood = os.path.join(tmp, "flood.ndjson")
    with open(flood, "w") as f:
        for _ in range(5):
            f.write(json.dumps({"data": warn}) + "\n")
        f.write('{"data":x}\n')
    for args in (["validate", flood, os.path.join(tmp, "nope.json")],
                 ["validate", "--max-diagnostics", "2", flood],
                 ["convert", "--to", "json", "-o",
                  os.path.join(tmp, "no-dir", "x.json"), flood],
                 ["validate", page_path]):
        rc, _, err = run(args[:1] + ["--diagnostics=json"] + args[1:])
        objs = json_lines(err, "json " + " ".join(args[:2]))
        check(len(objs) >= 1, "json %s: %d lines" % (args[:2], len(objs)))
    rc, _, err = run(["validate", "--diagnostics=json", flood])
    objs = json_lines(err, "json summary")
    summary = [o for o in objs if "summary" in o]
    check(len(summary) == 1 and summary[0]["summary"].get("errors") == 1
          and summary[0]["summary"].get("warnings") == 5,
          "json summary: %r" % objs[-1:])

    # --progress with JSON diagnostics: no progress bytes on stderr. The
    # input arrives slowly, so that the line would be drawn.
    p = subprocess.Popen([BIN, "validate", "--progress",
                          "--diagnostics=json", "-"],
                         stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE)
    for _ in range(4):
        p.stdin.write(b'{"data":x}\n')
        p.stdin.flush()
        time.sleep(0.3)
    p.stdin.close()
    err = p.stderr.read()
    p.wait()
    check(b"\r" not in err and b"\033" not in err,
          "json --progress: progress bytes on stderr: %r" % err[:200])
    json_lines(err, "json --progress")

    # 4. Control characters in names.
    names = ["esc\x1b[31mred\x1b[0m.json", "new\nline.json",
             "bell\x07\x9b2J.json", "nel\u0085.json", "ls\u2028ps\u2029.json"]
    paths = []
    for name in names:
        p = os.path.join(tmp.encode(), os.fsencode(name))
        with open(p, "wb") as f:
            f.write(b'{"data":x}\n')
        paths.append(p)
    for name, p in zip(names, paths):
        for mode in ("text", "json"):
            proc = subprocess.run([BIN.encode(), b"validate",
                                   b"--diagnostics=" + mode.encode(), p],
                                  stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE)
            err = proc.stderr
            text = err.decode("utf-8", "surrogateescape")
            what = "name %r, %s" % (name, mode)
            check(not re.search(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]", text),
                  what + ": control characters on stderr: %r" % err)
            check(len(text.splitlines()) == 2,
                  what + ": %d lines, expected 2: %r"
                  % (len(text.splitlines()), err))
            if mode == "json":
                objs = json_lines(err, what)
                check(bool(objs) and objs[0].get("input") == p.decode(
                    "utf-8", "surrogateescape"),
                    what + ": the name does not read back: %r" % objs[:1])

    # 5. Unreadable inputs among readable ones.
    os.mkdir(os.path.join(tmp, "adir"))
    api = os.path.join(FORMS, "api.json")
    for bad_input in ("adir", "nope.json"):
        for cmd in (["validate"], ["stats", "--to", "json"]):
            rc, out, err = run(cmd + [api, bad_input, api], cwd=tmp)
            what = "%s %s" % (cmd[0], bad_input)
            check(rc == 3, what + ": exit %d, not 3" % rc)
            check(b"syntax" not in err and b"expected a JSON document" not in
                  err, what + ": a syntax error for it: %r" % err)
            check(b"nfbackup: cannot " in err, what + ": no I/O message: %r"
                  % err)
            if cmd[0] == "stats":
                try:
                    st = json.loads(out)
                except ValueError:
                    st = {}
                check(st.get("errors") == 0 and st.get("documents") == 2,
                      what + ": stats: %r" % out[:120])

    # 6. Damage in a gzip stream: the byte offset, never line 0.
    corrupt = os.path.join(FORMS, "corrupt.ndjson.gz")
    rc, _, err = run(["validate", corrupt])
    first = err.decode().splitlines()[0]
    check(rc == 1 and ":0:0:" not in first and "at byte 428 " in first and
          first.startswith(corrupt + ": error: "),
          "gzip damage, text: %r" % first)
    rc, _, err = run(["validate", "--diagnostics=json", corrupt])
    objs = json_lines(err, "gzip damage, json")
    d = objs[0] if objs else {}
    check(d.get("offset") == 428 and d.get("line") is None and
          d.get("column") is None, "gzip damage, json: %r" % d)
finally:
    shutil.rmtree(tmp, ignore_errors=True)

print("diag_limits: %d checks, %d failure(s)" % (checks, len(failures)))
sys.exit(1 if failures else 0)
