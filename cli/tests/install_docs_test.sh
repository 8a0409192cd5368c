#!/usr/bin/env bash
# Installs the build into a temporary prefix and checks that the man page
# and the shell completions are where man, bash-completion and zsh look for
# them, and work from there.
# Usage: install_docs_test.sh BUILD_DIR
set -euo pipefail
build=$1
tmp=$(mktemp -d "${TMPDIR:-/tmp}/nfb-install-docs.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix
cmake --install "$build" --prefix "$prefix" >/dev/null
fail=0
bad() { echo "FAIL: $*"; fail=1; }

page=$prefix/share/man/man1/nfbackup.1
[ -f "$page" ] || bad "no man page at share/man/man1/nfbackup.1"
# man finds it by name in the prefix's man directory.
found=$(MANPATH=$prefix/share/man man -w nfbackup 2>/dev/null || true)
[ "$found" = "$page" ] || bad "man -w nfbackup found '$found', expected $page"
if [ -f "$page" ]; then
    text=$(MANWIDTH=80 LC_ALL=C.UTF-8 MANPATH=$prefix/share/man man nfbackup 2>&1)
    grep -qE '^ +nfbackup - ' <<<"$text" || bad "the installed page has no NAME line"
    grep -qx 'EXIT STATUS' <<<"$text" || bad "the installed page has no EXIT STATUS"
fi

comp=$prefix/share/bash-completion/completions/nfbackup
if [ -f "$comp" ]; then
    # bash-completion loads the file named as the command, which registers it.
    got=$(bash -c 'source "$1"; f=$(complete -p nfbackup | sed -nE "s/.*-F ([^ ]+) .*/\1/p")
        COMP_WORDS=(nfbackup con); COMP_CWORD=1; "$f" nfbackup con nfbackup 2>/dev/null
        echo "${COMPREPLY[*]}"' _ "$comp")
    [ "$got" = convert ] || bad "the installed bash completion gave '$got' for 'nfbackup con'"
else
    bad "no bash completion at share/bash-completion/completions/nfbackup"
fi
zcomp=$prefix/share/zsh/site-functions/_nfbackup
[ -f "$zcomp" ] || bad "no zsh completion at share/zsh/site-functions/_nfbackup"
[ -f "$zcomp" ] && head -n 1 "$zcomp" | grep -qx '#compdef nfbackup' ||
    bad "the zsh completion does not start with '#compdef nfbackup'"

[ -x "$prefix/bin/nfbackup" ] || bad "no bin/nfbackup"
[ $fail -eq 0 ] && echo "ok: $(cd "$prefix" && find share/man share/bash-completion share/zsh -type f | sort | tr '\n' ' ')"
exit $fail
