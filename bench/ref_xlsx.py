#!/usr/bin/env python3
"""Reference for `nfbackup convert --to xlsx -o F`: openpyxl, write-only.

Writes the rows nfbackup's xlsx writer writes, with the same cell types:
a bold header row of the dotted column names, frozen; strings as text;
config.size as a number up to 999999999999999 and as text above;
createdAt, completedAt and the lastRestore times as date-time cells in UTC
with milliseconds shown; config.additionalDestinations as its compact JSON
text; control characters, which XML cannot hold, as Excel's _xHHHH_
escapes (openpyxl refuses them). openpyxl's write-only mode streams the rows (constant memory).
Not mirrored: the column widths and the autofilter (a write-only sheet
takes them before the rows), and a second sheet past 1,048,576 rows.
Usage: ref_xlsx.py FILE OUT.xlsx
"""

import json
import os
import re
import sys
from datetime import datetime, timezone

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _refcommon import records  # noqa: E402
from ref_csv import COLUMNS  # noqa: E402

MAX_EXACT_SIZE = 999999999999999
DATE_FORMAT = "yyyy-mm-dd hh:mm:ss.000"
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _escape(m):
    return "_x%04X_" % ord(m.group())


def text(s):
    """A free-text value as a cell can hold it."""
    if s is not None and CONTROL.search(s):
        return CONTROL.sub(_escape, s)
    return s


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: ref_xlsx.py FILE OUT.xlsx")
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("backups")
    ws.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for name in COLUMNS:
        c = WriteOnlyCell(ws, value=name)
        c.font = bold
        header.append(c)
    ws.append(header)

    utc = timezone.utc
    parse = datetime.fromisoformat

    def when(text):
        if text is None:
            return None
        try:
            t = parse(text)
        except ValueError:  # a lower-case t or z
            t = parse(text.upper())
        c = WriteOnlyCell(ws, value=t.astimezone(utc).replace(tzinfo=None))
        c.number_format = DATE_FORMAT
        return c

    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    empty = {}
    append = ws.append
    for r in records(sys.argv[:2]):
        c = r.get("config") or empty
        lr = r.get("lastRestore") or empty
        size = c.get("size")
        if size is not None and int(size) <= MAX_EXACT_SIZE:
            size = int(size)
        dests = c.get("additionalDestinations")
        append((text(r.get("id")), text(r.get("name")), r.get("status"),
                when(r.get("createdAt")), when(r.get("completedAt")),
                (c.get("source") or empty).get("type"), size,
                text(c.get("addonVersion")), c.get("compressionType"),
                text(dumps(dests)) if dests is not None else None,
                text(r.get("customDestinationId")), when(lr.get("restoreTimestamp")),
                lr.get("status"), when(lr.get("completedAt"))))
    wb.save(sys.argv[2])


if __name__ == "__main__":
    main()
