import Testing
import HeapPack

@Suite("Class graphs")
struct ClassGraphTests {
    typealias Box = Fixture.Box
    typealias ListNode = Fixture.ListNode

    class Base {
        var baseID: Int
        var baseName: String
        init(baseID: Int, baseName: String) { self.baseID = baseID; self.baseName = baseName }
        func describe() -> String { "base \(baseID) \(baseName)" }
    }

    final class Derived: Base {
        var extra: Double
        var tags: [String]
        var peer: Base?
        init(baseID: Int, baseName: String, extra: Double, tags: [String]) {
            self.extra = extra
            self.tags = tags
            super.init(baseID: baseID, baseName: baseName)
        }
        // Dispatch through the vtable proves the unpacked object got the subclass's metadata, not
        // just the right bytes.
        override func describe() -> String { "derived \(baseID) \(baseName) \(extra) \(tags.joined(separator: ","))" }
    }

    struct IdentityHolder {
        var a1: Box
        var a2: Box
        var b: Box
        var list: [Box]
    }

    /// Breaks a singly linked list without recursion: letting the head go would release each node
    /// from inside the previous node's deinit, a million frames deep.
    private func freeIteratively(_ head: inout ListNode?) {
        var current = head
        head = nil
        while let node = current {
            current = node.next
            node.next = nil
        }
    }

    @Test func roundTripIdentityIsPreserved() throws {
        let a = Box(1, "a"), b = Box(2, "b")
        let back = try roundTrip(IdentityHolder(a1: a, a2: a, b: b, list: [a, b]))
        #expect(back.a1 === back.a2)
        #expect(back.a1 !== back.b)
        #expect(back.list[0] === back.a1)
        #expect(back.list[1] === back.b)
        #expect(back.a1 !== a)
        back.a2.value = 50
        #expect(back.a1.value == 50)
        #expect(a.value == 1)
    }

    @Test func roundTripRingOfThree() throws {
        let a = ListNode(1), b = ListNode(2), c = ListNode(3)
        a.next = b; b.next = c; c.next = a
        defer { c.next = nil }

        let back = try roundTrip(a)
        let b2 = try #require(back.next)
        let c2 = try #require(b2.next)
        #expect(back.value == 1)
        #expect(b2.value == 2)
        #expect(c2.value == 3)
        #expect(c2.next === back)
        #expect(back !== a && b2 !== b && c2 !== c)
        c2.next = nil
    }

    @Test func roundTripSuperclassAndSubclassFields() throws {
        let d = Derived(baseID: 4, baseName: "base name long enough for heap", extra: 0.125, tags: ["x", "y"])
        d.peer = Base(baseID: 5, baseName: "peer")
        let back = try roundTrip(d)
        #expect(back.baseID == 4)
        #expect(back.baseName == "base name long enough for heap")
        #expect(back.extra == 0.125)
        #expect(back.tags == ["x", "y"])
        #expect(back.peer?.baseID == 5)
        #expect(back.describe() == "derived 4 base name long enough for heap 0.125 x,y")

        // Packed under the superclass type, the dynamic subclass must survive.
        let asBase: Base = d
        let b = try roundTrip(asBase)
        let derived = try #require(b as? Derived)
        #expect(derived.extra == 0.125)
        #expect(b.describe() == "derived 4 base name long enough for heap 0.125 x,y")

        // A subclass instance pointing at itself through a superclass-typed field.
        d.peer = d
        defer { d.peer = nil }
        let selfRef = try roundTrip(d)
        #expect(selfRef.peer === selfRef)
        selfRef.peer = nil
    }

    @Test func roundTripMillionNodeList() throws {
        let count = 1_000_000
        var head: ListNode? = nil
        for i in stride(from: count, through: 1, by: -1) {
            head = ListNode(i, head)
        }
        defer { freeIteratively(&head) }

        let bytes = try pack(head!)
        var back: ListNode? = try unpack(bytes, as: ListNode.self)
        defer { freeIteratively(&back) }

        var sum = 0
        var length = 0
        var node = back
        while let n = node {
            sum += n.value
            length += 1
            node = n.next
        }
        #expect(length == count)
        #expect(sum == count * (count + 1) / 2)
        #expect(back !== head)
    }
}
