import HeapPack
import HeapPackTestSupport
import PropertyBased
import Synchronization
import Testing

// Thousands of random nested values round-trip, and each copy behaves like its original: the
// same rendering, with sharing, cycles, weak pointers, closures and hashed collections.
@Suite("Random values")
struct RandomValueTests {
    @Test func randomValuesRoundTrip() async {
        let cases = Mutex(0), nodes = Mutex(0)
        await propertyCheck(count: 2000, input: Gen.uint64(in: 0...UInt64.max)) { seed in
            cases.withLock { $0 += 1 }
            let value = RandomValue(seed: seed)
            var originalDescriber = Describer()
            let original = originalDescriber.describe(value.tree)
            do {
                let copy = try unpack(try pack(value), as: RandomValue.self)
                var copyDescriber = Describer()
                let rendered = copyDescriber.describe(copy.tree)
                #expect(rendered == original, "seed \(seed)")
                nodes.withLock { $0 += copyDescriber.nodes.count }
                unlink(copy.nodes)
            } catch {
                Issue.record("seed \(seed): \(error)")
            }
            unlink(value.nodes)
        }
        // The check ran every case, and the values were not trivial: class nodes travelled.
        #expect(cases.withLock { $0 } == 2000)
        #expect(nodes.withLock { $0 } > 1000)
    }

    // The rendering is what the property compares, so it must tell apart two graphs that differ
    // only in where a weak link points, also when the link points ahead in visit order.
    @Test func aWeakLinkToANodeVisitedLaterIsRenderedAsThatNode() {
        let a = RandomNode(label: "a"), b = RandomNode(label: "b"), c = RandomNode(label: "c")
        let tree = RandomTree.list([.node(a), .node(b), .node(c)])
        a.previous = c
        var first = Describer()
        #expect(first.describe(tree) == "[N0(a,-,next:nil,prev:@2),N1(b,-,next:nil,prev:nil),N2(c,-,next:nil,prev:nil)]")
        a.previous = b
        var second = Describer()
        #expect(second.describe(tree) == "[N0(a,-,next:nil,prev:@1),N1(b,-,next:nil,prev:nil),N2(c,-,next:nil,prev:nil)]")
        let outside = RandomNode(label: "outside")
        a.previous = outside
        var third = Describer()
        #expect(third.describe(tree).hasPrefix("[N0(a,-,next:nil,prev:outside)"))
        withExtendedLifetime(outside) {}
    }
}
