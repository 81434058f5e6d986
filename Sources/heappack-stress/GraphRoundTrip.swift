import HeapPack
import HeapPackTestSupport

/// One graph's trip through the shared `Packer` inside this process: build it, pack it,
/// unpack it, check that the copy renders like the original, drop both, and check that every
/// node either made was freed exactly once.
struct GraphRoundTrip {
    let recipe: GraphRecipe
    let packer: Packer

    func run(into tally: Tally) {
        let ledger = NodeLedger.fresh()
        let before = ledger.counts
        var problems = travel(ledger: ledger, before: before, tally: tally)
        // Both values are gone now: their nodes must be too.
        let lives = ledger.counts - before
        if lives.alive != 0 { problems.append(lives.imbalance) }
        tally.countGraph(nodes: lives.made)
        for problem in problems { tally.fail("in-process \(recipe): \(problem)") }
    }

    /// The problems found while the original and its copy are alive. Both die on return.
    private func travel(ledger: NodeLedger, before: NodeLedger.Counts, tally: Tally) -> [String] {
        let value = recipe.make(countingIn: ledger)
        // Breaking the cycles lets reference counting free the nodes on return.
        defer { unlink(value.nodes) }
        let original = Rendering(of: value)
        do {
            let packet = try packer.pack(value)
            try tally.countPacket(packet, inspectedBy: packer)
            let copy = try packer.unpack(packet, as: RandomValue.self)
            defer { unlink(copy.nodes) }
            var problems: [String] = []
            let copies = NodeLedger.adopt(copy.nodes)
            if copies != value.nodes.count { problems.append("\(value.nodes.count) nodes, but \(copies) copies") }
            let rendered = Rendering(of: copy)
            if rendered != original { problems.append(original.difference(from: rendered)) }
            let freedEarly = (ledger.counts - before).freed
            if freedEarly != 0 { problems.append("\(freedEarly) nodes freed while their graph was alive") }
            return problems
        } catch {
            return ["\(error)"]
        }
    }
}
