#!/usr/bin/env bash
# The program help2man reads (cmake/ShmqInstallProgram.cmake): runs $SHMQ_MAN_PROGRAM with the
# arguments given and shows its --help and --version under the installed name $SHMQ_MAN_NAME.
# The programs print their build tree's name (producer); the page is for shmq-producer. Boost
# writes the longest option with one space before its description, which help2man would read as
# part of the option: options become "-n, --name" and get two spaces, and a heading such as
# "Options:" gets a blank line before it so that it heads a section.
set -euo pipefail
: "${SHMQ_MAN_NAME:?} ${SHMQ_MAN_PROGRAM:?}"
"$SHMQ_MAN_PROGRAM" "$@" | perl -pe '
  s/^(Usage: )?\S+/$1$ENV{SHMQ_MAN_NAME}/ if $. == 1;
  print "\n" if /^[A-Z][a-z ]*:$/ && $previous !~ /^$/;
  $options = /^Options:$/ ? 1 : /^$/ ? 0 : $options;
  if ($options) {
    s/^  -(\w) \[ (--[\w-]+) \]/  -$1, $2/;
    s/^(  (?>(?:-\w(?:, --[\w-]+)?|--[\w-]+)(?: arg)?(?: \(=[^)]*\))?)) (?=\S)/$1  /;
  }
  $previous = $_;'
