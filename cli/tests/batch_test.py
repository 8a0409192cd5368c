#!/usr/bin/env python3
"""Batches: folders as inputs, --files-from lists and --output-dir.

1. A folder is read recursively: its regular files, in the byte order of
   their paths (checked against Python's sorted() of the paths as bytes,
   with names that sort differently by component and by path: "a.json",
   "a-b.json", "a/…", "A…", "é…", names with spaces), each once, named by
   its path. Names starting with '.' are left out (files and folders), a
   link to a file is followed, a link back to a folder it is inside is a
   warning and not followed, a dangling link and a FIFO are errors at their
   turn (exit 3) while the other files are read, and the FIFO is never
   opened (no hang). -j 2 reads a folder holding a file large enough to be
   split exactly as -j 1 does.
2. --files-from: names one per line (spaces kept, empty lines skipped,
   folders walked), after the FILE arguments; -0 with names holding spaces
   and newlines; the list from stdin; "-" both list and input refused.
3. --output-dir: each output at the input's path under DIR with the
   format's extension (.json, .json.gz, .yaml, none), stdin as stdin.EXT,
   absolute inputs under DIR, each byte for byte what -o of that input
   alone writes, one for an input with no record too; the summary counts
   the outputs. Refused before anything is written (exit 2, DIR left
   empty): '..' components, two inputs with one output, an output that is
   its own input, -o with it. The output folder inside an input folder is
   not read. Under ulimit -f the output too large is not made, with no
   temporary file left, the old file as it was, and the others written;
   SIGTERM in the middle leaves no temporary file.
4. --output-dir on an archive: one output per JSON or YAML member, at
   DIR/<archive path>/<member path> with the format's extension, each
   byte for byte what -o of that member alone (extracted by Python's
   tarfile) writes; none for the archive itself, its link or its binary
   member. A member named ../evil.json or /abs.json is refused with a
   diagnostic (exit 3), its records written nowhere, and nothing is
   written outside DIR; the other members are.

usage: batch_test.py NFBACKUP SOURCE_DIR"""

import json
import os
import resource
import signal
import subprocess
import sys
import io
import tarfile
import tempfile
import time

BIN, SRC = sys.argv[1], sys.argv[2]
FORMS = os.path.join(SRC, "testdata", "forms")
GEN = os.path.join(SRC, "bench", "gen")
failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL:", msg, file=sys.stderr)


def run(args, data=None, cwd=None, preexec=None):
    return subprocess.run([BIN] + args, capture_output=True, input=data,
                          timeout=300, cwd=cwd, preexec_fn=preexec)


with open(os.path.join(FORMS, "api.json")) as f:
    API = json.load(f)


def record(ident):
    doc = json.loads(json.dumps(API))
    doc["data"]["id"] = ident
    return json.dumps(doc)


def put(path, ident=None, text=None):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text if text is not None else record(ident) + "\n")


def ids(stdout):
    return [json.loads(line)["id"] for line in stdout.decode().splitlines()]


