import HeapPack
import HeapPackTestSupport
import Testing

@Suite("Bad input")
struct BadInputTests {
    struct NodeAndJob {
        var node: ListNode
        var job: () -> Int
    }

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
