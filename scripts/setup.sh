#!/usr/bin/env bash
# Installs what shmq needs from Debian's packages, then configures and builds it (Release).
#   scripts/setup.sh [BUILD_DIR] [extra cmake arguments...]
# Used by demo.sh, test.sh and fuzz.sh; safe to run again. SHMQ_SKIP_INSTALL=1 skips the packages.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$ROOT/build}
shift || true

PACKAGES=(cmake make g++ libboost-dev libboost-program-options-dev catch2 python3 util-linux
          pkg-config nlohmann-json3-dev help2man nats-server libnats-dev
          python3-dev pybind11-dev python3-pytest  # the Python module and its tests
          libzmq3-dev iceoryx libiceoryx-posh-dev)  # the last three: shmq-bench's peers
# Callers that need more (the fuzzers need clang) name them in SHMQ_EXTRA_PACKAGES.
read -r -a EXTRA <<< "${SHMQ_EXTRA_PACKAGES:-}"
PACKAGES+=("${EXTRA[@]}")

install_packages() {
  local sudo=()
  if [[ $(id -u) != 0 ]]; then
    command -v sudo >/dev/null || { echo "setup: run as root or install sudo" >&2; exit 1; }
    sudo=(sudo)
  fi
  echo "setup: installing ${PACKAGES[*]}"
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends \
    "${PACKAGES[@]}" >/dev/null
}

[[ -n ${SHMQ_SKIP_INSTALL:-} ]] || install_packages
echo "setup: building in $BUILD"
cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
cmake --build "$BUILD" -j"$(nproc)"
