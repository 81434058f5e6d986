import HeapPack
import Testing

/// Real packets of this binary with a few body bytes changed and the checksum recomputed, as
/// an attacker without a key would: each one used to be accepted (or to crash the reader) and
/// must now be refused with a typed error, while the unchanged packet still round-trips.
@Suite("Forged bodies")
struct BodyForgeryTests {
    final class Node { var value = 1 }
    final class Other { var text = "x" }
    final class Base {}
    final class Unrelated {}

    /// Unpacks `forged` (resealed, default options) and returns the error.
    func refusal<T>(_ forged: [UInt8], as type: T.Type) -> PackError? {
        packError { _ = try unpack(resealed(forged), as: type) }
    }

    /// `packet` with its body replaced by `body` (header length and checksum fixed).
    func forging(_ packet: [UInt8], _ body: [UInt8]) -> [UInt8] { resealed(withBody(packet, body)) }

    struct Words { var set: Set<String> }

    @Test("a small string's discriminator, padding and ASCII bit must be the runtime's own")
    func smallStringFlags() throws {
        let packet = try pack(Words(set: ["abc"]))
        let body = bodyBytes(packet)
        // The Set travels as [String]: storage of one element, an inline string "abc" whose top
        // byte is 0xE3: immortal, ASCII, small, count 3.
        let top = try #require(offset(of: [97, 98, 99], in: body)) + 15
        #expect(body[top] == 0xE3)
        #expect(try unpack(resealed(packet), as: Words.self).set == ["abc"])
        var forgeries: [(String, [UInt8])] = []
        for (name, byte) in [("foreign", 0xF3), ("not immortal", 0x63), ("large", 0x83), ("ASCII bit clear", 0xA3),
                             ("count past the bytes", 0xE2)] as [(String, UInt8)] {
            var forged = body
            forged[top] = byte
            forgeries.append((name, forged))
        }
        var nonZeroTail = body
        nonZeroTail[top - 2] = 1
        forgeries.append(("a byte after the count", nonZeroTail))
        // The reader checks the padding a word at a time: one byte past the count in each word.
        var nonZeroFirstWord = body
        nonZeroFirstWord[top - 15 + 5] = 0x20
        forgeries.append(("a byte after the count, in the first word", nonZeroFirstWord))
        var nonZeroEighth = body
        nonZeroEighth[top - 15 + 8] = 0x20
        forgeries.append(("a byte after the count, first of the second word", nonZeroEighth))
        var invalidUTF8 = body
        invalidUTF8[top - 15] = 0xC0  // an overlong lead byte, with the ASCII bit cleared to match
        invalidUTF8[top] = 0xA3
        forgeries.append(("invalid UTF-8", invalidUTF8))
        for (name, forged) in forgeries {
            let error = refusal(withBody(packet, forged), as: Words.self)
            #expect(error?.code == .malformed, "\(name)")
            #expect(error?.message.contains("small String") == true, "\(name): \(String(describing: error))")
        }
    }

    struct Mixed { var ints: [Int]; var doubles: [Double] }

    @Test("array storage of another element type is not taken for [T]'s")
    func foreignElementStorage() throws {
        let packet = try pack(Mixed(ints: [1, 2], doubles: [3, 4]))
        var body = bodyBytes(packet)
        // Root: new storage of type 0 (two Ints), new storage of type 1 (two Doubles).
        #expect(Array(body.prefix(6)) == [1, 0, 2, 1, 1, 2])
        body[4] = 0
        let error = refusal(withBody(packet, body), as: Mixed.self)
        #expect(error?.code == .malformed)
        #expect(error?.message.contains("does not fit the slot") == true, "\(String(describing: error))")
    }

    struct Classes { var nodes: [Node]; var others: [Other] }

    @Test("class elements in _ContiguousArrayStorage<AnyObject> are checked against the array's element class")
    func classElementsOfAnotherClass() throws {
        let packet = try pack(Classes(nodes: [Node()], others: [Other()]))
        let body = bodyBytes(packet)
        // Both arrays use type 0 (_ContiguousArrayStorage<AnyObject>); their elements are a new
        // Node (type 1) and a new Other (type 2), whose bodies follow: 8 bytes, then a string.
        #expect(Array(body.prefix(10)) == [1, 0, 1, 1, 0, 1, 1, 1, 1, 2])
        let nodeBody = Array(body[10..<18])
        let otherBody = Array(body[18..<(body.count - 1)])
        // The Node array now holds the Other and the Other array the Node.
        let forged = Array(body.prefix(6)) + [1, 2, 1, 1] + otherBody + nodeBody + [0]
        let error = refusal(withBody(packet, forged), as: Classes.self)
        #expect(error?.code == .malformed)
        #expect(error?.message.contains("does not fit the slot") == true, "\(String(describing: error))")
    }

    struct Singleton { var empty: [Int]; var node: Node? }

