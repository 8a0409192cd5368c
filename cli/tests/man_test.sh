#!/usr/bin/env bash
# The man page nfbackup(1): man renders it without a warning, with its
# sections, and it documents what the program has: every option and command
# that --help lists (and no option that --help does not), every output
# format, every exit status and diagnostic code of the README, and every
# environment variable the command reads.
# Usage: man_test.sh NFBACKUP PAGE SOURCE_DIR
set -euo pipefail
nfbackup=$1 page=$2 src=$3
fail=0
bad() { echo "FAIL: $*"; fail=1; }
# The lines of $1 on one line, for messages.
join() { tr "\n" " " <<<"$1" | sed "s/ *$//"; }

# Wide enough that no line is broken, so no name is hyphenated.
text=$(LC_ALL=C.UTF-8 MANWIDTH=250 man --warnings -l "$page" 2>"${TMPDIR:-/tmp}/man_test.$$") || bad "man -l failed"
warnings=$(cat "${TMPDIR:-/tmp}/man_test.$$"); rm -f "${TMPDIR:-/tmp}/man_test.$$"
[ -z "$warnings" ] || bad "man/groff warnings: $warnings"

for s in NAME SYNOPSIS DESCRIPTION COMMANDS OPTIONS INPUT 'OUTPUT FORMATS' \
    DIAGNOSTICS 'EXIT STATUS' ENVIRONMENT EXAMPLES; do
    grep -qx "$s" <<<"$text" || bad "no section $s"
done
grep -qE '^ +nfbackup - ' <<<"$text" || bad "NAME has no 'nfbackup - ...' line"

# The lines of one section, and its terms: the lines indented 7 spaces
# (a term of a list), not the 11 of their descriptions.
section() { awk -v s="$1" '/^[A-Z]/ { on = ($0 == s); next } on' <<<"$text"; }
terms() { section "$1" | grep -E '^ {7}[^ ]' | sed 's/^ *//'; }
# Option names in lines: -x and --long-name, without =VALUE or arguments.
opts() { grep -oE '(^|[ ,])--?[a-zA-Z][a-z0-9-]*' | sed 's/^[ ,]*//' | sort -u; }

help=$("$nfbackup" --help)
# In --help, options are the lines that start with spaces and a dash.
help_opts=$(grep -E '^ +-' <<<"$help" | sed -E 's/^ +//; s/  .*//' | opts)
man_opts=$(terms OPTIONS | opts)
[ -n "$help_opts" ] || bad "no option found in --help"
missing=$(comm -23 <(echo "$help_opts") <(echo "$man_opts"))
[ -z "$missing" ] || bad "options in --help but not in the man page's OPTIONS: $(join "$missing")"
extra=$(comm -13 <(echo "$help_opts") <(echo "$man_opts"))
[ -z "$extra" ] || bad "options in the man page but not in --help: $(join "$extra")"

# Commands: the usage lines of --help.
for c in $(grep -oE '^(usage:)? +nfbackup [a-z-]+' <<<"$help" | awk '{print $NF}' | sort -u); do
    section SYNOPSIS | grep -qE "^ +nfbackup $c( |$)" || bad "command $c not in SYNOPSIS"
    terms COMMANDS | grep -qx "$c" || bad "command $c not in COMMANDS"
done

# Output formats: the terms of OUTPUT FORMATS are what the program lists.
formats=$("$nfbackup" formats --names | sort)
man_formats=$(terms 'OUTPUT FORMATS' | grep -E '^[a-z0-9]+(, [a-z0-9]+)*$' | tr ',' '\n' | sed 's/^ *//' | sort)
[ -n "$formats" ] || bad "no format from 'nfbackup formats --names'"
[ "$formats" = "$man_formats" ] ||
    bad "formats differ: nfbackup formats $(join "$formats"), OUTPUT FORMATS $(join "$man_formats")"

# Exit statuses and diagnostic codes, from the README's tables.
for n in $(grep -oE '^\| [0-9] \|' "$src/README.md" | tr -dc '0-9\n'); do
    terms 'EXIT STATUS' | grep -qx "$n" || bad "exit status $n not in EXIT STATUS"
done
readme_codes=$(grep -oE '^\| `[a-z-]+` \| (error|warning) \|' "$src/README.md" | cut -d'`' -f2 | sort -u)
man_codes=$(terms DIAGNOSTICS | grep -oE '^[a-z-]+ \((error|warning)\)$' | cut -d' ' -f1 | sort -u)
[ -n "$readme_codes" ] || bad "no diagnostic code found in README.md"
[ "$readme_codes" = "$man_codes" ] ||
    bad "diagnostic codes differ: README $(join "$readme_codes"), man page $(join "$man_codes")"
# Each code with its severity as the README gives it.
while read -r code sev; do
    terms DIAGNOSTICS | grep -qx "$code ($sev)" || bad "code $code is not '$code ($sev)' in the man page"
done < <(grep -oE '^\| `[a-z-]+` \| (error|warning) \|' "$src/README.md" | tr -d '`|' | awk '{print $1, $2}')

# Environment variables the command reads (but knobs marked "for tests").
for v in $(grep -h 'getenv("' "$src"/cli/*.c | grep -v 'for tests' |
    grep -oE 'getenv\("[A-Z_]+"\)' | cut -d'"' -f2 | sort -u); do
    terms ENVIRONMENT | grep -qx "$v" || bad "environment variable $v not in ENVIRONMENT"
done

[ $fail -eq 0 ] && echo "ok: $(echo "$help_opts" | wc -l) options, commands, formats, codes"
exit $fail
