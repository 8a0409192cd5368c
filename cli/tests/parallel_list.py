#!/usr/bin/env python3
"""-j N on one list written on one line, cut between its elements.

parallel_list.py NFBACKUP GEN

A list page on one line ({"data":{"backups":[...]},"pagination":...}) and
a CLI list ({"backups":[...]}), clean and damaged: validate (text and
JSON diagnostics), convert --to json and --to csv, and stats --to json
(which hears of the page, and of its hasNextPage) with -j 2 and -j 3, at
small block sizes (NFBACKUP_JOBS_BLOCK) so that the list spans many
blocks, must give the status, stdout and stderr of -j 1 byte for byte:
the paths of the diagnostics carry the element's index in the whole list
(data.backups[2446].status), the page is counted once. The damage: wrong
values deep in the list, elements whose strings hold `},{` (a cut there
is refused and read on by one reader), an element that is a long string
of `},{`, an element cut short by a syntax error, and hasNextPage: true.
And the work is shared: with strace, the main thread reads less than half
of a clean page's bytes itself."""
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


page = subprocess.run([sys.executable, gen, "--form", "list", "--records",
                       "3000", "--seed", "3"], check=True,
                      capture_output=True).stdout
assert page.startswith(b'{"data":{"backups":[{"id":') and b"\n" not in \
    page.rstrip(b"\n"), page[:80]


def elements(text):
    """The list's text cut before each element's {"id":."""
    return re.split(rb'(?<=\},)(?=\{"id":)', text)


def damage(text):
    parts = elements(text)
    for i in range(len(parts)):
        if i % 700 == 345:  # a wrong value, a warning: deep in the list
            parts[i] = parts[i].replace(b'"status":"', b'"status":"Bogus', 1)
            parts[i] = parts[i].replace(b'"name":', b'"extra":1,"name":', 1)
        elif i == 1200:  # a string of `},{`, longer than a block
            parts[i] = parts[i].replace(
                b'"name":"', b'"name":"' + b"a},{b" * 3000, 1)
        elif i % 500 == 77:  # a short one
            parts[i] = parts[i].replace(b'"name":"', b'"name":"x},{y', 1)
    parts.insert(1600, b'"' + b"},{" * 4000 + b'",')
    return b"".join(parts).replace(b'"hasNextPage":false',
                                   b'"hasNextPage":true')


def syntax(text):
    """An element cut short where a value was due: the rest of the page is
    read as the documents found after the damage."""
    parts = elements(text)
    parts[2600] = parts[2600].replace(b'"status":"', b'"status":,"', 1)
    return b"".join(parts)


def cli_list(text):
    """The CLI's form of the same list: {"backups":[...]}."""
    body = text[len(b'{"data":'):text.rindex(b',"pagination"') - 1]
    return body + text[-1:] if text.endswith(b"\n") else body


tmp = tempfile.mkdtemp()
try:
    damaged = damage(page)
    inputs = {
        "list page": page,
        "list page, damaged": damaged,
        "CLI list": cli_list(page),
        "CLI list, damaged": cli_list(damaged),
        "list page, syntax error": syntax(page),
    }
    for label, text in inputs.items():
        path = os.path.join(tmp, "in.json")
        with open(path, "wb") as f:
            f.write(text)
        for args in (["validate"], ["validate", "--diagnostics=json"],
                     ["convert", "--to", "json"], ["convert", "--to", "csv"],
                     ["stats", "--to", "json"]):
            want, n = jobs_check.same_as_one_job(
                nfbackup, args, path, (2, 3), ("4096", "65536"), label,
                failures)
            compared += n
            if "damaged" in label and args[0] == "validate":
                for what in (rb"backups\[2446\]\.status",
                             rb"backups\[1600\]"):
                    if not re.search(what, want[2]):
                        failures.append(f"{label}: no diagnostic at {what}: "
                                        f"{want[2][:300]!r}")
            if args[0] == "stats" and label == "list page, damaged" and \
                    b"incomplete" not in want[1]:
                failures.append(f"{label}: hasNextPage not heard: "
                                f"{want[1][:300]!r}")

    # The work is shared: the main thread (the merger) reads few of the
    # page's bytes itself, the workers the rest.
    if shutil.which("strace"):
        path = os.path.join(tmp, "in.json")
        with open(path, "wb") as f:
            f.write(page)
        trace = os.path.join(tmp, "trace")
        e = dict(os.environ, NFBACKUP_JOBS_BLOCK="65536",
                 ASAN_OPTIONS="detect_leaks=0")
        p = subprocess.run(["strace", "-f", "-qq", "-e",
                            "trace=pread64,execve", "-o", trace, nfbackup,
                            "validate", "-q", "-j", "2", path], env=e,
                           capture_output=True)
        per, main = jobs_check.bytes_read(trace)
        if p.returncode != 0:
            failures.append(f"validate -q -j 2 under strace: status "
                            f"{p.returncode}")
        elif per.get(main, 0) > len(page) // 2:
            failures.append(f"one-line list page, -j 2: the main thread "
                            f"read {per.get(main, 0)} of {len(page)} bytes "
                            f"(by thread: {per})")
    else:
        optional.missing("the bytes read by each thread",
                         "strace is not installed")
finally:
    shutil.rmtree(tmp)

for f in failures:
    print(f)
print(f"{compared} runs compared with -j 1, {len(failures)} failures")
sys.exit(optional.status(failures))
