#!/usr/bin/env bash
# The whole test suite, as the README's quick start and CI run it: installs
# what it needs, builds, runs every CTest suite, then builds and runs them all
# again under AddressSanitizer + UndefinedBehaviorSanitizer.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh

echo "== release build and tests"
scripts/build.sh build
(cd build && ctest --output-on-failure -j2 --timeout 600)

echo "== ASan + UBSan build and tests"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
scripts/build.sh build-asan -DTSR_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
(cd build-asan && ctest --output-on-failure -j2 --timeout 900)
