import Foundation

/// A value behind an `NSLock`. Not `Synchronization.Mutex`: on Linux it locks inside the
/// Synchronization library (an atomic and a futex), which is not instrumented, so
/// ThreadSanitizer sees no lock and reports the guarded value's accesses from two threads as a
/// data race. `NSLock` is a pthread mutex, whose lock and unlock ThreadSanitizer intercepts.
final class Locked<Value>: @unchecked Sendable {
    private var value: Value
    private let lock = NSLock()

    init(_ value: Value) { self.value = value }

    func withLock<Result>(_ body: (inout Value) -> Result) -> Result {
        lock.lock()
        defer { lock.unlock() }
        return body(&value)
    }
}
