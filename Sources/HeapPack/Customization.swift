/// A type whose values must never leave this process.
///
/// Packing a value that reaches one fails with `PackError.Code.nonTransferable`, and the
/// error's path says where it sat. Use it for types that wrap process-bound resources HeapPack
/// cannot recognise by itself: a connection pool, a handle from a C library.
public protocol NeverTransferable {
    /// Why values of this type must not travel; shown in the `PackError`.
    static var transferRefusal: String { get }
}

extension NeverTransferable {
    public static var transferRefusal: String { "\(Self.self) is marked NeverTransferable" }
}

/// A type that travels as another value and is rebuilt from it in the receiving process.
///
/// Use it when a value holds something bound to this process but can be made again elsewhere:
/// a log sink that travels as its file path and reopens the file on arrival.
///
/// Replacement happens per slot whose static type conforms: a class instance referred to from
/// two such slots is replaced twice and arrives as two objects. Values reached through a
/// supertype or `AnyObject` are not replaced.
public protocol PackReplaceable {
    /// What travels instead of the value. It is packed like any other value.
    associatedtype Packed

    /// The value that travels instead of `self`.
    func packedReplacement() -> Packed

    /// Rebuilds a value from its replacement, in the receiving process.
    static func unpacked(from replacement: Packed) -> Self
}
