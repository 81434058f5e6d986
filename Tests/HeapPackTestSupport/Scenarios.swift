import Dispatch
import Foundation
import HeapPack
import Synchronization
import Glibc

/// The values the cross-process tests ship between two runs of `heappack-peer`.
public enum Scenarios {
    public static let all: [Scenario] = [
        closureWithMixedCaptures, linkedList, arrayOfClosures, indirectEnum, sharedVar, strings,
        structGraph, throwingClosure, cFunctionPointer, metatypes, asyncClosure, hashedCollections, existentials, libraryTypes, weakAndUnowned, errorsAndMetatypes, foundationValues, genericClosures, randomValues, replacements, namedObjects,
        privateAndLocalTypes, privateRootType, privateHashedKeys,
    ]

    public static func named(_ name: String) -> Scenario? { all.first { $0.name == name } }

    /// The demo's closure: an Int, a String, an array and a cycle of class instances.
    public static let closureWithMixedCaptures = Scenario.make(
        "closure-mixed", expected: "42|héllo, wörld — a string that is not small|15|ring of 3, shared: true",
        { () -> (() -> String) in
            let answer = 41
            let greeting = "héllo, wörld — a string that is not small"
            let numbers = [1, 2, 3, 4, 5]
            let ring = Ring.make(3)
            return { "\(answer + 1)|\(greeting)|\(numbers.reduce(0, +))|ring of \(ring.count), shared: \(ring.isClosed)" }
        }, call: { $0() })

    public static let linkedList = Scenario.make(
        "list-100k", expected: "4999950000",
        { () -> (() -> Int) in
            let list = LinkedList(count: 100_000)
            return { list.sum() }
        }, call: { String($0()) })

    public static let arrayOfClosures = Scenario.make(
        "array-of-closures", expected: "507390",
        { () -> [() -> Int] in
            (0..<1000).map { i in
                let label = "item-\(i)"
                return { i + label.utf8.count }
            }
        }, call: { String($0.reduce(0) { $0 + $1() }) })

    public static let indirectEnum = Scenario.make(
        "indirect-enum", expected: "sum 4950, depth 99",
        { () -> Expression in
            (1..<100).reduce(Expression.number(0)) { .add($0, .number($1)) }
        }, call: { "sum \($0.evaluate()), depth \($0.depth)" })

    public static let sharedVar = Scenario.make(
        "shared-var", expected: "10 -> 13",
        { () -> Counter in
            var count = 10
            return Counter(increment: { count += 1 }, read: { count })
        }, call: { counter in
            let before = counter.read()
            for _ in 0..<3 { counter.increment() }
            return "\(before) -> \(counter.read())"
        })

    public static let strings = Scenario.make(
        "strings", expected: "0|5|41|🙂 Grüße aus Köln, 東京 und Zürich 🙂|substring here|small",
        { () -> [String] in
            let big = String(repeating: "x", count: 41)
            let text = "take the substring here, please"
            let slice = text.split(separator: ",")[0].dropFirst(9)
            return ["", "short", big, "🙂 Grüße aus Köln, 東京 und Zürich 🙂", String(slice), "small"]
        }, call: { values in
            "\(values[0].count)|\(values[1].count)|\(values[2].count)|\(values[3])|\(values[4])|\(values[5])"
        })

    public static let structGraph = Scenario.make(
        "struct-graph", expected: "alice:3 bob:3 same:true owner:nil",
        { () -> Team in
            let shared = Account(balance: 3)
            return Team(members: [Member(name: "alice", account: shared), Member(name: "bob", account: shared)],
                        owner: nil)
        }, call: { team in
            let same = team.members[0].account === team.members[1].account
            return team.members.map { "\($0.name):\($0.account.balance)" }.joined(separator: " ")
                + " same:\(same) owner:\(team.owner.map { $0.name } ?? "nil")"
        })

    public static let throwingClosure = Scenario.make(
        "throwing-closure", expected: "7 error:tooBig",
        { () -> ((Int) throws -> Int) in
            let limit = 10
            return { value in
                guard value < limit else { throw LimitError.tooBig }
                return value
            }
        }, call: { check in
            let fine = (try? check(7)).map(String.init) ?? "threw"
            do { _ = try check(11); return fine + " no error" } catch { return fine + " error:\(error)" }
        })

