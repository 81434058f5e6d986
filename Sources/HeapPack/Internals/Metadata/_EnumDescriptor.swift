/// `EnumDescriptor`.
struct _EnumDescriptor {
    static let fixedSize = 28
    let base: _TypeContextDescriptor
    init(_ base: _TypeContextDescriptor) { self.base = base }

    /// The low 24 bits of NumPayloadCasesAndPayloadSizeOffset.
    var numPayloadCases: Int { Int(base.pointer.load(fromByteOffset: 20, as: UInt32.self) & 0x00FF_FFFF) }
    var numEmptyCases: Int { Int(base.pointer.load(fromByteOffset: 24, as: UInt32.self)) }
}
