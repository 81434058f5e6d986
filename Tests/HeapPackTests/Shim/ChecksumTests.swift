import CHeapPack
import CHeapPack.Testing
import Testing

// The packet checksum is XXH3-64 (docs/FORMAT.md). hp_checksum lets xxHash pick the widest vector
// unit of the machine it runs on, so two nodes of one cluster may compute it with different
// instructions; these tests hold it to the one value the specification gives.
@Suite("The packet checksum")
struct ChecksumTests {
    static func checksum(_ bytes: [UInt8], seed: UInt64, portable: Bool = false) -> UInt64 {
        bytes.withUnsafeBufferPointer { buffer in
            // An empty Array may have no storage; XXH3 reads nothing of a zero-length input.
            let base = buffer.baseAddress ?? UnsafePointer(bitPattern: 1)!
            return portable ? hp_test_checksum_portable(base, buffer.count, seed) : hp_checksum(base, buffer.count, seed)
        }
    }

    @Test("it is XXH3-64: the specification's values for the empty input")
    func specificationVectors() {
        #expect(Self.checksum([], seed: 0) == 0x2D06_8005_38D3_94C2)
        #expect(Self.checksum([], seed: 0x9E37_79B1_85EB_CA8D) == 0xA8A6_B918_B2F0_364A)
    }

    /// XXH3 takes a different code path below 17, 129 and 241 bytes, per 64-byte stripe and per
    /// 1,024-byte block; the vector units only run from 241 bytes on.
    @Test("the dispatched and the portable computation agree at every path's edges",
          arguments: [0, 1, 3, 4, 8, 9, 16, 17, 128, 129, 240, 241, 255, 256, 1_023, 1_024, 1_025, 4_096 + 63, 1 << 20])
    func dispatchedMatchesPortable(_ length: Int) {
        var state: UInt64 = 0x4850_414B
        let bytes = (0..<length).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt8(truncatingIfNeeded: state >> 56)
        }
        for seed: UInt64 in [0, 0x4850_414B, .max] {
            #expect(Self.checksum(bytes, seed: seed) == Self.checksum(bytes, seed: seed, portable: true))
        }
    }

    @Test("one flipped bit anywhere in a 4 KiB input changes it")
    func everyBitCounts() {
        let bytes = (0..<4_096).map { UInt8(truncatingIfNeeded: $0 &* 131) }
        let sum = Self.checksum(bytes, seed: 7)
        var changed = 0
        for bit in stride(from: 0, to: bytes.count * 8, by: 61) {
            var flipped = bytes
            flipped[bit / 8] ^= 1 << UInt8(bit % 8)
            if Self.checksum(flipped, seed: 7) != sum { changed += 1 }
        }
        #expect(changed == (bytes.count * 8 + 60) / 61)
    }
}
