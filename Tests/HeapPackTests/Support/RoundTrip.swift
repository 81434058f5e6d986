import HeapPack

/// Packs and unpacks in one go; the static type is the one the value is packed as, which is what
/// the engine has to honour on the way back.
func roundTrip<T>(_ value: T, as type: T.Type = T.self) throws -> T {
    let bytes = try pack(value)
    return try unpack(bytes, as: type)
}

/// Objects that several round-trip suites build their values from; types used by one suite only
/// are nested in that suite. They are internal rather than private so that each kind's test
/// exercises that kind only: private types (whose mangled names carry a file discriminator) have
/// their own suite, ``PrivateTypeTests``.
enum Fixture {
    final class Box {
        var value: Int
        var label: String
        init(_ value: Int, _ label: String = "") { self.value = value; self.label = label }
    }

    final class ListNode {
        var value: Int
        var next: ListNode?
        init(_ value: Int, _ next: ListNode? = nil) { self.value = value; self.next = next }
    }
}
