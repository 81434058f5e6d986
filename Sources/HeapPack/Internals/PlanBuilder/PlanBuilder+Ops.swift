import CHeapPack

/// Ops: the one place that makes them and reads their shape. The shape itself (width, fewest
/// wire bytes, whether reading defers work) is the shim's op table (`HP_OP_TABLE`), and the
/// shim checks every finished plan against the contract (`hp_plan_seal`).
extension _PlanBuilder {
    /// Every op is made here: what `data` holds depends on the kind (see `hp_op_data`).
    static func op(_ kind: hp_op_kind, at offset: Int, data: hp_op_data = hp_op_data(),
                   sub: UnsafePointer<hp_plan>? = nil) -> hp_op {
        hp_op(kind: kind.rawValue, offset: UInt32(offset), data: data, sub: sub)
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

    /// How many bytes of its value `op` covers, from the shim's op table.
    static func width(of op: hp_op) -> Int {
        withUnsafePointer(to: op) { Int(hp_op_width($0)) }
    }

    /// Checks a finished plan against the walkers' contract and fills its derived fields
    /// (fewest wire bytes, deferred work). Failing is a bug here, not a property of the type.
    func seal(_ plan: UnsafeMutablePointer<hp_plan>, _ typeName: String) throws(PackError) {
        var op: UInt32 = 0
        guard hp_plan_seal(plan, &op) == HP_OK else {
            throw .internalInconsistency("the layout plan of \(typeName) breaks the plan contract"
                                         + (op == UInt32.max ? "" : " at its op \(op)"))
        }
    }
}
