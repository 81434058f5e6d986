/// `StructDescriptor`.
struct _StructDescriptor {
    static let fixedSize = 28
    let base: _TypeContextDescriptor
    init(_ base: _TypeContextDescriptor) { self.base = base }

    var numFields: Int { Int(base.pointer.load(fromByteOffset: 20, as: UInt32.self)) }
    /// In words from the start of the metadata.
    var fieldOffsetVectorOffset: Int { Int(base.pointer.load(fromByteOffset: 24, as: UInt32.self)) }
}
