#!/usr/bin/env python3
"""-j N on the forms whose lines do not follow the documents.

parallel_forms.py NFBACKUP GEN

A list page on one line, envelopes joined with no separator (`}{`) and
pretty-printed (jq .) envelopes, each clean and with some records
damaged: validate (text and JSON diagnostics) and convert --to json with
-j 2 and -j 3, at several block sizes (NFBACKUP_JOBS_BLOCK), must give
the status, stdout and stderr of -j 1 byte for byte: the diagnostics of a
block cut inside a line keep their columns. And the file is read in
linear time whatever its lines: on a one-line list page, -j 2 reads
(pread) at most a few times the file's size."""
import jobs_check  # script folder, first on sys.path
import optional
import os
import re
import shutil
import subprocess
import sys
import tempfile

nfbackup, gen = (os.path.abspath(a) for a in sys.argv[1:3])
failures = []
compared = 0


def generate(form, records):
    return subprocess.run([sys.executable, gen, "--form", form, "--records",
                           str(records), "--seed", "3"], check=True,
                          capture_output=True).stdout


def damage(text):
    """Every 40th record gets a number for its id (an error, with a column
    inside the line) and an unknown field (a warning)."""
    parts = re.split(rb'("id": ?")', text)
    out = [parts[0]]
    for i in range(1, len(parts), 2):
        out.append(b'"id":7,"extra":"' if i % 80 == 11 else parts[i])
        out.append(parts[i + 1])
    return b"".join(out)


tmp = tempfile.mkdtemp()
try:
    nd = generate("ndjson", 3000)
    forms = {
        "list page on one line": generate("list", 3000),
        "joined with no separator": nd.replace(b"\n", b""),
        "pretty (jq .)": generate("pretty", 2000),
    }
    for name, text in forms.items():
        for damaged in (False, True):
            path = os.path.join(tmp, "in.json")
            with open(path, "wb") as f:
                f.write(damage(text) if damaged else text)
            label = f"{name}{', damaged' if damaged else ''}"
            for args in (["validate"], ["validate", "--diagnostics=json"],
                         ["convert", "--to", "json"]):
                want, n = jobs_check.same_as_one_job(
                    nfbackup, args, path, (2, 3), (None, "4096", "65536"),
                    label, failures)
                compared += n
                if damaged and b"wrong" not in want[2] and b"type" not in \
                        want[2]:
                    failures.append(f"{label}: the damage draws no error: "
                                    f"{want[2][:200]!r}")

    # Linear time, counted in bytes read: before, every block of a
    # one-line file looked for its start up to the end of the file.
    if shutil.which("strace"):
        path = os.path.join(tmp, "in.json")
        page = generate("list", 3000)
        with open(path, "wb") as f:
            f.write(page)
        trace = os.path.join(tmp, "trace")
        # LeakSanitizer cannot run under ptrace (an ASan build).
        e = dict(os.environ, NFBACKUP_JOBS_BLOCK="4096",
                 ASAN_OPTIONS="detect_leaks=0")
        subprocess.run(["strace", "-f", "-qq", "-e", "trace=pread64,execve", "-o",
                        trace, nfbackup, "validate", "-q", "-j", "2", path],
                       env=e, check=True, capture_output=True)
        total = sum(jobs_check.bytes_read(trace)[0].values())
        if total > 4 * len(page):
            failures.append(f"one-line list page, -j 2, blocks of 4096: "
                            f"{total} bytes read for a file of {len(page)}")
    else:
        optional.missing("the count of bytes read", "strace is not installed")
finally:
    shutil.rmtree(tmp)

for f in failures:
    print(f)
print(f"{compared} runs compared with -j 1, {len(failures)} failures")
sys.exit(optional.status(failures))
