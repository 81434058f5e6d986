import HeapPack
import Testing

// Each thread keeps the reader's state of its last unpack for the next one (unpack.c, "The
// thread's spare unpacker"). These run the walks that leave the most behind, one after another
// on one thread (a test without suspension points stays on its thread), and check that the
// next walk sees none of it.
@Suite("The reader's state, kept per thread")
struct ReaderReuseTests {
    /// A list of `count` nodes, head 0, as a closure returning its sum.
    static func listSum(_ count: Int) -> () -> Int {
        var head: Fixture.ListNode?
        for value in (0..<count).reversed() { head = Fixture.ListNode(value, head) }
        return { [head] in
            var sum = 0
            var node = head
            while let current = node { sum += current.value; node = current.next }
            return sum
        }
    }

    @Test("after a walk that failed halfway, an inspection and a large walk, a small unpack is whole")
    func nothingCarriesOver() throws {
        let small = try pack(Self.listSum(100))
        let large = try pack(Self.listSum(40_000))
        // The large list's body cut short: the walk builds most of it, then fails.
        let body = bodyBytes(large)
        let cut = resealed(withBody(large, Array(body.prefix(body.count / 2))))
        for _ in 0..<3 {
            #expect(try unpack(small, as: (() -> Int).self)() == 4_950)
            #expect(packError { _ = try unpack(cut, as: (() -> Int).self) } != nil)
            #expect(try unpack(small, as: (() -> Int).self)() == 4_950)
            _ = try Packer().inspect(large)
            #expect(try unpack(large, as: (() -> Int).self)() == 799_980_000)
        }
        #expect(try unpack(small, as: (() -> Int).self)() == 4_950)
    }
}
