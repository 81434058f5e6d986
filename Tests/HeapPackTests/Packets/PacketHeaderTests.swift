import HeapPack
import HeapPackTestSupport
import Testing

// Each header check on its own. The checksum would catch any of these changes first, so all
// but the checksum's own test unpack with `verifyChecksum: false`: each expectation then holds
// only while its own check is in place.

@Suite("Packet header")
struct PacketHeaderTests {
    private static let unchecked = UnpackOptions(verifyChecksum: false)

    /// A packet whose header lists a second image: `cos` lives in libm.
    private static func packetWithLibrary() throws -> (packet: [UInt8], layout: PacketLayout) {
        let packet = try Scenarios.cFunctionPointer.pack()
        return (packet, PacketLayout(packet))
    }

    private static func unpackFormula(_ packet: [UInt8], options: UnpackOptions = unchecked) -> PackError? {
        packError { _ = try Scenarios.cFunctionPointer.run(packet, options: options) }
    }

    @Test("the sample packet reads back, so every failure below is the edit's doing")
    func samplePacketIsSound() throws {
        let (packet, layout) = try Self.packetWithLibrary()
        #expect(try Scenarios.cFunctionPointer.run(packet, options: Self.unchecked) == Scenarios.cFunctionPointer.expected)
        #expect(layout.images.count >= 2)
        #expect(layout.images.contains { $0.name == "libm.so.6" }, "\(layout.images.map(\.name))")
    }

    @Test("a flipped byte is caught by the check of its field, or else by the checksum")
    func flippedBytes() throws {
        let packet = try Scenarios.closureWithMixedCaptures.pack()
        for index in packet.indices {
            var bad = packet
            bad[index] ^= 0x40
            let error = packError { _ = try Scenarios.closureWithMixedCaptures.run(bad) }
            // Magic, version, flags and the two lengths are read before the checksum is verified;
            // the object count (12..<16) and everything from the checksum on are covered by it.
            switch index {
            case 0..<4: #expect(error?.code == .malformed && error?.byteOffset == 0, "flip at \(index): \(String(describing: error))")
            case 4..<6: #expect(error?.code == .unsupported, "flip at \(index): \(String(describing: error))")
            case 6..<8: #expect(error?.code == .malformed && error?.byteOffset == 6, "flip at \(index): \(String(describing: error))")
            case 8..<12, 16..<24:
                #expect(error?.code == .malformed && error?.byteOffset == 8, "flip at \(index): \(String(describing: error))")
            default:
                #expect(error?.code == .malformed && error?.byteOffset == 24, "flip at \(index): \(String(describing: error))")
                #expect(error?.message.contains("checksum") == true, "flip at \(index)")
            }
        }
    }

    @Test("magic, version and flags")
    func fixedFields() throws {
        let (packet, _) = try Self.packetWithLibrary()
        var magic = packet
        magic[1] = UInt8(ascii: "X")
        let badMagic = Self.unpackFormula(magic)
        #expect(badMagic?.code == .malformed && badMagic?.byteOffset == 0, "\(String(describing: badMagic))")

        var version = packet
        version[4] = 9
        let badVersion = Self.unpackFormula(version)
        #expect(badVersion?.code == .unsupported)
        #expect(badVersion?.message.contains("version 9") == true, "\(String(describing: badVersion))")

        var flags = packet
        flags[7] = 0x80
        let badFlags = Self.unpackFormula(flags)
        #expect(badFlags?.code == .malformed && badFlags?.byteOffset == 6, "\(String(describing: badFlags))")
    }

    @Test("header length, body length and object count")
    func lengthsAndCounts() throws {
        let (packet, layout) = try Self.packetWithLibrary()
        var longerHeader = packet
        longerHeader[8] &+= 1
        let header = Self.unpackFormula(longerHeader)
        #expect(header?.code == .malformed && header?.byteOffset == 8, "\(String(describing: header))")

        let body = Self.unpackFormula(settingBodyLength(packet, packet.count - layout.headerLength + 1))
        #expect(body?.code == .malformed && body?.byteOffset == 8, "\(String(describing: body))")

        // One more byte of header and one less of body: the lengths agree with the packet, but
        // the sections no longer end where the header says.
        var shifted = settingBodyLength(packet, packet.count - layout.headerLength - 1)
        shifted[8] &+= 1
        let sections = Self.unpackFormula(shifted)
        #expect(sections?.code == .malformed && sections?.byteOffset == layout.headerLength, "\(String(describing: sections))")

        // The object count is checked against what the body makes, after the body is read.
        var count = packet
        count[12] &+= 1
        let objects = Self.unpackFormula(count)
        #expect(objects?.code == .malformed, "\(String(describing: objects))")
        #expect((objects?.byteOffset ?? 0) >= layout.headerLength, "\(String(describing: objects))")
    }

