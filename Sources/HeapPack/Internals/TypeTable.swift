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
    /// Closure-context metadata: the whole record.
    static let contextMetadata = UInt64(_HeapLocalVariableMetadata.size)
    /// A protocol descriptor: its flags (and parent); the runtime reads the rest.
    static let protocolDescriptor = UInt64(_ContextDescriptor.size)
    /// A type descriptor, before its kind is known: the fields every kind has. The rest is
    /// checked with `_GenericShape.span(of:)` once the kind says how much the decoder reads.
    static let typeDescriptor = UInt64(_TypeContextDescriptor.size)
    /// A witness table: the word naming its conformance; the runtime reads the rest.
    static let witnessTable = UInt64(MemoryLayout<UnsafeRawPointer>.size)
}

extension _Engine {
    func bindingWords(_ bindings: [_PacketFormat.Binding], _ parameters: [_Metadata], _ imageMap: [UInt32],
                              _ images: _ImageTable) throws(PackError) -> [UInt] {
        var words: [UInt] = []
        for binding in bindings {
            switch binding {
            case .parameter(let index):
                words.append(UInt(bitPattern: parameters[index].pointer))
            case .witness(let parameter, let protocolImage, let protocolOffset):
                guard parameter < parameters.count,
                      let descriptor = images.resolve(image: Int(imageMap[protocolImage]), offset: protocolOffset,
                                                      span: _Span.protocolDescriptor),
                      _ContextDescriptor(descriptor).flags.kind == .protocol,
                      let table = hp_conformance(parameters[parameter].pointer, descriptor) else {
                    throw .malformed("a generic closure's witness-table binding cannot be found again")
                }
                words.append(UInt(bitPattern: table))
            }
        }
        return words
    }

    /// Closure-context metadata named by address: kind 0x400 in a file-backed segment, with a
    /// capture descriptor inside an image.
    private func contextMetadata(image: Int, offset: UInt64, _ images: _ImageTable) throws(PackError) -> _Metadata {
        guard let address = images.resolve(image: image, offset: offset, span: _Span.contextMetadata),
              _Metadata(address).kind == .heapLocalVariable,
              let captures = _HeapLocalVariableMetadata(_Metadata(address)).captureDescriptor,
              images.locate(captures.pointer) != nil else {
            throw .malformed("a type-table address is not closure-context metadata in this binary")
        }
        return _Metadata(address)
    }

    func resolveTypes(_ entries: [_PacketFormat.TypeEntry], _ imageMap: [UInt32],
                              _ images: _ImageTable) throws(PackError) -> [_Metadata] {
        var resolved = [_Metadata?](repeating: nil, count: entries.count)
        var visiting = Set<Int>()
        var depth = 0
        func resolve(_ index: Int) throws(PackError) -> _Metadata {
            if let done = resolved[index] { return done }
            // Generic arguments refer to other entries: a cycle among them is garbage, and so is
            // nesting deeper than any type the plan builder accepts.
            guard visiting.insert(index).inserted else { throw .malformed("the type table refers to itself") }
            guard depth < _PlanBuilder.maxDepth else { throw .malformed("the type table nests too deeply") }
            depth += 1
            defer { depth -= 1 }
            let made = try resolveType(entries[index], imageMap, images, argument: resolve)
            resolved[index] = made
            return made
        }
        return try (0..<entries.count).map { (index: Int) throws(PackError) -> _Metadata in try resolve(index) }
    }

    private func resolveType(_ entry: _PacketFormat.TypeEntry, _ imageMap: [UInt32], _ images: _ImageTable,
                             argument: (Int) throws(PackError) -> _Metadata) throws(PackError) -> _Metadata {
        switch entry {
        case .mangledName(let name):
            // Bytes 0x01-0x1F would be taken as symbolic references: pointers. Never from a packet.
            guard !name.isEmpty, !name.contains(where: { $0 < 0x20 }) else {
                throw .malformed("a type-table name contains control bytes")
            }
            let found = name.withUnsafeBufferPointer { buffer in
                buffer.withMemoryRebound(to: CChar.self) { hp_type_by_mangled_name($0.baseAddress, $0.count, nil, nil) }
            }
            guard let found else {
                throw PackError(code: .binaryMismatch,
                                message: "type '\(String(decoding: name, as: UTF8.self))' does not exist in this binary")
            }
            return _Metadata(found)
        case .staticAddress(let image, let offset):
            return try contextMetadata(image: Int(imageMap[image]), offset: offset, images)
        case .nominal(let image, let offset, let arguments, let witnessTables):
            let local = Int(imageMap[image])
            // A class, struct or enum descriptor (the only kinds with a span), all of whose bytes
            // the decoder reads (fixed fields, generic header) lie in the image.
            guard let head = images.resolve(image: local, offset: offset, span: _Span.typeDescriptor),
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
                var keyArguments: [UnsafeRawPointer?] = []
                for index in arguments { keyArguments.append(try argument(index).pointer) }
                for table in witnessTables {
                    guard let address = images.resolve(image: Int(imageMap[table.image]), offset: table.offset,
                                                       span: _Span.witnessTable) else {
                        throw .malformed("a witness-table pointer lies outside the image")
                    }
                    keyArguments.append(address)
                }
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
                guard let descriptor = images.resolve(image: Int(imageMap[entry.image]), offset: entry.offset,
                                                      span: _Span.protocolDescriptor),
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
