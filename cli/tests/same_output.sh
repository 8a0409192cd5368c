#!/bin/sh
# same_output.sh NFBACKUP FILE...: "convert --to json" gives byte-identical
# output, non-empty and with exit status 0, for every FILE.
set -u
bin=$1
shift
work=$(mktemp -d "${TMPDIR:-/tmp}/nfb-same.XXXXXX") || exit 99
trap 'rm -rf "$work"' EXIT HUP INT TERM
first=
i=0
for f in "$@"; do
    i=$((i + 1))
    if ! "$bin" convert --to json "$f" >"$work/$i" 2>"$work/err"; then
        echo "convert failed on $f:"
        cat "$work/err"
        exit 1
    fi
    if [ ! -s "$work/$i" ]; then
        echo "no output for $f"
        exit 1
    fi
    if [ -z "$first" ]; then
        first=$f
        cp "$work/$i" "$work/first"
    elif ! cmp -s "$work/first" "$work/$i"; then
        echo "$f gives other bytes than $first:"
        diff "$work/first" "$work/$i"
        exit 1
    fi
done
echo "$i inputs give the same $(wc -c <"$work/first") bytes:"
cat "$work/first"
