#!/usr/bin/env python3
"""-j N: the output, diagnostics and exit status of -j 1, byte for byte.

parallel_test.py NFBACKUP GEN CASES [big]  (big: only the 200,000 records)

Every golden case whose input reaches the parallel reader (a regular JSON
file: not stdin, YAML, compressed or an archive, which -j reads with one
thread anyway) runs with -j 1 and with -j 2 or -j 3, text and JSON
diagnostics, with blocks of 7 to 4096 bytes (NFBACKUP_JOBS_BLOCK, so
that small inputs are cut everywhere) and with logs too small to keep
(NFBACKUP_JOBS_LOG_MAX=1: every block read again by the merger). Then
generated streams: clean NDJSON, NDJSON with 1% of the lines corrupted,
envelopes joined with no separator, with newlines and with CRLF, and
documents whose inner lines start with '{' or '[' (cut points inside a
document); validate, convert to json, csv and yaml, and stats, each
command with one of the block sizes and thread counts in turn, so that
every stream meets each of them. With "big",
the 200,000 records of the benchmark (bench/gen), clean and corrupted.
Finally GNU parallel (--pipepart -k, and over many files) gives the output
of one run, as the README says (skipped, status 77, when it is not
installed: see optional.py)."""
import os
import random
import shlex
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import optional  # noqa: E402

nfbackup, gen, cases = (os.path.abspath(a) for a in sys.argv[1:4])
big = len(sys.argv) > 4 and sys.argv[4] == "big"
failures = []
compared = 0


def run(args, cwd=None, env=None, stdin=None):
    e = dict(os.environ, LC_ALL="C")
    e.pop("NO_COLOR", None)
    e.pop("NFBACKUP_JOBS_BLOCK", None)
    e.pop("NFBACKUP_JOBS_LOG_MAX", None)
    e.update(env or {})
    with open(stdin or os.devnull, "rb") as f:
        p = subprocess.run([nfbackup] + args, cwd=cwd, env=e, stdin=f,
                           capture_output=True)
    return p.returncode, p.stdout, p.stderr


def same(label, args, cwd=None, stdin=None, envs=None, jobs=(2, 3)):
    """args with -j 1 and with each of jobs (and each env) must agree."""
    global compared
    want = run(args[:1] + ["-j", "1"] + args[1:], cwd, None, stdin)
    for env in envs or [{}]:
        for n in jobs:
            got = run(args[:1] + ["-j", str(n)] + args[1:], cwd, env, stdin)
            compared += 1
            if got != want:
                what = [k for k, a, b in zip(("status", "stdout", "stderr"),
                                             want, got) if a != b]
                failures.append(f"{label}: -j {n} {env}: {', '.join(what)} "
                                f"differ from -j 1")
                if "stderr" in what:
                    failures.append("  -j 1: " + want[2][:300].decode(
                        errors="replace"))
                    failures.append(f"  -j {n}: " + got[2][:300].decode(
                        errors="replace"))
    return want


# Blocks shorter than a line: every line that starts with '{' or '[' is a
# cut; 4096: some lines are; a log of 1 byte: the merger reads every block.
SMALL = [{"NFBACKUP_JOBS_BLOCK": "7"}, {"NFBACKUP_JOBS_BLOCK": "4096"},
         {"NFBACKUP_JOBS_BLOCK": "16", "NFBACKUP_JOBS_LOG_MAX": "1"}]



def splittable(path):
    """Whether -j reads this file with several threads: a regular file of
    more than 7 bytes (the smallest block used here) that starts, after a
    UTF-8 BOM and white space, with '{' or '[' (so not compressed, not
    YAML, not a tar). A folder: any file in it."""
    if os.path.isdir(path):
        return any(splittable(os.path.join(d, f))
                   for d, _, fs in os.walk(path) for f in fs)
    if not os.path.isfile(path) or os.path.getsize(path) <= 7:
        return False
    with open(path, "rb") as f:
        head = f.read(4096)
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    head = head.lstrip(b" \t\r\n")
    return head[:1] in (b"{", b"[")


def reaches_parallel(args, d):
    """A case whose command reads one of its files with -j."""
    if "--from" in args or any(a.startswith("--from=") for a in args):
        return False  # --from yaml, or json forced (same as guessed)
    return any(splittable(os.path.join(d, a)) for a in args[1:]
               if not a.startswith("-"))


# Every golden case that reaches the parallel reader, as it is or with
# JSON diagnostics, each with one of the small blocks in turn.
n_cases = 0
for name in sorted(os.listdir(cases)) if not big else []:
    d = os.path.join(cases, name)
    if not os.path.isfile(os.path.join(d, "args")):
        continue
    with open(os.path.join(d, "args")) as f:
        args = shlex.split(f.read())
    if not args or args[0] not in ("validate", "convert", "stats"):
        continue
    if "-o" in args or "--output" in args:
        continue  # writes a file in the case's folder
    if not reaches_parallel(args, d):
        continue
    stdin = os.path.join(d, "stdin")
    stdin = stdin if os.path.exists(stdin) else None
    if n_cases % 2:
        args = args + ["--diagnostics=json"]
    same(f"case {name} {args[-1]}", args, d, stdin, [SMALL[n_cases % 3]],
         jobs=(2 + n_cases % 2,))
    n_cases += 1
