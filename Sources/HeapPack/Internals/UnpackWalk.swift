import CHeapPack

private let makeString: hp_make_string_fn = { bytes, length, destination in
    let text = String(decoding: UnsafeBufferPointer(start: bytes, count: length), as: UTF8.self)
    destination.initializeMemory(as: String.self, repeating: text, count: 1)
}

private let destroyString: hp_destroy_string_fn = { string in
    string.assumingMemoryBound(to: String.self).deinitialize(count: 1)
}

let _destroyReplacement: hp_destroy_replacement_fn = { type, replacement in
    _replaceable(type)?._destroyReplacement(replacement)
}

private let restore: hp_restore_fn = { type, replacement, destination in
    // Plans only carry REPLACE ops for types that passed this same check.
    _replaceable(type)?._restore(from: replacement, into: destination)
}

private let restoreObject: hp_restore_object_fn = { type, replacement in
    // Plans only carry object replacements for types that passed this same check.
    guard let replaceable = _replaceable(type) else { return nil }
    var object: UnsafeMutableRawPointer?
    // The rebuilt value is a class reference: its +1 moves into `object`, and on to the shim.
    withUnsafeMutablePointer(to: &object) { replaceable._restore(from: replacement, into: UnsafeMutableRawPointer($0)) }
    return object
}

/// The shim asks for a type-table entry the first time the body uses it.
private let resolveTypeEntry: hp_resolve_type_fn = { context, index, need in
    let types = Unmanaged<_TypeResolver>.fromOpaque(context!).takeUnretainedValue()
    do throws(PackError) {
        try types.resolve(Int(index), need: need)
        return true
    } catch {
        types.failure = error
        return false
    }
}

/// `Array.withUnsafeBytes` with a typed error (the stdlib's is `rethrows`).
func _withBytes<R>(_ bytes: [UInt8], _ body: (UnsafeRawBufferPointer) throws(PackError) -> R) throws(PackError) -> R {
    let result: Result<R, PackError> = bytes.withUnsafeBytes { raw in
        do throws(PackError) { return .success(try body(raw)) } catch { return .failure(error) }
    }
    return try result.get()
}

extension _Engine {
    func unpack<T>(_ bytes: [UInt8], as type: T.Type, verifyChecksum: Bool, maxObjects: Int,
                   authenticationKey: [UInt8]? = nil) throws(PackError) -> T {
        let key = try _PacketAuthentication.key(authenticationKey, named: "UnpackOptions.authenticationKey")
        let images = try images()
        return try _withBytes(bytes) { (packet: UnsafeRawBufferPointer) throws(PackError) -> T in
            let header = try _PacketFormat.readHeader(packet, verifyChecksum: verifyChecksum, authenticationKey: key)
            let imageMap = try mapImages(header.images, images)
            let expected = rootTypeName(T.self)
            guard header.rootTypeName == expected else {
                throw PackError(code: .typeMismatch,
                                message: "the packet holds a \(Self.displayName(header.rootTypeName)), "
                                    + "not a \(_typeName(T.self, qualified: true))",
                                typeName: Self.displayName(header.rootTypeName))
            }
            let tables = _TypeResolver(self, header.types, imageMap, images)
            let root = try rootPlan(T.self)
            // Named objects: this process's own, by name; all must exist before anything is built.
            let namedObjects = try registeredObjects(for: header.names)
            let body = packet.baseAddress!.assumingMemoryBound(to: UInt8.self) + header.headerLength
            let destination = UnsafeMutablePointer<T>.allocate(capacity: 1)
            defer { destination.deallocate() }
            let limit = Self.objectLimit(maxObjects)
            let (status, failure) = try withUnpacker(tables, images, imageMap, header: header,
                                                     namedObjects: namedObjects, maxObjects: limit) { unpacker in
                let status = hp_unpack(unpacker.handle, root.plan, body, header.bodyLength, destination)
                return (status, status == HP_OK ? nil : unpacker.failure)
            }
            if let failure {
                throw bodyError(status, failure, tables, maxObjects: limit, offset: header.headerLength + failure.offset)
            }
            return destination.move()
        }
    }

    /// The shim's limit for `maxObjects` (PackOptions/UnpackOptions), which it counts in 32 bits.
    static func objectLimit(_ maxObjects: Int) -> UInt64 { UInt64(max(0, min(maxObjects, Int(UInt32.max - 1)))) }

    /// The error for a failed walk over the body; `offset` is where the reader stopped.
    func bodyError(_ status: hp_status, _ failure: _ShimUnpacker.Failure, _ types: _TypeResolver, maxObjects: UInt64,
                   offset: Int) -> PackError {
        _WalkFailure.unpack(status, hp_reason(rawValue: failure.site.reason), maxObjects: maxObjects,
                            offset: offset, reading: readingSite(failure.site), pointer: failure.site.pointer,
                            recorded: types.failure)
    }

