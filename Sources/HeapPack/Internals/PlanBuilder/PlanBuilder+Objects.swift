import CHeapPack

/// Heap objects: the dispatch over heap kinds, class instances and array storage.
extension _PlanBuilder {
    /// The plan of a heap object with this (dynamic) metadata.
    func objectPlan(_ metadata: _Metadata) throws(PackError) -> UnsafeMutablePointer<hp_plan> {
        if let known = objectPlans[metadata.pointer] { return known }
        guard let kind = metadata.kind else {
            throw .unsupported("a heap object whose metadata kind is 0x\(String(metadata.kindWord, radix: 16))")
        }
        let plan: UnsafeMutablePointer<hp_plan>
        switch kind {
        case .class:
            plan = try classPlan(metadata)
        case .heapLocalVariable:
            plan = try contextPlan(metadata)
        case .heapGenericLocalVariable:
            plan = try genericBoxPlan(metadata)
        case .errorObject:
            throw .unsupported("boxed `any Error` values are not supported yet", type: "any Error")
        case .task, .job:
            throw .nonTransferable(_TransferPolicy.taskRefusal, type: kind == .task ? "Swift.Task" : "a job")
        case .struct, .enum, .optional, .foreignClass, .foreignReferenceType, .opaque, .tuple, .function, .existential,
             .metatype, .objcClassWrapper, .existentialMetatype, .extendedExistential, .fixedArray:
            throw .unsupported("a heap object whose metadata kind is 0x\(String(kind.rawValue, radix: 16))")
        }
        objectPlans[metadata.pointer] = plan
        return plan
    }

    func makeObjectPlan(metadata: _Metadata?, typeName: String, size: Int, alignMask: Int, bodyOffset: Int,
                        ops: [hp_op], labels: [[String]]) throws(PackError) -> UnsafeMutablePointer<hp_plan> {
        let order = ops.indices.sorted { ops[$0].offset < ops[$1].offset }
        var end = bodyOffset
        for index in order {
            let op = ops[index]
            guard Int(op.offset) >= end else {
                throw .unsupported("overlapping fields in the layout (misread metadata?)", type: typeName)
            }
            end = Int(op.offset) + Self.width(of: op)
        }
        guard end <= size else { throw .unsupported("fields extend past the object's size", type: typeName) }
        let sortedOps = order.map { ops[$0] }
        let buffer = allocate(hp_op.self, count: sortedOps.count)
        buffer.initialize(from: sortedOps, count: sortedOps.count)
        let plan = newPlan(HP_PLAN_OBJECT, size: size, stride: size, alignMask: alignMask)
        plan.pointee.op_count = UInt32(sortedOps.count)
        plan.pointee.ops = UnsafePointer(buffer)
        plan.pointee.metadata = metadata?.pointer
        plan.pointee.body_offset = UInt32(bodyOffset)
        descriptions[UnsafeRawPointer(plan)] = _PlanDescription(typeName: typeName, labels: order.map { labels[$0] })
        try seal(plan, typeName)
        return plan
    }

    /// The most classes in one chain (the class and its superclasses) that `classChain` follows.
    static let maxClassChain = 256

    /// `metadata` and its superclasses, the class itself first. Refused past `maxClassChain`
    /// classes rather than cut short: fields of the ancestors left out would travel as padding.
    static func classChain(_ metadata: _Metadata, name: String) throws(PackError) -> [_Metadata] {
        var chain: [_Metadata] = []
        var next: UnsafeRawPointer? = metadata.pointer
        while let current = next {
            guard chain.count < maxClassChain else {
                throw .unsupported("the class has more than \(maxClassChain - 1) superclasses", type: name)
            }
            chain.append(_Metadata(current))
            next = _ClassMetadata(_Metadata(current)).superclass
        }
        return chain
    }

