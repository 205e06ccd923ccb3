# Bash completion for shmq-producer, shmq-consumer, shmq and shmq-bridge, installed under each of
# their names
# in share/bash-completion/completions; source it to complete the build tree's producer and
# consumer too. The options come from the program's own --help, so they cannot drift from it;
# queue names are the files in /dev/shm.

# The options in the "Options:" part of a program's --help, one a line: the long name, "arg" if
# it takes a value or "-", and the short name if any ("  -n [ --name ] arg (=shmq) queue name"
# gives "--name arg -n"). Only lines indented by two spaces: a description's continuation lines
# are indented further, and may begin with an option's name.
_shmq_options() {
  "$1" --help 2>/dev/null | awk '
    /^Options:$/ { on = 1; next }
    /^$/ { on = 0 }
    on && /^  -/ {
      short = ""; long = $1; next_word = 2
      if ($2 == "[") { short = $1; long = $3; next_word = 5 }
      print long, ($next_word == "arg" ? "arg" : "-"), short
    }'
}

# Whether the first word is one of the others.
_shmq_is_one_of() {
  local word=$1 other
  shift
  for other; do [[ $word == "$other" ]] && return 0; done
  return 1
}

# Offers those of the words in $1 that begin with $2.
_shmq_reply() {
  mapfile -t COMPREPLY < <(compgen -W "$1" -- "$2")
}

# The names in /dev/shm that could be queues: its regular files.
_shmq_queue_names() {
  local file
  for file in /dev/shm/*; do
    [[ -f $file ]] && printf '%s\n' "${file##*/}"
  done
}

# Completes the options and their values; for shmq, also its command and then a queue's name.
_shmq_complete() {
  local program=$1 cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
  # COMP_WORDBREAKS splits --name=q into "--name" "=" "q".
  if [[ $cur == = ]]; then
    cur=""
  elif [[ $prev == = ]]; then
    prev=${COMP_WORDS[COMP_CWORD - 2]}
  fi
  local long value short
  local -a options=() valued=()
  while read -r long value short; do
    options+=("$long")
    [[ $value == arg ]] && valued+=("$long" ${short:+"$short"})
  done < <(_shmq_options "$program")

  if _shmq_is_one_of "$prev" "${valued[@]}"; then
    case $prev in
      -n | --name | --queue) _shmq_reply "$(_shmq_queue_names)" "$cur" ;;
      --producers | --consumers) _shmq_reply "single multi" "$cur" ;;
      --wait) _shmq_reply "block spin" "$cur" ;;
      -i | --input | -o | --output | --json | --progress | --record | --creds)
        compopt -o filenames 2>/dev/null
        mapfile -t COMPREPLY < <(compgen -f -- "$cur") ;;
      *) COMPREPLY=() ;;
    esac
    return
  fi
  if [[ $cur == -* ]]; then
    _shmq_reply "${options[*]}" "$cur"
    return
  fi
  # shmq-bridge DIRECTION: its first word.
  if [[ $program == shmq-bridge || $program == */shmq-bridge ]]; then
    ((COMP_CWORD == 1)) && _shmq_reply "out in" "$cur"
    return
  fi
  [[ $program == shmq || $program == */shmq ]] || return
  # shmq COMMAND [NAME]: which of the two the word is, from the words before it that are neither
  # options nor an option's value.
  local -a words=()
  local i word
  for ((i = 1; i < COMP_CWORD; i++)); do
    word=${COMP_WORDS[i]}
    [[ $word == -* || $word == = || ${COMP_WORDS[i - 1]} == = ]] && continue
    _shmq_is_one_of "${COMP_WORDS[i - 1]}" "${valued[@]}" && continue
    words+=("$word")
  done
  case ${#words[@]} in
    0) _shmq_reply "list stat check remove" "$cur" ;;
    1) [[ ${words[0]} == list ]] || _shmq_reply "$(_shmq_queue_names)" "$cur" ;;
  esac
}

complete -F _shmq_complete shmq-producer shmq-consumer shmq shmq-bridge
# The build tree's names are generic: take them only if nothing else completes them.
for _shmq_name in producer consumer; do
  complete -p "$_shmq_name" &>/dev/null || complete -F _shmq_complete "$_shmq_name"
done
unset _shmq_name
