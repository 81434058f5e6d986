/// The value witness table's layout fields (`ValueWitnessTable` in Metadata.h, after its eight
/// function pointers): what a value of the type takes in memory.
struct _ValueWitnessTable {
    let pointer: UnsafeRawPointer

    var size: Int { pointer.load(fromByteOffset: 64, as: Int.self) }
    var stride: Int { pointer.load(fromByteOffset: 72, as: Int.self) }
    var flags: _ValueWitnessFlags { _ValueWitnessFlags(bits: pointer.load(fromByteOffset: 80, as: UInt32.self)) }
}

/// `TargetValueWitnessFlags`.
struct _ValueWitnessFlags {
    let bits: UInt32

    var alignMask: Int { Int(bits & 0xFF) }
    /// IsNonPOD clear: copying the bytes copies the value.
    var isPOD: Bool { bits & 0x1_0000 == 0 }
    /// IsNonInline: an existential container keeps values of this type in a heap box.
    var isNonInline: Bool { bits & 0x2_0000 != 0 }
}
