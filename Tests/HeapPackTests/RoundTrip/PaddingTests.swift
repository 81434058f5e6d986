import HeapPack
import Testing

// Alignment padding holds whatever the sender's memory held: stale heap or stack bytes. It must
// not travel, and the same value must pack to the same bytes however dirty its padding is.

@Suite("Padding")
struct PaddingTests {
    /// Fields at 16 (1 byte) and 24: bytes 17..<24 are padding.
    private final class PaddedObject {
        var flag: UInt8 = 1
        var count: Int64 = 2
    }

    /// 1 byte, 7 of padding, 8: stride 16.
    private struct PaddedPair: Equatable {
        var flag: UInt8
        var count: Int64
    }

    private let stain: UInt8 = 0xA5

    /// Whether `bytes` holds `length` stain bytes in a row.
    private func containsStain(_ bytes: [UInt8], length: Int) -> Bool {
        var run = 0
        for byte in bytes {
            run = byte == stain ? run + 1 : 0
            if run >= length { return true }
        }
        return false
    }

    @Test("padding travels as nothing and arrives as zeros, however dirty the sender's memory")
    func paddingNeverTravels() throws {
        let object = PaddedObject()
        let base = Unmanaged.passUnretained(object).toOpaque()
        for offset in 17..<24 { base.storeBytes(of: stain, toByteOffset: offset, as: UInt8.self) }
        // Array elements are packed where they lie, so their padding can be dirtied in place:
        // a struct's and a tuple's.
        var pairs = [PaddedPair(flag: 1, count: 2), PaddedPair(flag: 3, count: 4)]
        var tuples: [(UInt8, Int64)] = [(5, 6)]
        pairs.withUnsafeMutableBytes { bytes in
            for element in 0..<2 { for offset in 1..<8 { bytes[element * 16 + offset] = stain } }
        }
        tuples.withUnsafeMutableBytes { bytes in for offset in 1..<8 { bytes[offset] = stain } }
        let dirty = try pack((object, pairs, tuples))
        #expect(!containsStain(dirty, length: 7), "a padding run travelled")

        let clean = try pack((PaddedObject(), [PaddedPair(flag: 1, count: 2), PaddedPair(flag: 3, count: 4)],
                              [(UInt8(5), Int64(6))]))
        #expect(dirty == clean, "padding must not change the packet")
        #expect(try pack((object, pairs, tuples)) == dirty, "packing the same value twice gives the same bytes")

        let copy = try unpack(dirty, as: (PaddedObject, [PaddedPair], [(UInt8, Int64)]).self)
        #expect(copy.2.count == 1 && copy.2[0] == (5, 6))
        #expect(copy.0.flag == 1 && copy.0.count == 2)
        #expect(copy.1 == pairs)
        let copied = Unmanaged.passUnretained(copy.0).toOpaque()
        #expect((17..<24).allSatisfy { copied.load(fromByteOffset: $0, as: UInt8.self) == 0 })
        copy.1.withUnsafeBytes { bytes in
            #expect((0..<2).allSatisfy { element in (1..<8).allSatisfy { bytes[element * 16 + $0] == 0 } })
        }
        withExtendedLifetime(object) {}
    }

    /// A closure's thick function value: the context is its second word.
    private struct Closure {
        var body: () -> Int
    }

    @Test("padding between a closure's captures travels as nothing either")
    func closureCapturePaddingNeverTravels() throws {
        // Values the optimizer cannot fold into the closure's code, so that -O keeps a context.
        let flag = UInt8.random(in: 1...3)
        let count = Int.random(in: 4...6)
        // The context holds the flag at 16 and the count at 24: bytes 17..<24 are padding.
        var closure = Closure(body: { Int(flag) + count })
        let context = try #require(withUnsafeBytes(of: &closure) { $0.load(fromByteOffset: 8, as: UnsafeMutableRawPointer?.self) })
        try #require(context.load(fromByteOffset: 16, as: UInt8.self) == flag
                     && context.load(fromByteOffset: 24, as: Int.self) == count, "the context's layout changed")
        let clean = try pack(closure)
        for offset in 17..<24 { context.storeBytes(of: stain, toByteOffset: offset, as: UInt8.self) }
        let dirty = try pack(closure)
        #expect(!containsStain(dirty, length: 7), "a padding run travelled")
        #expect(dirty == clean, "padding must not change the packet")
        let copy = try unpack(dirty, as: Closure.self)
        #expect(copy.body() == Int(flag) + count)
        withExtendedLifetime(closure) {}
    }
}
