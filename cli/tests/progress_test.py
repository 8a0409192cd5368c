#!/usr/bin/env python3
"""The progress line, seen through a pseudo-terminal.

Runs nfbackup with stderr on a pty while its input arrives slowly (a FIFO
or a pipe fed in small pieces, or stdout read slowly so that a file is read
slowly), captures everything the terminal received, and checks:
  - the line's format: bytes read (of the files' total, with a percentage
    and an ETA, when the input is a regular file), records, MB/s;
  - the redraw policy, on the test clock (NFBACKUP_PROGRESS_CLOCK: time
    advances with the bytes read, so no figure depends on the machine's
    speed): no line before half a second, then at most 10 redraws a
    second; the rate shown is the clock's; never a line wider than the
    terminal;
  - nothing else is written while a line is drawn (diagnostics are printed
    after the line is erased), the line is erased at the end, and the
    screen then shows exactly the diagnostics and the summary;
  - stdout, the data, has no progress bytes;
  - no line with -q, --no-progress, or auto mode when the records go to
    the same terminal; a line with --progress when stderr is not a terminal.

Usage: progress_test.py NFBACKUP GEN"""
import fcntl
import os
import pty
import re
import signal
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time

nfbackup, gen = sys.argv[1], sys.argv[2]
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


records = 8000
lines = subprocess.run([gen, "--form", "ndjson", "--records", str(records),
                        "--seed", "3"], check=True,
                       capture_output=True).stdout.split(b"\n")[:-1]
assert len(lines) == records
# Ten bad sizes spread over the stream: each an error diagnostic, printed
# while the line is up.
bad = set(range(400, records, 760))
for i in bad:
    lines[i] = re.sub(rb'"size":"\d+"', b'"size":"12kB"', lines[i])
data = b"\n".join(lines) + b"\n"
valid = records - len(bad)

# The test clock: 10 us per byte read, so 100 kB/s; the first line after
# 50 kB (half a second), then one at least every 10 kB (a tenth).
NS_PER_BYTE = 10000
RATE = 1e9 / NS_PER_BYTE
ENV = dict(os.environ, TERM="xterm", NO_COLOR="1", LC_ALL="C",
           NFBACKUP_PROGRESS_CLOCK=str(NS_PER_BYTE))
DRAW = re.compile(rb"\r([^\r\n\033]*)\033\[K")
SIZE = r"\d+(?:\.\d+)? (?:B|kB|MB|GB)"
UNKNOWN = re.compile(r"nfbackup: (%s), (\d+) records?, (\d+\.\d) MB/s$"
                     % SIZE)
KNOWN = re.compile(r"nfbackup: (%s) of (%s) \((\d+)%%\), (\d+) records?, "
                   r"(\d+\.\d) MB/s(?:, ETA \d+:\d\d(?::\d\d)?)?$"
                   % (SIZE, SIZE))


def fmt_bytes(n):
    """What the line shows for n bytes (SI units)."""
    if n < 1000:
        return "%d B" % n
    if n < 1000000:
        return "%.1f kB" % (n / 1e3)
    if n < 1000000000:
        return "%.1f MB" % (n / 1e6)
    return "%.2f GB" % (n / 1e9)


def to_bytes(s):
    num, unit = s.split()
    return float(num) * {"B": 1, "kB": 1e3, "MB": 1e6, "GB": 1e9}[unit]


def half_unit(s):
    """Half the last digit of a size as shown: how far it may be from the
    bytes it stands for."""
    num, unit = s.split()
    decimals = len(num.split(".")[1]) if "." in num else 0
    return to_bytes("%s %s" % (0.5 / 10 ** decimals, unit))


def check_policy(what, shown, rates):
    """The redraw policy on the test clock, from the sizes the lines show:
    the first after half a second's bytes, each next after a tenth's more;
    and every line shows the clock's rate."""
    check(all(r == "%.1f" % (RATE / 1e6) for r in rates),
          "%s: rates %r, expected the test clock's %.1f MB/s"
          % (what, sorted(set(rates)), RATE / 1e6))
    if not shown:
        return
    check(to_bytes(shown[0]) + half_unit(shown[0]) >= 0.5 * RATE,
          "%s: the first line, at %s, came before half a second (%d bytes)"
          % (what, shown[0], 0.5 * RATE))
    for a, b in zip(shown, shown[1:]):
        gap = to_bytes(b) + half_unit(b) - (to_bytes(a) - half_unit(a))
        check(gap >= 0.1 * RATE, "%s: lines at %s and %s, less than a tenth "
              "of a second (%d bytes) apart" % (what, a, b, 0.1 * RATE))


def feed_slowly(fd_or_file, piece=16384, pause=0.005):
    """Writes the data in pieces, about 0.8 s in all, then closes; stops
    early when the reader is gone."""
    try:
        for i in range(0, len(data), piece):
            fd_or_file.write(data[i:i + piece])
            fd_or_file.flush()
            time.sleep(pause)
        fd_or_file.close()
    except BrokenPipeError:
        pass