    @Test("the empty-array singleton is refused where a class instance belongs")
    func singletonInAClassSlot() throws {
        let packet = try pack(Singleton(empty: [], node: nil))
        let body = bodyBytes(packet)
        // The empty array is a runtime singleton (2, then its static pointer); the node is null.
        #expect(body.first == 2 && Array(body.suffix(2)) == [0, 0])
        let singleton = Array(body.dropLast(2))
        // The node's slot names the singleton: a write to `node.value` would have changed the
        // count of every empty array in the process.
        let error = refusal(withBody(packet, singleton + singleton + [0]), as: Singleton.self)
        #expect(error?.code == .malformed)
        #expect(error?.message.contains("runtime singleton") == true, "\(String(describing: error))")
        #expect([Int]().count == 0)
    }

    final class Pair {
        var a: Node
        var b: Node
        init(_ node: Node) { (a, b) = (node, node) }
    }

    @Test("a non-Optional reference may not be null")
    func nullReference() throws {
        let packet = try pack(Pair(Node()))
        var body = bodyBytes(packet)
        // The pair (new, type 0); its `a` (new Node, type 1) and `b` (back-reference 4 + 1).
        #expect(Array(body.prefix(5)) == [1, 0, 1, 1, 5])
        body[4] = 0
        let error = refusal(withBody(packet, body), as: Pair.self)
        #expect(error?.code == .malformed)
        #expect(error?.message.contains("not Optional") == true, "\(String(describing: error))")
    }

    @Test("an object's reference fields take only their own class, on the reader's short path too")
    func plainReferenceOfAnotherClass() throws {
        // A Pair's body is two references and nothing else: the reader's short path for plain
        // objects reads it, and must refuse what the general path refuses.
        let packet = try pack(Pair(Node()))
        var body = bodyBytes(packet)
        #expect(Array(body.prefix(5)) == [1, 0, 1, 1, 5])
        body[3] = 0  // `a` is a new Pair
        let pairForNode = refusal(withBody(packet, body), as: Pair.self)
        #expect(pairForNode?.code == .malformed)
        #expect(pairForNode?.message.contains("does not fit the slot") == true, "\(String(describing: pairForNode))")
        body[3] = 0x7F  // a type number past the packet's table
        let pastTheTable = refusal(withBody(packet, body), as: Pair.self)
        #expect(pastTheTable?.code == .malformed)
        #expect(pastTheTable?.message.contains("does not fit the slot") == false, "\(String(describing: pastTheTable))")
    }

    final class Trio {
        var a: Node
        var b: Node
        var c: Node
        init(_ node: Node) { (a, b, c) = (node, node, node) }
    }

    @Test("an object met again fits its slot, on the reader's short path too")
    func plainBackReferenceOfAnotherClass() throws {
        let packet = try pack(Trio(Node()))
        var body = bodyBytes(packet)
        // The trio (new, type 0); `a` a new Node (type 1); `b` and `c` back-references to it
        // (4 + 1). The first takes the general path, which starts the retain counts; the
        // second, the short one.
        #expect(Array(body.prefix(6)) == [1, 0, 1, 1, 5, 5])
        let trio = try unpack(resealed(packet), as: Trio.self)
        #expect(trio.a === trio.b && trio.b === trio.c)
        body[5] = 4  // `c` names the trio
        let trioForNode = refusal(withBody(packet, body), as: Trio.self)
        #expect(trioForNode?.code == .malformed)
        #expect(trioForNode?.message.contains("does not fit the slot") == true, "\(String(describing: trioForNode))")
        body[5] = 0x7F  // an object not made yet
        let ahead = refusal(withBody(packet, body), as: Trio.self)
        #expect(ahead?.code == .malformed)
        #expect(ahead?.message.contains("does not fit the slot") == false, "\(String(describing: ahead))")
    }

    struct Function { var f: () -> Int }

    @Test("a function value may not be null")
    func nullFunction() throws {
        let packet = try pack(Function(f: { 42 }))
        let body = bodyBytes(packet)
        // The code pointer (image 0 + 1, offset), then the null context, then the trailer.
        #expect(body.first == 1 && Array(body.suffix(2)) == [0, 0])
        let error = refusal(withBody(packet, [0, 0, 0]), as: Function.self)
        #expect(error?.code == .malformed)
        #expect(error?.message.contains("not Optional") == true, "\(String(describing: error))")
    }

    final class Holder {
        var node = Node()
        var other = Other()
        unowned var owner: Node
        init() { owner = node }
    }

    @Test("an unowned target must be of the slot's class")
    func unownedTargetOfAnotherClass() throws {
        let holder = Holder()
        let packet = try pack(holder)
        var body = bodyBytes(packet)
        // The trailer: one slot, naming object 1 (the Node) as 1 + 1; the Other is object 2.
        #expect(Array(body.suffix(2)) == [1, 2])
        body[body.count - 1] = 3
        let error = refusal(withBody(packet, body), as: Holder.self)
        #expect(error?.code == .malformed)
        #expect(error?.message.contains("class its slot cannot hold") == true, "\(String(describing: error))")
    }

