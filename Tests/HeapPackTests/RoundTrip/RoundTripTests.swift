import Testing
import HeapPack

// In-process round trips, one test per value kind. Type names carry an `RT` prefix because the
// test module is shared with files other people edit; a clash would break the whole target.
// The types are internal rather than private so that each kind's test exercises that kind only;
// private types (whose mangled names carry a file discriminator) get their own test at the end.

/// Packs and unpacks in one go; the static type is the one the value is packed as, which is what
/// the engine has to honour on the way back.
private func roundTrip<T>(_ value: T, as type: T.Type = T.self) throws -> T {
    let bytes = try pack(value)
    return try unpack(bytes, as: type)
}

// MARK: - Test types

final class RTBox {
    var value: Int
    var label: String
    init(_ value: Int, _ label: String = "") { self.value = value; self.label = label }
}

final class RTListNode {
    var value: Int
    var next: RTListNode?
    init(_ value: Int, _ next: RTListNode? = nil) { self.value = value; self.next = next }
}

class RTBase {
    var baseID: Int
    var baseName: String
    init(baseID: Int, baseName: String) { self.baseID = baseID; self.baseName = baseName }
    func describe() -> String { "base \(baseID) \(baseName)" }
}

final class RTDerived: RTBase {
    var extra: Double
    var tags: [String]
    var peer: RTBase?
    init(baseID: Int, baseName: String, extra: Double, tags: [String]) {
        self.extra = extra
        self.tags = tags
        super.init(baseID: baseID, baseName: baseName)
    }
    // Dispatch through the vtable proves the unpacked object got the subclass's metadata, not
    // just the right bytes.
    override func describe() -> String { "derived \(baseID) \(baseName) \(extra) \(tags.joined(separator: ","))" }
}

struct RTInner: Equatable {
    var small: Int8
    var flag: Bool
    var wide: Int64
    var box: RTBox
    static func == (a: RTInner, b: RTInner) -> Bool {
        a.small == b.small && a.flag == b.flag && a.wide == b.wide
            && a.box.value == b.box.value && a.box.label == b.box.label
    }
}

struct RTOuter {
    var id: UInt16
    var inner: RTInner
    var name: String
    var ratio: Double
    var shared: RTBox
    var maybe: RTInner?
}

struct RTPoint: Equatable { var x: Int32; var y: Int32; var tag: String }

enum RTColor: CaseIterable { case red, green, blue, alpha }

enum RTPayload {
    case a(String)
    case b(RTListNode)
    case c
}

enum RTMixed: Equatable {
    case int(Int)
    case pair(Int8, Double)
    case text(String)
    case nothing
    case other
}

enum RTSinglePayload {
    case some(RTBox)
    case empty
    case also
}

indirect enum RTTree {
    case leaf(Int)
    case node(RTTree, RTTree)

    var sum: Int {
        switch self {
        case .leaf(let v): v
        case .node(let l, let r): l.sum + r.sum
        }
    }
    var depth: Int {
        switch self {
        case .leaf: 1
        case .node(let l, let r): 1 + max(l.depth, r.depth)
        }
    }
    var inorder: [Int] {
        switch self {
        case .leaf(let v): [v]
        case .node(let l, let r): l.inorder + r.inorder
        }
    }
}

struct RTTestError: Error, Equatable {
    var code: Int
    var reason: String
}

struct RTClosurePair {
    var bump: () -> Int
    var read: () -> Int
}

struct RTVoidAndRead {
    var add: () -> Void
    var read: () -> Int
}

struct RTWalkAndBump {
    var walk: (Int) -> Int
    var bump: () -> Void
    var unlink: () -> Void
}

// Holders carry several values in one packet as structs (tuples are covered by roundTripTuples).
struct RTStringHolder {
    var first: String
    var second: String
    var list: [String]
}

struct RTIntArrayPair {
    var first: [Int]
    var second: [Int]
}

