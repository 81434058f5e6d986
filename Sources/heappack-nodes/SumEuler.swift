import ArgumentParser
import HeapPackCluster

/// Σφ(1...upper), HdpH's sumEuler: φ(n) counts the k ≤ n with gcd(n, k) = 1, by trying each k,
/// so a task costs about the square of its numbers and later chunks cost more.
struct SumEulerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sumeuler",
        abstract: "Σφ(1...upper), chunked (consecutive numbers per task) and sliced (round-robin).")

    @Option(help: "The last number whose totient is summed.")
    var upper = 50_000

    @Option(help: "Numbers per task.")
    var chunk = 500

    @OptionGroup var sweep: SweepOptions

    func validate() throws {
        if upper < 1 || upper > Int(UInt32.max) { throw ValidationError("--upper must be in 1...\(UInt32.max)") }
        if chunk < 1 { throw ValidationError("--chunk must be at least 1") }
    }

    func run() async throws {
        let upper = upper, chunk = chunk
        let taskCount = (upper + chunk - 1) / chunk
        let chunked = Variant(name: "chunked") { cluster throws(ClusterError) in
            let ranges = stride(from: 1, through: upper, by: chunk).map { $0...min($0 + chunk - 1, upper) }
            return try await cluster.map(ranges) { range in Totient.sum(range) }.reduce(0, +)
        }
        let sliced = Variant(name: "sliced") { cluster throws(ClusterError) in
            try await cluster.map(1...taskCount) { first in
                Totient.sum(stride(from: first, through: upper, by: taskCount))
            }.reduce(0, +)
        }
        try await Sweep(experiment: "sumeuler", title: "Σφ(1...\(upper)) in \(taskCount) tasks of \(chunk) numbers",
                        sequential: { Totient.sum(1...upper) }, variants: [chunked, sliced], options: sweep).run()
    }
}

enum Totient {
    /// φ(n) by HdpH's definition: how many k in 1...n have gcd(n, k) = 1 (so φ(1) = 1).
    static func phi(_ n: Int) -> Int {
        let n = UInt32(n)
        var count = 0
        for k in 1...n where gcd(n, k) == 1 { count += 1 }
        return count
    }

    static func sum(_ numbers: some Sequence<Int>) -> Int {
        numbers.reduce(0) { $0 + phi($1) }
    }

    /// Binary GCD: the experiment's work is gcd calls, and this is the fastest plain one.
    @inline(__always)
    static func gcd(_ a: UInt32, _ b: UInt32) -> UInt32 {
        var u = a, v = b
        if u == 0 { return v }
        if v == 0 { return u }
        let shift = (u | v).trailingZeroBitCount
        u >>= u.trailingZeroBitCount
        repeat {
            v >>= v.trailingZeroBitCount
            if u > v { swap(&u, &v) }
            v -= u
        } while v != 0
        return u << shift
    }
}
