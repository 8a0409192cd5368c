#!/usr/bin/env python3
"""A cut line loses no intact document, whatever its form.

A 3,000-line archive holds one document per line in every form README's
"What it reads" lists: API envelope, CLI form (a bare backup, its keys in
any order), JS client form (data, rawResponse, request in any order), API
error, list page, CLI list form, array (of backups or of the object forms)
and thrown error; the backups' own keys are shuffled too. About 5% of the
lines are cut at a random byte, so that the next document arrives where
the cut one awaited a value, a key or an element. Every record of every
intact document must come out, in order, with newlines and with CRLF; a
cut document may keep the complete elements of its list and nothing
else. The archive is made from a fixed seed (and a seed given as the
fourth argument, for a longer search)."""
import json
import random
import subprocess
import sys

nfbackup, gen = sys.argv[1], sys.argv[2]
lines_total = int(sys.argv[3]) if len(sys.argv) > 3 else 3000
seed = int(sys.argv[4]) if len(sys.argv) > 4 else 17

rnd = random.Random(seed)
backups = [json.loads(x)["data"] for x in subprocess.run(
    [gen, "--form", "ndjson", "--records", str(lines_total * 2),
     "--seed", str(seed)], check=True, capture_output=True).stdout.split(b"\n")
    if x]
next_backup = iter(backups)


def shuffled(obj):
    """The object with its keys (and those of its objects) in a random
    order."""
    if isinstance(obj, list):
        return [shuffled(x) for x in obj]
    if not isinstance(obj, dict):
        return obj
    keys = list(obj)
    rnd.shuffle(keys)
    return {k: shuffled(obj[k]) for k in keys}


def in_order(pairs):
    pairs = list(pairs)
    rnd.shuffle(pairs)
    return dict(pairs)


def raw_response():
    return {"status": 200, "statusText": "OK", "url": "https://api/v1/x",
            "headers": {"content-type": "application/json"},
            "data": {"id": "raw", "list": [{"id": "a"}, {"name": "b"}]}}


def request():
    return {"url": "https://api/v1/x", "method": "GET",
            "headers": {"Accept": "application/json"}}


def pagination():
    return {"hasNextPage": False, "cursor": None, "count": 2}


# Each form: (document, its backups in output order).
def envelope():
    b = next(next_backup)
    return {"data": shuffled(b)}, [b]


def cli_form():
    b = next(next_backup)
    return shuffled(b), [b]


def js_client():
    b = next(next_backup)
    return in_order([("data", shuffled(b)), ("rawResponse", raw_response()),
                     ("request", request())]), [b]


def api_error():
    return {"error": {"status": 404, "message": "backup not found"}}, []


def list_page():
    bs = [next(next_backup) for _ in range(rnd.randrange(1, 4))]
    return in_order([("data", {"backups": [shuffled(b) for b in bs]}),
                     ("pagination", pagination())]), bs


def cli_list():
    bs = [next(next_backup) for _ in range(rnd.randrange(1, 4))]
    return {"backups": [shuffled(b) for b in bs]}, bs


def array():
    items, bs = [], []
    for _ in range(rnd.randrange(1, 4)):
        doc, got = rnd.choice([cli_form, envelope, js_client])()
        items.append(doc)
        bs += got
    return items, bs


def thrown_error():
    return in_order([("name", "NorthflankApiCallError"), ("status", 404),
                     ("id", "backup-not-found")]), []


forms = [envelope, cli_form, js_client, api_error, list_page, cli_list,
         array, thrown_error]
docs = [rnd.choice(forms)() for _ in range(lines_total)]
lines = [json.dumps(d, separators=(",", ":")).encode() for d, _ in docs]
cut = set(rnd.sample(range(lines_total), lines_total // 20))
damaged = [lines[i][:rnd.randrange(1, len(lines[i]) - 1)] if i in cut
           else lines[i] for i in range(lines_total)]

# The records as nfbackup writes them: the clean archive, converted whole
# (its API errors make the exit status 1).
want_all = subprocess.run([nfbackup, "convert", "--to", "json", "-"],
                          input=b"\n".join(lines) + b"\n",
                          capture_output=True).stdout.split(b"\n")[:-1]
assert len(want_all) == sum(len(b) for _, b in docs), "clean archive"
want, k = [], 0
for _, bs in docs:
    want.append(want_all[k:k + len(bs)])
    k += len(bs)

failures = []
for name, sep in (("newlines", b"\n"), ("CRLF", b"\r\n")):
    p = subprocess.run([nfbackup, "convert", "--to", "json", "-"],
                       input=sep.join(damaged) + sep, capture_output=True)
    got = p.stdout.split(b"\n")[:-1]
    if p.returncode != 1:
        failures.append(f"{name}: exit {p.returncode}, expected 1")
    k, lost = 0, []
    for i in range(lines_total):
        for rec in want[i]:
            if k < len(got) and got[k] == rec:
                k += 1
            elif i not in cut:
                lost.append(i)
                break
    if k != len(got):
        failures.append(f"{name}: records out that no document holds, from "
                        f"record {k}")
    if lost:
        failures.append(f"{name}: the records of {len(lost)} intact "
                        f"documents lost, lines "
                        f"{', '.join(str(i + 1) for i in lost[:10])}")
        for i in lost[:3]:
            failures.append(f"  line {i}: {damaged[i - 1][-60:]!r} then "
                            f"{damaged[i][:60]!r}")
    print(f"{name}: {lines_total} lines, {len(cut)} cut, {len(got)} records "
          f"of {len(want_all)}, {len(lost)} intact documents lost")

if failures:
    print("\n".join(failures))
    sys.exit(1)
