import CHeapPack

/// Collects what the shim's walk, building nothing, reports (`hp_inspect`) into a `PacketInspection`.
final class _InspectionRecorder {
    private let engine: _Engine
    private let body: UnsafePointer<UInt8>
    private let objectNames: [String]
    private var objectStart = 0
    private var rootEnd: Int?
    private var trailerStart: Int?
    private var linkSlots: [(from: Int?, path: String, ownership: ReferenceOwnership)] = []
    var objects: [PacketInspection.Object] = []
    var references: [PacketInspection.Reference] = []

    init(engine: _Engine, body: UnsafePointer<UInt8>, objectNames: [String]) {
        self.engine = engine
        self.body = body
        self.objectNames = objectNames
    }

    func sizes(bodyLength: Int) -> (root: Int, trailer: Int) {
        let trailer = trailerStart ?? bodyLength
        return (rootEnd ?? trailer, bodyLength - trailer)
    }

    func record(_ u: _ShimUnpacker, _ event: hp_event, _ a: UInt64, _ b: UInt64) {
        let offset = u.offset
        switch event {
        case HP_EVENT_OBJECT_BEGIN:
            if rootEnd == nil { rootEnd = offset }
            objectStart = offset
        case HP_EVENT_OBJECT_END:
            let (plan, count) = u.object(UInt32(a))
            let hasTail = plan?.pointee.has_tail ?? 0 != 0
            objects.append(PacketInspection.Object(
                index: Int(a), typeName: engine.describe(plan.map(UnsafeRawPointer.init))?.typeName ?? "?",
                bytes: offset - objectStart, elementCount: hasTail ? Int(count) : nil))
        case HP_EVENT_REF_NEW, HP_EVENT_REF_BACK:
            references.append(reference(u, to: .object(Int(a)), introduces: event == HP_EVENT_REF_NEW))
        case HP_EVENT_REF_NAMED:
            references.append(reference(u, to: .named(Int(a) < objectNames.count ? objectNames[Int(a)] : "?")))
        case HP_EVENT_REF_STATIC:
            references.append(reference(u, to: .staticSingleton))
        case HP_EVENT_LINK_SLOT:
            linkSlots.append((container(u), path(u), ReferenceOwnership(opKind: UInt32(b)) ?? .unownedUnsafe))
        case HP_EVENT_TRAILER:
            if rootEnd == nil { rootEnd = offset }
            trailerStart = offset
        case HP_EVENT_LINK_TARGET:
            guard Int(a) < linkSlots.count else { return }
            let slot = linkSlots[Int(a)]
            let objectCount = u.objectCount
            let target: PacketInspection.Target =
                b == 0 ? .none
                : b <= objectCount ? .object(Int(b) - 1)
                : .named(objectNames[Int(b - UInt64(objectCount) - 1)])
            references.append(PacketInspection.Reference(from: slot.from, path: slot.path, target: target,
                                                         ownership: slot.ownership, introducesTarget: false))
        default:
            break
        }
    }

    private func container(_ u: _ShimUnpacker) -> Int? {
        let object = u.site.object
        return object == UInt32.max ? nil : Int(object)
    }

    private func reference(_ u: _ShimUnpacker, to target: PacketInspection.Target,
                           introduces: Bool = false) -> PacketInspection.Reference {
        PacketInspection.Reference(from: container(u), path: path(u), target: target, ownership: .strong,
                                   introducesTarget: introduces)
    }

    /// `[3] > capture 1: Logger > .sink`: the element, then the labels of every enclosing op,
    /// then the closure's name when the slot is a closure's context.
    private func path(_ u: _ShimUnpacker) -> String {
        let paths = _PathBuilder(engine: engine)
        let trail = u.trail
        var parts = paths.hop(nil, .max, element: u.site.element) + paths.nesting(trail.dropLast())
        if let current = trail.last { parts += paths.hop(current.plan, current.op, code: u.lastCode) }
        return parts.joined(separator: " > ")
    }
}

private let observe: hp_observe_fn = { context, unpacker, event, a, b in
    Unmanaged<_InspectionRecorder>.fromOpaque(context).takeUnretainedValue()
        .record(_ShimUnpacker(unpacker), event, a, b)
}

