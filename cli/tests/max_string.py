#!/usr/bin/env python3
"""--max-string raises the record limit with it: a record holding a 5 MiB
name is refused by default (a limit error on the string), is read and
converted whole with --max-string 8M (the record limit, 4 MiB by default,
follows), on one thread and with -j 2, and is refused again when
--max-record says the record may hold less. Sizes take K, M and G.

usage: max_string.py NFBACKUP"""

import json
import os
import subprocess
import sys
import tempfile

BIN = sys.argv[1]
failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL:", msg, file=sys.stderr)


def run(args):
    return subprocess.run([BIN] + args, capture_output=True, timeout=300)


def main():
    name = "n" * (5 << 20)
    rec = {"id": "big", "name": name, "status": "completed",
           "createdAt": "2021-01-20T11:19:53Z",
           "completedAt": "2021-01-20T11:19:54Z", "config": {"size": "1"}}
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "big.ndjson")
        with open(path, "w") as f:
            # several copies, so that -j 2 has blocks to share
            for i in range(3):
                rec["id"] = "big-%d" % i
                f.write(json.dumps(rec) + "\n")
        p = run(["validate", "-q", path])
        if p.returncode != 1 or b"[limit]" not in p.stderr:
            fail("default limits: exit %d %r" % (p.returncode, p.stderr[:300]))
        for extra in ([], ["-j", "2"]):
            for size in ("8M", "8MiB", "8388608", "8192K"):
                p = run(["validate", "--max-string", size] + extra + [path])
                if p.returncode != 0:
                    fail("--max-string %s %s: exit %d %r" %
                         (size, extra, p.returncode, p.stderr[:300]))
            p = run(["convert", "--to", "json", "--max-string", "8M"] +
                    extra + [path])
            got = [json.loads(line) for line in p.stdout.splitlines()]
            if p.returncode != 0 or len(got) != 3 or \
                    any(g["name"] != name for g in got):
                fail("convert --max-string 8M %s: exit %d, %d records" %
                     (extra, p.returncode, len(got)))
            p = run(["validate", "-q", "--max-string", "8M", "--max-record",
                     "4M"] + extra + [path])
            if p.returncode != 1 or b"[limit]" not in p.stderr:
                fail("--max-record 4M %s: exit %d %r" %
                     (extra, p.returncode, p.stderr[:300]))
            p = run(["validate", "--max-string", "8M", "--max-record",
                     "6M"] + extra + [path])
            if p.returncode != 0:
                fail("--max-record 6M %s: exit %d" % (extra, p.returncode))
        for bad in ("2G", "0", "8X", "M", "8Mi", "-1", "8 M"):
            p = run(["validate", "--max-string", bad, path])
            if p.returncode != 2 or b"--max-string" not in p.stderr:
                fail("--max-string %r: exit %d" % (bad, p.returncode))
        for bad in ("5G", "0", "1T"):
            p = run(["validate", "--max-record", bad, path])
            if p.returncode != 2 or b"--max-record" not in p.stderr:
                fail("--max-record %r: exit %d" % (bad, p.returncode))
    if failures:
        print("%d failure(s)" % len(failures), file=sys.stderr)
        return 1
    print("--max-string 8M reads a 5 MiB string; --max-record bounds it")
    return 0


if __name__ == "__main__":
    sys.exit(main())
