#!/usr/bin/env python3
"""YAML round trip: PyYAML's safe_load_all of `nfbackup convert --to yaml`
equals json.loads of `nfbackup convert --to json`, types included, for
every fixture in testdata/forms and a generated adversarial set, in the
default, --array and --envelope forms. Every scalar the writer left plain
is also checked against the YAML 1.2 core schema: it must not read as a
null, bool, int or float there either.

usage: yaml_roundtrip.py NFBACKUP SOURCE_DIR"""

import json
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import adversarial  # noqa: E402
import optional  # noqa: E402

try:
    import yaml
except ImportError:
    optional.skip_now("YAML round trip", "this Python has no PyYAML "
                      "(python3-yaml, scripts/install-deps)")

BIN, SRC = sys.argv[1], sys.argv[2]
FORMS = os.path.join(SRC, "testdata", "forms")

# YAML 1.2 core schema (https://yaml.org/spec/1.2.2/#1032-tag-resolution).
CORE = re.compile(r"""^(?:null|Null|NULL|~|
    true|True|TRUE|false|False|FALSE|
    [-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+|
    [-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|
    [-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$""", re.X)

failures = []
checked = 0


def fail(msg):
    failures.append(msg)
    if len(failures) <= 20:
        print("FAIL:", msg, file=sys.stderr)


def run(args, ok=(0,)):
    p = subprocess.run([BIN, "convert"] + args, capture_output=True)
    if p.returncode not in ok:
        fail("%s: exit %d: %s" % (args, p.returncode, p.stderr[-2000:]))
    return p.stdout


def plain_scalars(node, out):
    """The values of plain scalars under node (mapping values and items)."""
    if isinstance(node, yaml.MappingNode):
        for _k, v in node.value:
            plain_scalars(v, out)
    elif isinstance(node, yaml.SequenceNode):
        for v in node.value:
            plain_scalars(v, out)
    elif isinstance(node, yaml.ScalarNode) and node.style is None:
        if node.tag == "tag:yaml.org,2002:str":
            out.append(node.value)


def first_diff(a, b, path="$"):
    if type(a) is not type(b):
        return "%s: %r (%s) != %r (%s)" % (path, a, type(a).__name__, b,
                                           type(b).__name__)
    if isinstance(a, dict):
        if list(a) != list(b):
            return "%s: keys %r != %r" % (path, list(a), list(b))
        for k in a:
            d = first_diff(a[k], b[k], path + "." + k)
            if d:
                return d
        return None
    if isinstance(a, list):
        if len(a) != len(b):
            return "%s: length %d != %d" % (path, len(a), len(b))
        for i, (x, y) in enumerate(zip(a, b)):
            d = first_diff(x, y, "%s[%d]" % (path, i))
            if d:
                return d
        return None
    return None if a == b else "%s: %r != %r" % (path, a[:80] if isinstance(
        a, str) else a, b[:80] if isinstance(b, str) else b)


def check(name, inputs, ok=(0,)):
    """Compares the yaml and json outputs of inputs in all three forms.
    Returns the number of records compared."""
    global checked
    n = 0
    for flags in ([], ["--array"], ["--envelope"], ["--array", "--envelope"]):
        js = run(["--to", "json"] + flags + inputs, ok)
        ys = run(["--to", "yaml"] + flags + inputs, ok)
        text = ys.decode("utf-8")
        # Only LF may appear raw: every other control character is escaped.
        bad = [c for c in set(text) if (ord(c) < 0x20 and c != "\n")
               or 0x7f <= ord(c) <= 0x9f or c in "\u2028\u2029\ufeff"]
        if bad:
            fail("%s %s: raw control characters %r" % (name, flags, bad))
        if "--array" in flags:
            want = [json.loads(js)]
        else:
            want = [json.loads(line) for line in js.decode().split("\n") if line]
        try:
            got = list(yaml.safe_load_all(text))
            # The 1.2 check looks at the same scalars in every form.
            nodes = list(yaml.compose_all(text)) if not flags else []
        except yaml.YAMLError as e:
            fail("%s %s: PyYAML cannot read the output: %s" % (name, flags, e))
            continue
        if got != want or [type(x) for x in got] != [type(x) for x in want]:
            d = first_diff(got, want) or "differs"
            fail("%s %s: yaml != json: %s" % (name, flags, d))
        elif first_diff(got, want):
            fail("%s %s: %s" % (name, flags, first_diff(got, want)))
        plain = []
        for node in nodes:
            plain_scalars(node, plain)
        for v in plain:
            if CORE.match(v):
                fail("%s %s: plain %r is not a string in YAML 1.2" %
                     (name, flags, v))
        recs = want[0] if "--array" in flags else want
        n = len(recs)
        checked += len(recs)
    return n


def main():
    nfix = 0
    fixtures = sorted(f for f in os.listdir(FORMS)
                      if f.endswith((".json", ".ndjson")))
    for f in fixtures:
        # api-error.json holds an archived error: no record, exit 1.
        nfix += check(f, [os.path.join(FORMS, f)], ok=(0, 1))
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "adversarial.ndjson")
        nstr = adversarial.write_ndjson(path)
        nadv = check("adversarial", [path])
        if nadv != nstr:
            fail("adversarial: %d records for %d strings" % (nadv, nstr))
        # The readable cases stay plain and UTF-8 stays UTF-8.
        out = run(["--to", "yaml", path]).decode("utf-8")
        for want in ["name: Ünïcödé\n", "name: 4.4.8\n", "name: a:b\n",
                     "name: it's\n", "name: completed\n", "name: a#b\n",
                     "name: 日本語のバックアップ\n", "name: a,b\n",
                     'name: "1234"\n', 'name: "yes"\n', 'name: ""\n',
                     'name: "2021-01-20"\n', 'name: "a: b"\n',
                     'name: "a\\tb"\n', 'name: "\\0"\n', "retentionTime: 30\n",
                     "retentionTime: 1.0e+3\n"]:
            if want not in out:
                fail("adversarial: no %r in the output" % want)
        # A long string is one line, not folded.
        if ("name: " + "x" * 100000 + "\n") not in out:
            fail("adversarial: the 100000-byte string was folded")
    print("yaml round trip: %d fixtures (%d records), %d adversarial "
          "strings in %d fields each; %d record comparisons over the "
          "default, --array, --envelope and --array --envelope forms" %
          (len(fixtures), nfix, nstr, len(adversarial.FIELDS), checked))
    if failures:
        print("%d failure(s)" % len(failures), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
