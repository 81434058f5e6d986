import HeapPack
import Testing

// A walk keeps no origins (who first referenced each object) unless it reports paths as it goes;
// a walk that fails is run again with them to name the path. These check both halves: the path
// of a failure deep in an object graph is whole, and a value that stops failing on the second
// walk (another thread changed it) still gets its first failure, with the unknown hops marked.
@Suite("Paths from a second walk")
struct PathRewalkTests {
    final class Link {
        let next: Link?
        let token: SessionToken?
        init(next: Link?, token: SessionToken? = nil) { self.next = next; self.token = token }
    }

    @Test("a refusal four objects deep names every hop")
    func deepPathIsWhole() {
        let chain = Link(next: Link(next: Link(next: Link(next: nil, token: SessionToken(raw: 3)))))
        let error = packError { _ = try pack(chain) }
        #expect(error?.code == .nonTransferable)
        #expect(error?.path == "root: Link > .next > .next > .next > .token > HeapPackTests.SessionToken",
                "\(String(describing: error))")
    }

    final class Calls { var count = 0 }

    /// Refused the first time it is packed (an Unmanaged reference), nil after.
    struct RefusedOnce: PackReplaceable {
        let calls: Calls
        func packedReplacement() -> Unmanaged<Calls>? {
            calls.count += 1
            return calls.count == 1 ? Unmanaged.passUnretained(calls) : nil
        }
        static func unpacked(from replacement: Unmanaged<Calls>?) -> RefusedOnce { RefusedOnce(calls: Calls()) }
    }

    final class Holder {
        let value: RefusedOnce
        init(_ value: RefusedOnce) { self.value = value }
    }

    @Test("a value that packs on the second walk gets the first walk's failure, its unknown hops marked")
    func secondWalkThatSucceeds() {
        let calls = Calls()
        let error = packError { _ = try pack(Holder(RefusedOnce(calls: calls))) }
        #expect(calls.count == 2, "the failed walk ran again")
        #expect(error?.code == .nonTransferable, "\(String(describing: error))")
        #expect(error?.path.hasPrefix("root: Holder > … > ") == true, "\(String(describing: error))")
    }
}
