/// `ContextDescriptorKind`: the low five bits of every context descriptor's flags.
enum _ContextDescriptorKind: UInt32 {
    case module = 0
    case `extension` = 1
    case anonymous = 2
    case `protocol` = 3
    case opaqueType = 4
    case `class` = 16
    case `struct` = 17
    case `enum` = 18
}

/// `ContextDescriptorFlags`: the first word of every context descriptor.
struct _ContextDescriptorFlags {
    let bits: UInt32

    /// Nil for a kind Metadata.h does not list.
    var kind: _ContextDescriptorKind? { _ContextDescriptorKind(rawValue: bits & 0x1F) }
    /// A generic context header follows the kind's fixed fields.
    var isGeneric: Bool { bits & 0x80 != 0 }
    /// The upper half: `TypeContextDescriptorFlags` for types.
    var typeFlags: _TypeContextFlags { _TypeContextFlags(bits: UInt16(bits >> 16)) }
}

/// `TypeContextDescriptorFlags`: the kind-specific half of a type descriptor's flags.
struct _TypeContextFlags {
    let bits: UInt16

    /// Class_IsActor.
    var classIsActor: Bool { bits & (1 << 7) != 0 }
    /// Class_HasResilientSuperclass: the class's own members sit after a superclass whose
    /// size is known only at run time, at bounds the runtime stores.
    var classHasResilientSuperclass: Bool { bits & (1 << 13) != 0 }
}