struct RTIdentityHolder {
    var a1: RTBox
    var a2: RTBox
    var b: RTBox
    var list: [RTBox]
}

struct RTStructWithRefs {
    var first: RTBox
    var other: RTBox
    var nested: RTInnerRef
}

struct RTInnerRef {
    var number: Int
    var box: RTBox
}

struct RTPadded {
    var flag: Bool
    var tiny: Int8
    var big: Int64
    var half: UInt16
    var real: Float
}

/// Breaks a singly linked list without recursion: letting the head go would release each node
/// from inside the previous node's deinit, a million frames deep.
private func freeIteratively(_ head: inout RTListNode?) {
    var current = head
    head = nil
    while let node = current {
        current = node.next
        node.next = nil
    }
}

// MARK: - Scalars

@Test(arguments: [0, 1, -1, 42, Int.max, Int.min])
func roundTripInt(_ value: Int) throws {
    #expect(try roundTrip(value) == value)
}

@Test(arguments: [UInt8.min, 1, 0x7F, 0x80, UInt8.max])
func roundTripUInt8(_ value: UInt8) throws {
    #expect(try roundTrip(value) == value)
}

@Test(arguments: [Int32.min, -1, 0, 1, 0x1234_5678, Int32.max])
func roundTripInt32(_ value: Int32) throws {
    #expect(try roundTrip(value) == value)
}

// Bit patterns, not ==, so that -0.0 vs 0.0 and NaN payloads are actually checked.
@Test(arguments: [0.0, -0.0, 1.5, -.pi, .infinity, -.infinity, .nan, .leastNonzeroMagnitude, .greatestFiniteMagnitude])
func roundTripDouble(_ value: Double) throws {
    #expect(try roundTrip(value).bitPattern == value.bitPattern)
}

@Test(arguments: [Float(0), -0.0, 3.25, -.pi, .infinity, .nan, .leastNonzeroMagnitude])
func roundTripFloat(_ value: Float) throws {
    #expect(try roundTrip(value).bitPattern == value.bitPattern)
}

@Test(arguments: [true, false])
func roundTripBool(_ value: Bool) throws {
    #expect(try roundTrip(value) == value)
}

// MARK: - Structs and tuples

@Test func roundTripNestedStructWithClassRefs() throws {
    let shared = RTBox(7, "shared box")
    let inner = RTInner(small: -3, flag: true, wide: Int64.min + 5, box: shared)
    let outer = RTOuter(id: 0xBEEF, inner: inner, name: "outer struct name longer than 15",
                        ratio: 2.75, shared: shared,
                        maybe: RTInner(small: 9, flag: false, wide: 99, box: RTBox(8, "own")))
    let back = try roundTrip(outer)

    #expect(back.id == 0xBEEF)
    #expect(back.inner == inner)
    #expect(back.name == "outer struct name longer than 15")
    #expect(back.ratio == 2.75)
    #expect(back.maybe?.box.value == 8)
    #expect(back.maybe?.box.label == "own")
    // One object referenced from two fields must come back as one object, and a fresh one.
    #expect(back.inner.box === back.shared)
    #expect(back.shared !== shared)
    back.shared.value = 100
    #expect(back.inner.box.value == 100)
    #expect(shared.value == 7)
}

@Test func roundTripPaddedStructAndStructWithRefs() throws {
    // Mixed sizes force padding between fields; a wrong offset shows up as garbage.
    let padded = RTPadded(flag: true, tiny: -7, big: 1 << 40, half: 0xABCD, real: 1.25)
    let q = try roundTrip(padded)
    #expect(q.flag == true)
    #expect(q.tiny == -7)
    #expect(q.big == 1 << 40)
    #expect(q.half == 0xABCD)
    #expect(q.real == 1.25)

    let box = RTBox(3, "in struct")
    let r = try roundTrip(RTStructWithRefs(first: box, other: RTBox(4), nested: RTInnerRef(number: 5, box: box)))
    #expect(r.first.value == 3)
    #expect(r.first.label == "in struct")
    #expect(r.other.value == 4)
    #expect(r.nested.number == 5)
    #expect(r.first === r.nested.box)
    #expect(r.first !== r.other)
}