    @Test("the checksum, when verified")
    func checksum() throws {
        let (packet, layout) = try Self.packetWithLibrary()
        var bad = packet
        bad[layout.headerLength] ^= 1
        let error = Self.unpackFormula(bad, options: UnpackOptions())
        #expect(error?.code == .malformed && error?.byteOffset == 24, "\(String(describing: error))")
        var badSum = packet
        badSum[31] ^= 1
        #expect(Self.unpackFormula(badSum, options: UnpackOptions())?.byteOffset == 24)
        #expect(Self.unpackFormula(badSum) == nil, "without verification the stored sum is not read")
    }

    @Test("the image list: none, or a count beyond the header")
    func imageCount() throws {
        let (packet, layout) = try Self.packetWithLibrary()
        var none = packet
        none[layout.imageCountOffset] = 0
        let empty = Self.unpackFormula(none)
        #expect(empty?.code == .malformed && empty?.byteOffset == layout.imageCountOffset + 1, "\(String(describing: empty))")
        #expect(empty?.message.contains("no images") == true)
        var many = packet
        many[layout.imageCountOffset] = 0x7F
        let tooMany = Self.unpackFormula(many)
        #expect(tooMany?.code == .malformed, "\(String(describing: tooMany))")
    }

    @Test("another main executable is a binaryMismatch carrying both build-ids")
    func otherMainExecutable() throws {
        let (packet, layout) = try Self.packetWithLibrary()
        let main = try #require(layout.images.first)
        #expect(main.buildIDLength > 0, "this test binary should have a GNU build-id")
        var bad = packet
        bad[main.buildIDOffset] ^= 0xFF
        let error = Self.unpackFormula(bad)
        #expect(error?.code == .binaryMismatch)
        #expect(error?.expectedBuildID == hex(bad[main.buildIDOffset..<(main.buildIDOffset + main.buildIDLength)]))
        #expect(error?.foundBuildID == hex(packet[main.buildIDOffset..<(main.buildIDOffset + main.buildIDLength)]))
    }

    @Test("a library with another build-id is a binaryMismatch that names the library")
    func otherLibrary() throws {
        let (packet, layout) = try Self.packetWithLibrary()
        let library = try #require(layout.images.dropFirst().first { $0.name == "libm.so.6" })
        #expect(library.buildIDLength > 0, "Debian's libm has a GNU build-id")
        var bad = packet
        bad[library.buildIDOffset + library.buildIDLength - 1] ^= 0xFF
        let error = Self.unpackFormula(bad)
        #expect(error?.code == .binaryMismatch, "\(String(describing: error))")
        #expect(error?.message.contains("libm.so.6") == true, "\(String(describing: error))")
        #expect(error?.expectedBuildID == hex(bad[library.buildIDOffset..<(library.buildIDOffset + library.buildIDLength)]))
    }

    @Test("another root type is a typeMismatch")
    func rootType() throws {
        let (packet, layout) = try Self.packetWithLibrary()
        #expect(layout.rootNameLength > 0)
        var bad = packet
        bad[layout.rootNameOffset + layout.rootNameLength - 1] ^= 0x01
        let error = Self.unpackFormula(bad)
        #expect(error?.code == .typeMismatch, "\(String(describing: error))")
    }

    @Test("an unknown type-table entry kind")
    func typeEntryKind() throws {
        let scenario = Scenarios.closureWithMixedCaptures
        let packet = try scenario.pack()
        let layout = PacketLayout(packet)
        #expect(layout.typeCount >= 1)
        var bad = packet
        bad[layout.firstTypeKindOffset] = 0x7F
        let error = packError { _ = try scenario.run(bad, options: Self.unchecked) }
        #expect(error?.code == .malformed && error?.byteOffset == layout.firstTypeKindOffset, "\(String(describing: error))")
    }
}

private func hex(_ bytes: ArraySlice<UInt8>) -> String {
    bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
}
