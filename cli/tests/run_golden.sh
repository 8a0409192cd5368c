#!/bin/sh
# Runs one golden CLI case: run_golden.sh NFBACKUP CASE_DIR
#
# CASE_DIR holds:
#   args        one line: the arguments after "nfbackup", with input paths
#               relative to CASE_DIR (shell quoting allowed)
#   stdin       optional: piped to the command (else stdin is /dev/null)
#   stdout      the expected standard output, or instead
#   stdout.re   an extended regular expression every line of it must match
#               (for output that must not be pinned, such as the version)
#   stderr      the expected standard error
#   status      the expected exit status
#
# The command runs in CASE_DIR as "nfbackup" (found through PATH, so that
# messages that name the program do not depend on the build folder), with
# LC_ALL=C and no NO_COLOR or terminal. With UPDATE=1 the expected files are
# written from what the command does instead (never stdout.re): review them
# before committing.
set -u

bin=$1
case_dir=$2
name=$(basename "$case_dir")

case $bin in /*) ;; *) bin=$(pwd)/$bin ;; esac
work=$(mktemp -d "${TMPDIR:-/tmp}/nfb-golden.XXXXXX") || exit 99
trap 'rm -rf "$work"' EXIT HUP INT TERM
mkdir "$work/bin"
ln -s "$bin" "$work/bin/nfbackup"

cd "$case_dir" || exit 99
if [ ! -f args ]; then
    echo "$name: no args file" >&2
    exit 99
fi
args=$(cat args)
in=/dev/null
[ -f stdin ] && in=stdin

eval "set -- $args"
env -u NO_COLOR LC_ALL=C PATH="$work/bin:$PATH" \
    nfbackup "$@" <"$in" >"$work/stdout" 2>"$work/stderr"
echo $? >"$work/status"

if [ "${UPDATE:-0}" = 1 ]; then
    [ -f stdout.re ] || cp "$work/stdout" stdout
    cp "$work/stderr" stderr
    cp "$work/status" status
    echo "$name: expected files written; review them"
    exit 0
fi

fail=0
if [ -f stdout.re ]; then
    re=$(cat stdout.re)
    if [ ! -s "$work/stdout" ] || grep -Evq -- "$re" "$work/stdout"; then
        echo "$name: stdout does not match /$re/:"
        cat "$work/stdout"
        fail=1
    fi
elif ! diff -u stdout "$work/stdout" >"$work/diff"; then
    echo "$name: stdout differs (--- expected, +++ actual):"
    cat "$work/diff"
    fail=1
fi
for f in stderr status; do
    if ! diff -u "$f" "$work/$f" >"$work/diff"; then
        echo "$name: $f differs (--- expected, +++ actual):"
        cat "$work/diff"
        fail=1
    fi
done
[ $fail = 0 ] && echo "$name: ok"
exit $fail
