import HeapPack
import HeapPackTestSupport
import Synchronization
import Testing

// Weak and unowned references travel in the packet's trailer: a weak one finds the copy of its
// target if the target travels too (through strong references), and comes back nil otherwise.

@Suite("Weak and unowned")
struct ReferenceStorageTests {
    private final class TreeNode {
        let name: String
        weak var parent: TreeNode?
        var children: [TreeNode] = []
        unowned(unsafe) var root: TreeNode?
        static let deinits = Mutex(0)

        init(_ name: String) { self.name = name }

        func add(_ name: String) -> TreeNode {
            let child = TreeNode(name)
            child.parent = self
            child.root = root ?? self
            children.append(child)
            return child
        }

        deinit { TreeNode.deinits.withLock { $0 += 1 } }
    }

    private final class Box {
        var value: Int
        init(_ value: Int) { self.value = value }
    }

    private final class UnsafeLink {
        unowned(unsafe) let target: Box
        init(target: Box) { self.target = target }
    }

    private struct WeakHolder {
        weak var box: Box?
    }

    private enum Slot {
        case holder(WeakHolder)
        case number(Int)
        case strong(Box)
    }

    private final class Pair {
        let first: Box
        unowned let alias: Box
        init(_ box: Box) { first = box; alias = box }
    }

    @Test func weakReferencesFindTheirTargetsCopies() throws {
        let inside = Box(1), outside = Box(2)
        let holders = [WeakHolder(box: inside), WeakHolder(box: outside), WeakHolder(box: nil)]
        let copy = try unpack(try pack((holders, inside)), as: ([WeakHolder], Box).self)
        #expect(copy.0[0].box === copy.1, "the target travelled: the weak reference points to its copy")
        #expect(copy.0[0].box !== inside)
        #expect(copy.0[1].box == nil, "the target was not in the packet")
        #expect(copy.0[2].box == nil)
        #expect(outside.value == 2)
    }

    @Test func unownedReferencesToPackedObjects() throws {
        let copy = try unpack(try pack(Pair(Box(7))), as: Pair.self)
        #expect(copy.alias === copy.first)
        #expect(copy.alias.value == 7)
    }

    @Test func weakSelfInAClosure() throws {
        let box = Box(40)
        let bump: () -> Int = { [weak box] in (box?.value ?? -1) + 2 }
        let both = try unpack(try pack((bump, box)), as: (() -> Int, Box).self)
        #expect(both.0() == 42, "the box travelled strongly, so the weak capture finds it")
        let alone = try unpack(try pack(bump), as: (() -> Int).self)
        #expect(alone() == 1, "alone, the weak capture comes back nil")
    }

    // Enum tags are set after the weak slots in their payloads (they could share spare bits).
    @Test func weakInsideEnumPayloads() throws {
        let box = Box(3)
        let slots: [Slot] = [.holder(WeakHolder(box: box)), .number(5), .strong(box), .holder(WeakHolder(box: nil))]
        let copy = try unpack(try pack(slots), as: [Slot].self)
        guard case .holder(let first) = copy[0], case .number(5) = copy[1], case .strong(let strong) = copy[2],
              case .holder(let last) = copy[3] else {
            Issue.record("cases changed: \(copy)")
            return
        }
        #expect(first.box === strong)
        #expect(last.box == nil)
    }

    @Test func treesWithParentPointersAreFreedByTheirRoots() throws {
        let before = TreeNode.deinits.withLock { $0 }
        var copy: TreeNode?
        do {
            let root = TreeNode("root")
            let a = root.add("a"), b = root.add("b")
            _ = a.add("a1")
            _ = b.add("b1")
            copy = try unpack(try pack(root), as: TreeNode.self)
            #expect(copy?.children[0].parent === copy)
            #expect(copy?.children[1].children[0].parent === copy?.children[1])
            #expect(copy?.children[0].children[0].root === copy, "unowned(unsafe) points into the copy")
        }
        let originals = TreeNode.deinits.withLock { $0 } - before
        #expect(originals == 5, "the originals are freed with their root")
        copy = nil
        #expect(TreeNode.deinits.withLock { $0 } - before == 10, "weak parents keep nothing alive in the copy")
    }

    @Test func anUnownedUnsafeReferenceToAnObjectLeftBehindIsRefused() {
        let outside = Box(1)
        let link = UnsafeLink(target: outside)
        let error = packError { _ = try pack([link]) }
        #expect(error?.code == .nonTransferable)
        #expect(error?.path == "root: Array<UnsafeLink> > [0] > .target", "\(error?.path ?? "")")
        #expect(error?.message.contains("dangle") == true, "\(error?.message ?? "")")
        // Once the target travels too, the same link packs and points into the copy.
        let copy = try? unpack(try pack((outside, link)), as: (Box, UnsafeLink).self)
        #expect(copy?.1.target === copy?.0)
        withExtendedLifetime(outside) {}
    }
}
