#!/usr/bin/env python3
"""Reference for `nfbackup convert --to json`: Python's json module.

Reads NDJSON envelopes (or a list page) and writes each backup as one
line of compact JSON, UTF-8 kept as is. Usage: ref_json.py [FILE] > out
"""

import json
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _refcommon import records  # noqa: E402


def main():
    out = open(sys.stdout.fileno(), "w", encoding="utf-8", buffering=1 << 20,
               closefd=False)
    enc = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    w = out.write
    for rec in records(sys.argv):
        w(enc(rec))
        w("\n")
    out.flush()


if __name__ == "__main__":
    main()
