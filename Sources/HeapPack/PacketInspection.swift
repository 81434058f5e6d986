/// What a packet holds, read without building anything: its header, and — when this process
/// has the packet's types — every object and reference in it, with paths.
///
/// Made by ``Packer/inspect(_:authenticationKey:)``. The body can only be decoded by a binary that has the
/// packet's types, so a tool that inspects packets of another program gets the header and the
/// type table, with ``bodyProblem`` saying why the rest is missing.
public struct PacketInspection: Sendable {
    /// A binary the packet refers to (packet image 0 is the writer's main executable).
    public struct Image: Sendable, Hashable {
        /// The image's file name, as the writer saw it.
        public var name: String
        /// The GNU build-id as lowercase hex ("" if the image has none).
        public var buildID: String
        /// Whether this process has the identical image loaded. For image 0: whether this
        /// process is the executable that wrote the packet.
        public var matchesThisProcess: Bool
    }

    /// One object of the packet, in object-index order (the order the writer met them).
    public struct Object: Sendable, Hashable {
        public var index: Int
        /// The type, as this process names it (a closure context is named by its captures).
        public var typeName: String
        /// The object's encoded size in the packet's body.
        public var bytes: Int
        /// The element count of array storage, nil for other objects.
        public var elementCount: Int?
    }

    /// Where a reference points.
    public enum Target: Sendable, Hashable {
        case object(Int)
        /// A well-known object, by the name it was registered under (`Packer.register`).
        case named(String)
        /// A runtime singleton inside the binary (the empty-array storage).
        case staticSingleton
        /// A weak reference whose target did not travel: it arrives as nil.
        case none
    }

    /// A strong, weak or unowned reference met in the packet.
    public struct Reference: Sendable, Hashable {
        /// The object holding the reference, or nil for the root value.
        public var from: Int?
        /// The path from the holder to the slot, e.g. `capture 1: Logger > .sink`.
        public var path: String
        public var target: Target
        /// How the slot holds its target.
        public var ownership: ReferenceOwnership
        /// True for the reference that brought its target into the packet: these references
        /// form a spanning tree from the root (the writer's breadth-first order).
        public var introducesTarget: Bool
    }

    /// Whether a packet carries an authentication tag (``PackOptions/authenticationKey``), and
    /// whether the inspection checked it.
    public enum Authentication: Sendable, Hashable {
        /// The packet has no tag.
        case none
        /// The packet has a tag, but the inspection had no key to check it with.
        case unverified
        /// The tag matches the key the inspection was given.
        case verified
    }

    /// The format version in the header.
    public var formatVersion: Int
    public var packetBytes: Int
    public var headerBytes: Int
    public var bodyBytes: Int
    /// Whether the checksum in the header matches the bytes.
    public var checksumMatches: Bool
    public var authentication: Authentication
    /// The object count the header announces.
    public var announcedObjectCount: Int
    public var images: [PacketInspection.Image]
    /// The root type, readable when this process knows it, else as the packet spells it.
    public var rootTypeName: String
    /// The packet's type table, readable where this process can resolve an entry.
    public var typeNames: [String]
    /// Names of well-known objects the packet refers to.
    public var objectNames: [String]

    /// Bytes of the root value's encoding (the start of the body).
    public var rootBytes: Int = 0
    /// Bytes of the trailer (weak and unowned targets) at the end of the body.
    public var trailerBytes: Int = 0
    /// About how much memory an unpack of the packet asks the Swift runtime for, in bytes: its
    /// objects, native strings, existential boxes, weak references' side tables, and the storage
    /// that rebuilding its dictionaries and sets makes (estimated). An unpack requests this much
    /// from malloc before it builds anything, and fails with ``PackError/Code-swift.struct/limitExceeded``
    /// if it cannot have it. What a `PackReplaceable` type's `unpacked(from:)` allocates is not
    /// counted. 0 when the body was not read.
    public var allocationBytes: Int = 0
    public var objects: [PacketInspection.Object] = []
    public var references: [PacketInspection.Reference] = []
    /// Why the objects could not be listed (the packet is another binary's, or garbled), or nil.
    public var bodyProblem: PackError?

    /// Objects and bytes per type, most bytes first; the root value is counted under its type.
    public var typeSummary: [(typeName: String, count: Int, bytes: Int)] {
        var totals: [String: (count: Int, bytes: Int)] = [:]
        func add(_ typeName: String, _ bytes: Int) {
            totals[typeName, default: (0, 0)].count += 1
            totals[typeName, default: (0, 0)].bytes += bytes
        }
        for object in objects { add(object.typeName, object.bytes) }
        if bodyProblem == nil { add(rootTypeName, rootBytes) }
        return totals.map { (typeName: $0.key, count: $0.value.count, bytes: $0.value.bytes) }
            .sorted { $0.bytes != $1.bytes ? $0.bytes > $1.bytes : $0.typeName < $1.typeName }
    }
}

extension Packer {
    /// Reads a packet without building anything, for tools such as `heappack inspect`.
    ///
    /// - Parameters:
    ///   - bytes: A packet.
    ///   - authenticationKey: The key the packet was written with, if any (see
    ///     ``UnpackOptions/authenticationKey``). With a key, the tag is checked before anything
    ///     past the fixed header is read, as unpack does.
    /// - Throws: `PackError.malformed` (or `.unsupported` for another format version) when not
    ///   even the header can be read; with a key, `.unauthenticated` for a packet not tagged
    ///   with it and `.invalidOptions` for a key shorter than 32 bytes. A body that cannot be
    ///   decoded is reported in ``PacketInspection/bodyProblem`` instead, so the header is still
    ///   shown.
    public func inspect(_ bytes: [UInt8], authenticationKey: [UInt8]? = nil) throws(PackError) -> PacketInspection {
        try _engine.inspect(bytes, authenticationKey: authenticationKey)
    }
}
