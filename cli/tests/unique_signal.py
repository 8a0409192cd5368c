#!/usr/bin/env python3
"""--unique and diff keep their records in a temporary file in $TMPDIR:
interrupted by SIGINT or SIGTERM while reading, the run leaves nothing
there (and the file was there, in $TMPDIR, while it ran).

  unique_signal.py NFBACKUP
"""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

NFB = sys.argv[1]
RECORD = ('{"data":{"id":"b-%d","name":"n","status":"completed",'
          '"createdAt":"2025-01-01T00:00:00Z",'
          '"completedAt":"2025-01-01T00:01:00Z","config":{"size":"1"}}}\n')


def spool_fds(pid, tmpdir):
    """The descriptors of pid open on a file in tmpdir, with their sizes."""
    found = []
    fd_dir = "/proc/%d/fd" % pid
    for fd in os.listdir(fd_dir):
        try:
            target = os.readlink(os.path.join(fd_dir, fd))
        except OSError:
            continue
        if target.startswith(tmpdir + "/"):
            found.append(os.stat(os.path.join(fd_dir, fd)).st_size)
    return found


def one(args, sig, records):
    tmpdir = tempfile.mkdtemp(prefix="nfb-unique-")
    try:
        env = dict(os.environ, TMPDIR=tmpdir, LC_ALL="C")
        p = subprocess.Popen([NFB] + args, stdin=subprocess.PIPE,
                             stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, env=env)
        # Records the run has read and spooled, and more on the way: the
        # signal comes while it waits for the rest of its input.
        p.stdin.write("".join(RECORD % i for i in range(records)).encode())
        p.stdin.flush()
        deadline = time.time() + 30
        sizes = []
        while time.time() < deadline:
            sizes = spool_fds(p.pid, tmpdir)
            if sizes and max(sizes) > 0:
                break
            time.sleep(0.05)
        if not sizes or max(sizes) == 0:
            p.kill()
            p.wait()
            print("FAIL %s %s: no temporary file with records in TMPDIR "
                  "while it ran" % (args, sig))
            return 1
        p.send_signal(sig)
        try:
            p.stdin.close()
        except BrokenPipeError:
            pass
        p.wait(timeout=30)
        left = os.listdir(tmpdir)
        if p.returncode != -sig and p.returncode != 128 + sig:
            print("FAIL %s %s: exit status %s" % (args, sig, p.returncode))
            return 1
        if left:
            print("FAIL %s %s: left in TMPDIR: %s" % (args, sig, left))
            return 1
        print("ok %s %s" % (" ".join(args), signal.Signals(sig).name))
        return 0
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)


fails = 0
# diff holds a block of 16 KiB of each of its 256 partitions in memory
# before it writes it: enough records (about 10 MB) that blocks are
# written while it reads.
for args, records in ((["stats", "--unique", "-"], 5000),
                      (["convert", "--unique", "--to", "csv", "-"], 5000),
                      (["diff", "-", os.devnull], 60000)):
    for sig in (signal.SIGINT, signal.SIGTERM):
        fails += one(args, sig, records)
sys.exit(1 if fails else 0)
