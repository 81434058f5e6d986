import CHeapPack

/// Value types whose metadata gives their layout directly: structs (with or without
/// metadata), tuples, functions and builtins.
extension _PlanBuilder {
    func structLayout(_ metadata: _Metadata, depth: Int) throws(PackError) -> _ValueLayout {
        guard let type = metadata.typeDescriptor else {
            throw .unsupported("struct metadata without a descriptor", type: metadata.name)
        }
        let descriptor = type.pointer
        let fields = _StructDescriptor(type)
        let fieldCount = fields.numFields
        if fieldCount == 0 { return trivial(metadata) }
        guard let records = type.fieldRecords, records.count == fieldCount else {
            throw .unsupported("the struct has no reflection metadata (imported from C?)" + Self.noReflectionAdvice,
                               type: metadata.name)
        }
        var ops: [hp_op] = []
        var labels: [[String]] = []
        let value = _ValueMetadata(metadata)
        let offsets = value.structFieldOffsets(fields)
        var children: [_ValueLayout] = []
        var types: [_Metadata?] = []
        var fieldLabels: [String?] = []
        for record in records {
            guard let typeName = record.typeName else {
                throw .unsupported("field .\(record.name) has no type name", type: metadata.name)
            }
            let label = Self.pathLabel(ofField: record.name, in: metadata)
            let child = try within(label) { () throws(PackError) -> _ValueLayout in
                try fieldLayout(typeName, context: descriptor, arguments: value.genericArguments,
                                owner: metadata.name, what: "field .\(record.name)", depth: depth)
            }
            children.append(child)
            // A raw pointer is named by the pointer type that holds it, as every refusal ends with a type.
            let isRawPointer = child.ops.count == 1 && child.ops[0].kind == HP_OP_RAW_POINTER.rawValue
            fieldLabels.append(label ?? (isRawPointer ? metadata.name : nil))
            types.append(try? resolve(typeName, context: descriptor, arguments: value.genericArguments, owner: "", what: ""))
        }
        try placeFields(children, types: types, offsets: offsets, size: metadata.size,
                        labels: fieldLabels, into: &ops, labels: &labels)
        let storageField = metadata.name.hasPrefix("Swift._ContiguousArrayBuffer<") ? "_storage"
            : metadata.name.hasPrefix("Swift._SliceBuffer<") ? "owner" : nil
        if let storageField, let field = records.firstIndex(where: { $0.name == storageField }) {
            try bindArrayStorage(&ops, at: offsets[field], in: metadata)
        }
        if metadata.name.hasPrefix("Swift._SliceBuffer<") { try pointIntoOwner(&ops, labels: labels, in: metadata) }
        return _ValueLayout(typeName: metadata.name, size: metadata.size, stride: metadata.stride,
                            alignMask: metadata.alignMask, ops: ops, labels: labels)
    }

    /// How field `name` of `owner` reads in a path: `.name`, or nothing for the standard library's
    /// own underscored storage (`Array._buffer`, `_ContiguousArrayBuffer._storage`,
    /// `UnsafeMutablePointer._rawValue`), which says nothing to a reader of the path.
    static func pathLabel(ofField name: String, in owner: _Metadata) -> String? {
        owner.name.hasPrefix("Swift.") && name.hasPrefix("_") ? nil : "." + name
    }

    /// ArraySlice's buffer keeps `subscriptBaseAddress`, a raw pointer into the elements of its
    /// `owner`. It travels as an offset from the owner, which the reader reads just before, and
    /// which it checks with the slice's indices against the owner's elements (the op's sub-plan).
    private func pointIntoOwner(_ ops: inout [hp_op], labels: [[String]], in metadata: _Metadata) throws(PackError) {
        let type = metadata.name
        guard let owner = labels.firstIndex(of: [".owner"]),
              let pointer = labels.firstIndex(where: { $0.first == ".subscriptBaseAddress" }),
              pointer == owner + 1, ops[owner].kind == HP_OP_REF.rawValue,
              ops[pointer].kind == HP_OP_RAW_POINTER.rawValue,
              let element = metadata.genericArguments?.load(as: UnsafeRawPointer.self) else {
            throw .unsupported("an ArraySlice buffer with an unexpected layout", type: type)
        }
        let elementPlan = try cPlan(for: try layout(_Metadata(element)))
        let distance = Int(ops[owner].offset) - Int(ops[pointer].offset)
        ops[pointer] = Self.op(HP_OP_INTERIOR, at: Int(ops[pointer].offset),
                               data: hp_op_data(owner_distance: Int64(distance)), sub: UnsafePointer(elementPlan))
    }

