import HeapPack
import Synchronization

/// What one side of the run did, added to from many threads: graphs; the nodes they made
/// (originals and copies, each with its life counted); packets, their bytes and the heap
/// objects in them; and failures. The first few failure messages are kept for the summary, and
/// so are notes (what the child process reported).
final class Tally: Sendable {
    private let graphs = Atomic<Int>(0)
    private let nodes = Atomic<Int>(0)
    private let objects = Atomic<Int>(0)
    private let packets = Atomic<Int>(0)
    private let bytes = Atomic<Int>(0)
    private let failures = Atomic<Int>(0)
    private let messages = Locked<[String]>([])
    private let notes = Locked<[String]>([])

    static let messagesKept = 20

    struct Counts {
        let graphs: Int
        let nodes: Int
        let objects: Int
        let packets: Int
        let bytes: Int
        let failures: Int
        let failureMessages: [String]
        let notes: [String]
    }

    func countGraph(nodes: Int) {
        graphs.wrappingAdd(1, ordering: .relaxed)
        self.nodes.wrappingAdd(nodes, ordering: .relaxed)
    }

    func countPacket(_ packet: [UInt8], inspectedBy packer: Packer) throws {
        let objects = try packer.objectCount(of: packet)
        packets.wrappingAdd(1, ordering: .relaxed)
        bytes.wrappingAdd(packet.count, ordering: .relaxed)
        self.objects.wrappingAdd(objects, ordering: .relaxed)
    }

    func fail(_ message: String) {
        failures.wrappingAdd(1, ordering: .relaxed)
        messages.withLock { if $0.count < Self.messagesKept { $0.append(message) } }
    }

    func note(_ line: String) {
        notes.withLock { $0.append(line) }
    }

    var counts: Counts {
        Counts(graphs: graphs.load(ordering: .relaxed), nodes: nodes.load(ordering: .relaxed),
               objects: objects.load(ordering: .relaxed),
               packets: packets.load(ordering: .relaxed), bytes: bytes.load(ordering: .relaxed),
               failures: failures.load(ordering: .relaxed), failureMessages: messages.withLock { $0 },
               notes: notes.withLock { $0 })
    }
}
