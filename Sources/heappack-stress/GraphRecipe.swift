import HeapPackTestSupport

/// Which random value graph number `n` of a run is: its seed (the run's first seed plus `n`)
/// and its size. Most graphs are the size the property tests use; one in sixteen has 40 to 160
/// subtrees, and so up to hundreds of nodes shared across them, long `next` chains and cycles,
/// which grow the walks' sharing tables and queues well past their first allocation.
struct GraphRecipe: CustomStringConvertible {
    let graph: Int
    let seed: UInt64
    let roots: ClosedRange<Int>

    init(graph: Int, firstSeed: UInt64) {
        self.graph = graph
        seed = firstSeed &+ UInt64(graph)
        roots = graph % 16 == 15 ? 40...160 : 3...6
    }

    func make(countingIn ledger: NodeLedger) -> RandomValue {
        RandomValue(seed: seed, ledger: ledger, roots: roots)
    }

    var description: String { "graph \(graph) (seed \(seed), \(roots.lowerBound)...\(roots.upperBound) roots)" }
}
