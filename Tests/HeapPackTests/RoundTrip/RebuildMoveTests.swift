@testable import HeapPack
import Synchronization
import Testing

// Dictionary and Set rebuilds take the keys, values and elements out of the arrays the reader
// made, instead of copying them, then empty those arrays. Each one must end up owned exactly
// once: in the rebuilt collection, or destroyed with its array when a forged packet gave more
// keys than values (or the reverse), or dropped as a duplicate.
@Suite("Rebuilds move their entries", .serialized)
struct RebuildMoveTests {
    final class Token: Hashable {
        static let deinits = Mutex(0)
        let id: Int
        init(_ id: Int) { self.id = id }
        deinit { Token.deinits.withLock { $0 += 1 } }
        static func == (a: Token, b: Token) -> Bool { a.id == b.id }
        func hash(into hasher: inout Hasher) { hasher.combine(id) }
    }

    private static func deinits() -> Int { Token.deinits.withLock { $0 } }

    @Test("values past the last key are destroyed once; the others live in the dictionary",
          arguments: [(keys: 3, values: 2), (keys: 2, values: 4), (keys: 0, values: 2), (keys: 2, values: 2)])
    func unmatchedEntries(_ counts: (keys: Int, values: Int)) {
        let before = Self.deinits()
        var entries = _DictionaryEntries(keys: (0..<counts.keys).map { "key \($0)" },
                                         values: (0..<counts.values).map { Token($0) })
        var rebuilt: [String: Token]? = [String: Token]._rebuilt(from: &entries)
        let matched = min(counts.keys, counts.values)
        #expect(rebuilt?.count == matched)
        #expect(rebuilt?["key 1"]?.id == (matched > 1 ? 1 : nil))
        #expect(entries.keys.isEmpty && entries.values.isEmpty)
        #expect(Self.deinits() - before == counts.values - matched, "the unmatched values, once each")
        rebuilt = nil
        #expect(Self.deinits() - before == counts.values, "then the matched ones, once each")
    }

    @Test("a duplicate key's earlier value is destroyed once, the later one kept")
    func duplicateKeys() {
        let before = Self.deinits()
        var entries = _DictionaryEntries(keys: [7, 7], values: [Token(1), Token(2)])
        var rebuilt: [Int: Token]? = [Int: Token]._rebuilt(from: &entries)
        #expect(rebuilt?[7]?.id == 2)
        #expect(Self.deinits() - before == 1)
        rebuilt = nil
        #expect(Self.deinits() - before == 2)
    }

    @Test("a set's elements are moved, duplicates destroyed once")
    func setElements() {
        let before = Self.deinits()
        var elements = [Token(1), Token(2), Token(1)]
        var rebuilt: Set<Token>? = Set<Token>._rebuilt(from: &elements)
        #expect(rebuilt?.count == 2)
        #expect(elements.isEmpty)
        #expect(Self.deinits() - before == 1, "the second Token(1)")
        rebuilt = nil
        #expect(Self.deinits() - before == 3)
    }
}
