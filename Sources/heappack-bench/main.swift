// heappack-bench: the workloads of ../shared/bench/WORKLOADS.md, each a closure that is packed,
// unpacked, called and checked, next to memcpy, Codable and native-construction baselines
// measured in the same rounds; or, with --sweep, W2 and W3 at four sizes to show that their
// cost per object stays flat.
import Foundation

#if DEBUG
let buildConfiguration = "DEBUG (-Onone)"
#else
let buildConfiguration = "release"
#endif

#if compiler(>=6.3.1)
let compilerVersion = "6.3.1 or later"
#elseif compiler(>=6.3)
let compilerVersion = "6.3"
#elseif compiler(>=6.2)
let compilerVersion = "6.2"
#else
let compilerVersion = "before 6.2"
#endif

func loadAverage() -> String {
    (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))
        .map { $0.split(separator: " ").prefix(3).joined(separator: " ") } ?? "?"
}

/// CPU model and last-level cache size: packets below the cache size make memcpy look much
/// faster than main-memory bandwidth, which matters when reading the floor.
func machineDescription() -> String {
    let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
    let model = cpuinfo.split(separator: "\n").first { $0.hasPrefix("model name") }
        .flatMap { $0.split(separator: ":", maxSplits: 1).last }
        .map { $0.trimmingCharacters(in: .whitespaces) } ?? "unknown CPU"
    let cache = (try? String(contentsOfFile: "/sys/devices/system/cpu/cpu0/cache/index3/size", encoding: .utf8))
        .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) } ?? "?"
    return "\(model), L3 \(cache)"
}

let arguments: Arguments
switch Arguments.parse(Array(CommandLine.arguments.dropFirst())) {
case .run(let parsed):
    arguments = parsed
case .help:
    print(Arguments.usage)
    exit(0)
case .error(let message):
    FileHandle.standardError.write(Data("heappack-bench: \(message)\n\(Arguments.usage)\n".utf8))
    exit(2)
}

#if DEBUG
let debugWarning = """
    ************************************************************************
    WARNING: heappack-bench was built in DEBUG. These numbers mean nothing.
    Build with: swift build -c release --product heappack-bench
    ************************************************************************
    """
print(debugWarning)
FileHandle.standardError.write(Data((debugWarning + "\n").utf8))
#endif

let workloads = arguments.selected.isEmpty
    ? allWorkloads
    : allWorkloads.filter { arguments.selected.contains($0.id) }
let sweepPolicy = SweepPolicy(minimumRounds: arguments.runs)
let config = arguments.sweep
    ? "sweep of \(sweepWorkloads.map(\.id).joined(separator: " ")) at about 10^3..10^6 objects in \(sweepPolicy.passes) "
        + "passes over the sizes; per size and pass 1 warm-up round, then at least \(sweepPolicy.minimumRounds) measured "
        + "rounds and \(fixed(sweepPolicy.minimumMeasuredNanos / 1e9, 1)) s of timed work (at most "
        + "\(grouped(sweepPolicy.maximumRounds)) rounds); pack, unpack and native construction interleaved per round; "
        + "clock CLOCK_MONOTONIC; unpack with default UnpackOptions (checksum verified)"
    : "\(arguments.runs) measured runs + 1 warm-up per workload; phases interleaved per round; "
        + "clock CLOCK_MONOTONIC; MB = 10^6 bytes; unpack with default UnpackOptions (checksum verified); "
        + "workloads \(workloads.map(\.id).joined(separator: " "))"
let processInfo = ProcessInfo.processInfo
print("heappack-bench: Swift compiler \(compilerVersion), \(buildConfiguration) build, Swift 6 language mode; "
      + "\(processInfo.activeProcessorCount) active cores (\(machineDescription())); \(processInfo.operatingSystemVersionString)")
print("config: \(config)")
print("load average at start: \(loadAverage())")
print("")
flushOutput()

let start = monotonicNanos()
var failed: [String] = []
if arguments.sweep {
    for workload in sweepWorkloads {
        let measurements = runSweep(workload, policy: sweepPolicy)
        if !reportSweep(workload, measurements) { failed.append(workload.id) }
        flushOutput()
    }
} else {
    for workload in workloads {
        let result = runWorkload(workload, runs: arguments.runs)
        report(result)
        if case .failed = result.outcome { failed.append(workload.id) }
        flushOutput()
    }
}

print("load average at end: \(loadAverage()); total wall time \(fixed(Double(monotonicNanos() - start) / 1e9, 1)) s")
if failed.isEmpty {
    print("all checks passed")
} else {
    print("FAIL: \(failed.joined(separator: " "))")
    exit(1)
}
