import CHeapPack

/// Existential containers (`any P`, `any Error`, `any P.Type`): the dynamic type travels,
/// and its plan is looked up when a value is met.
extension _PlanBuilder {
    func existentialLayout(_ metadata: _Metadata) throws(PackError) -> _ValueLayout {
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
            return leaf(metadata, HP_OP_REF, data: bound(HP_BOUND_ANY_CLASS))  // AnyObject
        }
        guard witnessCount == protocolCount,
              metadata.size == _ExistentialMetadata.containerSize(classBound: classBound, witnessCount: witnessCount) else {
            throw .unsupported("an existential whose witness tables do not match its protocols", type: metadata.name)
        }
        return try containerLayout(metadata, classBound ? HP_CONTAINER_CLASS : HP_CONTAINER_OPAQUE,
                                   witnessCount: witnessCount, protocolsOf: metadata)
    }

    /// A protocol metatype (`any P.Type`): the metatype, then one witness table per protocol.
    func existentialMetatypeLayout(_ metadata: _Metadata) throws(PackError) -> _ValueLayout {
        let metatype = _ExistentialMetatypeMetadata(metadata)
        let witnessCount = metatype.flags.numWitnessTables
        if witnessCount == 0 && metadata.size == 8 { return leaf(metadata, HP_OP_METADATA, data: metatypeBound(metadata)) }
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
        let descriptors = _ExistentialMetadata(existential).swiftProtocols
        let protocols = allocate(UnsafeRawPointer?.self, count: descriptors.count)
        for (index, descriptor) in descriptors.enumerated() {
            guard let descriptor else {
                throw .unsupported("Objective-C protocols are not supported", type: metadata.name)
            }
            protocols[index] = descriptor
        }
        let container = allocate(hp_existential.self)
        container.initialize(to: hp_existential(container: kind.rawValue, witness_count: UInt32(witnessCount),
                                                protocols: UnsafePointer(protocols), size: UInt32(metadata.size),
                                                superclass: _ExistentialMetadata(existential).superclassConstraint))
        return _ValueLayout(typeName: metadata.name, size: metadata.size, stride: metadata.stride,
                            alignMask: metadata.alignMask,
                            ops: [Self.op(HP_OP_EXISTENTIAL, at: 0, data: hp_op_data(existential: UnsafePointer(container)))],
                            labels: [["as " + metadata.name]])
    }
}
