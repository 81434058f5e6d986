import CHeapPack

// The packet's type table (docs/FORMAT.md, "Type table"): how the writer names each type for
// the receiver, and how the receiver finds the same type again. Both directions are kept side
// by side so that a change to one entry kind shows its other half.

// MARK: - Encoding

extension _Engine {
    func genericContextEntry(_ metadata: _Metadata, _ parameters: [_Metadata], _ bindings: [_Binding],
                                     _ packer: _ShimPacker,
                                     _ images: _ImageTable, index: (_Metadata) -> Int) throws(PackError) -> _PacketFormat.TypeEntry {
        guard let (image, offset) = images.locate(metadata.pointer) else {
            throw .unsupported("closure-context metadata outside every image's static data")
        }
        var wire: [_PacketFormat.Binding] = []
        for binding in bindings {
            switch binding {
            case .parameter(let parameter):
                wire.append(.parameter(parameter))
            case .witness(let parameter, let descriptor):
                guard let (protocolImage, protocolOffset) = images.locate(descriptor) else {
                    throw .unsupported("a protocol descriptor outside every image's static data")
                }
                wire.append(.witness(parameter: parameter,
                                     protocolImage: Int(packer.imageSlot(UInt32(protocolImage))),
                                     protocolOffset: protocolOffset))
            }
        }
        return .genericContext(image: Int(packer.imageSlot(UInt32(image))), offset: offset,
                               parameters: parameters.map(index), bindings: wire)
    }

    /// A protocol composition as its parts: the receiver asks the runtime for the same type.
    private func existentialEntry(_ metadata: _Metadata, _ packer: _ShimPacker, _ images: _ImageTable,
                                  index: (_Metadata) -> Int) throws(PackError) -> _PacketFormat.TypeEntry {
        let existential = _ExistentialMetadata(metadata)
        let superclass = existential.superclassConstraint.map { index(_Metadata($0)) }
        var protocols: [(image: Int, offset: UInt64)] = []
        for descriptor in existential.swiftProtocols {
            guard let descriptor, let (image, offset) = images.locate(descriptor) else {
                throw .unsupported("a protocol descriptor outside every image's static data", type: metadata.name)
            }
            protocols.append((Int(packer.imageSlot(UInt32(image))), offset))
        }
        return .existential(classBound: existential.flags.isClassBound, superclass: superclass, protocols: protocols)
    }

    /// How a type travels: by mangled name when the runtime finds it again by that name; else
    /// closure contexts and boxes by static address, and nominal types (private, local) as
    /// descriptor + generic arguments.
    func typeEntry(_ metadata: _Metadata, _ packer: _ShimPacker, _ images: _ImageTable,
                           index: (_Metadata) -> Int) throws(PackError) -> _PacketFormat.TypeEntry {
        if metadata.kind == _MetadataKind.heapLocalVariable {
            guard let (image, offset) = images.locate(metadata.pointer) else {
                throw .unsupported("closure-context metadata outside every image's static data")
            }
            return .staticAddress(image: Int(packer.imageSlot(UInt32(image))), offset: offset)
        }
        if metadata.kind == _MetadataKind.heapGenericLocalVariable {
            // Not a type: never ask for its name. The runtime makes the box for the boxed type.
            return .genericBox(index(_GenericBoxHeapMetadata(metadata).boxedType))
        }
        if let known = typeNames.withLock({ $0[metadata.pointer] }) { return known }
        if let name = _mangledTypeName(metadata.type) {
            let bytes = Array(name.utf8)
            let found = bytes.withUnsafeBufferPointer { buffer in
                buffer.withMemoryRebound(to: CChar.self) { hp_type_by_mangled_name($0.baseAddress, $0.count, nil, nil) }
            }
            if found == metadata.pointer, !bytes.contains(where: { $0 < 0x20 }) {
                typeNames.withLock { $0[metadata.pointer] = .mangledName(bytes) }
                return .mangledName(bytes)
            }
        }
        if metadata.kind == _MetadataKind.existential {
            return try existentialEntry(metadata, packer, images, index: index)
        }
        if metadata.kind == _MetadataKind.metatype {
            return .metatype(existential: false, instance: index(_MetatypeMetadata(metadata).instanceType))
        }
        if metadata.kind == _MetadataKind.existentialMetatype {
            return .metatype(existential: true, instance: index(_ExistentialMetatypeMetadata(metadata).instanceType))
        }
        guard metadata.isNominal, let descriptor = metadata.descriptor, let (image, offset) = images.locate(descriptor) else {
            throw .unsupported("the type cannot be named for the receiver: no mangled name resolves to it and it "
                               + "is not a nominal type", type: metadata.name)
        }
        var arguments: [Int] = []
        var witnessTables: [(image: Int, offset: UInt64)] = []
        if let shape = _GenericShape(descriptor: descriptor) {
            guard !shape.hasPacks, let vector = metadata.genericArguments else {
                throw .unsupported("generic types with parameter packs are not supported", type: metadata.name)
            }
            for position in 0..<shape.keyArgumentCount {
                let word = vector.load(fromByteOffset: position * 8, as: UnsafeRawPointer.self)
                if position < shape.parameterCount {
                    arguments.append(index(_Metadata(word)))
                } else {
                    guard let (tableImage, tableOffset) = images.locate(word) else {
                        throw .unsupported("a generic argument's conformance was instantiated at run time; such "
                                           + "witness tables cannot travel yet", type: metadata.name)
                    }
                    witnessTables.append((Int(packer.imageSlot(UInt32(tableImage))), tableOffset))
                }
            }
        }
        return .nominal(image: Int(packer.imageSlot(UInt32(image))), offset: offset,
                        arguments: arguments, witnessTables: witnessTables)
    }
}

