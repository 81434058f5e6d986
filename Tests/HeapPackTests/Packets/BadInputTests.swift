import Dispatch
import Foundation
import HeapPack
import HeapPackTestSupport
import Testing

@Suite("Bad input")
struct BadInputTests {
    @Test("every truncation of a real packet is a PackError", arguments: Scenarios.all.map(\.name))
    func everyTruncation(_ name: String) throws {
        let scenario = try #require(Scenarios.named(name))
        let packet = try scenario.pack()
        // Every cut of packets up to 5,000 bytes; about 5,000 evenly spread cuts of larger ones.
        let step = max(1, packet.count / 5000)
        for count in stride(from: 0, to: packet.count, by: step) {
            let error = packError { _ = try scenario.run(Array(packet.prefix(count))) }
            #expect(error?.code == .malformed, "cut at \(count) of \(packet.count)")
        }
    }

    @Test("a cut body with a consistent header is caught by the decoder", arguments: Scenarios.all.map(\.name))
    func truncatedBody(_ name: String) throws {
        let scenario = try #require(Scenarios.named(name))
        let packet = try scenario.pack()
        let start = headerLength(packet)
        let step = max(1, (packet.count - start) / 5000)
        for count in stride(from: start, to: packet.count, by: step) {
            let cut = cutBody(packet, keeping: count)
            let error = packError {
                _ = try scenario.run(cut, options: UnpackOptions(verifyChecksum: false))
            }
            #expect(error?.code == .malformed, "body cut at \(count) of \(packet.count)")
            #expect(error?.byteOffset != nil)
        }
    }

    @Test("a cut body's error says what the reader was reading")
    func cutBodySite() throws {
        let packet = try Scenarios.structGraph.pack()
        let error = packError {
            _ = try unpack(cutBody(packet, keeping: packet.count - 3), as: Team.self,
                           options: UnpackOptions(verifyChecksum: false))
        }
        #expect(error?.code == .malformed)
        #expect(error?.message.contains("(reading ") == true, "\(String(describing: error))")
    }

    @Test("unpacking as another type is a typeMismatch")
    func wrongType() throws {
        let packet = try pack([1, 2, 3])
        let error = packError { _ = try unpack(packet, as: [String].self) }
        #expect(error?.code == .typeMismatch)
        #expect(error?.message.contains("Array<Swift.Int>") == true, "\(String(describing: error))")
    }

    @Test("not a packet at all")
    func garbage() {
        #expect(packError { _ = try unpack([], as: Int.self) }?.code == .malformed)
        #expect(packError { _ = try unpack(Array("definitely not a HeapPack packet".utf8), as: Int.self) }?.code == .malformed)
    }

    @Test("a forged element count cannot make the reader allocate beyond the packet")
    func forgedCounts() throws {
        let unchecked = UnpackOptions(verifyChecksum: false)
        let packet = try pack([7, 8])
        // Body: new object (1), type 0, count 2, then 16 bytes of Ints.
        let body = Array(packet[headerLength(packet)...])
        #expect(Array(body.prefix(3)) == [1, 0, 2])
        // The body ends with the trailer: the count of weak and unowned slots, here 0.
        #expect(body.last == 0)
        let huge = withBody(packet, [1, 0] + varint(1 << 40) + Array(body.dropFirst(3)))
        #expect(packError { _ = try unpack(huge, as: [Int].self, options: unchecked) }?.code == .malformed)

        struct Empty {}
        let empties = try pack([Empty(), Empty()])
        let emptyBody = Array(empties[headerLength(empties)...])
        #expect(emptyBody == [1, 0, 2, 0])
        let many = withBody(empties, [1, 0] + varint(1 << 40) + [0])
        #expect(packError { _ = try unpack(many, as: [Empty].self, options: unchecked) }?.code == .limitExceeded)
        let fine = try unpack(withBody(empties, [1, 0, 5, 0]), as: [Empty].self, options: unchecked)
        #expect(fine.count == 5)
    }

