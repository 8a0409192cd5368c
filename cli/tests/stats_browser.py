#!/usr/bin/env python3
"""stats --to html in a real browser: headless Chromium loads a generated
report; the DOM it built must hold the figures of stats --to json and no
script (the page has none, so what is shown is what a browser with
JavaScript off shows: this Chromium's headless mode makes no DOM dump or
screenshot with scripts disabled by --blink-settings), and its screenshot
must show the charts (many distinct colours, not a blank page). Exits 77
(skipped) when Chromium is missing.

usage: stats_browser.py NFBACKUP GEN [SCREENSHOT]
GEN is bench/gen; SCREENSHOT, when given, keeps the PNG there."""
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

nfbackup, gen = sys.argv[1], sys.argv[2]
keep = sys.argv[3] if len(sys.argv) > 3 else None
browser = shutil.which("chromium") or shutil.which("chromium-browser")
if not browser:
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import optional
    optional.skip_now("the headless browser test",
                      "no chromium on PATH (Debian package chromium; "
                      "scripts/install-deps installs it)")


def png_colours(path):
    """The distinct RGB colours of an 8-bit RGB or RGBA PNG."""
    with open(path, "rb") as f:
        data = f.read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, w = 8, b"", 0
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and ctype in (2, 6), (depth, ctype)
            bpp = 3 if ctype == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    raw, stride = zlib.decompress(idat), w * bpp
    prev, colours, i = bytearray(stride), set(), 0
    for _ in range(h):
        ft, line = raw[i], bytearray(raw[i + 1:i + 1 + stride])
        i += 1 + stride
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b, c = prev[x], prev[x - bpp] if x >= bpp else 0
            if ft == 1:
                line[x] = (line[x] + a) & 255
            elif ft == 2:
                line[x] = (line[x] + b) & 255
            elif ft == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif ft == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pr = a if pa <= pb and pa <= pc else b if pb <= pc else c
                line[x] = (line[x] + pr) & 255
        for x in range(0, stride, bpp):
            colours.add(bytes(line[x:x + 3]))
        prev = line
    return colours


def chromium(tmp, *args):
    return subprocess.run(
        [browser, "--headless=new", "--disable-gpu", "--no-sandbox",
         "--user-data-dir=" + os.path.join(tmp, "profile"),
         "--window-size=840,1300"] +
        list(args), capture_output=True, timeout=60,
        env=dict(os.environ, HOME=tmp))


with tempfile.TemporaryDirectory() as tmp:
    inp = os.path.join(tmp, "backups.json")
    with open(inp, "wb") as f:
        subprocess.run([sys.executable, gen, "--form", "list",
                        "--records", "3000", "--seed", "5"], stdout=f,
                       check=True)
    want = json.loads(subprocess.run([nfbackup, "stats", "--to", "json", inp],
                                     capture_output=True).stdout)
    report = os.path.join(tmp, "report.html")
    subprocess.run([nfbackup, "stats", "--to", "html", "-o", report, inp],
                   check=True)
    url = "file://" + report
    shot = os.path.join(tmp, "shot.png")
    # One launch: the DOM on stdout, the screenshot in shot.
    r = chromium(tmp, "--dump-dom", "--screenshot=" + shot, url)
    dom = r.stdout.decode()
    failures = []

    def figure(key):
        m = re.search(r'data-key="%s">([^<]*)<' % re.escape(key), dom)
        return m and m.group(1)
    for key, value in [("records", want["records"]),
                       ("status.completed", want["status"]["completed"]),
                       ("size.total", want["size"]["total"]),
                       ("duration.p90", want["duration"]["p90"]),
                       ("listPages.count", want["listPages"]["count"])]:
        if figure(key) != str(value):
            failures.append("DOM %s: %r, want %r" % (key, figure(key), value))
    if "<script" in dom:
        failures.append("DOM: a script element")
    if dom.count("<rect") < 50:
        failures.append("DOM: %d bars drawn" % dom.count("<rect"))
    if not os.path.exists(shot):
        failures.append("no screenshot: %s" % r.stderr[-500:])
    else:
        colours = png_colours(shot)
        # Text and seven status colours at least; a blank page has one.
        if len(colours) < 20:
            failures.append("screenshot: %d colours" % len(colours))
        if keep:
            shutil.copyfile(shot, keep)
    for f in failures:
        print("FAIL", f)
    print("chromium: %s" % ("ok" if not failures else
                            "%d failures" % len(failures)))
    sys.exit(1 if failures else 0)
