import Foundation
import Testing

/// Holds a value so that a test decides on which thread it is destroyed.
final class Kept<Value>: @unchecked Sendable {
    var value: Value?
    init(_ value: Value) { self.value = value }
}

/// Runs `body` on a thread with a 4 GiB stack (reserved, not touched unless used) and waits
/// for it. The Swift runtime destroys a chain of boxed values recursively, one set of frames
/// per link; HeapPack's walkers need no such stack.
func onLargeStack(_ body: @escaping () -> Void) {
    final class Job { let body: () -> Void; init(_ body: @escaping () -> Void) { self.body = body } }
    var attributes = pthread_attr_t()
    pthread_attr_init(&attributes)
    defer { pthread_attr_destroy(&attributes) }
    pthread_attr_setstacksize(&attributes, 4 << 30)
    var thread = pthread_t()
    let job = Unmanaged.passRetained(Job(body)).toOpaque()
    let status = pthread_create(&thread, &attributes, { job in
        Unmanaged<Job>.fromOpaque(job!).takeRetainedValue().body()
        return nil
    }, job)
    #expect(status == 0, "pthread_create failed")
    if status == 0 { pthread_join(thread, nil) }
}
