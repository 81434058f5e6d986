import HeapPack
import HeapPackTestSupport
import Testing

// Generic closure contexts: each object's plan is made from the bindings it carries, and the
// reader makes the same bindings in its own process (witness tables looked up again).

@Suite("Generic closures")
struct GenericClosureTests {
    private struct Point: Hashable { var x: Double; var y: Double; var label: String }

    @Test func closuresOverHashableValues() throws {
        let cases: [() -> Int] = [
            makeHashCheck(42, matching: 42, bonus: 1),
            makeHashCheck("a string that is not small at all", matching: "other", bonus: 2),
            makeHashCheck(Point(x: 1, y: 2, label: "p"), matching: Point(x: 1, y: 2, label: "p"), bonus: 3),
            makeHashCheck([1, 2, 3], matching: [1, 2, 3], bonus: 4),
        ]
        let copy = try unpack(try pack(cases), as: [() -> Int].self)
        #expect(copy.map { $0() } == [1, -2, 3, 4])
    }

    @Test func twoParametersAndClassValues() throws {
        let shared = GenericBox(3.5, tag: "shared box")
        let closures = [makeSizer("label", [1, 2, 3]), makeSizer(shared, [shared, shared]),
                        makeBoxReader(shared), makeBoxReader(GenericBox("text", tag: "own"))]
        let copy = try unpack(try pack(closures), as: [() -> String].self)
        #expect(copy[0]() == "label+3")
        #expect(copy[1]() == "HeapPackTestSupport.GenericBox<Swift.Double>+2")
        #expect(copy[2]() == "box(3.5, shared box)")
        #expect(copy[3]() == "box(text, own)")
    }

    @Test func genericVarBoxesAreSharedAndMutable() throws {
        let ints = makeAccumulator(10, step: 5)
        let doubles = makeAccumulator(0.5, step: 0.25)
        let copy = try unpack(try pack((ints, doubles)),
                              as: ((add: () -> Int, read: () -> Int), (add: () -> Double, read: () -> Double)).self)
        #expect(copy.0.add() == 15)
        #expect(copy.0.add() == 20)
        #expect(copy.0.read() == 20, "both closures share one box")
        #expect(copy.1.add() == 0.75)
        #expect(ints.read() == 10, "the original's box is its own")
    }

    @Test func closuresNestedTwoGenericLevelsDeepAreUnsupported() {
        let job = GenericPair("a label").joined(with: 2.5)
        let error = packError { _ = try pack([job]) }
        #expect(error?.code == .unsupported, "\(String(describing: error))")
        #expect(error?.message.contains("nested generic contexts are not supported") == true, "\(String(describing: error))")
        #expect(error?.path.hasPrefix("root: Array<() -> String> > [0]") == true,
                "\(String(describing: error?.path))")
    }
}
