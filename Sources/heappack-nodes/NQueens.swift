import ArgumentParser
import HeapPackCluster

/// Solutions of the n-queens problem, divide and conquer: the coordinator places the queens of
/// the first `threshold` rows, and each placement is a task that counts its solutions.
struct NQueensCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nqueens",
        abstract: "Counts n-queens solutions; each placement of the first --threshold rows is a task.")

    @Option(name: .customShort("n"), help: "The board's size.")
    var size = 14

    @Option(help: "Rows placed by the coordinator; the rows below are a worker's task.")
    var threshold = 3

    @Option(help: "Tasks per frame sent to a worker.")
    var chunk = 16

    @OptionGroup var sweep: SweepOptions

    func validate() throws {
        if size < 1 || size > 30 { throw ValidationError("-n must be in 1...30") }
        if threshold < 0 || threshold > size { throw ValidationError("--threshold must be in 0...\(size)") }
        if chunk < 1 { throw ValidationError("--chunk must be at least 1") }
    }

    func run() async throws {
        let size = size, chunk = chunk
        let placements = Queens.placements(size: size, rows: threshold)
        let divided = Variant(name: "divide and conquer") { cluster throws(ClusterError) in
            try await cluster.map(placements, chunkSize: chunk) { placement in
                Queens.solutions(size: size, from: placement)
            }.reduce(0, +)
        }
        try await Sweep(experiment: "nqueens",
                        title: "\(size) queens, \(placements.count) tasks below row \(threshold), \(chunk) per frame",
                        sequential: { Queens.solutions(size: size, from: Queens.Placement()) },
                        variants: [divided], options: sweep).run()
    }
}

enum Queens {
    /// Queens on the first `row` rows, as the columns and diagonals they attack on row `row`.
    struct Placement {
        var row = 0
        var columns: UInt32 = 0
        var leftDiagonals: UInt32 = 0
        var rightDiagonals: UInt32 = 0

        func placing(at column: UInt32) -> Placement {
            Placement(row: row + 1, columns: columns | column,
                      leftDiagonals: (leftDiagonals | column) << 1, rightDiagonals: (rightDiagonals | column) >> 1)
        }

        func free(size: Int) -> UInt32 {
            ~(columns | leftDiagonals | rightDiagonals) & ((1 << UInt32(size)) - 1)
        }
    }

    /// Every placement of `rows` rows that no queen attacks, in a fixed order.
    static func placements(size: Int, rows: Int) -> [Placement] {
        var level = [Placement()]
        for _ in 0..<rows {
            level = level.flatMap { placement in
                var next: [Placement] = []
                var free = placement.free(size: size)
                while free != 0 {
                    let column = free & (0 &- free)
                    free &= free - 1
                    next.append(placement.placing(at: column))
                }
                return next
            }
        }
        return level
    }

    /// Completions of `placement` to a full board; recursion depth is at most the board's size.
    static func solutions(size: Int, from placement: Placement) -> Int {
        if placement.row == size { return 1 }
        var count = 0
        var free = placement.free(size: size)
        while free != 0 {
            let column = free & (0 &- free)
            free &= free - 1
            count += solutions(size: size, from: placement.placing(at: column))
        }
        return count
    }
}
