import CHeapPack

/// The Swift side of one pack walk: answers the shim's callbacks and turns its failure site
/// into a `PackError` with a path.
final class _PackWalk {
    let engine: _Engine
    var error: PackError?
    /// Collect-all mode: the problems found so far, and what their paths need.
    var problems: [PackError] = []
    var rootType: Any.Type = Void.self
    /// PackOptions.maxObjects, as the shim was given it (for the limit's message).
    var maxObjects: UInt64 = 0
    static let maxProblems = 1000

    /// UTF-8 copies of non-contiguous strings, alive until the walk ends.
    var stringCopies: [UnsafeMutableBufferPointer<UInt8>] = []

    init(engine: _Engine) { self.engine = engine }

    deinit {
        for copy in stringCopies { copy.deallocate() }
    }

    static let planProvider: hp_plan_provider = { context, metadata, object in
        let walk = Unmanaged<_PackWalk>.fromOpaque(context).takeUnretainedValue()
        do throws(PackError) {
            if let object { return UnsafePointer(try walk.engine.instancePlan(_Metadata(metadata), object: object).plan) }
            return UnsafePointer(try walk.engine.objectPlan(_Metadata(metadata)).plan)
        } catch {
            walk.error = error
            return nil
        }
    }

    static let valuePlanProvider: hp_plan_provider = { context, metadata, _ in
        let walk = Unmanaged<_PackWalk>.fromOpaque(context).takeUnretainedValue()
        do throws(PackError) {
            return UnsafePointer(try walk.engine.valuePlan(_Metadata(metadata)).plan)
        } catch {
            var refused = error
            if refused.typeName == nil { refused.typeName = _Metadata(metadata).name }
            walk.error = refused
            return nil
        }
    }