// Tuple metadata stores element offsets as uint32_t on Linux; mixed sizes catch a misread.
@Test func roundTripTuples() throws {
    let plain: (Int, String, Double) = (-12, "a tuple string that is long enough", 0.5)
    let p = try roundTrip(plain)
    #expect(p.0 == -12)
    #expect(p.1 == "a tuple string that is long enough")
    #expect(p.2 == 0.5)

    // Mixed sizes force padding between elements; a wrong offset shows up as garbage.
    let padded: (Bool, Int8, Int64, UInt16, Float) = (true, -7, 1 << 40, 0xABCD, 1.25)
    let q = try roundTrip(padded)
    #expect(q.0 == true)
    #expect(q.1 == -7)
    #expect(q.2 == 1 << 40)
    #expect(q.3 == 0xABCD)
    #expect(q.4 == 1.25)

    let box = RTBox(3, "in tuple")
    let withRefs: (RTBox, RTBox, (Int, RTBox)) = (box, RTBox(4), (5, box))
    let r = try roundTrip(withRefs)
    #expect(r.0.value == 3)
    #expect(r.0.label == "in tuple")
    #expect(r.1.value == 4)
    #expect(r.2.0 == 5)
    #expect(r.0 === r.2.1)
    #expect(r.0 !== r.1)
}

// MARK: - Enums

@Test(arguments: RTColor.allCases)
func roundTripEnumWithoutPayload(_ value: RTColor) throws {
    #expect(try roundTrip(value) == value)
}

@Test(arguments: [RTMixed.int(-99), .pair(-1, 6.5), .text("small"),
                  .text("a multi-payload enum string beyond fifteen bytes"), .nothing, .other])
func roundTripMultiPayloadEnum(_ value: RTMixed) throws {
    #expect(try roundTrip(value) == value)
}

@Test func roundTripEnumWithStringAndClassPayloads() throws {
    let cases: [RTPayload] = [.a("tiny"), .a("a long payload string that is heap allocated \(Int.random(in: 0...9))"),
                              .b(RTListNode(5, RTListNode(6))), .c]
    for original in cases {
        let back = try roundTrip(original)
        switch (original, back) {
        case (.a(let x), .a(let y)):
            #expect(x == y)
        case (.b(let x), .b(let y)):
            #expect(y !== x)
            #expect(y.value == 5)
            #expect(y.next?.value == 6)
            #expect(y.next?.next == nil)
        case (.c, .c):
            break
        default:
            Issue.record("case changed across the round trip: \(original) became \(back)")
        }
    }
}

@Test func roundTripSinglePayloadEnumWithClass() throws {
    guard case .some(let box) = try roundTrip(RTSinglePayload.some(RTBox(11, "payload"))) else {
        Issue.record("payload case lost")
        return
    }
    #expect(box.value == 11)
    #expect(box.label == "payload")

    // The empty cases live in the class pointer's spare bits / extra inhabitants.
    guard case .empty = try roundTrip(RTSinglePayload.empty) else {
        Issue.record(".empty lost")
        return
    }
    guard case .also = try roundTrip(RTSinglePayload.also) else {
        Issue.record(".also lost")
        return
    }
}

@Test func roundTripEnumArrayKeepsSharedPayloadIdentity() throws {
    let node = RTListNode(1)
    let values: [RTPayload] = [.b(node), .c, .b(node), .a("between")]
    let back = try roundTrip(values)
    #expect(back.count == 4)
    guard case .b(let first) = back[0], case .b(let third) = back[2] else {
        Issue.record("payload cases lost: \(back)")
        return
    }
    #expect(first === third)
    guard case .a(let s) = back[3] else {
        Issue.record("string case lost")
        return
    }
    #expect(s == "between")
}

