#!/usr/bin/env python3
"""libxlsxwriter (and what it brings: minizip, libcrypto) is loaded only
when an xlsx workbook is written: a run that validates, or writes JSON,
YAML or CSV, never maps it, nor libarchive's archives read to CSV; a run
that writes xlsx loads it and writes the workbook, also from an archive's
members (libarchive and libxlsxwriter both loaded on first use in one
process). When the library cannot be loaded, --to xlsx fails with exit 3
and a message naming it, and leaves no output file.

usage: lazy_libxlsxwriter.py NFBACKUP SOURCE_DIR SONAME"""

import os
import re
import subprocess
import sys
import tempfile
import zipfile

BIN, SRC, SONAME = sys.argv[1], sys.argv[2], sys.argv[3]
failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL:", msg, file=sys.stderr)


def loaded(args, env=None):
    """The run's exit status and the shared libraries whose initializers
    the dynamic loader called (its own account, LD_DEBUG=libs)."""
    e = dict(os.environ if env is None else env, LD_DEBUG="libs")
    p = subprocess.run([BIN] + args, capture_output=True, env=e)
    found = re.findall(rb"calling init: (\S+)", p.stderr)
    return p.returncode, {os.path.basename(m).decode() for m in found}


def has(libs, prefix):
    return any(l.startswith(prefix) for l in libs)


def rows(path):
    """Rows of the workbook's first sheet, or None when it is no workbook."""
    try:
        with zipfile.ZipFile(path) as z:
            xml = z.read("xl/worksheets/sheet1.xml").decode()
    except (OSError, KeyError, zipfile.BadZipFile):
        return None
    return xml.count("<row ")


def records_csv(path):
    p = subprocess.run([BIN, "convert", "--to", "csv", "--columns", "id",
                        path], capture_output=True)
    return len(p.stdout.splitlines()) - 1


api = os.path.join(SRC, "testdata", "forms", "api.json")
tar = os.path.join(SRC, "testdata", "archive", "backups.tar.gz")
zst = os.path.join(SRC, "testdata", "archive", "2025-01-01.json.zst")

# No workbook written: neither libxlsxwriter nor what it links is mapped.
for args in (["validate", "-q", api], ["validate", "-q", zst],
             ["convert", "--to", "json", api], ["convert", "--to", "yaml", api],
             ["convert", "--to", "csv", api], ["stats", api],
             ["convert", "--to", "csv", tar]):
    _, libs = loaded(args)
    for lib in ("libxlsxwriter.so", "libminizip.so"):
        if has(libs, lib):
            fail("%s loaded by %s" % (lib, " ".join(args[:3])))

with tempfile.TemporaryDirectory() as tmp:
    # A workbook: the library loaded, the record written.
    out = os.path.join(tmp, "api.xlsx")
    rc, libs = loaded(["convert", "--to", "xlsx", "-o", out, api])
    if rc != 0 or not has(libs, "libxlsxwriter.so"):
        fail("convert --to xlsx: exit %d, libxlsxwriter loaded: %s" %
             (rc, has(libs, "libxlsxwriter.so")))
    if rows(out) != 2:
        fail("convert --to xlsx wrote %s rows, not a header and 1 record" %
             rows(out))

    # An archive's members to a workbook: both libraries loaded on first
    # use in the same process, every valid member's record written.
    out = os.path.join(tmp, "tar.xlsx")
    rc, libs = loaded(["convert", "--to", "xlsx", "-o", out, tar])
    if not has(libs, "libarchive.so") or not has(libs, "libxlsxwriter.so"):
        fail("archive to xlsx: libarchive and libxlsxwriter not both loaded")
    want = records_csv(tar)
    if want < 1 or rows(out) != want + 1:
        fail("archive to xlsx: %s rows, not a header and %d records" %
             (rows(out), want))

    # libxlsxwriter that cannot be loaded (a file of its soname that is no
    # library, found first): an I/O error naming it, no output file.
    fake = os.path.join(tmp, "lib")
    os.mkdir(fake)
    open(os.path.join(fake, SONAME), "wb").close()
    env = dict(os.environ, LD_LIBRARY_PATH=fake)
    out = os.path.join(tmp, "none.xlsx")
    p = subprocess.run([BIN, "convert", "--to", "xlsx", "-o", out, api],
                       capture_output=True, env=env)
    if p.returncode != 3 or b"cannot load libxlsxwriter" not in p.stderr:
        fail("xlsx without libxlsxwriter: exit %d, %r" %
             (p.returncode, p.stderr[-300:]))
    if os.path.exists(out) or sorted(os.listdir(tmp)) != [
            "api.xlsx", "lib", "tar.xlsx"]:
        fail("xlsx without libxlsxwriter left files: %s" % os.listdir(tmp))
    # The other formats do not need it.
    p = subprocess.run([BIN, "convert", "--to", "csv", api],
                       capture_output=True, env=env)
    if p.returncode != 0 or not p.stdout:
        fail("csv with an unloadable libxlsxwriter: exit %d" % p.returncode)

if failures:
    sys.exit(1)
print("lazy libxlsxwriter: ok")
