#!/usr/bin/env python3
"""A damaged stream loses no good record.

20,000 API envelopes are joined with no separator, with newlines and with
CRLF; 1% of them are replaced by garbage: a bare word, a document cut off
at a random byte, a stray '}', a string, a wrong-typed object. Every good
record must come out, in order, and nothing else; every piece of garbage
must draw at least one error."""
import random
import subprocess
import sys

nfbackup, gen = sys.argv[1], sys.argv[2]
total = int(sys.argv[3]) if len(sys.argv) > 3 else 20000

clean = subprocess.run([gen, "--form", "ndjson", "--records", str(total),
                        "--seed", "5"], check=True,
                       capture_output=True).stdout.split(b"\n")[:-1]
want = subprocess.run([nfbackup, "convert", "--to", "json", "-"],
                      input=b"\n".join(clean) + b"\n", check=True,
                      capture_output=True).stdout.split(b"\n")[:-1]
assert len(want) == total

rnd = random.Random(3)


def bare_word(doc):
    return b"garbage"


def cut_off(doc):
    return doc[:rnd.randrange(1, len(doc) - 1)]


def stray_close(doc):
    return b"}"


def string(doc):
    return b'"a string"'


def wrong_type(doc):
    return b'{"data":5}'


kinds = [bare_word, cut_off, stray_close, string, wrong_type]
bad = set(rnd.sample(range(total), total // 100))
docs = [kinds[i % len(kinds)](clean[i]) if i in bad else clean[i]
        for i in range(total)]
expect = [want[i] for i in range(total) if i not in bad]

failures = []
for name, sep in (("no separator", b""), ("newlines", b"\n"),
                  ("CRLF", b"\r\n")):
    p = subprocess.run([nfbackup, "convert", "--to", "json", "-"],
                       input=sep.join(docs) + sep, capture_output=True)
    got = p.stdout.split(b"\n")[:-1]
    errors = p.stderr.count(b": error: ")
    if p.returncode != 1:
        failures.append(f"{name}: exit {p.returncode}, expected 1")
    if got != expect:
        k = next((k for k, (a, b) in enumerate(zip(got, expect)) if a != b),
                 min(len(got), len(expect)))
        failures.append(f"{name}: {len(got)} records, expected the "
                        f"{len(expect)} good ones; first difference at {k}")
    if errors < len(bad):
        failures.append(f"{name}: {errors} errors for {len(bad)} bad "
                        f"documents")
    print(f"{name}: {len(got)} of {len(expect)} good records, in order; "
          f"{errors} errors for {len(bad)} bad documents")

if failures:
    print("\n".join(failures))
    sys.exit(1)
