final class GraphNode {
    let id: Int
    var a: GraphNode?
    var b: GraphNode?
    init(id: Int) { self.id = id }
}

/// Owns the node array. The nodes form cycles, so nothing would free them; this deinit
/// (of the original at the end, of each unpacked copy when the copy is dropped) cuts every
/// edge so memory does not grow from one round to the next.
final class Graph {
    let nodes: [GraphNode]
    init(nodes: [GraphNode]) { self.nodes = nodes }

    deinit {
        for node in nodes {
            node.a = nil
            node.b = nil
        }
    }

    /// `[h, distinct]` as WORKLOADS.md defines them.
    func checksum() -> [Int] {
        var h: UInt32 = 0
        var current = nodes[0]
        for _ in 0..<100_000 {
            h = h &* 31 &+ UInt32(truncatingIfNeeded: current.id)
            current = (h & 1 == 1 ? current.b : current.a)!
        }
        return [Int(h), distinctReachable()]
    }

    /// Counts by identity, so an unpack that duplicated shared nodes would show here.
    func distinctReachable() -> Int {
        var seen = Set<ObjectIdentifier>(minimumCapacity: nodes.count * 2)
        var pending = nodes
        while let node = pending.popLast() {
            guard seen.insert(ObjectIdentifier(node)).inserted else { continue }
            if let a = node.a { pending.append(a) }
            if let b = node.b { pending.append(b) }
        }
        return seen.count
    }
}

let w4Count = 100_000

func buildW4Graph() -> () -> [Int] {
    let nodes = (0..<w4Count).map(GraphNode.init)
    var x = 42
    func draw() -> GraphNode {
        x = x * 48271 % 2_147_483_647
        return nodes[x % w4Count]
    }
    for node in nodes {
        node.a = draw()
        node.b = draw()
    }
    let graph = Graph(nodes: nodes)
    return { graph.checksum() }
}

let w4Graph = Workload(id: "W4", title: "graph: 100,000 nodes, 2 pseudo-random edges each (seed 42); returns [h, distinct]",
                       objects: w4Count, objectNoun: "nodes") {
    try Prepared(build: buildW4Graph, check: [1_166_237_673, w4Count],
                 notes: ["no JSON/plist baseline: the graph has cycles"])
}
