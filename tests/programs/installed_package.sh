# cmake --install puts the library, headers, programs (as shmq-producer, shmq-consumer, shmq and shmq-bridge),
# their man pages and bash completion, a CMake package and a pkg-config file in a prefix; the
# example project in examples/ then builds against that tree with find_package, and the example
# source also builds with pkg-config alone.
source "$(dirname "$0")/lib.sh"
BUILD=$(cd "$BIN/.." && pwd)
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PREFIX=$WORK/prefix

PROGRAMS=(shmq-producer shmq-consumer shmq shmq-bridge)
COMPLETIONS=$PREFIX/share/bash-completion/completions

cmake --install "$BUILD" --prefix "$PREFIX" > "$WORK/install.log"
for file in "${PROGRAMS[@]/#/bin/}" "${PROGRAMS[@]/#/share/bash-completion/completions/}" \
            include/shmq/shmq.hpp lib/libshmq.a lib/cmake/shmq/shmqConfig.cmake \
            lib/cmake/shmq/shmqTargets.cmake lib/pkgconfig/shmq.pc; do
  [[ -e $PREFIX/$file ]] || fail "the install lacks $file"
done
for file in bin/producer bin/consumer; do
  [[ ! -e $PREFIX/$file ]] || fail "the install has $file: it is installed as bin/shmq-${file#bin/}"
done
for program in "${PROGRAMS[@]}"; do
  prints "(shmq) " "$PREFIX/bin/$program" --version || fail "installed $program does not run"
  prints "^Usage: " "$PREFIX/bin/$program" --help || fail "installed $program --help fails"
done

# A man page as man(1) shows it: plain ASCII, 80 columns.
show_man_page() {
  if command -v man > /dev/null; then
    LC_ALL=C MANWIDTH=80 man -l "$1"
  else
    LC_ALL=C groff -man -Tascii -P-cbou "$1"
  fi
}

echo "man pages"
# The build makes them when it found help2man (cmake/ShmqInstallProgram.cmake).
if ! grep -q '^SHMQ_MAN_PAGES:BOOL=ON$' "$BUILD/CMakeCache.txt" ||
   ! grep -q '^SHMQ_HELP2MAN:FILEPATH=/' "$BUILD/CMakeCache.txt"; then
  echo "SKIP man pages: the build had no help2man (Debian package help2man), or SHMQ_MAN_PAGES off"
elif ! command -v man > /dev/null && ! command -v groff > /dev/null; then
  echo "SKIP man pages: neither man nor groff is here to show them"
else
  # An option that takes a value, on a line of its own: its description is not run into it.
  declare -A OPTION=([shmq-producer]=--name [shmq-consumer]=--name [shmq]=--interval
                    [shmq-bridge]=--queue)
  for page in "${PROGRAMS[@]}"; do
    file=$PREFIX/share/man/man1/$page.1
    [[ -e $file ]] || fail "the install lacks share/man/man1/$page.1"
    text=$(show_man_page "$file" 2> "$WORK/man.err") ||
      fail "man -l $page.1: $(cat "$WORK/man.err")"
    [[ ! -s $WORK/man.err ]] || fail "man -l $page.1 warns: $(cat "$WORK/man.err")"
    grep -q "^ *$page \+- " <<< "$text" || fail "$page.1 has no NAME line for $page: $text"
    grep -q "^ *$page \(\[options\]\|COMMAND\|out|in\)" <<< "$text" ||
      fail "$page.1's synopsis does not name $page: $text"
    grep -qE -- "^ *(-[a-z], )?${OPTION[$page]} arg( \(=[^)]*\))?$" <<< "$text" ||
      fail "$page.1 does not list ${OPTION[$page]} on a line of its own: $text"
    ! grep -qF -- "[ --" <<< "$text" || fail "$page.1 shows Boost's '-n [ --name ]' form: $text"
    if command -v groff > /dev/null; then
      groff -man -ww -z "$file" 2> "$WORK/groff.err" || fail "groff fails on $page.1"
      [[ ! -s $WORK/groff.err ]] || fail "groff warns on $page.1: $(cat "$WORK/groff.err")"
    fi
  done
fi

echo "bash completion"
# What the completion installed for a command offers for a command line, its last word the one
# being completed, as bash-completion would load it: the command's own file, and the function
# that file registers for it.
completes() {
  PATH=$PREFIX/bin:$PATH bash -c '
    source "$1/$2"; shift
    function=$(complete -p "$1" | sed -E "s/.* -F ([^ ]+) .*/\1/")
    COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
    "$function" "$1" "${COMP_WORDS[-1]}" "${COMP_WORDS[-2]:-}"
    printf "%s\n" "${COMPREPLY[@]}"' completes "$COMPLETIONS" "$@"
}
for program in "${PROGRAMS[@]}"; do
  bash -n "$COMPLETIONS/$program" || fail "bash -n rejects the completion for $program"
  prints "^--help$" completes "$program" --he || fail "$program --he does not complete to --help"
done
prints "^--name$" completes shmq-producer --na || fail "shmq-producer --na does not complete"
prints "^--verify-order$" completes shmq-consumer --verify- ||
  fail "shmq-consumer --verify- does not complete"
prints "^multi$" completes shmq-consumer --producers "" ||
  fail "shmq-consumer --producers offers no modes"
