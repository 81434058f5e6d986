import CHeapPack

/// Ops: the one place that makes them, what they take in memory and on the wire, and the
/// checks the walkers rely on.
extension _PlanBuilder {
    /// Every op is made here: what `aux` holds depends on the kind (see `hp_op`), and one
    /// constructor keeps a change of its representation to one place.
    static func op(_ kind: hp_op_kind, at offset: Int, aux: UnsafeRawPointer? = nil,
                   sub: UnsafePointer<hp_plan>? = nil) -> hp_op {
        hp_op(kind: kind.rawValue, offset: UInt32(offset), aux: aux, sub: sub)
    }

    /// Ops must be in order, apart, and inside the value: the walkers rely on it, and a metadata
    /// misread must become a refusal here rather than a bad plan.
    static func validate(_ layout: _ValueLayout) throws(PackError) {
        var end = 0
        for op in layout.ops {
            guard Int(op.offset) >= end else {
                throw .unsupported("overlapping fields in the layout (misread metadata?)", type: layout.typeName)
            }
            end = Int(op.offset) + width(of: op)
        }
        guard end <= layout.size else { throw .unsupported("fields extend past the value", type: layout.typeName) }
    }

    /// Raw bytes travel as they are; every op takes at least one byte (a null, a tag, a length),
    /// a replacement at least what its own plan takes.
    static func minimumWireSize(_ layout: _ValueLayout) -> Int {
        layout.size - layout.ops.reduce(0) { $0 + width(of: $1) }
            + layout.ops.reduce(0) { $0 + minimumWireSize(of: $1) }
    }

    private static func minimumWireSize(of op: hp_op) -> Int {
        switch op.kind {
        case HP_OP_REPLACE.rawValue: max(1, Int(op.sub.pointee.min_wire_size))
        // Weak and unowned slots travel in the trailer, not inline.
        case HP_OP_WEAK.rawValue, HP_OP_UNOWNED.rawValue, HP_OP_UNOWNED_UNSAFE.rawValue: 0
        case HP_OP_PADDING.rawValue: 0
        default: 1
        }
    }

    /// Whether unpacking these ops leaves work for after the build pass (see `hp_fixup`): the
    /// enum tags around them wait for it.
    static func defers(_ ops: [hp_op]) -> Bool {
        ops.contains {
            [HP_OP_REPLACE.rawValue, HP_OP_WEAK.rawValue, HP_OP_UNOWNED.rawValue, HP_OP_UNOWNED_UNSAFE.rawValue].contains($0.kind)
                || ($0.kind == HP_OP_ENUM.rawValue && $0.sub.pointee.defers != 0)
        }
    }

    static func width(of op: hp_op) -> Int {
        switch op.kind {
        case HP_OP_FUNC.rawValue, HP_OP_STRING.rawValue: 16
        case HP_OP_ENUM.rawValue: Int(op.sub.pointee.size)
        case HP_OP_EXISTENTIAL.rawValue: Int(op.aux.assumingMemoryBound(to: hp_existential.self).pointee.size)
        case HP_OP_REPLACE.rawValue: Int(op.sub.pointee.replaced_size)
        case HP_OP_REFUSED.rawValue: Int(op.sub.pointee.size)
        case HP_OP_PADDING.rawValue: Int(UInt(bitPattern: op.aux))
        default: 8
        }
    }
}
