#!/usr/bin/env bash
# Quick start, part two: the whole test suite, three times over.
#   1. debug build with the MPI trait   (swift test --traits MPI: also runs the MPI tests, each
#      an mpiexec job of 3 ranks over TCP; the tests set Open MPI's variables for root and
#      oversubscription, and MPIEXEC_TIMEOUT)
#   2. release build (-O changes layouts, lifetimes and specialisation; the cross-process
#      tests then run the release heappack-peer)
#   3. AddressSanitizer + LeakSanitizer over everything, C shim included
# Any failure, sanitizer finding or leak fails the script.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

# Only Swift Testing is used: --disable-xctest keeps XCTest's empty run (which leaks) out.
# The Swift backtracer can wedge on a sanitizer abort; sanitizers print their own reports.
export SWIFT_BACKTRACE=enable=no

echo "== debug, with the MPI trait"
swift test --disable-xctest --traits MPI

echo "== release"
swift test --disable-xctest -c release --scratch-path .build-release

echo "== AddressSanitizer"
LSAN_OPTIONS="suppressions=$PWD/scripts/lsan.supp:print_suppressions=0" \
ASAN_OPTIONS="detect_leaks=1:halt_on_error=1" \
    swift test --disable-xctest --sanitize=address --scratch-path .build-asan
