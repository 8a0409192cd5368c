#!/usr/bin/env python3
"""YAML as its writers write it: records whose string fields hold every
short number-like string (yaml_strings.writer_strings: all strings of up to
3 characters over "0189.+-_eExob:a", of 4 over a smaller set, number forms
with signs and '_', the YAML 1.1 bool and null words in every case, .inf
and .nan, sexagesimal, dates, indicators) are written by five YAML writers
as their users call them:

  js-yaml-3  js-yaml 3 safeDump (the Northflank CLI's -o yaml)
  js-yaml-4  js-yaml 4 dump
  yaml       the yaml package's stringify
  pyyaml     PyYAML safe_dump_all
  ruamel     ruamel.yaml's default (round-trip) dump_all

and `nfbackup convert --to json` must read each writer's YAML back to
exactly the records of the JSON input.

A writer leaves a string plain when its own resolver reads the plain text
back as that string (js-yaml 3 writes 08 and 0o17 plain, PyYAML 1e3). The
rule nfbackup reads by: where a string is wanted, a plain scalar is that
string unless it is a null, bool, int or float under each of js-yaml 3's
DEFAULT_SAFE_SCHEMA, PyYAML's SafeLoader resolvers and the YAML 1.2 core
schema. The second part checks that rule both ways, with the resolvers
themselves as the judges: every generated string that libyaml reads as one
plain scalar is put plain in a record's name, and the record is read when
at least one of the three makes it a string, and otherwise refused with a
diagnostic that shows the scalar as written.

usage: yaml_writers.py NFBACKUP SOURCE_DIR
       yaml_writers.py --dump WRITER FILE   (a Python writer; YAML out)
       yaml_writers.py --types FILE         (PyYAML's view; JSON out)"""

import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
JS_WRITERS = ["js-yaml-3", "js-yaml-4", "yaml"]
PY_WRITERS = ["pyyaml", "ruamel"]
FIELDS = [("id",), ("name",), ("config", "addonVersion"),
          ("customDestinationId",),
          ("config", "additionalDestinations", 0, "destinationId")]
TYPED = {"tag:yaml.org,2002:" + t for t in ("null", "bool", "int", "float")}


# ---- the writer side: runs in the interpreter that has the modules ----

def dump_main(name, path):
    with open(path, encoding="utf-8") as f:
        values = json.load(f)
    if name == "pyyaml":
        import yaml
        yaml.safe_dump_all(values, sys.stdout, explicit_start=True,
                           allow_unicode=True, sort_keys=False)
        return 0
    from ruamel.yaml import YAML
    y = YAML()
    y.explicit_start = True
    y.dump_all(values, sys.stdout)
    return 0


def types_main(path):
    """For each string: whether libyaml reads "name: S" as one plain scalar
    S, and whether PyYAML's resolvers make that plain scalar other than a
    string."""
    import yaml
    with open(path, encoding="utf-8") as f:
        strings = json.load(f)
    resolver = yaml.resolver.Resolver()
    plain, typed = [], []
    for s in strings:
        try:
            ev = list(yaml.parse("name: " + s, Loader=yaml.CSafeLoader))
        except yaml.YAMLError:
            ev = []
        one = (len(ev) == 8 and isinstance(ev[4], yaml.ScalarEvent) and
               isinstance(ev[5], yaml.MappingEndEvent) and
               ev[4].style in (None, "") and ev[4].value == s)
        plain.append(one)
        typed.append(resolver.resolve(yaml.ScalarNode, s, (True, False))
                     in TYPED)
    json.dump({"plain": plain, "pyyaml": typed}, sys.stdout)
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
    return {"id": s[0], "name": s[1], "status": "completed",
            "createdAt": "2021-01-20T11:19:53.175Z",
            "completedAt": "2021-01-20T11:19:54.494Z",
            "config": {"size": "1", "addonVersion": s[2],
                       "additionalDestinations": [
                           {"destinationId": s[4], "retentionTime": 30,
                            "type": "custom"}]},
            "customDestinationId": s[3]}


def field(rec, path):
    for p in path:
        rec = rec[p]
    return rec


def run(cmd, what):
    p = subprocess.run(cmd, capture_output=True)
    if p.returncode != 0 and what:
        fail("%s: exit %d: %s" % (what, p.returncode,
                                  p.stderr[-2000:].decode(errors="replace")))
        return None
    return p


def writers(bin_, tmp, py, strings):
    """Part one: each writer's YAML reads back to the JSON input's records."""
    nrec = (len(strings) + len(FIELDS) - 1) // len(FIELDS)
    recs = [record(strings, i) for i in range(nrec)]
    src = os.path.join(tmp, "records.ndjson")
    with open(src, "w", encoding="utf-8") as f:
        for r in recs:
            f.write(json.dumps(r) + "\n")
    values = os.path.join(tmp, "records.json")
    with open(values, "w", encoding="utf-8") as f:
        json.dump(recs, f)
    p = run([bin_, "convert", "--to", "json", src], "convert the JSON input")
    if not p:
        return
    want = p.stdout.decode().splitlines()
    if len(want) != nrec:
        fail("%d records of the JSON input for %d written" % (len(want), nrec))
        return
    node = os.path.join(HERE, "node", "dump.js")
    for name in JS_WRITERS + PY_WRITERS:
        cmd = (["node", node, name, values] if name in JS_WRITERS else
               [py, os.path.abspath(__file__), "--dump", name, values])
        p = run(cmd, name)
        if not p:
            continue
        yfile = os.path.join(tmp, name + ".yaml")
        with open(yfile, "wb") as f:
            f.write(p.stdout)
        p = run([bin_, "convert", "--to", "json", "--from", "yaml", yfile],
                None)
        got = p.stdout.decode().splitlines()
        by_id = {json.loads(line)["id"]: line for line in got}
        bad = [w for w in want if by_id.get(json.loads(w)["id"]) != w]
        bad_count = len(bad) + max(0, len(got) - len(want) + len(bad))
        print("%s: %d records written, %d read back, %d mismatches" %
              (name, nrec, len(got), bad_count))
        if bad_count or p.returncode != 0 or p.stderr:
            fail("%s: %d mismatches, exit %d; first diagnostics:\n%s" %
                 (name, bad_count, p.returncode,
                  "\n".join(p.stderr.decode().splitlines()[:8])))


