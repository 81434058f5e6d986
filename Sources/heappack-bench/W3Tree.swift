final class TreeNode {
    let value: Int
    let left: TreeNode?
    let right: TreeNode?
    init(value: Int, left: TreeNode?, right: TreeNode?) {
        self.value = value
        self.left = left
        self.right = right
    }

    /// Recursion is fine here: the depth is 20.
    func count() -> Int { 1 + (left?.count() ?? 0) + (right?.count() ?? 0) }
}

/// The data-only form for the encoders: nested structs, one level of JSON nesting per tree
/// level (depth 20 stays far below the decoders' nesting limits).
struct TreeValue: Codable {
    var value: Int
    var children: [TreeValue]

    init(_ node: TreeNode) {
        value = node.value
        children = [node.left, node.right].compactMap { $0 }.map(TreeValue.init)
    }

    func count() -> Int { children.reduce(1) { $0 + $1.count() } }
}

let w3Depth = 20
let w3Count = (1 << w3Depth) - 1

/// A complete tree of `depth` levels in heap numbering: the root holds `index` (1 for the
/// whole tree) and the children of i hold 2i and 2i+1. Takes the depth as a parameter because
/// the sweep builds the tree at several sizes.
func makeTree(depth: Int, index: Int = 1) -> TreeNode {
    guard depth > 1 else { return TreeNode(value: index, left: nil, right: nil) }
    return TreeNode(value: index,
                    left: makeTree(depth: depth - 1, index: 2 * index),
                    right: makeTree(depth: depth - 1, index: 2 * index + 1))
}

func buildW3Tree(depth: Int) -> () -> Int {
    let root = makeTree(depth: depth)
    return { root.count() }
}

let w3Tree = Workload(id: "W3", title: "tree: complete binary tree of depth 20, value = heap index; returns the node count",
                      objects: w3Count, objectNoun: "nodes") {
    try Prepared(
        build: { buildW3Tree(depth: w3Depth) }, check: w3Count,
        baselines: codableBaselines(TreeValue(makeTree(depth: w3Depth))) { $0.count() == w3Count },
        notes: ["JSON/plist data-only form: nested structs {value, children: [TreeValue]} (0 or 2 children), no flattening needed"])
}
