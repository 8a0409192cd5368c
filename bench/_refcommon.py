"""Shared input reading for the bench/ref_*.py reference converters.

Reads the forms bench/gen writes (one {"data": BACKUP} per line, or a
list page {"data": {"backups": [...]}}), plus bare records, from a file
argument or stdin, and yields the backup objects. Standard library only.
"""

import json
import sys


def _backups(doc):
    data = doc.get("data", doc) if isinstance(doc, dict) else doc
    if isinstance(data, dict) and isinstance(data.get("backups"), list):
        yield from data["backups"]
    elif isinstance(data, list):
        yield from data
    else:
        yield data


def records(argv):
    """Backup objects from argv[1] (or stdin if absent or "-")."""
    path = argv[1] if len(argv) > 1 and argv[1] != "-" else None
    f = open(path, "rb") if path else sys.stdin.buffer
    loads = json.loads
    for line in f:
        if line.strip():
            yield from _backups(loads(line))