    /// This process's objects for the packet's names, in order (nil for unused names).
    func registeredObjects(for packetNames: [String]) throws(PackError) -> [AnyObject?] {
        let registry = names.withLock { $0 }
        var objects: [AnyObject?] = []
        for name in packetNames {
            if name.isEmpty { objects.append(nil); continue }
            guard let object = registry[name] else {
                throw PackError(code: .unknownName, path: _quoted(name),
                                message: "the packet refers to an object named '\(_quoted(name))', which this process "
                                    + "has not registered (Packer.register(_:as:))")
            }
            objects.append(object)
        }
        return objects
    }

    /// Makes the shim's reader for a packet and runs `read` with it; the tables and objects stay
    /// alive throughout. `observe` and `observer` turn an `hp_inspect` pass into events.
    func withUnpacker<R>(_ types: _TypeResolver, _ images: _ImageTable, _ imageMap: [UInt32],
                         header: _PacketFormat.Header, namedObjects: [AnyObject?], maxObjects: UInt64,
                         observe: hp_observe_fn? = nil, observer: UnsafeMutableRawPointer? = nil,
                         _ read: (_ShimUnpacker) -> R) throws(PackError) -> R {
        let namedPointers: [UnsafeMutableRawPointer?] = namedObjects.map {
            $0.map { Unmanaged.passUnretained($0).toOpaque() }
        }
        let callbacks = hp_unpack_callbacks(make_string: makeString, destroy_string: destroyString, restore: restore,
                                            restore_object: restoreObject, destroy_replacement: _destroyReplacement,
                                            observe: observe, resolve_type: resolveTypeEntry)
        let made: R? = withExtendedLifetime((namedObjects, types)) {
            imageMap.withUnsafeBufferPointer { imageMap in
                namedPointers.withUnsafeBufferPointer { named in
                    var config = hp_unpack_config(
                        images: UnsafePointer(images.table), image_map: imageMap.baseAddress,
                        image_map_count: UInt32(imageMap.count), types: types.metadata,
                        type_plans: types.plans, value_plans: types.valuePlans, type_ready: types.ready,
                        type_count: UInt32(types.count), callbacks: callbacks,
                        context: Unmanaged.passUnretained(types).toOpaque(), observer: observer,
                        max_objects: maxObjects, expected_objects: UInt64(header.objectCount),
                        static_objects: UnsafePointer(staticObjects),
                        static_object_count: UInt32(staticObjectCount),
                        named_objects: UnsafePointer(named.baseAddress),
                        named_object_count: UInt32(named.count),
                        string_storage: UnsafeRawPointer(bitPattern: _nativeStringStorageAddress))
                    guard let handle = hp_unpacker_create(&config) else { return nil }
                    defer { hp_unpacker_destroy(handle) }
                    return read(_ShimUnpacker(handle))
                }
            }
        }
        guard let made else { throw .limit("out of memory while unpacking") }
        return made
    }

    /// " (reading .members of Team)": the innermost plan and op the reader was in.
    private func readingSite(_ site: hp_site) -> String {
        guard let plan = site.plan, let description = describe(UnsafeRawPointer(plan)) else { return "" }
        let field = labels(plan, site.op).joined(separator: " > ")
        return " (reading " + (field.isEmpty ? "" : field + " of ") + description.typeName + ")"
    }

    /// A packet's type name for messages, demangled where possible, at most 200 bytes of it.
    static func displayName(_ mangled: [UInt8]) -> String {
        let name = String(decoding: mangled, as: UTF8.self)
        guard mangled.count <= 1024 else { return _quoted(mangled) }
        guard !mangled.contains(where: { $0 < 0x20 }) else { return _quoted(mangled) }
        if let type = _typeByName(name) { return _quoted(_typeName(type, qualified: true)) }
        // Not a type of this binary: demangling still makes it readable.
        return _quoted(_demangle("$s" + name) ?? name)
    }

    func mapImages(_ entries: [_PacketFormat.ImageEntry], _ images: _ImageTable) throws(PackError) -> [UInt32] {
        var map: [UInt32] = []
        for (index, entry) in entries.enumerated() {
            guard let local = localImage(entry, isMain: index == 0, images) else {
                if index == 0 {
                    throw PackError(code: .binaryMismatch,
                                    message: "the packet was made by a different executable (\(_quoted(entry.name)))",
                                    expectedBuildID: _hex(entry.buildID), foundBuildID: _hex(images.buildID(0)))
                }
                throw PackError(code: .binaryMismatch,
                                message: "the packet needs \(_quoted(entry.name)), which is not loaded here with the same build-id",
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
