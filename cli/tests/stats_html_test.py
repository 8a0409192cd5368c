#!/usr/bin/env python3
"""stats --to html against stats --to json on the same inputs.

Generates list pages of backups (every status, dates over a few months,
durations, restores, names holding markup, quotes and control
characters; one input whose last page says hasNextPage: true), runs both
views with a filter, and checks with html.parser that:
  - every figure of the page (an element with data-key="JSON.PATH") equals
    that of the JSON, and every JSON figure is on the page;
  - the bars of the chart per period add up to the records, the duration
    bins to the records with completedAt;
  - the failed and aborted table counts status.failed + status.aborted;
  - the page loads nothing (no script, no external reference) and the
    names from the input come back as the same text (escaped);
  - the header names the inputs, the filter and the incomplete input.
The same on testdata/series with --unique: the header names --unique and
shows the duplicates (records folded) of the JSON.

stats -j 2 and -j 3 (blocks of a few bytes, NFBACKUP_JOBS_BLOCK, so that
the small files are cut) give the same bytes as -j 1 in every view (text,
json, html), with the list pages and the inputs that end on a page saying
more follow, on these inputs and on testdata/series.

usage: stats_html_test.py NFBACKUP SOURCE_DIR"""
import html.parser
import json
import os
import random
import subprocess
import sys
import tempfile

nfbackup = sys.argv[1]
series = os.path.join(sys.argv[2], "testdata", "series", "snapshots")
rnd = random.Random(7)
STATUSES = ["scheduled", "in-progress", "completed", "aborting", "aborted",
            "failed", "not-supported"]
EVIL = 'a <b>&amp; "q" \'s\' \x01\x7f <script>x</script>'


def backup(i):
    st = rnd.choice(STATUSES)
    day = rnd.randrange(120)
    sec = 1704067200 + day * 86400 + rnd.randrange(86400)
    b = {"id": "id-%d%s" % (i, "<&>" if i % 7 == 0 else ""),
         "name": EVIL if i % 5 == 0 else "nightly %d" % i,
         "status": st, "createdAt": iso(sec),
         "config": {"size": str(rnd.randrange(10**9))}}
    if st in ("completed", "failed", "aborted") or rnd.random() < 0.3:
        if st not in ("scheduled", "in-progress"):
            b["completedAt"] = iso(sec + rnd.choice([0, 5, 90, 4000, 90000]))
    if rnd.random() < 0.3 and st == "completed":
        b["lastRestore"] = {"restoreTimestamp": iso(sec + 100000),
                            "status": rnd.choice(["completed", "failed"]),
                            "completedAt": iso(sec + 100100)}
    return b