def check_tree(tmp):
    root = os.path.join(tmp, "tree")
    names = ["a.json", "a-b.json", "a/b.json", "a/c/d.json", "a/c.json",
             "A.json", "b b.json", "\u00e9t\u00e9.json", "z/0.json",
             "2025-01-02.json", "2025-01-10.json", "2024-12-31.json",
             "x.y/z.json", "x/y.json", "x-y/z.json"]
    for n in names:
        put(os.path.join(root, n), n)
    # left out: hidden files and folders
    put(os.path.join(root, ".hidden.json"), ".hidden.json")
    put(os.path.join(root, ".git/config.json"), ".git/config.json")
    put(os.path.join(root, "a/.swp.json"), "a/.swp.json")
    # followed: a link to a file (read under the link's name)
    os.symlink("../a.json", os.path.join(root, "z", "link.json"))
    # a loop: not followed, a warning
    os.symlink("..", os.path.join(root, "a", "c", "up"))
    # unreadable: a dangling link and a FIFO, errors at their turn
    os.symlink("nowhere.json", os.path.join(root, "m-dangling.json"))
    os.mkfifo(os.path.join(root, "m-fifo"))
    if os.geteuid() != 0:
        os.makedirs(os.path.join(root, "m-closed"))
        os.chmod(os.path.join(root, "m-closed"), 0)
    readable = names + ["z/link.json"]
    want = [os.fsdecode(p) for p in
            sorted(os.fsencode(n) for n in readable)]

    p = run(["convert", "--to", "json", "tree"], cwd=tmp)
    err = p.stderr.decode()
    got = ids(p.stdout)
    # z/link.json holds a.json's record
    want_ids = ["a.json" if n == "z/link.json" else n for n in want]
    if got != want_ids:
        fail("folder order:\n got  %s\n want %s" % (got, want_ids))
    if p.returncode != 3:
        fail("folder with unreadable entries: exit %d, not 3" % p.returncode)
    for needle in ("cannot open tree/m-dangling.json: No such file",
                   "cannot read tree/m-fifo: not a regular file",
                   "tree/a/c/up: a link back to a folder"):
        if needle not in err:
            fail("folder: no %r in %r" % (needle, err))
    if os.geteuid() != 0 and "cannot read folder tree/m-closed" not in err:
        fail("folder: an unlistable folder not reported: %r" % err)
    # each message at its turn, in the order of the paths
    order = [k for line in err.splitlines() for k in
             ("a/c/up", "m-closed", "m-dangling", "m-fifo") if k in line]
    if order != sorted(order):
        fail("folder: messages not in path order: %r" % err)

    # The same names given one by one, in that order, read the same.
    q = run(["convert", "--to", "json"] + ["tree/" + n for n in want],
            cwd=tmp)
    if q.stdout != p.stdout:
        fail("folder: not the output of its files named in order")
    # A folder with no file to read: a warning, nothing read.
    os.makedirs(os.path.join(tmp, "nothing", ".only-hidden"))
    e = run(["validate", "nothing"], cwd=tmp)
    if e.returncode != 0 or b"nothing: no file to read" not in e.stderr:
        fail("empty folder: exit %d %r" % (e.returncode, e.stderr))
    # The folder named with a trailing slash: names with one slash.
    r = run(["validate", "--diagnostics=json", "tree/"], cwd=tmp)
    if b"tree//" in r.stderr:
        fail("tree/: names with a double slash: %r" % r.stderr[:300])
    return root, want


def check_jobs(tmp):
    big = os.path.join(tmp, "jobs", "sub", "big.ndjson")
    os.makedirs(os.path.dirname(big))
    with open(big, "wb") as f:
        subprocess.run([GEN, "--bytes", "3000000", "--seed", "7"], stdout=f,
                       check=True)
    put(os.path.join(tmp, "jobs", "a.json"), "small")
    one = run(["convert", "--to", "csv", "-j", "1", "jobs"], cwd=tmp)
    two = run(["convert", "--to", "csv", "-j", "2", "jobs"], cwd=tmp)
    if os.path.getsize(big) <= 2 << 20:
        fail("-j: the big file is too small to be split")
    if (one.returncode, one.stdout, one.stderr) != \
            (two.returncode, two.stdout, two.stderr) or one.returncode != 0:
        fail("-j 2 on a folder: not the output of -j 1 (exit %d, %d)" %
             (one.returncode, two.returncode))
    od1, od2 = os.path.join(tmp, "od1"), os.path.join(tmp, "od2")
    run(["convert", "--to", "csv", "-j", "1", "--output-dir", od1, "jobs"],
        cwd=tmp)
    run(["convert", "--to", "csv", "-j", "2", "--output-dir", od2, "jobs"],
        cwd=tmp)
    for rel in ("jobs/a.csv", "jobs/sub/big.csv"):
        a, b = os.path.join(od1, rel), os.path.join(od2, rel)
        if not os.path.exists(a) or open(a, "rb").read() != \
                open(b, "rb").read():
            fail("-j 2 --output-dir: %s differs or is missing" % rel)


