#!/usr/bin/env python3
"""Options against commands and formats: every option of --help, given to
every command and output format (validate, stats, stats --to json, convert
--to json|yaml|csv|tsv|xlsx), is accepted where it applies (exit 0 on a
valid input) and refused where it does not (exit 2, nothing written, a
message that names the option and says what it is for). The table below is
what the documentation says, kept apart from the program's own table.

Also: -o "" is a usage error before any input is read; getopt's messages
say "nfbackup:" like every other message, whatever path the program was run
by; --status and --source-type take blanks after commas and names in any
case; the summary of validate has the same punctuation with and without
diagnostics.

usage: options_test.py NFBACKUP SOURCE_DIR"""

import os
import re
import subprocess
import sys
import tempfile

BIN, SRC = sys.argv[1], sys.argv[2]
FORMS = os.path.join(SRC, "testdata", "forms")
API = os.path.join(FORMS, "api.json")

VALIDATE, STATS, STATS_JSON = "validate", "stats", "stats --to json"
# Every format the program has (the TABLE below says where each option
# applies: a new format is refused every format's options until it says).
CONVERT = subprocess.run([BIN, "formats", "--names"], capture_output=True,
                         text=True, check=True).stdout.split()
EVERY = [VALIDATE, STATS, STATS_JSON] + CONVERT
ANY_CONVERT = set(CONVERT)
STATS_BOTH = {STATS, STATS_JSON}

# option, its argument (None: takes none), where it applies.
TABLE = [
    ("--to", None, None),  # part of each command line below
    ("--output", None, None),  # likewise, checked on its own
    ("--output-dir", "{tmp}/od", ANY_CONVERT),
    ("--files-from", "/dev/null", set(EVERY)),
    ("--null", ["--files-from", "/dev/null"], set(EVERY)),
    ("--pretty", None, {"json"}),
    ("--envelope", None, {"json", "yaml"}),
    ("--array", None, {"json", "yaml"}),
    ("--columns", "id,name", {"csv", "tsv", "xlsx"}),
    ("--no-header", None, {"csv", "tsv"}),
    ("--crlf", None, {"csv", "tsv"}),
    ("--no-formula-guard", None, {"csv", "tsv"}),
    ("--bom", None, {"csv", "tsv"}),
    ("--status", "completed", ANY_CONVERT | STATS_BOTH),
    ("--source-type", "snapshot", ANY_CONVERT | STATS_BOTH),
    ("--since", "2020-01-01", ANY_CONVERT | STATS_BOTH),
    ("--until", "2030-01-01", ANY_CONVERT | STATS_BOTH),
    ("--unique", None, ANY_CONVERT | STATS_BOTH),
    ("--from", "json", set(EVERY)),
    ("--strict", None, set(EVERY)),
    ("--diagnostics", "text", set(EVERY)),
    ("--color", "never", set(EVERY)),
    ("--quiet", None, set(EVERY)),
    ("--progress", None, set(EVERY)),
    ("--no-progress", None, set(EVERY)),
    ("--max-depth", "64", set(EVERY)),
    ("--max-string", "2M", set(EVERY)),
    ("--max-record", "8M", set(EVERY)),
    ("--max-diagnostics", "10", set(EVERY)),
    ("--jobs", "2", set(EVERY)),
    ("--help", None, None),  # end the run at once, anywhere
    ("--version", None, None),
]

failures = []
runs = 0


def fail(msg):
    failures.append(msg)
    if len(failures) <= 30:
        print("FAIL:", msg, file=sys.stderr)


def run(args, data=None):
    global runs
    runs += 1
    return subprocess.run([BIN] + args, capture_output=True, input=data,
                          timeout=60)


def command(target, tmp):
    if target == VALIDATE:
        return ["validate"]
    if target == STATS:
        return ["stats"]
    if target == STATS_JSON:
        return ["stats", "--to", "json"]
    cmd = ["convert", "--to", target]
    if target == "xlsx":
        # written in place, with no fsync: the runs stay quick
        cmd += ["-o", os.devnull]
    return cmd


def expect_refused(name, args, option, tmp_out=None):
    p = run(args)
    err = p.stderr.decode()
    if p.returncode != 2:
        fail("%s: exit %d, not 2 (%s)" % (name, p.returncode, err.strip()))
    elif p.stdout:
        fail("%s: wrote %r" % (name, p.stdout[:40]))
    elif option not in err or "not for" not in err or \
            not err.startswith("nfbackup: "):
        fail("%s: the message does not name %s: %r" % (name, option, err))
    if tmp_out and os.path.exists(tmp_out):
        fail("%s: wrote %s" % (name, tmp_out))
        os.unlink(tmp_out)


