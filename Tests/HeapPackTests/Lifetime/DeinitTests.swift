import Testing
import HeapPack
import Synchronization

// Every object an unpack builds must be released exactly once when its graph goes away: a
// retain too many leaks it (its deinit never runs), a retain too few frees it early or twice.
//
// Deinits report to a process-wide log keyed by a per-test tag rather than to a counter object
// reachable from the graph: a counter inside the graph would itself be packed, and the copies
// would count into a copy of it. Tests run in parallel, so each one reads only its own tag.

private let deinitLog = Mutex<[Int: [Int]]>([:])
private let nextTag = Atomic<Int>(1)

private func freshTag() -> Int {
    nextTag.wrappingAdd(1, ordering: .relaxed).oldValue
}

/// The ids whose deinit ran under `tag`, sorted, one entry per deinit (a double deinit shows
/// up as a repeated id).
private func deinitedIDs(_ tag: Int) -> [Int] {
    deinitLog.withLock { $0[tag] ?? [] }.sorted()
}

@Suite("Deinits")
struct DeinitTests {
    final class Node {
        let tag: Int
        let id: Int
        var payload: String
        var children: [Node] = []
        var next: Node?

        init(tag: Int, id: Int, payload: String = "") {
            self.tag = tag
            self.id = id
            self.payload = payload
        }

        deinit {
            deinitLog.withLock { $0[tag, default: []].append(id) }
        }
    }

    // `named` carries two values, so its payload is a tuple: released exactly once like the rest.
    enum Slot {
        case empty
        case held(Node)
        case named(String, Node)
    }

    struct Holder {
        var slot: Slot
        var other: Slot
        var optional: Node?
        var missing: Node?
        var list: [Node]
    }

    /// root(0) -> children [a(1), b(2), c(3)]; a.next = c; b.next = c. Acyclic, with `c` reachable
    /// three ways, so a copy that duplicated shared objects would deinit `3` more than once.
    private func makeDiamond(tag: Int) -> Node {
        let root = Node(tag: tag, id: 0, payload: "root payload long enough to be heap allocated")
        let a = Node(tag: tag, id: 1, payload: "a")
        let b = Node(tag: tag, id: 2, payload: "b")
        let c = Node(tag: tag, id: 3, payload: "shared c")
        a.next = c
        b.next = c
        root.children = [a, b, c]
        return root
    }

    /// Checks a diamond's shape and contents; used on both the original and the copy.
    private func expectDiamond(_ root: Node, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(root.id == 0, sourceLocation: sourceLocation)
        #expect(root.payload == "root payload long enough to be heap allocated", sourceLocation: sourceLocation)
        #expect(root.children.map(\.id) == [1, 2, 3], sourceLocation: sourceLocation)
        guard root.children.count == 3 else { return }
        let (a, b, c) = (root.children[0], root.children[1], root.children[2])
        #expect(a.next === c, sourceLocation: sourceLocation)
        #expect(b.next === c, sourceLocation: sourceLocation)
        #expect(c.next == nil, sourceLocation: sourceLocation)
        #expect(c.payload == "shared c", sourceLocation: sourceLocation)
    }

    @Test func deinitUnpackedDAGFreesEachObjectOnce() throws {
        let tag = freshTag()
        var original: Node? = makeDiamond(tag: tag)
        let bytes = try pack(original!)

        var copy: Node? = try unpack(bytes, as: Node.self)
        expectDiamond(copy!)
        #expect(copy !== original)
        #expect(deinitedIDs(tag) == [])

        copy = nil
        #expect(deinitedIDs(tag) == [0, 1, 2, 3])

        // The original lived through all of it unchanged.
        expectDiamond(original!)
        original = nil
        #expect(deinitedIDs(tag) == [0, 0, 1, 1, 2, 2, 3, 3])
    }

