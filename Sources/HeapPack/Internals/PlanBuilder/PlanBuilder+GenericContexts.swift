import CHeapPack

/// One binding word of a generic closure context, described so another process can make it.
enum _Binding {
    /// The metadata of generic parameter `parameter`.
    case parameter(Int)
    /// A witness table: the conformance of generic parameter `parameter` to a protocol.
    case witness(parameter: Int, protocolDescriptor: UnsafeRawPointer)
}

/// The key of a generic closure context's plan: its metadata, parameters and binding words.
struct _InstanceKey: Hashable {
    let metadata: UnsafeRawPointer
    let parameters: [UInt]
    let bindings: [UInt]
}

/// Generic closure contexts: a plan per set of generic parameters, found through the
/// capture descriptor's metadata sources, with the binding words every new context gets.
extension _PlanBuilder {
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
    func parameterSources(_ captures: _CaptureDescriptor) throws(PackError) -> [_MetadataSource] {
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
}
