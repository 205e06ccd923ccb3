# cmake --install puts the library, headers, programs, a CMake package and a pkg-config file in a
# prefix; the example project in examples/ then builds against that tree with find_package, and
# the example source also builds with pkg-config alone.
source "$(dirname "$0")/lib.sh"
BUILD=$(cd "$BIN/.." && pwd)
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PREFIX=$WORK/prefix

cmake --install "$BUILD" --prefix "$PREFIX" > "$WORK/install.log"
for file in bin/producer bin/consumer bin/shmq include/shmq/shmq.hpp lib/libshmq.a \
            lib/cmake/shmq/shmqConfig.cmake lib/cmake/shmq/shmqTargets.cmake lib/pkgconfig/shmq.pc; do
  [[ -e $PREFIX/$file ]] || fail "the install lacks $file"
done
prints shmq "$PREFIX/bin/shmq" --version || fail "installed shmq does not run"

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
echo "PASS"
