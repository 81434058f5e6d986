import CHeapPack

/// Placing the fields of a struct, tuple or class: resolving their types, thin metatypes,
/// weak and unowned storage, and the padding between them.
extension _PlanBuilder {
    /// A metatype's runtime metadata describes the thick representation (a metadata pointer),
    /// but a stored metatype of a concrete non-class type is thin: no bytes at all (TypeLowering).
    /// Generic `T.Type` storage stays thick. Without field offsets (captures), the type rule
    /// alone decides.
    func stored(_ child: _ValueLayout, type: _Metadata, thin fieldIsThin: Bool? = nil) -> _ValueLayout {
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
    func placeFields(_ children: [_ValueLayout], types: [_Metadata?], offsets: [Int], from start: Int = 0,
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
        ops.append(Self.op(HP_OP_PADDING, at: bytes.lowerBound, data: hp_op_data(width: UInt64(bytes.count))))
        labels.append([])
    }

    /// Lays `child` out after `offset` at its alignment, as the compiler does for closure
    /// captures and for structs without metadata: the alignment gap is a PADDING op (padding
    /// never travels), then the child's ops; `offset` moves past the child.
    func layOut(_ child: _ValueLayout, after offset: inout Int, label: String,
                to ops: inout [hp_op], labels: inout [[String]]) throws(PackError) {
        let aligned = (offset + child.alignMask) & ~child.alignMask
        if aligned > offset { appendPadding(offset..<aligned, to: &ops, labels: &labels) }
        try append(child, at: aligned, label: label, to: &ops, labels: &labels)
        offset = aligned + child.size
    }

    /// Appends a child layout's ops at `offset`, prefixing each op's path with `label`.
    func append(_ child: _ValueLayout, at offset: Int, label: String?,
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
    func fieldLayout(_ name: _MangledName, context: UnsafeRawPointer?, arguments: UnsafeRawPointer?,
                     owner: String, what: String, depth: Int) throws(PackError) -> _ValueLayout {
        let referent = try resolve(name, context: context, arguments: arguments, owner: owner, what: what)
        if let storage = name.referenceStorage { return referenceLayout(storage, referent: referent) }
        return try layout(referent, depth: depth)
    }

    func referenceLayout(_ storage: ReferenceOwnership, referent: _Metadata) -> _ValueLayout {
        let kind = storage.opKind
        // An Optional slot may hold nil; any other must name a packed object of its class.
        return _ValueLayout(typeName: "\(storage) \(referent.name)", size: 8, stride: 8, alignMask: 7,
                            ops: [Self.op(kind, at: 0, data: referenceBound(referent))],
                            labels: [[]])
    }

    func resolve(_ name: _MangledName, context: UnsafeRawPointer?, arguments: UnsafeRawPointer?,
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
}