def run(args, stdin_slow=False, fifo=None, stdout_slow=False,
        stdout_tty=False, stderr_tty=True, cols=200, stdin_file=None,
        interrupt=False):
    """Runs nfbackup; returns (stderr bytes, stdout bytes, status)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, cols, 0, 0))
    p = subprocess.Popen(
        [nfbackup] + args, env=ENV,
        stdin=(subprocess.PIPE if stdin_slow else
               stdin_file if stdin_file else subprocess.DEVNULL),
        stdout=slave if stdout_tty else subprocess.PIPE,
        stderr=slave if stderr_tty else subprocess.PIPE)
    os.close(slave)
    # Whatever goes wrong, the run ends: a hung child is killed after 60 s.
    watchdog = threading.Timer(60, p.kill)
    watchdog.start()
    term = bytearray()
    drawn = threading.Event()  # a line is up, or the terminal is closed

    def read_pty():
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the last holder of the slave is gone
                chunk = b""
            if not chunk:
                drawn.set()
                return
            term.extend(chunk)
            if b"MB/s" in term:
                drawn.set()

    reader = threading.Thread(target=read_pty)
    reader.start()
    feeders = []
    if stdin_slow:
        feeders.append(threading.Thread(target=feed_slowly, args=(p.stdin,)))
    if fifo:
        feeders.append(threading.Thread(
            target=lambda: feed_slowly(open(fifo, "wb"))))
    for f in feeders:
        f.start()
    if interrupt:
        # Ctrl-C once a line is up (the watchdog ends a run that hangs).
        drawn.wait()
        p.send_signal(signal.SIGINT)
    out, err = bytearray(), bytearray()

    def drain(pipe, into, pause):
        while True:
            chunk = pipe.read(16384) if pause else pipe.read()
            if not chunk:
                return
            into.extend(chunk)
            time.sleep(pause)

    drains = []
    if not stdout_tty:
        drains.append(threading.Thread(
            target=drain, args=(p.stdout, out, 0.008 if stdout_slow else 0)))
    if not stderr_tty:
        drains.append(threading.Thread(target=drain, args=(p.stderr, err, 0)))
    for t in drains:
        t.start()
    for t in feeders + drains:
        t.join()
    p.wait()
    watchdog.cancel()
    reader.join()
    os.close(master)
    stderr = bytes(err) if not stderr_tty else bytes(term)
    return stderr, bytes(out), p.returncode


def draws(stderr):
    """The progress lines drawn, in order (erasures left out)."""
    return [m.group(1).decode() for m in DRAW.finditer(stderr)
            if m.group(1)]


def clean_protocol(stderr, what):
    """Nothing but a redraw or an erasure while a line is up, and no line
    left at the end."""
    drawn = False
    pos = 0
    for m in DRAW.finditer(stderr):
        between = stderr[pos:m.start()]
        if drawn and between:
            check(False, "%s: %r written over the progress line"
                  % (what, between[:60]))
            return
        drawn = bool(m.group(1))
        pos = m.end()
    check(not drawn, "%s: the progress line is left on the screen" % what)


def screen(stderr):
    """The lines a terminal shows after receiving stderr."""
    rows, col = [bytearray()], 0
    i = 0
    while i < len(stderr):
        if stderr.startswith(b"\033[K", i):
            del rows[-1][col:]
            i += 3
            continue
        c = stderr[i]
        i += 1
        if c == 13:
            col = 0
        elif c == 10:
            rows.append(bytearray())
            col = 0
        else:
            row = rows[-1]
            if col < len(row):
                row[col] = c
            else:
                row.append(c)
            col += 1
    return [bytes(r).decode() for r in rows if r]


with tempfile.TemporaryDirectory() as d:
    path = os.path.join(d, "in.ndjson")
    with open(path, "wb") as f:
        f.write(data)
    # What a run without a terminal writes: the diagnostics and summary the
    # screen must show, the records stdout must hold.
    ref = subprocess.run([nfbackup, "validate", path], env=ENV,
                         capture_output=True)
    ref_diags = [ln.split(":", 1)[1] for ln in
                 ref.stderr.decode().splitlines()]
    check(len(ref_diags) == len(bad) + 1, "reference run: %d diagnostic lines"
          % len(ref_diags))
    ref_out = subprocess.run([nfbackup, "convert", "--to", "json", path],
                             env=ENV, capture_output=True).stdout

    # 1. Auto mode (stderr is a terminal), a FIFO named on the command line:
    # total unknown, bytes so far.
    fifo = os.path.join(d, "fifo")
    os.mkfifo(fifo)
    err, out, rc = run(["validate", fifo], fifo=fifo)
    check(rc == 1, "fifo: exit status %d, expected 1" % rc)
    ds = draws(err)
    print("fifo: %d draws; first %r, last %r" % (len(ds), ds[:1], ds[-1:]))
    check(len(ds) >= 2, "fifo: %d progress lines drawn, expected some"
          % len(ds))
    seen, shown, rates = [], [], []
    for line in ds:
        m = UNKNOWN.match(line)
        check(m is not None, "fifo: line %r not in the unknown-total format"
              % line)
        if m:
            seen.append((to_bytes(m.group(1)), int(m.group(2))))
            shown.append(m.group(1))
            rates.append(m.group(3))
    check_policy("fifo", shown, rates)
    check(seen == sorted(seen), "fifo: bytes and records not increasing: %r"
          % seen)
    check(all(b <= len(data) * 1.001 and r <= valid for b, r in seen),
          "fifo: more bytes or records than there are: %r" % seen)
    clean_protocol(err, "fifo")
    shown = [ln.split(":", 1)[1] for ln in screen(err)]
    check(shown == ref_diags, "fifo: the screen shows %r, expected the "
          "diagnostics and summary %r" % (shown[:3], ref_diags[:3]))

    # 2. --progress on a regular file, read slowly because stdout is read
    # slowly: the total, a percentage and an ETA; stdout is the records.
    # The file named, then stdin redirected from it.
    def check_known(how, err, out, rc):
        """Checks a run over the data file, whose size is known."""
        def chk(cond, what):
            check(cond, "%s: %s" % (how, what))
        chk(rc == 1, "exit status %d, expected 1" % rc)
        chk(out == ref_out, "stdout differs from the records (%d bytes, "
            "expected %d)" % (len(out), len(ref_out)))
        chk(b"\r" not in out and b"\033" not in out and b"MB/s" not in out,
            "progress bytes in stdout")
        ds = draws(err)
        print("%s: %d draws; first %r, last %r"
              % (how, len(ds), ds[:1], ds[-1:]))
        chk(len(ds) >= 2, "%d progress lines drawn, expected some" % len(ds))
        pcts, sizes, rates = [], [], []
        for line in ds:
            m = KNOWN.match(line)
            chk(m is not None, "line %r not in the known-total format" % line)
            if not m:
                continue
            chk(m.group(2) == fmt_bytes(len(data)), "total %r, expected %r"
                % (m.group(2), fmt_bytes(len(data))))
            pct = int(m.group(3))
            half = half_unit(m.group(1))
            done = to_bytes(m.group(1))
            chk(100 * (done - half) / len(data) - 1 <= pct <=
                100 * (done + half) / len(data),
                "%d%% for %s of %s" % (pct, m.group(1), m.group(2)))
            chk(pct == 100 or ", ETA " in line, "no ETA in %r" % line)
            pcts.append(pct)
            sizes.append(m.group(1))
            rates.append(m.group(5))
        chk(pcts == sorted(pcts), "percentages not increasing: %r" % pcts)
        check_policy(how, sizes, rates)
        clean_protocol(err, how)
        shown = [ln.split(":", 1)[1] for ln in screen(err)]
        chk(shown == ref_diags[:-1], "the screen is not the diagnostics: %r"
            % shown[:3])

    for how in ["file", "stdin"]:
        with open(path, "rb") as f:
            if how == "file":
                err, out, rc = run(
                    ["convert", "--to", "json", "--progress", path],
                    stdout_slow=True)
            else:
                err, out, rc = run(
                    ["convert", "--to", "json", "--progress"],
                    stdout_slow=True, stdin_file=f)
        check_known(how, err, out, rc)

    # 3. A narrow terminal: the line is cut to fit, never wraps.
    err, out, rc = run(["validate", "--progress", "-"],
                             stdin_slow=True, cols=30)
    ds = draws(err)
    check(ds and all(len(x) <= 29 for x in ds) and
          any(len(x) == 29 for x in ds),
          "narrow: line lengths %r, expected cut to 29" % [len(x) for x in ds])
    clean_protocol(err, "narrow")

    # 4. --progress with stderr not a terminal still draws.
    err, out, rc = run(["validate", "--progress"], stdin_slow=True,
                             stderr_tty=False)
    ds = draws(err)
    check(len(ds) >= 2 and all(UNKNOWN.match(x) for x in ds),
          "--progress to a pipe: %r" % ds[:3])

    # 5. Interrupted (SIGINT) while the line is up: erased all the same.
    err, out, rc = run(["validate"], stdin_slow=True, interrupt=True)
    check(rc == -signal.SIGINT, "interrupted: status %d, expected death by "
          "SIGINT" % rc)
    check(draws(err), "interrupted: no line drawn")
    clean_protocol(err, "interrupted")

    # 6. Nothing drawn: -q (even with --progress), --no-progress, and auto
    # mode when the records go to the same terminal.
    for what, args, kw in [
            ("-q", ["validate", "-q", "--progress"], {}),
            ("--no-progress", ["validate", "--no-progress"], {}),
            ("records to the terminal", ["convert", "--to", "csv"],
             {"stdout_tty": True})]:
        err, out, rc = run(args, stdin_slow=True, **kw)
        check(not draws(err) and b"MB/s" not in err and b"\033[K" not in err,
              "%s: a progress line was drawn: %r" % (what, draws(err)[:2]))
        check(rc == 1, "%s: exit status %d" % (what, rc))
        if what == "--no-progress":
            shown = [ln.split(":", 1)[1] for ln in screen(err)]
            check(shown == ref_diags, "--no-progress: diagnostics %r"
                  % shown[:3])

if failures:
    print("%d failure(s)" % len(failures))
    sys.exit(1)
print("ok")