    private func classPlan(_ metadata: _Metadata) throws(PackError) -> UnsafeMutablePointer<hp_plan> {
        let name = metadata.name
        let chain = try Self.classChain(metadata, name: name)
        if let refused = metadata.type as? any NeverTransferable.Type {
            throw .nonTransferable(refused.transferRefusal, type: name)
        }
        for ancestor in chain {
            let ancestorName = ancestor.name
            if let reason = _TransferPolicy.refusal(forClassNamed: ancestorName) {
                throw .nonTransferable(reason, type: name)
            }
        }
        if let hooks = _replacementHooks(for: metadata.type) { return try replacedObjectPlan(metadata, hooks, name: name) }
        if name.hasPrefix("Swift._ContiguousArrayStorage<") { return try arrayStoragePlan(metadata, name: name) }
        // Key paths could be rebuilt from their components one day; other tail-allocated
        // storage has no size in its metadata, so it is refused by policy.
        if chain.contains(where: { $0.name == "Swift.AnyKeyPath" }) {
            throw .unsupported("key paths are not supported yet: their storage is tail-allocated and holds "
                               + "offsets and pointers that need the key-path runtime", type: name)
        }
        for ancestor in chain where ancestor.name.hasPrefix("Swift.") {
            throw .nonTransferable("\(ancestor.name) is a standard-library class with tail-allocated storage "
                                   + "(ManagedBuffer and the like), whose size its metadata does not give", type: name)
        }
        // Fields of the whole chain, root class first, so each field's room is known.
        var fields: [(name: String, typeName: _MangledName, offset: Int, descriptor: UnsafeRawPointer,
                      arguments: UnsafeRawPointer?, owner: String)] = []
        let object = _ClassMetadata(metadata)
        for ancestor in chain.reversed() {
            guard let type = ancestor.typeDescriptor else {
                throw .unsupported("class metadata without a descriptor", type: ancestor.name)
            }
            let descriptor = _ClassDescriptor(type)
            if descriptor.isActor {
                throw .nonTransferable(_TransferPolicy.actorRefusal(for: metadata.type), type: name)
            }
            let fieldCount = descriptor.numFields
            if fieldCount == 0 { continue }
            guard let records = type.fieldRecords, records.count == fieldCount else {
                throw .unsupported("the class has no reflection metadata" + Self.noReflectionAdvice,
                                   type: ancestor.name)
            }
            guard let offsets = object.fieldOffsets(of: descriptor) else {
                throw .unsupported("resilient class without stored metadata bounds", type: ancestor.name)
            }
            let genericArguments = type.flags.isGeneric ? object.genericArguments(of: descriptor) : nil
            for (index, record) in records.enumerated() {
                guard let typeName = record.typeName else {
                    throw .unsupported("field .\(record.name) has no type name", type: ancestor.name)
                }
                fields.append((record.name, typeName, offsets[index], type.pointer, genericArguments, ancestor.name))
            }
        }
        let instanceSize = object.instanceSize
        var ops: [hp_op] = []
        var labels: [[String]] = []
        var children: [_ValueLayout] = []
        var types: [_Metadata?] = []
        for field in fields {
            children.append(try within("." + field.name) { () throws(PackError) -> _ValueLayout in
                try fieldLayout(field.typeName, context: field.descriptor, arguments: field.arguments,
                                owner: field.owner, what: "field .\(field.name)", depth: 0)
            })
            types.append(try? resolve(field.typeName, context: field.descriptor, arguments: field.arguments,
                                      owner: "", what: ""))
        }
        try placeFields(children, types: types, offsets: fields.map(\.offset), from: _HeapObject.headerSize,
                        size: instanceSize, labels: fields.map { "." + $0.name }, into: &ops, labels: &labels)
        return try makeObjectPlan(metadata: metadata, typeName: name, size: instanceSize, alignMask: object.instanceAlignMask,
                                  bodyOffset: _HeapObject.headerSize, ops: ops, labels: labels)
    }

    /// The `Element` of `_ContiguousArrayStorage<Element>` metadata: its one generic argument.
    static func arrayElement(of storage: _Metadata) -> _Metadata? {
        storage.genericArguments.map { _Metadata($0.load(as: UnsafeRawPointer.self)) }
    }

    /// `_ContiguousArrayStorage<Element>`: `_ArrayBody` (count, capacity<<1) at +16, then
    /// `count` elements. Only the count travels; the receiver allocates exactly that capacity.
    private func arrayStoragePlan(_ metadata: _Metadata, name: String) throws(PackError) -> UnsafeMutablePointer<hp_plan> {
        guard let element = Self.arrayElement(of: metadata) else {
            throw .unsupported("array storage without descriptor", type: name)
        }
        let elementLayout = try within("[element]") { () throws(PackError) in try layout(element) }
        let elementPlan = try cPlan(for: elementLayout)
        let alignMask = max(7, elementLayout.alignMask)
        let header = _ContiguousArrayStorage.headerSize
        let tailOffset = (header + alignMask) & ~alignMask
        let plan = try makeObjectPlan(metadata: metadata, typeName: name, size: header, alignMask: alignMask,
                                      bodyOffset: header, ops: [], labels: [])
        plan.pointee.has_tail = 1
        plan.pointee.tail_offset = UInt32(tailOffset)
        plan.pointee.count_offset = UInt32(_ContiguousArrayStorage.countOffset)
        plan.pointee.element = UnsafePointer(elementPlan)
        try seal(plan, name)
        return plan
    }
}
