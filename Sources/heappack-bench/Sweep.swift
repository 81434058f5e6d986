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

/// How long each size is measured: enough rounds for a median even when a small size takes
/// microseconds a round, and a cap so the smallest sizes end in bounded time.
struct SweepPolicy {
    let minimumRounds: Int
    let minimumMeasuredNanos: Double = 0.3e9
    let maximumRounds = 2_000
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

struct SweepMeasurement {
    let objects: Int
    let outcome: Outcome
    let recorder: Recorder
}

/// Measures every size of `workload` in turn: pack, unpack and native construction interleaved
/// in each round like the workloads' phases, one warm-up round per size, medians reported.
func runSweep(_ workload: SweepWorkload, policy: SweepPolicy) -> [SweepMeasurement] {
    workload.points.map { point in
        let recorder = Recorder()
        let prepared: Prepared
        do {
            prepared = try point.prepare()
        } catch {
            return SweepMeasurement(objects: point.objects, outcome: .failed("preparing the data: \(error)"),
                                    recorder: recorder)
        }
        let outcome = runRounds([prepared.heapPack, prepared.native], recorder: recorder,
                                progressLabel: "\(workload.id) \(grouped(point.objects))", plannedRounds: nil) { rounds in
            rounds < policy.maximumRounds
                && (rounds < policy.minimumRounds || recorder.measuredNanos < policy.minimumMeasuredNanos)
        }
        return SweepMeasurement(objects: point.objects, outcome: outcome, recorder: recorder)
    }
}
