/// `EnumDescriptor`.
struct _EnumDescriptor {
    /// NumPayloadCasesAndPayloadSizeOffset and NumEmptyCases after the common fields.
    static let fixedSize = _TypeContextDescriptor.size + 8
    let base: _TypeContextDescriptor
    init(_ base: _TypeContextDescriptor) { self.base = base }

    /// The low 24 bits of NumPayloadCasesAndPayloadSizeOffset.
    var numPayloadCases: Int { Int(base.pointer.load(fromByteOffset: 20, as: UInt32.self) & 0x00FF_FFFF) }
    var numEmptyCases: Int { Int(base.pointer.load(fromByteOffset: 24, as: UInt32.self)) }
}
