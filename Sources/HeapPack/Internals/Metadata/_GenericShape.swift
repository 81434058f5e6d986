/// Generic parameters of a nominal type descriptor (`GenericContextDescriptorHeader`, inside the
/// `TypeGenericContextDescriptorHeader` after the kind's fixed fields), or nil for a
/// non-generic type.
struct _GenericShape {
    let parameterCount: Int
    let requirementCount: Int
    let keyArgumentCount: Int
    let hasPacks: Bool
    /// Where `GenericContextDescriptorHeader` starts, from the descriptor.
    private let headerOffset: Int

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
        headerOffset = fixedSize + Self.instantiationFieldsSize
        let header = descriptor + headerOffset
        parameterCount = Int(header.load(as: UInt16.self))
        requirementCount = Int(header.load(fromByteOffset: 2, as: UInt16.self))
        keyArgumentCount = Int(header.load(fromByteOffset: 4, as: UInt16.self))
        // GenericContextDescriptorFlags::HasTypePacks.
        hasPacks = header.load(fromByteOffset: 6, as: UInt16.self) & 0x1 != 0
    }
}

/// `GenericRequirementDescriptor` (12 bytes): flags, the subject as a mangled name (relative),
/// then the protocol (relative, indirectable) or another type, by kind.
struct _GenericRequirement {
    let pointer: UnsafeRawPointer

    private var flags: UInt32 { pointer.load(as: UInt32.self) }
    /// GenericRequirementFlags::HasKeyArgument: the requirement has a word in the key arguments.
    var hasKeyArgument: Bool { flags & 0x80 != 0 }
    /// The subject type: `x` (τ_0_0), `q_` (τ_0_1), an associated type of one, ...
    var subject: _MangledName { _MangledName(pointer + 4 + Int(pointer.load(fromByteOffset: 4, as: Int32.self))) }
    /// The protocol of a conformance requirement (GenericRequirementKind::Protocol, 0); nil for
    /// other kinds. Its relative pointer's bit 0 says indirect, bit 1 is the Objective-C flag.
    var protocolDescriptor: UnsafeRawPointer? {
        guard flags & 0x1F == 0 else { return nil }
        let relative = pointer.load(fromByteOffset: 8, as: Int32.self)
        let target = pointer + 8 + Int(relative & ~3)
        return relative & 1 != 0 ? target.load(as: UnsafeRawPointer?.self) : target
    }
}

extension _GenericShape {
    /// The generic requirements of `descriptor` (the one this shape was read from): after the
    /// header, one byte per parameter padded to 4, then 12 bytes per requirement.
    func requirements(_ descriptor: UnsafeRawPointer) -> [_GenericRequirement] {
        // headerOffset is GenericContextDescriptorHeader's: four UInt16s.
        let start = descriptor + headerOffset + 8 + ((parameterCount + 3) & ~3)
        return (0..<requirementCount).map { _GenericRequirement(pointer: start + 12 * $0) }
    }
}
