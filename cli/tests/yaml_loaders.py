#!/usr/bin/env python3
"""YAML read-back in real loaders: every string of a large generated set of
number-like, word-like, date-like and indicator-like strings (yaml_strings.py)
is put in the string fields of valid records; `nfbackup convert --to yaml`
writes them, and every loader must load every document back to exactly the
record of `nfbackup convert --to json`, every string unchanged and of type
string. The loaders: PyYAML (pure and libyaml-based, YAML 1.1), ruamel.yaml
(round-trip and safe, YAML 1.2, and YAML 1.1 through a %YAML 1.1 directive),
js-yaml 3 and 4, and the yaml package (YAML 1.2 and 1.1 schemas).

The Python loaders come from Debian (python3-yaml, python3-ruamel.yaml), the
JavaScript ones from npm (cli/tests/node, `npm ci` in scripts/install-deps).

usage: yaml_loaders.py NFBACKUP SOURCE_DIR
       yaml_loaders.py --load LOADER FILE   (one Python loader; JSON out)"""

import json
import os
import subprocess
import sys
import tempfile
import time

PY_LOADERS = ["pyyaml", "pyyaml-libyaml", "ruamel-rt", "ruamel-safe",
              "ruamel-1.1"]
JS_LOADERS = ["js-yaml-3", "js-yaml-4", "yaml-1.2", "yaml-1.1"]
# The string fields of a record; each holds a different generated string.
FIELDS = [("id",), ("name",), ("config", "addonVersion"),
          ("customDestinationId",),
          ("config", "additionalDestinations", 0, "destinationId")]


# ---- the loader side: runs in the interpreter that has the modules ----

def tagged(v):
    """v as JSON, with every value that is not a str, int, float, bool,
    None, list or dict (a date, bytes, a set) as {"!type": text}."""
    if v is None or isinstance(v, (str, bool)):
        return v if type(v) in (str, bool) or v is None else str(v)
    if isinstance(v, int):
        return int(v)
    if isinstance(v, float):
        return float(v) if v == v and abs(v) != float("inf") else \
            {"!float": repr(float(v))}
    if isinstance(v, dict):
        return {str(k): tagged(x) for k, x in v.items()}
    if isinstance(v, list):
        return [tagged(x) for x in v]
    return {"!" + type(v).__name__: str(v)}


def loader(name):
    if name.startswith("pyyaml"):
        import yaml
        cls = yaml.CSafeLoader if name == "pyyaml-libyaml" else yaml.SafeLoader
        return lambda text: yaml.load(text, Loader=cls)
    from ruamel.yaml import YAML
    y = YAML(typ="safe" if name == "ruamel-safe" else "rt")
    if name == "ruamel-1.1":
        return lambda text: y.load("%YAML 1.1\n" + text)
    return y.load


def load_main(name, path):
    load = loader(name)
    with open(path, encoding="utf-8") as f:
        text = f.read()
    out = []
    # The writer opens every document with a line "---", and such a line
    # cannot occur inside one (a string that would start with it is quoted).
    for doc in ("\n" + text).split("\n---\n")[1:]:
        try:
            out.append({"v": tagged(load("---\n" + doc))})
        except Exception as e:  # any failure is a lost document
            out.append({"e": "%s: %s" % (type(e).__name__,
                                         str(e).split("\n")[0])})
    json.dump(out, sys.stdout)
    return 0


# ---- the test driver ----

failures = []


def fail(msg):
    failures.append(msg)
    if len(failures) <= 40:
        print("FAIL:", msg, file=sys.stderr)


def record(strings, i):
    s = [strings[(i * len(FIELDS) + k) % len(strings)]
         for k in range(len(FIELDS))]
    return {"data": {
        "id": s[0], "name": s[1], "status": "completed",
        "createdAt": "2021-01-20T11:19:53.175Z",
        "config": {"size": "1", "addonVersion": s[2],
                   "additionalDestinations": [
                       {"destinationId": s[4], "retentionTime": 30,
                        "type": "custom"}]},
        "customDestinationId": s[3]}}