    final class Registry {
        var map: [String: Node]
        unowned var first: Node
        init() {
            let node = Node()
            map = ["a": node, "b": Node()]
            first = node
        }
    }

    @Test("an unowned target that only a dictionary holds is refused: duplicate keys would free it")
    func unownedTargetInADictionary() throws {
        let packet = try pack(Registry())
        var body = bodyBytes(packet)
        // The keys "a" and "b" travel as small strings; the unowned slot names the value of "a".
        let b = try #require(offset(of: [0, 98, 0], in: body))
        body[b + 1] = 97
        // Both keys are now "a": the rebuild keeps the later value and frees the first, which
        // the unowned slot would still name.
        let error = refusal(withBody(packet, body), as: Registry.self)
        #expect(error?.code == .malformed)
        #expect(error?.message.contains("which their rebuild may drop") == true, "\(String(describing: error))")
    }

    struct Meta { var base: Base.Type; var any: Any.Type }

    @Test("a class metatype holds that class or a subclass")
    func metatypeOutsideItsBound() throws {
        let packet = try pack(Meta(base: Base.self, any: Unrelated.self))
        // Type indices + 1: Base, Unrelated; then the trailer.
        #expect(bodyBytes(packet) == [1, 2, 0])
        #expect(try unpack(resealed(withBody(packet, [1, 1, 0])), as: Meta.self).any == Base.self)
        let error = refusal(withBody(packet, [2, 1, 0]), as: Meta.self)
        #expect(error?.code == .malformed)
        #expect(error?.message.contains("metatype") == true, "\(String(describing: error))")
    }

    struct Slice { var slice: ArraySlice<Int> }

    @Test("an ArraySlice's bounds lie within its storage")
    func sliceBounds() throws {
        let packet = try pack(Slice(slice: [1, 2, 3, 4][1..<3]))
        let body = bodyBytes(packet)
        // Owner: new storage of 4 Ints; base address: offset 32 + 1; startIndex 1, endIndex 3
        // (stored as 3 << 1 | 1, the native flag).
        #expect(Array(body.prefix(5)) == [1, 0, 4, 33, 1])
        #expect(body[12] == 7)
        func with(start: UInt64, endAndFlags: UInt64, base: UInt8 = 33) -> [UInt8] {
            var forged = body
            forged[3] = base
            for i in 0..<8 {
                forged[4 + i] = UInt8(truncatingIfNeeded: start >> (8 * UInt64(i)))
                forged[12 + i] = UInt8(truncatingIfNeeded: endAndFlags >> (8 * UInt64(i)))
            }
            return forged
        }
        #expect(try unpack(resealed(withBody(packet, with(start: 0, endAndFlags: 9))), as: Slice.self).slice == [1, 2, 3, 4])
        // An empty slice may sit right after the last element.
        #expect(try unpack(resealed(withBody(packet, with(start: 0, endAndFlags: 1, base: 65))), as: Slice.self).slice.isEmpty)
        for (name, forged) in [("end past the storage", with(start: 1, endAndFlags: 11)),
                               ("start after end", with(start: 3, endAndFlags: 5)),
                               ("negative start", with(start: UInt64.max, endAndFlags: 5)),
                               ("not native", with(start: 1, endAndFlags: 6)),
                               ("base between elements", with(start: 1, endAndFlags: 7, base: 34)),
                               ("base past the elements", with(start: 0, endAndFlags: 1, base: 73)),
                               ("elements past the storage", with(start: 1, endAndFlags: 5, base: 57))] {
            let error = refusal(withBody(packet, forged), as: Slice.self)
            #expect(error?.code == .malformed, "\(name)")
            #expect(error?.message.contains("ArraySlice") == true, "\(name): \(String(describing: error))")
        }
    }

    struct Static { var text: StaticString }

    @Test("a StaticString's count and flags describe its bytes")
    func staticStringCountAndFlags() throws {
        let packet = try pack(Static(text: "hello"))
        let body = bodyBytes(packet)
        // The pointer (image 0 + 1, offset), the count 5 (8 bytes), the flags 2 (ASCII), the trailer.
        let count = body.count - 10
        #expect(body[count] == 5 && body[body.count - 2] == 2)
        #expect(try unpack(resealed(packet), as: Static.self).text.description == "hello")
        var huge = body
        huge[count + 5] = 0x10  // 2^40 bytes: past the end of every segment
        var notASCII = body
        notASCII[body.count - 2] = 0
        var scalarFlag = body
        scalarFlag[body.count - 2] = 3
        for (name, forged) in [("count", huge), ("ASCII flag", notASCII), ("scalar flag", scalarFlag)] {
            #expect(refusal(withBody(packet, forged), as: Static.self)?.code == .malformed, "\(name)")
        }
    }
}