    func tupleLayout(_ metadata: _Metadata, depth: Int) throws(PackError) -> _ValueLayout {
        let tuple = _TupleMetadata(metadata)
        let count = tuple.numElements
        var ops: [hp_op] = []
        var labels: [[String]] = []
        let offsets = (0..<count).map(tuple.elementOffset)
        var children: [_ValueLayout] = []
        var types: [_Metadata?] = []
        for index in 0..<count {
            let type = tuple.elementType(index)
            children.append(try within(".\(index)") { () throws(PackError) in try layout(type, depth: depth) })
            types.append(type)
        }
        try placeFields(children, types: types, offsets: offsets, size: metadata.size,
                        labels: (0..<count).map { ".\($0)" }, into: &ops, labels: &labels)
        return _ValueLayout(typeName: metadata.name, size: metadata.size, stride: metadata.stride,
                            alignMask: metadata.alignMask, ops: ops, labels: labels)
    }

    func functionLayout(_ metadata: _Metadata) throws(PackError) -> _ValueLayout {
        let flags = _FunctionMetadata(metadata).flags
        // The reader checks that a code pointer is a function's entry, or for an async function
        // an AsyncFunctionPointer record whose function is.
        let code = hp_op_data(async_function: flags.isAsync ? 1 : 0)
        switch flags.convention {
        case .swift where metadata.size == 16: return leaf(metadata, HP_OP_FUNC, data: code)
        case .thin, .cFunctionPointer: return leaf(metadata, HP_OP_STATIC, data: code)
        case .block: throw .unsupported("@convention(block) functions are not supported", type: metadata.name)
        case .swift, nil: throw .unsupported("this function representation is not supported", type: metadata.name)
        }
    }

    func builtinLayout(_ metadata: _Metadata) throws(PackError) -> _ValueLayout {
        let pointer = metadata.pointer
        if pointer == nativeObject || pointer == unknownObject { return leaf(metadata, HP_OP_REF, data: bound(HP_BOUND_ANY)) }
        if pointer == rawPointer { return leaf(metadata, HP_OP_RAW_POINTER) }
        if pointer == int1 { return booleanLayout(metadata) }
        if pointer == bridgeObject {
            throw .unsupported("a Builtin.BridgeObject field (Dictionary, Set and other bridged storage are not supported yet)",
                               type: metadata.name)
        }
        if metadata.isTrivial { return trivial(metadata) }
        throw .unsupported("a non-trivial builtin type", type: metadata.name)
    }

    /// A non-generic struct the compiler emitted a descriptor but no metadata for (function-local
    /// types captured at -O). Non-resilient struct layout is fixed by the language: fields in
    /// declaration order, each at its alignment; so it can be computed from the field records.
    func metadataFreeStructLayout(_ name: _MangledName, depth: Int = 0) throws(PackError) -> _ValueLayout? {
        guard let descriptor = name.directDescriptor else { return nil }
        let type = _TypeContextDescriptor(descriptor)
        guard type.flags.kind == .struct, !type.flags.isGeneric else { return nil }
        if let known = layouts[descriptor] { return known }
        let typeName = type.name
        guard depth < Self.maxDepth, let records = type.fieldRecords,
              records.count == _StructDescriptor(type).numFields else {
            throw .unsupported("local struct without reflection metadata", type: typeName)
        }
        var ops: [hp_op] = []
        var labels: [[String]] = []
        var offset = 0
        var alignMask = 0
        for record in records {
            guard let fieldName = record.typeName else { throw .unsupported("field without a type", type: typeName) }
            let child: _ValueLayout
            if let found = hp_type_by_mangled_name(fieldName.start, fieldName.length, descriptor, nil) {
                if let storage = fieldName.referenceStorage {
                    child = referenceLayout(storage, referent: _Metadata(found))
                } else {
                    child = stored(try layout(_Metadata(found)), type: _Metadata(found))
                }
            } else if let nested = try metadataFreeStructLayout(fieldName, depth: depth + 1) {
                child = nested
            } else {
                throw .unsupported("field .\(record.name) has type '\(fieldName.displayName)' with no runtime metadata; "
                                   + "declare the type outside the function", type: typeName)
            }
            try layOut(child, after: &offset, label: "." + record.name, to: &ops, labels: &labels)
            alignMask = max(alignMask, child.alignMask)
        }
        let stride = max(1, (offset + alignMask) & ~alignMask)
        let made = _ValueLayout(typeName: typeName, size: offset, stride: stride, alignMask: alignMask, ops: ops,
                                labels: labels)
        layouts[descriptor] = made
        return made
    }
}
