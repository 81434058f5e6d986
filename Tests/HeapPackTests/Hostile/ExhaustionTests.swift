import HeapPack
import Testing

/// Small forged packets that used to make the reader allocate or compute far beyond their size.
@Suite("Exhaustion")
struct ExhaustionTests {
    final class Node {}
    struct Weak { weak var node: Node? }
    struct Empty {}
    struct Empties { var a: [Empty]; var b: [Empty]; var c: [Empty] }

    @Test("weak slots cost a trailer byte each: a forged count of them is refused where it is read")
    func weakSlotsAreBoundedByThePacket() throws {
        let packet = try pack([Weak(node: nil), Weak(node: nil)])
        // New storage (type 0) of 2 elements, which have no bytes inline; the trailer: 2 slots, both nil.
        #expect(bodyBytes(packet) == [1, 0, 2, 2, 0, 0])
        // 16 million slots used to cost 48 bytes each in the validation pass before the trailer
        // was reached; now the count is refused at once, 2 + 4 bytes into the body.
        let forged = resealed(withBody(packet, [1, 0] + varint(1 << 24) + [2, 0, 0]))
        let error = packError { _ = try unpack(forged, as: [Weak].self) }
        #expect(error?.code == .malformed)
        #expect(error?.byteOffset == headerLength(packet) + 6, "\(String(describing: error))")
    }

    @Test("zero-size elements are budgeted for the whole packet, not per array")
    func emptyElementsArePerPacket() throws {
        var packet = try pack(Empties(a: [Empty()], b: [], c: []))
        // Three arrays of 2^23 empty elements each: every one under the cap, together above it.
        packet[12] = 3
        let array = [1, 0] + varint(1 << 23)
        let forged = resealed(withBody(packet, array + array + array + [0]))
        let error = packError { _ = try unpack(forged, as: Empties.self) }
        #expect(error?.code == .limitExceeded)
        #expect(error?.message.contains("together") == true, "\(String(describing: error))")
        // Under the budget, the same shape is accepted.
        let small = [1, 0] + varint(3)
        let fine = try unpack(resealed(withBody(packet, small + small + small + [0])), as: Empties.self)
        #expect(fine.a.count + fine.b.count + fine.c.count == 9)
    }
}