    /// A C function pointer lives in libm, not in the executable: a pointer into a second image.
    /// The reader says which library its copy points into.
    public static let cFunctionPointer = Scenario.make(
        "c-function-pointer", expected: "1.0 from libm.so.6",
        { () -> Formula in Formula(function: cos, argument: 0) },
        call: { "\($0.function($0.argument)) from \(imageName(containing: unsafeBitCast($0.function, to: UnsafeRawPointer.self)))" })

    /// A root type generic over a fileprivate type: its mangled name holds the address of an
    /// anonymous context, which differs per process.
    public static let privateRootType = Scenario.make(
        "private-root-type", expected: "7 seven, 8 eight",
        { [Secret(code: 7, word: "seven"), Secret(code: 8, word: "eight")] },
        call: { $0.map { "\($0.code) \($0.word)" }.joined(separator: ", ") })

    /// A Set and a Dictionary keyed by a private type: rebuilt by hashing with the receiver's seed,
    /// through conformances found again for a type that has no name to look up.
    public static let privateHashedKeys = Scenario.make(
        "private-hashed-keys", expected: "3 tags, red: true, 2 -> two",
        { () -> (Set<Tag>, [Tag: String]) in
            let tags: Set<Tag> = [Tag(name: "red"), Tag(name: "green"), Tag(name: "a tag name beyond the small-string limit")]
            return (tags, [Tag(name: "2"): "two"])
        },
        call: { tags, names in
            "\(tags.count) tags, red: \(tags.contains(Tag(name: "red"))), 2 -> \(names[Tag(name: "2")] ?? "nil")"
        })

    /// Private and function-local types, whose mangled names do not resolve by lookup: in
    /// captures, behind `Any`, and as generic arguments.
    public static let privateAndLocalTypes = Scenario.make(
        "private-and-local-types", expected: "7 seven|local a -> local b|[3, 4]",
        { () -> (() -> String) in makePrivateAndLocalJob() }, call: { $0() })

    public static let metatypes = Scenario.make(
        "metatypes", expected: "Int,String,ListNode|Int|Account|Person",
        { () -> Metatypes in
            Metatypes(any: [Int.self, String.self, ListNode.self], thin: Int.self, thick: Account.self,
                      classes: [Person.self])
        },
        call: { value in
            value.any.map { _typeName($0, qualified: false) }.joined(separator: ",") + "|"
                + _typeName(value.thin, qualified: false) + "|" + _typeName(value.thick, qualified: false) + "|"
                + value.classes.map { _typeName($0, qualified: false) }.joined(separator: ",")
        })

    /// Hash seeds differ per process: lookups only work because the reader rebuilds the tables.
    public static let hashedCollections = Scenario.make(
        "dictionary-and-set", expected: "hits 1000, bytes 9886, members 3/3",
        { () -> (() -> String) in
            var table: [Int: String] = [:]
            for i in 0..<10_000 { table[i &* 2_654_435_761 % (1 << 32)] = "value-\(i)" }
            let members: Set<String> = ["red", "green", "a colour name longer than fifteen bytes"]
            return {
                var hits = 0, bytes = 0
                for j in 0..<1000 {
                    let i = j &* 7919 % 10_000
                    if let value = table[i &* 2_654_435_761 % (1 << 32)] {
                        bytes += value.utf8.count
                        if value == "value-\(i)" { hits += 1 }
                    }
                }
                let found = ["red", "green", "a colour name longer than fifteen bytes"].filter(members.contains).count
                return "hits \(hits), bytes \(bytes), members \(found)/3"
            }
        }, call: { $0() })

    /// Witness tables are found again by the reader, including the run-time-made one of
    /// `[Int]: Hashable`; a large value sits in an existential box.
    public static let existentials = Scenario.make(
        "existentials", expected: "42|text beyond the small-string limit|[1, 2, 3]|6|true|ledger:6|6|3|same object",
        { () -> Existentials in
            let shared = Account(balance: 6)
            return Existentials(
                values: [42, "text beyond the small-string limit", [1, 2, 3] as any Hashable,
                         LargeValue(a: 1, b: 2, c: 3, d: 0), shared, shared],
                owner: shared, composed: Three(), object: shared)
        }, call: { value in
            let values = value.values
            let large = values[3] as? LargeValue
            let same = (values[4] as AnyObject) === (values[5] as AnyObject)
            return "\(values[0] as? Int ?? -1)|\(values[1] as? String ?? "?")|"
                + "\((values[2] as? any Hashable).map { "\($0)" } ?? "?")|"
                + "\(large.map { $0.a + $0.b + $0.c + $0.d } ?? -1)|\(same)|\(value.owner.describe())|"
                + "\((value.owner as AnyObject) === (values[4] as AnyObject) ? 6 : -1)|\(type(of: value.composed).count)|"
                + (value.object === (values[4] as AnyObject) ? "same object" : "different object")
        })

