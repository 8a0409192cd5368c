#!/usr/bin/env python3
"""The program is the one source of its lists: formats, columns, statuses
and source types. This test fails when a copy drifts from what it prints:

- `formats --names` is the first word of each line of `formats`;
- the usage errors of --status, --source-type and --columns list the same
  names as `statuses`, `source-types` (and none) and `columns`;
- every list that README.md and the man page's source mark, between
  `<!-- list: NAME -->` and `<!-- end list -->` (README) or `; list: NAME`
  and `; end list` (scdoc comments), is the program's list, in its order;
  the man page marks each of them;
- the completions hold no copy of a list (they ask the program).

usage: lists_test.py NFBACKUP SOURCE_DIR"""

import os
import re
import subprocess
import sys

BIN, SRC = sys.argv[1], sys.argv[2]
failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL:", msg)


def run(*args):
    p = subprocess.run([BIN, *args], capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


def lines_of(*args):
    rc, out, err = run(*args)
    if rc != 0:
        fail(f"nfbackup {' '.join(args)}: exit {rc}: {err.strip()}")
    return out.splitlines()


LISTS = {
    "formats": lines_of("formats", "--names"),
    "columns": lines_of("columns"),
    "statuses": lines_of("statuses"),
    "source-types": lines_of("source-types"),
}
for name, items in LISTS.items():
    if not items:
        fail(f"nfbackup {name} prints nothing")

described = [line.split()[0] for line in lines_of("formats") if line.split()]
if described != LISTS["formats"]:
    fail(f"formats names {described}, formats --names {LISTS['formats']}")

# The names a usage error lists after "NAMES: ".
for option, name, extra in (("--status", "statuses", []),
                            ("--source-type", "source-types", ["none"]),
                            ("--columns", "columns", [])):
    rc, _, err = run("convert", "--to", "csv", option, "not-a-name",
                     os.devnull)
    m = re.search(r"; [a-z ]+: (.*)", err)
    got = re.split(r"[,\s]+", m.group(1).strip()) if m else []
    if rc != 2 or got != LISTS[name] + extra:
        fail(f"{option} not-a-name: exit {rc}, lists {got}, "
             f"expected {LISTS[name] + extra}")


def marked(path, begin, end, item):
    """(line, name, items) of each list marked in the file at path."""
    out = []
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    i = 0
    while i < len(lines):
        m = begin.match(lines[i])
        if not m:
            i += 1
            continue
        j = i + 1
        while j < len(lines) and not end.match(lines[j]):
            j += 1
        if j == len(lines):
            fail(f"{path}:{i + 1}: list {m.group(1)} has no end")
        body = [x for x in lines[i + 1:j] if not x.startswith("```")]
        out.append((i + 1, m.group(1), item(body)))
        i = j + 1
    return out


def readme_items(body):
    text = " ".join(body)
    spans = re.findall(r"`([^`]+)`", text)
    return spans if spans else [w for w in re.split(r"[,\s]+", text) if w]


def man_items(body):
    return re.findall(r"\*([^*\s]+)\*", " ".join(body))


readme = os.path.join(SRC, "README.md")
page = os.path.join(SRC, "cli", "nfbackup.1.scd")
found = {
    readme: marked(readme, re.compile(r"^<!-- list: ([a-z-]+) -->$"),
                   re.compile(r"^<!-- end list -->$"), readme_items),
    page: marked(page, re.compile(r"^; list: ([a-z-]+)$"),
                 re.compile(r"^; end list$"), man_items),
}
for path, lists in found.items():
    for line, name, items in lists:
        where = f"{os.path.relpath(path, SRC)}:{line}"
        if name not in LISTS:
            fail(f"{where}: no list named {name}")
        elif items != LISTS[name]:
            missing = [x for x in LISTS[name] if x not in items]
            extra = [x for x in items if x not in LISTS[name]]
            fail(f"{where}: list {name} is {items}, nfbackup {name} prints "
                 f"{LISTS[name]} (missing {missing}, extra {extra})")
for name in ("columns", "statuses", "source-types"):
    if not any(n == name for _, n, _ in found[page]):
        fail(f"the man page marks no list {name}")

# The completions ask the program: a name of a list in them is a copy
# (formats are also words of --to's and --from's own values, so only the
# lists whose names are theirs alone are looked for).
for comp in ("nfbackup.bash", "_nfbackup"):
    path = os.path.join(SRC, "cli", "completion", comp)
    with open(path, encoding="utf-8") as f:
        text = f.read()
    for name in ("columns", "statuses", "source-types"):
        for item in LISTS[name]:
            if item in ("id", "name", "status"):
                continue  # words of the completion's own text
            if re.search(r"(?<![\w.-])" + re.escape(item) + r"(?![\w.-])",
                         text):
                fail(f"cli/completion/{comp} holds {item}, a copy of "
                     f"nfbackup {name}'s list")

if failures:
    sys.exit(1)
print("ok: " + ", ".join(f"{len(v)} {k}" for k, v in LISTS.items()) +
      f"; {sum(len(v) for v in found.values())} marked lists")