def field(rec, path):
    for p in path:
        rec = rec[p]
    return rec


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "--load":
        return load_main(sys.argv[2], sys.argv[3])
    import yaml_strings
    bin_, _src = sys.argv[1], sys.argv[2]
    strings = yaml_strings.all_strings()
    nrec = (len(strings) + len(FIELDS) - 1) // len(FIELDS)
    import optional
    py, node_dir = optional.yaml_tools("YAML loaders")
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "strings.ndjson")
        with open(src, "w", encoding="utf-8") as f:
            for i in range(nrec):
                f.write(json.dumps(record(strings, i)) + "\n")
        out = {}
        for fmt in ("json", "yaml"):
            p = subprocess.run([bin_, "convert", "--to", fmt, src],
                               capture_output=True)
            if p.returncode != 0:
                fail("convert --to %s: exit %d: %s" %
                     (fmt, p.returncode, p.stderr[-2000:]))
                return 1
            out[fmt] = p.stdout
        want = [json.loads(line) for line in out["json"].splitlines()]
        if len(want) != nrec:
            fail("%d records for %d written" % (len(want), nrec))
            return 1
        for i, rec in enumerate(want):
            for k, path in enumerate(FIELDS):
                if field(rec, path) != strings[(i * len(FIELDS) + k) %
                                               len(strings)]:
                    fail("the json output changed record %d" % i)
        yfile = os.path.join(tmp, "out.yaml")
        with open(yfile, "wb") as f:
            f.write(out["yaml"])
        cmds = [(n, [py, os.path.abspath(__file__), "--load", n, yfile])
                for n in PY_LOADERS]
        cmds += [(n, ["node", os.path.join(node_dir, "load.js"), n, yfile])
                 for n in JS_LOADERS]
        # Two at a time: the machine the tests run on may be small.
        times = {}
        for k in range(0, len(cmds), 2):
            batch = [(n, c, time.monotonic(),
                      subprocess.Popen(c, stdout=subprocess.PIPE,
                                       stderr=subprocess.PIPE))
                     for n, c in cmds[k:k + 2]]
            for n, c, t0, p in batch:
                so, se = p.communicate()
                times[n] = time.monotonic() - t0
                if p.returncode != 0:
                    fail("%s: exit %d: %s" % (n, p.returncode, se[-2000:]))
                    continue
                check(n, json.loads(so), want, strings)
    print("yaml loaders: %d generated strings in %d records, each read back "
          "by %s (seconds: %s)" %
          (len(strings), nrec, ", ".join(n for n, _ in cmds),
           ", ".join("%s %.1f" % (n, t) for n, t in times.items())))
    if failures:
        print("%d failure(s)" % len(failures), file=sys.stderr)
        return 1
    return 0


def check(name, got, want, strings):
    if len(got) != len(want):
        fail("%s: %d documents for %d records" % (name, len(got), len(want)))
        return
    bad = 0
    for i, (g, w) in enumerate(zip(got, want)):
        if "e" in g:
            bad += 1
            fail("%s: record %d (strings %r) not loaded: %s" %
                 (name, i, [field(w, p) for p in FIELDS], g["e"]))
            continue
        if json.dumps(g["v"], sort_keys=True) == json.dumps(w, sort_keys=True):
            continue
        bad += 1
        for path in FIELDS:
            try:
                v = field(g["v"], path)
            except (KeyError, IndexError, TypeError):
                v = "<missing>"
            if v != field(w, path) or type(v) is not str:
                fail("%s: %r loads as %r" % (name, field(w, path), v))
                break
        else:
            fail("%s: record %d: %s != %s" % (name, i, json.dumps(g["v"]),
                                              json.dumps(w)))
    if bad:
        print("%s: %d of %d records differ" % (name, bad, len(want)),
              file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
