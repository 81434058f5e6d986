/// Issue 10's linear-cost check: W2 and W3 at about 10^3, 10^4, 10^5 and 10^6 objects, where
/// pack and unpack should cost the same per object at every size (within ±20%).
struct SweepWorkload: Sendable {
    let id: String
    let title: String
    let objectNoun: String
    /// Smallest first; the last one is the row every other size is compared with.
    let points: [SweepPoint]
}

/// One size of a sweep workload.
struct SweepPoint: Sendable {
    let objects: Int
    /// Builds the data when this size's turn comes, so only one size is in memory at a time.
    let prepare: @Sendable () throws -> Prepared
}

/// How each size is measured. The machine is shared and its speed drifts between minutes, so
/// the sizes take turns: each pass measures every size once, and each size is compared with the
/// largest in the same pass. A pass gives a size enough rounds for a median even when a round
/// takes microseconds, and a cap so the smallest sizes end in bounded time.
struct SweepPolicy {
    let passes = 5
    let minimumRounds: Int
    let minimumMeasuredNanos: Double = 0.1e9
    let maximumRounds = 700
}

let sweepWorkloads: [SweepWorkload] = [
    SweepWorkload(
        id: "W2", title: "list: linked class nodes (value i, head 0); returns the sum", objectNoun: "nodes",
        points: [1_000, 10_000, 100_000, 1_000_000].map { count in
            SweepPoint(objects: count) {
                try Prepared(build: { buildW2List(count: count) }, check: count * (count - 1) / 2)
            }
        }),
    // The depths whose node counts 2^d - 1 lie closest to each power of ten on a log scale:
    // 8,191 (d = 13) is nearer to 10^4 than 16,383 (d = 14) is.
    SweepWorkload(
        id: "W3", title: "tree: complete binary tree, value = heap index; returns the node count", objectNoun: "nodes",
        points: [10, 13, 17, 20].map { depth in
            SweepPoint(objects: (1 << depth) - 1) {
                try Prepared(build: { buildW3Tree(depth: depth) }, check: (1 << depth) - 1)
            }
        }),
]

/// One size's passes: a recorder each, in pass order (fewer if a pass failed).
struct SweepMeasurement {
    let objects: Int
    var outcome: Outcome
    var passes: [Recorder]
}

/// Measures every size of `workload` in `policy.passes` passes over the sizes, smallest first:
/// pack, unpack and native construction interleaved in each round like the workloads' phases,
/// one warm-up round per size and pass. A size that fails is not measured again.
func runSweep(_ workload: SweepWorkload, policy: SweepPolicy) -> [SweepMeasurement] {
    var measurements = workload.points.map { SweepMeasurement(objects: $0.objects, outcome: .ok, passes: []) }
    for pass in 1...policy.passes {
        for (index, point) in workload.points.enumerated() {
            guard case .ok = measurements[index].outcome else { continue }
            let recorder = Recorder()
            let prepared: Prepared
            do {
                prepared = try point.prepare()
            } catch {
                measurements[index].outcome = .failed("preparing the data: \(error)")
                continue
            }
            let label = "\(workload.id) \(grouped(point.objects)) pass \(pass)/\(policy.passes)"
            measurements[index].outcome = runRounds([prepared.heapPack, prepared.native], recorder: recorder,
                                                    progressLabel: label, plannedRounds: nil) { rounds in
                rounds < policy.maximumRounds
                    && (rounds < policy.minimumRounds || recorder.measuredNanos < policy.minimumMeasuredNanos)
            }
            measurements[index].passes.append(recorder)
        }
    }
    return measurements
}