    /// Standard-library types made of known parts, ArraySlice's interior pointer among them.
    public static let libraryTypes = Scenario.make(
        "library-types",
        expected: "[\"b\", \"c\"]|3|-5..<5|ok 6|SIMD4<Float>(1.0, 2.0, 3.0, 4.0)|-9223372036854775808000|3.25 seconds|of t|👩‍💻|static|11|0.5...1.5|19342813113834066794250495",
        { () -> LibraryValues in
            var total = 0
            let line = "a line of text from which a substring is taken"
            return LibraryValues(
                slice: ["a", "b", "c", "d"][1...2], contiguous: [1, 2, 3], range: -5..<5, result: .success([1, 2, 3]),
                vector: SIMD4(1, 2, 3, 4), wide: Int128(Int64.min) * 1000, duration: .seconds(3) + .milliseconds(250),
                substring: line.dropFirst(7).prefix(4), character: "👩‍💻", text: "static",
                counter: ({ total += $0 }, { total }), closed: 0.5...1.5, unsignedWide: UInt128(UInt64.max) << 20 | 0xFF)
        }, call: { v in
            v.counter.0(5); v.counter.0(6)
            let sum = (try? v.result.get())?.reduce(0, +) ?? -1
            return "\(Array(v.slice))|\(v.contiguous.count)|\(v.range)|ok \(sum)|\(v.vector)|\(v.wide)|\(v.duration)|"
                + "\(v.substring)|\(v.character)|\(v.text)|\(v.counter.1())|\(v.closed)|\(v.unsignedWide)"
        })

    /// `any Error` boxes are rebuilt with swift_allocError; protocol metatypes find their
    /// witness tables again.
    public static let errorsAndMetatypes = Scenario.make(
        "errors-and-metatypes", expected: "tooBig|retry after 30 s: a long enough reason|3,4",
        { () -> ErrorsAndKinds in
            ErrorsAndKinds(errors: [LimitError.tooBig, RetryError(seconds: 30, reason: "a long enough reason")],
                           kinds: [Three.self, Four.self])
        }, call: { value in
            let first = (value.errors[0] as? LimitError).map { "\($0)" } ?? "?"
            let second = (value.errors[1] as? RetryError).map { "retry after \($0.seconds) s: \($0.reason)" } ?? "?"
            return "\(first)|\(second)|\(value.kinds.map { String($0.count) }.joined(separator: ","))"
        })

    /// Foundation value types; Data's bytes travel, never its storage pointer.
    public static let foundationValues = Scenario.make(
        "foundation-values", expected: "equal: true, bytes 100000, sum 12742320",
        { FoundationValues.sample },
        call: { value in
            "equal: \(value == FoundationValues.sample), bytes \(value.large.count), "
                + "sum \(value.large.reduce(0) { $0 + Int($1) })"
        })

    /// Closures of unspecialized generic code: bindings rebuilt in the reader.
    public static let genericClosures = Scenario.make(
        "generic-closures", expected: "1 -2 4|hello+2|box(7, seven)|14",
        { () -> GenericJobs in
            GenericJobs(checks: [makeHashCheck(42, matching: 42, bonus: 1),
                                 makeHashCheck("a long string, not a small one", matching: "x", bonus: 2),
                                 makeHashCheck([1, 2], matching: [1, 2], bonus: 4)],
                        sizer: makeSizer("hello", [1.5, 2.5]), reader: makeBoxReader(GenericBox(7, tag: "seven")),
                        accumulator: makeAccumulator(10, step: 2))
        }, call: { jobs in
            _ = jobs.accumulator.add()
            _ = jobs.accumulator.add()
            return "\(jobs.checks.map { String($0()) }.joined(separator: " "))|\(jobs.sizer())|\(jobs.reader())|"
                + "\(jobs.accumulator.read())"
        })

    /// 300 random nested values (fixed seeds): the reader's rendering of its copies must match
    /// the writer's rendering of the originals.
    public static let randomValues = Scenario.make(
        "random-values", expected: digest(of: RandomBatch(seeds: randomSeeds)),
        { RandomBatch(seeds: randomSeeds) }, call: { batch in digest(of: batch) })

    static let randomSeeds: [UInt64] = (0..<300).map { UInt64($0) &* 0x9E37_79B9_7F4A_7C15 }

