import Testing

// Private declarations mangle with a per-file discriminator, so naming them for the receiver is
// a separate path from the internal types of the other round-trip suites. They stay at file
// scope rather than nested in the suite: a private type at file scope is the case this tests.
private final class Box {
    var value: Int
    init(_ value: Int) { self.value = value }
}

private struct Point: Equatable { var x: Int; var tag: String }

private enum Choice: Equatable { case number(Int), word(String), none }

private struct Holder { var one: Box; var two: Box }

@Suite("Private types")
struct PrivateTypeTests {
    @Test func roundTripPrivateClass() throws {
        let box = Box(31)
        let back = try roundTrip(Holder(one: box, two: box))
        #expect(back.one.value == 31)
        #expect(back.one === back.two)
    }

    @Test func roundTripArrayOfPrivateStruct() throws {
        let points = [Point(x: 1, tag: "one"), Point(x: 2, tag: "a tag long enough to be allocated")]
        #expect(try roundTrip(points) == points)
    }

    @Test func roundTripArrayOfPrivateEnum() throws {
        let choices: [Choice] = [.number(4), .word("word"), .none]
        #expect(try roundTrip(choices) == choices)
    }
}
