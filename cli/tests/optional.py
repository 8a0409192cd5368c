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