prints "^stat$" completes shmq "" || fail "shmq offers no commands"
new_queue completion; q=$Q
"$PREFIX/bin/shmq-producer" --name "$q" --count 1 --quiet ||
  fail "shmq-producer could not create $q"
prints "^$q$" completes shmq stat "${q%-*}" || fail "shmq stat does not complete the queue $q"
prints "^$q$" completes shmq-consumer --name "${q%-*}" ||
  fail "shmq-consumer --name does not complete $q"

echo "only the public API is installed, each header compiles alone, and none needs Boost"
headers=$(cd "$PREFIX/include/shmq" && find . -type f | sort | tr '\n' ' ')
[[ $headers == "./admin.hpp ./attach_options.hpp ./consumer.hpp ./errors.hpp ./geometry.hpp ./inspect.hpp ./producer.hpp ./shmq.hpp ./version.hpp ./wire.hpp " ]] ||
  fail "the installed headers are: $headers"
for header in "$PREFIX"/include/shmq/*.hpp; do
  echo "#include <shmq/${header##*/}>" |
    g++ -std=c++20 -fsyntax-only -Wall -Wextra -I"$PREFIX/include" -x c++ - ||
    fail "${header##*/} does not compile on its own"
done
! grep -l "boost" "$PREFIX"/include/shmq/*.hpp || fail "a public header includes Boost"
! grep -q "Boost" "$PREFIX"/lib/cmake/shmq/*.cmake || fail "the CMake package still needs Boost"

echo "find_package(shmq CONFIG REQUIRED) from a separate project"
cmake -S "$ROOT/examples/hello-queue" -B "$WORK/example" -DCMAKE_PREFIX_PATH="$PREFIX" \
  > "$WORK/configure.log" || fail "configuring the example: $(cat "$WORK/configure.log")"
cmake --build "$WORK/example" > "$WORK/build.log" 2>&1 || fail "building the example: $(cat "$WORK/build.log")"
new_queue example; q=$Q
timeout -k 5 "$LIMIT" "$WORK/example/hello-queue" "$q" | tee "$WORK/example.out"
grep -q "hello-queue: 4 messages received" "$WORK/example.out" || fail "the example did not work"

echo "pkg-config --cflags --libs shmq"
flags=$(PKG_CONFIG_PATH=$PREFIX/lib/pkgconfig pkg-config --cflags --libs shmq) ||
  fail "pkg-config does not find shmq"
# shellcheck disable=SC2086  # the flags are words
g++ "$ROOT/examples/hello-queue/main.cpp" $flags -o "$WORK/hello-pkg-config" ||
  fail "building with pkg-config flags: $flags"
new_queue pkgconfig; q=$Q
prints "4 messages received" timeout -k 5 "$LIMIT" "$WORK/hello-pkg-config" "$q" ||
  fail "the pkg-config build did not work"
echo "the README's first example, against the installed prefix, on a queue of its own"
new_queue readme-cpp; q=$Q
awk '/^```cpp$/ { inside = 1; next } inside && /^```$/ { exit } inside' "$ROOT/README.md" |
  sed "s/(\"hello\"/(\"$q\"/g" > "$WORK/readme-example.cpp"  # the queue, not the word
[[ -s $WORK/readme-example.cpp ]] || fail "the README has no C++ example"
# shellcheck disable=SC2086  # the flags are words
g++ -Wall -Wextra "$WORK/readme-example.cpp" $flags -o "$WORK/readme-example" ||
  fail "the README's example does not build"
timeout -k 5 "$LIMIT" "$WORK/readme-example" > "$WORK/readme-example.out" ||
  fail "the README's example failed"
[[ $(cat "$WORK/readme-example.out") == $'hello\nfrom\nanother\nprocess' ]] ||
  fail "the README's example printed: $(cat "$WORK/readme-example.out")"
[[ ! -e /dev/shm/$q ]] || fail "the README's example left its queue"

echo "the Python package, from the prefix's site-packages, runs the README's Python example"
PYTHON=$(sed -n 's/^SHMQ_PYTHON_INTERPRETER:INTERNAL=//p' "$BUILD/CMakeCache.txt")
if [[ ! -d $BUILD/python/shmq ]]; then
  echo "SKIP Python: the build has no module (python3-dev and pybind11-dev were not found)"
else
  package=$(find "$PREFIX/lib" -path '*-packages/shmq/__init__.py' -printf '%h\n')
  [[ -n $package && -e $package/__init__.pyi && -e $package/py.typed ]] ||
    fail "the install lacks the Python package, or its stubs"
  ls "$package"/_shmq.*.so > /dev/null || fail "the install lacks the extension module"
  new_queue readme-python; q=$Q
  awk '/^```python$/ { inside = 1; next } inside && /^```$/ { exit } inside' "$ROOT/README.md" |
    sed "s/\"jobs\"/\"$q\"/g" > "$WORK/readme-example.py"
  [[ -s $WORK/readme-example.py ]] || fail "the README has no Python example"
  (cd "$WORK" && PYTHONPATH=${package%/shmq} timeout -k 5 "$LIMIT" "$PYTHON" readme-example.py \
     > "$WORK/readme-python.out") || fail "the README's Python example failed"
  [[ $(cat "$WORK/readme-python.out") == $'job 0\njob 1\njob 2' ]] ||
    fail "the README's Python example printed: $(cat "$WORK/readme-python.out")"
  [[ ! -e /dev/shm/$q ]] || fail "the README's Python example left its queue"
fi
echo "PASS"
