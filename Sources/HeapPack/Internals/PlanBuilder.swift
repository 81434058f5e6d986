import CHeapPack

/// An inline layout flattened to ops at absolute offsets, with a path per op for errors.
final class _ValueLayout {
    let typeName: String
    let size: Int
    let stride: Int
    let alignMask: Int
    let ops: [hp_op]
    /// One path per op, e.g. `[".owner", ".sink"]`; joined with " > " in error paths.
    let labels: [[String]]
    var cPlan: UnsafeMutablePointer<hp_plan>?
    /// Set from the value witnesses once the layout is made (layouts made without metadata
    /// never sit in an existential).
    var boxedInExistential = false

    init(typeName: String, size: Int, stride: Int, alignMask: Int, ops: [hp_op] = [], labels: [[String]] = []) {
        self.typeName = typeName
        self.size = size
        self.stride = stride
        self.alignMask = alignMask
        self.ops = ops
        self.labels = labels
    }
}

/// One binding word of a generic closure context, described so another process can make it.
enum _Binding {
    /// The metadata of generic parameter `parameter`.
    case parameter(Int)
    /// A witness table: the conformance of generic parameter `parameter` to a protocol.
    case witness(parameter: Int, protocolDescriptor: UnsafeRawPointer)
}

/// Where a generic closure context finds a generic parameter's metadata (capture-descriptor
/// metadata sources, RemoteInspection's MetadataSource).
indirect enum _MetadataSource {
    case binding(Int)               // B<n>: binding word n
    case referenceCapture(Int)      // R<n>: the isa of the object in capture n
    case metadataCapture(Int)       // M<n>: the metatype value in capture n
    case genericArgument(Int, _MetadataSource)  // G<n><source>_: generic argument n of that metadata

    static func parse(_ text: String) -> _MetadataSource? {
        var rest = Substring(text)
        guard let source = parse(&rest), rest.isEmpty else { return nil }
        return source
    }

    private static func parse(_ text: inout Substring) -> _MetadataSource? {
        guard let kind = text.popFirst() else { return nil }
        let digits = text.prefix { $0.isNumber }
        guard let number = Int(digits) else { return nil }
        text = text.dropFirst(digits.count)
        switch kind {
        case "B": return .binding(number)
        case "R": return .referenceCapture(number)
        case "M": return .metadataCapture(number)
        case "G":
            guard let inner = parse(&text), text.popFirst() == "_" else { return nil }
            return .genericArgument(number, inner)
        default: return nil
        }
    }

    var capturesUsed: [Int] {
        switch self {
        case .binding: []
        case .referenceCapture(let n), .metadataCapture(let n): [n]
        case .genericArgument(_, let inner): inner.capturesUsed
        }
    }
}