@Test func roundTripIndirectEnumTree() throws {
    // A tree big enough that evaluating it after unpack touches every boxed payload.
    func build(_ low: Int, _ high: Int) -> RTTree {
        if low == high { return .leaf(low) }
        let mid = (low + high) / 2
        return .node(build(low, mid), build(mid + 1, high))
    }
    let tree = build(1, 1000)
    let back = try roundTrip(tree)
    #expect(back.sum == 500_500)
    #expect(back.depth == tree.depth)
    #expect(back.inorder == Array(1...1000))

    let lopsided: RTTree = .node(.leaf(-1), .node(.node(.leaf(2), .leaf(3)), .leaf(4)))
    let l = try roundTrip(lopsided)
    #expect(l.inorder == [-1, 2, 3, 4])
    #expect(l.sum == 8)
}

// MARK: - Optionals

@Test func roundTripOptionals() throws {
    #expect(try roundTrip(Int?.none) == nil)
    #expect(try roundTrip(Int?.some(-5)) == -5)

    #expect(try roundTrip(RTBox?.none) == nil)
    let box = try roundTrip(RTBox?.some(RTBox(21, "opt")))
    #expect(box?.value == 21)
    #expect(box?.label == "opt")

    #expect(try roundTrip(String?.none) == nil)
    #expect(try roundTrip(String?.some("")) == "")
    #expect(try roundTrip(String?.some("short")) == "short")
    #expect(try roundTrip(String?.some("an optional string that spills to the heap")) == "an optional string that spills to the heap")

    #expect(try roundTrip(Bool??.some(nil)) == .some(nil))
    #expect(try roundTrip(Bool??.none) == .none)
}

@Test func roundTripOptionalClosure() throws {
    let none = try roundTrip((() -> Int)?.none)
    #expect(none == nil)

    let base = 40
    let some: (() -> Int)? = { base + 2 }
    let back = try roundTrip(some)
    let f = try #require(back)
    #expect(f() == 42)
}

// MARK: - Strings

@Test(arguments: [
    "",
    "a",
    "exactly15bytes!",          // the largest small (inline) string
    "sixteen bytes!!!",         // the smallest large string
    "a large string literal that lives in the binary's read-only data",
    "héllo",                    // non-ASCII, still small
    "emoji 👩‍👩‍👧‍👦 and 日本語 and ünïcödé, all stored out of line",
    "🦆",
])
func roundTripStringLiterals(_ value: String) throws {
    let back = try roundTrip(value)
    #expect(back == value)
    #expect(back.utf8.count == value.utf8.count)
    #expect(Array(back.unicodeScalars) == Array(value.unicodeScalars))
}

@Test func roundTripRuntimeStrings() throws {
    let n = Int.random(in: 100...200)
    let native = String(repeating: "xyz", count: n) + "\(n)"
    let back = try roundTrip(native)
    #expect(back == native)

    // Appending may grow in place: that relies on the unpacked storage's capacity and refcount
    // being right.
    var grown = back
    grown.append(" and some more text")
    #expect(grown == native + " and some more text")
    #expect(back == native)

    let emoji = String(repeating: "🎉", count: n)
    let e = try roundTrip(emoji)
    #expect(e == emoji)
    #expect(e.count == n)

    let source = "prefix that will be dropped / the substring part that is long enough"
    let sub = source.split(separator: "/")[1]
    let fromSub = String(sub)
    #expect(try roundTrip(fromSub) == " the substring part that is long enough")

    let smallFromSub = String(source.prefix(6))
    #expect(try roundTrip(smallFromSub) == "prefix")

    let substring = try roundTrip(sub)
    #expect(substring == " the substring part that is long enough")
}

