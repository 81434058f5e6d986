import Synchronization

/// Counts the lives of `RandomNode`s: how many were made and how many freed. When every value
/// that holds them is gone the two counts must be equal; a retain too many leaves one alive
/// and a retain too few frees one early or twice.
///
/// A node records the *number* of its ledger, not a reference to it: a reference would travel
/// with the node, and the copy would count into a copy of the ledger. The number travels
/// instead, so copies, even in another process, count into the ledger of the same number
/// there. An unpack makes its copies without running `init`, so whoever unpacks counts them
/// in with `adopt`.
public final class NodeLedger: Sendable {
    public let number: Int
    private let made = Atomic<Int>(0)
    private let freed = Atomic<Int>(0)

    private init(number: Int) { self.number = number }

    /// A power of two, so that any number a node carries picks a ledger with a mask.
    private static let count = 4096
    private static let all = (0..<count).map(NodeLedger.init(number:))
    private static let lastHandedOut = Atomic<Int>(0)

    /// The ledger of nodes nobody audits (the tests'): concurrent tests share it.
    public static let unaudited = all[0]

    public static func numbered(_ number: Int) -> NodeLedger { all[number & (count - 1)] }

    /// A ledger no other value is using, as long as fewer than 4,095 are in use at once.
    public static func fresh() -> NodeLedger {
        let handedOut = lastHandedOut.wrappingAdd(1, ordering: .relaxed).newValue
        return all[1 + (handedOut & Int.max) % (count - 1)]
    }

    public struct Counts: Equatable, Sendable {
        public var made: Int
        public var freed: Int
        public var alive: Int { made - freed }

        public init(made: Int, freed: Int) {
            self.made = made
            self.freed = freed
        }

        public static func - (after: Counts, before: Counts) -> Counts {
            Counts(made: after.made - before.made, freed: after.freed - before.freed)
        }
    }

    public var counts: Counts {
        // Freed first: a node made and freed between the two loads then shows as alive rather
        // than as freed without being made.
        let freed = freed.load(ordering: .acquiring)
        return Counts(made: made.load(ordering: .acquiring), freed: freed)
    }

    /// Every ledger's counts added up: each node made and freed in this process.
    public static var total: Counts {
        all.reduce(Counts(made: 0, freed: 0)) { sum, ledger in
            let counts = ledger.counts
            return Counts(made: sum.made + counts.made, freed: sum.freed + counts.freed)
        }
    }

    func recordMade() { made.wrappingAdd(1, ordering: .relaxed) }
    func recordFreed() { freed.wrappingAdd(1, ordering: .releasing) }

    /// Counts in the copies an unpack made, each once however often `copies` lists it, in the
    /// ledger each names, and returns how many there were.
    @discardableResult
    public static func adopt(_ copies: [RandomNode]) -> Int {
        var seen = Set<ObjectIdentifier>()
        for copy in copies where seen.insert(ObjectIdentifier(copy)).inserted {
            numbered(copy.ledger).recordMade()
        }
        return seen.count
    }
}