    @Test("forged back-references and type indices are refused")
    func forgedReferences() throws {
        let unchecked = UnpackOptions(verifyChecksum: false)
        let packet = try pack([7, 8])
        let tail = Array(packet[(headerLength(packet) + 3)...])
        for body: [UInt8] in [[3], [1, 9, 2] + tail, [1, 0, 2], [2, 0], [1]] {
            let error = packError { _ = try unpack(withBody(packet, body), as: [Int].self, options: unchecked) }
            #expect(error?.code == .malformed, "body \(body.prefix(4))")
        }
    }

    @Test("an object of the wrong kind in a class-typed slot is refused before it is read")
    func forgedObjectType() throws {
        let count = 3, name = "a capture that forces a closure context"
        let value = NodeAndJob(node: ListNode(value: 1, next: nil), job: { count + name.utf8.count })
        var packet = try pack(value)
        let start = headerLength(packet)
        // The body opens with the node: "new object" (1) of type 0; type 1 is the closure's
        // context. Point the node's slot at the context's type instead.
        #expect(Array(packet[start..<(start + 2)]) == [1, 0])
        packet[start + 1] = 1
        let error = packError { _ = try unpack(packet, as: NodeAndJob.self, options: UnpackOptions(verifyChecksum: false)) }
        #expect(error?.code == .malformed)
    }

    @Test("a header whose object count disagrees with the body is malformed")
    func wrongObjectCount() throws {
        var packet = try pack(LinkedList(count: 3))
        #expect(packet[12] == 4)  // the list wrapper and three nodes
        packet[12] = 3
        let error = packError { _ = try unpack(packet, as: LinkedList.self, options: UnpackOptions(verifyChecksum: false)) }
        #expect(error?.code == .malformed)
    }

    @Test("object limits hold on both sides")
    func limits() throws {
        let list = LinkedList(count: 10)
        let error = packError { _ = try pack(list, options: PackOptions(maxObjects: 5)) }
        #expect(error?.code == .limitExceeded)
        let packet = try pack(list)
        let unpackError = packError { _ = try unpack(packet, as: LinkedList.self, options: UnpackOptions(maxObjects: 5)) }
        #expect(unpackError?.code == .limitExceeded)
        let fine = try unpack(packet, as: LinkedList.self, options: UnpackOptions(maxObjects: 11))
        #expect(fine.sum() == 45)
    }
}

final class Logger {
    let prefix = "job"
    let sink: FileHandle
    init(sink: FileHandle) { self.sink = sink }
}

struct NodeAndJob {
    var node: ListNode
    var job: () -> Int
}

final class WeakLink {
    weak var other: WeakLink?
}

final class UnownedLink {
    unowned let target: WeakLink
    init(target: WeakLink) { self.target = target }
}

final class Guarded {
    let lock = NSLock()
    var value = 0
}

