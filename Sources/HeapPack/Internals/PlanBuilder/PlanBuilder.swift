import CHeapPack

/// What error paths need to know about a materialized plan.
struct _PlanDescription {
    let typeName: String
    let labels: [[String]]
}

/// Reads runtime metadata into layout plans (one switch over every metadata kind, memoised per
/// type, depth-guarded). Not thread-safe: `Packer` serialises access.
///
/// The same plans drive pack and unpack, so the two walks cannot drift apart.
final class _PlanBuilder {
    var layouts: [UnsafeRawPointer: _ValueLayout] = [:]
    var objectPlans: [UnsafeRawPointer: UnsafeMutablePointer<hp_plan>] = [:]
    var instancePlans: [_InstanceKey: UnsafeMutablePointer<hp_plan>] = [:]
    /// For each per-instance plan: the context metadata and how to remake its bindings.
    var instances: [UnsafeRawPointer: (metadata: _Metadata, parameters: [_Metadata], bindings: [_Binding])] = [:]
    var descriptions: [UnsafeRawPointer: _PlanDescription] = [:]
    var allocations: [UnsafeMutableRawPointer] = []
    private let stringMetadata = _Metadata(String.self).pointer
    private let staticStringMetadata = _Metadata(StaticString.self).pointer
    let emptyTupleMetadata = _Metadata(Void.self).pointer
    let nativeObject = hp_type_by_mangled_name("Bo", 2, nil, nil)
    let unknownObject = hp_type_by_mangled_name("BO", 2, nil, nil)
    let rawPointer = hp_type_by_mangled_name("Bp", 2, nil, nil)
    let bridgeObject = hp_type_by_mangled_name("Bb", 2, nil, nil)
    let int1 = hp_type_by_mangled_name("Bi1_", 4, nil, nil)

    static let maxDepth = 64
    static let noReflectionAdvice = ": its module was built without reflection metadata "
        + "(-disable-reflection-metadata or -reflection-metadata-for-debugger-only); rebuild it without that flag"

    deinit {
        for allocation in allocations { allocation.deallocate() }
    }

    func layout(_ metadata: _Metadata, depth: Int = 0) throws(PackError) -> _ValueLayout {
        if let known = layouts[metadata.pointer] { return known }
        guard depth < Self.maxDepth else {
            depthRefusals += 1
            throw .unsupported(Self.depthRefusal, type: metadata.name)
        }
        let made: _ValueLayout
        let depthRefusalsBefore = depthRefusals
        do throws(PackError) {
            let candidate = try makeLayout(metadata, depth: depth + 1)
            try Self.validate(candidate)
            made = candidate
        } catch where depthRefusals == depthRefusalsBefore && Self.defersRefusal(error, of: metadata) {
            // Refused where a value of the type is met, not here: only the walk knows the
            // index or key it sits at, and an empty array or a nil of the type has nothing to refuse.
            made = refusedLayout(metadata, error)
        }
        made.boxedInExistential = metadata.isBoxedInExistential
        layouts[metadata.pointer] = made
        if boxesInProgress > 0 { journal.append(.layout(metadata.pointer)) }
        return made
    }

    static let depthRefusal = "the type nests more than \(maxDepth) levels deep"

    /// How many times the depth guard has refused. A layout during which it refused is not
    /// deferred: the refusal depends on where the type was reached from, and a layout is
    /// cached for every place.
    private var depthRefusals = 0

    /// Whether a layout failure becomes a REFUSED op. Not for kinds without value witnesses
    /// (boxes, contexts) or unknown kinds, whose size could not be read.
    private static func defersRefusal(_ error: PackError, of metadata: _Metadata) -> Bool {
        (error.code == .nonTransferable || error.code == .unsupported) && metadata.kind?.isType == true
    }

    /// Refusals met by the walk at REFUSED ops, by the op's stand-in plan.
    private(set) var refusals: [UnsafeRawPointer: PackError] = [:]

