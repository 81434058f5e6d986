import Testing

@Suite("Enums")
struct EnumTests {
    typealias Box = Fixture.Box
    typealias ListNode = Fixture.ListNode

    enum Color: CaseIterable { case red, green, blue, alpha }

    enum Payload {
        case a(String)
        case b(ListNode)
        case c
    }

    enum Mixed: Equatable {
        case int(Int)
        case pair(Int8, Double)
        case text(String)
        case nothing
        case other
    }

    enum SinglePayload {
        case some(Box)
        case empty
        case also
    }

    indirect enum Tree {
        case leaf(Int)
        case node(Tree, Tree)

        var sum: Int {
            switch self {
            case .leaf(let v): v
            case .node(let l, let r): l.sum + r.sum
            }
        }
        var depth: Int {
            switch self {
            case .leaf: 1
            case .node(let l, let r): 1 + max(l.depth, r.depth)
            }
        }
        var inorder: [Int] {
            switch self {
            case .leaf(let v): [v]
            case .node(let l, let r): l.inorder + r.inorder
            }
        }
    }

    @Test(arguments: Color.allCases)
    func roundTripEnumWithoutPayload(_ value: Color) throws {
        #expect(try roundTrip(value) == value)
    }

    @Test(arguments: [Mixed.int(-99), .pair(-1, 6.5), .text("small"),
                      .text("a multi-payload enum string beyond fifteen bytes"), .nothing, .other])
    func roundTripMultiPayloadEnum(_ value: Mixed) throws {
        #expect(try roundTrip(value) == value)
    }

    @Test func roundTripEnumWithStringAndClassPayloads() throws {
        let cases: [Payload] = [.a("tiny"), .a("a long payload string that is heap allocated \(Int.random(in: 0...9))"),
                                  .b(ListNode(5, ListNode(6))), .c]
        for original in cases {
            let back = try roundTrip(original)
            switch (original, back) {
            case (.a(let x), .a(let y)):
                #expect(x == y)
            case (.b(let x), .b(let y)):
                #expect(y !== x)
                #expect(y.value == 5)
                #expect(y.next?.value == 6)
                #expect(y.next?.next == nil)
            case (.c, .c):
                break
            default:
                Issue.record("case changed across the round trip: \(original) became \(back)")
            }
        }
    }

    @Test func roundTripSinglePayloadEnumWithClass() throws {
        guard case .some(let box) = try roundTrip(SinglePayload.some(Box(11, "payload"))) else {
            Issue.record("payload case lost")
            return
        }
        #expect(box.value == 11)
        #expect(box.label == "payload")

        // The empty cases live in the class pointer's spare bits / extra inhabitants.
        guard case .empty = try roundTrip(SinglePayload.empty) else {
            Issue.record(".empty lost")
            return
        }
        guard case .also = try roundTrip(SinglePayload.also) else {
            Issue.record(".also lost")
            return
        }
    }

    @Test func roundTripEnumArrayKeepsSharedPayloadIdentity() throws {
        let node = ListNode(1)
        let values: [Payload] = [.b(node), .c, .b(node), .a("between")]
        let back = try roundTrip(values)
        #expect(back.count == 4)
        guard case .b(let first) = back[0], case .b(let third) = back[2] else {
            Issue.record("payload cases lost: \(back)")
            return
        }
        #expect(first === third)
        guard case .a(let s) = back[3] else {
            Issue.record("string case lost")
            return
        }
        #expect(s == "between")
    }

    @Test func roundTripIndirectEnumTree() throws {
        // A tree big enough that evaluating it after unpack touches every boxed payload.
        func build(_ low: Int, _ high: Int) -> Tree {
            if low == high { return .leaf(low) }
            let mid = (low + high) / 2
            return .node(build(low, mid), build(mid + 1, high))
        }
        let tree = build(1, 1000)
        let back = try roundTrip(tree)
        #expect(back.sum == 500_500)
        #expect(back.depth == tree.depth)
        #expect(back.inorder == Array(1...1000))

        let lopsided: Tree = .node(.leaf(-1), .node(.node(.leaf(2), .leaf(3)), .leaf(4)))
        let l = try roundTrip(lopsided)
        #expect(l.inorder == [-1, 2, 3, 4])
        #expect(l.sum == 8)
    }
}
