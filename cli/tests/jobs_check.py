"""What the -j tests share: running nfbackup in a clean environment,
comparing -j N with -j 1, and counting the bytes each thread read."""
import os
import subprocess


def run(nfbackup, args, env=None):
    """nfbackup's (status, stdout, stderr), in the C locale, with none of
    the variables that change its output or its blocks unless env sets
    them."""
    e = dict(os.environ, LC_ALL="C")
    for k in ("NO_COLOR", "NFBACKUP_JOBS_BLOCK", "NFBACKUP_JOBS_LOG_MAX"):
        e.pop(k, None)
    e.update(env or {})
    p = subprocess.run([nfbackup] + args, env=e, capture_output=True)
    return p.returncode, p.stdout, p.stderr


def with_jobs(args, n, path):
    """The command args (its verb first) with -j n, on path."""
    return args[:1] + ["-j", str(n)] + args[1:] + [path]


def same_as_one_job(nfbackup, args, path, jobs, blocks, label, failures):
    """Runs args on path with -j 1, then with each -j n of jobs at each
    block size of blocks (None: the default), and notes in failures each
    run whose status, stdout or stderr differ. Returns (the -j 1 result,
    the number of runs compared)."""
    want = run(nfbackup, with_jobs(args, 1, path))
    compared = 0
    for n in jobs:
        for block in blocks:
            env = {"NFBACKUP_JOBS_BLOCK": block} if block else {}
            got = run(nfbackup, with_jobs(args, n, path), env)
            compared += 1
            if got != want:
                what = [w for w, a, b in zip(("status", "stdout", "stderr"),
                                             want, got) if a != b]
                failures.append(f"{label}: {' '.join(args)} -j {n} block "
                                f"{block}: {', '.join(what)} differ from "
                                f"-j 1")
    return want, compared


def bytes_read(trace):
    """From an `strace -f -e trace=pread64,execve -o trace` file: the bytes
    each thread read with pread64, and the thread that ran execve (the
    main thread), as (per thread id, main id)."""
    per = {}
    main = None
    with open(trace) as f:
        for line in f:
            pid = line.split()[0]
            if "execve(" in line and main is None:
                main = pid
            if "pread64(" in line and "= " in line:
                r = line.rsplit("= ", 1)[1].split()[0]
                if r.lstrip("-").isdigit() and int(r) > 0:
                    per[pid] = per.get(pid, 0) + int(r)
    return per, main
