import HeapPack
import Synchronization
import Testing

private let lateDeinits = Mutex<[Int: Int]>([:])
private let nextLateTag = Atomic<Int>(1)

/// Packets refused only after the reader has built most of what they describe (it checks each
/// byte just before building from it): what it built must be freed, strings included, without
/// running a deinit, and the untouched packet must still unpack to a graph freed exactly once.
@Suite("Refused late")
struct LateRefusalTests {
    final class Tracked {
        let tag: Int
        var name: String
        var next: Tracked?

        init(tag: Int, name: String, next: Tracked?) {
            self.tag = tag
            self.name = name
            self.next = next
        }

        deinit { lateDeinits.withLock { $0[tag, default: 0] += 1 } }
    }

    /// Strings the reader makes inside enum payloads.
    enum Either {
        case left(String)
        case right(String)
    }

    struct Cargo {
        var items: [Either]
        var head: Tracked?
    }

    private func freshTag() -> Int { nextLateTag.wrappingAdd(1, ordering: .relaxed).oldValue }

    private func deinits(_ tag: Int) -> Int { lateDeinits.withLock { $0[tag] ?? 0 } }

    private func cargo(tag: Int, count: Int) -> Cargo {
        var head: Tracked?
        for i in 0..<count { head = Tracked(tag: tag, name: "a name too long to be a small string \(i)", next: head) }
        let items = (0..<count).map { i in
            i.isMultiple(of: 2) ? Either.left("left, long enough for native storage \(i)")
                : Either.right("right, long enough for native storage \(i)")
        }
        return Cargo(items: items, head: head)
    }

    /// `count` nodes and strings under a fresh tag, and their packet. A test keeps `original` alive
    /// to its end, so that every deinit it counts before then is a copy's.
    private func packedCargo(count: Int) throws -> (tag: Int, original: Cargo, packet: [UInt8], body: [UInt8]) {
        let tag = freshTag()
        let original = cargo(tag: tag, count: count)
        let packet = try pack(original)
        return (tag, original, packet, bodyBytes(packet))
    }

    @Test("a packet refused at its trailer or its object count frees what it built and runs no deinit")
    func refusedAfterTheWalk() throws {
        let count = 40
        let (tag, original, packet, body) = try packedCargo(count: count)
        defer { withExtendedLifetime(original) {} }
        // The body ends with the trailer: its slot count, 0.
        #expect(body.last == 0)
        var wrongTrailer = body
        wrongTrailer[wrongTrailer.count - 1] = 1
        var wrongObjectCount = packet
        wrongObjectCount[12] &+= 1
        for (name, forged) in [("trailer", resealed(withBody(packet, wrongTrailer))),
                               ("object count", resealed(wrongObjectCount))] {
            let error = packError { _ = try unpack(forged, as: Cargo.self) }
            #expect(error?.code == .malformed, "\(name): \(String(describing: error))")
        }
        #expect(deinits(tag) == 0)
        do {
            let copy = try unpack(packet, as: Cargo.self)
            #expect(copy.items.count == count)
            if case .right(let text) = copy.items[1] { #expect(text == "right, long enough for native storage 1") }
            else { Issue.record("item 1 is not .right") }
            #expect(copy.head?.name == "a name too long to be a small string \(count - 1)")
        }
        // The list's nodes are released one by one from the head.
        #expect(deinits(tag) == count)
    }

    @Test("a packet refused in the middle of its objects frees the ones before and after")
    func refusedMidway() throws {
        let (tag, original, packet, body) = try packedCargo(count: 40)
        defer { withExtendedLifetime(original) {} }
        // A name in the middle of the list: a String travels as a tag byte, its length and its
        // UTF-8. No tag is 0xFF, so the walk stops there, half the nodes built.
        let name = Array("a name too long to be a small string 20".utf8)
        let at = try #require(offset(of: name, in: body))
        #expect(Int(body[at - 1]) == name.count)
        var forged = body
        forged[at - 2] = 0xFF
        let error = packError { _ = try unpack(resealed(withBody(packet, forged)), as: Cargo.self) }
        #expect(error?.code == .malformed, "\(String(describing: error))")
        #expect(deinits(tag) == 0)
    }
}
