import CHeapPack

private let makeString: hp_make_string_fn = { bytes, length, destination in
    let text = String(decoding: UnsafeBufferPointer(start: bytes, count: length), as: UTF8.self)
    destination!.initializeMemory(as: String.self, repeating: text, count: 1)
}

private let destroyString: hp_destroy_string_fn = { string in
    string!.assumingMemoryBound(to: String.self).deinitialize(count: 1)
}

let _destroyReplacement: hp_destroy_replacement_fn = { type, replacement in
    _replaceable(type)?._destroyReplacement(replacement!)
}

private let restore: hp_restore_fn = { type, replacement, destination in
    // Plans only carry REPLACE ops for types that passed this same check.
    _replaceable(type)?._restore(from: replacement!, into: destination!)
}

private let restoreObject: hp_restore_object_fn = { type, replacement in
    // Plans only carry object replacements for types that passed this same check.
    guard let replaceable = _replaceable(type), let replacement else { return nil }
    var object: UnsafeMutableRawPointer?
    // The rebuilt value is a class reference: its +1 moves into `object`, and on to the shim.
    withUnsafeMutablePointer(to: &object) { replaceable._restore(from: replacement, into: UnsafeMutableRawPointer($0)) }
    return object
}

/// `Array.withUnsafeBytes` with a typed error (the stdlib's is `rethrows`).
func _withBytes<R>(_ bytes: [UInt8], _ body: (UnsafeRawBufferPointer) throws(PackError) -> R) throws(PackError) -> R {
    let result: Result<R, PackError> = bytes.withUnsafeBytes { raw in
        do throws(PackError) { return .success(try body(raw)) } catch { return .failure(error) }
    }
    return try result.get()
}

extension _Engine {
    func unpack<T>(_ bytes: [UInt8], as type: T.Type, verifyChecksum: Bool, maxObjects: Int) throws(PackError) -> T {
        let images = try images()
        return try _withBytes(bytes) { (packet: UnsafeRawBufferPointer) throws(PackError) -> T in
            let header = try _PacketFormat.readHeader(packet, verifyChecksum: verifyChecksum)
            let imageMap = try mapImages(header.images, images)
            let expected = rootTypeName(T.self)
            guard header.rootTypeName == expected else {
                throw PackError(code: .typeMismatch,
                                message: "the packet holds a \(Self.displayName(header.rootTypeName)), "
                                    + "not a \(_typeName(T.self, qualified: true))",
                                typeName: Self.displayName(header.rootTypeName))
            }
            let tables = try readerTables(header, imageMap, images)
            let root = try rootPlan(T.self)
            // Named objects: this process's own, by name; all must exist before anything is built.
            let namedObjects = try registeredObjects(for: header.names)
            let body = packet.baseAddress!.assumingMemoryBound(to: UInt8.self) + header.headerLength
            let destination = UnsafeMutablePointer<T>.allocate(capacity: 1)
            defer { destination.deallocate() }
            var unpacker = hp_unpacker()
            defer { hp_unpacker_free(&unpacker) }
            let status = withUnpacker(&unpacker, tables, images, imageMap, header: header, body: body,
                                      namedObjects: namedObjects, maxObjects: maxObjects) {
                hp_unpack(&$0, root.plan, destination)
            }
            guard status == HP_OK else {
                throw bodyError(status, unpacker, offset: header.headerLength + (unpacker.cursor.map { $0 - body } ?? 0))
            }
            return destination.move()
        }
    }

    /// The error for a failed walk over the body; `offset` is where the reader stopped.
    func bodyError(_ status: hp_status, _ unpacker: hp_unpacker, offset: Int) -> PackError {
        _WalkFailure.unpack(status, hp_reason(rawValue: unpacker.site.reason), maxObjects: unpacker.max_objects,
                            offset: offset, reading: readingSite(unpacker.site))
    }

    /// Types, object plans and value plans of a packet's type table, by index: what the shim
    /// reads the body with.
    struct ReaderTables {
        var metadata: [UnsafeRawPointer?] = []
        var plans: [UnsafePointer<hp_plan>?] = []
        var valuePlans: [UnsafePointer<hp_plan>?] = []
    }

    func readerTables(_ header: _PacketFormat.Header, _ imageMap: [UInt32],
                      _ images: _ImageTable) throws(PackError) -> ReaderTables {
        var tables = ReaderTables()
        let resolvedTypes = try resolveTypes(header.types, imageMap, images)
        for (position, resolved) in resolvedTypes.enumerated() {
            tables.metadata.append(resolved.pointer)
            if case .genericContext(_, _, let parameterIndices, let bindings) = header.types[position] {
                // The same specialised plan the writer had, with this process's bindings.
                let parameters = parameterIndices.map { resolvedTypes[$0] }
                let words = try bindingWords(bindings, parameters, imageMap, images)
                tables.plans.append(UnsafePointer(try genericContextPlan(resolved, parameters: parameters,
                                                                         bindingWords: words).plan))
                tables.valuePlans.append(nil)
                continue
            }
            // Types that only appear as metatype values may have no object plan; a reference
            // to an object of such a type is refused by the shim as malformed.
            let kind = resolved.kind
            if kind == _MetadataKind.class || kind == _MetadataKind.heapLocalVariable
                || kind == _MetadataKind.heapGenericLocalVariable,
               let plan = try? objectPlan(resolved) {
                tables.plans.append(UnsafePointer(plan.plan))
            } else {
                tables.plans.append(nil)
            }
            // Any type may be the dynamic type of an existential; one without a plan
            // (say, a refused class seen only as a metatype value) cannot be.
            tables.valuePlans.append((try? valuePlan(resolved)).map { UnsafePointer($0.plan) })
        }
        return tables
    }

