import CHeapPack
@testable import HeapPack
import Testing

// A captured `var` (or an indirect enum payload) lives in a box. The box metadata a packet names
// (the sender's, or whatever an attacker puts there) would decide which destroy function runs
// when the box is freed, so the reader allocates every box with the metadata of its plan: its
// own runtime's box for the slot's type.

@Suite("Hostile packets: boxes")
struct BoxMetadataTests {
    struct Pair {
        var bump: () -> Int
        var read: () -> Int
    }

    @Test("a box plan carries the runtime's box metadata for the boxed type")
    func boxPlansCarryRuntimeBoxMetadata() throws {
        let engine = _Engine()
        let layout = try engine.builder.withLock { (b: inout _PlanBuilder) throws(PackError) in
            try b.boxReference(to: _Metadata(String.self), label: "var", depth: 0)
        }
        let plan = try #require(layout.ops.first?.sub)
        let metadata = try #require(plan.pointee.metadata)
        #expect(metadata == hp_box_metadata(_Metadata(String.self).pointer))
        // The runtime's generic box (kind 0x500), not a compiler-emitted one.
        #expect(metadata.load(as: UInt.self) == 0x500)
    }

    @Test("closures sharing a captured var still share one box after unpacking")
    func sharedBoxesStillWork() throws {
        var counter = Int.random(in: 1...100)
        let step = Int.random(in: 1...5)
        let pair = Pair(bump: { counter += step; return counter }, read: { counter })
        let copy = try unpack(try pack(pair), as: Pair.self)
        #expect(copy.bump() == counter + step)
        #expect(copy.read() == counter + step)
    }
}