    /// FNV-1a over the renderings.
    static func digest(of batch: RandomBatch) -> String {
        var describer = Describer()
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for value in batch.values {
            for byte in describer.describe(value.tree).utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3 }
        }
        return "\(batch.values.count) values, digest \(String(hash, radix: 16))"
    }

    /// A user type that travels as its replacement (PackReplaceable) and is rebuilt from it.
    public static let replacements = Scenario.make(
        "replacements", expected: "293.15 K (a label long enough to be stored natively) x2, same: true, rebuilt: true",
        { () -> [Reading] in
            let reading = Reading(millikelvin: 293_150, label: "a label long enough to be stored natively")
            return [reading, reading]
        }, call: { values in
            "\(Double(values[0].millikelvin) / 1000) K (\(values[0].label)) x\(values.count), same: \(values[0] == values[1]), "
                + "rebuilt: \(values.allSatisfy(\.wasRebuilt))"
        })

    /// This process's console, registered under a name: references to it travel as the name
    /// and resolve to the receiving process's own console.
    nonisolated(unsafe) public static let console = Person(name: "console of this process")  // never mutated

    /// Registers ``console`` as "console" in `packer`, as each process must before it packs or
    /// unpacks a reference to it.
    public static func registerConsole(in packer: Packer) -> Person {
        packer.register(console, as: "console")
        return console
    }

    public static let namedObjects = Scenario(
        name: "named-objects", expected: "resolved to this process's console: true, shared: true",
        pack: { (packer: Packer, options: PackOptions) throws(PackError) -> [UInt8] in
            let console = registerConsole(in: packer)
            return try packer.pack(Family(head: console, favourite: console), options: options)
        },
        run: { (packer: Packer, bytes: [UInt8], options: UnpackOptions) throws(PackError) -> String in
            let local = registerConsole(in: packer)
            let family = try packer.unpack(bytes, as: Family.self, options: options)
            return "resolved to this process's console: \(family.head === local), shared: \(family.favourite === family.head)"
        })

    /// Kept alive by this process only: weak references to it do not make it travel.
    nonisolated(unsafe) public static let strayAnchor = Person(name: "stray")  // never mutated

    /// Points `person.stray` at ``strayAnchor``. A function of its own, so that the LeakSanitizer
    /// suppression of the anchor's weak side table (scripts/lsan.supp) names this frame alone.
    @inline(never)
    static func pointAtStrayAnchor(_ person: Person) {
        person.stray = strayAnchor
    }

    /// Weak parent pointers find their parents' copies; a weak reference to something left
    /// behind comes back nil; unowned references point into the copy.
    public static let weakAndUnowned = Scenario.make(
        "weak-and-unowned", expected: "parents ok: true, stray: nil, unowned: same",
        { () -> Family in
            let parent = Person(name: "parent")
            let child = Person(name: "child")
            child.parent = parent
            parent.children = [child]
            pointAtStrayAnchor(child)  // alive in the writer, but not in the packet
            return Family(head: parent, favourite: child)
        }, call: { family in
            let child = family.head.children[0]
            let parentsOK = child.parent === family.head
            return "parents ok: \(parentsOK), stray: \(child.stray.map { $0.name } ?? "nil"), "
                + "unowned: \(family.favourite === child ? "same" : "different")"
        })

    /// An async closure's function word points at an AsyncFunctionPointer in static data.
    public static let asyncClosure = Scenario.make(
        "async-closure", expected: "awaited 6 from a long enough label",
        { () -> @Sendable () async -> String in
            let parts = [1, 2, 3]
            let label = "from a long enough label"
            return { "awaited \(parts.reduce(0, +)) \(label)" }
        }, call: { job in awaitBlocking(job) })
}

/// The file name of the mapping `address` lies in, from /proc/self/maps (Glibc's module does
/// not export `dladdr`).
public func imageName(containing address: UnsafeRawPointer) -> String {
    let target = UInt(bitPattern: address)
    // Read to the end: /proc files have no size, and a one-shot read may stop early.
    guard let data = FileHandle(forReadingAtPath: "/proc/self/maps")?.readDataToEndOfFile() else { return "no maps" }
    let maps = String(decoding: data, as: UTF8.self)
    for line in maps.split(separator: "\n") {
        let fields = line.split(separator: " ", omittingEmptySubsequences: true)
        let range = fields.first?.split(separator: "-").compactMap { UInt($0, radix: 16) } ?? []
        guard range.count == 2, range[0] <= target, target < range[1] else { continue }
        return fields.count >= 6 ? String(fields[5].split(separator: "/").last ?? "") : "anonymous memory"
    }
    return "no image"
}