@Test func roundTripStringSharedBetweenFields() throws {
    let s = String(repeating: "shared ", count: 20)
    let back = try roundTrip(RTStringHolder(first: s, second: s, list: [s, s]))
    #expect(back.first == s)
    #expect(back.second == s)
    #expect(back.list == [s, s])
    // Shared storage must be counted as shared: mutating one copy must not show through another.
    var m = back.first
    m.append("!")
    #expect(m == s + "!")
    #expect(back.second == s)
    #expect(back.list[0] == s)
}

// MARK: - Arrays

@Test func roundTripArrays() throws {
    let ints = Array(0..<1000).map { $0 * 3 - 7 }
    #expect(try roundTrip(ints) == ints)

    let strings = ["", "short", "a string long enough to be heap allocated", "🙂🙂🙂", String(repeating: "q", count: 300)]
    #expect(try roundTrip(strings) == strings)

    let points = [RTPoint(x: 1, y: -1, tag: "one"), RTPoint(x: .max, y: .min, tag: "a long tag for the second point")]
    #expect(try roundTrip(points) == points)

    #expect(try roundTrip([Int]()) == [])
    #expect(try roundTrip([String]()) == [])
    #expect(try roundTrip([RTBox]()).isEmpty)

    let nested: [[Int]] = [[], [1], [2, 3], Array(repeating: 9, count: 50)]
    #expect(try roundTrip(nested) == nested)
    let nestedStrings: [[String]] = [["a", "b"], [], ["a string long enough to be heap allocated"]]
    #expect(try roundTrip(nestedStrings) == nestedStrings)

    let bytes: [UInt8] = (0...255).map { UInt8($0) }
    #expect(try roundTrip(bytes) == bytes)
}

@Test func roundTripArrayOfClassInstances() throws {
    let a = RTBox(1, "a"), b = RTBox(2, "b")
    let array = [a, b, a, RTBox(3, "c")]
    let back = try roundTrip(array)
    #expect(back.map(\.value) == [1, 2, 1, 3])
    #expect(back.map(\.label) == ["a", "b", "a", "c"])
    #expect(back[0] === back[2])
    #expect(back[0] !== back[1])
    #expect(back[0] !== a)
}

@Test func roundTripArrayWithSpareCapacityAndSharedBuffer() throws {
    var ints = [Int]()
    ints.reserveCapacity(500)
    ints.append(contentsOf: [5, 6, 7])
    let back = try roundTrip(RTIntArrayPair(first: ints, second: ints))
    #expect(back.first == [5, 6, 7])
    #expect(back.second == [5, 6, 7])

    // Two values that shared a buffer share it again; copy-on-write must still kick in, which
    // needs the buffer's refcount to reflect both owners.
    var first = back.first
    first.append(8)
    first[0] = -1
    #expect(first == [-1, 6, 7, 8])
    #expect(back.first == [5, 6, 7])
    #expect(back.second == [5, 6, 7])

    var grown = try roundTrip(ints)
    for i in 0..<1000 { grown.append(i) }
    #expect(grown.count == 1003)
    #expect(grown.prefix(3) == [5, 6, 7])
    #expect(grown.last == 999)
}

// MARK: - Closures

@Test func roundTripThickClosure() throws {
    let a = 19, b = "captured string that is not small", c = [1, 2, 3]
    let f: () -> String = { "\(a) \(b) \(c.count)" }
    let g = try roundTrip(f)
    #expect(g() == "19 captured string that is not small 3")

    let scale = 3
    let withArgs: (Int, String) -> String = { n, s in String(repeating: s, count: n * scale) }
    let h = try roundTrip(withArgs)
    #expect(h(2, "ab") == "abababababab")
}

@Test func roundTripSendableClosure() throws {
    let base = 1000
    let label = "sendable closure capture beyond small"
    let f: @Sendable (Int) -> String = { "\(label):\(base + $0)" }
    let g = try roundTrip(f)
    #expect(g(5) == "sendable closure capture beyond small:1005")
}

