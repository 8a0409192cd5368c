#!/usr/bin/env python3
"""nfbackup reads back its own YAML: for every layout (documents, --array,
--envelope, both), `convert --to yaml X | convert --to json` is byte for
byte `convert --to json X`, on generated benchmark records, on adversarial
strings (control characters, quotes, non-ASCII, odd numbers for
retentionTime) and on the strings any YAML loader could take for something
else. The input is piped, so the format is told from its first bytes.

One spelling changes, not the value: a number in exponent form without a
fraction (1e3) is not a number to YAML 1.1 loaders, so the YAML writer
gives it one (1.0e+3); such a retentionTime may differ in its text only.
Every other byte must be the same."""
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import adversarial  # noqa: E402
import yaml_strings  # noqa: E402

nfbackup, gen = sys.argv[1], sys.argv[2]
NUM = re.compile(rb'("retentionTime":)(-?[0-9][0-9.]*[eE][-+]?[0-9]+)')


def same(got, want):
    """Equal bytes, but for exponent numbers written with a fraction."""
    if got == want:
        return True
    if NUM.sub(rb"\1N", got) != NUM.sub(rb"\1N", want):
        return False
    return all(float(a[1]) == float(b[1]) for a, b in
               zip(NUM.findall(got), NUM.findall(want)))


failures = []

with tempfile.TemporaryDirectory() as d:
    inputs = {}
    bench = os.path.join(d, "bench.ndjson")
    with open(bench, "wb") as f:
        f.write(subprocess.run([gen, "--form", "ndjson", "--records", "5000",
                                "--seed", "13"], check=True,
                               capture_output=True).stdout)
    inputs["benchmark records"] = bench
    adv = os.path.join(d, "adversarial.ndjson")
    n_adv = adversarial.write_ndjson(adv)
    inputs["adversarial strings"] = adv
    ys = os.path.join(d, "yaml-strings.ndjson")
    strings = yaml_strings.all_strings()
    with open(ys, "w", encoding="utf-8") as f:
        for i, s in enumerate(strings):
            f.write(adversarial.record(s, i) + "\n")
    inputs["YAML-like strings"] = ys

    for name, path in inputs.items():
        want = subprocess.run([nfbackup, "convert", "--to", "json", path],
                              capture_output=True)
        if want.returncode != 0 or not want.stdout:
            failures.append(f"{name}: the JSON input does not convert")
            continue
        for layout in ([], ["--array"], ["--envelope"],
                       ["--array", "--envelope"]):
            y = subprocess.run([nfbackup, "convert", "--to", "yaml"] + layout
                               + [path], capture_output=True, check=True)
            back = subprocess.run([nfbackup, "convert", "--to", "json", "-"],
                                  input=y.stdout, capture_output=True)
            if back.returncode != 0 or not same(back.stdout, want.stdout):
                a = want.stdout.split(b"\n")
                b = back.stdout.split(b"\n")
                k = next((i for i, (x, z) in enumerate(zip(a, b)) if x != z),
                         min(len(a), len(b)))
                failures.append(
                    f"{name} {' '.join(layout) or 'documents'}: exit "
                    f"{back.returncode}, first difference at record {k}: "
                    f"{back.stderr[:300]!r}")
        nrec = want.stdout.count(b"\n")
        print(f"{name}: {nrec} records, 4 layouts")

print(f"{n_adv} adversarial and {len(strings)} YAML-like strings")
if failures:
    print("\n".join(failures))
    sys.exit(1)
