import CHeapPack

/// Enums: a plan per payload case behind one ENUM op, the tag left to the value witnesses. An
/// enum of plain data travels as its bytes, checked: a case index (BELOW), or by its witnesses (TAG).
extension _PlanBuilder {
    func enumLayout(_ metadata: _Metadata, depth: Int) throws(PackError) -> _ValueLayout {
        guard let type = metadata.typeDescriptor else {
            throw .unsupported("enum metadata without a descriptor", type: metadata.name)
        }
        let descriptor = type.pointer
        let arguments = _ValueMetadata(metadata).genericArguments
        let payloadCount = _EnumDescriptor(type).numPayloadCases
        let emptyCount = _EnumDescriptor(type).numEmptyCases
        if payloadCount == 0 {
            if metadata.size == 0 { return trivial(metadata) }
            if let index = caseIndexLayout(metadata, cases: emptyCount) { return index }
            return try taggedLayout(metadata, payloads: [], caseLabels: [], emptyCount: emptyCount)
        }
        guard let records = type.fieldRecords, records.count == payloadCount + emptyCount else {
            throw .unsupported("the enum has no reflection metadata" + Self.noReflectionAdvice, type: metadata.name)
        }
        // Field records list payload cases first, in tag order (verified on 6.3.1).
        var payloads: [_ValueLayout] = []
        for record in records.prefix(payloadCount) {
            guard let typeName = record.typeName else {
                throw .unsupported("case .\(record.name) has no payload type name", type: metadata.name)
            }
            if record.isIndirectCase {
                // The payload lives in a box; plan the box from the payload type (see boxPlan).
                let payload = try resolve(typeName, context: descriptor, arguments: arguments,
                                          owner: metadata.name, what: "case .\(record.name)")
                payloads.append(try boxReference(to: payload, label: "box", depth: depth))
                continue
            }
            payloads.append(try within("case .\(record.name)") { () throws(PackError) in
                try fieldLayout(typeName, context: descriptor, arguments: arguments,
                                owner: metadata.name, what: "case .\(record.name)", depth: depth)
            })
        }
        // A path through Optional reads better without `case .some`; other enums keep the case.
        let caseLabels = records.map { metadata.kind == .optional ? [] : ["case ." + $0.name] }
        if payloads.allSatisfy({ $0.ops.isEmpty }) {
            // Plain data with its tag among the bytes: any bit pattern of the payloads is one of
            // their values, but not of the tag.
            if metadata.size == 0 { return trivial(metadata) }
            if metadata.size <= Int(HP_MAX_TAG_SIZE) {
                return try taggedLayout(metadata, payloads: payloads, caseLabels: caseLabels, emptyCount: emptyCount)
            }
        }
        if payloadCount == 1, let inhabitants = extraInhabitantLayout(metadata, payload: payloads[0], emptyCases: emptyCount) {
            return inhabitants
        }
        // Optional<SomeClass> and the like: nil is the null pointer, so the reference op alone
        // describes the value and no value-witness call is needed.
        if payloadCount == 1, emptyCount == 1, metadata.size == 8, payloads[0].ops.count == 1,
           payloads[0].ops[0].kind == HP_OP_REF.rawValue, payloads[0].ops[0].offset == 0 {
            return _ValueLayout(typeName: metadata.name, size: 8, stride: 8, alignMask: 7,
                                ops: [allowingNil(payloads[0].ops[0])], labels: payloads[0].labels.map { caseLabels[0] + $0 })
        }
        let plan = try enumPlan(metadata, payloads: payloads, caseLabels: caseLabels, emptyCount: emptyCount)
        return _ValueLayout(typeName: metadata.name, size: metadata.size, stride: metadata.stride,
                            alignMask: metadata.alignMask,
                            ops: [Self.op(HP_OP_ENUM, at: 0, sub: UnsafePointer(plan))],
                            labels: [[]])
    }

    /// An enum of plain data as its bytes, which the reader checks with the enum's witnesses.
    private func taggedLayout(_ metadata: _Metadata, payloads: [_ValueLayout], caseLabels: [[String]],
                              emptyCount: Int) throws(PackError) -> _ValueLayout {
        let plan = try enumPlan(metadata, payloads: payloads, caseLabels: caseLabels, emptyCount: emptyCount)
        return leaf(metadata, HP_OP_TAG, sub: UnsafePointer(plan))
    }

    /// The HP_PLAN_ENUM of an ENUM or TAG op: the case count and a plan per payload case.
    private func enumPlan(_ metadata: _Metadata, payloads: [_ValueLayout], caseLabels: [[String]],
                          emptyCount: Int) throws(PackError) -> UnsafeMutablePointer<hp_plan> {
        let payloadCount = payloads.count
        let casePlans = UnsafeMutablePointer<UnsafePointer<hp_plan>?>.allocate(capacity: max(payloadCount, 1))
        allocations.append(UnsafeMutableRawPointer(casePlans))
        for (index, payload) in payloads.enumerated() {
            // A plan per case, even when cases share a payload type, so that a failure site
            // inside a payload names its case.
            let shared = try cPlan(for: payload)
            let own = allocate(hp_plan.self)
            own.initialize(to: shared.pointee)
            descriptions[UnsafeRawPointer(own)] = _PlanDescription(
                typeName: payload.typeName, labels: payload.labels.map { caseLabels[index] + $0 })
            casePlans[index] = UnsafePointer(own)
        }
        let plan = newPlan(HP_PLAN_ENUM, size: metadata.size, stride: metadata.stride, alignMask: metadata.alignMask)
        plan.pointee.metadata = metadata.pointer
        plan.pointee.case_count = UInt32(payloadCount + emptyCount)
        plan.pointee.payload_case_count = UInt32(payloadCount)
        plan.pointee.payloads = UnsafePointer(casePlans)
        descriptions[UnsafeRawPointer(plan)] = _PlanDescription(typeName: metadata.name, labels: [])
        try seal(plan, metadata.name)
        return plan
    }
}
