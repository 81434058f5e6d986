import HeapPack
import HeapPackTestSupport

/// The cross-process side: packs graphs with the shared `Packer` and sends them to a child
/// process, which unpacks them and answers with its copy's rendering digest. The parent
/// compares it with its original's, checks that its own nodes were all freed, and at the end
/// that the child ran at another image base and freed every node it made.
final class ParentSide: Sendable {
    let packer: SharedPacker
    let budget: Budget
    let firstSeed: UInt64
    let tally: Tally

    init(packer: SharedPacker, budget: Budget, firstSeed: UInt64, tally: Tally) {
        self.packer = packer
        self.budget = budget
        self.firstSeed = firstSeed
        self.tally = tally
    }

    func run(startingWith firstGraph: Int?) {
        let child: ChildProcess
        do { child = try ChildProcess() } catch {
            tally.fail("could not start the child process: \(error)")
            return
        }
        var sent = 0
        var graph = firstGraph
        while let current = graph {
            sent += 1
            guard send(current, to: child) else { break }
            graph = budget.next()
        }
        check(child.finish(), sent: sent)
    }

    /// Sends one graph and checks the answer; false if the channel broke (the child died).
    private func send(_ graph: Int, to child: ChildProcess) -> Bool {
        let recipe = GraphRecipe(graph: graph, firstSeed: firstSeed)
        let ledger = NodeLedger.fresh()
        let before = ledger.counts
        var problems: [String] = []
        var copies = 0
        var channelHolds = true
        do {
            let value = recipe.make(countingIn: ledger)
            defer { unlink(value.nodes) }
            let original = Rendering(of: value)
            let packer = packer.packer(for: graph)
            let packet = try packer.pack(value)
            try tally.countPacket(packet, inspectedBy: packer)
            try child.channel.send(GraphRequest(seed: recipe.seed, ledger: ledger.number, packet: packet).encoded)
            guard let frame = try child.channel.receive() else { throw Channel.Failure(description: "the child closed its output") }
            switch ChildReport(decoding: frame) {
            case let .copied(digest, copied)?:
                copies = copied
                if copied != value.nodes.count { problems.append("\(value.nodes.count) nodes, but \(copied) copies in the child") }
                if digest != original.digest { problems.append("the child's copy renders differently (digest \(digest), original \(original.digest))") }
            case let .failed(message)?:
                problems.append("in the child: \(message)")
            case .finished?, nil:
                problems.append("unexpected answer from the child: \(String(decoding: frame.prefix(200), as: UTF8.self))")
            }
        } catch let failure as Channel.Failure {
            problems.append("channel to the child: \(failure)")
            channelHolds = false
        } catch {
            problems.append("\(error)")
        }
        // The original is gone now: its nodes must be too (the copies were the child's).
        let lives = ledger.counts - before
        if lives.alive != 0 { problems.append(lives.imbalance) }
        tally.countGraph(nodes: lives.made + copies)
        for problem in problems { tally.fail("cross-process \(recipe): \(problem)") }
        return channelHolds
    }

    private func check(_ end: (lastReport: [UInt8]?, status: Int32), sent: Int) {
        let parentBase = (try? Packer.shared.loadedImages().first?.base) ?? 0
        guard let frame = end.lastReport, case let .finished(childBase, graphs, made, freed, failures)? = ChildReport(decoding: frame) else {
            tally.fail("the child gave no final report (exit status \(end.status))")
            return
        }
        tally.note("child process: image base 0x\(String(childBase, radix: 16)) (this process 0x\(String(parentBase, radix: 16))), "
                   + "\(graphs) graphs, \(made) nodes made and \(freed) freed, \(failures) failures, exit status \(end.status)")
        if childBase == parentBase || childBase == 0 { tally.fail("the child ran at this process's image base: ASLR did not move it") }
        if graphs != sent { tally.fail("the child unpacked \(graphs) graphs, \(sent) were sent") }
        if made != freed { tally.fail("in the child: \(NodeLedger.Counts(made: made, freed: freed).imbalance)") }
        if end.status != 0 { tally.fail("the child exited with status \(end.status)") }
    }
}
