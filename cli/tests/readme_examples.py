#!/usr/bin/env python3
"""Runs every ```sh example of README.md, so that the examples stay true.

Each block runs with bash in a temporary folder that holds what the
examples name, made from testdata: archive/*.json and saved/*.json (valid
responses), x.json, evil.json (the formula guard's example),
archive.ndjson and big.ndjson, snapshots/ (the 30 daily list pages of
testdata/series/snapshots, for the audit workflow) and testdata itself;
nfbackup is the program under test, first in PATH.

- A block with lines that start with "$ " is a transcript: each command
  runs and what it prints on stdout (on stderr when stdout is empty) must
  be the lines shown after it. A line "..." or a comment "# (...)" among
  them stands for any number of lines.
- Any other block is a script: it must exit 0.

Comment lines right before a block's opening fence change that:
  <!-- examples-test: skip (REASON) -->   not run (network, installs, ...)
  <!-- examples-test: needs TOOL -->      skipped when TOOL is not installed
  <!-- examples-test: prints "TEXT" -->   its output must contain TEXT
  <!-- examples-test: with-invalid prints "TEXT" -->
      run again with an invalid response added to archive/ and saved/; its
      output must then contain TEXT

usage: readme_examples.py NFBACKUP SOURCE_DIR"""

import os
import re
import shutil
import subprocess
import sys
import tempfile

import optional  # script folder, first on sys.path

BIN, SRC = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
FORMS = os.path.join(SRC, "testdata", "forms")
MARK = re.compile(r"^<!-- examples-test: (.*) -->$")
failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL:", msg, file=sys.stderr)


def blocks(text):
    """(line number, markers, lines) of each ```sh block."""
    lines = text.split("\n")
    out = []
    i = 0
    while i < len(lines):
        if lines[i] == "```sh":
            marks = []
            j = i - 1
            while j >= 0 and MARK.match(lines[j]):
                marks.insert(0, MARK.match(lines[j]).group(1))
                j -= 1
            end = lines.index("```", i + 1)
            out.append((i + 1, marks, lines[i + 1:end]))
            i = end
        i += 1
    return out


def setup(tmp, invalid=False):
    os.mkdir(os.path.join(tmp, "bin"))
    os.symlink(BIN, os.path.join(tmp, "bin", "nfbackup"))
    os.symlink(os.path.join(SRC, "testdata"), os.path.join(tmp, "testdata"))
    os.symlink(os.path.join(SRC, "testdata", "series", "snapshots"),
               os.path.join(tmp, "snapshots"))
    for d in ("archive", "saved"):
        os.mkdir(os.path.join(tmp, d))
        for f in ("api.json", "list-page.json", "cli.json"):
            shutil.copy(os.path.join(FORMS, f), os.path.join(tmp, d, f))
        if invalid:
            shutil.copy(os.path.join(FORMS, "api-error.json"),
                        os.path.join(tmp, d, "z-error.json"))
    shutil.copy(os.path.join(FORMS, "api.json"), os.path.join(tmp, "x.json"))
    for f in ("archive.ndjson", "big.ndjson"):
        shutil.copy(os.path.join(FORMS, "stream.ndjson"),
                    os.path.join(tmp, f))
    with open(os.path.join(tmp, "evil.json"), "w") as f:
        f.write('{"id":"=HYPERLINK(\\"http://evil\\",\\"x\\")","name":"-2+3",'
                '"status":"failed","createdAt":"2021-01-20T11:19:53Z",'
                '"config":{"size":"1"}}\n')


def shell(tmp, script):
    env = dict(os.environ, LC_ALL="C", PATH=os.path.join(tmp, "bin") + ":" +
               os.environ.get("PATH", ""))
    env.pop("NO_COLOR", None)
    return subprocess.run(["bash", "-c", script], cwd=tmp, env=env,
                          capture_output=True, stdin=subprocess.DEVNULL,
                          timeout=300)


def shown_regex(shown):
    parts = []
    for line in shown:
        if line == "..." or re.match(r"^# \(.*\)$", line):
            parts.append(r"(?:[^\n]*\n)*?")
        else:
            parts.append(re.escape(line) + r"\n")
    return re.compile("".join(parts) + r"\Z")


def transcript(where, tmp, lines):
    cmds = []
    for line in lines:
        if line.startswith("$ "):
            cmds.append([line[2:], []])
        elif cmds and cmds[-1][0].endswith("\\") and not cmds[-1][1]:
            cmds[-1][0] += "\n" + line
        elif cmds:
            cmds[-1][1].append(line)
    for cmd, shown in cmds:
        p = shell(tmp, cmd)
        got = (p.stdout or p.stderr).decode()
        if not shown_regex(shown).match(got):
            fail("README.md:%d: $ %s\n--- shown:\n%s\n--- printed:\n%s" %
                 (where, cmd, "\n".join(shown), got))


def script(where, tmp, lines, marks):
    text = "\n".join(lines) + "\n"
    p = shell(tmp, text)
    out = (p.stdout + p.stderr).decode()
    if p.returncode != 0:
        fail("README.md:%d: exit %d:\n%s\n--- printed:\n%s" %
             (where, p.returncode, text, out[-2000:]))
    for m in marks:
        want = re.match(r'^prints "(.*)"$', m)
        if want and want.group(1) not in out:
            fail("README.md:%d: does not print %r: %r" %
                 (where, want.group(1), out[-500:]))
        want = re.match(r'^with-invalid prints "(.*)"$', m)
        if want:
            with tempfile.TemporaryDirectory() as bad:
                setup(bad, invalid=True)
                p = shell(bad, text)
                out = (p.stdout + p.stderr).decode()
                if want.group(1) not in out:
                    fail("README.md:%d: with an invalid input, does not "
                         "print %r: %r" % (where, want.group(1), out[-500:]))


def main():
    with open(os.path.join(SRC, "README.md"), encoding="utf-8") as f:
        text = f.read()
    ran = skipped = 0
    for where, marks, lines in blocks(text):
        if any(m.startswith("skip") for m in marks):
            skipped += 1
            continue
        needs = [m.split()[1] for m in marks if m.startswith("needs ")]
        if any(shutil.which(t) is None for t in needs):
            optional.missing("README.md:%d" % where, "%s not installed "
                             "(scripts/install-deps)" % ", ".join(needs))
            skipped += 1
            continue
        unknown = [m for m in marks if not re.match(
            r'^(skip \(.+\)|needs \S+|(with-invalid )?prints ".*")$', m)]
        if unknown:
            fail("README.md:%d: unknown marker %r" % (where, unknown))
            continue
        with tempfile.TemporaryDirectory() as tmp:
            setup(tmp)
            if any(line.startswith("$ ") for line in lines):
                transcript(where, tmp, lines)
            else:
                script(where, tmp, lines, marks)
        ran += 1
    if ran == 0:
        fail("no example found in README.md")
    if failures:
        print("%d failure(s)" % len(failures), file=sys.stderr)
        return 1
    print("README.md: %d sh examples run, %d skipped (marked)" %
          (ran, skipped))
    return optional.status(False)


if __name__ == "__main__":
    sys.exit(main())
