import Testing
import HeapPack

@Suite("Arrays and slices")
struct ArrayTests {
    typealias Box = Fixture.Box

    struct Point: Equatable { var x: Int32; var y: Int32; var tag: String }

    struct IntArrayPair {
        var first: [Int]
        var second: [Int]
    }

    @Test func roundTripArrays() throws {
        let ints = Array(0..<1000).map { $0 * 3 - 7 }
        #expect(try roundTrip(ints) == ints)

        let strings = ["", "short", "a string long enough to be heap allocated", "🙂🙂🙂", String(repeating: "q", count: 300)]
        #expect(try roundTrip(strings) == strings)

        let points = [Point(x: 1, y: -1, tag: "one"), Point(x: .max, y: .min, tag: "a long tag for the second point")]
        #expect(try roundTrip(points) == points)

        #expect(try roundTrip([Int]()) == [])
        #expect(try roundTrip([String]()) == [])
        #expect(try roundTrip([Box]()).isEmpty)

        let nested: [[Int]] = [[], [1], [2, 3], Array(repeating: 9, count: 50)]
        #expect(try roundTrip(nested) == nested)
        let nestedStrings: [[String]] = [["a", "b"], [], ["a string long enough to be heap allocated"]]
        #expect(try roundTrip(nestedStrings) == nestedStrings)

        let bytes: [UInt8] = (0...255).map { UInt8($0) }
        #expect(try roundTrip(bytes) == bytes)
    }

    @Test func roundTripArrayOfClassInstances() throws {
        let a = Box(1, "a"), b = Box(2, "b")
        let array = [a, b, a, Box(3, "c")]
        let back = try roundTrip(array)
        #expect(back.map(\.value) == [1, 2, 1, 3])
        #expect(back.map(\.label) == ["a", "b", "a", "c"])
        #expect(back[0] === back[2])
        #expect(back[0] !== back[1])
        #expect(back[0] !== a)
    }

    @Test func roundTripArrayWithSpareCapacityAndSharedBuffer() throws {
        var ints = [Int]()
        ints.reserveCapacity(500)
        ints.append(contentsOf: [5, 6, 7])
        let back = try roundTrip(IntArrayPair(first: ints, second: ints))
        #expect(back.first == [5, 6, 7])
        #expect(back.second == [5, 6, 7])

        // Two values that shared a buffer share it again; copy-on-write must still kick in, which
        // needs the buffer's refcount to reflect both owners.
        var first = back.first
        first.append(8)
        first[0] = -1
        #expect(first == [-1, 6, 7, 8])
        #expect(back.first == [5, 6, 7])
        #expect(back.second == [5, 6, 7])

        var grown = try roundTrip(ints)
        for i in 0..<1000 { grown.append(i) }
        #expect(grown.count == 1003)
        #expect(grown.prefix(3) == [5, 6, 7])
        #expect(grown.last == 999)
    }

    @Test func slicesOfEmptyAndSharedArrays() throws {
        let empty: [Int] = []
        let base = (0..<50).map { "element \($0) with enough text to be stored natively" }
        let slices = (empty[0..<0], base[5..<8], base[40...])
        let copy = try unpack(try pack(slices), as: (ArraySlice<Int>, ArraySlice<String>, ArraySlice<String>).self)
        #expect(copy.0.isEmpty)
        #expect(Array(copy.1) == Array(base[5..<8]))
        #expect(copy.2.first == "element 40 with enough text to be stored natively")
        #expect(copy.2.count == 10)
    }
}
