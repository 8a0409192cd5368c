"""Optional tools of the tests (GNU parallel, LibreOffice, node, zsh, strace,
a de_DE locale, PyYAML, ruamel.yaml, openpyxl...): scripts/install-deps
installs them all. Where one is missing, the part of a test that needs it
does not run: the test says which and why, runs the rest, and ends with
status 77, which ctest shows as a skip (SKIP_RETURN_CODE) unless something
else failed. With NFB_TESTS_REQUIRE_ALL=1 in the environment (.ci/run sets
it) a missing tool is a failure instead, so that CI runs every part."""
import os
import sys

SKIP = 77
skipped = []


def require_all():
    return os.environ.get("NFB_TESTS_REQUIRE_ALL") == "1"


def missing(what, why):
    """Notes that the part `what` cannot run because of `why`."""
    skipped.append(f"{what}: {why}")
    print(f"{'FAIL' if require_all() else 'SKIP'}: {what}: {why}",
          file=sys.stderr)


def skip_now(what, why):
    """The whole test cannot run: skip it (or fail under CI)."""
    missing(what, why)
    sys.exit(1 if require_all() else SKIP)


def status(failed):
    """The exit status of a test: 1 on a failure, 77 when a part was
    skipped, else 0."""
    if failed:
        return 1
    if skipped:
        return 1 if require_all() else SKIP
    return 0


def yaml_tools(what):
    """What the tests that hold nfbackup's YAML against other YAML
    libraries need: an interpreter that imports PyYAML (built with
    libyaml) and ruamel.yaml (this one, or the system one that Debian's
    python3-yaml and python3-ruamel.yaml are installed for: a pyenv or
    virtualenv python3 on PATH may lack them), node, and the node
    packages (js-yaml 3 and 4, yaml) in cli/tests/node. Returns (the
    interpreter, the node folder), or skips the test `what`."""
    import shutil
    import subprocess
    probe = "import yaml, ruamel.yaml; yaml.CSafeLoader"
    py = None
    for exe in (sys.executable, "/usr/bin/python3"):
        if exe and os.path.exists(exe) and subprocess.run(
                [exe, "-c", probe], capture_output=True).returncode == 0:
            py = exe
            break
    if not py:
        skip_now(what, "no interpreter with PyYAML (libyaml-based too) and "
                 "ruamel.yaml (scripts/install-deps)")
    if not shutil.which("node"):
        skip_now(what, "node is not installed (scripts/install-deps)")
    node_dir = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                            "node")
    if not os.path.isdir(os.path.join(node_dir, "node_modules")):
        skip_now(what, "no node_modules in %s (npm ci, scripts/install-deps)"
                 % node_dir)
    return py, node_dir
