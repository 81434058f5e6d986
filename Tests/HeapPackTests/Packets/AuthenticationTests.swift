import Crypto
import HeapPack
import HeapPackTestSupport
import Testing

// Authenticated packets (PackOptions/UnpackOptions.authenticationKey, docs/FORMAT.md): a reader
// with the key refuses, as `.unauthenticated` and before it parses anything past the fixed
// header, every packet that a holder of the key did not write exactly so. The forgeries below
// recompute the checksum, as anyone can.

@Suite("Authenticated packets")
struct AuthenticationTests {
    private static let key: [UInt8] = (0..<32).map { UInt8(truncatingIfNeeded: $0 &* 151 &+ 7) }
    /// The key with its last bit flipped.
    private static let otherKey: [UInt8] = key.dropLast() + [key[31] ^ 1]
    private static let tagSize = 32
    private static let scenario = Scenarios.closureWithMixedCaptures

    private static func keyed(_ key: [UInt8] = key, verifyChecksum: Bool = true) -> UnpackOptions {
        UnpackOptions(verifyChecksum: verifyChecksum, authenticationKey: key)
    }

    private static func taggedPacket() throws -> [UInt8] {
        try scenario.pack(options: PackOptions(authenticationKey: key))
    }

    private static func unpackError(_ packet: [UInt8], _ options: UnpackOptions) -> PackError? {
        packError { _ = try scenario.run(packet, options: options) }
    }

    @Test("a tagged packet reads back with its key, and also without a key")
    func roundTrip() throws {
        let tagged = try Self.taggedPacket()
        let plain = try Self.scenario.pack()
        #expect(try Self.scenario.run(tagged, options: Self.keyed()) == Self.scenario.expected)
        #expect(try Self.scenario.run(tagged, options: Self.keyed(verifyChecksum: false)) == Self.scenario.expected)
        #expect(try Self.scenario.run(tagged) == Self.scenario.expected, "a reader without a key reads it too")
        // The same packet with the flag set and 32 bytes of tag after the body.
        #expect(tagged.count == plain.count + Self.tagSize)
        #expect(tagged[6] == 1 && plain[6] == 0, "the authenticated flag")
        #expect(Array(tagged[8..<24]) == Array(plain[8..<24]), "the lengths do not count the tag")
        #expect(Array(tagged[32..<plain.count]) == Array(plain[32...]))
        // A longer key is fine, and gives another tag.
        let longKey = Self.key + Self.key
        let long = try Self.scenario.pack(options: PackOptions(authenticationKey: longKey))
        #expect(try Self.scenario.run(long, options: Self.keyed(longKey)) == Self.scenario.expected)
        #expect(long.suffix(Self.tagSize) != tagged.suffix(Self.tagSize))
    }

    @Test("another key's packet is unauthenticated, whether or not the checksum is verified")
    func wrongKey() throws {
        let tagged = try Self.taggedPacket()
        for verifyChecksum in [true, false] {
            let error = Self.unpackError(tagged, Self.keyed(Self.otherKey, verifyChecksum: verifyChecksum))
            #expect(error?.code == .unauthenticated, "\(String(describing: error))")
        }
    }

    @Test("an untagged packet is unauthenticated for a reader with a key, even with the tag stripped by a forger")
    func untaggedPackets() throws {
        let plain = try Self.scenario.pack()
        #expect(Self.unpackError(plain, Self.keyed())?.code == .unauthenticated)
        #expect(Self.unpackError(plain, Self.keyed(verifyChecksum: false))?.code == .unauthenticated)

        // A downgrade: the tag cut off, the flag cleared and the checksum recomputed. A reader
        // without a key takes it; one with the key does not.
        var stripped = Array(try Self.taggedPacket().dropLast(Self.tagSize))
        stripped[6] = 0
        stripped = resealed(stripped, bodyEnd: stripped.count)
        #expect(try Self.scenario.run(stripped) == Self.scenario.expected)
        #expect(Self.unpackError(stripped, Self.keyed())?.code == .unauthenticated)
        // The flag set again, over the untagged bytes: now the last 32 bytes of the body pose as the tag.
        stripped[6] = 1
        #expect(Self.unpackError(stripped, Self.keyed(verifyChecksum: false))?.code == .unauthenticated)
    }

