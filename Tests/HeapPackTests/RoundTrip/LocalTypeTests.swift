import Testing
import HeapPack

// Function-local and private types have mangled names the runtime cannot look up again; they
// travel as their nominal descriptor plus generic arguments instead. The types here are local
// to their test functions on purpose: that is what is tested.

@Suite("Function-local types")
struct LocalTypeTests {
    // Function-local and private types have mangled names the runtime cannot look up again; they
    // travel as their nominal descriptor plus generic arguments instead.
    @Test func functionLocalTypesRoundTrip() throws {
        final class Local {
            var label: String
            var next: Local?
            init(label: String) { self.label = label }
        }
        struct Pair<T> {
            var first: T
            var second: T
        }
        let a = Local(label: "first local instance with a long label")
        a.next = Local(label: "b")
        let value = Pair(first: a, second: a.next!)
        let back = try unpack(try pack([value, value]), as: [Pair<Local>].self)
        #expect(back.count == 2)
        #expect(back[0].first.label == "first local instance with a long label")
        #expect(back[0].first.next === back[0].second)
        #expect(back[1].first === back[0].first)
        #expect(back[0].first !== a)
    }

    // At -O the compiler may emit only a descriptor for a local struct a closure captures; its
    // layout is then computed from the field records. The captures around it check that the
    // computed size and alignment place them right.
    @Test func closureOverLocalTypeRoundTrips() throws {
        struct Config {
            var flag: Bool
            var name: String
            var retries: Int16
        }
        let before: UInt8 = 7
        let config = Config(flag: true, name: "nightly build of the whole tree", retries: 3)
        let after = 1234.5
        let describe: () -> String = { "\(before) \(config.flag) \(config.name)×\(config.retries) \(after)" }
        #expect(try unpack(try pack(describe), as: (() -> String).self)() == describe())
    }
}
