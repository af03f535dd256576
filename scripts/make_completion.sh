#!/usr/bin/env bash
# Writes a bash or zsh completion script for mnet to stdout, generated from the built binary's own
# --help (as make_manpage.sh writes the man page), so completion never drifts from the options:
# the subcommands, each one's options, the values of an option whose help lists them
# ("--format TEXT:{table,json,csv,md}"), file names for models, images and other paths (TEXT),
# nothing for numbers. CMake runs it after building mnet (build/mnet.bash, build/_mnet).
#
#   scripts/make_completion.sh bash build/mnet > mnet.bash && source mnet.bash
#   scripts/make_completion.sh zsh build/mnet > _mnet     # a folder on $fpath, then compinit
set -euo pipefail
usage="usage: make_completion.sh bash|zsh PATH/TO/mnet"
shell="${1:?$usage}"
mnet="${2:?$usage}"
case "$shell" in
  bash | BASH) shell=bash ;;
  zsh | ZSH) shell=zsh ;;
  *) echo "make_completion.sh: the shell must be bash or zsh, got '$shell'" >&2; exit 2 ;;
esac

version="$("$mnet" --version | awk 'NR == 1 {print $2}')"
commands="$("$mnet" --help | awk '/^Subcommands:/ { on = 1; next } on && /^  [a-z]/ { print $1 }')"
[ -n "$commands" ] || { echo "make_completion.sh: $mnet --help lists no subcommands" >&2; exit 1; }

# One line per option or positional of a help text, fields separated by US (\037: never in help
# text, and not whitespace, so that an empty field stays a field):
#   option NAMES KIND VALUES MANY DESCRIPTION   (NAMES "-o,--output"; KIND flag, enum, file or value)
#   positional NAME KIND VALUES MANY DESCRIPTION  (MANY "many" where it takes several: "images TEXT ...")
# CLI11 prints "  NAMES TYPE..." with the type one space after the names and the description two or
# more spaces later, or on the next line when the names and type are long.
parse_help() {
  awk -v US=$'\037' '
    function kind_of(type) {
      if (type == "") return "flag"
      if (type ~ /^\[=/) return "flag"           # --wait-idle [=SECONDS]: a value only after "="
      if (type ~ /:\{.*\}/) return "enum"
      if (type ~ /^(TEXT|FILE|PATH|DIR|FOLDER)/) return "file"
      return "value"
    }
    function values_of(type,   v) {
      if (type !~ /:\{.*\}/) return ""
      v = type; sub(/^[^{]*\{/, "", v); sub(/\}.*$/, "", v); gsub(/,/, " ", v)
      return v
    }
    function flush() {
      if (pending != "") print pending US desc
      pending = ""; desc = ""
    }
    /^Positionals:/ { flush(); section = "positional"; next }
    /^Options:/ { flush(); section = "option"; next }
    /^[^ ]/ { flush(); section = ""; next }
    section != "" && /^  [^ ]/ {
      flush()
      line = substr($0, 3)
      # The names: up to the first space.
      names = line; sub(/ .*$/, "", names)
      rest = substr(line, length(names) + 1)
      type = ""
      if (rest ~ /^ [^ ]/) { type = substr(rest, 2); sub(/ .*$/, "", type) }
      d = rest; if (match(d, /  +[^ ]/)) d = substr(d, RSTART); else d = ""
      sub(/^ +/, "", d)
      if (section == "option" && names !~ /^-/) next
      many = rest ~ / \.\.\.( |$)/ ? "many" : "one"
      pending = section US names US kind_of(type) US values_of(type) US many
      desc = d
      next
    }
    section != "" && pending != "" && desc == "" && /^   / { d = $0; sub(/^ +/, "", d); desc = d; next }
    END { flush() }
  '
}

# The first line of a subcommand's description in the root --help.
describe_command() {
  "$mnet" --help | awk -v c="$1" '/^Subcommands:/ { on = 1; next } on && $1 == c { $1 = ""; sub(/^ +/, ""); print; exit }'
}

emit_bash() {
  cat <<EOF
# bash completion for mnet $version, generated from its --help by scripts/make_completion.sh.
# Installed as share/bash-completion/completions/mnet; or: source this file.
_mnet() {
  local cur prev cmd i
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev=""
  ((COMP_CWORD > 0)) && prev="\${COMP_WORDS[COMP_CWORD - 1]}"
  # --opt=value: bash splits at "=" (COMP_WORDBREAKS), so the option is two words back.
  if [[ \$prev == "=" && COMP_CWORD -gt 1 ]]; then
    prev="\${COMP_WORDS[COMP_CWORD - 2]}"
  elif [[ \$cur == --*=* ]]; then
    prev="\${cur%%=*}"
    cur="\${cur#*=}"
  fi
  cmd=""
  for ((i = 1; i < COMP_CWORD; i++)); do
    case "\${COMP_WORDS[i]}" in
      -*) ;;
      *) cmd="\${COMP_WORDS[i]}"; break ;;
    esac
  done
  COMPREPLY=()
  if [[ -z \$cmd ]]; then
    if [[ \$cur == -* ]]; then
      COMPREPLY=(\$(compgen -W "--help --version" -- "\$cur"))
    else
      COMPREPLY=(\$(compgen -W "$(echo $commands)" -- "\$cur"))
    fi
    return 0
  fi
  local options="" values="" kind=""
  case "\$cmd" in
EOF
  for c in $commands; do
    local table options="" value_cases=""
    table="$("$mnet" "$c" --help | parse_help)"
    while IFS=$'\037' read -r what names kind values _ _; do
      [ "$what" = option ] || continue
      local patterns="${names//,/|}"
      options+="${options:+ }${names//,/ }"
      case "$kind" in
        enum) value_cases+="        $patterns) kind=enum; values=\"$values\" ;;"$'\n' ;;
        file) value_cases+="        $patterns) kind=file ;;"$'\n' ;;
        value) value_cases+="        $patterns) kind=value ;;"$'\n' ;;
      esac
    done <<<"$table"
    # What the positionals take: their values when they are an enum ("explain conv"), else files.
    local positional_values=""
    while IFS=$'\037' read -r what names kind values _ _; do
      [ "$what" = positional ] && [ "$kind" = enum ] && positional_values+="${positional_values:+ }$values"
    done <<<"$table"
    cat <<EOF
    $c)
      options="$options"
      case "\$prev" in
