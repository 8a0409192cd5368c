#!/usr/bin/env python3
"""-j N on inputs that are not a plain file sitting still (fast).

parallel_inputs.py NFBACKUP GEN SANITIZE  (SANITIZE: 1 in an ASan build)

1. A FIFO is opened once and read by one thread: runs under a 20 s
   timeout give the records of -j 1 (opening it twice left the writer dead
   of SIGPIPE, or nfbackup waiting for a writer for ever).
2. A file that grows while -j reads it: the appended records are read,
   as -j 1 reads them. nfbackup is held on a full stdout pipe after it
   has started writing (so after it took the file's size) while the test
   appends; it cannot reach the end of the file before the test drains
   the pipe, so this does not depend on timing.
3. A file that shrinks the same way: exit 3 and "file shrank from N to M
   bytes while being read", not "Input/output error".
   And --help says so: its -j paragraph names FIFOs and devices (any file
   that is not a regular file) among what one thread reads.
4. Little memory (ulimit -v, from what the program needs to start): -j 8 never dies of a signal and never
   leaves -o's temporary file; it succeeds with the output of -j 1, or
   fails with exit 3 and "out of memory". Skipped under AddressSanitizer,
   whose shadow memory does not fit under ulimit -v."""
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile

import optional  # script folder, first on sys.path

nfbackup, gen = (os.path.abspath(a) for a in sys.argv[1:3])
sanitize = len(sys.argv) > 3 and sys.argv[3] == "1"
failures = []
tmp = tempfile.mkdtemp(prefix="nfb-par-")
ENV = dict(os.environ, LC_ALL="C")
ENV.pop("NFBACKUP_JOBS_BLOCK", None)
ENV.pop("NFBACKUP_JOBS_LOG_MAX", None)


def fail(msg):
    failures.append(msg)
    print("FAIL: " + msg, file=sys.stderr)


def generate(name, size):
    path = os.path.join(tmp, name)
    with open(path, "wb") as f:
        subprocess.run([sys.executable, gen, "--form", "ndjson", "--bytes",
                        size, "--seed", "7"], stdout=f, check=True)
    return path


def run(args, env=None, limit_kb=None, timeout=120):
    def pre():
        if limit_kb:
            resource.setrlimit(resource.RLIMIT_AS,
                               (limit_kb * 1024, limit_kb * 1024))
    p = subprocess.run([nfbackup] + args, env=env or ENV, capture_output=True,
                       stdin=subprocess.DEVNULL, timeout=timeout,
                       preexec_fn=pre)
    return p.returncode, p.stdout, p.stderr


big = generate("big.ndjson", "4M")

# 1. FIFO. Under strace, each fstat waits 0.1 s before it returns: the
# writer then puts all its bytes in the pipe and closes its end while
# nfbackup looks at the FIFO, so that a second open would wait for a
# writer for ever (the delay only widens that window: the result does not
# depend on it). Then 20 runs without strace.
tiny = generate("tiny.ndjson", "20k")  # fits in a pipe's buffer
want = run(["convert", "--to", "json", tiny])
assert want[0] == 0, want[2]
fifo = os.path.join(tmp, "fifo")
os.mkfifo(fifo)
strace = shutil.which("strace")
if not strace:
    optional.missing("FIFO under strace's delays",
                     "strace is not installed (scripts/install-deps)")
for i in range(21):
    wrap, env = [], ENV
    if i == 0:
        if not strace:
            continue
        wrap = [strace, "-f", "-o", os.devnull, "-e", "trace=%fstat", "-e",
                "inject=%fstat:delay_exit=100000"]
        # LeakSanitizer cannot run under ptrace.
        env = dict(ENV, ASAN_OPTIONS=":".join(
            filter(None, [ENV.get("ASAN_OPTIONS"), "detect_leaks=0"])))
    writer = subprocess.Popen(["sh", "-c", 'exec cat "$1" >"$2"', "sh", tiny,
                               fifo], start_new_session=True)
    p = subprocess.Popen(wrap + [nfbackup, "convert", "--to", "json", "-j",
                                 "2", fifo], env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                         start_new_session=True)
    try:
        out, err = p.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        fail(f"FIFO run {i}: nfbackup -j 2 still waiting after 20 s")
        for q in (p, writer):
            os.killpg(q.pid, signal.SIGKILL)
            q.communicate()
        break
    wrc = writer.wait()
    if p.returncode != 0 or out != want[1]:
        fail(f"FIFO run {i}: exit {p.returncode}, {len(out)} bytes out "
             f"(want 0, {len(want[1])}): {err[:200]!r}")
        break
    if wrc != 0:
        fail(f"FIFO run {i}: the writer ended with {wrc}")
        break

