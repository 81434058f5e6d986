#!/usr/bin/env bash
# Coverage-guided fuzzing of unpack and inspect (libFuzzer + AddressSanitizer), seeded with real
# packets of this build. Fails on any finding: a crash, a sanitizer report, a leak, an input
# slower than --timeout seconds or one that needs more than --rss-mb of memory.
#
#   bash scripts/fuzz.sh                            # five minutes (--seconds 300 by default)
#   bash scripts/fuzz.sh --seconds 240              # CI (.ci/run)
#   bash scripts/fuzz.sh --seconds 14400 --jobs 2   # hours, on both cores
#
# A finding is written to .build-fuzz/findings/ and replays with
#   .build-fuzz/release/heappack-fuzz <file>
# (only the binary that found it can replay it: packets name its build-id).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

seconds=300
jobs=1
timeout=10
rss_mb=4096
while [ $# -gt 0 ]; do
    case "$1" in
        --seconds) seconds="$2"; shift 2 ;;
        --jobs) jobs="$2"; shift 2 ;;
        --timeout) timeout="$2"; shift 2 ;;
        --rss-mb) rss_mb="$2"; shift 2 ;;
        *) echo "fuzz: unknown option $1" >&2; exit 2 ;;
    esac
done

export SWIFT_BACKTRACE=enable=no
# SwiftPM hands swiftc the two sanitizers as two flags, -sanitize=fuzzer -sanitize=address, in
# no fixed order, and swiftc keeps only the last: the Swift code got either no coverage counters
# (the fuzzer saw only the C shim's edges) or no AddressSanitizer. The combined flag, which
# comes after SwiftPM's own, gives it both.
# Optimized, as fuzzing builds usually are: the unoptimized build ran 290 inputs a second, this
# one about 800, and Swift's -O keeps every bounds, overflow and precondition check.
swift build -c release --product heappack-fuzz --sanitize=fuzzer --sanitize=address -Xswiftc -sanitize=fuzzer,address \
    --scratch-path .build-fuzz 2>&1 | grep -v "Cannot export local symbol"
# Both instrumentations must be in the Swift code, or the run proves little.
for probe in .build-fuzz/release/HeapPack.build/UnpackWalk.swift.o; do
    sections=$(objdump -h "$probe")
    grep -q __sancov_cntrs <<<"$sections" || { echo "fuzz: $probe has no coverage counters" >&2; exit 1; }
    symbols=$(nm "$probe")
    grep -q __asan_ <<<"$symbols" || { echo "fuzz: $probe is not built with AddressSanitizer" >&2; exit 1; }
done
binary=.build-fuzz/release/heappack-fuzz

# A corpus from an earlier build names another build-id, so every run starts from fresh seeds.
corpus=.build-fuzz/corpus
findings=.build-fuzz/findings
# A killed run leaves its jobs' logs behind, which would be counted with this run's.
rm -rf "$corpus" "$findings" .build-fuzz/fuzz-*.log
mkdir -p "$corpus" "$findings"

export LSAN_OPTIONS="suppressions=$PWD/scripts/lsan.supp:print_suppressions=0"
# The reader test-allocates what a packet's objects will need before it builds them (to refuse
# what the machine cannot hold); that one allocation may be larger than the fuzzer's RSS limit.
# Allocation stacks five frames deep: recording whole ones took a fifth of the run time, and a
# finding replays with full stacks (ASAN_OPTIONS unset) from its saved input.
export ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:allocator_may_return_null=1:malloc_context_size=5"
export HEAPPACK_FUZZ_SEEDS="$PWD/$corpus"
log=.build-fuzz/fuzz.log
parallel=()
[ "$jobs" -gt 1 ] && parallel=(-jobs="$jobs" -workers="$jobs")
status=0
# From .build-fuzz, where libFuzzer's parallel jobs write their fuzz-N.log files.
(cd .build-fuzz && exec "$PWD/release/heappack-fuzz" "$PWD/corpus" -max_total_time="$seconds" -timeout="$timeout" \
    -rss_limit_mb="$rss_mb" -malloc_limit_mb=65536 -max_len=4096 -artifact_prefix="$PWD/findings/" \
    -print_final_stats=1 "${parallel[@]}") >"$log" 2>&1 || status=$?
# With --jobs, libFuzzer copies each job's fuzz-N.log into the main log as the job ends, so the
# main log holds every report; executions are counted from the job logs, once each.
stats="$log"
[ "$jobs" -gt 1 ] && stats=$(ls .build-fuzz/fuzz-*.log 2>/dev/null || true)
runs=$(cat $stats 2>/dev/null | grep -o 'stat::number_of_executed_units: *[0-9]*' | awk '{s += $2} END {print s + 0}')
rm -f .build-fuzz/fuzz-*.log
tail -n 25 "$log"
echo "fuzz: $runs executions in ${seconds}s, $jobs job(s); corpus: $(ls "$corpus" | wc -l) inputs"
if [ "$status" -ne 0 ] || [ -n "$(ls -A "$findings")" ]; then
    # The report itself, whole: a CI log is all that is left of a finding, and its input
    # replays only with the binary that found it.
    first=$(grep -n -m 1 -E '^==[0-9]+==|ERROR: libFuzzer|^ALARM' "$log" | cut -d: -f1 || true)
    [ -z "$first" ] || sed -n "${first},+150p" "$log" >&2
    echo "fuzz: FINDING (exit status $status); inputs in $findings:" >&2
    ls -l "$findings" >&2
    exit 1
fi