$value_cases      esac
      [[ -z \$kind && \$cur != -* ]] && { kind=positional; values="$positional_values"; } ;;
EOF
  done
  cat <<'EOF'
    *) return 0 ;;
  esac
  case "$kind" in
    enum) COMPREPLY=($(compgen -W "$values" -- "$cur")) ;;
    value) ;;  # a number or size: nothing to offer
    positional)
      if [[ -n $values ]]; then
        COMPREPLY=($(compgen -W "$values" -- "$cur"))
      else
        compopt -o filenames 2>/dev/null
        mapfile -t COMPREPLY < <(compgen -f -- "$cur")  # one name a line: spaces stay in the name
      fi ;;
    file)
      compopt -o filenames 2>/dev/null
      mapfile -t COMPREPLY < <(compgen -f -- "$cur") ;;
    *) COMPREPLY=($(compgen -W "$options" -- "$cur")) ;;
  esac
  return 0
}
complete -F _mnet mnet
EOF
}

# zsh: an _arguments spec per option. Descriptions lose the characters _arguments reads ([ ] :)
# and quotes.
zsh_text() { printf '%s' "$1" | cut -c1-100 | tr -d "][:'\\\\\`"; }

emit_zsh() {
  cat <<EOF
#compdef mnet
# zsh completion for mnet $version, generated from its --help by scripts/make_completion.sh.
# Installed as share/zsh/vendor-completions/_mnet; or: put it in a folder on \$fpath.

_mnet() {
  local curcontext="\$curcontext" state line
  typeset -A opt_args
  _arguments -C \\
    '(- *)'{-h,--help}'[Print help and exit]' \\
    '(- *)--version[Print the version and exit]' \\
    '1: :->command' \\
    '*:: :->args' && return 0
  case \$state in
    command)
      local -a commands
      commands=(
EOF
  for c in $commands; do
    printf "        '%s:%s'\n" "$c" "$(zsh_text "$(describe_command "$c")")"
  done
  cat <<'EOF'
      )
      _describe -t commands 'mnet subcommand' commands ;;
    args)
      case $line[1] in
EOF
  for c in $commands; do
    printf '        %s)\n          _arguments \\\n' "$c"
    local position=0
    while IFS=$'\037' read -r what names kind values many desc; do
      local text action spec
      text="$(zsh_text "$desc")"
      case "$kind" in
        enum) action=":value:($values)" ;;
        file) action=":file:_files" ;;
        value) action=":value: " ;;
        *) action="" ;;
      esac
      if [ "$what" = positional ]; then
        # Numbered; one that takes many ("images TEXT ...") is the rest: '*'.
        position=$((position + 1))
        local at="$position"
        [ "$many" = many ] && at="*"
        case "$kind" in
          enum) action=":$names:($values)" ;;
          *) action=":$names:_files" ;;
        esac
        printf "            '%s%s' \\\\\n" "$at" "$action"
        continue
      fi
      if [[ $names == *,* ]]; then
        spec="{${names}}'[$text]$action'"
        printf "            %s \\\\\n" "$spec"
      else
        printf "            '%s[%s]%s' \\\\\n" "$names" "$text" "$action"
      fi
    done <<<"$("$mnet" "$c" --help | parse_help)"
    printf '            && return 0 ;;\n'
  done
  cat <<'EOF'
      esac ;;
  esac
}

_mnet "$@"
EOF
}

"emit_$shell"
