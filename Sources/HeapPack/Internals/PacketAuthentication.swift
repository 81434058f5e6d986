import Crypto
import FoundationEssentials

/// The HMAC-SHA256 tag of authenticated packets (docs/FORMAT.md, "Authentication tag").
///
/// The checksum catches corruption but anyone can recompute it; the tag can only be made with
/// the key. A keyed reader checks it first, from the packet's length alone, so that nothing the
/// tag protects (lengths, build-ids, the type table, the body) is parsed before it is known to
/// come from a holder of the key.
enum _PacketAuthentication {
    static let tagSize = 32
    /// As long as SHA-256's output: a shorter key would be the weakest part of the tag.
    static let minimumKeySize = 32

    /// A checked key; only this file sees swift-crypto's types.
    struct Key {
        fileprivate let symmetric: SymmetricKey
    }

    /// The key for `key`, or nil for no authentication.
    ///
    /// - Throws: `.invalidOptions` for a key shorter than ``minimumKeySize``.
    static func key(_ key: [UInt8]?, named name: String) throws(PackError) -> Key? {
        guard let key else { return nil }
        guard key.count >= minimumKeySize else {
            throw PackError(code: .invalidOptions,
                            message: "\(name) is \(key.count) bytes; it must be at least "
                                + "\(minimumKeySize) random bytes")
        }
        return Key(symmetric: SymmetricKey(data: key))
    }

    /// Writes the tag of `covered` (the whole packet before the tag) into `tag`.
    static func sign(_ covered: UnsafeRawBufferPointer, into tag: UnsafeMutableRawBufferPointer, key: Key) {
        HMAC<SHA256>.authenticationCode(for: covered, using: key.symmetric).withUnsafeBytes { tag.copyMemory(from: $0) }
    }

    /// Checks that `packet` ends in the tag of everything before it, in constant time. Reads no
    /// header field: a tag that verifies vouches for all of them.
    ///
    /// - Throws: `.unauthenticated` for a packet too short to carry a tag, an untagged packet,
    ///   another key's tag, or any byte changed since the packet was tagged.
    static func verify(_ packet: UnsafeRawBufferPointer, key: Key) throws(PackError) {
        guard packet.count >= _PacketFormat.fixedSize + tagSize else {
            throw PackError(code: .unauthenticated,
                            message: "the packet is \(packet.count) bytes, too short to carry an authentication tag")
        }
        let end = packet.count - tagSize
        let tag = UnsafeRawBufferPointer(rebasing: packet[end...])
        guard HMAC<SHA256>.isValidAuthenticationCode(tag, authenticating: UnsafeRawBufferPointer(rebasing: packet[..<end]),
                                                     using: key.symmetric) else {
            throw PackError(code: .unauthenticated,
                            message: "the packet's authentication tag does not match the key: it is untagged, was "
                                + "tagged with another key, or was changed after it was written")
        }
    }
}
