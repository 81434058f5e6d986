/// Collects timings and sizes for one workload.
///
/// Round 0 is the warm-up: it fills HeapPack's plan cache and faults in pages, so its
/// timings are kept apart as "cold" and never enter the statistics.
final class Recorder {
    private(set) var isWarmUp = true
    private(set) var samples: [String: [Double]] = [:]
    private(set) var cold: [String: Double] = [:]
    var sizes: [String: Int] = [:]
    /// The sum of every measured sample: the sweep measures each size for at least a given
    /// amount of timed work, however many rounds that takes.
    private(set) var measuredNanos: Double = 0

    func beginMeasuredRounds() { isWarmUp = false }

    /// Times `body` alone: callers keep setup, checks and teardown outside it.
    @inline(__always)
    func time<R>(_ key: String, _ body: () throws -> R) rethrows -> R {
        let start = monotonicNanos()
        let result = try body()
        let end = monotonicNanos()
        record(key, nanos: Double(end &- start))
        return result
    }

    func record(_ key: String, nanos: Double) {
        if isWarmUp {
            cold[key] = nanos
        } else {
            samples[key, default: []].append(nanos)
            measuredNanos += nanos
        }
    }

    func stats(_ key: String) -> Stats? { samples[key].flatMap(Stats.init) }
}
