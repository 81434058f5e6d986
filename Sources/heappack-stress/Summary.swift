import HeapPackTestSupport

/// The end of a run: what each side did, the lives of every node this process made, and
/// whether everything held.
struct Summary {
    let inProcess: Tally.Counts
    let crossProcess: Tally.Counts?
    let nodes: NodeLedger.Counts
    let packers: Int
    let elapsed: Duration

    init(inProcess: Tally, crossProcess: Tally?, nodes: NodeLedger.Counts, packers: Int, elapsed: Duration) {
        self.inProcess = inProcess.counts
        self.crossProcess = crossProcess?.counts
        self.nodes = nodes
        self.packers = packers
        self.elapsed = elapsed
    }

    private var sides: [Tally.Counts] { [inProcess] + (crossProcess.map { [$0] } ?? []) }
    var failures: Int { sides.reduce(0) { $0 + $1.failures } + (nodes.alive == 0 ? 0 : 1) }
    var passed: Bool { failures == 0 }

    func print() {
        Swift.print(line("in-process", inProcess))
        if let crossProcess {
            Swift.print(line("cross-process", crossProcess))
            for note in crossProcess.notes { Swift.print("  " + note) }
        }
        let graphs = sides.reduce(0) { $0 + $1.graphs }
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        Swift.print("total: \(graphs) graphs, \(sides.reduce(0) { $0 + $1.objects }) objects, "
                    + "\(sides.reduce(0) { $0 + $1.packets }) packets, \(sides.reduce(0) { $0 + $1.bytes }) bytes, "
                    + "\(sides.reduce(0) { $0 + $1.nodes }) nodes, \(failures) failures in \(String(format: seconds)) s, "
                    + "\(packers) Packers in turn")
        Swift.print("nodes made in this process: \(nodes.made), freed: \(nodes.freed)"
                    + (nodes.alive == 0 ? "" : " (\(nodes.imbalance))"))
        for message in sides.flatMap(\.failureMessages) { Swift.print("FAILED: " + message) }
        let unlisted = sides.reduce(0) { $0 + max(0, $1.failures - $1.failureMessages.count) }
        if unlisted > 0 { Swift.print("(and \(unlisted) more failures)") }
        Swift.print(passed ? "PASSED" : "FAILED")
    }

    private func line(_ side: String, _ counts: Tally.Counts) -> String {
        "\(side): \(counts.graphs) graphs, \(counts.objects) objects, \(counts.packets) packets, "
            + "\(counts.bytes) bytes, \(counts.nodes) nodes, \(counts.failures) failures"
    }
}

extension String {
    /// One decimal, without Foundation.
    init(format value: Double) {
        let tenths = Int((value * 10).rounded())
        self = "\(tenths / 10).\(tenths % 10)"
    }
}
