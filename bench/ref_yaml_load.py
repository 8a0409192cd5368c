#!/usr/bin/env python3
"""Reference for reading YAML input: PyYAML's load_all with CSafeLoader.

Reads a stream of YAML documents (what `nfbackup convert --to yaml`
writes: one block-style record per --- document) with libyaml's parser
and PyYAML's safe constructor, as a Python program would, and prints the
number of records read. Usage: ref_yaml_load.py [FILE]
"""

import sys

import yaml


def main():
    try:
        loader = yaml.CSafeLoader
    except AttributeError:
        sys.exit("ref_yaml_load.py: PyYAML was built without libyaml "
                 "(no CSafeLoader)")
    path = sys.argv[1] if len(sys.argv) > 1 and sys.argv[1] != "-" else None
    f = open(path, "rb") if path else sys.stdin.buffer
    n = 0
    for doc in yaml.load_all(f, Loader=loader):
        if isinstance(doc, dict):
            n += 1
    print(n)


if __name__ == "__main__":
    main()
