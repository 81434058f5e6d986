/// `FunctionTypeMetadata`: the flags word after the kind, then parameters and result.
struct _FunctionMetadata {
    let metadata: _Metadata
    init(_ metadata: _Metadata) { self.metadata = metadata }

    var flags: _FunctionTypeFlags { _FunctionTypeFlags(bits: metadata.pointer.load(fromByteOffset: 8, as: UInt.self)) }
}

/// `FunctionMetadataConvention`.
enum _FunctionConvention: UInt {
    case swift = 0
    case block = 1
    case thin = 2
    case cFunctionPointer = 3
}

/// `TargetFunctionTypeFlags`.
struct _FunctionTypeFlags {
    let bits: UInt

    /// The convention bits as read, nil for one Metadata.h does not list.
    var convention: _FunctionConvention? { _FunctionConvention(rawValue: (bits >> 16) & 0xFF) }
    /// AsyncMask: the function's "code pointer" is an `AsyncFunctionPointer` record (the
    /// function as a relative pointer, then its context size), not code.
    var isAsync: Bool { bits & 0x2000_0000 != 0 }
}