    static let stringBytes: hp_string_bytes_fn = { context, string, bytesOut, lengthOut in
        let walk = Unmanaged<_PackWalk>.fromOpaque(context).takeUnretainedValue()
        let utf8 = string.load(as: String.self).utf8
        let copy = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: max(utf8.count, 1))
        _ = copy.initialize(from: utf8)
        walk.stringCopies.append(copy)
        bytesOut.pointee = UnsafePointer(copy.baseAddress)
        lengthOut.pointee = utf8.count
        return true
    }

    static let report: hp_report_fn = { context, packer, status in
        let walk = Unmanaged<_PackWalk>.fromOpaque(context).takeUnretainedValue()
        guard walk.problems.count < maxProblems else { return false }
        walk.problems.append(walk.failure(status, _ShimPacker(packer), root: walk.rootType))
        walk.error = nil
        return true
    }

    static let replace: hp_replace_fn = { context, type, value, replacement in
        guard let replaceable = _replaceable(type) else { return false }
        replaceable._makeReplacement(of: value, at: replacement)
        return true
    }

    func failure(_ status: hp_status, _ packer: _ShimPacker, root: Any.Type) -> PackError {
        let site = packer.site
        let reason = hp_reason(rawValue: site.reason)
        let refusal = reason == HP_REASON_VALUE_REFUSED ? op(at: site).flatMap(engine.refusal) : nil
        var error = _WalkFailure.pack(status, reason, pointer: UInt(site.pointer), maxObjects: maxObjects,
                                      nesting: nesting(at: site), recorded: self.error, refusal: refusal)
        // A refusal from the plan builder carries the path inside the refused type.
        let fromBuilder = reason == HP_REASON_PLAN_REFUSED || reason == HP_REASON_VALUE_REFUSED
        let inner = fromBuilder ? error.path : ""
        error.path = path(packer, root: root)
        if !inner.isEmpty { error.path += " > " + inner }
        if fromBuilder, let typeName = error.typeName {
            error.path += " > " + typeName
        }
        return error
    }

    /// The kind of inline value at `site`, for a nesting-depth failure: the op that went one level
    /// too deep.
    private func nesting(at site: hp_site) -> String {
        switch op(at: site)?.kind {
        case HP_OP_ENUM.rawValue: "an enum payload"
        case HP_OP_EXISTENTIAL.rawValue: "an existential value"
        case HP_OP_REPLACE.rawValue, HP_OP_REF.rawValue: "a replacement value"
        default: "a value"
        }
    }

    private func op(at site: hp_site) -> hp_op? {
        guard let plan = site.plan, site.op != UInt32.max, site.op < plan.pointee.op_count else { return nil }
        return plan.pointee.ops[Int(site.op)]
    }

    /// How element `index` of a dictionary's keys or values array reads in a path, when
    /// `storage` is one of the two arrays of a dictionary's replacement (`_DictionaryEntries`):
    /// `["culprit"]` for a value (the keys array is the object introduced just before the values
    /// array, from the same slot), `key "culprit"` for a key. Bucket indices mean nothing to a reader.
    private func dictionaryEntry(_ packer: _ShimPacker, storage object: UInt32, index: UInt64) -> String? {
        let origin = packer.object(object).origin
        guard let plan = origin.plan,
              engine.describe(UnsafeRawPointer(plan))?.typeName.hasPrefix("HeapPack._DictionaryEntries<") == true
        else { return nil }
        let isKey: Bool
        switch engine.labels(origin.plan, origin.op).first {
        case ".keys": isKey = true
        case ".values": isKey = false
        default: return nil
        }
        let keysIndex = isKey ? Int(object) : Int(object) - 1
        guard keysIndex >= 0 else { return nil }
        let (keys, keysPlan, keysOrigin) = packer.object(UInt32(keysIndex))
        guard keysOrigin.parent == origin.parent, keysOrigin.plan == origin.plan, keysOrigin.element == origin.element,
              engine.labels(keysOrigin.plan, keysOrigin.op).first == ".keys" else { return nil }
        // The keys array's own plan says where its count and elements are.
        guard let keysPlan, keysPlan.pointee.has_tail != 0, let elementPlan = keysPlan.pointee.element,
              let storage = keysPlan.pointee.metadata, let element = _PlanBuilder.arrayElement(of: _Metadata(storage)),
              index < keys.load(fromByteOffset: Int(keysPlan.pointee.count_offset), as: UInt64.self) else { return nil }
        let slot = keys + Int(keysPlan.pointee.tail_offset) + Int(index) * Int(elementPlan.pointee.stride)
        func describe<Key>(_: Key.Type) -> String { String(reflecting: slot.load(as: Key.self)) }
        let text = _openExistential(element.type, do: describe)
        let key = text.count <= 60 ? text : String(text.prefix(57)) + "..."
        return isKey ? "key \(key)" : "[\(key)]"
    }

    /// `root: T > capture 1: Logger > .sink`: the hops from the root to the failure site, made
    /// from what the walk recorded (origins, nesting steps, closure code pointers).
    func path(_ packer: _ShimPacker, root: Any.Type) -> String {
        let site = packer.site
        let paths = _PathBuilder(engine: engine)
        var hops: [[String]] = [paths.hop(nil, .max, element: site.element) + paths.nesting(packer.sitePath)
                                + paths.hop(site.plan, site.op, code: site.code)]
        var object = site.object
        var childElement = site.element
        var guardCount = 0
        while object != UInt32.max, object < packer.objectCount, guardCount < 10_000 {
            let origin = packer.object(object).origin
            if origin.parent == HP_ORIGIN_UNKNOWN {
                hops.append(["…"])
                break
            }
            var step = paths.hop(origin.plan, origin.op, element: origin.element, code: origin.code)
            if childElement != UInt64.max, hops[hops.count - 1].first?.hasPrefix("[") == true,
               let entry = dictionaryEntry(packer, storage: object, index: childElement) {
                // `.values > ._buffer > ._storage > [3]` says less than the key it belongs to.
                hops[hops.count - 1][0] = entry
                step = paths.hop(nil, .max, element: origin.element)
            }
            childElement = origin.element
            hops.append(step)
            object = origin.parent
            guardCount += 1
        }
        let parts = ["root: \(_typeName(root, qualified: false))"] + hops.reversed().flatMap { $0 }
        return parts.joined(separator: " > ")
    }
}