// MARK: - Decoding

/// How many bytes at a packet-given image offset must be the image's before the decoder reads
/// them as the record named.
private enum _Span {
    /// Closure-context metadata: the heap-metadata header before it (destroy function, value
    /// witnesses), then the whole record.
    static let contextHeader = UInt64(16)
    static let contextMetadata = contextHeader + UInt64(_HeapLocalVariableMetadata.size)
    /// A protocol descriptor: its flags (and parent); the runtime reads the rest.
    static let protocolDescriptor = UInt64(_ContextDescriptor.size)
    /// A type descriptor, before its kind is known: the fields every kind has. The rest is
    /// checked with `_GenericShape.span(of:)` once the kind says how much the decoder reads.
    static let typeDescriptor = UInt64(_TypeContextDescriptor.size)
}

/// Packet bytes quoted in a message: at most 200 bytes of them, so that an error never carries
/// a sender's 64 KB.
func _quoted(_ bytes: [UInt8]) -> String {
    let limit = 200
    guard bytes.count > limit else { return String(decoding: bytes, as: UTF8.self) }
    return String(decoding: bytes.prefix(limit), as: UTF8.self) + "…"
}

/// `_quoted` of a string.
func _quoted(_ text: String) -> String { _quoted(Array(text.utf8)) }

/// Whether `address` is aligned to `alignment` (a power of two): the decoder loads words there.
private func _aligned(_ address: UnsafeRawPointer, _ alignment: UInt) -> Bool {
    UInt(bitPattern: address) & (alignment - 1) == 0
}

/// The receiver's side of a packet's type table: each entry is resolved the first time the body
/// (through `hp_resolve_type_fn`) or another entry needs it, into the arrays the shim reads. An
/// entry the body never uses costs nothing, and everything is freed with the resolver, when the
/// unpack ends.
final class _TypeResolver {
    private let engine: _Engine
    private let entries: [_PacketFormat.TypeEntry]
    private let imageMap: [UInt32]
    private let images: _ImageTable
    let count: Int
    let metadata: UnsafeMutablePointer<UnsafeRawPointer?>
    let plans: UnsafeMutablePointer<UnsafePointer<hp_plan>?>
    let valuePlans: UnsafeMutablePointer<UnsafePointer<hp_plan>?>
    /// `hp_type_need` bits resolved so far, per entry.
    let ready: UnsafeMutablePointer<UInt8>
    /// Why the last resolution the shim asked for failed.
    var failure: PackError?
    private var visiting = Set<Int>()

    init(_ engine: _Engine, _ entries: [_PacketFormat.TypeEntry], _ imageMap: [UInt32], _ images: _ImageTable) {
        self.engine = engine
        self.entries = entries
        self.imageMap = imageMap
        self.images = images
        count = entries.count
        let capacity = max(count, 1)
        metadata = .allocate(capacity: capacity)
        metadata.initialize(repeating: nil, count: capacity)
        plans = .allocate(capacity: capacity)
        plans.initialize(repeating: nil, count: capacity)
        valuePlans = .allocate(capacity: capacity)
        valuePlans.initialize(repeating: nil, count: capacity)
        ready = .allocate(capacity: capacity)
        ready.initialize(repeating: 0, count: capacity)
    }

    deinit {
        metadata.deallocate()
        plans.deallocate()
        valuePlans.deallocate()
        ready.deallocate()
    }

