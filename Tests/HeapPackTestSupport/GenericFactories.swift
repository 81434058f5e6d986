// Closures made inside generic functions. Called from another module and not @inlinable, these
// stay unspecialized even in release builds: their contexts carry the generic arguments'
// metadata and witness tables as bindings.

/// Captures a `T: Hashable` (bindings: T's metadata and its Hashable witness table).
public func makeHashCheck<T: Hashable>(_ value: T, matching other: T, bonus: Int) -> () -> Int {
    { value == other ? bonus : -bonus }
}

/// Two generic parameters, one of them only inside an array.
public func makeSizer<A, B>(_ first: A, _ rest: [B]) -> () -> String {
    { "\(String(describing: first))+\(rest.count)" }
}

/// A generic class value and a closure over it.
public func makeBoxReader<T: CustomStringConvertible>(_ boxed: GenericBox<T>) -> () -> String {
    { "box(\(boxed.value.description), \(boxed.tag))" }
}

public final class GenericBox<T> {
    public var value: T
    public let tag: String
    public init(_ value: T, tag: String) { self.value = value; self.tag = tag }
}

/// A captured `var` of generic type lives in a box the runtime makes for T (kind 0x500).
public func makeAccumulator<T: AdditiveArithmetic>(_ start: T, step: T) -> (add: () -> T, read: () -> T) {
    var total = start
    return ({ total += step; return total }, { total })
}

/// A generic method of a generic type: its closure's context needs parameters from two generic
/// levels (τ_0_0 from the type, τ_1_0 from the method), which HeapPack does not rebuild yet.
public struct GenericPair<T> {
    public let first: T
    public init(_ first: T) { self.first = first }
    public func joined<U>(with second: U) -> () -> String { { "\(first)+\(second)" } }
}
