final class ListNode {
    let value: Int
    var next: ListNode?
    init(value: Int, next: ListNode?) {
        self.value = value
        self.next = next
    }
}

/// Owns the head so that both the original list and every unpacked copy are freed by this
/// deinit, in a loop: letting a 1M-node chain free itself recursively overflows the stack.
final class LinkedList {
    var head: ListNode?
    init(head: ListNode?) { self.head = head }

    deinit {
        var current = head
        head = nil
        while var node = current {
            current = nil
            // A node someone else still holds must keep its tail; the rest of the chain is theirs.
            guard isKnownUniquelyReferenced(&node) else { break }
            current = node.next
            node.next = nil
        }
    }

    func sum() -> Int {
        var total = 0
        var node = head
        while let current = node {
            total &+= current.value
            node = current.next
        }
        return total
    }
}

let w2Count = 1_000_000

/// A list of `count` nodes, values 0..<count from the head, and the closure summing it.
/// Takes the size as a parameter because the sweep builds it at several sizes.
func buildW2List(count: Int) -> () -> Int {
    var head: ListNode?
    // Built back to front so that the head ends up holding 0.
    for value in stride(from: count - 1, through: 0, by: -1) {
        head = ListNode(value: value, next: head)
    }
    let list = LinkedList(head: head)
    head = nil
    return { list.sum() }
}

let w2List = Workload(id: "W2", title: "list: 1,000,000 linked class nodes (value i, head 0); returns the sum",
                      objects: w2Count, objectNoun: "nodes") {
    try Prepared(build: { buildW2List(count: w2Count) }, check: 499_999_500_000,
                 notes: ["no JSON/plist baseline: WORKLOADS.md lists none for W2"])
}