    /// Whether entry `index`'s metadata was resolved (by the body's use or another entry's).
    func isResolved(_ index: Int) -> Bool { ready[index] & UInt8(HP_TYPE_METADATA.rawValue) != 0 }

    /// Resolves entry `index` as far as `need` (`hp_type_need` bits) asks.
    func resolve(_ index: Int, need: UInt32) throws(PackError) {
        let metadata = try type(index)
        if need & HP_TYPE_OBJECT_PLAN.rawValue != 0, ready[index] & UInt8(HP_TYPE_OBJECT_PLAN.rawValue) == 0 {
            plans[index] = try objectPlan(index, metadata)
            ready[index] |= UInt8(HP_TYPE_OBJECT_PLAN.rawValue)
        }
        if need & HP_TYPE_VALUE_PLAN.rawValue != 0, ready[index] & UInt8(HP_TYPE_VALUE_PLAN.rawValue) == 0 {
            // Any type may be the dynamic type of an existential; one without a plan (say, a
            // refused class seen only as a metatype value) cannot be.
            valuePlans[index] = (try? engine.valuePlan(metadata)).map { UnsafePointer($0.plan) }
            ready[index] |= UInt8(HP_TYPE_VALUE_PLAN.rawValue)
        }
    }

    /// Entry `index`'s metadata, resolving it and the entries it names first.
    func type(_ index: Int) throws(PackError) -> _Metadata {
        if isResolved(index), let known = metadata[index] { return _Metadata(known) }
        // Generic arguments refer to other entries: a cycle among them is garbage, and so is
        // nesting deeper than any type the plan builder accepts.
        guard visiting.insert(index).inserted else { throw .malformed("the type table refers to itself") }
        defer { visiting.remove(index) }
        guard visiting.count <= _PlanBuilder.maxDepth else { throw .malformed("the type table nests too deeply") }
        let made = try engine.resolveType(entries[index], imageMap, images, argument: type)
        metadata[index] = made.pointer
        ready[index] |= UInt8(HP_TYPE_METADATA.rawValue)
        return made
    }

    private func objectPlan(_ index: Int, _ resolved: _Metadata) throws(PackError) -> UnsafePointer<hp_plan>? {
        if case .genericContext(_, _, let parameterIndices, let bindings) = entries[index] {
            // The same specialised plan the writer had, with this process's bindings.
            var parameters: [_Metadata] = []
            for parameter in parameterIndices { parameters.append(try type(parameter)) }
            let words = try engine.bindingWords(bindings, context: resolved, parameters, imageMap, images)
            return UnsafePointer(try engine.genericContextPlan(resolved, parameters: parameters, bindingWords: words).plan)
        }
        // Types that only appear as metatype values may have no object plan; a reference to an
        // object of such a type is refused by the shim as malformed.
        let kind = resolved.kind
        guard kind == _MetadataKind.class || kind == _MetadataKind.heapLocalVariable
                || kind == _MetadataKind.heapGenericLocalVariable else { return nil }
        return (try? engine.objectPlan(resolved)).map { UnsafePointer($0.plan) }
    }

    /// Resolves every entry, as an unpack once did before reading the body (for tests).
    func resolveAll() throws(PackError) -> [_Metadata] {
        var all: [_Metadata] = []
        for index in 0..<count { all.append(try type(index)) }
        return all
    }
}

extension _Engine {
    /// The binding words of a generic closure context, made by this process: a parameter's
    /// metadata where the context's capture descriptor says a binding holds one (a metadata
    /// source `B<n>`), and elsewhere the witness table the runtime finds for the parameter and
    /// protocol the packet names. Nothing in a binding word comes from the packet's bytes.
    func bindingWords(_ bindings: [_PacketFormat.Binding], context: _Metadata, _ parameters: [_Metadata],
                      _ imageMap: [UInt32], _ images: _ImageTable) throws(PackError) -> [UInt] {
        guard let captures = _HeapLocalVariableMetadata(context).captureDescriptor else {
            throw .malformed("a generic closure context has no capture descriptor")
        }
        let sources = try builder.withLock { (b: inout _PlanBuilder) throws(PackError) in try b.parameterSources(captures) }
        guard sources.count == parameters.count, bindings.count == captures.numBindings else {
            throw .malformed("a generic closure context has the wrong number of parameters or bindings")
        }
        var words: [UInt] = []
        for (position, binding) in bindings.enumerated() {
            let source = sources.firstIndex { if case .binding(position) = $0 { true } else { false } }
            switch binding {
            case .parameter(let index):
                // The same metadata as the parameter the context's source names (two parameters
                // may be one type, and the writer names the first).
                guard let source, index < parameters.count, parameters[index].pointer == parameters[source].pointer else {
                    throw .malformed("a generic closure context's binding \(position) is not the metadata binding its "
                                     + "capture descriptor describes")
                }
                words.append(UInt(bitPattern: parameters[source].pointer))
            case .witness(let parameter, let protocolImage, let protocolOffset):
                guard source == nil else {
                    throw .malformed("a generic closure context's binding \(position) holds metadata, not a witness table")
                }
                let local = Int(imageMap[protocolImage])
                guard parameter < parameters.count,
                      let descriptor = images.resolve(image: local, offset: protocolOffset, span: _Span.protocolDescriptor),
                      _aligned(descriptor, 4), images.isProtocolDescriptor(descriptor, image: local),
                      let table = hp_conformance(parameters[parameter].pointer, descriptor) else {
                    throw .malformed("a generic closure context's witness-table binding cannot be found again")
                }
                words.append(UInt(bitPattern: table))
            }
        }
        return words
    }

