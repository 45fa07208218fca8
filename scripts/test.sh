#!/usr/bin/env bash
# Sets up and runs every test: installs dependencies, builds, runs the whole
# suite (unit, transport, mock cluster, install/pkg-config), then runs it
# again under ASan+UBSan, and the threaded tests under TSan.
#
#   scripts/test.sh            everything
#   scripts/test.sh --fast     the plain build only (no sanitizer runs)
set -euo pipefail
cd "$(dirname "$0")/.."
fast=0
[ "${1:-}" = "--fast" ] && fast=1
jobs=$(nproc 2>/dev/null || echo 2)

scripts/deps.sh

step() { echo; echo "==> $*"; }

build() { # dir, extra cmake args...
        local dir=$1; shift
        cmake -S . -B "$dir" -DRMQ_WERROR=ON "$@" >/dev/null
        cmake --build "$dir" -j "$jobs"
}

step "build (RelWithDebInfo)"
build build
step "test"
(cd build && ctest --output-on-failure -j "$jobs")

if [ $fast -eq 1 ]; then exit 0; fi

step "build with ASan+UBSan"
build build-asan -DRMQ_SANITIZE=address -DCMAKE_BUILD_TYPE=Debug \
        -DRMQ_BUILD_EXAMPLES=OFF -DRMQ_BUILD_BENCH=OFF
step "test under ASan+UBSan"
(cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
        UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        RMQ_TEST_TIMEOUT_MULTIPLIER=3 \
        ctest --output-on-failure -j "$jobs" -LE install)

step "build with TSan"
build build-tsan -DRMQ_SANITIZE=thread -DCMAKE_BUILD_TYPE=Debug \
        -DRMQ_BUILD_EXAMPLES=OFF -DRMQ_BUILD_BENCH=OFF
step "threaded tests under TSan"
(cd build-tsan && TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
        RMQ_TEST_TIMEOUT_MULTIPLIER=5 \
        ctest --output-on-failure -j "$jobs" -L 'net|mock')

step "all tests passed"
