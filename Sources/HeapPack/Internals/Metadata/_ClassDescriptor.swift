/// `ClassDescriptor`. Where its members sit in the metadata is read here and only here.
struct _ClassDescriptor {
    /// SuperclassType, the metadata bounds (or ResilientMetadataBounds), NumImmediateMembers,
    /// NumFields and FieldOffsetVectorOffset after the common fields.
    static let fixedSize = _TypeContextDescriptor.size + 24
    let base: _TypeContextDescriptor
    init(_ base: _TypeContextDescriptor) { self.base = base }

    private var hasResilientSuperclass: Bool { base.flags.typeFlags.classHasResilientSuperclass }
    var isActor: Bool { base.flags.typeFlags.classIsActor }
    /// MetadataPositiveSizeInWords (no resilient superclass).
    private var metadataPositiveSizeInWords: Int { Int(base.pointer.load(fromByteOffset: 28, as: UInt32.self)) }
    private var numImmediateMembers: Int { Int(base.pointer.load(fromByteOffset: 32, as: UInt32.self)) }
    var numFields: Int { Int(base.pointer.load(fromByteOffset: 36, as: UInt32.self)) }
    /// In words; from the immediate members when the superclass is resilient, else from the
    /// metadata's start.
    private var fieldOffsetVectorOffsetInWords: Int { Int(base.pointer.load(fromByteOffset: 40, as: UInt32.self)) }

    /// Where this class's own members start in its metadata, in bytes: with a resilient
    /// superclass, `StoredClassMetadataBounds::ImmediateMembersOffset`, which the runtime fills
    /// in (nil if it has no bounds); else the positive size less the immediate members
    /// (`getNonResilientImmediateMembersOffset`, ObjC's negative members aside).
    private var immediateMembersOffset: Int? {
        if hasResilientSuperclass {
            return _relative(base.pointer, 24).map { $0.load(as: Int.self) }
        }
        return (metadataPositiveSizeInWords - numImmediateMembers) * 8
    }

    /// Generic arguments come first among the immediate members.
    var genericArgumentOffset: Int? { immediateMembersOffset }

    /// In bytes from the start of the metadata.
    var fieldOffsetVectorOffset: Int? {
        if hasResilientSuperclass { return immediateMembersOffset.map { $0 + fieldOffsetVectorOffsetInWords * 8 } }
        return fieldOffsetVectorOffsetInWords * 8
    }
}
