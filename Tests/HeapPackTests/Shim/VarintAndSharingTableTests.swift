import CHeapPack
import CHeapPack.Testing
import Testing

// The shim's private helpers, through CHeapPackTesting.h: the varint reader every count, index
// and length of a packet goes through, and the sharing table every object goes through.
@Suite("Varints and the sharing table")
struct VarintAndSharingTableTests {
    static func read(_ bytes: [UInt8]) -> (value: UInt64, used: Int)? {
        var value: UInt64 = 0
        var used = 0
        let ok = bytes.withUnsafeBufferPointer { hp_test_read_varint($0.baseAddress, $0.count, &value, &used) }
        return ok ? (value, used) : nil
    }

    static func write(_ value: UInt64) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: 10)
        let count = bytes.withUnsafeMutableBufferPointer { hp_test_write_varint(value, $0.baseAddress!) }
        return Array(bytes.prefix(count))
    }

    @Test("varints round-trip at every length, up to UInt64.max in 10 bytes",
          arguments: [0, 1, 127, 128, 16_383, 16_384, UInt64(UInt32.max), UInt64.max >> 1, UInt64.max])
    func roundTrip(_ value: UInt64) {
        let bytes = Self.write(value)
        #expect(bytes.count == max(1, (64 - value.leadingZeroBitCount + 6) / 7))
        let read = Self.read(bytes)
        #expect(read?.value == value)
        #expect(read?.used == bytes.count)
    }

    @Test("truncated, overlong and over-64-bit varints are refused")
    func refused() {
        #expect(Self.read([]) == nil, "empty")
        #expect(Self.read([0x80]) == nil, "a continuation bit with nothing after it")
        #expect(Self.read([0xFF, 0xFF, 0xFF]) == nil, "truncated")
        // Ten bytes carry 64 bits only if the last one is 0 or 1.
        #expect(Self.read([UInt8](repeating: 0xFF, count: 9) + [0x01])?.value == UInt64.max)
        #expect(Self.read([UInt8](repeating: 0xFF, count: 9) + [0x02]) == nil, "bit 64 set")
        #expect(Self.read([UInt8](repeating: 0x80, count: 10) + [0x00]) == nil, "eleven bytes")
        // One value has one encoding: padding with zero groups is refused, as in the header.
        #expect(Self.read([0x80, 0x00]) == nil, "0 in two bytes")
        #expect(Self.read([0x81, 0x80, 0x00]) == nil, "1 in three bytes")
        #expect(Self.read([0x80, 0x01])?.value == 128, "a zero group is fine when more follow")
    }

    @Test("the sharing table keeps every key through its growth, at most two-thirds full")
    func sharingTableGrowth() throws {
        let map = try #require(hp_test_map_create())
        defer { hp_test_map_destroy(map) }
        // Neighbouring, aligned addresses: the keys the walker meets.
        let keys = (1...100_000).map { UInt(0x5555_0000_0000) + UInt($0) * 16 }
        var capacities: Set<UInt32> = []
        for (index, key) in keys.enumerated() {
            #expect(hp_test_map_insert(map, key, UInt32(index)) == HP_OK)
            capacities.insert(hp_test_map_capacity(map))
            #expect(UInt64(hp_test_map_count(map)) * 3 <= UInt64(hp_test_map_capacity(map)) * 2)
        }
        #expect(hp_test_map_count(map) == UInt32(keys.count))
        #expect(capacities.allSatisfy { $0.nonzeroBitCount == 1 }, "capacities are powers of two")
        #expect(capacities.count > 5, "the table grew")
        var found = 0
        for (index, key) in keys.enumerated() {
            var value: UInt32 = 0
            if hp_test_map_find(map, key, &value), value == UInt32(index) { found += 1 }
        }
        #expect(found == keys.count)
        var value: UInt32 = 0
        #expect(!hp_test_map_find(map, 0x5555_0000_0008, &value), "a key never inserted")
    }
}