@Suite("Refusals")
struct RefusalTests {
    @Test("a captured FileHandle is nonTransferable, with its path")
    func fileHandle() {
        let logger = Logger(sink: FileHandle.standardError)
        let tag = "x"
        let job: () -> String = { logger.prefix + tag }
        let error = packError { _ = try pack(job) }
        #expect(error?.code == .nonTransferable)
        #expect(error?.typeName == "Foundation.FileHandle")
        #expect(error?.path.contains("capture 0: HeapPackTests.Logger > .sink > Foundation.FileHandle") == true,
                "\(String(describing: error?.path))")
        // The closure is named from the test binary's symbol table.
        #expect(error?.path.contains("closure #1 () -> Swift.String in HeapPackTests.RefusalTests.fileHandle()") == true,
                "\(String(describing: error?.path))")
    }

    @Test("a private subclass of a refused class is named without run-time addresses")
    func privateSubclassName() {
        let error = packError { _ = try pack([FileHandle.nullDevice]) }
        #expect(error?.code == .nonTransferable)
        #expect(error?.typeName == "Foundation.FileHandle.NullDevice", "\(String(describing: error?.typeName))")
        #expect(error?.path.contains("unknown context") == false, "\(String(describing: error?.path))")
    }

    @Test("Unmanaged references and tail-allocated classes are nonTransferable; key paths unsupported")
    func unmanagedAndTailAllocated() {
        final class Target {}
        let target = Target()
        let unmanaged = packError { _ = try pack([Unmanaged.passUnretained(target)]) }
        #expect(unmanaged?.code == .nonTransferable)
        #expect(unmanaged?.typeName?.hasPrefix("Swift.Unmanaged<") == true, "\(String(describing: unmanaged))")
        #expect(unmanaged?.path.hasPrefix("root: Array<Unmanaged<Target>> > [0] > Swift.Unmanaged<") == true,
                "\(String(describing: unmanaged?.path))")

        final class Samples: ManagedBuffer<Int, Double> {}
        let buffer = Samples.create(minimumCapacity: 4) { _ in 4 }
        let tail = packError { _ = try pack((1, buffer)) }
        #expect(tail?.code == .nonTransferable)
        #expect(tail?.message.contains("Swift.ManagedBuffer<Swift.Int, Swift.Double>") == true, "\(String(describing: tail))")
        #expect(tail?.path.hasPrefix("root: (Int, ManagedBuffer<Int, Double>) > .1") == true,
                "\(String(describing: tail?.path))")
    }

    @Test("an NSLock inside a class is nonTransferable")
    func lock() {
        let error = packError { _ = try pack([Guarded()]) }
        #expect(error?.code == .nonTransferable)
        #expect(error?.path.hasSuffix(".lock > Foundation.NSLock") == true, "\(String(describing: error?.path))")
    }

    @Test("a Thread and a DispatchQueue are nonTransferable")
    func threadAndQueue() {
        let thread = Thread {}
        #expect(packError { _ = try pack(thread) }?.code == .nonTransferable)
        let queue = DispatchQueue(label: "q")
        let error = packError { _ = try pack(Optional(queue)) }
        #expect(error?.code == .nonTransferable)
        #expect(error?.message.contains("Dispatch") == true)
    }

    @Test("a raw pointer into the heap is nonTransferable; one into static data travels")
    func rawPointers() throws {
        let heap = UnsafeMutablePointer<Int>.allocate(capacity: 1)
        defer { heap.deallocate() }
        let error = packError { _ = try pack((1, heap)) }
        #expect(error?.code == .nonTransferable)
        #expect(error?.path == "root: (Int, UnsafeMutablePointer<Int>) > .1 > Swift.UnsafeMutablePointer<Swift.Int>", "\(String(describing: error?.path))")
        let literal: StaticString = "static text lives in the binary"
        let back = try unpack(try pack(literal), as: StaticString.self)
        #expect(back.description == literal.description)
    }

    @Test("an unowned reference to an object outside the packet is refused, with its path")
    func unownedOutside() {
        let outside = WeakLink()
        let holder = UnownedLink(target: outside)
        let error = packError { _ = try pack(Optional(holder)) }
        #expect(error?.code == .nonTransferable)
        #expect(error?.path == "root: Optional<UnownedLink> > .target", "\(String(describing: error?.path))")
        #expect(error?.message.contains("dangle") == true)
    }

    @Test("what is not supported yet says so, with its path")
    func unsupported() {
        let path = \Member.name
        let error = packError { _ = try pack([{ "\(path)" }]) }
        #expect(error?.code == .unsupported)
        #expect(error?.path.hasPrefix("root: Array<() -> String> > [0]") == true,
                "\(String(describing: error?.path))")
        // A closure whose only capture is reference-counted uses that object as its context:
        // here the key path object itself, which the path names.
        #expect(error?.path.hasSuffix("HeapPackTests.RefusalTests.unsupported() -> () > "
                                      + "Swift.WritableKeyPath<HeapPackTestSupport.Member, Swift.String>") == true,
                "\(String(describing: error?.path))")
    }
}
