/// Packs `value` — a closure with its captured state, a class-instance graph, a struct, an
/// enum — into bytes that a process running the identical binary can ``unpack(_:as:options:)``.
///
/// The walk follows every reference. Shared objects are written once and cycles close, so
/// identity survives the trip. Code and static-data pointers travel as offsets into their
/// binary, which makes the bytes independent of where ASLR loaded it.
///
/// The packet records the root type `T`, the value's static type, and the receiver unpacks with
/// the same type. For `shape: any Shape`, `pack(shape)` records `any Shape` (Swift does not
/// open an existential for a generic parameter that also appears in `type`), so
/// `unpack(bytes, as: (any Shape).self)` reads it back.
///
/// - Parameters:
///   - value: The value to pack. It is only read.
///   - type: The root type the packet records; the receiver unpacks with the same type.
///   - options: Limits, and the key that tags the packet (``PackOptions/authenticationKey``).
/// - Returns: The packet: a header (format version, build-ids, root type) and the body, then
///   the authentication tag if there is a key.
/// - Throws: `PackError` with code `.nonTransferable` for values bound to this process
///   (file handles, locks, threads, raw heap pointers), `.unsupported` for representations
///   not handled yet, `.limitExceeded` for limits; ``PackError/path`` says where.
///   `.invalidOptions` for a key shorter than 32 bytes.
public func pack<T>(_ value: T, as type: T.Type = T.self, options: PackOptions = .init()) throws(PackError) -> [UInt8] {
    try Packer.shared.pack(value, as: type, options: options)
}

/// Rebuilds a value from bytes made by ``pack(_:as:options:)`` in a process of the identical
/// binary. The result behaves like the original: a closure returns the same results, shared
/// objects are shared again, and every object holds exactly the references the graph gives it.
///
/// The packet is checked before it is used: with a key, its authentication tag first; then its
/// header (magic, version, lengths, checksum, build-ids, root type); then each byte of the body
/// just before what it describes is built. Bad bytes throw, free whatever was built from the
/// bytes before them without running a deinit, and leave nothing allocated.
///
/// - Parameters:
///   - bytes: A packet.
///   - type: The root type; must be the type that was packed.
///   - options: Limits, checksum verification, and the key the packet must be tagged with.
/// - Returns: The rebuilt value.
/// - Throws: `PackError` with code `.binaryMismatch` (another binary), `.typeMismatch`
///   (another root type), `.malformed` (truncated or corrupted bytes), `.limitExceeded`;
///   with a key, `.unauthenticated` (untagged, another key's, or changed bytes) and
///   `.invalidOptions` (a key shorter than 32 bytes).
public func unpack<T>(_ bytes: [UInt8], as type: T.Type = T.self,
                      options: UnpackOptions = .init()) throws(PackError) -> T {
    try Packer.shared.unpack(bytes, as: type, options: options)
}