extension _Engine {
    func pack<T>(_ value: T, maxObjects: Int, collectAll: Bool = false,
                 authenticationKey: [UInt8]? = nil) throws(PackError) -> [UInt8] {
        let key = try _PacketAuthentication.key(authenticationKey, named: "PackOptions.authenticationKey")
        let images = try images()
        let root: _PlanRef
        do throws(PackError) {
            root = try rootPlan(T.self)
        } catch {
            var refused = error
            refused.path = (["root: \(_typeName(T.self, qualified: false))"] + (error.path.isEmpty ? [] : [error.path])
                            + (error.typeName.map { [$0] } ?? [])).joined(separator: " > ")
            throw refused
        }
        // A snapshot of the registry: these objects stay alive, and keep their numbers, for the walk.
        let registered = names.withLock { Array($0) }
        let namedAddresses = registered.map { UInt(bitPattern: Unmanaged.passUnretained($0.value).toOpaque()) }
        let limit = UInt64(max(0, min(maxObjects, Int(UInt32.max - 1))))
        // One walk of the value; the packer it returns is the caller's to destroy.
        func walk(recordingOrigins: Bool) throws(PackError) -> (packer: _ShimPacker, walk: _PackWalk, failure: PackError?) {
            let walk = _PackWalk(engine: self)
            walk.rootType = T.self
            walk.maxObjects = limit
            let callbacks = hp_pack_callbacks(plan_for: _PackWalk.planProvider, value_plan_for: _PackWalk.valuePlanProvider,
                                              string_bytes: _PackWalk.stringBytes, replace: _PackWalk.replace,
                                              destroy_replacement: _destroyReplacement,
                                              report: collectAll ? _PackWalk.report : nil)
            let made = namedAddresses.withUnsafeBufferPointer { named in
                var config = hp_pack_config(images: UnsafePointer(images.table), callbacks: callbacks,
                                            context: Unmanaged.passUnretained(walk).toOpaque(),
                                            static_objects: UnsafePointer(staticObjects),
                                            static_object_count: UInt32(staticObjectCount),
                                            named_objects: named.baseAddress, named_object_count: UInt32(named.count),
                                            max_objects: limit, record_origins: recordingOrigins)
                return hp_packer_create(&config)
            }
            guard let handle = made else { throw .limit("out of memory while packing") }
            let packer = _ShimPacker(handle)
            let failure: PackError? = withUnsafePointer(to: value) { pointer in
                let status = hp_pack(handle, root.plan, pointer)
                // The path reads the values it names, so it is made while they are alive.
                return status == HP_OK ? nil : walk.failure(status, packer, root: T.self)
            }
            return (packer, walk, failure)
        }
        // -O may end a value's lifetime at its last use; the walk reads it until the end.
        return try withExtendedLifetime((value, registered)) { () throws(PackError) -> [UInt8] in
            // Origins cost 32 bytes an object, two thirds of what a walk keeps per object, and only a
            // path reads them. So a walk keeps them only when it reports paths as it goes
            // (collectAll); a walk that fails without them is run again with them for its path.
            var attempt = try walk(recordingOrigins: collectAll)
            defer { hp_packer_destroy(attempt.packer.handle) }
            if attempt.failure != nil && !collectAll, let again = try? walk(recordingOrigins: true) {
                // A value changed by another thread while it was packed may not fail again.
                if again.failure != nil {
                    hp_packer_destroy(attempt.packer.handle)
                    attempt = again
                } else {
                    hp_packer_destroy(again.packer.handle)
                }
            }
            if var failure = attempt.failure {
                if !attempt.walk.problems.isEmpty { failure.problems = attempt.walk.problems + [failure] }
                throw failure
            }
            if var first = attempt.walk.problems.first {
                first.problems = attempt.walk.problems
                throw first
            }
            return try assemble(attempt.packer, T.self, images: images, registered: registered, authenticationKey: key)
        }
    }

    /// The packet of a finished walk: its images, type table, names and body.
    private func assemble<T>(_ packer: _ShimPacker, _: T.Type, images: _ImageTable,
                             registered: [(key: String, value: AnyObject)],
                             authenticationKey: _PacketAuthentication.Key?) throws(PackError) -> [UInt8] {
        // Walk types keep their indices; generic arguments of nominal entries are appended.
        var typeList: [(key: UnsafeRawPointer, instance: UnsafePointer<hp_plan>?)] = packer.types
        var typeIndex: [UnsafeRawPointer: Int] = [:]
        for (index, type) in typeList.enumerated() { typeIndex[type.key] = index }
        func index(of argument: _Metadata) -> Int {
            if let known = typeIndex[argument.pointer] { return known }
            typeIndex[argument.pointer] = typeList.count
            typeList.append((argument.pointer, nil))
            return typeList.count - 1
        }
        var types: [_PacketFormat.TypeEntry] = []
        while types.count < typeList.count {
            let type = typeList[types.count]
            // Per-instance plans (generic closure contexts) are type-table entries of their own.
            if let plan = type.instance {
                guard let (metadata, parameters, bindings) = instance(UnsafeRawPointer(plan)) else {
                    throw .internalInconsistency("a closure context's per-instance plan is not one the plan builder made")
                }
                types.append(try genericContextEntry(metadata, parameters, bindings, packer, images, index: index))
            } else {
                types.append(try typeEntry(_Metadata(type.key), packer, images, index: index))
            }
        }
        guard types.count <= _PacketFormat.maxTypeEntries else {
            throw .limit("the value holds \(types.count) distinct types, more than the \(_PacketFormat.maxTypeEntries) "
                         + "a packet may name")
        }
        let imageEntries = packer.imagesUsed.map { image in
            _PacketFormat.ImageEntry(buildID: images.buildID(Int(image)), name: images.fileName(Int(image)))
        }
        // Only the names the packet uses are spelled out; the others stay empty.
        let usedNames = registered.indices.map { packer.nameUsed($0) ? registered[$0].key : "" }
        return _PacketFormat.assemble(images: imageEntries, rootTypeName: rootTypeName(T.self), types: types,
                                      names: usedNames.contains(where: { !$0.isEmpty }) ? usedNames : [],
                                      objectCount: Int(packer.objectCount), body: packer.body,
                                      authenticationKey: authenticationKey)
    }
}
