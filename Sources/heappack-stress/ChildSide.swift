import HeapPack
import HeapPackTestSupport

/// The child process: unpacks each packet the parent sends on standard input, checks the copy's
/// node lives, and answers on standard output with the copy's rendering digest. When the parent
/// closes the pipe, it answers with its image base (the parent checks that ASLR moved it) and
/// the lives of every node it made. Nothing else may write to standard output here.
enum ChildSide {
    static func run() -> Int32 {
        let channel = Channel(input: 0, output: 1)
        let packer = Packer()
        var graphs = 0, failures = 0
        do throws(Channel.Failure) {
            while let frame = try channel.receive() {
                graphs += 1
                let report = GraphRequest(decoding: frame).map { copy($0, with: packer) } ?? .failed("garbled request")
                if case .failed = report { failures += 1 }
                try channel.send(report.encoded)
            }
            let total = NodeLedger.total
            let base = (try? packer.loadedImages().first?.base) ?? 0
            try channel.send(ChildReport.finished(imageBase: base, graphs: graphs, made: total.made, freed: total.freed,
                                                  failures: failures).encoded)
            return failures == 0 && total.alive == 0 ? 0 : 1
        } catch {
            return 2
        }
    }

    private static func copy(_ request: GraphRequest, with packer: Packer) -> ChildReport {
        let ledger = NodeLedger.numbered(request.ledger)
        let before = ledger.counts
        let report = unpackAndRender(request, with: packer, ledger: ledger, before: before)
        // The copy is gone now: its nodes must be too.
        let lives = ledger.counts - before
        if lives.alive != 0 { return .failed("seed \(request.seed): \(lives.imbalance)") }
        return report
    }

    private static func unpackAndRender(_ request: GraphRequest, with packer: Packer, ledger: NodeLedger,
                                        before: NodeLedger.Counts) -> ChildReport {
        do {
            let copy = try packer.unpack(request.packet, as: RandomValue.self)
            defer { unlink(copy.nodes) }
            let copies = NodeLedger.adopt(copy.nodes)
            let rendering = Rendering(of: copy)
            let freedEarly = (ledger.counts - before).freed
            if freedEarly != 0 { return .failed("seed \(request.seed): \(freedEarly) nodes freed while their graph was alive") }
            return .copied(digest: rendering.digest, copies: copies)
        } catch {
            return .failed("seed \(request.seed): \(error)")
        }
    }
}
