import Testing
import HeapPack

@Suite("Closures")
struct ClosureTests {
    typealias Box = Fixture.Box
    typealias ListNode = Fixture.ListNode

    struct TestError: Error, Equatable {
        var code: Int
        var reason: String
    }

    struct ClosurePair {
        var bump: () -> Int
        var read: () -> Int
    }

    struct VoidAndRead {
        var add: () -> Void
        var read: () -> Int
    }

    struct WalkAndBump {
        var walk: (Int) -> Int
        var bump: () -> Void
        var unlink: () -> Void
    }

    @Test func roundTripThickClosure() throws {
        let a = 19, b = "captured string that is not small", c = [1, 2, 3]
        let f: () -> String = { "\(a) \(b) \(c.count)" }
        let g = try roundTrip(f)
        #expect(g() == "19 captured string that is not small 3")

        let scale = 3
        let withArgs: (Int, String) -> String = { n, s in String(repeating: s, count: n * scale) }
        let h = try roundTrip(withArgs)
        #expect(h(2, "ab") == "abababababab")
    }

    @Test func roundTripSendableClosure() throws {
        let base = 1000
        let label = "sendable closure capture beyond small"
        let f: @Sendable (Int) -> String = { "\(label):\(base + $0)" }
        let g = try roundTrip(f)
        #expect(g(5) == "sendable closure capture beyond small:1005")
    }

    @Test func roundTripThrowingClosure() throws {
        let failing = Box(1, "fail")
        let passing = Box(0, "pass")
        let make: (Box) -> () throws -> Int = { control in
            { () throws -> Int in
                if control.value != 0 { throw TestError(code: control.value, reason: control.label) }
                return 77
            }
        }

        let ok = try roundTrip(make(passing))
        #expect(try ok() == 77)

        let bad = try roundTrip(make(failing))
        #expect(throws: TestError(code: 1, reason: "fail")) { try bad() }

        // A literal throwing closure with nothing to capture, both outcomes decided by its argument.
        let thin: (Bool) throws -> Int = { shouldThrow in
            if shouldThrow { throw TestError(code: 2, reason: "thin") }
            return 3
        }
        let t = try roundTrip(thin)
        #expect(try t(false) == 3)
        #expect(throws: TestError(code: 2, reason: "thin")) { try t(true) }
    }

    @Test func roundTripClosuresSharingCapturedVar() throws {
        var counter = 10
        let pair = ClosurePair(bump: { counter += 1; return counter }, read: { counter })
        let back = try roundTrip(pair)

        #expect(back.bump() == 11)
        #expect(back.bump() == 12)
        // The two closures shared one box before packing; they must share one box after.
        #expect(back.read() == 12)
        // The unpacked box is a copy: the original variable is untouched.
        #expect(counter == 10)
        #expect(pair.read() == 10)

        var total = 0
        let t = try roundTrip(VoidAndRead(add: { total += 5 }, read: { total }))
        t.add()
        t.add()
        #expect(t.read() == 10)
        #expect(total == 0)
    }

    @Test func roundTripClosuresInsideClosures() throws {
        let x = 6
        let inner: () -> Int = { x * 7 }
        let outer: () -> Int = { inner() + 1 }
        #expect(try roundTrip(outer)() == 43)

        let prefix = "made by a factory closure, long string"
        let factory: (Int) -> () -> String = { n in { "\(prefix) #\(n)" } }
        let f = try roundTrip(factory)
        #expect(f(3)() == "made by a factory closure, long string #3")

        var hits = 0
        let record: () -> Void = { hits += 1 }
        let twice: () -> Int = { record(); record(); return hits }
        let t = try roundTrip(twice)
        #expect(t() == 2)
        #expect(t() == 4)
        #expect(hits == 0)
    }

    @Test func roundTripArrayOfClosures() throws {
        var closures: [() -> Int] = []
        for i in 0..<20 {
            let label = String(repeating: "L", count: i)
            closures.append { i * 10 + label.count }
        }
        let box = Box(5)
        closures.append { box.value }
        closures.append { 123 }

        let back = try roundTrip(closures)
        #expect(back.count == 22)
        #expect(back.map { $0() } == (0..<20).map { $0 * 11 } + [5, 123])
    }

    @Test func roundTripClosureCapturingCyclicGraph() throws {
        let a = ListNode(1), b = ListNode(2), c = ListNode(3)
        a.next = b; b.next = c; c.next = a
        defer { c.next = nil }
        let walk: (Int) -> Int = { steps in
            var node = a
            var sum = 0
            for _ in 0..<steps { sum += node.value; node = node.next! }
            return sum
        }
        let bump: () -> Void = { a.value += 100 }
        // Swift never frees a cycle by itself: the copy's ring is broken through this closure, so
        // the leak checker sees only what the engine leaks.
        let unlink: () -> Void = { c.next = nil }
        let back = try roundTrip(WalkAndBump(walk: walk, bump: bump, unlink: unlink))
        defer { back.unlink() }
        #expect(back.walk(3) == 6)
        #expect(back.walk(7) == 13)
        back.bump()
        // Both closures captured the same `a`; the bump must be seen by the walk.
        #expect(back.walk(3) == 106)
        #expect(a.value == 1)
    }

    @Test func tuplesOfClosuresRoundTrip() throws {
        var total = 0
        let pair: (add: (Int) -> Void, read: () -> Int) = ({ total += $0 }, { total })
        let copy = try unpack(try pack(pair), as: (add: (Int) -> Void, read: () -> Int).self)
        copy.0(5)
        copy.0(6)
        #expect(copy.1() == 11)
        #expect(total == 0, "the original's state is its own")
    }

    @Test func asyncClosureCanBeAwaitedAfterUnpack() async throws {
        let base = 40
        let tail = "characters beyond the small-string limit"
        let job: () async -> String = { "\(base + 2) \(tail)" }
        let copy = try unpack(try pack(job), as: (() async -> String).self)
        #expect(await copy() == "42 characters beyond the small-string limit")
    }
}
