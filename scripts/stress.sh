#!/usr/bin/env bash
# Stress: heappack-stress packs and unpacks random value graphs on 8 threads sharing one
# Packer and through a child process, counting every node's life, first under AddressSanitizer
# and LeakSanitizer, then under ThreadSanitizer.
#   bash scripts/stress.sh                  CI: a minute under each sanitizer
#   bash scripts/stress.sh --seconds 3600   an hour under each
# Arguments go to heappack-stress (`swift run heappack-stress --help`). A failed graph, a
# node not freed exactly once, a sanitizer report or a leak fails the script.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

# The Swift backtracer can wedge on a sanitizer abort; sanitizers print their own reports.
export SWIFT_BACKTRACE=enable=no
arguments=("$@")
[ ${#arguments[@]} -gt 0 ] || arguments=(--seconds 60)

# Each sanitizer's build directory is the one scripts/test.sh uses for it, so after the tests
# only heappack-stress itself is compiled.
run() {
    local sanitizer=$1 scratch=$2
    swift build --sanitize="$sanitizer" --scratch-path "$scratch" --product heappack-stress
    "$(swift build --sanitize="$sanitizer" --scratch-path "$scratch" --show-bin-path)/heappack-stress" "${arguments[@]}"
}

echo "== AddressSanitizer + LeakSanitizer"
LSAN_OPTIONS="suppressions=$PWD/scripts/lsan.supp:print_suppressions=0" \
ASAN_OPTIONS="detect_leaks=1:halt_on_error=1" \
    run address .build-asan

echo "== ThreadSanitizer"
TSAN_OPTIONS="halt_on_error=1" \
    run thread .build-tsan
