import Synchronization

/// Hands out graph numbers, 0, 1, 2, ..., to every thread that asks, until the run's budget
/// is spent: a number of graphs, a number of seconds, or whichever comes first.
final class Budget: Sendable, CustomStringConvertible {
    private let graphs: Int?
    private let seconds: Double?
    private let start: ContinuousClock.Instant
    private let deadline: ContinuousClock.Instant?
    private let handedOut = Atomic<Int>(0)

    init(graphs: Int?, seconds: Double?) {
        let start = ContinuousClock.now
        self.graphs = graphs
        self.seconds = seconds
        self.start = start
        deadline = seconds.map { start + .milliseconds(Int64(($0 * 1000).rounded())) }
    }

    /// The next graph's number, or nil once the budget is spent.
    func next() -> Int? {
        if let deadline, ContinuousClock.now >= deadline { return nil }
        let graph = handedOut.wrappingAdd(1, ordering: .relaxed).oldValue
        if let graphs, graph >= graphs { return nil }
        return graph
    }

    var elapsed: Duration { ContinuousClock.now - start }

    var description: String {
        switch (graphs, seconds) {
        case let (graphs?, seconds?): return "\(graphs) graphs or \(seconds) s, whichever comes first"
        case let (graphs?, nil): return "\(graphs) graphs"
        case let (nil, seconds?): return "\(seconds) s"
        case (nil, nil): return "no limit"
        }
    }
}