@Test func roundTripThrowingClosure() throws {
    let failing = RTBox(1, "fail")
    let passing = RTBox(0, "pass")
    let make: (RTBox) -> () throws -> Int = { control in
        { () throws -> Int in
            if control.value != 0 { throw RTTestError(code: control.value, reason: control.label) }
            return 77
        }
    }

    let ok = try roundTrip(make(passing))
    #expect(try ok() == 77)

    let bad = try roundTrip(make(failing))
    #expect(throws: RTTestError(code: 1, reason: "fail")) { try bad() }

    // A literal throwing closure with nothing to capture, both outcomes decided by its argument.
    let thin: (Bool) throws -> Int = { shouldThrow in
        if shouldThrow { throw RTTestError(code: 2, reason: "thin") }
        return 3
    }
    let t = try roundTrip(thin)
    #expect(try t(false) == 3)
    #expect(throws: RTTestError(code: 2, reason: "thin")) { try t(true) }
}

@Test func roundTripClosuresSharingCapturedVar() throws {
    var counter = 10
    let pair = RTClosurePair(bump: { counter += 1; return counter }, read: { counter })
    let back = try roundTrip(pair)

    #expect(back.bump() == 11)
    #expect(back.bump() == 12)
    // The two closures shared one box before packing; they must share one box after.
    #expect(back.read() == 12)
    // The unpacked box is a copy: the original variable is untouched.
    #expect(counter == 10)
    #expect(pair.read() == 10)

    var total = 0
    let t = try roundTrip(RTVoidAndRead(add: { total += 5 }, read: { total }))
    t.add()
    t.add()
    #expect(t.read() == 10)
    #expect(total == 0)
}

@Test func roundTripClosuresInsideClosures() throws {
    let x = 6
    let inner: () -> Int = { x * 7 }
    let outer: () -> Int = { inner() + 1 }
    #expect(try roundTrip(outer)() == 43)

    let prefix = "made by a factory closure, long string"
    let factory: (Int) -> () -> String = { n in { "\(prefix) #\(n)" } }
    let f = try roundTrip(factory)
    #expect(f(3)() == "made by a factory closure, long string #3")

    var hits = 0
    let record: () -> Void = { hits += 1 }
    let twice: () -> Int = { record(); record(); return hits }
    let t = try roundTrip(twice)
    #expect(t() == 2)
    #expect(t() == 4)
    #expect(hits == 0)
}

@Test func roundTripArrayOfClosures() throws {
    var closures: [() -> Int] = []
    for i in 0..<20 {
        let label = String(repeating: "L", count: i)
        closures.append { i * 10 + label.count }
    }
    let box = RTBox(5)
    closures.append { box.value }
    closures.append { 123 }

    let back = try roundTrip(closures)
    #expect(back.count == 22)
    #expect(back.map { $0() } == (0..<20).map { $0 * 11 } + [5, 123])
}

@Test func roundTripClosureCapturingCyclicGraph() throws {
    let a = RTListNode(1), b = RTListNode(2), c = RTListNode(3)
    a.next = b; b.next = c; c.next = a
    defer { c.next = nil }
    let walk: (Int) -> Int = { steps in
        var node = a
        var sum = 0
        for _ in 0..<steps { sum += node.value; node = node.next! }
        return sum
    }
    let bump: () -> Void = { a.value += 100 }
    // Swift never frees a cycle by itself: the copy's ring is broken through this closure, so
    // the leak checker sees only what the engine leaks.
    let unlink: () -> Void = { c.next = nil }
    let back = try roundTrip(RTWalkAndBump(walk: walk, bump: bump, unlink: unlink))
    defer { back.unlink() }
    #expect(back.walk(3) == 6)
    #expect(back.walk(7) == 13)
    back.bump()
    // Both closures captured the same `a`; the bump must be seen by the walk.
    #expect(back.walk(3) == 106)
    #expect(a.value == 1)
}

// MARK: - Class graphs

