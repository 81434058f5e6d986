import CHeapPack

/// `PackReplaceable` types: the value travels as its replacement.
extension _PlanBuilder {
    /// One REPLACE op over the whole value; its sub-plan is the replacement's plan (a copy of
    /// it, since that plan may also serve as an ordinary one, as `[Element]` does for Set).
    func replacementLayout(_ metadata: _Metadata, _ replaceable: any _Replaceable.Type,
                           depth: Int) throws(PackError) -> _ValueLayout {
        let replacement = try within("as \(_typeName(replaceable._replacementType, qualified: false))") {
            () throws(PackError) in try layout(_Metadata(replaceable._replacementType), depth: depth)
        }
        let shared = try cPlan(for: replacement)
        let plan = allocate(hp_plan.self)
        plan.initialize(to: shared.pointee)
        plan.pointee.replaced_size = UInt32(metadata.size)
        descriptions[UnsafeRawPointer(plan)] = _PlanDescription(typeName: replacement.typeName, labels: replacement.labels)
        return _ValueLayout(typeName: metadata.name, size: metadata.size, stride: metadata.stride,
                            alignMask: metadata.alignMask,
                            ops: [Self.op(HP_OP_REPLACE, at: 0,
                                          data: hp_op_data(replaced_type: unsafeBitCast(replaceable as Any.Type, to: UnsafeRawPointer.self)),
                                          sub: UnsafePointer(plan))],
                            labels: [[]])
    }

    /// A `PackReplaceable` class reached as an object (a closure's only capture, `AnyObject`, a
    /// supertype): it travels once, as its replacement, right after the reference that
    /// introduces it, and the receiver rebuilds it there. That happens while other objects are
    /// still being filled, so the replacement must hold plain data only.
    func replacedObjectPlan(_ metadata: _Metadata, _ hooks: any _Replaceable.Type,
                            name: String) throws(PackError) -> UnsafeMutablePointer<hp_plan> {
        let replacementType = _typeName(hooks._replacementType, qualified: false)
        let replacement = try within("as \(replacementType)") { () throws(PackError) in
            try layout(_Metadata(hooks._replacementType))
        }
        guard replacement.ops.allSatisfy(Self.isPlainData) else {
            throw .unsupported("\(name) is PackReplaceable and is reached as an object (a closure's only capture, "
                               + "AnyObject or a supertype), where its replacement must be plain data, but "
                               + "\(replacementType) holds references, closures or existentials; reach it through a "
                               + "property of its own type instead", type: name)
        }
        let op = allocate(hp_op.self)
        op.initialize(to: Self.op(HP_OP_REPLACE, at: 0, data: hp_op_data(replaced_type: unsafeBitCast(hooks as Any.Type, to: UnsafeRawPointer.self)),
                                  sub: UnsafePointer(try cPlan(for: replacement))))
        let plan = try makeObjectPlan(metadata: metadata, typeName: name, size: _HeapObject.headerSize, alignMask: 7,
                                      bodyOffset: _HeapObject.headerSize, ops: [], labels: [])
        plan.pointee.replacement = UnsafePointer(op)
        try seal(plan, name)
        return plan
    }

    /// Bytes, strings, static pointers and metatypes, in enums too: nothing that refers to an
    /// object or defers work.
    private static func isPlainData(_ op: hp_op) -> Bool {
        switch op.kind {
        case HP_OP_STRING.rawValue, HP_OP_STATIC.rawValue, HP_OP_STATIC_STRING.rawValue, HP_OP_METADATA.rawValue:
            return true
        case HP_OP_ENUM.rawValue:
            let plan = op.sub.pointee
            return (0..<Int(plan.payload_case_count)).allSatisfy { index in
                guard let payload = plan.payloads[index] else { return true }
                return (0..<Int(payload.pointee.op_count)).allSatisfy { isPlainData(payload.pointee.ops[$0]) }
            }
        default:
            return false
        }
    }
}