private struct Secret {
    var code: Int
    var word: String
}

private struct Tag: Hashable {
    var name: String
}

private func makePrivateAndLocalJob() -> () -> String {
    final class LocalNode {
        let label: String
        var next: LocalNode?
        init(_ label: String) { self.label = label }
    }
    struct LocalBox<T> { var items: [T] }
    let secret = Secret(code: 7, word: "seven")
    let first = LocalNode("local a"), second = LocalNode("local b")
    first.next = second
    let hidden: [Any] = [LocalBox(items: [Secret(code: 3, word: "x"), Secret(code: 4, word: "y")])]
    return {
        let box = hidden[0] as? LocalBox<Secret>
        return "\(secret.code) \(secret.word)|\(first.label) -> \(first.next?.label ?? "nil")|"
            + "\(box.map { "\($0.items.map(\.code))" } ?? "not a LocalBox<Secret>")"
    }
}

/// Runs an async closure to completion from synchronous code (the peer's scenarios are sync).
/// The semaphore waits for the task's own signal, not for time to pass.
public func awaitBlocking(_ job: @escaping @Sendable () async -> String) -> String {
    final class Result: @unchecked Sendable { var value = "" }
    let result = Result()
    let done = DispatchSemaphore(value: 0)
    Task {
        result.value = await job()
        done.signal()
    }
    done.wait()
    return result.value
}

public final class ListNode {
    public var value: Int
    public var next: ListNode?
    public init(value: Int, next: ListNode?) { self.value = value; self.next = next }
}

/// A singly linked list whose deinit unlinks iteratively: a recursive deinit chain of a long
/// list overflows the stack.
public final class LinkedList {
    public var head: ListNode?

    public init(count: Int) {
        var head: ListNode? = nil
        for value in (0..<count).reversed() { head = ListNode(value: value, next: head) }
        self.head = head
    }

    public func sum() -> Int {
        var total = 0
        var node = head
        while let current = node { total += current.value; node = current.next }
        return total
    }

    deinit {
        var node = head
        head = nil
        while let current = node, isKnownUniquelyReferenced(&node) {
            node = current.next
            current.next = nil
        }
    }
}

public final class RingNode {
    public let id: Int
    public var next: RingNode?
    public init(id: Int) { self.id = id }
}

/// A cycle of class instances. Swift never frees a cycle by itself, so the ring owns its cycle
/// and breaks it when it goes away; the unpacked copy does the same.
public final class Ring {
    public let first: RingNode
    public let count: Int
    init(first: RingNode, count: Int) { self.first = first; self.count = count }

    deinit {
        var node: RingNode? = first
        for _ in 0..<count { let next = node?.next; node?.next = nil; node = next }
    }

    public static func make(_ count: Int) -> Ring {
        let nodes = (0..<count).map(RingNode.init)
        for (index, node) in nodes.enumerated() { node.next = nodes[(index + 1) % count] }
        return Ring(first: nodes[0], count: count)
    }

    /// Following `count` links returns to the very same object.
    public var isClosed: Bool {
        var node = first
        for _ in 0..<count { node = node.next! }
        return node === first
    }
}

public indirect enum Expression {
    case number(Int)
    case add(Expression, Expression)

    public func evaluate() -> Int {
        switch self {
        case .number(let value): value
        case .add(let left, let right): left.evaluate() + right.evaluate()
        }
    }

    public var depth: Int {
        switch self {
        case .number: 0
        case .add(let left, let right): 1 + max(left.depth, right.depth)
        }
    }
}

public struct Counter {
    public let increment: () -> Void
    public let read: () -> Int
}

public final class Account {
    public var balance: Int
    public init(balance: Int) { self.balance = balance }
}

public struct Member {
    public var name: String
    public var account: Account
    public init(name: String, account: Account) { self.name = name; self.account = account }
}

public struct Team {
    public var members: [Member]
    public var owner: Member?
    public init(members: [Member], owner: Member?) { self.members = members; self.owner = owner }
}

public enum LimitError: Error { case tooBig }

public struct FoundationValues: Equatable, Sendable {
    public var small: Data
    public var large: Data
    public var date: Date
    public var id: UUID
    public var url: URL
    public var file: URL
    public var amount: Decimal
    public var indexes: IndexSet

