import HeapPack
import HeapPackTestSupport
import Testing

// Existentials carry their dynamic type through the type table; the receiver finds every
// witness table again with the runtime's conformance lookup.

@Suite("Existentials")
struct ExistentialTests {
    private protocol Shape { func area() -> Double }
    private protocol Named { var name: String { get } }
    private protocol Owner: AnyObject { var items: [Int] { get } }

    private struct Square: Shape, Named {
        var side: Double
        var name: String { "square" }
        func area() -> Double { side * side }
    }

    /// Larger than the 3-word inline buffer: existentials keep it in a heap box.
    private struct Polygon: Shape, Named {
        var points: [Double]
        var label: String
        var scale: Double
        var rotation: Double
        var name: String { label }
        func area() -> Double { points.reduce(0, +) * scale }
    }

    private final class Circle: Shape, Owner {
        var radius: Double
        var items: [Int]
        init(radius: Double, items: [Int]) { self.radius = radius; self.items = items }
        func area() -> Double { 3 * radius * radius }
    }

    private struct Drawing {
        var shapes: [any Shape]
        var named: [any Shape & Named]
        var owner: any Owner
        var anything: [Any]
        var hashables: [any Hashable]
    }

    private struct DetailedError: Error, Equatable {
        var code: Int
        var detail: String
    }

    private final class ClassError: Error {
        let reason: String
        init(reason: String) { self.reason = reason }
    }

    private protocol Polygonal { static var sides: Int { get } }
    private struct Triangle: Polygonal { static var sides: Int { 3 } }
    private struct Hexagon: Polygonal { static var sides: Int { 6 } }

    @Test func anyHoldsInlineBoxedAndReferenceValues() throws {
        let circle = Circle(radius: 2, items: [1])
        let values: [Any] = [42, "a string longer than the small-string limit", 2.5,
                             Polygon(points: [1, 2, 3], label: "boxed polygon", scale: 2, rotation: 0),
                             circle, [1, 2, 3], circle, Optional<Int>.none as Any]
        let copy = try unpack(try pack(values), as: [Any].self)
        #expect(copy.count == 8)
        #expect(copy[0] as? Int == 42)
        #expect(copy[1] as? String == "a string longer than the small-string limit")
        #expect(copy[2] as? Double == 2.5)
        #expect((copy[3] as? Polygon)?.label == "boxed polygon")
        #expect((copy[3] as? Polygon)?.points == [1, 2, 3])
        let first = try #require(copy[4] as? Circle)
        #expect(first.radius == 2)
        #expect(first === copy[6] as? Circle, "one object before, one after")
        #expect(first !== circle)
        #expect(copy[5] as? [Int] == [1, 2, 3])
        #expect((copy[7] as? Int?) == .some(nil))
    }

    @Test func protocolExistentialsCallThroughFoundWitnessTables() throws {
        let drawing = Drawing(
            shapes: [Square(side: 3), Circle(radius: 1, items: []),
                     Polygon(points: [4, 5], label: "p", scale: 1, rotation: 1)],
            named: [Square(side: 1), Polygon(points: [], label: "named polygon", scale: 1, rotation: 0)],
            owner: Circle(radius: 5, items: [7, 8, 9]),
            anything: [],
            hashables: [[1, 2, 3] as [Int], "text", 7])
        let copy = try unpack(try pack(drawing), as: Drawing.self)
        #expect(copy.shapes.map { $0.area() } == [9, 3, 9])
        #expect(copy.named.map { $0.name } == ["square", "named polygon"])
        #expect(copy.named.map { $0.area() } == [1, 0])
        #expect(copy.owner.items == [7, 8, 9])
        // `[Int]: Hashable` is a conditional conformance: its witness table is made at run time.
        #expect(copy.hashables.count == 3)
        #expect(copy.hashables[0] as? [Int] == [1, 2, 3])
        #expect(AnyHashable(copy.hashables[0]) == AnyHashable([1, 2, 3]))
        #expect(copy.hashables[1] as? String == "text")
    }

    @Test func closureCapturingExistentials() throws {
        let shape: any Shape = Polygon(points: [1, 1], label: "captured", scale: 3, rotation: 0)
        let anything: Any = ["k": 1]
        let report: () -> String = { "\(shape.area()) \((anything as? [String: Int])?["k"] ?? -1)" }
        #expect(try unpack(try pack(report), as: (() -> String).self)() == "6.0 1")
    }

    @Test func errorsTravelInTheirBoxes() throws {
        let errors: [any Error] = [LimitError.tooBig, DetailedError(code: 7, detail: "a detail longer than the inline buffer"),
                                   ClassError(reason: "class-based")]
        let copy = try unpack(try pack(errors), as: [any Error].self)
        #expect(copy.count == 3)
        #expect(copy[0] as? LimitError == .tooBig)
        #expect(copy[1] as? DetailedError == DetailedError(code: 7, detail: "a detail longer than the inline buffer"))
        #expect((copy[2] as? ClassError)?.reason == "class-based")
        let result: Result<Int, any Error> = .failure(DetailedError(code: 1, detail: "r"))
        let back = try unpack(try pack(result), as: Result<Int, any Error>.self)
        #expect(throws: DetailedError(code: 1, detail: "r")) { try back.get() }
    }

    // The root type is the static type, also for an existential: `pack` takes the root type as a
    // parameter (`as:`, defaulting to T.self), and a generic parameter used twice is not opened,
    // so `pack(shape)` records `any Shape`, not the dynamic `Square` that unpack would then want.
    @Test func anExistentialRootTravelsAsTheExistential() throws {
        let shape: any Shape = Square(side: 3)
        let copy = try unpack(try pack(shape), as: (any Shape).self)
        #expect(copy.area() == 9)
        #expect(copy is Square)
        #expect(packError { _ = try unpack(try pack(shape), as: Square.self) }?.code == .typeMismatch)
        let packer = Packer()
        #expect(try packer.unpack(try packer.pack(shape, as: (any Shape).self), as: (any Shape).self).area() == 9)
        #expect(try unpack(try pack(Square(side: 2), as: Square.self), as: Square.self).area() == 4)
    }

    @Test func protocolMetatypesCallStaticRequirements() throws {
        let kinds: [any Polygonal.Type] = [Triangle.self, Hexagon.self]
        let copy = try unpack(try pack(kinds), as: [any Polygonal.Type].self)
        #expect(copy.map { $0.sides } == [3, 6])
        #expect(ObjectIdentifier(copy[1]) == ObjectIdentifier(Hexagon.self))
    }
}
