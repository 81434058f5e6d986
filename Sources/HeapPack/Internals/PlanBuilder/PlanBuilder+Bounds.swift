import CHeapPack

/// Bounds: what a reference or metatype slot may hold (`hp_bound`). The reader checks every
/// object and type a packet puts in a slot against its bound, so that an accepted value has the
/// static types its slots declare: a class field holds that class or a subclass, an array's
/// storage holds its own element type, a non-Optional reference is never null.
extension _PlanBuilder {
    /// The op data naming the bound (memoised: many ops share one).
    func bound(_ rule: hp_bound_rule, _ type: UnsafeRawPointer? = nil, or alternative: UnsafeRawPointer? = nil,
               nullable: Bool = false) -> hp_op_data {
        let key = _BoundKey(type: type, alternative: alternative, rule: rule.rawValue, nullable: nullable)
        if let known = bounds[key] { return hp_op_data(bound: known) }
        let made = allocate(hp_bound.self)
        made.initialize(to: hp_bound(type: type, alternative: alternative, rule: rule.rawValue, nullable: nullable ? 1 : 0))
        bounds[key] = UnsafePointer(made)
        return hp_op_data(bound: made)
    }

    /// A reference op that also takes null: the one op of an Optional whose nil is the null pointer.
    func allowingNil(_ op: hp_op) -> hp_op {
        var nullable = op
        let current = op.data.bound?.pointee ?? hp_bound(type: nil, alternative: nil, rule: HP_BOUND_ANY.rawValue, nullable: 0)
        nullable.data = bound(hp_bound_rule(rawValue: current.rule), current.type, or: current.alternative, nullable: true)
        return nullable
    }

    /// What a weak or unowned slot of `referent` (Optional or not) may name: an instance of its
    /// class; any class instance for a class-bound existential.
    func referenceBound(_ referent: _Metadata) -> hp_op_data {
        var type = referent
        if type.kind == .optional, let wrapped = type.genericArguments?.load(as: UnsafeRawPointer.self) {
            type = _Metadata(wrapped)
        }
        let nullable = referent.kind == .optional
        if type.kind == .class { return bound(HP_BOUND_SUBCLASS, type.pointer, nullable: nullable) }
        if type.kind == .existential, let superclass = _ExistentialMetadata(type).superclassConstraint {
            return bound(HP_BOUND_SUBCLASS, superclass, nullable: nullable)
        }
        return bound(HP_BOUND_ANY_CLASS, nullable: nullable)
    }

    /// What the metatype `metadata` (a thick `X.Type` or an existential `any P.Type` without
    /// witness tables) may hold: X, or a subclass of a class X; for an existential, any type,
    /// any class if it is class-bound, or a subclass of its superclass constraint.
    func metatypeBound(_ metadata: _Metadata) -> hp_op_data {
        if metadata.kind == .metatype {
            let instance = _MetatypeMetadata(metadata).instanceType
            return instance.kind == .class ? bound(HP_BOUND_SUBCLASS, instance.pointer) : bound(HP_BOUND_EXACT, instance.pointer)
        }
        let instance = _ExistentialMetatypeMetadata(metadata).instanceType
        guard instance.kind == .existential else { return bound(HP_BOUND_ANY) }
        let existential = _ExistentialMetadata(instance)
        if let superclass = existential.superclassConstraint { return bound(HP_BOUND_SUBCLASS, superclass) }
        return existential.flags.isClassBound ? bound(HP_BOUND_ANY_CLASS) : bound(HP_BOUND_ANY)
    }

    /// `_ContiguousArrayStorage<Element>`, the one class whose objects hold an `[Element]`'s
    /// elements (it is final; the empty array's singleton, its sibling, is accepted by the reader
    /// in its place).
    func arrayStorageClass(of element: UnsafeRawPointer) -> UnsafeRawPointer? {
        let name = "s23_ContiguousArrayStorageCyxG"
        return [Optional(element)].withUnsafeBufferPointer {
            hp_type_by_mangled_name_with_parameters(name, name.utf8.count, 1, $0.baseAddress)
        }
    }

    /// Array and slice buffers of `Element` (`_ContiguousArrayBuffer<Element>._storage`,
    /// `_SliceBuffer<Element>.owner`) declare a storage base class or AnyObject; they hold
    /// `_ContiguousArrayStorage<Element>` exactly, so the reference op at `offset` is bound to
    /// it: storage of another element type would be read as this one's.
    func bindArrayStorage(_ ops: inout [hp_op], at offset: Int, in metadata: _Metadata) throws(PackError) {
        guard let element = metadata.genericArguments?.load(as: UnsafeRawPointer.self),
              let storage = arrayStorageClass(of: element),
              let index = ops.firstIndex(where: { $0.offset == offset && $0.kind == HP_OP_REF.rawValue }) else {
            throw .unsupported("an array buffer with an unexpected layout", type: metadata.name)
        }
        guard _Metadata(element).kind == .class, let shared = arrayStorageClass(of: _Metadata(AnyObject.self).pointer) else {
            ops[index].data = bound(HP_BOUND_SUBCLASS, storage)
            return
        }
        // The standard library keeps class elements in `_ContiguousArrayStorage<AnyObject>`
        // (getContiguousArrayStorageType), whose own plan takes any class instance: such storage
        // is read with the plan of `<Element>`, whose elements must be instances of Element.
        ops[index].data = bound(HP_BOUND_SUBCLASS, storage, or: shared)
        ops[index].sub = UnsafePointer(try objectPlan(_Metadata(storage)))
    }
}

/// The memo key of a bound.
struct _BoundKey: Hashable {
    let type: UnsafeRawPointer?
    let alternative: UnsafeRawPointer?
    let rule: UInt32
    let nullable: Bool
}
