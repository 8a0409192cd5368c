#!/usr/bin/env python3
"""How diagnostics reach the user: buffered into few writes, line by line on
a terminal, not lost when a signal ends the run, valid JSON whatever the
input's name, and counted per code in the summary, with --max-diagnostics
limiting what is printed but not what is counted.

usage: diagnostics.py NFBACKUP SOURCE_DIR
"""
import json
import os
import pty
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import optional  # noqa: E402

BIN = os.path.abspath(sys.argv[1])
SRC = sys.argv[2]
failures = []
checks = 0


def check(ok, what):
    global checks
    checks += 1
    if not ok:
        failures.append(what)
        print("FAIL: " + what, file=sys.stderr)


def run(args, cwd=None, stdin=None):
    p = subprocess.run([BIN] + args, cwd=cwd, input=stdin,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       env=dict(os.environ, LC_ALL="C", TERM="dumb"))
    return p.returncode, p.stdout, p.stderr


tmp = tempfile.mkdtemp(prefix="nfb-diag.")
try:
    rc, R, _ = run(["convert", "--to", "json", "--envelope",
                    os.path.join(SRC, "testdata/forms/api.json")])
    R = R.rstrip(b"\n")
    assert rc == 0 and R.startswith(b'{"data":{')
    # status completed without completedAt: one lint warning.
    WARN = re.sub(rb'"completedAt":"[^"]*",', b"", R, count=1)
    BAD = b'{"data":x}'

    # 1. --diagnostics=json and input names that are not UTF-8: every line
    # is JSON a strict parser reads, and the name comes back byte for byte
    # through the documented scheme (a byte outside UTF-8 is \udcXX, as
    # Python's surrogateescape: os.fsencode restores it).
    names = [b"caf\xe9.json", b"ok-\xc3\xa9.json", b"sep\xe2\x80\xa8.json",
             b"ctl\t\x01\x7f.json", b"sur\xed\xa0\x80.json",
             b"big\xf4\x90\x80\x80.json", b"cut\xe2\x82.json",
             b'q"\\.json']
    for n in names:
        with open(os.path.join(tmp.encode(), n), "wb") as f:
            f.write(BAD + b"\n")
    p = subprocess.run([BIN.encode(), b"validate", b"--diagnostics=json"]
                       + names, cwd=tmp, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE)
    lines = [ln for ln in p.stderr.split(b"\n")
             if ln.startswith(b'{"input":')]
    check(len(lines) == len(names),
          "json: %d diagnostic lines for %d inputs" % (len(lines), len(names)))
    seen = []
    for ln in lines:
        try:
            text = ln.decode("utf-8")
        except UnicodeDecodeError as e:
            check(False, "json: a line is not UTF-8 (%s): %r" % (e, ln))
            continue
        check("\u2028" not in text and "\u2029" not in text,
              "json: a raw U+2028/U+2029 in %r" % ln)
        try:
            d = json.loads(text)
        except ValueError as e:
            check(False, "json: not JSON (%s): %r" % (e, ln))
            continue
        seen.append(os.fsencode(d["input"]))
        check(d["code"] == "syntax" and d["severity"] == "error",
              "json: fields of %r" % ln)
    check(seen == names, "json: names read back %r, expected %r"
          % (seen, names))

    # 2. Per-code counts and --max-diagnostics.
    doc = [R] * 20 + [WARN] * 50 + [BAD] * 3 + [WARN] * 7
    flood = os.path.join(tmp, "flood.ndjson")
    with open(flood, "wb") as f:
        f.write(b"\n".join(doc) + b"\n")
    rc_all, _, err_all = run(["validate", flood])
    diag_re = re.compile(rb"^.+:\d+:\d+: (error|warning): .* \[([a-z-]+)\]$")
    all_lines = err_all.rstrip(b"\n").split(b"\n")
    diags = [ln for ln in all_lines if diag_re.match(ln)]
    check(len(diags) == 60 and len(all_lines) == 61,
          "flood: %d diagnostics, %d lines" % (len(diags), len(all_lines)))
    summary = all_lines[-1].decode()
    check(re.fullmatch(r"nfbackup: 77 records valid in 80 documents; "
                       r"3 errors: 3 syntax; 57 warnings: 57 lint", summary)
          is not None, "flood: summary: " + summary)
    rc, _, err = run(["validate", "--max-diagnostics", "10", flood])
    lines = err.rstrip(b"\n").split(b"\n")
    check(rc == rc_all == 1, "flood: exit %d and %d, not 1" % (rc, rc_all))
    check(lines[:10] == diags[:10], "--max-diagnostics 10: the first 10 "
          "diagnostics differ from the full run's")
    check(lines[10:] == [b"nfbackup: 50 more diagnostics not shown: 47 lint, "
                         b"3 syntax (--max-diagnostics 10)", all_lines[-1]],
          "--max-diagnostics 10: the end: %r" % lines[10:])
    rc, _, err = run(["validate", "-q", "--max-diagnostics", "1", flood])
    lines = err.rstrip(b"\n").split(b"\n")
    check(len(lines) == 2 and lines[0] == [d for d in diags
                                           if b"error:" in d][0]
          and lines[1] == b"nfbackup: 2 more diagnostics not shown: "
          b"2 syntax (--max-diagnostics 1)",
          "-q --max-diagnostics 1: %r" % lines)
    rc, _, err = run(["validate", "--max-diagnostics", "0", flood])
    check(err.split(b"\n")[0] == b"nfbackup: 60 more diagnostics not shown: "
          b"57 lint, 3 syntax (--max-diagnostics 0)",
          "--max-diagnostics 0: %r" % err)
    rc, _, err = run(["convert", "--to", "csv", "--max-diagnostics", "2",
                      flood])
    lines = err.rstrip(b"\n").split(b"\n")
    check(lines[:2] == diags[:2] and lines[2:] == [
        b"nfbackup: 58 more diagnostics not shown: 55 lint, 3 syntax "
        b"(--max-diagnostics 2)"],
        "convert --max-diagnostics 2: %r" % lines)

    # Past 100 warnings of one document the rest are counted by code, and
    # the totals stay exact.
    many = R[:-2] + b"".join(b',"u%d":1' % i for i in range(150)) + b"}}"
    rc, _, err = run(["validate", "-"], stdin=many + b"\n")
    last = err.rstrip(b"\n").split(b"\n")[-2:]
    check(last == [b"nfbackup: <stdin>: 50 more diagnostics not shown: 50 "
                   b"unknown-field (at most 100 errors and as many warnings "
                   b"per document)",
                   b"nfbackup: 1 record valid in 1 document; 0 errors; "
                   b"150 warnings: 150 unknown-field"],
          "per-document cap: %r" % last)

    # 3. Few writes: a flood into a file is written in blocks, each ending
    # at a line end, not one write per line.
    strace = shutil.which("strace")
    if not strace:
        optional.missing("writes counted under strace",
                         "strace is not installed (scripts/install-deps)")
    if strace:
        big = os.path.join(tmp, "big.ndjson")
        # Two kinds of warnings in turn: no run of alike diagnostics to
        # collapse.
        unknown = R[:-2] + b',"u":1}}'
        with open(big, "wb") as f:
            f.write((WARN + b"\n" + unknown + b"\n") * 10000)
        trace = os.path.join(tmp, "trace")
        errf = os.path.join(tmp, "big.err")
        # LeakSanitizer cannot run under ptrace: off in a sanitizer build.
        asan = os.environ.get("ASAN_OPTIONS", "")
        env = dict(os.environ, ASAN_OPTIONS=asan + ":detect_leaks=0")
        with open(errf, "wb") as e:
            subprocess.run([strace, "-o", trace, "-e", "trace=write",
                            "-e", "signal=none", BIN, "validate", big],
                           stderr=e, stdout=subprocess.DEVNULL, env=env)
        size = os.path.getsize(errf)
        writes = [ln for ln in open(trace) if ln.startswith("write(2,")]
        check(size > 2000000, "buffering: only %d bytes of diagnostics" % size)
        check(len(writes) <= size // 32768 + 3,
              "buffering: %d writes for %d bytes" % (len(writes), size))
        with open(errf, "rb") as e:
            text = e.read()
        check(text.count(b"[lint]\n") == 10000 and
              text.count(b"[unknown-field]\n") == 10000 and
              text.endswith(b"; 0 errors; 20000 warnings: 10000 "
                            b"unknown-field, 10000 lint\n"),
              "buffering: the text differs; it ends: %r" % text[-300:])

    # 4. On a terminal each line shows when it is found, while the input
    # is still being read.
    master, slave = pty.openpty()
    p = subprocess.Popen([BIN, "validate", "-"], stdin=subprocess.PIPE,
                         stdout=subprocess.DEVNULL, stderr=slave,
                         env=dict(os.environ, TERM="dumb"))
    os.close(slave)
    p.stdin.write(WARN + b"\n")
    p.stdin.flush()
    got = b""
    # Reads until the warning shows; stdin stays open, so the run cannot end
    # first. Should it never show, the watchdog kills the run and the read
    # ends (EIO): no figure here depends on time.
    watchdog = threading.Timer(60, p.kill)
    watchdog.start()
    while b"[lint]" not in got:
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        got += chunk
    check(b"[lint]" in got and p.poll() is None,
          "terminal: the warning did not show while reading: %r" % got)
    watchdog.cancel()
    p.stdin.close()
    p.wait()
    os.close(master)

    # 5. A signal that ends the run: the diagnostics found so far are
    # written, the temporary file of -o is gone, and the process dies by
    # the signal.
    def wait_blocked(pid, nbytes):
        """Until pid has read nbytes and sleeps in its next read. The
        deadline only ends a wait that would hang: the answer is the
        process's state, never the time taken."""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with open("/proc/%d/io" % pid) as f:
                    io = dict(ln.split(": ") for ln in f.read().splitlines())
                with open("/proc/%d/stat" % pid) as f:
                    state = f.read().rsplit(")", 1)[1].split()[0]
            except (OSError, ValueError):
                return False
            if int(io["rchar"]) >= nbytes and state == "S":
                return True
            time.sleep(0.02)
        return False

    for args in (["validate", "-"],
                 ["convert", "--to", "csv", "-o",
                  os.path.join(tmp, "sig.csv"), "-"]):
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGUSR1):
            errf = os.path.join(tmp, "sig.err")
            with open(errf, "wb") as e:
                p = subprocess.Popen([BIN] + args, stdin=subprocess.PIPE,
                                     stdout=subprocess.DEVNULL, stderr=e)
                data = (WARN + b"\n") * 3
                p.stdin.write(data)
                p.stdin.flush()
                blocked = wait_blocked(p.pid, len(data))
                p.send_signal(sig)
                p.wait()
                p.stdin.close()
            what = "%s, %s" % (args[0], signal.Signals(sig).name)
            check(blocked, what + ": the input was not read")
            check(p.returncode == -sig, what + ": exit %d" % p.returncode)
            with open(errf, "rb") as e:
                text = e.read()
            check(text.count(b"[lint]\n") == 3 and text.endswith(b"\n"),
                  what + ": diagnostics written: %r" % text)
            left = [f for f in os.listdir(tmp) if f.startswith(".sig.csv")]
            check(not left, what + ": temporary file left: %r" % left)
finally:
    shutil.rmtree(tmp, ignore_errors=True)

print("diagnostics: %d checks, %d failure(s)" % (checks, len(failures)))
sys.exit(optional.status(failures))
