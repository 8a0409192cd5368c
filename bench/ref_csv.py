#!/usr/bin/env python3
"""Reference for `nfbackup convert --to csv`: Python's json + csv modules.

Same columns as nfbackup's CSV writer (header of dotted names, absent
values empty, config.additionalDestinations as one cell of compact JSON).
Usage: ref_csv.py [FILE] > out.csv
"""

import csv
import json
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _refcommon import records  # noqa: E402

# Pinned on purpose: this reference writer is a second implementation
# of the csv output (`nfbackup columns` is the program's list).
COLUMNS = ["id", "name", "status", "createdAt", "completedAt",
           "config.source.type", "config.size", "config.addonVersion",
           "config.compressionType", "config.additionalDestinations",
           "customDestinationId", "lastRestore.restoreTimestamp",
           "lastRestore.status", "lastRestore.completedAt"]


def main():
    out = open(sys.stdout.fileno(), "w", encoding="utf-8", newline="",
               buffering=1 << 20, closefd=False)
    w = csv.writer(out, lineterminator="\n")
    w.writerow(COLUMNS)
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    row = w.writerow
    empty = {}
    for r in records(sys.argv):
        c = r.get("config") or empty
        lr = r.get("lastRestore") or empty
        dests = c.get("additionalDestinations")
        row((r.get("id"), r.get("name"), r.get("status"), r.get("createdAt"),
             r.get("completedAt"), (c.get("source") or empty).get("type"),
             c.get("size"), c.get("addonVersion"), c.get("compressionType"),
             dumps(dests) if dests is not None else None,
             r.get("customDestinationId"), lr.get("restoreTimestamp"),
             lr.get("status"), lr.get("completedAt")))
    out.flush()


if __name__ == "__main__":
    main()