assert big or n_cases >= 40, f"only {n_cases} golden cases found"


def generate(records, seed, form="ndjson"):
    return subprocess.run([gen, "--form", form, "--records", str(records),
                           "--seed", str(seed)], check=True,
                          capture_output=True).stdout


def corrupt_lines(lines, rnd):
    """1% of the lines damaged, in the ways of the resynchronisation tests."""
    def truncate(s):
        return s[:rnd.randrange(10, len(s) - 2)]

    def stray_inside(s):
        return s[:8] + b"#" + s[8:]

    def stray_after(s):
        return s + b"@"

    def bad_escape(s):
        i = s.index(b'"name":"') + 8
        return s[:i] + b"\\q" + s[i:]

    def invalid_utf8(s):
        i = s.index(b'"id":"') + 6
        return s[:i] + rnd.choice([b"\xff", b"\xc0\xaf"]) + s[i:]

    def lone_surrogate(s):
        i = s.index(b'"name":"') + 8
        return s[:i] + b"\\ud800" + s[i:]

    def bare_word(s):
        return b"garbage"

    def stray_close(s):
        return b"}"

    def wrong_type(s):
        return b'{"data":5}'

    kinds = [truncate, stray_inside, stray_after, bad_escape, invalid_utf8,
             lone_surrogate, bare_word, stray_close, wrong_type]
    out = list(lines)
    bad = sorted(rnd.sample(range(len(lines)), max(1, len(lines) // 100)))
    for n, i in enumerate(bad):
        out[i] = kinds[n % len(kinds)](lines[i])
    return out


def nested(lines):
    """List pages written with no indentation: lines inside a document
    start with '{' and '['."""
    out = []
    for k in range(0, len(lines), 7):
        page = [ln[len(b'{"data":'):-1] for ln in lines[k:k + 7]]
        out.append(b'{"data":\n{"backups":\n[\n' + b",\n".join(page) +
                   b'\n]},\n"pagination":\n{"hasNextPage":false}}')
    return out


COMMANDS = [["validate"], ["validate", "--diagnostics=json"],
            ["validate", "-q"], ["validate", "--max-diagnostics", "5"],
            ["convert", "--to", "json"], ["convert", "--to", "csv"],
            ["convert", "--to", "yaml", "--diagnostics=json"],
            ["convert", "--to", "json", "--array", "--status", "completed"],
            ["stats"], ["stats", "--to", "json", "--diagnostics=json"]]

with tempfile.TemporaryDirectory() as tmp:
    rnd = random.Random(23)
    lines = generate(1500, 9).split(b"\n")[:-1]
    bad = corrupt_lines(lines, rnd)
    streams = {
        "clean": b"\n".join(lines) + b"\n",
        "corrupted": b"\n".join(bad) + b"\n",
        "corrupted CRLF": b"\r\n".join(bad) + b"\r\n",
        "corrupted, no separator": b"".join(bad),
        "corrupted, no final newline": b"\n".join(bad),
        "nested": b"\n".join(nested(lines)) + b"\n",
        "nested, corrupted": b"\n".join(nested(bad)) + b"\n",
        "BOM and blank lines": b"\xef\xbb\xbf\n\n" + b"\n\n".join(bad),
    }
    for n_stream, (label, data) in enumerate(streams.items()
                                             if not big else []):
        path = os.path.join(tmp, "in.ndjson")
        with open(path, "wb") as f:
            f.write(data)
        envs = [{"NFBACKUP_JOBS_BLOCK": str(b)} for b in (4096, 65536)]
        envs.append({"NFBACKUP_JOBS_BLOCK": "8192",
                     "NFBACKUP_JOBS_LOG_MAX": "20000"})
        # Half of the commands on each stream, each command on half of
        # them (every other one), with one block size in turn.
        for k, cmd in enumerate(COMMANDS):
            if (k + n_stream) % 2:
                continue
            same(f"{label}: {' '.join(cmd)}", cmd + [path],
                 envs=[envs[k % len(envs)]], jobs=(2 + k % 2,))
        # Several files: each one read in parallel, one stream.
        same(f"{label}: three files", ["validate", "--diagnostics=json",
                                       path, path, path],
             envs=[{"NFBACKUP_JOBS_BLOCK": "16384"}])

    # Exactly the records of -j 1, whatever the cut: a check that does not
    # rest on -j 1 being right.
    path = os.path.join(tmp, "clean.ndjson")
    with open(path, "wb") as f:
        f.write(streams["clean"])
    st, out, err = run(["convert", "-j", "2", "--to", "json", path],
                       env={"NFBACKUP_JOBS_BLOCK": "5000"})
    if not big and st != 0 or out.count(b"\n") != len(lines) or err:
        failures.append("clean stream, -j 2: not every record once")

    # -o, a closed pipe and a signal, as with one thread.
    many = os.path.join(tmp, "many.ndjson")
    with open(many, "wb") as f:
        f.write(generate(10000, 4))
    env = dict(os.environ, NFBACKUP_JOBS_BLOCK="65536")
    outs = []
    for n in (1, 2):
        out = os.path.join(tmp, f"out{n}.csv")
        p = subprocess.run([nfbackup, "convert", "-j", str(n), "--to", "csv",
                            "-o", out, many], env=env, capture_output=True)
        with open(out, "rb") as f:
            outs.append((p.returncode, p.stderr, f.read()))
    if outs[0] != outs[1] or outs[0][0] != 0:
        failures.append("-o: -j 2 does not write the file of -j 1")
    p = subprocess.Popen([nfbackup, "convert", "-j", "2", "--to", "json",
                          many], env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    p.stdout.readline()
    p.stdout.close()
    err = p.stderr.read()
    if p.wait() != 0 or err:
        failures.append(f"closed pipe, -j 2: status {p.returncode}, {err!r}")
    # A signal while the threads read: every line of "flood" is an invalid
    # record, and its diagnostics (megabytes) fill the stderr pipe, which
    # is not read past its first bytes, so the merger is stopped inside the
    # parallel read when the signal comes; -o's temporary file was made
    # before any input was read. No waiting on time. Every other record
    # also has a bad status, so that no run of alike diagnostics is long
    # enough to be folded into one "not shown" line (the CLI prints at
    # most 100 in a row with the same code and path): folded, they would
    # fit the pipe, the run could end before the signal, and the test
    # would race.
    flood = os.path.join(tmp, "flood.ndjson")
    with open(flood, "wb") as f:
        f.write(b"".join((b'{"data":{"id":"%d"}}\n' if i % 2 else
                          b'{"data":{"id":"%d","status":"bogus"}}\n') % i
                         for i in range(5000)))
    sig = os.path.join(tmp, "sig")
    os.mkdir(sig)
    with open(os.path.join(sig, "out.csv"), "wb") as f:
        f.write(b"old\n")
    p = subprocess.Popen([nfbackup, "convert", "-j", "2", "--to", "csv",
                          "-o", "out.csv", flood], cwd=sig,
                         env=dict(env, NFBACKUP_JOBS_BLOCK="4096"),
                         stderr=subprocess.PIPE)
    first = p.stderr.read(1)
    during = sorted(os.listdir(sig))
    p.terminate()
    p.stderr.read()
    st = p.wait()
    with open(os.path.join(sig, "out.csv"), "rb") as f:
        kept = f.read() == b"old\n"
    if not first or len(during) != 2:
        failures.append(f"SIGTERM, -j 2 -o: no diagnostic or no temporary "
                        f"file while reading ({during})")
    if st != -15 or os.listdir(sig) != ["out.csv"] or not kept:
        failures.append(f"SIGTERM, -j 2 -o: status {st}, left "
                        f"{os.listdir(sig)}, old file kept: {kept}")

    # GNU parallel, as the README shows it.
    if big:
        pass
    elif shutil.which("parallel"):
        whole = run(["convert", "--to", "csv", "--no-header", path])
        p = subprocess.run(
            ["parallel", "--will-cite", "--pipepart", "--block", "64k", "-k",
             "-a", path, nfbackup, "convert", "--to", "csv", "--no-header"],
            capture_output=True)
        if p.returncode != 0 or p.stdout != whole[1]:
            failures.append("parallel --pipepart: not the output of one run")
        parts = []
        for k in range(5):
            part = os.path.join(tmp, f"part{k}.ndjson")
            with open(part, "wb") as f:
                f.write(b"".join(ln + b"\n" for ln in lines[k::5]))
            parts.append(part)
        whole = run(["convert", "--to", "json"] + parts)
        p = subprocess.run(["parallel", "--will-cite", "-k", nfbackup,
                            "convert", "--to", "json", ":::"] + parts,
                           capture_output=True)
        if p.returncode != 0 or p.stdout != whole[1]:
            failures.append("parallel over files: not the output of one run")
    else:
        optional.missing("GNU parallel --pipepart and over files",
                         "parallel is not installed (scripts/install-deps)")

    if big:
        data = generate(200000, 1)
        path = os.path.join(tmp, "big.ndjson")
        with open(path, "wb") as f:
            f.write(data)
        for cmd in (["validate"], ["convert", "--to", "csv"], ["stats"]):
            same(f"200,000 records: {' '.join(cmd)}", cmd + [path],
                 jobs=(2, 4))
        rl = data.split(b"\n")[:-1]
        with open(path, "wb") as f:
            f.write(b"\n".join(corrupt_lines(rl, random.Random(5))) + b"\n")
        for cmd in (["validate", "--diagnostics=json"], ["validate"],
                    ["convert", "--to", "json"], ["stats", "--to", "json"]):
            same(f"200,000 records, 1% corrupted: {' '.join(cmd)}",
                 cmd + [path], jobs=(2, 4))

for f in failures:
    print(f)
print(f"{compared} runs compared with -j 1, {len(failures)} failures")
sys.exit(optional.status(failures))