    private func refusedLayout(_ metadata: _Metadata, _ refusal: PackError) -> _ValueLayout {
        let standIn = newPlan(HP_PLAN_VALUE, size: metadata.size, stride: metadata.stride, alignMask: metadata.alignMask)
        var named = refusal
        if named.typeName == nil { named.typeName = metadata.name }
        refusals[UnsafeRawPointer(standIn)] = named
        return _ValueLayout(typeName: metadata.name, size: metadata.size, stride: metadata.stride,
                            alignMask: metadata.alignMask,
                            ops: [Self.op(HP_OP_REFUSED, at: 0, sub: UnsafePointer(standIn))],
                            labels: [[]])
    }

    private func makeLayout(_ metadata: _Metadata, depth: Int) throws(PackError) -> _ValueLayout {
        guard let kind = metadata.kind else {
            throw .unsupported("unknown metadata kind 0x\(String(metadata.kindWord, radix: 16))")
        }
        if kind.isType {
            // Real types only (not context or box metadata): the user's word comes first.
            if let refused = metadata.type as? any NeverTransferable.Type {
                throw .nonTransferable(refused.transferRefusal, type: metadata.name)
            }
            if kind != .class, let reason = _TransferPolicy.refusal(forValueTypeNamed: metadata.name) {
                throw .nonTransferable(reason, type: metadata.name)
            }
            if metadata.pointer != stringMetadata, let hooks = _replacementHooks(for: metadata.type) {
                return try replacementLayout(metadata, hooks, depth: depth)
            }
        }
        switch kind {
        case .struct:
            if metadata.pointer == stringMetadata { return leaf(metadata, HP_OP_STRING) }
            // `_startPtrOrData` is a Builtin.Word, which looks like an integer: without this the
            // pointer into the binary's text would travel as a raw address.
            if metadata.pointer == staticStringMetadata { return leaf(metadata, HP_OP_STATIC_STRING) }
            if let checked = orderedRangeLayout(metadata) ?? stringIndexLayout(metadata)
                ?? unicodeScalarLayout(metadata) { return checked }
            if let substring = try substringLayout(metadata, depth: depth) { return substring }
            return try structLayout(metadata, depth: depth)
        case .enum, .optional:
            return try enumLayout(metadata, depth: depth)
        case .tuple:
            return try tupleLayout(metadata, depth: depth)
        case .function:
            return try functionLayout(metadata)
        case .class:
            return leaf(metadata, HP_OP_REF, data: bound(HP_BOUND_SUBCLASS, metadata.pointer))
        case .opaque:
            return try builtinLayout(metadata)
        case .existential:
            return try existentialLayout(metadata)
        case .metatype:
            if metadata.size == 0 { return trivial(metadata) }
            return leaf(metadata, HP_OP_METADATA, data: metatypeBound(metadata))
        case .existentialMetatype:
            return try existentialMetatypeLayout(metadata)
        case .foreignClass, .foreignReferenceType, .objcClassWrapper:
            throw .unsupported("foreign (C/C++/ObjC) reference types are not supported", type: metadata.name)
        case .extendedExistential:
            throw .unsupported("constrained existentials (any P<T>) are not supported yet", type: metadata.name)
        case .fixedArray:
            throw .unsupported("InlineArray is not supported yet", type: metadata.name)
        case .heapLocalVariable, .heapGenericLocalVariable, .errorObject, .task, .job:
            throw .unsupported("metadata of kind 0x\(String(kind.rawValue, radix: 16)) does not describe a value type")
        }
    }

    func leaf(_ metadata: _Metadata, _ kind: hp_op_kind, data: hp_op_data = hp_op_data(),
              sub: UnsafePointer<hp_plan>? = nil) -> _ValueLayout {
        _ValueLayout(typeName: metadata.name, size: metadata.size, stride: metadata.stride, alignMask: metadata.alignMask,
                     ops: [Self.op(kind, at: 0, data: data, sub: sub)], labels: [[]])
    }

