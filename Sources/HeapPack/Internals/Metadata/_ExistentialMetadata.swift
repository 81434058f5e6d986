/// `ExistentialTypeMetadata`: flags, the protocol count, then the superclass constraint (if
/// flagged) and one `ProtocolDescriptorRef` per protocol.
struct _ExistentialMetadata {
    let metadata: _Metadata
    init(_ metadata: _Metadata) { self.metadata = metadata }

    /// Where the trailing objects start: the superclass constraint if flagged, then the protocols.
    private static let trailingObjectsOffset = 16

    var flags: _ExistentialTypeFlags { _ExistentialTypeFlags(bits: metadata.pointer.load(fromByteOffset: 8, as: UInt32.self)) }
    var numProtocols: Int { Int(metadata.pointer.load(fromByteOffset: 12, as: UInt32.self)) }
    /// The superclass constraint's metadata, if flagged.
    var superclassConstraint: UnsafeRawPointer? {
        guard flags.hasSuperclassConstraint else { return nil }
        return metadata.pointer.load(fromByteOffset: Self.trailingObjectsOffset, as: UnsafeRawPointer.self)
    }
    /// The `ProtocolDescriptorRef` words: a Swift protocol descriptor, or with bit 0 set an
    /// Objective-C protocol.
    var protocolReferences: [UInt] {
        let list = metadata.pointer + Self.trailingObjectsOffset + (flags.hasSuperclassConstraint ? 8 : 0)
        return (0..<numProtocols).map { list.load(fromByteOffset: $0 * 8, as: UInt.self) }
    }
    /// The protocols as Swift protocol descriptors; nil for an Objective-C protocol (or a null
    /// reference).
    var swiftProtocols: [UnsafeRawPointer?] {
        protocolReferences.map { $0 & Self.objectiveCBit == 0 ? UnsafeRawPointer(bitPattern: $0) : nil }
    }
    /// `ProtocolDescriptorRef::IsObjC`.
    private static let objectiveCBit: UInt = 1

    /// The size of a container of this existential: a class reference, or three words of
    /// inline buffer and the dynamic type's metadata; then one witness table per protocol.
    static func containerSize(classBound: Bool, witnessCount: Int) -> Int {
        (classBound ? 8 : 32) + 8 * witnessCount
    }
}

/// `ExistentialTypeFlags`.
struct _ExistentialTypeFlags {
    let bits: UInt32

    var numWitnessTables: Int { Int(bits & 0x00FF_FFFF) }
    /// ClassConstraint is `Class` (0) when the bit is clear: the value is one reference.
    var isClassBound: Bool { bits & 0x8000_0000 == 0 }
    var hasSuperclassConstraint: Bool { bits & 0x4000_0000 != 0 }
    /// SpecialProtocol::Error: `any Error`, one reference to a SwiftError box.
    var isError: Bool { (bits >> 24) & 0x3F == 1 }
}
