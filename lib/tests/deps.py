#!/usr/bin/env python3
"""The library's files use each other in one direction only: from the
symbols each object file defines and uses (nm), builds the graph of which
file uses which, and fails on any cycle (two files that use each other, or
a longer circle). Prints the graph, one file per line."""
import os
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
info = {o: symbols(o) for o in objs}
owner = {}
for o, (defined, _) in info.items():
    for s in defined:
        owner[s] = name[o]
graph = {name[o]: sorted({owner[s] for s in used if s in owner} - {name[o]})
         for o, (_, used) in info.items()}
for f in sorted(graph):
    print(f"{f} -> {', '.join(graph[f]) or '(nothing)'}")

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