def check_files_from(tmp):
    d = os.path.join(tmp, "ff")
    odd = ["with space.json", "new\nline.json", "tab\there.json",
           "sub dir/x.json"]
    for n in odd + ["arg.json", "dir/1.json", "dir/2.json"]:
        put(os.path.join(d, n), n)
    # newline-separated: spaces kept, empty lines skipped, folders walked,
    # after the arguments
    lst = os.path.join(d, "list.txt")
    with open(lst, "w") as f:
        f.write("\nwith space.json\n\nsub dir/x.json\ndir\n\n")
    p = run(["convert", "--to", "json", "--files-from", "list.txt",
             "arg.json"], cwd=d)
    want = ["arg.json", "with space.json", "sub dir/x.json", "dir/1.json",
            "dir/2.json"]
    if p.returncode != 0 or ids(p.stdout) != want:
        fail("--files-from: exit %d, %s, not %s (%r)" %
             (p.returncode, ids(p.stdout), want, p.stderr))
    # NUL-separated, from stdin: names with newlines too
    data = b"\0".join(os.fsencode(n) for n in odd) + b"\0\0"
    for opt in ("-0", "--null"):
        p = run(["convert", "--to", "json", "--files-from", "-", opt],
                data=data, cwd=d)
        if p.returncode != 0 or ids(p.stdout) != odd:
            fail("--files-from - %s: exit %d, %s (%r)" %
                 (opt, p.returncode, ids(p.stdout), p.stderr))
    # the same list without -0: one name, NUL inside: refused
    p = run(["convert", "--to", "json", "--files-from", "-"], data=data,
            cwd=d)
    if p.returncode != 2 or b"--null" not in p.stderr or p.stdout:
        fail("--files-from with NUL bytes, no -0: exit %d %r" %
             (p.returncode, p.stderr))
    # stdin both list and input
    p = run(["validate", "--files-from", "-", "-"], data=b"arg.json\n",
            cwd=d)
    if p.returncode != 2:
        fail("--files-from - with input -: exit %d" % p.returncode)
    p = run(["validate", "--files-from", "-"], data=b"-\n", cwd=d)
    if p.returncode != 2:
        fail("--files-from - listing -: exit %d" % p.returncode)
    # a missing list: I/O error, nothing read
    p = run(["validate", "--files-from", "no-such-list"], cwd=d)
    if p.returncode != 3 or b"no-such-list" not in p.stderr:
        fail("missing list: exit %d %r" % (p.returncode, p.stderr))
    # -0 without --files-from
    p = run(["validate", "-0", "arg.json"], cwd=d)
    if p.returncode != 2:
        fail("-0 alone: exit %d" % p.returncode)
    # a missing name in the list is an I/O error for it, the others go on
    with open(lst, "w") as f:
        f.write("missing.json\narg.json\n")
    p = run(["convert", "--to", "json", "--files-from", "list.txt"], cwd=d)
    if p.returncode != 3 or ids(p.stdout) != ["arg.json"]:
        fail("list with a missing name: exit %d %s" %
             (p.returncode, ids(p.stdout)))


def listing(d):
    out = []
    for base, dirs, files in os.walk(d):
        for f in files:
            out.append(os.path.relpath(os.path.join(base, f), d))
    return sorted(out)


