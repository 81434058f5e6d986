import Foundation
import HeapPack
import HeapPackTestSupport
import Testing

@Suite("Foundation value types")
struct FoundationValueTests {
    @Test func valuesRoundTrip() throws {
        let value = FoundationValues.sample
        let copy = try unpack(try pack(value), as: FoundationValues.self)
        #expect(copy == value)
        #expect(copy.large.count == 100_000)
    }

    @Test func largeDataIsACopyOfTheBytesNotOfThePointer() throws {
        var data = Data(repeating: 0xAB, count: 4096)
        let copy = try unpack(try pack(data), as: Data.self)
        data[0] = 0
        #expect(copy[0] == 0xAB, "the copy has its own bytes")
        #expect(copy.count == 4096)
        let slice = data[100..<200]
        let sliceCopy = try unpack(try pack(slice), as: Data.self)
        #expect(sliceCopy == slice)
    }
}
