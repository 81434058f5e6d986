import Testing

@Suite("Structs and tuples")
struct StructAndTupleTests {
    typealias Box = Fixture.Box

    struct Inner: Equatable {
        var small: Int8
        var flag: Bool
        var wide: Int64
        var box: Box
        static func == (a: Inner, b: Inner) -> Bool {
            a.small == b.small && a.flag == b.flag && a.wide == b.wide
                && a.box.value == b.box.value && a.box.label == b.box.label
        }
    }

    struct Outer {
        var id: UInt16
        var inner: Inner
        var name: String
        var ratio: Double
        var shared: Box
        var maybe: Inner?
    }

    struct Padded {
        var flag: Bool
        var tiny: Int8
        var big: Int64
        var half: UInt16
        var real: Float
    }

    struct StructWithRefs {
        var first: Box
        var other: Box
        var nested: InnerRef
    }

    struct InnerRef {
        var number: Int
        var box: Box
    }

    @Test func roundTripNestedStructWithClassRefs() throws {
        let shared = Box(7, "shared box")
        let inner = Inner(small: -3, flag: true, wide: Int64.min + 5, box: shared)
        let outer = Outer(id: 0xBEEF, inner: inner, name: "outer struct name longer than 15",
                            ratio: 2.75, shared: shared,
                            maybe: Inner(small: 9, flag: false, wide: 99, box: Box(8, "own")))
        let back = try roundTrip(outer)

        #expect(back.id == 0xBEEF)
        #expect(back.inner == inner)
        #expect(back.name == "outer struct name longer than 15")
        #expect(back.ratio == 2.75)
        #expect(back.maybe?.box.value == 8)
        #expect(back.maybe?.box.label == "own")
        // One object referenced from two fields must come back as one object, and a fresh one.
        #expect(back.inner.box === back.shared)
        #expect(back.shared !== shared)
        back.shared.value = 100
        #expect(back.inner.box.value == 100)
        #expect(shared.value == 7)
    }

    @Test func roundTripPaddedStructAndStructWithRefs() throws {
        // Mixed sizes force padding between fields; a wrong offset shows up as garbage.
        let padded = Padded(flag: true, tiny: -7, big: 1 << 40, half: 0xABCD, real: 1.25)
        let q = try roundTrip(padded)
        #expect(q.flag == true)
        #expect(q.tiny == -7)
        #expect(q.big == 1 << 40)
        #expect(q.half == 0xABCD)
        #expect(q.real == 1.25)

        let box = Box(3, "in struct")
        let r = try roundTrip(StructWithRefs(first: box, other: Box(4), nested: InnerRef(number: 5, box: box)))
        #expect(r.first.value == 3)
        #expect(r.first.label == "in struct")
        #expect(r.other.value == 4)
        #expect(r.nested.number == 5)
        #expect(r.first === r.nested.box)
        #expect(r.first !== r.other)
    }

    // Tuple metadata stores element offsets as uint32_t on Linux; mixed sizes catch a misread.
    @Test func roundTripTuples() throws {
        let plain: (Int, String, Double) = (-12, "a tuple string that is long enough", 0.5)
        let p = try roundTrip(plain)
        #expect(p.0 == -12)
        #expect(p.1 == "a tuple string that is long enough")
        #expect(p.2 == 0.5)

        // Mixed sizes force padding between elements; a wrong offset shows up as garbage.
        let padded: (Bool, Int8, Int64, UInt16, Float) = (true, -7, 1 << 40, 0xABCD, 1.25)
        let q = try roundTrip(padded)
        #expect(q.0 == true)
        #expect(q.1 == -7)
        #expect(q.2 == 1 << 40)
        #expect(q.3 == 0xABCD)
        #expect(q.4 == 1.25)

        let box = Box(3, "in tuple")
        let withRefs: (Box, Box, (Int, Box)) = (box, Box(4), (5, box))
        let r = try roundTrip(withRefs)
        #expect(r.0.value == 3)
        #expect(r.0.label == "in tuple")
        #expect(r.1.value == 4)
        #expect(r.2.0 == 5)
        #expect(r.0 === r.2.1)
        #expect(r.0 !== r.1)
    }
}
