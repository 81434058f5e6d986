// Random nested values for property tests: structs, enums (indirect, multi-payload),
// classes with sharing, cycles and weak back-pointers, closures, existentials, Dictionary and
// Set. A value is built from a seed with a seeded generator, so two processes of one binary
// build the same one; `describe` renders its behaviour and identity structure canonically.
// Every node counts its life in a `NodeLedger`, so a stress run can check each was freed once.

/// SplitMix64: small, fast and the same everywhere.
public struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

public indirect enum RandomTree {
    case int(Int)
    case small(Int8, Bool)
    case text(String)
    case list([RandomTree])
    case record(RandomRecord)
    case node(RandomNode)
    case job(RandomJob)
    case table([String: RandomTree])
    case tags(Set<Int>)
    case boxed(Any)
    case nothing
}

public struct RandomRecord {
    public var flag: Bool
    public var ratio: Double
    public var note: String?
    public var items: [RandomTree]
    public var pair: (Int16, String)
}

public final class RandomNode {
    public var label: String
    public var payload: RandomTree = .nothing
    public var next: RandomNode?
    public weak var previous: RandomNode?
    /// The number of the `NodeLedger` that counts this node's life, and its copies'.
    public let ledger: Int

    public init(label: String, ledger: NodeLedger = .unaudited) {
        self.label = label
        self.ledger = ledger.number
        ledger.recordMade()
    }

    deinit { NodeLedger.numbered(ledger).recordFreed() }
}

public struct RandomJob {
    public var run: () -> String
}

/// A value and every node it made, so the test can break the cycles it may contain (Swift
/// never frees a cycle by itself). Packed whole, the copy carries its own node list too: some
/// nodes are reachable only through closures, where no rendering finds them.
public struct RandomValue {
    public let tree: RandomTree
    public let nodes: [RandomNode]

    /// - Parameters:
    ///   - ledger: where the value's nodes, and their copies, count their lives.
    ///   - roots: how many subtrees the root list may have. More make larger graphs, with more
    ///     sharing between them (half the nodes asked for are existing ones).
    public init(seed: UInt64, ledger: NodeLedger = .unaudited, roots: ClosedRange<Int> = 3...6) {
        var builder = RandomBuilder(seed: seed, ledger: ledger)
        // A list at the root, so that every value has some structure to it.
        tree = .list((0..<builder.int(roots)).map { _ in builder.tree(depth: 1) })
        builder.link()
        nodes = builder.nodes
    }
}

struct RandomBuilder {
    var rng: SplitMix64
    let ledger: NodeLedger
    var nodes: [RandomNode] = []

    init(seed: UInt64, ledger: NodeLedger) {
        rng = SplitMix64(seed: seed)
        self.ledger = ledger
    }

    mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &rng) }

    mutating func text() -> String {
        let pieces = ["a", "héllo", "🙂", "long enough to be stored natively, not small", "", "x y z", "東京"]
        return (0..<int(0...3)).map { _ in pieces[int(0...(pieces.count - 1))] }.joined(separator: "-")
    }

    mutating func tree(depth: Int) -> RandomTree {
        let leafOnly = depth >= 4
        switch int(0...(leafOnly ? 3 : 10)) {
        case 0: return .int(int(-1_000_000...1_000_000))
        case 1: return .small(Int8(truncatingIfNeeded: int(-128...127)), int(0...1) == 1)
        case 2: return .text(text())
        case 3: return .nothing
        case 4: return .list((0..<int(0...4)).map { _ in tree(depth: depth + 1) })
        case 5: return .record(record(depth: depth + 1))
        case 6: return .node(node(depth: depth + 1))
        case 7: return .job(job(depth: depth + 1))
        case 8:
            var table: [String: RandomTree] = [:]
            for index in 0..<int(0...4) { table["k\(index)-\(text())"] = tree(depth: depth + 1) }
            return .table(table)
        case 9: return .tags(Set((0..<int(0...6)).map { _ in int(-50...50) }))
        default:
            switch int(0...2) {
            case 0: return .boxed(int(0...99))
            case 1: return .boxed(text())
            default: return .boxed(record(depth: depth + 1))
            }
        }
    }

    mutating func record(depth: Int) -> RandomRecord {
        RandomRecord(flag: int(0...1) == 1, ratio: Double(int(-100...100)) / 8,
                     note: int(0...1) == 1 ? text() : nil,
                     items: (0..<int(0...2)).map { _ in tree(depth: depth + 1) },
                     pair: (Int16(int(-300...300)), text()))
    }

    /// Half the time an existing node: sharing, and with `link` cycles.
    mutating func node(depth: Int) -> RandomNode {
        if !nodes.isEmpty && int(0...1) == 1 { return nodes[int(0...(nodes.count - 1))] }
        let node = RandomNode(label: "n\(nodes.count)", ledger: ledger)
        nodes.append(node)
        node.payload = tree(depth: depth + 1)
        return node
    }

    mutating func job(depth: Int) -> RandomJob {
        let number = int(0...1000)
        let word = text()
        let target = int(0...2) == 0 ? nil : node(depth: depth + 1)
        let items = (0..<int(0...3)).map { _ in int(0...9) }
        return RandomJob { "job(\(number), \(word), \(target?.label ?? "-"), \(items.reduce(0, +)))" }
    }

    /// Next pointers (possibly back to earlier nodes: cycles) and weak previous pointers.
    mutating func link() {
        for node in nodes where int(0...2) > 0 {
            node.next = nodes[int(0...(nodes.count - 1))]
            node.next?.previous = node
        }
    }
}