# --help tells what the runs above show: a FIFO (and any other file that is
# not a regular file) is read by one thread.
helptext = subprocess.run([nfbackup, "--help"], stdout=subprocess.PIPE,
                          env=ENV).stdout.decode()
jpara = helptext[helptext.find("-j, --jobs"):]
jpara = " ".join(re.split(r"\n {1,8}-", jpara)[0].split())
for word in ("stdin", "FIFO", "device", "YAML", "compressed", "archive"):
    if word not in jpara:
        fail(f"--help's -j paragraph does not name {word}: {jpara!r}")


def held_run(path, change, block=None):
    """Runs convert -j 2 on path, lets it write, then calls change() while
    it is held on its full stdout pipe, then drains it."""
    env = dict(ENV)
    if block:
        env["NFBACKUP_JOBS_BLOCK"] = str(block)
    p = subprocess.Popen([nfbackup, "convert", "--to", "json", "-j", "2",
                          path], env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                         bufsize=0)
    first = p.stdout.read(1)
    change()
    out, err = p.communicate(timeout=120)
    return p.returncode, first + out, err


# 2. Growing: the records appended while -j 2 reads are read too.
grow = os.path.join(tmp, "grow.ndjson")
with open(big, "rb") as f:
    head = f.read()
with open(tiny, "rb") as f:
    data = f.read()
with open(grow, "wb") as f:
    f.write(head)


def append():
    with open(grow, "ab") as f:
        f.write(data)


got = held_run(grow, append)
want = run(["convert", "--to", "json", "-j", "1", grow])
if got != want:
    fail(f"grown file: -j 2 gave exit {got[0]} and {len(got[1])} bytes, "
         f"-j 1 on the whole file exit {want[0]} and {len(want[1])} bytes: "
         f"{got[2][:300]!r}")

# 3. Shrinking: said so, exit 3.
shrink = os.path.join(tmp, "shrink.ndjson")
with open(shrink, "wb") as f:
    f.write(head)
half = len(head) // 2
got = held_run(shrink, lambda: os.truncate(shrink, half), block=65536)
msg = (f"{shrink}: file shrank from {len(head)} to {half} bytes while "
       f"being read").encode()
if got[0] != 3 or msg not in got[2] or b"Input/output error" in got[2]:
    fail(f"shrunk file: exit {got[0]} (want 3), stderr {got[2][-300:]!r}, "
         f"want {msg!r}")

# 4. Little memory.
if sanitize:
    print("skipped (memory): ulimit -v and AddressSanitizer do not mix")
else:
    want = run(["convert", "--to", "csv", big])
    outdir = os.path.join(tmp, "mem")
    os.mkdir(outdir)
    out = os.path.join(outdir, "out.csv")
    seen = set()
    # The limits start from the address space the program needs to start
    # at all (its shared libraries are mapped whole), found by bisection,
    # so that they press on the reading, not on the loading.
    lo, hi = 1000, 1 << 21
    while hi - lo > 500:
        mid = (lo + hi) // 2
        if run(["--version"], limit_kb=mid)[0] == 0:
            hi = mid
        else:
            lo = mid
    print(f"memory: the program starts under ulimit -v {hi}")
    for extra in (0, 4000, 8000, 12000, 18000, 28000, 48000, 88000):
        kb = hi + extra
        for jobs in ("8", "3"):
            for _ in range(3):
                rc, _, err = run(["convert", "--to", "csv", "-j", jobs, "-o",
                                  out, big], limit_kb=kb)
                seen.add(rc)
                left = [n for n in os.listdir(outdir) if n != "out.csv"]
                if rc < 0:
                    fail(f"ulimit -v {kb}, -j {jobs}: killed by "
                         f"{signal.Signals(-rc).name}: {err[-200:]!r}")
                elif rc == 0:
                    with open(out, "rb") as f:
                        if f.read() != want[1]:
                            fail(f"ulimit -v {kb}, -j {jobs}: output differs "
                                 f"from -j 1")
                elif rc != 3 or b"out of memory" not in err:
                    fail(f"ulimit -v {kb}, -j {jobs}: exit {rc}: "
                         f"{err[-200:]!r}")
                if left:
                    fail(f"ulimit -v {kb}, -j {jobs}: exit {rc} left {left}")
                    for n in left:
                        os.unlink(os.path.join(outdir, n))
                if os.path.exists(out):
                    os.unlink(out)
    if 0 not in seen:
        fail("little memory: no run succeeded, raise the limits tried")

subprocess.run(["rm", "-rf", tmp])
if not failures:
    print("ok")
sys.exit(optional.status(failures))