extension _Engine {
    func inspect(_ bytes: [UInt8], authenticationKey: [UInt8]? = nil) throws(PackError) -> PacketInspection {
        let key = try _PacketAuthentication.key(authenticationKey, named: "inspect's authenticationKey")
        let images = try images()
        return try _withBytes(bytes) { (packet: UnsafeRawBufferPointer) throws(PackError) -> PacketInspection in
            let header = try _PacketFormat.readHeader(packet, verifyChecksum: false, authenticationKey: key)
            let untagged = UnsafeRawBufferPointer(rebasing: packet[..<(header.headerLength + header.bodyLength)])
            var inspection = PacketInspection(
                formatVersion: Int(header.version), packetBytes: packet.count, headerBytes: header.headerLength,
                bodyBytes: header.bodyLength, checksumMatches: _PacketFormat.checksum(untagged) == header.checksum,
                authentication: !header.authenticated ? .none : key == nil ? .unverified : .verified,
                announcedObjectCount: header.objectCount,
                images: header.images.enumerated().map { index, entry in
                    PacketInspection.Image(name: entry.name, buildID: _hex(entry.buildID),
                                           matchesThisProcess: localImage(entry, isMain: index == 0, images) != nil)
                },
                rootTypeName: Self.displayName(header.rootTypeName),
                typeNames: header.types.map(Self.describe),
                objectNames: header.names)
            do throws(PackError) {
                try inspectBody(packet, header, images, into: &inspection)
            } catch {
                inspection.bodyProblem = error
            }
            return inspection
        }
    }

    private func inspectBody(_ packet: UnsafeRawBufferPointer, _ header: _PacketFormat.Header, _ images: _ImageTable,
                             into inspection: inout PacketInspection) throws(PackError) {
        let imageMap = try mapImages(header.images, images)
        let tables = _TypeResolver(self, header.types, imageMap, images)
        // The entries the body used, by this process's names; the others as the packet describes them.
        defer {
            for index in 0..<tables.count where tables.isResolved(index) {
                inspection.typeNames[index] = describe(tables.plans[index].map(UnsafeRawPointer.init))?.typeName
                    ?? tables.metadata[index].map { _Metadata($0).name } ?? "?"
            }
        }
        let rootName = String(decoding: header.rootTypeName, as: UTF8.self)
        guard !header.rootTypeName.contains(where: { $0 < 0x20 }), let rootType = _typeByName(rootName) else {
            throw PackError(code: .binaryMismatch, message: "the root type \(_quoted(rootName)) cannot be found by name here")
        }
        let root = try valuePlan(_Metadata(rootType))
        let body = packet.baseAddress!.assumingMemoryBound(to: UInt8.self) + header.headerLength
        let recorder = _InspectionRecorder(engine: self, body: body, objectNames: header.names)
        let limit = Self.objectLimit(Int(UInt32.max - 1))
        let (status, failure, buildBytes) = try withExtendedLifetime(recorder) { () throws(PackError) in
            try withUnpacker(tables, images, imageMap, header: header, namedObjects: header.names.map { _ in nil },
                             maxObjects: limit, observe: observe,
                             observer: Unmanaged.passUnretained(recorder).toOpaque()) { unpacker in
                let status = hp_inspect(unpacker.handle, root.plan, body, header.bodyLength)
                return (status, status == HP_OK ? nil : unpacker.failure, hp_unpacker_build_bytes(unpacker.handle))
            }
        }
        if let failure {
            throw bodyError(status, failure, tables, maxObjects: limit, offset: header.headerLength + failure.offset)
        }
        let sizes = recorder.sizes(bodyLength: header.bodyLength)
        inspection.rootBytes = sizes.root
        inspection.trailerBytes = sizes.trailer
        inspection.allocationBytes = buildBytes > UInt64(Int.max) ? Int.max : Int(buildBytes)
        inspection.objects = recorder.objects
        inspection.references = recorder.references
    }

    /// A type-table entry in words, for packets whose types this process cannot resolve.
    private static func describe(_ entry: _PacketFormat.TypeEntry) -> String {
        switch entry {
        case .mangledName(let name): displayName(name)
        case .staticAddress(let image, let offset): "closure context at image \(image) + 0x\(String(offset, radix: 16))"
        case .nominal(let image, let offset, let arguments, _):
            "private or local type at image \(image) + 0x\(String(offset, radix: 16))"
                + (arguments.isEmpty ? "" : "<" + arguments.map { "#\($0)" }.joined(separator: ", ") + ">")
        case .existential(_, _, let protocols): "composition of \(protocols.count) private protocols"
        case .metatype(_, let instance): "metatype of #\(instance)"
        case .genericContext(let image, let offset, _, _):
            "generic closure context at image \(image) + 0x\(String(offset, radix: 16))"
        case .genericBox(let boxed): "box of #\(boxed)"
        }
    }
}
