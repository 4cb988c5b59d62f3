# bash completion for mkletter(1); installed as
# PREFIX/share/bash-completion/completions/mkletter (Debian's bash-completion
# layout: loaded on first use of the command).
_mkletter() {
    local cur prev
    cur=${COMP_WORDS[COMP_CWORD]}
    prev=${COMP_WORDS[COMP_CWORD - 1]}
    case $prev in
    -o | --output)
        compopt -o filenames 2>/dev/null
        COMPREPLY=($(compgen -f -X '!*.pdf' -- "$cur") $(compgen -d -- "$cur") $(compgen -W '-' -- "$cur"))
        return
        ;;
    --merge)
        compopt -o filenames 2>/dev/null
        COMPREPLY=($(compgen -f -X '!*.csv' -- "$cur") $(compgen -d -- "$cur"))
        return
        ;;
    --style)
        compopt -o filenames 2>/dev/null
        COMPREPLY=($(compgen -f -X '!*.y*ml' -- "$cur") $(compgen -d -- "$cur"))
        return
        ;;
    --sign)
        compopt -o filenames 2>/dev/null
        COMPREPLY=($(compgen -f -X '!*.@(p12|pfx|pem|key)' -- "$cur") $(compgen -d -- "$cur"))
        return
        ;;
    --sign-cert | --sign-password-file)
        compopt -o filenames 2>/dev/null
        COMPREPLY=($(compgen -f -- "$cur"))
        return
        ;;
    --rows)
        COMPREPLY=()   # a range: A-B, A-, -B or A
        return
        ;;
    -j | --jobs)
        COMPREPLY=($(compgen -W "$(seq 1 "$(nproc 2>/dev/null || echo 1)")" -- "$cur"))
        return
        ;;
    -h | --help | -V | --version)
        COMPREPLY=()
        return
        ;;
    esac
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W '-o --output --merge --rows --duplex -j --jobs --check --pdfa --no-page-numbers --style
                                 --sign --sign-cert --sign-password-file -q --quiet -h --help -V --version -' -- "$cur"))
        return
    fi
    compopt -o filenames 2>/dev/null
    local f
    COMPREPLY=()
    while IFS= read -r f; do
        case $f in *.md | *.markdown | *.txt) COMPREPLY+=("$f") ;; esac
    done < <(compgen -f -- "$cur")
    COMPREPLY+=($(compgen -d -- "$cur") $(compgen -W '-' -- "$cur"))
}
complete -F _mkletter mkletter
