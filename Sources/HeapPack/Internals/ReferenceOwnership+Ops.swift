import CHeapPack

extension ReferenceOwnership {
    /// The op that walks a slot of this ownership.
    var opKind: hp_op_kind {
        switch self {
        case .strong: HP_OP_REF
        case .weak: HP_OP_WEAK
        case .unowned: HP_OP_UNOWNED
        case .unownedUnsafe: HP_OP_UNOWNED_UNSAFE
        }
    }

    /// The ownership of a slot walked by an op of `kind`, if it is a reference op.
    init?(opKind kind: UInt32) {
        switch kind {
        case HP_OP_REF.rawValue: self = .strong
        case HP_OP_WEAK.rawValue: self = .weak
        case HP_OP_UNOWNED.rawValue: self = .unowned
        case HP_OP_UNOWNED_UNSAFE.rawValue: self = .unownedUnsafe
        default: return nil
        }
    }
}
