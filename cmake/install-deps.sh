#!/usr/bin/env bash
# Installs the Debian packages concur needs for a goal, or prints the exact
# command when not root. Usage: cmake/install-deps.sh {test|bench|ci}
set -euo pipefail
goal=${1:-test}

# Required for every goal: the compiler, CMake, Boost.Thread and Lockfree,
# cereal (the process pool's serialisation), the test and benchmark
# frameworks (benchmarks also run as smoke tests), and RapidJSON (the tests
# parse concur-compare's JSON with it).
packages=(g++ make cmake ninja-build libboost-dev libboost-thread-dev libcereal-dev rapidjson-dev libgtest-dev libgmock-dev libbenchmark-dev
  libconcurrentqueue-dev libtbb-dev) # optional benchmark anchors: moodycamel's queue, oneTBB
case "$goal" in
  test) ;;
  bench) packages+=(python3 python3-uvloop gnuplot-nox) ;; # CPython and uvloop (anchors), concur-compare's charts
  ci) packages+=(clang clang-format libclang-rt-14-dev python3 gnuplot-nox) ;; # the thread-safety build, the format check, libFuzzer, the chart test
  *)
    echo "usage: $0 {test|bench|ci}" >&2
    exit 2
    ;;
esac

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

if [[ $(id -u) -eq 0 ]]; then
  echo "concur: installing missing Debian packages: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "concur: missing Debian packages: ${missing[*]}" >&2
  echo "Run this, then try again:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
  exit 1
fi