    /// Closure-context metadata named by address: an aligned kind-0x400 record in a file-backed
    /// segment, whose capture descriptor is one the image lists in swift5_capture and whose
    /// destroy function is a function's entry.
    private func contextMetadata(image: Int, offset: UInt64, _ images: _ImageTable) throws(PackError) -> _Metadata {
        guard offset >= _Span.contextHeader,
              let header = images.resolve(image: image, offset: offset - _Span.contextHeader, span: _Span.contextMetadata),
              _aligned(header, 8) else {
            throw .malformed("a type-table address is not closure-context metadata in this binary")
        }
        let address = header + Int(_Span.contextHeader)
        guard _Metadata(address).kind == .heapLocalVariable,
              let captures = _HeapLocalVariableMetadata(_Metadata(address)).captureDescriptor,
              _aligned(captures.pointer, 4), images.isCaptureDescriptor(captures.pointer, image: image),
              let destroy = header.load(as: UnsafeRawPointer?.self), images.isFunctionEntry(destroy) else {
            throw .malformed("a type-table address is not closure-context metadata in this binary")
        }
        return _Metadata(address)
    }

    /// The witness tables a generic nominal type's key arguments need after its parameters' metadata,
    /// in requirement order, found by the runtime for this process's arguments.
    private func witnessTables(_ descriptor: UnsafeRawPointer, _ shape: _GenericShape,
                               arguments: [UnsafeRawPointer?]) throws(PackError) -> [UnsafeRawPointer?] {
        var keyArguments = arguments + [UnsafeRawPointer?](repeating: nil, count: shape.keyArgumentCount - arguments.count)
        var next = arguments.count
        for requirement in shape.requirements(descriptor) where requirement.hasKeyArgument {
            guard let protocolDescriptor = requirement.protocolDescriptor, next < keyArguments.count else {
                throw .malformed("a generic type-table entry's type has a requirement HeapPack cannot check")
            }
            // The subject (`x`, `q_`, an associated type of one) in the type's own context.
            let subject = keyArguments.withUnsafeBufferPointer {
                hp_type_by_mangled_name(requirement.subject.start, requirement.subject.length, descriptor, $0.baseAddress)
            }
            guard let subject, let table = hp_conformance(subject, protocolDescriptor) else {
                throw .malformed("a generic type-table entry's arguments do not meet its type's requirements")
            }
            keyArguments[next] = table
            next += 1
        }
        guard next == keyArguments.count else {
            throw .malformed("a generic type-table entry's type has a requirement HeapPack cannot check")
        }
        return keyArguments
    }

