import HeapPack
import Testing

/// Small forged packets that used to make the reader allocate or compute far beyond their size.
@Suite("Exhaustion")
struct ExhaustionTests {
    final class Node {}
    struct Weak { weak var node: Node? }
    struct Empty {}
    struct Empties { var a: [Empty]; var b: [Empty]; var c: [Empty] }

    typealias Kilobytes2 = (SIMD64<Int64>, SIMD64<Int64>, SIMD64<Int64>, SIMD64<Int64>)
    typealias Kilobytes8 = (Kilobytes2, Kilobytes2, Kilobytes2, Kilobytes2)
    /// 64 KB, and a String so that an Optional of it travels as a tag (one byte when nil).
    struct Huge {
        var name = ""
        var blocks: (Kilobytes8, Kilobytes8, Kilobytes8, Kilobytes8, Kilobytes8, Kilobytes8, Kilobytes8, Kilobytes8)
    }

    @Test("objects that cannot fit in memory are .limitExceeded before the runtime's allocator traps")
    func buildMemoryIsReserved() throws {
        #expect(MemoryLayout<Huge?>.stride > 65_536)
        let packet = try pack([Huge?.none])
        // New storage of type 0 with one element, the nil tag 1; then the trailer.
        #expect(bodyBytes(packet) == [1, 0, 1, 1, 0])
        // A million nils: one body byte each, 64 GB of storage, more than this machine's memory.
        let count = 1_000_000
        let forged = resealed(withBody(packet, [1, 0] + varint(UInt64(count)) + [UInt8](repeating: 1, count: count) + [0]))
        let error = packError { _ = try unpack(forged, as: [Huge?].self) }
        #expect(error?.code == .limitExceeded, "\(String(describing: error))")
        #expect(error?.message.contains("out of memory") == true)
    }

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