def iso(sec):
    import datetime as dt
    return dt.datetime.fromtimestamp(sec, dt.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%SZ")


class Page(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.figs, self.bars, self.bins = [], {}, [], []
        self.tags, self.attrs, self.cells, self.applied = set(), [], [], []
        self.text, self.svg = [], None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.add(tag)
        self.attrs.extend(attrs)
        key = a.get("data-key")
        self.stack.append((tag, key, a.get("class"), []))
        if tag == "svg":
            self.svg = a.get("id")
        if tag == "g" and a.get("class") == "bar" and self.svg == "per-period":
            self.bars.append(a)
        if tag == "g" and a.get("class") == "bin":
            self.bins.append(int(a["data-count"]))

    def handle_endtag(self, tag):
        while self.stack:
            t, key, cls, text = self.stack.pop()
            s = "".join(text)
            if key:
                self.figs.setdefault(key, []).append(s)
            if t == "td":
                self.cells.append(s)
            if cls == "applied":
                self.applied.append(s)
            if self.stack:
                self.stack[-1][3].append(s)
            if t == tag:
                break

    def handle_data(self, data):
        self.text.append(data)
        if self.stack:
            self.stack[-1][3].append(data)


def flatten(d, prefix=""):
    out = {}
    for k, v in d.items():
        if isinstance(v, dict):
            out.update(flatten(v, prefix + k + "."))
        elif not isinstance(v, list) and v is not None:
            out[prefix + k] = str(v)
    return out


failures = []


def check(what, cond, detail=""):
    if not cond:
        failures.append("%s: %s" % (what, detail))


def same_with_jobs(what, args):
    """stats -j N against -j 1, byte for byte, in every view."""
    env = dict(os.environ)
    for view in ("text", "json", "html"):
        cmd = [nfbackup, "stats", "--to", view] + args
        one = subprocess.run(cmd + ["-j", "1"], capture_output=True, env=env)
        for jobs, block in (("2", "7"), ("2", "64"), ("3", "150")):
            env["NFBACKUP_JOBS_BLOCK"] = block
            par = subprocess.run(cmd + ["-j", jobs], capture_output=True,
                                 env=env)
            check("%s: stats --to %s -j %s (blocks of %s bytes)"
                  % (what, view, jobs, block),
                  (par.returncode, par.stdout, par.stderr) ==
                  (one.returncode, one.stdout, one.stderr),
                  (par.returncode, one.returncode, par.stderr[-300:]))
        env.pop("NFBACKUP_JOBS_BLOCK", None)


def compare_figures(what, want, page, text):
    """Every figure of the page is the JSON's, and every JSON figure is on
    the page."""
    flat = flatten(want)
    for k, vals in page.figs.items():
        if k in flat:
            check(what + ": figure " + k, all(v == flat[k] for v in vals),
                  "page %r, json %r" % (vals, flat[k]))
    for k in flat:
        if k.startswith("listPages.incomplete") and flat[k] == "0":
            continue
        check(what + ": on the page: " + k, k in page.figs)
    return flat


with tempfile.TemporaryDirectory() as tmp:
    paths, i = [], 0
    for f in range(3):
        lines = []
        for p in range(4):
            recs = [backup(i + k) for k in range(rnd.randint(20, 60))]
            i += len(recs)
            more = p < 3 or f == 1  # the second input stops early
            lines.append(json.dumps({"data": {"backups": recs},
                                     "pagination": {"hasNextPage": more,
                                                    "cursor": "c%d" % p}}))
        path = os.path.join(tmp, "snap-%d.json" % f)
        with open(path, "w") as fh:
            fh.write("\n".join(lines[: 2 if f == 1 else 4]) + "\n")
        paths.append(path)
    args = ["--status", "completed,failed,aborted,aborting"]
    js = subprocess.run([nfbackup, "stats", "--to", "json"] + args + paths,
                        capture_output=True)
    out = os.path.join(tmp, "report.html")
    ht = subprocess.run([nfbackup, "stats", "--to", "html", "-o", out] +
                        args + paths, capture_output=True)
    check("exit status", js.returncode == ht.returncode,
          (js.returncode, ht.returncode, ht.stderr[-500:]))
    want = json.loads(js.stdout)
    with open(out, encoding="utf-8") as fh:
        text = fh.read()
    same_with_jobs("generated pages", args + paths)
    same_with_jobs("generated pages, --unique", ["--unique"] + paths)

    # --unique on the daily snapshots: named in the header, with the
    # records it folded, as the JSON counts them.
    uj = subprocess.run([nfbackup, "stats", "--unique", "--to", "json",
                         series], capture_output=True)
    uout = os.path.join(tmp, "unique.html")
    uh = subprocess.run([nfbackup, "stats", "--unique", "--to", "html", "-o",
                         uout, series], capture_output=True)
    check("--unique: exit status", uj.returncode == uh.returncode == 0,
          (uj.returncode, uh.returncode, uh.stderr[-500:]))
    uwant = json.loads(uj.stdout)
    with open(uout, encoding="utf-8") as fh:
        upage = Page()
        upage.feed(fh.read())
    compare_figures("--unique", uwant, upage, text)
    check("--unique: duplicates", uwant.get("duplicates", 0) > 0 and
          upage.figs.get("duplicates") == [str(uwant["duplicates"])],
          (uwant.get("duplicates"), upage.figs.get("duplicates")))
    check("--unique in the header", upage.applied == ["--unique"],
          upage.applied)
    same_with_jobs("testdata/series", [series])
    same_with_jobs("testdata/series, --unique", ["--unique", series])

page = Page()
page.feed(text)
flat = compare_figures("generated pages", want, page, text)
check("records from the chart",
      sum(int(b["data-count"]) for b in page.bars) == want["records"],
      page.bars[:3])
check("durations in the bins",
      [str(sum(page.bins))] == page.figs.get("duration.count"),
      (page.bins, page.figs.get("duration.count")))
fa = want["status"].get("failed", 0) + want["status"].get("aborted", 0)
check("failed and aborted", page.figs.get("failedAborted") == [str(fa)],
      page.figs.get("failedAborted"))
check("incomplete input flagged",
      want["listPages"]["incomplete"] == 1 and
      page.figs.get("listPages.incomplete") == ["1"] and
      any("snap-1.json" in t for t in page.text), want["listPages"])
check("the filter in the header",
      page.applied == ["--status completed,aborting,aborted,failed"],
      page.applied)
check("the inputs in the header", page.figs.get("inputs") == ["3"] and
      all(os.path.basename(p) in "".join(page.text) for p in paths))
# Self-contained: no script, nothing loaded from anywhere.
check("no script", "script" not in page.tags, page.tags)
check("no external reference",
      not any(k in ("src", "href") or (v and "url(" in v)
              for k, v in page.attrs) and "@import" not in text)
# Escaped: the names come back as their text, control bytes made visible.
shown = EVIL.replace("\x01", "\\x01").replace("\x7f", "\\x7F")
check("a name with markup is text", shown in page.cells,
      [c for c in page.cells if "script" in c][:2])
check("an id with markup is text",
      any(c.startswith("id-") and c.endswith("<&>") for c in page.cells))

for f in failures:
    print("FAIL", f)
print("%d figures compared: %s" % (len(page.figs),
                                   "%d failures" % len(failures)
                                   if failures else "ok"))
sys.exit(1 if failures else 0)
