# bash completion for nfbackup(1): commands, options, option values
# (formats, columns, statuses, source types) and file names.
# Installed as share/bash-completion/completions/nfbackup; works as well
# when sourced by hand. Needs no other completion library.

# The option lists are checked against `nfbackup --help` by the tests.
_nfbackup_opts_read='--from --strict --diagnostics= --color= --quiet --progress
    --no-progress --max-depth --max-string --max-record --max-diagnostics
    --jobs --files-from --null --help --version'
_nfbackup_opts_output='--to --output'
# The options of convert's formats (what `nfbackup --help` says of each):
# once --to is given, only those of its format are offered.
_nfbackup_opts_convert='--pretty --envelope --array --columns --no-header
    --crlf --no-formula-guard --bom'
_nfbackup_opts_json='--pretty --envelope --array'
_nfbackup_opts_yaml='--envelope --array'
_nfbackup_opts_csv='--columns --no-header --crlf --no-formula-guard --bom'
_nfbackup_opts_xlsx='--columns'
_nfbackup_opts_filter='--status --source-type --since --until --unique'
# The formats, columns, statuses and source types are asked of the program
# itself (nfbackup formats --names, columns, statuses, source-types), the
# one source of these lists: the program on the command line, as typed.
_nfbackup_ask()
{
    "${COMP_WORDS[0]}" "$@" 2>/dev/null
}

# Completes $cur from the words of $1.
_nfbackup_words()
{
    mapfile -t COMPREPLY < <(compgen -W "$1" -- "$cur")
}

# Completes the last item of a comma-separated list in $cur from $1.
_nfbackup_list()
{
    local head='' last=$cur
    if [[ $cur == *,* ]]; then
        head=${cur%,*},
        last=${cur##*,}
    fi
    local w
    COMPREPLY=()
    for w in $(compgen -W "$1" -- "$last"); do
        COMPREPLY+=("$head$w")
    done
    compopt -o nospace 2>/dev/null
}

_nfbackup()
{
    local cur=${COMP_WORDS[COMP_CWORD]} prev=
    ((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}
    # bash splits --color=al into --color, = and al.
    if [[ $cur == = ]]; then
        cur=
    elif [[ $prev == = ]] && ((COMP_CWORD > 1)); then
        prev=${COMP_WORDS[COMP_CWORD - 2]}
    fi
    COMPREPLY=()

    if ((COMP_CWORD == 1)); then
        if [[ $cur == -* ]]; then
            _nfbackup_words '--help --version'
        else
            _nfbackup_words 'validate convert stats diff formats columns statuses
                source-types'
        fi
        return
    fi
    local cmd=${COMP_WORDS[1]} i
    # After "--" every word is a file.
    for ((i = 2; i < COMP_CWORD; i++)); do
        if [[ ${COMP_WORDS[i]} == -- ]]; then
            compopt -o filenames 2>/dev/null
            mapfile -t COMPREPLY < <(compgen -f -- "$cur")
            return
        fi
    done

    case $prev in
    -t | --to)
        if [[ $cmd == stats ]]; then
            _nfbackup_words 'text json html'
        elif [[ $cmd == diff ]]; then
            _nfbackup_words 'json csv'
        else
            _nfbackup_words "$(_nfbackup_ask formats --names)"
        fi
        return
        ;;
    --from)
        _nfbackup_words 'json yaml'
        return
        ;;
    -o | --output | --files-from)
        compopt -o filenames 2>/dev/null
        mapfile -t COMPREPLY < <(compgen -f -- "$cur")
        return
        ;;
    --output-dir)
        compopt -o filenames 2>/dev/null
        mapfile -t COMPREPLY < <(compgen -d -- "$cur")
        return
        ;;
    --columns)
        _nfbackup_list "$(_nfbackup_ask columns)"
        return
        ;;
    --status)
        _nfbackup_list "$(_nfbackup_ask statuses)"
        return
        ;;
    --source-type)
        # none: the filter's word for records without a source type.
        _nfbackup_list "$(_nfbackup_ask source-types) none"
        return
        ;;
    --diagnostics)
        _nfbackup_words 'text json'
        return
        ;;
    --color | --colour)
        _nfbackup_words 'auto always never'
        return
        ;;
    --since | --until | --max-depth | --max-string | --max-record | \
        --max-diagnostics | -j | --jobs)
        return # a value of the user's
        ;;
    esac

    if [[ $cur == -* ]]; then
        local opts
        case $cmd in
        validate) opts="$_nfbackup_opts_read" ;;
        convert)
            local fmt='' fopts=$_nfbackup_opts_convert
            for ((i = 2; i < COMP_CWORD; i++)); do
                case ${COMP_WORDS[i]} in
                -t | --to) fmt=${COMP_WORDS[i + 1]} ;;
                --to=*) fmt=${COMP_WORDS[i]#--to=} ;;
                esac
            done
            case $fmt in
            json) fopts=$_nfbackup_opts_json ;;
            yaml) fopts=$_nfbackup_opts_yaml ;;
            csv | tsv) fopts=$_nfbackup_opts_csv ;;
            xlsx) fopts=$_nfbackup_opts_xlsx ;;
            esac
            opts="$_nfbackup_opts_read $_nfbackup_opts_output $fopts
                --output-dir $_nfbackup_opts_filter"
            ;;
        stats)
            opts="$_nfbackup_opts_read $_nfbackup_opts_output
                $_nfbackup_opts_filter"
            ;;
        diff)
            # Two inputs, not a list: no --files-from or --null.
            opts="${_nfbackup_opts_read/--files-from/}"
            opts="${opts/--null/} $_nfbackup_opts_output --no-formula-guard"
            ;;
        formats) opts='--names' ;;
        *) return ;;
        esac
        _nfbackup_words "$opts"
        # An option that takes its value after "=" stays open.
        [[ ${#COMPREPLY[@]} -eq 1 && ${COMPREPLY[0]} == *= ]] &&
            compopt -o nospace 2>/dev/null
        return
    fi
    case $cmd in
    formats | columns | statuses | source-types) return ;;
    esac
    compopt -o filenames 2>/dev/null
    mapfile -t COMPREPLY < <(compgen -f -- "$cur")
}
complete -F _nfbackup nfbackup