    @Test("every flipped byte is unauthenticated, with the checksum recomputed or not, verified or not")
    func flippedBytes() throws {
        let tagged = try Self.taggedPacket()
        let bodyEnd = tagged.count - Self.tagSize
        let layout = PacketLayout(tagged)
        #expect(layout.headerLength > 32 && layout.headerLength < bodyEnd, "header, sections, body and tag are all swept")
        var resealedAndWouldPassTheChecksum = 0
        for index in tagged.indices {
            for mask: UInt8 in [0x01, 0x80] {
                var bad = tagged
                bad[index] ^= mask
                // Recomputing the checksum over the original lengths undoes a flip inside the
                // checksum itself; every other flip then passes the checksum.
                let sealed = (24..<32).contains(index) ? bad : resealed(bad, bodyEnd: bodyEnd)
                if sealed != bad { resealedAndWouldPassTheChecksum += 1 }
                for candidate in [bad, sealed] {
                    for verifyChecksum in [true, false] {
                        let error = Self.unpackError(candidate, Self.keyed(verifyChecksum: verifyChecksum))
                        #expect(error?.code == .unauthenticated,
                                "flip \(mask) at \(index) of \(tagged.count): \(String(describing: error))")
                    }
                }
            }
        }
        #expect(resealedAndWouldPassTheChecksum > 2 * (bodyEnd - 40))
    }

    @Test("with a key the tag stands in for the checksum: a holder of the key vouches for its bytes")
    func tagCoversTheChecksum() throws {
        var tagged = try Self.taggedPacket()
        // A wrong checksum, tagged again by a holder of the key.
        tagged[24] ^= 1
        let end = tagged.count - Self.tagSize
        let tag = HMAC<SHA256>.authenticationCode(for: tagged[..<end], using: SymmetricKey(data: Self.key))
        tagged.replaceSubrange(end..., with: Array(tag))
        #expect(try Self.scenario.run(tagged, options: Self.keyed()) == Self.scenario.expected,
                "the tag verified, so the checksum is not computed again")
        let error = Self.unpackError(tagged, UnpackOptions())
        #expect(error?.code == .malformed, "without a key the checksum is the check")
        #expect(error?.message.contains("checksum") == true, "\(String(describing: error))")
    }

    @Test("a truncated or padded tagged packet is unauthenticated with a key, malformed without")
    func truncatedTag() throws {
        let tagged = try Self.taggedPacket()
        for cut in 1...(Self.tagSize + 8) {
            let short = Array(tagged.dropLast(cut))
            #expect(Self.unpackError(short, Self.keyed(verifyChecksum: false))?.code == .unauthenticated, "cut \(cut)")
            #expect(Self.unpackError(short, UnpackOptions())?.code == .malformed, "cut \(cut)")
        }
        for count in [0, 31, 32, 63] {
            let stub = Array(tagged.prefix(count))
            #expect(Self.unpackError(stub, Self.keyed(verifyChecksum: false))?.code == .unauthenticated, "\(count) bytes")
        }
        let padded = tagged + [0]
        #expect(Self.unpackError(padded, Self.keyed())?.code == .unauthenticated)
        #expect(Self.unpackError(padded, UnpackOptions())?.code == .malformed)
    }

    @Test("a key shorter than 32 bytes is refused before anything is packed or read")
    func shortKeys() throws {
        let tagged = try Self.taggedPacket()
        for length in [0, 1, 16, 31] {
            let shortKey = Array(Self.key.prefix(length))
            let packing = packError { _ = try Self.scenario.pack(options: PackOptions(authenticationKey: shortKey)) }
            #expect(packing?.code == .invalidOptions, "\(length) bytes: \(String(describing: packing))")
            #expect(packing?.message.contains("PackOptions.authenticationKey is \(length) bytes") == true)
            let unpacking = Self.unpackError(tagged, Self.keyed(shortKey))
            #expect(unpacking?.code == .invalidOptions, "\(length) bytes: \(String(describing: unpacking))")
            #expect(unpacking?.message.contains("UnpackOptions.authenticationKey") == true)
            // Refused for what it is even where the packet would be refused anyway.
            #expect(Self.unpackError([], Self.keyed(shortKey))?.code == .invalidOptions)
            #expect(packError { _ = try Packer.shared.inspect(tagged, authenticationKey: shortKey) }?.code == .invalidOptions)
        }
    }

    @Test("the tag is checked before the sections: forged build-id, root type and type table are unauthenticated")
    func tagBeforeSections() throws {
        let tagged = try Self.taggedPacket()
        let bodyEnd = tagged.count - Self.tagSize
        let layout = PacketLayout(tagged)
        #expect(layout.typeCount >= 1)
        let main = try #require(layout.images.first)
        #expect(main.buildIDLength > 0)

        // Each forgery, resealed, reaches its own check in a reader without a key.
        var kind = tagged
        kind[layout.firstTypeKindOffset] = 0x7F
        var buildID = tagged
        buildID[main.buildIDOffset] ^= 0xFF
        var rootType = tagged
        rootType[layout.rootNameOffset + layout.rootNameLength - 1] ^= 0x01
        let forgeries: [(name: String, packet: [UInt8], withoutKey: PackError.Code)] = [
            ("type-table entry kind", kind, .malformed),
            ("main build-id", buildID, .binaryMismatch),
            ("root type", rootType, .typeMismatch),
        ]
        for forgery in forgeries {
            let sealed = resealed(forgery.packet, bodyEnd: bodyEnd)
            let unkeyed = Self.unpackError(sealed, UnpackOptions())
            #expect(unkeyed?.code == forgery.withoutKey, "\(forgery.name): \(String(describing: unkeyed))")
            let keyed = Self.unpackError(sealed, Self.keyed(verifyChecksum: false))
            #expect(keyed?.code == .unauthenticated, "\(forgery.name): \(String(describing: keyed))")
            #expect(keyed?.byteOffset == nil, "\(forgery.name): the refusal is of the packet as a whole")
        }
        let unkeyedKind = Self.unpackError(resealed(kind, bodyEnd: bodyEnd), UnpackOptions())
        #expect(unkeyedKind?.byteOffset == layout.firstTypeKindOffset, "\(String(describing: unkeyedKind))")
    }

    @Test("inspect says whether a packet is tagged, checks the tag when given the key, and refuses a wrong one")
    func inspection() throws {
        let packer = Packer()
        let tagged = try Self.taggedPacket()
        let unverified = try packer.inspect(tagged)
        #expect(unverified.authentication == .unverified)
        #expect(unverified.checksumMatches)
        #expect(unverified.packetBytes == unverified.headerBytes + unverified.bodyBytes + Self.tagSize)
        #expect(unverified.formatVersion == 3)
        let verified = try packer.inspect(tagged, authenticationKey: Self.key)
        #expect(verified.authentication == .verified)
        #expect(verified.bodyProblem == nil)
        #expect(verified.objects.count == verified.announcedObjectCount)
        #expect(try packer.inspect(try Self.scenario.pack()).authentication == .none)

        let wrong = packError { _ = try packer.inspect(tagged, authenticationKey: Self.otherKey) }
        #expect(wrong?.code == .unauthenticated, "\(String(describing: wrong))")
        var forged = tagged
        forged[PacketLayout(tagged).firstTypeKindOffset] = 0x7F
        let forgedError = packError { _ = try packer.inspect(forged, authenticationKey: Self.key) }
        #expect(forgedError?.code == .unauthenticated, "\(String(describing: forgedError))")
    }
}
