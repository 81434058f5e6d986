import CHeapPack

/// Boxes: indirect enum payloads and captured `var`s, planned from the slot that refers to them.
extension _PlanBuilder {
    /// Recursive indirect enums reach their own box again while it is being planned: the box
    /// plan is registered as an empty shell first (the recursion stops there) and filled after.
    /// If planning fails, everything memoised meanwhile is rolled back, so that no cached
    /// layout keeps pointing at a shell that was never filled.
    func boxReference(to payload: _Metadata, label: String, depth: Int) throws(PackError) -> _ValueLayout {
        let plan: UnsafeMutablePointer<hp_plan>
        if let known = boxPlans[payload.pointer] {
            plan = known
        } else {
            plan = allocate(hp_plan.self)
            plan.initialize(to: hp_plan())
            // An object plan from the start: the values that refer to the shell are sealed before it is filled.
            plan.pointee.kind = HP_PLAN_OBJECT.rawValue
            let mark = journal.count
            boxPlans[payload.pointer] = plan
            journal.append(.box(payload.pointer))
            boxesInProgress += 1
            defer {
                boxesInProgress -= 1
                if boxesInProgress == 0 { journal.removeAll(keepingCapacity: true) }
            }
            do throws(PackError) {
                let value = try within("box of \(payload.name)") { () throws(PackError) in try layout(payload, depth: depth) }
                let offset = _HeapObject.bodyOffset(alignMask: value.alignMask)
                var ops: [hp_op] = []
                var labels: [[String]] = []
                try append(value, at: offset, label: nil, to: &ops, labels: &labels)
                // The receiver allocates the box with its runtime's own box metadata for the
                // payload type (whose destroy function destroys a payload of that type), never
                // with box metadata a packet names.
                guard let boxMetadata = hp_box_metadata(payload.pointer) else {
                    throw .unsupported("the runtime makes no box for \(payload.name)")
                }
                let filled = try makeObjectPlan(metadata: _Metadata(boxMetadata), typeName: "box of \(payload.name)",
                                                size: offset + value.size,
                                                alignMask: max(7, value.alignMask), bodyOffset: _HeapObject.headerSize,
                                                ops: ops, labels: labels)
                plan.pointee = filled.pointee
                descriptions[UnsafeRawPointer(plan)] = descriptions[UnsafeRawPointer(filled)]
            } catch {
                for entry in journal[mark...] {
                    switch entry {
                    case .layout(let key): layouts[key] = nil
                    case .box(let key): boxPlans[key] = nil
                    }
                }
                journal.removeSubrange(mark...)
                throw error
            }
        }
        return _ValueLayout(typeName: "box of \(payload.name)", size: 8, stride: 8, alignMask: 7,
                            ops: [Self.op(HP_OP_REF, at: 0, sub: UnsafePointer(plan))],
                            labels: [[label]])
    }

    /// A captured `var`: `<T>z_Xx` names a box of T. A box with a generic layout (`...XX`) has
    /// runtime-made metadata per boxed type (kind 0x500), which is reliable: no override.
    func varBoxReference(_ name: _MangledName, parameters: [UnsafeRawPointer]) throws(PackError) -> _ValueLayout {
        let text = name.plainText
        if text.hasSuffix("XX") {
            return _ValueLayout(typeName: "generic var box", size: 8, stride: 8, alignMask: 7,
                                ops: [Self.op(HP_OP_REF, at: 0)], labels: [[]])
        }
        let suffix = text.hasSuffix("z_Xx") ? 4 : 3
        let boxedLength = name.length - suffix
        let found: UnsafeRawPointer?
        if parameters.isEmpty {
            found = hp_type_by_mangled_name(name.start, boxedLength, nil, nil)
        } else {
            found = parameters.map(Optional.some).withUnsafeBufferPointer {
                hp_type_by_mangled_name_with_parameters(name.start, boxedLength, UInt32($0.count), $0.baseAddress)
            }
        }
        guard boxedLength > 0, let found else {
            throw .unsupported("a captured var whose box type '\(text)' does not resolve")
        }
        return try boxReference(to: _Metadata(found), label: "var", depth: 0)
    }

    /// A runtime-made box: the value after the header at the boxed type's alignment.
    func genericBoxPlan(_ metadata: _Metadata) throws(PackError) -> UnsafeMutablePointer<hp_plan> {
        let boxed = _GenericBoxHeapMetadata(metadata).boxedType
        let value = try within("boxed \(boxed.name)") { () throws(PackError) in try layout(boxed) }
        let offset = _HeapObject.bodyOffset(alignMask: value.alignMask)
        var ops: [hp_op] = []
        var labels: [[String]] = []
        try append(value, at: offset, label: nil, to: &ops, labels: &labels)
        return try makeObjectPlan(metadata: metadata, typeName: "box of \(boxed.name)", size: offset + value.size,
                                  alignMask: max(7, value.alignMask), bodyOffset: _HeapObject.headerSize, ops: ops,
                                  labels: labels)
    }
}
