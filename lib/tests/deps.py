#!/usr/bin/env python3
"""The library's files use each other in one direction only, and its
layers in the direction of the flow.

From the symbols each object file defines and uses (nm), builds the graph
of which file uses which, and fails on any cycle (two files that use each
other, or a longer circle). Prints the graph, one file per line.

The layer of a file is its folder under lib/src: common/ (what both
directions read), read/ (bytes to records) and write/ (records to bytes).
common/ uses nothing of read/ or write/, and read/ and write/ use nothing
of each other: checked on the symbols of the objects and, given the
source folder as a second argument, on every quoted #include of lib/src,
which must name a header of its own folder bare ("x.h") or one of
common/ by its folder ("common/x.h")."""
import os
import re
import subprocess
import sys

objdir = sys.argv[1]
objs = sorted(os.path.join(r, f) for r, _, fs in os.walk(objdir)
              for f in fs if f.endswith(".o"))
if not objs:
    print(f"no object files under {objdir}")
    sys.exit(1)


def symbols(path):
    out = subprocess.run(["nm", path], check=True, capture_output=True,
                         text=True).stdout
    defined, used = set(), set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == "U":
            used.add(parts[1])
        elif len(parts) == 3 and parts[1] in "TDBRC":
            defined.add(parts[2])
    return defined, used


name = {o: os.path.basename(o).split(".")[0] for o in objs}
layer = {name[o]: os.path.basename(os.path.dirname(o)) for o in objs}
ALLOWED = {"common": {"common"}, "read": {"common", "read"},
           "write": {"common", "write"}}
wrong = []
info = {o: symbols(o) for o in objs}
owner = {}
for o, (defined, _) in info.items():
    for s in defined:
        owner[s] = name[o]
graph = {name[o]: sorted({owner[s] for s in used if s in owner} - {name[o]})
         for o, (_, used) in info.items()}
for f in sorted(graph):
    print(f"{layer[f]}/{f} -> {', '.join(graph[f]) or '(nothing)'}")
    if layer[f] not in ALLOWED:
        wrong.append(f"{f}: not in a layer folder ({layer[f]})")
        continue
    for g in graph[f]:
        if layer[g] not in ALLOWED[layer[f]]:
            wrong.append(f"{layer[f]}/{f} uses {layer[g]}/{g}")

if len(sys.argv) > 2:
    src = sys.argv[2]
    for d in sorted(os.listdir(src)):
        if not os.path.isdir(os.path.join(src, d)):
            continue
        for f in sorted(os.listdir(os.path.join(src, d))):
            path = os.path.join(src, d, f)
            with open(path, encoding="utf-8") as fh:
                for n, line in enumerate(fh, 1):
                    m = re.match(r'\s*#\s*include\s+"([^"]+)"', line)
                    if not m:
                        continue
                    inc = m.group(1)
                    if "/" not in inc:
                        ok = os.path.exists(os.path.join(src, d, inc))
                    else:
                        top, rest = inc.split("/", 1)
                        ok = (top != d and top in ALLOWED.get(d, ())
                              and "/" not in rest and
                              os.path.exists(os.path.join(src, inc)))
                    if not ok:
                        wrong.append(f"{d}/{f}:{n}: #include \"{inc}\"")
if wrong:
    for w in wrong:
        print("layer rule broken: " + w)
    sys.exit(1)

state, cycles = {}, []


def visit(f, stack):
    state[f] = 1
    stack.append(f)
    for g in graph[f]:
        if state.get(g) == 1:
            cycles.append(stack[stack.index(g):] + [g])
        elif g not in state:
            visit(g, stack)
    stack.pop()
    state[f] = 2


for f in sorted(graph):
    if f not in state:
        visit(f, [])
if cycles:
    for c in cycles:
        print("cycle: " + " -> ".join(c))
    sys.exit(1)
print(f"{len(graph)} files, no cycle")
