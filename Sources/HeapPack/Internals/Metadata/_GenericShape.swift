/// Generic parameters of a nominal type descriptor (`GenericContextDescriptorHeader`, inside the
/// `TypeGenericContextDescriptorHeader` after the kind's fixed fields), or nil for a
/// non-generic type.
struct _GenericShape {
    let parameterCount: Int
    let keyArgumentCount: Int
    let hasPacks: Bool

    /// `TypeGenericContextDescriptorHeader`: InstantiationCache and DefaultInstantiationPattern
    /// (two rel32s), then `GenericContextDescriptorHeader` (NumParams, NumRequirements,
    /// NumKeyArguments, Flags: four UInt16s).
    private static let instantiationFieldsSize = 8
    private static let headerSize = instantiationFieldsSize + 8

    /// How many bytes from the start of `type` `init(descriptor:)` reads: the kind's fixed
    /// fields, then the generic header if the type is generic. Nil for a descriptor that is not
    /// a nominal type's (which `init` reads no further than its flags).
    static func span(of type: _TypeContextDescriptor) -> Int? {
        guard let fixedSize = type.fixedSize else { return nil }
        return type.flags.isGeneric ? fixedSize + headerSize : fixedSize
    }

    init?(descriptor: UnsafeRawPointer) {
        let type = _TypeContextDescriptor(descriptor)
        guard type.flags.isGeneric, let fixedSize = type.fixedSize else { return nil }
        let header = descriptor + fixedSize + Self.instantiationFieldsSize
        parameterCount = Int(header.load(as: UInt16.self))
        keyArgumentCount = Int(header.load(fromByteOffset: 4, as: UInt16.self))
        // GenericContextDescriptorFlags::HasTypePacks.
        hasPacks = header.load(fromByteOffset: 6, as: UInt16.self) & 0x1 != 0
    }
}
