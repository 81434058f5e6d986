import CHeapPack

/// Closure contexts: captures laid out in order from the capture descriptor.
extension _PlanBuilder {
    /// Closure contexts and boxes (metadata kind 0x400): captures described by the capture
    /// descriptor, laid out in order, each at its own alignment.
    func contextPlan(_ metadata: _Metadata) throws(PackError) -> UnsafeMutablePointer<hp_plan> {
        let context = _HeapLocalVariableMetadata(metadata)
        let firstCapture = context.offsetToFirstCapture
        guard let captures = context.captureDescriptor else {
            throw .unsupported("the closure context has no capture descriptor" + Self.noReflectionAdvice)
        }
        let captureCount = captures.numCaptureTypes
        if captures.numMetadataSources > 0 || captures.numBindings > 0 {
            // The layout depends on the bindings each context carries: a template, specialised
            // per object by instancePlan.
            let template = allocate(hp_plan.self)
            template.initialize(to: hp_plan())
            template.pointee.kind = HP_PLAN_OBJECT.rawValue
            template.pointee.metadata = metadata.pointer
            template.pointee.per_instance = 1
            descriptions[UnsafeRawPointer(template)] = _PlanDescription(typeName: "generic closure context", labels: [])
            return template
        }
        let laid = try layCaptures(captures, count: captureCount, from: firstCapture, parameters: [])
        return try makeObjectPlan(metadata: metadata, typeName: "closure context", size: laid.size,
                                  alignMask: laid.alignMask, bodyOffset: firstCapture, ops: laid.ops, labels: laid.labels)
    }

    /// Lays captures out in order from `start`, each at its own alignment (closure contexts,
    /// plain and generic).
    func layCaptures(_ captures: _CaptureDescriptor, count: Int, from start: Int,
                     parameters: [UnsafeRawPointer]) throws(PackError)
        -> (ops: [hp_op], labels: [[String]], size: Int, alignMask: Int) {
        var ops: [hp_op] = []
        var labels: [[String]] = []
        var offset = start
        var alignMask = 7
        for index in 0..<count {
            guard let name = captures.captureTypeName(index) else {
                throw .unsupported("capture \(index) has no type name")
            }
            let child = try captureLayout(name, index: index, parameters: parameters)
            try layOut(child, after: &offset, label: "capture \(index): \(child.typeName)", to: &ops, labels: &labels)
            alignMask = max(alignMask, child.alignMask)
        }
        return (ops, labels, offset, alignMask)
    }

    func captureLayout(_ name: _MangledName, index: Int,
                       parameters: [UnsafeRawPointer]) throws(PackError) -> _ValueLayout {
        let found: UnsafeRawPointer?
        if parameters.isEmpty {
            found = hp_type_by_mangled_name(name.start, name.length, nil, nil)
        } else {
            found = parameters.map(Optional.some).withUnsafeBufferPointer {
                hp_type_by_mangled_name_with_parameters(name.start, name.length, UInt32($0.count), $0.baseAddress)
            }
        }
        if let found {
            let captured = _Metadata(found)
            return stored(try within("capture \(index): \(captured.name)") { () throws(PackError) -> _ValueLayout in
                if let storage = name.referenceStorage { return referenceLayout(storage, referent: captured) }
                return try layout(captured)
            }, type: captured)
        }
        if parameters.isEmpty, let local = try metadataFreeStructLayout(name) { return local }
        if name.isSILBox { return try varBoxReference(name, parameters: parameters) }
        if let thick = name.silFunctionIsThick {
            return _ValueLayout(typeName: "function", size: thick ? 16 : 8, stride: thick ? 16 : 8, alignMask: 7,
                                ops: [Self.op(thick ? HP_OP_FUNC : HP_OP_STATIC, at: 0,
                                              data: hp_op_data(async_function: name.silFunctionIsAsync ? 1 : 0))],
                                labels: [[]])
        }
        if parameters.isEmpty {
            throw .unsupported("capture \(index) has type '\(name.displayName)', which has no runtime metadata "
                               + "in this binary (the compiler omits it for some function-local types at -O); "
                               + "declare the type outside the function")
        }
        throw .unsupported("capture \(index) of a generic closure has type '\(name.displayName)', which the "
                           + "runtime cannot resolve from the context's generic parameters")
    }
}
