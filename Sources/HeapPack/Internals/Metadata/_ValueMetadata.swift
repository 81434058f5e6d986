/// `StructMetadata`, `EnumMetadata` (and Optional's): the descriptor after the kind, then the
/// generic argument vector.
struct _ValueMetadata {
    let metadata: _Metadata
    init(_ metadata: _Metadata) { self.metadata = metadata }

    var description: _TypeContextDescriptor? {
        metadata.pointer.load(fromByteOffset: 8, as: UnsafeRawPointer?.self).map(_TypeContextDescriptor.init)
    }
    /// Right after the two header words (`getGenericArgumentOffset()` is 2 for value types).
    var genericArguments: UnsafeRawPointer { metadata.pointer + 16 }

    /// A struct's stored-property offsets: 32-bit words at the descriptor's
    /// FieldOffsetVectorOffset (in words from the metadata's start).
    func structFieldOffsets(_ descriptor: _StructDescriptor) -> [Int] {
        let vector = metadata.pointer + descriptor.fieldOffsetVectorOffset * 8
        return (0..<descriptor.numFields).map { Int(vector.load(fromByteOffset: $0 * 4, as: UInt32.self)) }
    }
}
