import Foundation
import HeapPack
import Testing

// Values nested inline (existential values, enum payloads, replacements) are walked on an
// explicit stack in both walkers, so their depth is the data's without costing C stack. Packing
// and unpacking run on the test's own thread; only the Swift runtime's destruction of a deep
// chain, which recurses, gets a large stack (`onLargeStack`).
@Suite("Deep nesting")
struct DeepNestingTests {
    protocol Chained {}
    struct End: Chained {}
    struct Link: Chained { var next: any Chained }

    indirect enum List: Equatable {
        case end
        case node(Int, List)
    }

    protocol Payload {}
    struct Holder { var value: (any Payload)? }
    struct Nested: Payload {
        var holder: Holder?
        var tag: Int
    }

    static let depth = 100_000

    static func chain(_ depth: Int) -> any Chained {
        var chain: any Chained = End()
        for _ in 0..<depth { chain = Link(next: chain) }
        return chain
    }

    static func length(of chain: any Chained) -> Int {
        var count = 0
        var current = chain
        while let link = current as? Link {
            count += 1
            current = link.next
        }
        return current is End ? count : -1
    }

    @Test("a 100,000-deep chain of `any P` values packs and unpacks")
    func existentialChain() throws {
        let chain = Kept(Self.chain(Self.depth))
        let bytes = try pack(chain.value!, as: (any Chained).self)
        let back = Kept(try unpack(bytes, as: (any Chained).self))
        #expect(Self.length(of: back.value!) == Self.depth)
        onLargeStack { chain.value = nil; back.value = nil }
    }

    @Test("a 100,000-deep indirect enum packs and unpacks")
    func indirectEnumChain() throws {
        var list = List.end
        for index in 0..<Self.depth { list = .node(index, list) }
        let kept = Kept(list)
        list = .end
        let back = Kept(try unpack(try pack(kept.value!), as: List.self))
        var count = 0
        var current = back.value!
        while case .node(let index, let next) = current {
            #expect(index == Self.depth - 1 - count)
            if index != Self.depth - 1 - count { break }
            count += 1
            current = next
        }
        #expect(count == Self.depth)
        onLargeStack { kept.value = nil; back.value = nil }
    }

    @Test("a 100,000-deep chain of Optionals of structs holding existentials packs and unpacks")
    func optionalStructChain() throws {
        var holder: Holder? = nil
        for tag in 0..<Self.depth { holder = Holder(value: Nested(holder: holder, tag: tag)) }
        let kept = Kept(holder)
        holder = nil
        let back = Kept(try unpack(try pack(kept.value!), as: Holder?.self))
        var count = 0
        var current = back.value!
        while let nested = current?.value as? Nested {
            #expect(nested.tag == Self.depth - 1 - count)
            if nested.tag != Self.depth - 1 - count { break }
            count += 1
            current = nested.holder
        }
        #expect(count == Self.depth)
        onLargeStack { kept.value = nil; back.value = nil }
    }

    @Test("nesting past the walker's limit is refused as a limit, with a path that shows both ends")
    func pastTheLimit() {
        let chain = Kept(Self.chain(1 << 20))
        let error = packError { _ = try pack(chain.value!, as: (any Chained).self) }
        #expect(error?.code == .limitExceeded)
        #expect(error?.message.hasPrefix("an existential value nests more than 1048576 levels") == true,
                "\(String(describing: error))")
        let path = error?.path ?? ""
        #expect(path.hasPrefix("root: Chained > as HeapPackTests.DeepNestingTests.Chained > .next > "),
                "\(path.prefix(300))")
        #expect(path.contains("(1048512 more levels)"), "\(path.prefix(300))")
        #expect(path.count < 10_000)
        onLargeStack { chain.value = nil }
    }
}
