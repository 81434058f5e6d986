/// How a reference holds its target: Swift's four kinds of reference storage.
///
/// Packet inspection reports it for every reference (``PacketInspection/Reference/ownership``);
/// the plan builder reads it from a field's or capture's mangled name.
public enum ReferenceOwnership: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// An ordinary reference: it keeps its target alive and travels inline.
    case strong
    /// `weak`: travels in the packet's trailer, and arrives nil if its target did not travel.
    case weak
    /// `unowned`: its target must travel too.
    case unowned
    /// `unowned(unsafe)`: like `unowned`, without a reference count.
    case unownedUnsafe = "unowned(unsafe)"

    /// The spelling in Swift source: `strong`, `weak`, `unowned` or `unowned(unsafe)`.
    public var description: String { rawValue }
}
