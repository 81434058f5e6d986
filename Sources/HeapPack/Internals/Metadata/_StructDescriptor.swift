/// `StructDescriptor`.
struct _StructDescriptor {
    /// NumFields and FieldOffsetVectorOffset after the common fields.
    static let fixedSize = _TypeContextDescriptor.size + 8
    let base: _TypeContextDescriptor
    init(_ base: _TypeContextDescriptor) { self.base = base }

    var numFields: Int { Int(base.pointer.load(fromByteOffset: 20, as: UInt32.self)) }
    /// In words from the start of the metadata.
    var fieldOffsetVectorOffset: Int { Int(base.pointer.load(fromByteOffset: 24, as: UInt32.self)) }
}