def check_output_dir(tmp):
    d = os.path.join(tmp, "od")
    os.makedirs(d)
    put(os.path.join(d, "in/a.json"), "a")
    put(os.path.join(d, "in/sub/b.json"), "b")
    with open(os.path.join(d, "in/sub/c.json.gz"), "wb") as f:
        f.write(open(os.path.join(FORMS, "api.json.gz"), "rb").read())
    with open(os.path.join(d, "in/y.yaml"), "wb") as f:
        f.write(open(os.path.join(FORMS, "cli-get.yaml"), "rb").read())
    put(os.path.join(d, "in/noext"), "noext")
    put(os.path.join(d, "in/empty.json"), text="")
    put(os.path.join(d, "in/none.json"), text='{"data": {"backups": []}}')
    absolute = os.path.join(d, "abs.json")
    put(absolute, "abs")
    out = os.path.join(d, "out")
    for fmt in subprocess.run([BIN, "formats", "--names"],
                              capture_output=True, text=True,
                              check=True).stdout.split():
        o = out + "-" + fmt
        p = run(["convert", "--to", fmt, "--output-dir", o, "in",
                 absolute, "-"], data=open(os.path.join(FORMS, "cli.json"),
                                          "rb").read(), cwd=d)
        # empty.json is a syntax error: exit 1
        if p.returncode != 1:
            fail("--output-dir %s: exit %d %r" % (fmt, p.returncode,
                                                   p.stderr))
        want = sorted(["in/a.%s", "in/sub/b.%s", "in/sub/c.%s", "in/y.%s",
                       "in/noext.%s", "in/empty.%s", "in/none.%s",
                       "stdin.%s", absolute.lstrip("/") + "-"])
        want = sorted(w % fmt if "%" in w else
                      w[:-len(".json-")] + "." + fmt for w in want)
        got = listing(o)
        if got != want:
            fail("--output-dir %s: wrote %s, not %s" % (fmt, got, want))
        if "9 outputs written to %s" % o not in p.stderr.decode():
            fail("--output-dir %s: summary: %r" % (fmt, p.stderr[-200:]))
        if fmt == "xlsx":
            continue
        # each output is what -o of that input alone writes
        for rel, src in (("in/a", "in/a.json"), ("in/sub/c", "in/sub/c.json.gz"),
                         ("in/y", "in/y.yaml"), ("in/none", "in/none.json"),
                         ("in/empty", "in/empty.json")):
            single = os.path.join(d, "single." + fmt)
            run(["convert", "--to", fmt, "-o", single, src], cwd=d)
            got = os.path.join(o, rel + "." + fmt)
            if not os.path.exists(got) or \
                    open(got, "rb").read() != open(single, "rb").read():
                fail("--output-dir %s: %s is not what -o writes" % (fmt, rel))

    # refused before anything is written
    for name, args in (
            ("..", ["convert", "--to", "csv", "--output-dir", "r1", "in",
                    "../od/in/a.json"]),
            ("inner ..", ["convert", "--to", "csv", "--output-dir", "r1",
                          "in/sub/../a.json"]),
            ("same output", ["convert", "--to", "csv", "--output-dir", "r1",
                             "in/a.json", "in/a.json"]),
            ("json and yaml", ["convert", "--to", "csv", "--output-dir",
                               "r1", "in/y.yaml", "in/y.json"]),
            ("own input", ["convert", "--to", "json", "--output-dir", ".",
                           "in/a.json"]),
            ("-o", ["convert", "--to", "csv", "--output-dir", "r1", "-o",
                    "x.csv", "in/a.json"]),
            ("validate", ["validate", "--output-dir", "r1", "in/a.json"]),
            ("stats", ["stats", "--output-dir", "r1", "in/a.json"]),
            ("empty", ["convert", "--to", "csv", "--output-dir", "",
                       "in/a.json"])):
        if name == "json and yaml":
            put(os.path.join(d, "in/y.json"), "yj")
        before = open(os.path.join(d, "in/a.json"), "rb").read()
        p = run(args, cwd=d)
        if name == "json and yaml":
            os.unlink(os.path.join(d, "in/y.json"))
        if p.returncode != 2 or os.path.exists(os.path.join(d, "r1")) or \
                os.path.exists(os.path.join(d, "x.csv")) or p.stdout:
            fail("%s: exit %d, or written (%r)" % (name, p.returncode,
                                                    p.stderr))
        if open(os.path.join(d, "in/a.json"), "rb").read() != before:
            fail("%s: the input was replaced" % name)

    # the output folder inside the input folder: not read next time
    for _ in range(2):
        p = run(["convert", "--to", "json", "--output-dir", "in/json",
                 "in/a.json", "in/sub"], cwd=d)
        if p.returncode != 0 or listing(os.path.join(d, "in/json")) != \
                ["in/a.json", "in/sub/b.json", "in/sub/c.json"]:
            fail("output folder inside: %s %r" %
                 (listing(os.path.join(d, "in/json")), p.stderr))
    p = run(["convert", "--to", "json", "--output-dir", "in/json", "in"],
            cwd=d)
    if any(n.startswith("in/json/") for n in
           listing(os.path.join(d, "in/json"))):
        fail("the output folder was read as input: %s" %
             listing(os.path.join(d, "in/json")))
    return d


def limit_file_size(n):
    def f():
        resource.setrlimit(resource.RLIMIT_FSIZE, (n, n))
    return f


def check_atomic(tmp):
    d = os.path.join(tmp, "at")
    os.makedirs(os.path.join(d, "in"))
    with open(os.path.join(d, "in", "big.ndjson"), "wb") as f:
        subprocess.run([GEN, "--records", "3000", "--seed", "5"], stdout=f,
                       check=True)
    put(os.path.join(d, "in", "a.json"), "a")
    put(os.path.join(d, "in", "c.json"), "c")
    out = os.path.join(d, "out")
    os.makedirs(os.path.join(out, "in"))
    old = b"the old bytes\n"
    with open(os.path.join(out, "in", "big.csv"), "wb") as f:
        f.write(old)
    p = run(["convert", "--to", "csv", "--output-dir", "out", "in"], cwd=d,
            preexec=limit_file_size(64 * 1024))
    err = p.stderr.decode()
    if p.returncode != 3 or "cannot write out/in/big.csv: File too large" \
            not in err:
        fail("ulimit -f: exit %d %r" % (p.returncode, err))
    if listing(out) != ["in/a.csv", "in/big.csv", "in/c.csv"]:
        fail("ulimit -f: left %s" % listing(out))
    big = os.path.join(out, "in", "big.csv")
    if not os.path.exists(big) or open(big, "rb").read() != old:
        fail("ulimit -f: the old output was changed")
    if "2 outputs written to out" not in err:
        fail("ulimit -f: summary %r" % err)

    # SIGTERM in the middle: no temporary file left
    with open(os.path.join(d, "in", "huge.ndjson"), "wb") as f:
        subprocess.run([GEN, "--records", "200000", "--seed", "6"], stdout=f,
                       check=True)
    proc = subprocess.Popen([BIN, "convert", "--to", "yaml", "--output-dir",
                             "sig", "in"], cwd=d, stderr=subprocess.DEVNULL)
    seen = False
    for _ in range(3000):
        if proc.poll() is not None:
            break
        sub = os.path.join(d, "sig", "in")
        if os.path.isdir(sub) and any(n.startswith(".huge") and
                                      os.path.getsize(os.path.join(sub, n))
                                      for n in os.listdir(sub)):
            seen = True
            proc.send_signal(signal.SIGTERM)
            break
        time.sleep(0.01)
    rc = proc.wait()
    if not seen:
        print("note: the run ended before it could be signalled")
    elif rc != -signal.SIGTERM:
        fail("SIGTERM: ended with %d" % rc)
    left = [n for n in listing(os.path.join(d, "sig")) if
            os.path.basename(n).startswith(".")]
    if left:
        fail("SIGTERM: temporary files left: %s" % left)


