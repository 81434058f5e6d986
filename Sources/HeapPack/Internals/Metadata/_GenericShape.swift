/// Generic parameters of a nominal type descriptor (`GenericContextDescriptorHeader`, inside the
/// `TypeGenericContextDescriptorHeader` after the kind's fixed fields), or nil for a
/// non-generic type.
struct _GenericShape {
    let parameterCount: Int
    let keyArgumentCount: Int
    let hasPacks: Bool

    init?(descriptor: UnsafeRawPointer) {
        let type = _TypeContextDescriptor(descriptor)
        guard type.flags.isGeneric, let fixedSize = type.fixedSize else { return nil }
        // Past the instantiation cache and the default instantiation pattern (two rel32s).
        let header = descriptor + fixedSize + 8
        parameterCount = Int(header.load(as: UInt16.self))
        keyArgumentCount = Int(header.load(fromByteOffset: 4, as: UInt16.self))
        // GenericContextDescriptorFlags::HasTypePacks.
        hasPacks = header.load(fromByteOffset: 6, as: UInt16.self) & 0x1 != 0
    }
}
