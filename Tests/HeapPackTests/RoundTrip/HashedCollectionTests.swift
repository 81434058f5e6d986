import HeapPack
import Synchronization
import Testing

// Dictionary and Set travel as their elements and are rebuilt by insertion on unpack: their
// storage is laid out by per-process hash seeds, so a raw copy would find nothing.

@Suite("Dictionary and Set")
struct HashedCollectionTests {
    private final class Key: Hashable {
        let name: String
        init(_ name: String) { self.name = name }
        static func == (a: Key, b: Key) -> Bool { a.name == b.name }
        func hash(into hasher: inout Hasher) { hasher.combine(name) }
    }

    private enum Payload {
        case table([String: Int])
        case tags(Set<String>)
        case nothing
    }

    private struct Inventory {
        var counts: [String: Int]
        var byOwner: [String: [String: Int]]
        var tags: Set<String>
        var optionalTable: [Int: String]?
        var payloads: [Payload]
    }

    @Test func dictionaryLookupsWorkAfterUnpack() throws {
        var table: [Int: String] = [:]
        for i in 0..<10_000 { table[i &* 2_654_435_761 % (1 << 32)] = "value-\(i)" }
        let copy = try unpack(try pack(table), as: [Int: String].self)
        #expect(copy.count == table.count)
        for i in stride(from: 0, to: 10_000, by: 7) {
            #expect(copy[i &* 2_654_435_761 % (1 << 32)] == "value-\(i)")
        }
        #expect(copy == table)
    }

    @Test func setMembershipWorksAfterUnpack() throws {
        let words: Set<String> = ["alpha", "beta", "a string well beyond the small-string limit", "🙂"]
        let copy = try unpack(try pack(words), as: Set<String>.self)
        #expect(copy == words)
        #expect(copy.contains("beta"))
        #expect(!copy.contains("gamma"))
    }

    /// Set<Int> and [String: String] take the specialized copies on both sides, Set<Int32> the
    /// generic ones.
    @Test func specializedAndGenericCopiesKeepEveryElement() throws {
        let numbers = Set((0..<5_000).map { (i: Int) in i &* 7_919 })
        let narrow = Set((0..<5_000).map { (i: Int) in Int32(i) &* 7_919 })
        let names = Dictionary(uniqueKeysWithValues: (0..<2_000).map { ("name-\($0)", "a value of \($0) past fifteen bytes") })
        let copy = try unpack(try pack((numbers, narrow, names)), as: (Set<Int>, Set<Int32>, [String: String]).self)
        #expect(copy.0 == numbers)
        #expect(copy.1 == narrow)
        #expect(copy.2 == names)
    }

    @Test func emptyCollections() throws {
        let copy = try unpack(try pack(([String: Int](), Set<Int>())), as: ([String: Int], Set<Int>).self)
        #expect(copy.0.isEmpty && copy.1.isEmpty)
    }

    // Multi-payload enum cases and Optionals around replaced values: their tags are set only
    // after the values are rebuilt (they may use the values' spare bits).
    @Test func nestedAndWrapped() throws {
        let inventory = Inventory(
            counts: ["bolts": 40, "nuts": 12],
            byOwner: ["ann": ["saw": 1], "bob": [:]],
            tags: ["metal", "small"],
            optionalTable: [1: "one", 2: "two"],
            payloads: [.table(["x": 1]), .tags(["t"]), .nothing, .table([:])])
        let copy = try unpack(try pack(inventory), as: Inventory.self)
        #expect(copy.counts == inventory.counts)
        #expect(copy.byOwner == inventory.byOwner)
        #expect(copy.tags == inventory.tags)
        #expect(copy.optionalTable == inventory.optionalTable)
        #expect(copy.payloads.count == 4)
        guard case .table(let first) = copy.payloads[0], case .tags(let second) = copy.payloads[1],
              case .nothing = copy.payloads[2], case .table(let fourth) = copy.payloads[3] else {
            Issue.record("payload cases changed: \(copy.payloads)")
            return
        }
        #expect(first == ["x": 1])
        #expect(second == ["t"])
        #expect(fourth.isEmpty)
    }

    @Test func classKeysAndSharedValuesKeepIdentity() throws {
        let shared = Key("shared value object")
        let table: [Key: Key] = [Key("a"): shared, Key("b"): shared, Key("c"): Key("own")]
        let copy = try unpack(try pack((table, shared)), as: ([Key: Key], Key).self)
        #expect(copy.0[Key("a")] === copy.1)
        #expect(copy.0[Key("b")] === copy.1)
        #expect(copy.0[Key("c")]?.name == "own")
        #expect(copy.1 !== shared)
    }

    @Test func closureCapturingADictionary() throws {
        let prices = ["apple": 3, "pear": 5, "a fruit with a name longer than fifteen bytes": 7]
        let total: (String) -> Int = { prices[$0] ?? -1 }
        let copy = try unpack(try pack(total), as: ((String) -> Int).self)
        #expect(copy("pear") == 5)
        #expect(copy("a fruit with a name longer than fifteen bytes") == 7)
        #expect(copy("plum") == -1)
    }

    @Test func duplicateKeysInAForgedPacketDoNotTrap() throws {
        try expectLaterDuplicateWins(keys: (1 as Int, 2))
    }

    /// [Int: String] is rebuilt by a specialized copy of the loop, [Int32: String] by the generic one.
    @Test func duplicateKeysDoNotTrapUnspecializedEither() throws {
        try expectLaterDuplicateWins(keys: (1 as Int32, 2))
    }

    private func expectLaterDuplicateWins<Key: FixedWidthInteger>(keys pair: (Key, Key)) throws {
        let original = [pair.0: "one", pair.1: "two"]
        var packet = try pack(original)
        let start = headerLength(packet)
        // Body: keys array (new, type, count 2), values array (new, type, count 2), then the
        // keys' raw bytes. Make the second key a copy of the first.
        #expect(packet[start] == 1 && packet[start + 2] == 2 && packet[start + 3] == 1 && packet[start + 5] == 2)
        let keys = start + 6, width = MemoryLayout<Key>.stride
        for i in 0..<width { packet[keys + width + i] = packet[keys + i] }
        let copy = try unpack(packet, as: [Key: String].self, options: UnpackOptions(verifyChecksum: false))
        #expect(copy.count == 1)
        // The keys and values travel in the original's order; the later of the two pairs wins.
        #expect(copy.first?.value == Array(original.values)[1])
    }

    @Test func valuesAreReleasedExactlyOnce() throws {
        // Unpacked objects are rebuilt, not initialized: count deinits only.
        final class Token {
            static let deinits = Mutex(0)
            deinit { Token.deinits.withLock { $0 += 1 } }
        }
        var table: [String: Token]? = ["a": Token(), "b": Token(), "c": Token()]
        weak let original = table?["a"]
        var copy: [String: Token]? = try unpack(try pack(table!), as: [String: Token].self)
        #expect(copy?.count == 3)
        #expect(copy?["a"] !== original)
        copy = nil
        #expect(Token.deinits.withLock { $0 } == 3, "the copy's three values, once each")
        #expect(original != nil, "the originals are untouched by the copy's release")
        table = nil
        #expect(Token.deinits.withLock { $0 } == 6, "the originals, once each")
        #expect(original == nil)
    }
}
