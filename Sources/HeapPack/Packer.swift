/// A packing engine with its own caches: the loaded-image table and the layout plan of every
/// type it has met.
///
/// The free functions ``pack(_:as:options:)`` and ``unpack(_:as:options:)`` use ``shared``. Make
/// your own `Packer` to keep caches apart (say, per subsystem). A `Packer` is thread-safe:
/// plans are built under a lock and immutable afterwards, and each walk has its own state.
public final class Packer: Sendable {
    /// The packer used by the free functions.
    public static let shared = Packer()

    let _engine = _Engine()

    public init() {}

    /// The binaries mapped into this process, main executable first.
    ///
    /// - Throws: `PackError.unsupported` if the image table could not be read.
    public func loadedImages() throws(PackError) -> [LoadedImage] {
        try _engine.images().images
    }

    /// Registers a well-known object under `name`. References to it then travel as the name,
    /// and the receiving process uses its own object registered under that name (a logger, a
    /// connection pool, a cache). Registering a name again replaces the object.
    public func register(_ object: AnyObject, as name: String) {
        _engine.names.withLock { $0[name] = object }
    }

    /// Removes the object registered under `name`.
    public func unregister(_ name: String) {
        _engine.names.withLock { $0[name] = nil }
    }

    /// Packs `value` and everything it references into bytes, recording `type` as the root type.
    /// See ``pack(_:as:options:)``.
    public func pack<T>(_ value: T, as type: T.Type = T.self, options: PackOptions = .init()) throws(PackError) -> [UInt8] {
        try _engine.pack(value, maxObjects: options.maxObjects, collectAll: options.collectAllProblems,
                         authenticationKey: options.authenticationKey)
    }

    /// Rebuilds a value packed by an identical binary. See ``unpack(_:as:options:)``.
    public func unpack<T>(_ bytes: [UInt8], as type: T.Type = T.self,
                          options: UnpackOptions = .init()) throws(PackError) -> T {
        try _engine.unpack(bytes, as: type, verifyChecksum: options.verifyChecksum, maxObjects: options.maxObjects,
                           authenticationKey: options.authenticationKey)
    }
}
