import CHeapPack

/// Paths name where something sits in a value graph: `[3] > capture 1: Logger > .sink`. Pack
/// errors and packet inspection build them here, the same way, from what the walkers record:
/// (plan, op) steps, array elements, and a closure's code pointer where a hop goes through one
/// (so no path re-derives an address the walk already had).
struct _PathBuilder {
    let engine: _Engine
    /// How many levels of inline nesting a path shows at each end: a million levels would make a
    /// path nobody reads.
    static let endsKept = 32

    /// One hop: the array element that holds the slot, the op's labels, and at a closure's op
    /// (FUNC) the closure's name from the symbol table.
    func hop(_ plan: UnsafePointer<hp_plan>?, _ op: UInt32, element: UInt64 = .max, code: UInt = 0) -> [String] {
        var parts = element == .max ? [] : ["[\(element)]"]
        parts += engine.labels(plan, op)
        if code != 0, let plan, op != .max, op < plan.pointee.op_count,
           plan.pointee.ops[Int(op)].kind == HP_OP_FUNC.rawValue,
           let name = try? engine.images().functionName(code) {
            parts.append(name)
        }
        return parts
    }

    /// The labels of nested inline values, outermost first, keeping both ends of a deep path.
    func nesting(_ steps: some RandomAccessCollection<hp_step>) -> [String] {
        let kept = Self.endsKept
        let count = steps.count
        var parts: [String] = []
        for (position, step) in steps.enumerated() {
            if count > 2 * kept, position >= kept, position < count - kept {
                if position == kept { parts.append("(\(count - 2 * kept) more levels)") }
                continue
            }
            parts += engine.labels(step.plan, step.op)
        }
        return parts
    }
}