    public static var sample: FoundationValues { FoundationValues(
        small: Data([1, 2, 3]), large: Data((0..<100_000).map { UInt8(truncatingIfNeeded: $0 % 256) }),
        date: Date(timeIntervalSince1970: 1_800_000_000.25), id: UUID(uuidString: "E621E1F8-C36C-495A-93FC-0C247A3E6E5F")!,
        url: URL(string: "https://example.com/path?query=1#frag")!, file: URL(fileURLWithPath: "/tmp/heappack"),
        amount: Decimal(string: "1234.5678")!, indexes: IndexSet([1, 2, 3, 10, 11, 500])) }
}

public struct GenericJobs {
    public var checks: [() -> Int]
    public var sizer: () -> String
    public var reader: () -> String
    public var accumulator: (add: () -> Int, read: () -> Int)
}

/// Travels as one string and is parsed back: a user-defined replacement. A rebuilt reading is
/// marked, so a copy that skipped the replacement (a plain bit copy) shows.
public struct Reading: PackReplaceable, Equatable {
    public var millikelvin: Int
    public var label: String
    public private(set) var wasRebuilt = false
    public init(millikelvin: Int, label: String) { self.millikelvin = millikelvin; self.label = label }

    public static func == (a: Reading, b: Reading) -> Bool { a.millikelvin == b.millikelvin && a.label == b.label }

    /// Rebuilds by label: a test that picks its own label reads a count no other test moves.
    private static let rebuilds = Mutex<[String: Int]>([:])
    public static func rebuildCount(label: String) -> Int { rebuilds.withLock { $0[label] ?? 0 } }

    public func packedReplacement() -> String { "\(millikelvin)|\(label)" }
    public static func unpacked(from replacement: String) -> Reading {
        let parts = replacement.split(separator: "|", maxSplits: 1)
        var reading = Reading(millikelvin: parts.first.flatMap { Int($0) } ?? 0,
                              label: parts.count > 1 ? String(parts[1]) : "")
        reading.wasRebuilt = true
        rebuilds.withLock { $0[reading.label, default: 0] += 1 }
        return reading
    }
}

public struct RetryError: Error {
    public var seconds: Int
    public var reason: String
}

public protocol Counted { static var count: Int { get } }
public struct Three: Counted { public static var count: Int { 3 } }
public struct Four: Counted { public static var count: Int { 4 } }

public struct ErrorsAndKinds {
    public var errors: [any Error]
    public var kinds: [any Counted.Type]
}

/// Metatypes as values inside a struct: `Int.Type` is thin (no bytes), a class metatype is a
/// metadata pointer, `Any.Type` and `AnyClass` are existential metatypes.
public struct Metatypes {
    public var any: [Any.Type]
    public var thin: Int.Type
    public var thick: Account.Type
    public var classes: [AnyClass]
    public init(any: [Any.Type], thin: Int.Type, thick: Account.Type, classes: [AnyClass]) {
        self.any = any; self.thin = thin; self.thick = thick; self.classes = classes
    }
}

public final class Person {
    public let name: String
    public weak var parent: Person?
    public weak var stray: Person?
    public var children: [Person] = []
    public init(name: String) { self.name = name }
}

public final class Family {
    public let head: Person
    public unowned let favourite: Person
    public init(head: Person, favourite: Person) { self.head = head; self.favourite = favourite }
}

public struct LibraryValues {
    public var slice: ArraySlice<String>
    public var contiguous: ContiguousArray<Int>
    public var range: Range<Int>
    public var result: Result<[Int], LimitError>
    public var vector: SIMD4<Float>
    public var wide: Int128
    public var duration: Duration
    public var substring: Substring
    public var character: Character
    public var text: StaticString
    public var counter: ((Int) -> Void, () -> Int)
    public var closed: ClosedRange<Double>
    public var unsignedWide: UInt128
}

/// A class-bound protocol and a composition, for existentials that are not `Any`.
public protocol Ledger: AnyObject { func describe() -> String }
extension Account: Ledger { public func describe() -> String { "ledger:\(balance)" } }
extension Three: CustomStringConvertible { public var description: String { "three" } }

public struct Existentials {
    public var values: [Any]
    public var owner: any Ledger
    public var composed: any Counted & CustomStringConvertible
    public var object: AnyObject
}

/// 32 bytes: too large for an existential's inline buffer.
public struct LargeValue {
    public var a, b, c, d: Int
}

public struct Formula {
    public var function: @convention(c) (Double) -> Double
    public var argument: Double
}
