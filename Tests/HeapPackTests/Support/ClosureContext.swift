/// Holds a closure in a struct field, so that it keeps its own context: passed to a generic
/// function directly, it would be wrapped in a reabstraction thunk whose context captures it.
private struct ClosureHolder { var closure: () -> Int }

/// Calls `body` with the context object of `closure` (nil for a closure that captures nothing),
/// kept alive for the call.
func withContext<R>(of closure: @escaping () -> Int, _ body: (UnsafeRawPointer?) throws -> R) rethrows -> R {
    var holder = ClosureHolder(closure: closure)
    let context = withUnsafeBytes(of: &holder) { $0.load(fromByteOffset: 8, as: UnsafeRawPointer?.self) }
    return try withExtendedLifetime(holder) { try body(context) }
}
