import CHeapPack
@testable import HeapPack
import Testing

// A large unpack leaves glibc's fastbins alone only while every object it makes is `linear`
// (unpack.c, merge_fastbins): a list built from them comes back in order, anything that can
// branch comes out scattered. So the flag must be set for a list's nodes and a closure holding
// one, and for nothing that can hold two references.

@Suite("Linear plans")
struct LinearPlanTests {
    final class ListNode {
        var value = 0
        var next: ListNode?
    }

    final class NamedListNode {
        var name = ""
        var next: NamedListNode?
    }

    final class TreeNode {
        var left: TreeNode?
        var right: TreeNode?
    }

    final class WithArray {
        var items: [Int] = []
    }

    final class WithClosure {
        var action: () -> Int = { 0 }
        var next: WithClosure?
    }

    /// The engine owns its plans: it must outlive the read of the flag.
    private func isLinear(_ metadata: _Metadata) throws -> Bool {
        let engine = _Engine()
        return try withExtendedLifetime(engine) { () throws -> Bool in
            try engine.objectPlan(metadata).plan.pointee.linear == 1
        }
    }

    private func contextIsLinear(_ closure: @escaping () -> Int) throws -> Bool {
        try withContext(of: closure) { context throws -> Bool in
            try isLinear(_Metadata(try #require(context).load(as: UnsafeRawPointer.self)))
        }
    }

    @Test("a list's node, with or without a String beside its link, is linear")
    func listNodes() throws {
        #expect(try isLinear(_Metadata(ListNode.self)))
        #expect(try isLinear(_Metadata(NamedListNode.self)))
    }

    @Test("a closure capturing one object is linear; one capturing two is not")
    func closureContexts() throws {
        let head = ListNode(), other = ListNode()
        #expect(try contextIsLinear({ head.value }))
        #expect(try !contextIsLinear({ head.value + other.value }))
    }

    @Test("two references, or a reference and a closure, are not linear")
    func branchingPlans() throws {
        #expect(try !isLinear(_Metadata(TreeNode.self)))
        #expect(try !isLinear(_Metadata(WithClosure.self)))
    }

    @Test("an array's one reference is linear, its storage is not")
    func arrays() throws {
        #expect(try isLinear(_Metadata(WithArray.self)))
        let nodes = [ListNode()]
        let storage = withUnsafeBytes(of: nodes) { $0.load(as: UnsafeRawPointer.self) }
        let storageIsLinear = try withExtendedLifetime(nodes) { () throws -> Bool in
            try isLinear(_Metadata(storage.load(as: UnsafeRawPointer.self)))
        }
        #expect(!storageIsLinear)
    }
}