/// The key of a generic closure context's plan: its metadata, parameters and binding words.
struct _InstanceKey: Hashable {
    let metadata: UnsafeRawPointer
    let parameters: [UInt]
    let bindings: [UInt]
}

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
    private var layouts: [UnsafeRawPointer: _ValueLayout] = [:]
    private var objectPlans: [UnsafeRawPointer: UnsafeMutablePointer<hp_plan>] = [:]
    private var instancePlans: [_InstanceKey: UnsafeMutablePointer<hp_plan>] = [:]
    /// For each per-instance plan: the context metadata and how to remake its bindings.
    private(set) var instances: [UnsafeRawPointer: (metadata: _Metadata, parameters: [_Metadata], bindings: [_Binding])] = [:]
    private(set) var descriptions: [UnsafeRawPointer: _PlanDescription] = [:]
    private var allocations: [UnsafeMutableRawPointer] = []
    private let stringMetadata = _Metadata(String.self).pointer
    private let staticStringMetadata = _Metadata(StaticString.self).pointer
    private let emptyTupleMetadata = _Metadata(Void.self).pointer
    private let nativeObject = hp_type_by_mangled_name("Bo", 2, nil, nil)
    private let unknownObject = hp_type_by_mangled_name("BO", 2, nil, nil)
    private let rawPointer = hp_type_by_mangled_name("Bp", 2, nil, nil)
    private let bridgeObject = hp_type_by_mangled_name("Bb", 2, nil, nil)

    static let maxDepth = 64
    static let noReflectionAdvice = ": its module was built without reflection metadata "
        + "(-disable-reflection-metadata or -reflection-metadata-for-debugger-only); rebuild it without that flag"

    deinit {
        for allocation in allocations { allocation.deallocate() }
    }

    // MARK: Value layouts

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
            return try structLayout(metadata, depth: depth)
        case .enum, .optional:
            return try enumLayout(metadata, depth: depth)
        case .tuple:
            return try tupleLayout(metadata, depth: depth)
        case .function:
            return try functionLayout(metadata)
        case .class:
            return leaf(metadata, HP_OP_REF, aux: metadata.pointer)
        case .opaque:
            return try builtinLayout(metadata)
        case .existential:
            return try existentialLayout(metadata)
        case .metatype:
            if metadata.size == 0 { return trivial(metadata) }
            return leaf(metadata, HP_OP_METADATA)
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

    /// Every op is made here: what `aux` holds depends on the kind (see `hp_op`), and one
    /// constructor keeps a change of its representation to one place.
    static func op(_ kind: hp_op_kind, at offset: Int, aux: UnsafeRawPointer? = nil,
                   sub: UnsafePointer<hp_plan>? = nil) -> hp_op {
        hp_op(kind: kind.rawValue, offset: UInt32(offset), aux: aux, sub: sub)
    }

    private func leaf(_ metadata: _Metadata, _ kind: hp_op_kind, aux: UnsafeRawPointer? = nil) -> _ValueLayout {
        _ValueLayout(typeName: metadata.name, size: metadata.size, stride: metadata.stride, alignMask: metadata.alignMask,
                     ops: [Self.op(kind, at: 0, aux: aux)], labels: [[]])
    }

    private func trivial(_ metadata: _Metadata) -> _ValueLayout {
        _ValueLayout(typeName: metadata.name, size: metadata.size, stride: metadata.stride, alignMask: metadata.alignMask)
    }

    private func existentialLayout(_ metadata: _Metadata) throws(PackError) -> _ValueLayout {
        let existential = _ExistentialMetadata(metadata)
        let flags = existential.flags
        let protocolCount = existential.numProtocols
        let witnessCount = flags.numWitnessTables
        let classBound = flags.isClassBound
        let hasSuperclass = flags.hasSuperclassConstraint
        if flags.isError {
            // `any Error`: one reference to a SwiftError box holding type, conformance and value.
            guard metadata.size == 8, protocolCount == 1 else {
                throw .unsupported("an Error existential of an unexpected shape", type: metadata.name)
            }
            return try containerLayout(metadata, HP_CONTAINER_ERROR, witnessCount: 0, protocolsOf: metadata)
        }
        if classBound && witnessCount == 0 && !hasSuperclass && metadata.size == 8 {
            return leaf(metadata, HP_OP_REF)  // AnyObject
        }
        guard witnessCount == protocolCount,
              metadata.size == _ExistentialMetadata.containerSize(classBound: classBound, witnessCount: witnessCount) else {
            throw .unsupported("an existential whose witness tables do not match its protocols", type: metadata.name)
        }
        return try containerLayout(metadata, classBound ? HP_CONTAINER_CLASS : HP_CONTAINER_OPAQUE,
                                   witnessCount: witnessCount, protocolsOf: metadata)
    }

    /// A protocol metatype (`any P.Type`): the metatype, then one witness table per protocol.
    private func existentialMetatypeLayout(_ metadata: _Metadata) throws(PackError) -> _ValueLayout {
        let metatype = _ExistentialMetatypeMetadata(metadata)
        let witnessCount = metatype.flags.numWitnessTables
        if witnessCount == 0 && metadata.size == 8 { return leaf(metadata, HP_OP_METADATA) }
        let instance = metatype.instanceType
        guard instance.kind == .existential,
              metadata.size == _ExistentialMetatypeMetadata.containerSize(witnessCount: witnessCount),
              _ExistentialMetadata(instance).numProtocols == witnessCount else {
            throw .unsupported("a metatype of a nested or unusual existential", type: metadata.name)
        }
        return try containerLayout(metadata, HP_CONTAINER_METATYPE, witnessCount: witnessCount, protocolsOf: instance)
    }

    /// The existential op over a container of `metadata`'s size; the protocols are those of the
    /// existential type `existential` (for a protocol metatype, its instance type).
    private func containerLayout(_ metadata: _Metadata, _ kind: hp_container, witnessCount: Int,
                                 protocolsOf existential: _Metadata) throws(PackError) -> _ValueLayout {
        let references = _ExistentialMetadata(existential).protocolReferences
        let protocols = allocate(UnsafeRawPointer?.self, count: references.count)
        for (index, reference) in references.enumerated() {
            guard reference & 1 == 0, let descriptor = UnsafeRawPointer(bitPattern: reference) else {
                throw .unsupported("Objective-C protocols are not supported", type: metadata.name)
            }
            protocols[index] = descriptor
        }
        let container = allocate(hp_existential.self)
        container.initialize(to: hp_existential(container: kind.rawValue, witness_count: UInt32(witnessCount),
                                                protocols: UnsafePointer(protocols), size: UInt32(metadata.size)))
        return _ValueLayout(typeName: metadata.name, size: metadata.size, stride: metadata.stride,
                            alignMask: metadata.alignMask,
                            ops: [Self.op(HP_OP_EXISTENTIAL, at: 0, aux: UnsafeRawPointer(container))],
                            labels: [["as " + metadata.name]])
    }

    /// The plan of a value whose dynamic type an existential holds.
    func valuePlan(_ metadata: _Metadata) throws(PackError) -> UnsafeMutablePointer<hp_plan> {
        cPlan(for: try layout(metadata))
    }

    private func builtinLayout(_ metadata: _Metadata) throws(PackError) -> _ValueLayout {
        let pointer = metadata.pointer
        if pointer == nativeObject || pointer == unknownObject { return leaf(metadata, HP_OP_REF) }
        if pointer == rawPointer { return leaf(metadata, HP_OP_RAW_POINTER) }
        if pointer == bridgeObject {
            throw .unsupported("a Builtin.BridgeObject field (Dictionary, Set and other bridged storage are not supported yet)",
                               type: metadata.name)
        }
        if metadata.isTrivial { return trivial(metadata) }
        throw .unsupported("a non-trivial builtin type", type: metadata.name)
    }

    /// Runs `body`, prefixing the path of any refusal it throws with `label`: a refusal deep in
    /// a type's layout then names every field on the way to it.
    private func within<T>(_ label: String?, _ body: () throws(PackError) -> T) throws(PackError) -> T {
        do {
            return try body()
        } catch {
            guard let label else { throw error }
            var refined = error
            refined.path = refined.path.isEmpty ? label : label + " > " + refined.path
            throw refined
        }
    }

    /// A metatype's runtime metadata describes the thick representation (a metadata pointer),
    /// but a stored metatype of a concrete non-class type is thin: no bytes at all (TypeLowering).
    /// Generic `T.Type` storage stays thick. Without field offsets (captures), the type rule
    /// alone decides.
    private func stored(_ child: _ValueLayout, type: _Metadata, thin fieldIsThin: Bool? = nil) -> _ValueLayout {
        guard type.kind == .metatype, child.size > 0 else { return child }
        let instance = _MetatypeMetadata(type).instanceType
        let mayBeThin = instance.kind != .class && instance.kind != .foreignClass
        let thin = mayBeThin && (fieldIsThin ?? true)
        return thin ? _ValueLayout(typeName: child.typeName, size: 0, stride: 1, alignMask: 0) : child
    }

    /// Places fields, making thin the metatype fields that have no bytes: those with less room
    /// than a pointer before the next field, and those sharing their offset with a field that
    /// has bytes (zero-size fields get offset 0, wherever they are declared). The bytes from
    /// `start` to `size` that no field covers are padding: a PADDING op each, so that what the
    /// sender's memory held there never travels.
    private func placeFields(_ children: [_ValueLayout], types: [_Metadata?], offsets: [Int], from start: Int = 0,
                             size: Int, labels fieldLabels: [String?], into ops: inout [hp_op],
                             labels: inout [[String]]) throws(PackError) {
        var covered: [Range<Int>] = []
        for index in children.indices {
            var child = children[index]
            if let type = types[index], type.kind == .metatype {
                let offset = offsets[index]
                let next = offsets.filter { $0 > offset }.min() ?? size
                let sharesWithData = offsets.indices.contains {
                    $0 != index && offsets[$0] == offset && children[$0].size > 0 && types[$0]?.kind != .metatype
                }
                child = stored(child, type: type, thin: next - offset < child.size || sharesWithData)
            }
            try append(child, at: offsets[index], label: fieldLabels[index], to: &ops, labels: &labels)
            if child.size > 0 { covered.append(offsets[index]..<(offsets[index] + child.size)) }
        }
        var end = start
        for field in covered.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if field.lowerBound > end { appendPadding(end..<field.lowerBound, to: &ops, labels: &labels) }
            end = max(end, field.upperBound)
        }
        if size > end { appendPadding(end..<size, to: &ops, labels: &labels) }
        // Padding was added last; the walkers want ops in offset order.
        let order = ops.indices.sorted { ops[$0].offset < ops[$1].offset }
        (ops, labels) = (order.map { ops[$0] }, order.map { labels[$0] })
    }

    private func appendPadding(_ bytes: Range<Int>, to ops: inout [hp_op], labels: inout [[String]]) {
        ops.append(Self.op(HP_OP_PADDING, at: bytes.lowerBound, aux: UnsafeRawPointer(bitPattern: UInt(bytes.count))))
        labels.append([])
    }

    /// Appends a child layout's ops at `offset`, prefixing each op's path with `label`.
    private func append(_ child: _ValueLayout, at offset: Int, label: String?,
                        to ops: inout [hp_op], labels: inout [[String]]) throws(PackError) {
        guard offset >= 0, offset <= Int(UInt32.max) - child.size else {
            throw .unsupported("a field offset of \(offset) is out of range (misread metadata?)", type: child.typeName)
        }
        for (op, path) in zip(child.ops, child.labels) {
            var moved = op
            moved.offset = UInt32(offset) + op.offset
            ops.append(moved)
            labels.append((label.map { [$0] } ?? []) + path)
        }
    }

    /// The layout of a field, case payload or capture named by `name`. Weak and unowned
    /// storage resolves to its referent type at run time, so the name itself says which it is.
    private func fieldLayout(_ name: _MangledName, context: UnsafeRawPointer?, arguments: UnsafeRawPointer?,
                             owner: String, what: String, depth: Int) throws(PackError) -> _ValueLayout {
        let referent = try resolve(name, context: context, arguments: arguments, owner: owner, what: what)
        if let storage = name.referenceStorage { return referenceLayout(storage, referent: referent) }
        return try layout(referent, depth: depth)
    }

    private func referenceLayout(_ storage: String, referent: _Metadata) -> _ValueLayout {
        let kind: hp_op_kind = switch storage {
        case "weak": HP_OP_WEAK
        case "unowned": HP_OP_UNOWNED
        default: HP_OP_UNOWNED_UNSAFE
        }
        // aux marks a slot whose type is Optional: nil is a value it may hold.
        let nullable = referent.kind == .optional ? UnsafeRawPointer(bitPattern: 1) : nil
        return _ValueLayout(typeName: "\(storage) \(referent.name)", size: 8, stride: 8, alignMask: 7,
                            ops: [Self.op(kind, at: 0, aux: nullable)], labels: [[]])
    }

    private func resolve(_ name: _MangledName, context: UnsafeRawPointer?, arguments: UnsafeRawPointer?,
                         owner: String, what: String) throws(PackError) -> _Metadata {
        guard let found = hp_type_by_mangled_name(name.start, name.length, context,
                                                  arguments?.assumingMemoryBound(to: UnsafeRawPointer?.self)) else {
            throw .unsupported("\(what) has type '\(name.plainText)', which has no runtime metadata in this binary "
                               + "(function-local types at -O can lack it)", type: owner)
        }
        // The runtime hands reflection `()` in place of a noncopyable type (so that old clients
        // cannot copy one), even through the field's own accessor; its bytes must not then
        // travel as if they were nothing.
        if found == emptyTupleMetadata && name.plainText != "yt" {
            throw .nonTransferable(_TransferPolicy.noncopyableRefusal(what), type: "~Copyable")
        }
        return _Metadata(found)
    }

    /// One REPLACE op over the whole value; its sub-plan is the replacement's plan (a copy of
    /// it, since that plan may also serve as an ordinary one, as `[Element]` does for Set).
    private func replacementLayout(_ metadata: _Metadata, _ replaceable: any _Replaceable.Type,
                                   depth: Int) throws(PackError) -> _ValueLayout {
        let replacement = try within("as \(_typeName(replaceable._replacementType, qualified: false))") {
            () throws(PackError) in try layout(_Metadata(replaceable._replacementType), depth: depth)
        }
        let shared = cPlan(for: replacement)
        let plan = allocate(hp_plan.self)
        plan.initialize(to: shared.pointee)
        plan.pointee.replaced_size = UInt32(metadata.size)
        descriptions[UnsafeRawPointer(plan)] = _PlanDescription(typeName: replacement.typeName, labels: replacement.labels)
        return _ValueLayout(typeName: metadata.name, size: metadata.size, stride: metadata.stride,
                            alignMask: metadata.alignMask,
                            ops: [Self.op(HP_OP_REPLACE, at: 0,
                                          aux: unsafeBitCast(replaceable as Any.Type, to: UnsafeRawPointer.self),
                                          sub: UnsafePointer(plan))],
                            labels: [[]])
    }

    private func structLayout(_ metadata: _Metadata, depth: Int) throws(PackError) -> _ValueLayout {
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
        if metadata.name.hasPrefix("Swift._SliceBuffer<") { try pointIntoOwner(&ops, labels: labels, type: metadata.name) }
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
    /// `owner`. It travels as an offset from the owner, which the reader reads just before.
    private func pointIntoOwner(_ ops: inout [hp_op], labels: [[String]], type: String) throws(PackError) {
        guard let owner = labels.firstIndex(of: [".owner"]),
              let pointer = labels.firstIndex(where: { $0.first == ".subscriptBaseAddress" }),
              pointer == owner + 1, ops[owner].kind == HP_OP_REF.rawValue,
              ops[pointer].kind == HP_OP_RAW_POINTER.rawValue else {
            throw .unsupported("an ArraySlice buffer with an unexpected layout", type: type)
        }
        let distance = Int(ops[owner].offset) - Int(ops[pointer].offset)
        ops[pointer] = Self.op(HP_OP_INTERIOR, at: Int(ops[pointer].offset),
                               aux: UnsafeRawPointer(bitPattern: UInt(bitPattern: distance)))
    }

    private func tupleLayout(_ metadata: _Metadata, depth: Int) throws(PackError) -> _ValueLayout {
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

    private func functionLayout(_ metadata: _Metadata) throws(PackError) -> _ValueLayout {
        switch _FunctionMetadata(metadata).flags.convention {
        case .swift where metadata.size == 16: return leaf(metadata, HP_OP_FUNC)
        case .thin, .cFunctionPointer: return leaf(metadata, HP_OP_STATIC)
        case .block: throw .unsupported("@convention(block) functions are not supported", type: metadata.name)
        case .swift, nil: throw .unsupported("this function representation is not supported", type: metadata.name)
        }
    }

    private func enumLayout(_ metadata: _Metadata, depth: Int) throws(PackError) -> _ValueLayout {
        guard let type = metadata.typeDescriptor else {
            throw .unsupported("enum metadata without a descriptor", type: metadata.name)
        }
        let descriptor = type.pointer
        let arguments = _ValueMetadata(metadata).genericArguments
        let payloadCount = _EnumDescriptor(type).numPayloadCases
        let emptyCount = _EnumDescriptor(type).numEmptyCases
        if payloadCount == 0 { return trivial(metadata) }
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
        if payloads.allSatisfy({ $0.ops.isEmpty }) { return trivial(metadata) }
        // A path through Optional reads better without `case .some`; other enums keep the case.
        let caseLabels = records.map { metadata.kind == .optional ? [] : ["case ." + $0.name] }
        // Optional<SomeClass> and the like: nil is the null pointer, so the reference op alone
        // describes the value and no value-witness call is needed.
        if payloadCount == 1, emptyCount == 1, metadata.size == 8, payloads[0].ops.count == 1,
           payloads[0].ops[0].kind == HP_OP_REF.rawValue, payloads[0].ops[0].offset == 0 {
            return _ValueLayout(typeName: metadata.name, size: 8, stride: 8, alignMask: 7,
                                ops: payloads[0].ops, labels: payloads[0].labels.map { caseLabels[0] + $0 })
        }
        let casePlans = UnsafeMutablePointer<UnsafePointer<hp_plan>?>.allocate(capacity: payloadCount)
        allocations.append(UnsafeMutableRawPointer(casePlans))
        for (index, payload) in payloads.enumerated() {
            // A plan per case, even when cases share a payload type, so that a failure site
            // inside a payload names its case.
            let shared = cPlan(for: payload)
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
        plan.pointee.defers = payloads.contains { Self.defers($0.ops) } ? 1 : 0
        descriptions[UnsafeRawPointer(plan)] = _PlanDescription(typeName: metadata.name, labels: [])
        return _ValueLayout(typeName: metadata.name, size: metadata.size, stride: metadata.stride,
                            alignMask: metadata.alignMask,
                            ops: [Self.op(HP_OP_ENUM, at: 0, sub: UnsafePointer(plan))],
                            labels: [[]])
    }

    // MARK: Materialized plans

    private func allocate<T>(_: T.Type, count: Int = 1) -> UnsafeMutablePointer<T> {
        let pointer = UnsafeMutablePointer<T>.allocate(capacity: max(count, 1))
        allocations.append(UnsafeMutableRawPointer(pointer))
        return pointer
    }

    /// A zeroed plan of `kind` with its geometry set; the caller fills in the rest.
    private func newPlan(_ kind: hp_plan_kind, size: Int, stride: Int, alignMask: Int) -> UnsafeMutablePointer<hp_plan> {
        let plan = allocate(hp_plan.self)
        plan.initialize(to: hp_plan())
        plan.pointee.kind = kind.rawValue
        plan.pointee.size = UInt32(size)
        plan.pointee.stride = UInt32(stride)
        plan.pointee.align_mask = UInt32(alignMask)
        return plan
    }

    /// The C plan of an inline value (root values, array elements, enum payloads).
    func cPlan(for layout: _ValueLayout) -> UnsafeMutablePointer<hp_plan> {
        if let made = layout.cPlan { return made }
        let ops = allocate(hp_op.self, count: layout.ops.count)
        ops.initialize(from: layout.ops, count: layout.ops.count)
        let plan = newPlan(HP_PLAN_VALUE, size: layout.size, stride: layout.stride, alignMask: layout.alignMask)
        plan.pointee.min_wire_size = UInt32(Self.minimumWireSize(layout))
        plan.pointee.defers = Self.defers(layout.ops) ? 1 : 0
        plan.pointee.boxed_in_existential = layout.boxedInExistential ? 1 : 0
        plan.pointee.op_count = UInt32(layout.ops.count)
        plan.pointee.ops = UnsafePointer(ops)
        descriptions[UnsafeRawPointer(plan)] = _PlanDescription(typeName: layout.typeName, labels: layout.labels)
        layout.cPlan = plan
        return plan
    }

    /// The root plan of `type`.
    func rootPlan(_ type: Any.Type) throws(PackError) -> UnsafeMutablePointer<hp_plan> {
        cPlan(for: try layout(_Metadata(type)))
    }

    // MARK: Object plans

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

    private func makeObjectPlan(metadata: _Metadata?, typeName: String, size: Int, alignMask: Int, bodyOffset: Int,
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
        return plan
    }

    /// Ops must be in order, apart, and inside the value: the walkers rely on it, and a metadata
    /// misread must become a refusal here rather than a bad plan.
    private static func validate(_ layout: _ValueLayout) throws(PackError) {
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
    private static func minimumWireSize(_ layout: _ValueLayout) -> Int {
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
    private static func defers(_ ops: [hp_op]) -> Bool {
        ops.contains {
            [HP_OP_REPLACE.rawValue, HP_OP_WEAK.rawValue, HP_OP_UNOWNED.rawValue, HP_OP_UNOWNED_UNSAFE.rawValue].contains($0.kind)
                || ($0.kind == HP_OP_ENUM.rawValue && $0.sub.pointee.defers != 0)
        }
    }

    private static func width(of op: hp_op) -> Int {
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

    private func classPlan(_ metadata: _Metadata) throws(PackError) -> UnsafeMutablePointer<hp_plan> {
        var chain: [_Metadata] = []
        var next: UnsafeRawPointer? = metadata.pointer
        while let current = next, chain.count < 256 {
            chain.append(_Metadata(current))
            next = _ClassMetadata(_Metadata(current)).superclass
        }
        let name = metadata.name
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

    /// A `PackReplaceable` class reached as an object (a closure's only capture, `AnyObject`, a
    /// supertype): it travels once, as its replacement, right after the reference that
    /// introduces it, and the receiver rebuilds it there. That happens while other objects are
    /// still being filled, so the replacement must hold plain data only.
    private func replacedObjectPlan(_ metadata: _Metadata, _ hooks: any _Replaceable.Type,
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
        op.initialize(to: Self.op(HP_OP_REPLACE, at: 0, aux: unsafeBitCast(hooks as Any.Type, to: UnsafeRawPointer.self),
                                  sub: UnsafePointer(cPlan(for: replacement))))
        let plan = try makeObjectPlan(metadata: metadata, typeName: name, size: _HeapObject.headerSize, alignMask: 7,
                                      bodyOffset: _HeapObject.headerSize, ops: [], labels: [])
        plan.pointee.replacement = UnsafePointer(op)
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
        let elementPlan = cPlan(for: elementLayout)
        let alignMask = max(7, elementLayout.alignMask)
        let header = _ContiguousArrayStorage.headerSize
        let tailOffset = (header + alignMask) & ~alignMask
        let plan = try makeObjectPlan(metadata: metadata, typeName: name, size: header, alignMask: alignMask,
                                      bodyOffset: header, ops: [], labels: [])
        plan.pointee.has_tail = 1
        plan.pointee.tail_offset = UInt32(tailOffset)
        plan.pointee.count_offset = UInt32(_ContiguousArrayStorage.countOffset)
        plan.pointee.element = UnsafePointer(elementPlan)
        return plan
    }

    /// IRGen shares box metadata between payload types of one box layout (all boxes of a
    /// single refcounted pointer share one; POD boxes share by size and alignment), and the
    /// shared capture descriptor names whichever type came first. So a box is planned from the
    /// type of the slot that refers to it: the value after the header, at its alignment. The
    /// box's metadata only serves to allocate it.
    private var boxPlans: [UnsafeRawPointer: UnsafeMutablePointer<hp_plan>] = [:]

    /// What was memoised, in order, so a failed box plan can be rolled back.
    private enum JournalEntry { case layout(UnsafeRawPointer), box(UnsafeRawPointer) }
    private var journal: [JournalEntry] = []
    private var boxesInProgress = 0

    /// Recursive indirect enums reach their own box again while it is being planned: the box
    /// plan is registered as an empty shell first (the recursion stops there) and filled after.
    /// If planning fails, everything memoised meanwhile is rolled back, so that no cached
    /// layout keeps pointing at a shell that was never filled.
    private func boxReference(to payload: _Metadata, label: String, depth: Int) throws(PackError) -> _ValueLayout {
        let plan: UnsafeMutablePointer<hp_plan>
        if let known = boxPlans[payload.pointer] {
            plan = known
        } else {
            plan = allocate(hp_plan.self)
            plan.initialize(to: hp_plan())
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
                let filled = try makeObjectPlan(metadata: nil, typeName: "box of \(payload.name)", size: offset + value.size,
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
    private func varBoxReference(_ name: _MangledName, parameters: [UnsafeRawPointer]) throws(PackError) -> _ValueLayout {
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
    private func genericBoxPlan(_ metadata: _Metadata) throws(PackError) -> UnsafeMutablePointer<hp_plan> {
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

    /// The plan of one generic closure context, from what it carries: its parameters' metadata
    /// (found through the metadata sources) and its binding words.
    func instancePlan(_ metadata: _Metadata, object: UnsafeRawPointer) throws(PackError) -> UnsafeMutablePointer<hp_plan> {
        let context = _HeapLocalVariableMetadata(metadata)
        let firstCapture = context.offsetToFirstCapture
        guard let captures = context.captureDescriptor else {
            throw .unsupported("a generic closure context without a capture descriptor")
        }
        let bindingCount = captures.numBindings
        let words = (0..<bindingCount).map { object.load(fromByteOffset: firstCapture + 8 * $0, as: UInt.self) }
        let sources = try parameterSources(captures)
        // Captures that sources read (R<n>, M<n>) must lie before any capture whose type needs
        // an unknown parameter: lay out the captures in order with the parameters known so far.
        var parameters = [UnsafeRawPointer?](repeating: nil, count: sources.count)
        for (index, source) in sources.enumerated() where source.capturesUsed.isEmpty {
            parameters[index] = try evaluate(source, words: words, captureAt: { _ in nil })
        }
        if parameters.contains(where: { $0 == nil }) {
            let known = parameters.compactMap { $0 }
            let used = Set(sources.flatMap(\.capturesUsed))
            let offsets = try captureOffsets(captures, start: firstCapture + 8 * bindingCount, parameters: known,
                                             upTo: used.max() ?? 0, words: used)
            for (index, source) in sources.enumerated() where parameters[index] == nil {
                parameters[index] = try evaluate(source, words: words) { capture in
                    capture < offsets.count ? object.load(fromByteOffset: offsets[capture], as: UnsafeRawPointer?.self) : nil
                }
            }
        }
        let resolved = parameters.compactMap { $0 }
        guard resolved.count == sources.count else { throw .unsupported("a generic parameter could not be found") }
        return try genericContextPlan(metadata, parameters: resolved.map(_Metadata.init), bindingWords: words)
    }

    private func evaluate(_ source: _MetadataSource, words: [UInt],
                          captureAt: (Int) -> UnsafeRawPointer?) throws(PackError) -> UnsafeRawPointer {
        switch source {
        case .binding(let n):
            guard n < words.count, let pointer = UnsafeRawPointer(bitPattern: words[n]) else {
                throw .unsupported("a metadata source names a missing binding")
            }
            return pointer
        case .referenceCapture(let n):
            guard let object = captureAt(n) else { throw .unsupported("a metadata source names an unusable capture") }
            return _HeapObject.metadata(of: object)
        case .metadataCapture(let n):
            guard let type = captureAt(n) else { throw .unsupported("a metadata source names an unusable capture") }
            return type
        case .genericArgument(let n, let inner):
            let type = _Metadata(try evaluate(inner, words: words, captureAt: captureAt))
            guard type.isNominal, let descriptor = type.descriptor, let shape = _GenericShape(descriptor: descriptor),
                  n < shape.parameterCount, let vector = type.genericArguments else {
                throw .unsupported("a metadata source names a generic argument that is not there")
            }
            return vector.load(fromByteOffset: n * 8, as: UnsafeRawPointer.self)
        }
    }

    /// Sources by generic parameter position: `x` is τ_0_0, `q_` τ_0_1, `q<n>_` τ_0_(n+2).
    private func parameterSources(_ captures: _CaptureDescriptor) throws(PackError) -> [_MetadataSource] {
        var byPosition: [Int: _MetadataSource] = [:]
        for index in 0..<captures.numMetadataSources {
            guard let record = captures.metadataSource(index) else {
                throw .unsupported("a generic closure context with an unreadable metadata source")
            }
            let parameter = record.parameter.plainText
            let sourceText = record.source.plainText
            let position: Int?
            if parameter == "x" { position = 0 } else if parameter == "q_" { position = 1 }
            else if parameter.hasPrefix("q"), parameter.hasSuffix("_"), let n = Int(parameter.dropFirst().dropLast()) {
                position = n + 2
            } else { position = nil }
            guard let position, let source = _MetadataSource.parse(sourceText) else {
                throw .unsupported("a generic closure context whose parameter '\(parameter)' comes from "
                                   + "'\(sourceText)' (nested generic contexts are not supported)")
            }
            byPosition[position] = source
        }
        let sources = (0..<byPosition.count).compactMap { byPosition[$0] }
        guard sources.count == byPosition.count else {
            throw .unsupported("a generic closure context that does not say where all its parameters come from")
        }
        return sources
    }

    /// Offsets of captures 0...last, resolving their types with the parameters known so far.
    /// Captures that metadata sources read (`words`) are one word each, a reference or a
    /// metatype, so they need no resolving; that is what makes parameters reachable through them.
    private func captureOffsets(_ captures: _CaptureDescriptor, start: Int, parameters: [UnsafeRawPointer],
                                upTo last: Int, words: Set<Int>) throws(PackError) -> [Int] {
        var offsets: [Int] = []
        var offset = start
        for index in 0...last {
            var size = 8, alignMask = 7
            if !words.contains(index) {
                guard let name = captures.captureTypeName(index) else { throw .unsupported("a capture without a name") }
                let child = try captureLayout(name, index: index, parameters: parameters)
                size = child.size
                alignMask = child.alignMask
            }
            offset = (offset + alignMask) & ~alignMask
            offsets.append(offset)
            offset += size
        }
        return offsets
    }

    private func captureLayout(_ name: _MangledName, index: Int,
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
                                ops: [Self.op(thick ? HP_OP_FUNC : HP_OP_STATIC, at: 0)], labels: [[]])
        }
        if parameters.isEmpty {
            throw .unsupported("capture \(index) has type '\(name.displayName)', which has no runtime metadata "
                               + "in this binary (the compiler omits it for some function-local types at -O); "
                               + "declare the type outside the function")
        }
        throw .unsupported("capture \(index) of a generic closure has type '\(name.displayName)', which the "
                           + "runtime cannot resolve from the context's generic parameters")
    }

    /// Lays captures out in order from `start`, each at its own alignment (closure contexts,
    /// plain and generic).
    private func layCaptures(_ captures: _CaptureDescriptor, count: Int, from start: Int,
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
            offset = (offset + child.alignMask) & ~child.alignMask
            try append(child, at: offset, label: "capture \(index): \(child.typeName)", to: &ops, labels: &labels)
            offset += child.size
            alignMask = max(alignMask, child.alignMask)
        }
        return (ops, labels, offset, alignMask)
    }

    /// Specialises a generic closure context: capture types are resolved with the parameters'
    /// metadata, laid out after the bindings, and the bindings become the prefix every new
    /// object of this plan gets.
    func genericContextPlan(_ metadata: _Metadata, parameters: [_Metadata],
                            bindingWords: [UInt]) throws(PackError) -> UnsafeMutablePointer<hp_plan> {
        let key = _InstanceKey(metadata: metadata.pointer, parameters: parameters.map { UInt(bitPattern: $0.pointer) },
                               bindings: bindingWords)
        if let known = instancePlans[key] { return known }
        let context = _HeapLocalVariableMetadata(metadata)
        let firstCapture = context.offsetToFirstCapture
        guard let captures = context.captureDescriptor else {
            throw .unsupported("a generic closure context without a capture descriptor")
        }
        let captureCount = captures.numCaptureTypes
        guard captures.numBindings == bindingWords.count else {
            throw .unsupported("a generic closure context with an unexpected number of bindings")
        }
        // Describe each binding word so that another process can make it: a parameter's
        // metadata, or a parameter's witness table for a protocol.
        var bindings: [_Binding] = []
        for word in bindingWords {
            if let parameter = parameters.firstIndex(where: { UInt(bitPattern: $0.pointer) == word }) {
                bindings.append(.parameter(parameter))
                continue
            }
            guard let table = UnsafeRawPointer(bitPattern: word), let conformance = _WitnessTable(table).conformance else {
                throw .unsupported("a generic closure context with a binding that is neither metadata nor a witness table")
            }
            let protocolDescriptor = conformance.protocolDescriptor
            guard let owner = parameters.firstIndex(where: {
                hp_conformance($0.pointer, protocolDescriptor) == table
            }) else {
                throw .unsupported("a witness-table binding that belongs to none of the context's parameters")
            }
            bindings.append(.witness(parameter: owner, protocolDescriptor: protocolDescriptor))
        }
        let laid = try layCaptures(captures, count: captureCount, from: firstCapture + 8 * bindingWords.count,
                                   parameters: parameters.map(\.pointer))
        let plan = try makeObjectPlan(metadata: metadata, typeName: "generic closure context", size: laid.size,
                                      alignMask: laid.alignMask, bodyOffset: firstCapture + 8 * bindingWords.count,
                                      ops: laid.ops, labels: laid.labels)
        let prefix = allocate(UnsafeRawPointer?.self, count: bindingWords.count)
        for (index, word) in bindingWords.enumerated() { prefix[index] = UnsafeRawPointer(bitPattern: word) }
        plan.pointee.prefix_offset = UInt32(firstCapture)
        plan.pointee.prefix_count = UInt32(bindingWords.count)
        plan.pointee.prefix = UnsafePointer(prefix)
        instancePlans[key] = plan
        instances[UnsafeRawPointer(plan)] = (metadata, parameters, bindings)
        return plan
    }

    /// A non-generic struct the compiler emitted a descriptor but no metadata for (function-local
    /// types captured at -O). Non-resilient struct layout is fixed by the language: fields in
    /// declaration order, each at its alignment; so it can be computed from the field records.
    private func metadataFreeStructLayout(_ name: _MangledName, depth: Int = 0) throws(PackError) -> _ValueLayout? {
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
            offset = (offset + child.alignMask) & ~child.alignMask
            try append(child, at: offset, label: "." + record.name, to: &ops, labels: &labels)
            offset += child.size
            alignMask = max(alignMask, child.alignMask)
        }
        let stride = max(1, (offset + alignMask) & ~alignMask)
        let made = _ValueLayout(typeName: typeName, size: offset, stride: stride, alignMask: alignMask, ops: ops,
                                labels: labels)
        layouts[descriptor] = made
        return made
    }

    /// Closure contexts and boxes (metadata kind 0x400): captures described by the capture
    /// descriptor, laid out in order, each at its own alignment.
    private func contextPlan(_ metadata: _Metadata) throws(PackError) -> UnsafeMutablePointer<hp_plan> {
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
}
