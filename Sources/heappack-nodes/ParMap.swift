import ArgumentParser
import HeapPackCluster

/// A parallel map whose closure captures a large class graph: every task frame carries the
/// graph, so the pack, unpack and transport columns show what a capture costs, and how larger
/// chunks spread that cost over more inputs.
struct ParMapCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "parmap",
        abstract: "Random walks over a captured road map of class instances, one input per walk.")

    @Option(help: "Junctions in the road map (class instances with three roads each).")
    var junctions = 100_000

    @Option(help: "Inputs, each a walk from its own junction.")
    var inputs = 32

    @Option(help: "Steps of each walk.")
    var steps = 500_000

    @Option(help: "Inputs per task in the second variant (the first sends one input per task).")
    var chunk = 8

    @OptionGroup var sweep: SweepOptions

    func validate() throws {
        if junctions < 1 { throw ValidationError("--junctions must be at least 1") }
        if inputs < 1 { throw ValidationError("--inputs must be at least 1") }
        if steps < 0 { throw ValidationError("--steps cannot be negative") }
        if chunk < 1 { throw ValidationError("--chunk must be at least 1") }
    }

    func run() async throws {
        let map = RoadMap(junctions: junctions)
        let steps = steps, starts = Array(0..<inputs)
        func variant(chunk: Int) -> Variant {
            Variant(name: "chunk \(chunk)") { cluster throws(ClusterError) in
                try await cluster.map(starts, chunkSize: chunk) { start in map.walk(from: start, steps: steps) }.reduce(0, +)
            }
        }
        try await Sweep(experiment: "parmap",
                        title: "\(inputs) walks of \(steps) steps over \(junctions) junctions captured by the closure",
                        sequential: { starts.reduce(0) { $0 + map.walk(from: $1, steps: steps) } },
                        variants: [variant(chunk: 1), variant(chunk: chunk)], options: sweep).run()
    }
}

final class Junction {
    let toll: Int
    var roads: [Junction] = []

    init(toll: Int) { self.toll = toll }
}

/// Junctions joined by roads at random (a fixed seed): a graph full of cycles and sharing.
final class RoadMap {
    let junctions: [Junction]

    init(junctions count: Int) {
        var random = SplitMix(seed: 0x5EED)
        junctions = (0..<count).map { _ in Junction(toll: Int(random.next() % 100)) }
        for junction in junctions {
            junction.roads = (0..<3).map { _ in junctions[Int(random.next() % UInt64(count))] }
        }
    }

    /// The roads make cycles, which reference counting alone would never free.
    deinit {
        for junction in junctions { junction.roads = [] }
    }

    /// The tolls paid on a walk that picks each next road by a generator seeded with `start`.
    func walk(from start: Int, steps: Int) -> Int {
        var random = SplitMix(seed: UInt64(start))
        var here = junctions[start % junctions.count]
        var paid = 0
        for _ in 0..<steps {
            here = here.roads[Int(random.next() % 3)]
            paid &+= here.toll
        }
        return paid
    }
}

/// SplitMix64: the same numbers in the coordinator, the workers and the sequential program.
struct SplitMix {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
