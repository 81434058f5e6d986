import CHeapPack

/// A plan pointer that may cross the lock: plans are immutable once built and live as long as
/// their builder.
struct _PlanRef: @unchecked Sendable {
    let plan: UnsafeMutablePointer<hp_plan>
}

/// Everything a `Packer` caches: the image table, the layout plans, the type-name table.
final class _Engine: @unchecked Sendable {
    private let imageTable: Result<_ImageTable, PackError>
    let builder = _Locked(_PlanBuilder())
    /// Runtime singletons that live in an image and travel as image pointers (the empty-array
    /// storage): both sides have them, initialized.
    let staticObjects: UnsafeMutablePointer<UInt>
    let staticObjectCount: Int
    let typeNames = _Locked([UnsafeRawPointer: _PacketFormat.TypeEntry]())
    /// Types the reader found by mangled name. The runtime demangles a name on every lookup
    /// (about 14,000 instructions, a fifth of a 1,000-node list's unpack); a name always
    /// resolves to the same metadata in one process. Packets choose the names, so the memory is
    /// bounded: names up to `typesByNameLongest` bytes, and it starts again empty when full,
    /// so that a sender who fills it with names no one else uses slows lookups only until then.
    let typesByName = _Locked([[UInt8]: UnsafeRawPointer]())
    static let typesByNameLimit = 1024
    static let typesByNameLongest = 1024
    /// rootTypeName's, by type.
    let rootTypeNames = _Locked([ObjectIdentifier: [UInt8]]())
    /// Named well-known objects (Packer.register).
    let names = _Locked([String: AnyObject]())

    init() {
        do throws(PackError) { imageTable = .success(try _ImageTable()) } catch { imageTable = .failure(error) }
        let emptyArray: [Int] = []
        let singleton = withUnsafeBytes(of: emptyArray) { $0.load(as: UInt.self) }
        staticObjects = .allocate(capacity: 1)
        staticObjects.initialize(to: singleton)
        staticObjectCount = 1
    }

    deinit { staticObjects.deallocate() }

    func images() throws(PackError) -> _ImageTable { try imageTable.get() }

    func describe(_ plan: UnsafeRawPointer?) -> _PlanDescription? {
        guard let plan else { return nil }
        return builder.withLock { $0.descriptions[plan] }
    }

    /// The path labels of op `op` of `plan` (`[".sink"]`, `["capture 1: Logger"]`); none for
    /// an unknown plan or no op.
    func labels(_ plan: UnsafePointer<hp_plan>?, _ op: UInt32) -> [String] {
        guard let plan, op != UInt32.max, let description = describe(UnsafeRawPointer(plan)),
              Int(op) < description.labels.count else { return [] }
        return description.labels[Int(op)]
    }

    /// The refusal a REFUSED op stands for.
    func refusal(_ op: hp_op) -> PackError? {
        guard op.kind == HP_OP_REFUSED.rawValue, let standIn = op.sub else { return nil }
        return builder.withLock { $0.refusals[UnsafeRawPointer(standIn)] }
    }

    func objectPlan(_ metadata: _Metadata) throws(PackError) -> _PlanRef {
        try builder.withLock { (b: inout _PlanBuilder) throws(PackError) in _PlanRef(plan: try b.objectPlan(metadata)) }
    }

    func instancePlan(_ metadata: _Metadata, object: UnsafeRawPointer) throws(PackError) -> _PlanRef {
        try builder.withLock { (b: inout _PlanBuilder) throws(PackError) in
            _PlanRef(plan: try b.instancePlan(metadata, object: object))
        }
    }

    func genericContextPlan(_ metadata: _Metadata, parameters: [_Metadata], bindingWords: [UInt]) throws(PackError) -> _PlanRef {
        try builder.withLock { (b: inout _PlanBuilder) throws(PackError) in
            _PlanRef(plan: try b.genericContextPlan(metadata, parameters: parameters, bindingWords: bindingWords))
        }
    }

    /// The context metadata, parameters and bindings behind a per-instance plan, if `key` is one.
    func instance(_ key: UnsafeRawPointer) -> (metadata: _Metadata, parameters: [_Metadata], bindings: [_Binding])? {
        builder.withLock { $0.instances[key] }
    }

    func valuePlan(_ metadata: _Metadata) throws(PackError) -> _PlanRef {
        try builder.withLock { (b: inout _PlanBuilder) throws(PackError) in _PlanRef(plan: try b.valuePlan(metadata)) }
    }

    func rootPlan(_ type: Any.Type) throws(PackError) -> _PlanRef {
        try builder.withLock { (b: inout _PlanBuilder) throws(PackError) in _PlanRef(plan: try b.rootPlan(type)) }
    }

    /// The name by which the root type is checked on unpack, made once per type: a pack and an
    /// unpack each ask (about 2,300 instructions, a twentieth of a 10-node list's unpack). The
    /// types are the program's own, a bounded set.
    func rootTypeName(_ type: Any.Type) -> [UInt8] {
        if let known = rootTypeNames.withLock({ $0[ObjectIdentifier(type)] }) { return known }
        let name = stableTypeName(type)
        rootTypeNames.withLock { $0[ObjectIdentifier(type)] = name }
        return name
    }

    /// The mangled name of a type that involves a private or local type embeds the run-time
    /// address of an anonymous context (`13$55ac5f8da7c0yXZ`), which ASLR moves; each such
    /// address is rewritten as its image's file name and offset (`24$heappack-peer+7f27c0yXZ`),
    /// the same in every process of the binary.
    private func stableTypeName(_ type: Any.Type) -> [UInt8] {
        let name = _mangledTypeName(type) ?? _typeName(type, qualified: true)
        guard name.contains("$"), let images = try? images() else { return Array(name.utf8) }
        let address = /(?<length>[0-9]*)\$(?<hex>[0-9a-f]+)/
        let stable = name.replacing(address) { match -> String in
            guard let value = UInt(match.output.hex, radix: 16), let pointer = UnsafeRawPointer(bitPattern: value),
                  let (image, offset) = images.locate(pointer) else { return String(match.output.0) }
            let identifier = "$" + images.fileName(image) + "+" + String(offset, radix: 16)
            // A length prefix counts the identifier's characters: keep it true for the demangler.
            return (match.output.length.isEmpty ? "" : String(identifier.count)) + identifier
        }
        return Array(stable.utf8)
    }
}