def files_under(d):
    return sorted(os.path.relpath(os.path.join(root, n), d)
                  for root, _, names in os.walk(d) for n in names)


def check_members(tmp):
    d = os.path.join(tmp, "members")
    os.makedirs(os.path.join(d, "arch"))
    src = os.path.join(SRC, "testdata", "archive", "backups.tar.gz")
    with open(src, "rb") as f:
        data = f.read()
    with open(os.path.join(d, "arch", "backups.tar.gz"), "wb") as f:
        f.write(data)
    p = run(["convert", "--to", "json", "--output-dir", "out",
             "arch/backups.tar.gz"], cwd=d)
    if p.returncode not in (0, 1):
        fail("archive --output-dir: exit %d %r" % (p.returncode,
                                                   p.stderr[-300:]))
    texts = []
    with tarfile.open(src) as t:
        for m in t.getmembers():
            if m.isfile() and m.name.endswith((".json", ".yaml")):
                texts.append(m.name)
                one = os.path.join(d, "one", m.name)
                os.makedirs(os.path.dirname(one), exist_ok=True)
                with open(one, "wb") as f:
                    f.write(t.extractfile(m).read())
    want = sorted(os.path.join("arch", "backups.tar.gz",
                               os.path.splitext(n)[0] + ".json")
                  for n in texts)
    got = files_under(os.path.join(d, "out"))
    if got != want:
        fail("archive --output-dir: wrote %s, not %s" % (got, want))
    for n in texts:
        alone = os.path.join(d, "alone.json")
        run(["convert", "--to", "json", "-o", alone, "one/" + n], cwd=d)
        out = os.path.join(d, "out", "arch", "backups.tar.gz",
                           os.path.splitext(n)[0] + ".json")
        with open(alone, "rb") as f:
            a = f.read()
        try:
            with open(out, "rb") as f:
                b = f.read()
        except OSError:
            continue  # reported above
        if a != b:
            fail("archive --output-dir: %s is not what -o of the member "
                 "alone writes" % n)

    # Member names that would leave DIR.
    e = os.path.join(d, "evil")
    os.makedirs(e)
    with open(os.path.join(FORMS, "api.json"), "rb") as f:
        body = f.read()
    with tarfile.open(os.path.join(e, "evil.tar"), "w",
                      format=tarfile.GNU_FORMAT) as t:
        for name in ("ok.json", "../evil.json", "/abs.json", "sub/../../x.json"):
            info = tarfile.TarInfo(name)
            info.size = len(body)
            t.addfile(info, io.BytesIO(body))
    before = files_under(d)
    abs_existed = os.path.exists("/abs.json")
    p = run(["convert", "--to", "json", "--output-dir", "out", "evil.tar"],
            cwd=e)
    if p.returncode != 3:
        fail("evil archive: exit %d, not 3" % p.returncode)
    err = p.stderr.decode(errors="replace")
    for name in ("../evil.json", "/abs.json", "sub/../../x.json"):
        if "evil.tar:%s" % name not in err:
            fail("evil archive: no diagnostic naming %s: %r" % (name, err))
    new = [f for f in files_under(d) if f not in before]
    if new != [os.path.join("evil", "out", "evil.tar", "ok.json")]:
        fail("evil archive: wrote %s, not only out/evil.tar/ok.json" % new)
    if not abs_existed and os.path.exists("/abs.json"):
        fail("evil archive: /abs.json was written")


def main():
    with tempfile.TemporaryDirectory() as tmp:
        check_tree(tmp)
        check_jobs(tmp)
        check_files_from(tmp)
        check_output_dir(tmp)
        check_atomic(tmp)
        check_members(tmp)
    if failures:
        print("%d failure(s)" % len(failures), file=sys.stderr)
        return 1
    print("batch: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
