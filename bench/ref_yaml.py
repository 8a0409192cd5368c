#!/usr/bin/env python3
"""Reference for `nfbackup convert --to yaml`: json + PyYAML's CSafeDumper.

One YAML document (---) per backup, block style, keys in input order,
UTF-8 kept as is; the emitter is libyaml's (CSafeDumper), the
representation PyYAML's. Records are streamed one at a time.
Usage: ref_yaml.py [FILE] > out.yaml
"""

import os
import sys

import yaml

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _refcommon import records  # noqa: E402


def main():
    try:
        dumper = yaml.CSafeDumper
    except AttributeError:
        sys.exit("ref_yaml.py: PyYAML was built without libyaml "
                 "(no CSafeDumper)")
    out = open(sys.stdout.fileno(), "w", encoding="utf-8", buffering=1 << 20,
               closefd=False)
    yaml.dump_all(records(sys.argv), out, Dumper=dumper, explicit_start=True,
                  default_flow_style=False, sort_keys=False,
                  allow_unicode=True)
    out.flush()


if __name__ == "__main__":
    main()