    @Test func deinitUnpackedCycleFreesEachObjectOnceAfterManualBreak() throws {
        let tag = freshTag()
        // A ring 0 -> 1 -> 2 -> 0, plus node 3 shared by two ring members.
        var ring: [Node] = (0..<3).map { Node(tag: tag, id: $0, payload: "ring \($0)") }
        let shared = Node(tag: tag, id: 3, payload: "shared by the ring")
        for i in 0..<3 { ring[i].next = ring[(i + 1) % 3] }
        ring[0].children = [shared]
        ring[2].children = [shared, shared]

        let bytes = try pack(ring[0])
        do {
            let copy = try unpack(bytes, as: Node.self)
            let second = try #require(copy.next)
            let third = try #require(second.next)
            #expect(third.next === copy)
            #expect([copy.id, second.id, third.id] == [0, 1, 2])
            #expect(copy.children.count == 1)
            #expect(third.children.count == 2)
            #expect(copy.children.first === third.children.first)
            #expect(third.children.first === third.children.last)
            #expect(copy.children.first !== shared)
            third.next = nil
        }
        #expect(deinitedIDs(tag) == [0, 1, 2, 3])

        // The copy's cycle break must not have reached the original ring.
        #expect(ring[2].next === ring[0])
        #expect(ring.map(\.payload) == ["ring 0", "ring 1", "ring 2"])
        #expect(ring[2].children.first === shared)

        ring[2].next = nil
        ring = []
        // `shared` is still held by this test, so of the original only the ring is gone.
        withExtendedLifetime(shared) {
            #expect(deinitedIDs(tag) == [0, 0, 1, 1, 2, 2, 3])
        }
    }

    @Test func deinitOriginalRingFreedOnceAfterCopyDropped() throws {
        let tag = freshTag()
        var nodes: [Node] = (0..<3).map { Node(tag: tag, id: $0) }
        for i in 0..<3 { nodes[i].next = nodes[(i + 1) % 3] }
        let bytes = try pack(nodes[0])
        do {
            let copy = try unpack(bytes, as: Node.self)
            copy.next?.next?.next = nil
        }
        #expect(deinitedIDs(tag) == [0, 1, 2])

        nodes[2].next = nil
        nodes = []
        #expect(deinitedIDs(tag) == [0, 0, 1, 1, 2, 2])
    }

    @Test func deinitPackAloneLeavesOriginalRefcountsAlone() throws {
        let tag = freshTag()
        var root: Node? = makeDiamond(tag: tag)
        var lone: Node? = Node(tag: tag, id: 4)
        root!.next = lone
        #expect(isKnownUniquelyReferenced(&root))

        _ = try pack(root!)
        _ = try pack(root!)

        // Packing only reads: a leftover retain would make these non-unique, a stray release would
        // have freed something already.
        #expect(isKnownUniquelyReferenced(&root))
        #expect(deinitedIDs(tag) == [])
        root!.next = nil
        #expect(isKnownUniquelyReferenced(&lone))
        expectDiamond(root!)

        root = nil
        lone = nil
        #expect(deinitedIDs(tag) == [0, 1, 2, 3, 4])
    }

    @Test func deinitTwoUnpacksOfOnePacketAreIndependent() throws {
        let tag = freshTag()
        let original = makeDiamond(tag: tag)
        let bytes = try pack(original)

        var first: Node? = try unpack(bytes, as: Node.self)
        var second: Node? = try unpack(bytes, as: Node.self)
        #expect(first !== second)
        #expect(first!.children[2] !== second!.children[2])

        first = nil
        #expect(deinitedIDs(tag) == [0, 1, 2, 3])
        // Freeing the first copy must not have touched the second.
        expectDiamond(second!)
        second!.children[2].payload = "changed"
        #expect(second!.children[0].next?.payload == "changed")

        second = nil
        #expect(deinitedIDs(tag) == [0, 0, 1, 1, 2, 2, 3, 3])
        withExtendedLifetime(original) {
            expectDiamond(original)
        }
    }

    @Test func deinitObjectsCapturedByClosureFreedWithClosure() throws {
        let tag = freshTag()
        let original = makeDiamond(tag: tag)
        let extra = Node(tag: tag, id: 9, payload: "captured directly")
        let count: () -> Int = { original.children.count + (original.children[0].next === original.children[2] ? 100 : 0) + extra.id }
        let bytes = try pack(count)

        var copy: (() -> Int)? = try unpack(bytes, as: (() -> Int).self)
        #expect(copy?() == 112)
        #expect(deinitedIDs(tag) == [])
        copy = nil
        #expect(deinitedIDs(tag) == [0, 1, 2, 3, 9])

        withExtendedLifetime((original, extra)) {
            expectDiamond(original)
            #expect(count() == 112)
        }
    }

