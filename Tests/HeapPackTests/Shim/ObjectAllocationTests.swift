import CHeapPack
import CHeapPack.Testing
import Testing

// The reader makes objects as swift_allocObject does, without calling it (hp_alloc_object): the
// header it writes is the runtime's, checked against the runtime on this machine.
@Suite("Objects the reader allocates")
struct ObjectAllocationTests {
    final class Probe {
        var first = 0
        var second = 0
    }

    @Test("an object has the header swift_allocObject gives, made on the reader's own path")
    func headerMatchesRuntime() {
        let metadata = unsafeBitCast(Probe.self, to: UnsafeRawPointer.self)
        var made: (UInt64, UInt64) = (0, 0)
        var runtime: (UInt64, UInt64) = (0, 0)
        let own = withUnsafeMutableBytes(of: &made) { madeBytes in
            withUnsafeMutableBytes(of: &runtime) { runtimeBytes in
                hp_test_object_headers(metadata, 32,
                                       madeBytes.baseAddress!.assumingMemoryBound(to: UInt64.self),
                                       runtimeBytes.baseAddress!.assumingMemoryBound(to: UInt64.self))
            }
        }
        // Without a replaced hook the reader takes its own path; else the comparison is void.
        #expect(own)
        #expect(made.0 == UInt64(UInt(bitPattern: metadata)))
        #expect(made.0 == runtime.0)
        #expect(made.1 == runtime.1)
    }
}