/// A canonical rendering: nodes get ids in visit order (so sharing and cycles show), closures
/// are called, dictionary keys and sets are sorted. A weak `previous` link is rendered as the id
/// of the node it points to, which may be visited only later: it is written as a placeholder
/// and filled in once the whole tree has been visited.
public struct Describer {
    var ids: [ObjectIdentifier: Int] = [:]
    var pendingLinks: [ObjectIdentifier] = []
    public private(set) var nodes: [RandomNode] = []

    public init() {}

    public mutating func describe(_ tree: RandomTree) -> String {
        let text = render(tree)
        guard !pendingLinks.isEmpty else { return text }
        var resolved = ""
        var pieces = text.split(separator: Self.placeholder, omittingEmptySubsequences: false)[...]
        resolved += pieces.removeFirst()
        // Pieces alternate: a pending link's index, then the text that follows it.
        while let index = pieces.popFirst(), let rest = pieces.popFirst() {
            let target = pendingLinks[Int(index)!]
            resolved += ids[target].map { "@\($0)" } ?? "outside"
            resolved += rest
        }
        pendingLinks = []
        return resolved
    }

    private static let placeholder: Character = "\u{1}"

    mutating func render(_ tree: RandomTree) -> String {
        switch tree {
        case .int(let value): return "i\(value)"
        case .small(let value, let flag): return "s\(value)\(flag ? "t" : "f")"
        case .text(let text): return "\"\(text)\""
        case .list(let items): return "[" + items.map { render($0) }.joined(separator: ",") + "]"
        case .record(let record): return render(record)
        case .node(let node): return render(node)
        case .job(let job): return "{" + job.run() + "}"
        case .table(let table):
            return "<" + table.keys.sorted().map { "\($0):" + render(table[$0]!) }.joined(separator: ",") + ">"
        case .tags(let tags): return "#" + tags.sorted().map(String.init).joined(separator: ",")
        case .boxed(let value):
            switch value {
            case let number as Int: return "any(i\(number))"
            case let text as String: return "any(\"\(text)\")"
            case let record as RandomRecord: return "any(" + render(record) + ")"
            default: return "any(?)"
            }
        case .nothing: return "-"
        }
    }

    mutating func render(_ record: RandomRecord) -> String {
        "R(\(record.flag),\(record.ratio),\(record.note ?? "nil"),[" + record.items.map { render($0) }.joined(separator: ",")
            + "],\(record.pair.0),\(record.pair.1))"
    }

    mutating func render(_ node: RandomNode) -> String {
        let key = ObjectIdentifier(node)
        if let id = ids[key] { return "@\(id)" }
        let id = ids.count
        ids[key] = id
        nodes.append(node)
        let payload = render(node.payload)
        let next = node.next.map { render($0) } ?? "nil"
        let previous = node.previous.map { link(to: $0) } ?? "nil"
        return "N\(id)(\(node.label),\(payload),next:\(next),prev:\(previous))"
    }

    private mutating func link(to target: RandomNode) -> String {
        if let id = ids[ObjectIdentifier(target)] { return "@\(id)" }
        pendingLinks.append(ObjectIdentifier(target))
        return "\(Self.placeholder)\(pendingLinks.count - 1)\(Self.placeholder)"
    }
}

/// Random values that break their own cycles when they go away, for packets that travel to
/// another process and are dropped there.
public final class RandomBatch {
    public let values: [RandomValue]
    public init(seeds: [UInt64]) { values = seeds.map { RandomValue(seed: $0) } }
    deinit { for value in values { unlink(value.nodes) } }
}

/// Breaks every cycle among these nodes so they can be freed.
public func unlink(_ nodes: [RandomNode]) {
    for node in nodes {
        node.next = nil
        node.payload = .nothing
    }
}