    func trivial(_ metadata: _Metadata) -> _ValueLayout {
        _ValueLayout(typeName: metadata.name, size: metadata.size, stride: metadata.stride, alignMask: metadata.alignMask)
    }

    /// The plan of a value whose dynamic type an existential holds.
    func valuePlan(_ metadata: _Metadata) throws(PackError) -> UnsafeMutablePointer<hp_plan> {
        try cPlan(for: try layout(metadata))
    }

    /// Runs `body`, prefixing the path of any refusal it throws with `label`: a refusal deep in
    /// a type's layout then names every field on the way to it.
    func within<T>(_ label: String?, _ body: () throws(PackError) -> T) throws(PackError) -> T {
        do {
            return try body()
        } catch {
            guard let label else { throw error }
            var refined = error
            refined.path = refined.path.isEmpty ? label : label + " > " + refined.path
            throw refined
        }
    }

    func allocate<T>(_: T.Type, count: Int = 1) -> UnsafeMutablePointer<T> {
        let pointer = UnsafeMutablePointer<T>.allocate(capacity: max(count, 1))
        allocations.append(UnsafeMutableRawPointer(pointer))
        return pointer
    }

    /// A zeroed plan of `kind` with its geometry set; the caller fills in the rest.
    func newPlan(_ kind: hp_plan_kind, size: Int, stride: Int, alignMask: Int) -> UnsafeMutablePointer<hp_plan> {
        let plan = allocate(hp_plan.self)
        plan.initialize(to: hp_plan())
        plan.pointee.kind = kind.rawValue
        plan.pointee.size = UInt32(size)
        plan.pointee.stride = UInt32(stride)
        plan.pointee.align_mask = UInt32(alignMask)
        return plan
    }

    /// The C plan of an inline value (root values, array elements, enum payloads).
    func cPlan(for layout: _ValueLayout) throws(PackError) -> UnsafeMutablePointer<hp_plan> {
        if let made = layout.cPlan { return made }
        let ops = allocate(hp_op.self, count: layout.ops.count)
        ops.initialize(from: layout.ops, count: layout.ops.count)
        let plan = newPlan(HP_PLAN_VALUE, size: layout.size, stride: layout.stride, alignMask: layout.alignMask)
        plan.pointee.boxed_in_existential = layout.boxedInExistential ? 1 : 0
        plan.pointee.op_count = UInt32(layout.ops.count)
        plan.pointee.ops = UnsafePointer(ops)
        descriptions[UnsafeRawPointer(plan)] = _PlanDescription(typeName: layout.typeName, labels: layout.labels)
        try seal(plan, layout.typeName)
        layout.cPlan = plan
        return plan
    }

    /// The root plan of `type`.
    func rootPlan(_ type: Any.Type) throws(PackError) -> UnsafeMutablePointer<hp_plan> {
        try cPlan(for: try layout(_Metadata(type)))
    }

    /// IRGen shares box metadata between payload types of one box layout (all boxes of a
    /// single refcounted pointer share one; POD boxes share by size and alignment), and the
    /// shared capture descriptor names whichever type came first. So a box is planned from the
    /// type of the slot that refers to it: the value after the header, at its alignment. The
    /// box's metadata only serves to allocate it.
    var boxPlans: [UnsafeRawPointer: UnsafeMutablePointer<hp_plan>] = [:]

    /// What was memoised, in order, so a failed box plan can be rolled back.
    enum JournalEntry { case layout(UnsafeRawPointer), box(UnsafeRawPointer) }
    var journal: [JournalEntry] = []
    var boxesInProgress = 0

    /// Bounds of reference and metatype ops, shared by every op with the same one.
    var bounds: [_BoundKey: UnsafePointer<hp_bound>] = [:]
}
