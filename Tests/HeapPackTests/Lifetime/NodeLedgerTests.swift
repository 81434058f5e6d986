import HeapPack
import HeapPackTestSupport
import Testing

// The deinit accounting heappack-stress relies on: every RandomNode counts its life in a
// NodeLedger, and an unpack's copies count in the same-numbered ledger once adopted. A round
// trip must leave its ledger balanced, and the ledger must show a node that was never freed
// and a copy nobody adopted, or the stress tool's checks could not fail.
@Suite("Node ledgers")
struct NodeLedgerTests {
    @Test func roundTripsFreeEveryNodeTheyMadeExactlyOnce() throws {
        let ledger = NodeLedger.fresh()
        let before = ledger.counts
        var originals = 0, copies = 0
        for seed in (0..<40).map({ UInt64($0) &* 0x2545_F491_4F6C_DD1D }) {
            let freedBefore = ledger.counts.freed
            let value = RandomValue(seed: seed, ledger: ledger, roots: 3...30)
            let copy = try unpack(try pack(value), as: RandomValue.self)
            originals += value.nodes.count
            copies += NodeLedger.adopt(copy.nodes)
            #expect(ledger.counts.freed == freedBefore, "seed \(seed): a node was freed while its value was alive")
            unlink(copy.nodes)
            unlink(value.nodes)
        }
        #expect(originals > 100)
        #expect(copies == originals)
        #expect(ledger.counts - before == NodeLedger.Counts(made: originals + copies, freed: originals + copies))
    }

    @Test func aNodeThatIsStillAliveShowsInItsLedger() {
        let ledger = NodeLedger.fresh()
        let before = ledger.counts
        let node = RandomNode(label: "kept", ledger: ledger)
        #expect(ledger.counts - before == NodeLedger.Counts(made: 1, freed: 0))
        #expect(node.ledger == ledger.number)
    }

    @Test func aCopyNobodyAdoptedShowsAsOneFreeTooMany() throws {
        let ledger = NodeLedger.fresh()
        let before = ledger.counts
        try packAndDropACopy(RandomNode(label: "original", ledger: ledger))
        #expect(ledger.counts - before == NodeLedger.Counts(made: 1, freed: 2))
    }

    /// Unpacks a copy of `node` and drops both without adopting the copy.
    private func packAndDropACopy(_ node: RandomNode) throws {
        let copy = try unpack(try pack(node), as: RandomNode.self)
        #expect(copy !== node)
        #expect(copy.ledger == node.ledger)
    }

    @Test func adoptingCountsEachCopyOnceInTheLedgerItNames() throws {
        let ledger = NodeLedger.fresh()
        let before = ledger.counts
        let shared = RandomNode(label: "shared", ledger: ledger)
        let copies = try unpack(try pack([shared, shared]), as: [RandomNode].self)
        #expect(NodeLedger.adopt(copies) == 1)
        // Both alive still (-O would end their lifetimes at their last use).
        withExtendedLifetime((shared, copies)) {
            #expect(ledger.counts - before == NodeLedger.Counts(made: 2, freed: 0))
        }
    }
}
