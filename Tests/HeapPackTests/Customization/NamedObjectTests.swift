import HeapPack
import Testing

// Named well-known objects travel as their names; the receiver uses its own object of that name.
// Two packers stand for two processes' registries here (the cross-process scenario does it for
// real).

@Suite("Named objects")
struct NamedObjectTests {
    private final class Console {
        let owner: String
        var lines: [String] = []
        init(owner: String) { self.owner = owner }
    }

    private struct Job {
        var console: Console
        var alsoConsole: Console
        var label: String
    }

    @Test func referencesResolveToTheReceiversObject() throws {
        let sender = Packer(), receiver = Packer()
        let senderConsole = Console(owner: "sender"), receiverConsole = Console(owner: "receiver")
        sender.register(senderConsole, as: "console")
        receiver.register(receiverConsole, as: "console")

        let job = Job(console: senderConsole, alsoConsole: senderConsole, label: "nightly")
        let log: (String) -> Void = { [label = job.label] line in job.console.lines.append(label + ": " + line) }
        let copy = try receiver.unpack(try sender.pack((job, log)), as: (Job, (String) -> Void).self)

        #expect(copy.0.console === receiverConsole, "the receiver's own object, not a copy")
        #expect(copy.0.alsoConsole === receiverConsole)
        copy.1("hello")
        #expect(receiverConsole.lines == ["nightly: hello"])
        #expect(senderConsole.lines.isEmpty)
    }

    @Test func namedObjectsAreNotPackedAndRetainsBalance() throws {
        let sender = Packer(), receiver = Packer()
        var big = Console(owner: String(repeating: "x", count: 1000))
        sender.register(big, as: "big")
        receiver.register(big, as: "big")
        let bytes = try sender.pack([big, big, big])
        // Only the name travels, not the object: its 1,000-byte owner string is nowhere in the packet.
        #expect(bytes.count < 1000, "\(bytes.count) bytes")
        #expect(!bytes.indices.dropLast(99).contains { start in bytes[start..<(start + 100)].allSatisfy { $0 == UInt8(ascii: "x") } })
        do {
            let copy = try receiver.unpack(bytes, as: [Console].self)
            #expect(copy.count == 3 && copy.allSatisfy { $0 === big })
        }
        sender.unregister("big")
        receiver.unregister("big")
        // Each unpacked reference took one retain and gave it back: ours is the last one.
        #expect(isKnownUniquelyReferenced(&big))
    }

    @Test func anUnregisteredNameIsATypedError() throws {
        let sender = Packer(), receiver = Packer()
        let console = Console(owner: "only here")
        sender.register(console, as: "console")
        let named = try sender.pack([console])
        let error = #expect(throws: PackError.self) { _ = try receiver.unpack(named, as: [Console].self) }
        #expect(error?.code == .unknownName)
        #expect(error?.path == "console")
        // Not registered in the sender: an ordinary object, which travels as a copy.
        let plain = try sender.pack([Console(owner: "plain")])
        #expect(try receiver.unpack(plain, as: [Console].self).first?.owner == "plain")
    }
}