PER = 90


def rule(bin_, tmp, py, strings):
    """Part two: every plain scalar in a name is read as a string, or
    refused as written, as the three resolvers say."""
    sfile = os.path.join(tmp, "strings.json")
    with open(sfile, "w", encoding="utf-8") as f:
        json.dump(strings, f)
    p = run([py, os.path.abspath(__file__), "--types", sfile], "PyYAML")
    q = run(["node", os.path.join(HERE, "node", "dump.js"), "--types", sfile],
            "js-yaml 3 and the core schema")
    if not p or not q:
        return
    py_view, js_view = json.loads(p.stdout), json.loads(q.stdout)
    docs, want, diags = [], [], []
    counts = {"string": 0, "refused": 0}
    for i, s in enumerate(strings):
        core = js_view["core"][i]
        if not py_view["plain"][i] or core is None:
            continue  # not one plain scalar: no writer leaves it plain
        typed = py_view["pyyaml"][i] and js_view["js-yaml-3"][i] and core
        # Files of at most PER documents: more than 100 alike diagnostics
        # in a row in one input would be collapsed into a count.
        name = "rule-%d.yaml" % (len(docs) // PER)
        line = 7 * (len(docs) % PER) + 3
        docs.append("---\nid: 'p%d'\nname: %s\nstatus: failed\n"
                    "createdAt: '2021-01-20T11:19:53.175Z'\nconfig:\n"
                    "  size: '1'\n" % (i, s))
        where = "%s:%d:7: error: name: " % (name, line)
        if not typed:
            counts["string"] += 1
            want.append({"id": "p%d" % i, "name": s, "status": "failed",
                         "createdAt": "2021-01-20T11:19:53.175Z",
                         "config": {"size": "1"}})
            continue
        counts["refused"] += 1
        word = s.lstrip("+-").lower()
        if word in (".inf", ".nan"):
            diags.append(where + "a YAML number JSON cannot hold (%s) "
                         "[syntax]" % s)
        elif s in ("~", "null", "Null", "NULL"):
            diags.append(where + "expected a string, found null [wrong-type]")
        elif word in ("true", "false"):
            diags.append(where + "expected a string, found %s [wrong-type]"
                         % word)
        else:
            diags.append(where + "expected a string, found the number %s "
                         "[wrong-type]" % s)
    names = []
    for k in range(0, len(docs), PER):
        names.append("rule-%d.yaml" % (k // PER))
        with open(os.path.join(tmp, names[-1]), "w", encoding="utf-8") as f:
            f.write("".join(docs[k:k + PER]))
    p = subprocess.run([bin_, "convert", "--to", "json"] + names,
                       capture_output=True, cwd=tmp)
    got = [json.loads(line) for line in p.stdout.decode().splitlines()]
    got_diags = [d for d in p.stderr.decode().splitlines()
                 if not d.startswith("nfbackup: ")]  # a summary
    print("rule: %d plain scalars, %d strings, %d refused" %
          (len(docs), counts["string"], counts["refused"]))
    got_ids = {r["id"]: r for r in got}
    want_ids = {r["id"] for r in want}
    bad = [r for r in want if got_ids.get(r["id"]) != r]
    extra = [r for r in got if r["id"] not in want_ids]
    for r in (bad + extra)[:20]:
        k = int(r["id"][1:])
        fail("rule: name %r read as %r, wanted %s" %
             (strings[k], got_ids.get(r["id"], {}).get("name", "<refused>"),
              "a string" if r["id"] in want_ids else "refused"))
    if bad or extra:
        fail("rule: %d records wrong or missing, %d extra" %
             (len(bad), len(extra)))
    missing = [d for d in diags if d not in set(got_diags)]
    unwanted = [d for d in got_diags if d not in set(diags)]
    for d in (missing[:10] + unwanted[:10]):
        fail("rule: diagnostic %s: %s" %
             ("wanted, not given" if d in missing else "not wanted", d))


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "--dump":
        return dump_main(sys.argv[2], sys.argv[3])
    if len(sys.argv) == 3 and sys.argv[1] == "--types":
        return types_main(sys.argv[2])
    import yaml_strings
    bin_ = os.path.abspath(sys.argv[1])
    strings = yaml_strings.writer_strings()
    import optional
    py, _ = optional.yaml_tools("YAML writers")
    with tempfile.TemporaryDirectory() as tmp:
        writers(bin_, tmp, py, strings)
        rule(bin_, tmp, py, strings)
    if failures:
        print("%d failure(s)" % len(failures), file=sys.stderr)
        return 1
    print("yaml writers: %d generated strings, 0 mismatches" % len(strings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