def check_table(tmp):
    # Every option --help lists has its row, and every format its column.
    helptext = run(["--help"]).stdout.decode()
    listed = set(re.findall(r"^\s+(?:-\w, )?(--[a-z-]+)", helptext, re.M))
    rows = {r[0] for r in TABLE}
    for opt in sorted(listed - rows):
        fail("--help lists %s, which this test's table lacks" % opt)
    for opt in sorted(rows - listed):
        fail("the table has %s, which --help does not list" % opt)
    formats = [line.split()[0] for line in
               run(["formats"]).stdout.decode().splitlines()]
    if formats != CONVERT:
        fail("nfbackup formats lists %s, the table %s" % (formats, CONVERT))

    accepted = refused = 0
    for opt, arg, where in TABLE:
        if where is None:
            continue
        for target in EVERY:
            if isinstance(arg, list):
                extra = [opt] + arg
            else:
                extra = [opt] + ([arg.format(tmp=tmp)] if arg is not None
                                 else [])
            args = command(target, tmp) + extra + [API]
            if opt == "--output-dir" and "-o" in args:  # xlsx
                del args[args.index("-o"):args.index("-o") + 2]
            name = "%s %s" % (target, " ".join(extra))
            if target in where:
                accepted += 1
                p = run(args)
                if p.returncode != 0:
                    fail("%s: exit %d, not 0: %s" %
                         (name, p.returncode, p.stderr.decode()[-300:]))
            else:
                refused += 1
                expect_refused(name, args, opt)
    # --to and -o: for convert and stats, not validate.
    out = os.path.join(tmp, "validate.out")
    expect_refused("validate --to json", ["validate", "--to", "json", API],
                   "--to")
    expect_refused("validate -o", ["validate", "-o", out, API], "--output",
                   out)
    for target in EVERY[1:]:
        out = os.path.join(tmp, "out.file")
        cmd = command(target, tmp)
        if target != "xlsx":
            cmd += ["-o", out]
        p = run(cmd + [API])
        accepted += 1
        if p.returncode != 0:
            fail("%s -o: exit %d" % (target, p.returncode))
    return accepted, refused


def check_empty_output(tmp):
    # A usage error before anything is read: a missing input would be
    # reported (exit 3) if it were.
    missing = os.path.join(tmp, "no-such-input.json")
    for target in EVERY[1:]:
        cmd = [a for a in command(target, tmp)]
        if "-o" in cmd:
            cmd = cmd[:cmd.index("-o")]
        for spelling in (["-o", ""], ["--output="], ["--output", ""]):
            p = run(cmd + spelling + [missing])
            err = p.stderr.decode()
            if p.returncode != 2 or "no-such-input" in err or \
                    "empty" not in err:
                fail("%s %s '': exit %d, %r" % (target, spelling[0],
                                                p.returncode, err))


def check_getopt_messages():
    for args, what in ((["convert", "--bogus"], "--bogus"),
                       (["validate", "-Z"], "Z"),
                       (["convert", "--to"], "--to"),
                       (["convert", "--to", "json", "-o"], "o"),
                       (["validate", "--co", "x"], "--co"),
                       (["validate", "--strict=yes"], "--strict")):
        p = run(args)
        err = p.stderr.decode()
        lines = err.splitlines()
        if p.returncode != 2 or not lines or \
                not lines[0].startswith("nfbackup: ") or what not in lines[0] \
                or BIN in err or os.path.basename(BIN) + ":" in err.replace(
                    "nfbackup:", ""):
            fail("%s: %r (exit %d)" % (args, err, p.returncode))


def check_lists():
    data = os.path.join(SRC, "testdata", "cases", "stats-text",
                        "backups.ndjson")
    for canonical, variants in (
            (["--status", "failed,aborted"],
             [["--status", "failed, aborted"], ["--status", "FAILED,Aborted"],
              ["--status", " failed ,  aborted"], ["--status", "failed",
                                                   "--status", "ABORTED"]]),
            (["--status", "in-progress"], [["--status", "IN-PROGRESS"]]),
            (["--source-type", "snapshot,none"],
             [["--source-type", "snapshot, none"],
              ["--source-type", "SNAPSHOT,None"]])):
        want = run(["stats", "--to", "json"] + canonical + [data])
        if want.returncode != 1 or b'"records"' not in want.stdout:
            fail("%s: exit %d" % (canonical, want.returncode))
        for v in variants:
            got = run(["stats", "--to", "json"] + v + [data])
            if (got.returncode, got.stdout) != (want.returncode, want.stdout):
                fail("%s: exit %d %r, not as %s" %
                     (v, got.returncode, got.stderr, canonical))
    for bad in ("failed,,aborted", "done", "failed, "):
        p = run(["stats", "--status", bad, data])
        if p.returncode != 2:
            fail("--status %r: exit %d" % (bad, p.returncode))


SUMMARY = re.compile(r"^nfbackup: \d+ records? valid in \d+ documents?; "
                     r"\d+ errors?(: [^;]+)?; \d+ warnings?(: [^;]+)?$")


def check_summary(tmp):
    lint = os.path.join(tmp, "lint.json")
    with open(lint, "w") as f:
        f.write('{"id":"a","name":"n","status":"completed",'
                '"createdAt":"2021-01-20T11:19:53Z","config":{"size":"1"}}\n')
    for name, inputs in (("clean", [API]), ("warnings", [lint]),
                         ("errors", [os.path.join(FORMS, "api-error.json")]),
                         ("both", [lint, os.path.join(FORMS, "api-error.json")]),
                         ("nothing", [os.path.join(FORMS,
                                                   "cli-quiet-stdout.json")])):
        p = run(["validate"] + inputs)
        last = p.stderr.decode().splitlines()[-1:]
        if not last or not SUMMARY.match(last[0]):
            fail("summary (%s): %r" % (name, last))


def main():
    with tempfile.TemporaryDirectory() as tmp:
        accepted, refused = check_table(tmp)
        check_empty_output(tmp)
    check_getopt_messages()
    check_lists()
    with tempfile.TemporaryDirectory() as tmp:
        check_summary(tmp)
    if failures:
        print("%d failure(s)" % len(failures), file=sys.stderr)
        return 1
    print("options: %d combinations accepted, %d refused (%d runs)" %
          (accepted, refused, runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
