import Foundation

/// memcpy of exactly the packet's size: the physical floor for moving those bytes.
///
/// Two variants: into a destination that is already faulted in (pure bandwidth), and into a
/// fresh `[UInt8]` each time, which pays the allocation a pack's output buffer pays too.
/// Both first make an untimed copy: packets of a few MB fit in the last-level cache, so
/// without it each variant would be timed in whatever cache state the phase before it left,
/// and the two would not compare.
final class MemcpyFloor {
    private let size: PackedSize
    private var source: UnsafeMutableRawPointer?
    private var destination: UnsafeMutableRawPointer?
    private var allocated = 0
    /// Read back after each copy so the optimizer cannot drop a copy whose result is unused.
    private(set) var sink: UInt8 = 0

    init(size: PackedSize) { self.size = size }

    deinit {
        source?.deallocate()
        destination?.deallocate()
    }

    private func buffers(_ count: Int) -> (UnsafeMutableRawPointer, UnsafeMutableRawPointer) {
        if let source, let destination, allocated == count { return (source, destination) }
        source?.deallocate()
        destination?.deallocate()
        let newSource = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1), alignment: 64)
        let newDestination = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1), alignment: 64)
        // Touch every page now so that the timed copies measure bandwidth, not page faults.
        memset(newSource, 0x5A, count)
        memset(newDestination, 0, count)
        source = newSource
        destination = newDestination
        allocated = count
        return (newSource, newDestination)
    }

    var phases: [Phase] {
        [
            Phase(name: "memcpy") { [self] recorder in
                guard let count = size.bytes else { return }
                let (source, destination) = buffers(count)
                memcpy(destination, source, count)
                recorder.time("memcpy") { _ = memcpy(destination, source, count) }
                sink ^= destination.load(fromByteOffset: count / 2, as: UInt8.self)
            },
            Phase(name: "alloc+memcpy") { [self] recorder in
                guard let count = size.bytes else { return }
                let (source, destination) = buffers(count)
                memcpy(destination, source, count)
                let copy = recorder.time("allocmemcpy") {
                    [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
                        _ = memcpy(buffer.baseAddress!, source, count)
                        initialized = count
                    }
                }
                sink ^= copy[count / 2]
            },
        ]
    }
}
