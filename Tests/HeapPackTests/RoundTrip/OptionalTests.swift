import Testing

@Suite("Optionals")
struct OptionalTests {
    typealias Box = Fixture.Box

    @Test func roundTripOptionals() throws {
        #expect(try roundTrip(Int?.none) == nil)
        #expect(try roundTrip(Int?.some(-5)) == -5)

        #expect(try roundTrip(Box?.none) == nil)
        let box = try roundTrip(Box?.some(Box(21, "opt")))
        #expect(box?.value == 21)
        #expect(box?.label == "opt")

        #expect(try roundTrip(String?.none) == nil)
        #expect(try roundTrip(String?.some("")) == "")
        #expect(try roundTrip(String?.some("short")) == "short")
        #expect(try roundTrip(String?.some("an optional string that spills to the heap")) == "an optional string that spills to the heap")

        #expect(try roundTrip(Bool??.some(nil)) == .some(nil))
        #expect(try roundTrip(Bool??.none) == .none)
    }

    @Test func roundTripOptionalClosure() throws {
        let none = try roundTrip((() -> Int)?.none)
        #expect(none == nil)

        let base = 40
        let some: (() -> Int)? = { base + 2 }
        let back = try roundTrip(some)
        let f = try #require(back)
        #expect(f() == 42)
    }
}
