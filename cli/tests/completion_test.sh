#!/usr/bin/env bash
# The bash completion, driven as bash drives it: COMP_WORDS and COMP_CWORD
# set, the function that `complete -p nfbackup` names called, COMPREPLY
# read back. Checks commands, options (the same long options as --help),
# option values (formats, columns, statuses and source types as the
# program's list commands print them, and nothing when the program cannot
# be run: the completions hold no list of their own) and file names.
# Usage: completion_test.sh NFBACKUP COMPLETION_SCRIPT [ZSH_COMPLETION]
set -uo pipefail
nfbackup=$1 script=$2 zsh_script=${3:-}
fail=0
bad() { echo "FAIL: $*"; fail=1; }
# The lines of $1 on one line, for messages.
join() { tr "\n" " " <<<"$1" | sed "s/ *$//"; }

# shellcheck disable=SC1090
source "$script" || { echo "FAIL: cannot source $script"; exit 1; }
func=$(complete -p nfbackup 2>/dev/null | sed -nE 's/.*-F ([^ ]+) .*/\1/p')
[ -n "$func" ] || { echo "FAIL: no completion registered for nfbackup"; exit 1; }

# complete WORD...: the words of a command line, the last one being
# completed (empty for a new word); prints COMPREPLY sorted, one a line.
complete_words()
{
    COMP_WORDS=("$@")
    COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    COMP_LINE="$*"
    COMP_POINT=${#COMP_LINE}
    COMPREPLY=()
    "$func" nfbackup "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}" 2>/dev/null
    printf '%s\n' "${COMPREPLY[@]}" | sed '/^$/d' | sort
}
expect() # expect "WHAT" "EXPECTED (lines)" WORD...
{
    local what=$1 want got
    want=$(printf '%s\n' "$2" | sed '/^$/d' | sort)
    shift 2
    got=$(complete_words "$@")
    [ "$got" = "$want" ] || bad "$what: completing '$*' gave [$(join "$got")], expected [$(join "$want")]"
}

expect "command" "convert" "$nfbackup" con
expect "commands" "$(printf '%s\n' validate convert stats diff formats columns statuses source-types)" "$nfbackup" ''
expect "global options" "$(printf '%s\n' --help --version)" "$nfbackup" -
expect "no option of convert for validate" "" "$nfbackup" validate --to
expect "long option" "--no-formula-guard" "$nfbackup" convert --no-f
# Once --to is given, only the options of that format.
expect "csv options" "$(printf '%s\n' --bom)" "$nfbackup" convert --to csv --b
expect "no csv option for json" "" "$nfbackup" convert --to json --cr
expect "no csv option for yaml" "" "$nfbackup" convert --to=yaml --no-h

# Long options: the union over the commands is what --help lists.
help_opts=$("$nfbackup" --help | grep -E '^ +-' | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u)
comp_opts=$(for c in validate convert stats; do complete_words "$nfbackup" "$c" --; done |
    sed 's/=$//' | sort -u)
[ -n "$help_opts" ] || bad "no option found in --help"
missing=$(comm -23 <(echo "$help_opts") <(echo "$comp_opts"))
[ -z "$missing" ] || bad "options in --help that the completion does not offer: $(join "$missing")"
extra=$(comm -13 <(echo "$help_opts") <(echo "$comp_opts"))
[ -z "$extra" ] || bad "options the completion offers that --help does not list: $(join "$extra")"

# Formats, columns, statuses and source types: what the program prints,
# and nothing when it cannot be run.
formats=$("$nfbackup" formats --names | sort)
[ -n "$formats" ] || bad "no format from 'nfbackup formats --names'"
expect "formats" "$formats" "$nfbackup" convert --to ''
expect "formats without the command" "" /nonexistent/nfbackup convert -t ''
expect "columns without the command" "" /nonexistent/nfbackup convert --columns ''
expect "stats formats" "$(printf 'html\njson\ntext\n')" "$nfbackup" stats --to ''
expect "diff formats" "$(printf 'csv\njson\n')" "$nfbackup" diff --to ''
expect "no list option for diff" "" "$nfbackup" diff --files
expect "unique" "--unique" "$nfbackup" stats --uni
expect "diagnostics=" "json" "$nfbackup" validate --diagnostics = j
expect "color" "always" "$nfbackup" validate --color al

statuses=$("$nfbackup" statuses | sort)
[ -n "$statuses" ] || bad "no status from 'nfbackup statuses'"
expect "statuses" "$statuses" "$nfbackup" convert --status ''
expect "status list" "failed,aborting
failed,aborted" "$nfbackup" convert --status failed,abo
expect "source types" "$("$nfbackup" source-types; echo none)" "$nfbackup" stats --source-type ''
expect "columns" "$("$nfbackup" columns)" "$nfbackup" convert --to csv --columns ''
expect "formats --names" "--names" "$nfbackup" formats --n
expect "no file for a list" "" "$nfbackup" statuses ''
expect "column list" "id,config.addonVersion
id,config.additionalDestinations" "$nfbackup" convert --columns id,config.ad

# File names, for inputs and -o.
tmp=$(mktemp -d "${TMPDIR:-/tmp}/nfb-completion.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
touch "$tmp/backups one.json" "$tmp/backups-two.json" "$tmp/other.yaml"
expect "input files" "$tmp/backups one.json
$tmp/backups-two.json" "$nfbackup" validate "$tmp/back"
expect "output file" "$tmp/other.yaml" "$nfbackup" convert --to csv -o "$tmp/oth"
expect "files after --" "$tmp/backups-two.json" "$nfbackup" convert -- "$tmp/backups-"
# Batches: --output-dir (convert only) completes folders, --files-from
# files; every command takes --files-from and --null.
mkdir "$tmp/backups-dir"
expect "output folder" "$tmp/backups-dir" "$nfbackup" convert --to csv --output-dir "$tmp/back"
expect "list file" "$tmp/backups one.json
$tmp/backups-dir
$tmp/backups-two.json" "$nfbackup" validate --files-from "$tmp/back"
expect "--output-dir for convert" "--output-dir" "$nfbackup" convert --to csv --output-d
expect "no --output-dir for stats" "" "$nfbackup" stats --output-d
expect "--files-from and --null" "$(printf '%s\n' --files-from)" "$nfbackup" validate --files-
expect "--null" "--null" "$nfbackup" stats --nu

# zsh: the completion function parses, offers the same long options, and
# completes in an interactive zsh (in a pseudo-terminal, zsh/zpty): a key
# line is typed with a TAB, and the terminal's text must show the result.
zsh_complete() # zsh_complete LINE EXPECTED...: prints what was missing
{
    cat >"$tmp/drive.zsh" <<'ZSH'
zmodload zsh/zpty zsh/datetime
fpath_dir=$1 bin_dir=$2 line=$3; shift 3
zpty z 'zsh -f -i'
zpty -w z "PS1='> '; fpath=(${(q)fpath_dir} \$fpath); path=(${(q)bin_dir} \$path); autoload -U compinit; compinit -u -D"
zpty -w -n z "$line"$'\t'
all= start=$EPOCHREALTIME
# Read until every expected word has shown; 60 s only guards against a
# hang (a loaded machine may take seconds to start zsh and compinit).
while (( EPOCHREALTIME - start < 60 )); do
    if zpty -rt z chunk; then all+=$chunk; else sleep 0.05; fi
    plain=${all//$'\e'\[[0-9;?]#[A-Za-z]/}
    missing=()
    for w in "$@"; do [[ $plain == *"$w"* ]] || missing+=$w; done
    (( $#missing )) || break
done
zpty -d z
print -r -- "$missing"
ZSH
    local line=$1
    shift
    mkdir -p "$tmp/fpath"
    cp "$zsh_script" "$tmp/fpath/_nfbackup"
    zsh -f -o extendedglob "$tmp/drive.zsh" "$tmp/fpath" "$(cd "$(dirname "$nfbackup")" && pwd)" "$line" "$@"
}
if [ -n "$zsh_script" ]; then
    if command -v zsh >/dev/null; then
        zsh -n "$zsh_script" || bad "zsh: $zsh_script does not parse"
        m=$(zsh_complete "nfbackup con" "nfbackup convert ")
        [ -z "$m" ] || bad "zsh: 'nfbackup con' did not complete to: $m"
        m=$(zsh_complete "nfbackup convert --no-f" "nfbackup convert --no-formula-guard")
        [ -z "$m" ] || bad "zsh: 'nfbackup convert --no-f' did not complete to: $m"
        # shellcheck disable=SC2086
        m=$(zsh_complete "nfbackup convert --to csv --output-d" "nfbackup convert --to csv --output-dir")
        [ -z "$m" ] || bad "zsh: 'nfbackup convert --to csv --output-d' did not complete to: $m"
        m=$(zsh_complete "nfbackup validate --files-f" "nfbackup validate --files-from")
        [ -z "$m" ] || bad "zsh: 'nfbackup validate --files-f' did not complete to: $m"
        m=$(zsh_complete "nfbackup convert --to " $formats)
        [ -z "$m" ] || bad "zsh: formats not offered after --to: $m"
        # Two statuses start with "abort": the line grows to that.
        m=$(zsh_complete "nfbackup stats --status failed,ab" "--status failed,abort")
        [ -z "$m" ] || bad "zsh: 'nfbackup stats --status failed,ab' did not complete to: $m"
        m=$(zsh_complete "nfbackup convert --to csv --columns id,config.comp" "--columns id,config.compressionType")
        [ -z "$m" ] || bad "zsh: 'nfbackup convert --to csv --columns id,config.comp' did not complete to: $m"
        m=$(zsh_complete "nfbackup stats --source-type snapshot,n" "--source-type snapshot,none")
        [ -z "$m" ] || bad "zsh: 'nfbackup stats --source-type snapshot,n' did not complete to: $m"
        # But formats' --names, which its usage line gives.
        zsh_opts=$(grep -v '^ *#' "$zsh_script" | grep -oE -- '--[a-z][a-z0-9-]*' | grep -vx -- --names | sort -u)
        missing=$(comm -23 <(echo "$help_opts") <(echo "$zsh_opts"))
        [ -z "$missing" ] || bad "options in --help that the zsh completion does not offer: $(join "$missing")"
        extra=$(comm -13 <(echo "$help_opts") <(echo "$zsh_opts"))
        [ -z "$extra" ] || bad "options the zsh completion offers that --help does not list: $(join "$extra")"
    else
        # An optional tool (cli/tests/optional.py): the rest runs, then
        # status 77 (a skip), or a failure under NFB_TESTS_REQUIRE_ALL=1.
        skipped="the zsh completion: zsh is not installed (scripts/install-deps)"
        if [ "${NFB_TESTS_REQUIRE_ALL:-}" = 1 ]; then bad "$skipped"; else echo "SKIP: $skipped" >&2; fi
    fi
fi

[ $fail -eq 0 ] && echo "ok: $(echo "$help_opts" | wc -l) long options, formats $(join "$formats")"
[ $fail -eq 0 ] && [ -n "${skipped:-}" ] && exit 77
exit $fail