@Test func roundTripIdentityIsPreserved() throws {
    let a = RTBox(1, "a"), b = RTBox(2, "b")
    let back = try roundTrip(RTIdentityHolder(a1: a, a2: a, b: b, list: [a, b]))
    #expect(back.a1 === back.a2)
    #expect(back.a1 !== back.b)
    #expect(back.list[0] === back.a1)
    #expect(back.list[1] === back.b)
    #expect(back.a1 !== a)
    back.a2.value = 50
    #expect(back.a1.value == 50)
    #expect(a.value == 1)
}

@Test func roundTripRingOfThree() throws {
    let a = RTListNode(1), b = RTListNode(2), c = RTListNode(3)
    a.next = b; b.next = c; c.next = a
    defer { c.next = nil }

    let back = try roundTrip(a)
    let b2 = try #require(back.next)
    let c2 = try #require(b2.next)
    #expect(back.value == 1)
    #expect(b2.value == 2)
    #expect(c2.value == 3)
    #expect(c2.next === back)
    #expect(back !== a && b2 !== b && c2 !== c)
    c2.next = nil
}

@Test func roundTripSuperclassAndSubclassFields() throws {
    let d = RTDerived(baseID: 4, baseName: "base name long enough for heap", extra: 0.125, tags: ["x", "y"])
    d.peer = RTBase(baseID: 5, baseName: "peer")
    let back = try roundTrip(d)
    #expect(back.baseID == 4)
    #expect(back.baseName == "base name long enough for heap")
    #expect(back.extra == 0.125)
    #expect(back.tags == ["x", "y"])
    #expect(back.peer?.baseID == 5)
    #expect(back.describe() == "derived 4 base name long enough for heap 0.125 x,y")

    // Packed under the superclass type, the dynamic subclass must survive.
    let asBase: RTBase = d
    let b = try roundTrip(asBase)
    let derived = try #require(b as? RTDerived)
    #expect(derived.extra == 0.125)
    #expect(b.describe() == "derived 4 base name long enough for heap 0.125 x,y")

    // A subclass instance pointing at itself through a superclass-typed field.
    d.peer = d
    defer { d.peer = nil }
    let selfRef = try roundTrip(d)
    #expect(selfRef.peer === selfRef)
    selfRef.peer = nil
}

@Test func roundTripMillionNodeList() throws {
    let count = 1_000_000
    var head: RTListNode? = nil
    for i in stride(from: count, through: 1, by: -1) {
        head = RTListNode(i, head)
    }
    defer { freeIteratively(&head) }

    let bytes = try pack(head!)
    var back: RTListNode? = try unpack(bytes, as: RTListNode.self)
    defer { freeIteratively(&back) }

    var sum = 0
    var length = 0
    var node = back
    while let n = node {
        sum += n.value
        length += 1
        node = n.next
    }
    #expect(length == count)
    #expect(sum == count * (count + 1) / 2)
    #expect(back !== head)
}


// MARK: - Private types

// Private declarations mangle with a per-file discriminator, so naming them for the receiver is
// a separate path from the internal types above.
private final class RTPrivateBox {
    var value: Int
    init(_ value: Int) { self.value = value }
}

private struct RTPrivatePoint: Equatable { var x: Int; var tag: String }

private enum RTPrivateChoice: Equatable { case number(Int), word(String), none }

private struct RTPrivateHolder { var one: RTPrivateBox; var two: RTPrivateBox }

@Test func roundTripPrivateClass() throws {
    let box = RTPrivateBox(31)
    let back = try roundTrip(RTPrivateHolder(one: box, two: box))
    #expect(back.one.value == 31)
    #expect(back.one === back.two)
}

@Test func roundTripArrayOfPrivateStruct() throws {
    let points = [RTPrivatePoint(x: 1, tag: "one"), RTPrivatePoint(x: 2, tag: "a tag long enough to be allocated")]
    #expect(try roundTrip(points) == points)
}

@Test func roundTripArrayOfPrivateEnum() throws {
    let choices: [RTPrivateChoice] = [.number(4), .word("word"), .none]
    #expect(try roundTrip(choices) == choices)
}
