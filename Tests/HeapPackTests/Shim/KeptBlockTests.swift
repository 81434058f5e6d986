import CHeapPack
import CHeapPack.Testing
import Glibc
import Testing

// The walks' per-object lists go back to a set of kept blocks when a walk ends, and the next
// walk grows into them (kept.c). Each test uses a set of its own: the process's set changes
// under it while other tests pack and unpack.
@Suite("Blocks kept between walks")
struct KeptBlockTests {
    static let minimum = hp_test_kept_minimum()

    /// A set holding at most `limit` bytes, destroyed (its blocks freed) after `body`.
    static func withKept<R>(limit: Int = 64 << 20, _ body: (OpaquePointer) throws -> R) rethrows -> R {
        let kept = hp_test_kept_create(limit)!
        defer { hp_test_kept_destroy(kept) }
        return try body(kept)
    }

    static func give(_ kept: OpaquePointer, _ bytes: Int) -> UnsafeMutableRawPointer {
        let block = malloc(bytes)!
        hp_test_kept_give(kept, block, bytes)
        return block
    }

    @Test("a block given back is what the next request it fits gets, once")
    func reuse() {
        Self.withKept { kept in
            let block = Self.give(kept, 1 << 20)
            #expect(hp_test_kept_total(kept) == 1 << 20)
            var got = 0
            let taken = hp_test_kept_take(kept, 512 << 10, &got)
            #expect(taken == block)
            #expect(got == 1 << 20)
            #expect(hp_test_kept_total(kept) == 0)
            #expect(hp_test_kept_take(kept, 512 << 10, &got) == nil)
            free(taken)
        }
    }

    @Test("a request larger than every kept block gets none")
    func tooLarge() {
        Self.withKept { kept in
            _ = Self.give(kept, 1 << 20)
            var got = 0
            #expect(hp_test_kept_take(kept, (1 << 20) + 1, &got) == nil)
            #expect(hp_test_kept_total(kept) == 1 << 20)
        }
    }

    @Test("the smallest block that fits is taken, leaving the larger ones")
    func bestFit() {
        Self.withKept { kept in
            _ = Self.give(kept, 4 << 20)
            let middle = Self.give(kept, 2 << 20)
            _ = Self.give(kept, 1 << 20)
            var got = 0
            let taken = hp_test_kept_take(kept, 3 << 19, &got)
            #expect(taken == middle)
            #expect(got == 2 << 20)
            free(taken)
        }
    }

    @Test("blocks under the minimum, and requests under it, are not kept or served")
    func belowMinimum() {
        Self.withKept { kept in
            _ = Self.give(kept, Self.minimum - 1)
            #expect(hp_test_kept_total(kept) == 0)
            _ = Self.give(kept, Self.minimum)
            var got = 0
            #expect(hp_test_kept_take(kept, Self.minimum - 1, &got) == nil)
            let taken = hp_test_kept_take(kept, Self.minimum, &got)
            #expect(taken != nil)
            free(taken)
        }
    }

    @Test("what is kept never exceeds the limit")
    func limit() {
        Self.withKept(limit: 4 << 20) { kept in
            _ = Self.give(kept, 3 << 20)
            _ = Self.give(kept, 2 << 20)
            #expect(hp_test_kept_total(kept) == 3 << 20)
            _ = Self.give(kept, 1 << 20)
            #expect(hp_test_kept_total(kept) == 4 << 20)
            _ = Self.give(kept, 5 << 20)
            #expect(hp_test_kept_total(kept) == 4 << 20)
        }
    }

    @Test("with every slot taken, a larger block replaces the smallest and a smaller one is freed")
    func fullSlots() {
        Self.withKept { kept in
            let sizes = (1...8).map { $0 * Self.minimum }
            for size in sizes { _ = Self.give(kept, size) }
            #expect(hp_test_kept_total(kept) == sizes.reduce(0, +))
            _ = Self.give(kept, Self.minimum)
            #expect(hp_test_kept_total(kept) == sizes.reduce(0, +))
            _ = Self.give(kept, 9 * Self.minimum)
            #expect(hp_test_kept_total(kept) == sizes.reduce(0, +) - Self.minimum + 9 * Self.minimum)
            var got = 0
            let taken = hp_test_kept_take(kept, Self.minimum, &got)
            #expect(taken != nil)
            #expect(got == 2 * Self.minimum)
            free(taken)
        }
    }
}