    func resolveType(_ entry: _PacketFormat.TypeEntry, _ imageMap: [UInt32], _ images: _ImageTable,
                     argument: (Int) throws(PackError) -> _Metadata) throws(PackError) -> _Metadata {
        switch entry {
        case .mangledName(let name):
            // Bytes 0x01-0x1F would be taken as symbolic references: pointers. Never from a packet.
            guard !name.isEmpty, !name.contains(where: { $0 < 0x20 }) else {
                throw .malformed("a type-table name contains control bytes")
            }
            if let known = typesByName.withLock({ $0[name] }) { return _Metadata(known) }
            let found = name.withUnsafeBufferPointer { buffer in
                buffer.withMemoryRebound(to: CChar.self) { hp_type_by_mangled_name($0.baseAddress, $0.count, nil, nil) }
            }
            guard let found else {
                throw PackError(code: .binaryMismatch, message: "type '\(_quoted(name))' does not exist in this binary")
            }
            if name.count <= Self.typesByNameLongest {
                typesByName.withLock { known in
                    if known.count >= Self.typesByNameLimit { known.removeAll(keepingCapacity: true) }
                    known[name] = found
                }
            }
            return _Metadata(found)
        case .staticAddress(let image, let offset):
            return try contextMetadata(image: Int(imageMap[image]), offset: offset, images)
        case .nominal(let image, let offset, let arguments, let witnessTables):
            let local = Int(imageMap[image])
            // A descriptor the image lists in swift5_type_metadata: only then are its flags, fields and
            // access function the binary's own. All the bytes the decoder reads (fixed fields,
            // generic header) lie in the image.
            guard let head = images.resolve(image: local, offset: offset, span: _Span.typeDescriptor),
                  _aligned(head, 4), images.isTypeDescriptor(head, image: local),
                  let span = _GenericShape.span(of: _TypeContextDescriptor(head)),
                  let descriptor = images.resolve(image: local, offset: offset, span: UInt64(span)),
                  let accessor = _TypeContextDescriptor(descriptor).accessFunction,
                  images.locate(accessor)?.image == local else {
                throw .malformed("a type-table entry does not point at a type descriptor in this binary")
            }
            var found: UnsafeRawPointer?
            if let shape = _GenericShape(descriptor: descriptor) {
                guard !shape.hasPacks, arguments.count == shape.parameterCount,
                      arguments.count + witnessTables.count == shape.keyArgumentCount else {
                    throw .malformed("a generic type-table entry has the wrong number of arguments")
                }
                var metadata: [UnsafeRawPointer?] = []
                for index in arguments { metadata.append(try argument(index).pointer) }
                // The packet's witness-table addresses are never used: the runtime finds them again.
                let keyArguments = try self.witnessTables(descriptor, shape, arguments: metadata)
                found = keyArguments.withUnsafeBufferPointer { hp_metadata_for_descriptor(descriptor, $0.baseAddress) }
            } else {
                guard arguments.isEmpty, witnessTables.isEmpty else {
                    throw .malformed("a non-generic type-table entry has generic arguments")
                }
                found = hp_metadata_for_descriptor(descriptor, nil)
            }
            guard let found, _Metadata(found).descriptor == descriptor else {
                throw .malformed("a type-table entry did not resolve to its own descriptor")
            }
            return _Metadata(found)
        case .existential(let classBound, let superclass, let protocols):
            var descriptors: [UnsafeRawPointer?] = []
            for entry in protocols {
                let local = Int(imageMap[entry.image])
                guard let descriptor = images.resolve(image: local, offset: entry.offset, span: _Span.protocolDescriptor),
                      _aligned(descriptor, 4), images.isProtocolDescriptor(descriptor, image: local),
                      _ContextDescriptor(descriptor).flags.kind == .protocol else {
                    throw .malformed("a type-table entry does not point at a protocol descriptor")
                }
                descriptors.append(descriptor)
            }
            let superclassType = try superclass.map { (index: Int) throws(PackError) -> UnsafeRawPointer in
                let type = try argument(index)
                guard type.kind == _MetadataKind.class else { throw .malformed("a superclass constraint is not a class") }
                return type.pointer
            }
            let found = descriptors.withUnsafeBufferPointer {
                hp_existential_metadata(classBound, superclassType, $0.count, $0.baseAddress)
            }
            guard let found else { throw .malformed("the runtime made no existential type for a type-table entry") }
            return _Metadata(found)
        case .genericBox(let boxed):
            guard let found = hp_box_metadata(try argument(boxed).pointer) else {
                throw .malformed("the runtime made no box for a type-table entry")
            }
            return _Metadata(found)
        case .genericContext(let image, let offset, _, _):
            return try contextMetadata(image: Int(imageMap[image]), offset: offset, images)
        case .metatype(let existential, let instance):
            let instanceType = try argument(instance)
            guard !existential || instanceType.kind == _MetadataKind.existential
                    || instanceType.kind == _MetadataKind.existentialMetatype else {
                throw .malformed("an existential metatype entry names a non-existential type")
            }
            return _Metadata(hp_metatype_metadata(instanceType.pointer, existential))
        }
    }
}

extension _Engine {
    /// Every entry of a type table, resolved up front (tests of the checks each entry gets).
    func resolveTypes(_ entries: [_PacketFormat.TypeEntry], _ imageMap: [UInt32],
                      _ images: _ImageTable) throws(PackError) -> [_Metadata] {
        try _TypeResolver(self, entries, imageMap, images).resolveAll()
    }
}