    @Test func deinitObjectsInEnumsOptionalsAndArraysFreedOnce() throws {
        let tag = freshTag()
        let a = Node(tag: tag, id: 0), b = Node(tag: tag, id: 1), c = Node(tag: tag, id: 2)
        let d = Node(tag: tag, id: 3, payload: "only in the array")
        let holder = Holder(slot: .held(a), other: .named("a name long enough to be heap allocated", b),
                              optional: a, missing: nil, list: [c, a, b, c, d])
        let bytes = try pack(holder)

        do {
            let copy = try unpack(bytes, as: Holder.self)
            guard case .held(let a2) = copy.slot, case .named(let name, let b2) = copy.other else {
                Issue.record("enum cases lost: \(copy.slot), \(copy.other)")
                return
            }
            #expect(name == "a name long enough to be heap allocated")
            #expect(copy.optional === a2)
            #expect(copy.missing == nil)
            #expect(copy.list.map(\.id) == [2, 0, 1, 2, 3])
            #expect(copy.list[1] === a2)
            #expect(copy.list[2] === b2)
            #expect(copy.list[0] === copy.list[3])
            #expect(a2 !== a)
        }
        #expect(deinitedIDs(tag) == [0, 1, 2, 3])
        withExtendedLifetime(holder) {
            #expect(holder.list.map(\.id) == [2, 0, 1, 2, 3])
        }
    }

    @Test func deinitManyObjectsSharingOneChild() throws {
        let tag = freshTag()
        let count = 10_000
        let hub = Node(tag: tag, id: count, payload: "hub")
        let spokes = (0..<count).map { i -> Node in
            let node = Node(tag: tag, id: i)
            node.next = hub
            return node
        }
        let bytes = try pack(spokes)

        do {
            let copy = try unpack(bytes, as: [Node].self)
            #expect(copy.count == count)
            let hub2 = try #require(copy.first?.next)
            #expect(copy.allSatisfy { $0.next === hub2 })
            #expect(hub2 !== hub)
            #expect(copy.map(\.id) == Array(0..<count))
        }
        #expect(deinitedIDs(tag) == Array(0...count))
        withExtendedLifetime(spokes) {
            #expect(spokes.allSatisfy { $0.next === hub })
        }
    }

    @Test func deinitFailedUnpackBuildsNothing() throws {
        let tag = freshTag()
        let original = makeDiamond(tag: tag)
        let bytes = try pack(original)

        // Each of these must be refused before any object exists; an object built and then thrown
        // away would show up in the log.
        let wrongType = #expect(throws: PackError.self) { try unpack(bytes, as: [Node].self) }
        #expect(wrongType?.code == .typeMismatch)

        let truncated = #expect(throws: PackError.self) { try unpack(Array(bytes.dropLast(8)), as: Node.self) }
        #expect(truncated?.code == .malformed)

        let limited = #expect(throws: PackError.self) {
            try unpack(bytes, as: Node.self, options: UnpackOptions(maxObjects: 2))
        }
        #expect(limited?.code == .limitExceeded)

        // These pass the header (consistent lengths, checksum not verified) and fail in the body's
        // validation pass, after it has read most of the graph: they must still build nothing.
        let unchecked = UnpackOptions(verifyChecksum: false)
        let start = headerLength(bytes)
        let cut = #expect(throws: PackError.self) {
            try unpack(cutBody(bytes, keeping: bytes.count - 2), as: Node.self, options: unchecked)
        }
        #expect(cut?.code == .malformed)
        #expect((cut?.byteOffset ?? 0) > start + (bytes.count - start) / 2, "\(String(describing: cut))")

        // The trailer (weak and unowned slots) is last; a count of slots the body never made is
        // found only after every object has been read.
        #expect(bytes.last == 0, "the diamond has no weak or unowned slots")
        let trailer = #expect(throws: PackError.self) {
            try unpack(withBody(bytes, Array(bytes[start...].dropLast()) + [5]), as: Node.self, options: unchecked)
        }
        #expect(trailer?.code == .malformed)
        #expect((trailer?.byteOffset ?? 0) >= bytes.count - 1, "\(String(describing: trailer))")

        #expect(deinitedIDs(tag) == [])

        // The same bytes still unpack afterwards, and free cleanly.
        var copy: Node? = try unpack(bytes, as: Node.self)
        expectDiamond(copy!)
        copy = nil
        #expect(deinitedIDs(tag) == [0, 1, 2, 3])
        withExtendedLifetime(original) {}
    }
}