    /// This process's objects for the packet's names, in order (nil for unused names).
    func registeredObjects(for packetNames: [String]) throws(PackError) -> [AnyObject?] {
        let registry = names.withLock { $0 }
        var objects: [AnyObject?] = []
        for name in packetNames {
            if name.isEmpty { objects.append(nil); continue }
            guard let object = registry[name] else {
                throw PackError(code: .unknownName, path: name,
                                message: "the packet refers to an object named '\(name)', which this process has not "
                                    + "registered (Packer.register(_:as:))")
            }
            objects.append(object)
        }
        return objects
    }

    /// Fills the shim's reader over `body` and runs `read` with it; the tables and objects stay
    /// alive throughout.
    func withUnpacker(_ unpacker: inout hp_unpacker, _ tables: ReaderTables, _ images: _ImageTable,
                      _ imageMap: [UInt32], header: _PacketFormat.Header, body: UnsafePointer<UInt8>,
                      namedObjects: [AnyObject?], maxObjects: Int,
                      _ read: (inout hp_unpacker) -> hp_status) -> hp_status {
        let namedPointers: [UnsafeMutableRawPointer?] = namedObjects.map {
            $0.map { Unmanaged.passUnretained($0).toOpaque() }
        }
        return imageMap.withUnsafeBufferPointer { imageMap in
            tables.metadata.withUnsafeBufferPointer { metadata in
                tables.plans.withUnsafeBufferPointer { plans in tables.valuePlans.withUnsafeBufferPointer { valuePlans in
                    unpacker.images = UnsafePointer(images.table)
                    unpacker.image_map = imageMap.baseAddress
                    unpacker.image_map_count = UInt32(imageMap.count)
                    unpacker.types = metadata.baseAddress
                    unpacker.type_plans = plans.baseAddress
                    unpacker.value_plans = valuePlans.baseAddress
                    unpacker.type_count = UInt32(metadata.count)
                    unpacker.make_string = makeString
                    unpacker.destroy_string = destroyString
                    unpacker.restore = restore
                    unpacker.restore_object = restoreObject
                    unpacker.destroy_replacement = _destroyReplacement
                    unpacker.static_objects = UnsafePointer(staticObjects)
                    unpacker.static_object_count = UInt32(staticObjectCount)
                    unpacker.named_object_count = UInt32(namedPointers.count)
                    unpacker.max_objects = UInt64(max(0, min(maxObjects, Int(UInt32.max - 1))))
                    unpacker.expected_objects = UInt64(header.objectCount)
                    unpacker.cursor = body
                    unpacker.end = body + header.bodyLength
                    return withExtendedLifetime(namedObjects) {
                        namedPointers.withUnsafeBufferPointer { named in
                            unpacker.named_objects = UnsafePointer(named.baseAddress)
                            return read(&unpacker)
                        }
                    }
                } }
            }
        }
    }

    /// " (reading .members of Team)": the innermost plan and op the reader was in.
    private func readingSite(_ site: hp_site) -> String {
        guard let plan = site.plan, let description = describe(UnsafeRawPointer(plan)) else { return "" }
        let field = labels(plan, site.op).joined(separator: " > ")
        return " (reading " + (field.isEmpty ? "" : field + " of ") + description.typeName + ")"
    }

    static func displayName(_ mangled: [UInt8]) -> String {
        let name = String(decoding: mangled, as: UTF8.self)
        guard !mangled.contains(where: { $0 < 0x20 }) else { return name }
        if let type = _typeByName(name) { return _typeName(type, qualified: true) }
        // Not a type of this binary: demangling still makes it readable.
        return _demangle("$s" + name) ?? name
    }

    func mapImages(_ entries: [_PacketFormat.ImageEntry], _ images: _ImageTable) throws(PackError) -> [UInt32] {
        var map: [UInt32] = []
        for (index, entry) in entries.enumerated() {
            guard let local = localImage(entry, isMain: index == 0, images) else {
                if index == 0 {
                    throw PackError(code: .binaryMismatch,
                                    message: "the packet was made by a different executable (\(entry.name))",
                                    expectedBuildID: _hex(entry.buildID), foundBuildID: _hex(images.buildID(0)))
                }
                throw PackError(code: .binaryMismatch,
                                message: "the packet needs \(entry.name), which is not loaded here with the same build-id",
                                expectedBuildID: _hex(entry.buildID))
            }
            map.append(UInt32(local))
        }
        return map
    }

    /// This process's image for a packet image: the main executable must be this one; others
    /// match by build-id, or by file name when they have none.
    func localImage(_ entry: _PacketFormat.ImageEntry, isMain: Bool, _ images: _ImageTable) -> Int? {
        if isMain { return entry.buildID == images.buildID(0) ? 0 : nil }
        if !entry.buildID.isEmpty { return (0..<images.count).first { images.buildID($0) == entry.buildID } }
        return (0..<images.count).first { images.path($0).hasSuffix("/" + entry.name) && images.buildID($0).isEmpty }
    }
}
