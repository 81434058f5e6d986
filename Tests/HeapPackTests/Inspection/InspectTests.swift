import Foundation
import HeapPack
import HeapPackTestSupport
import Testing

@Suite("Inspect")
struct InspectTests {
    private func runTool(_ name: String, _ arguments: [String]) throws -> ChildRun {
        try runChild(sibling(name), arguments)
    }

    private final class Console: @unchecked Sendable {}

    final class Node {
        var next: Node?
        weak var back: Node?
        let label: String
        init(_ label: String) { self.label = label }
    }

    struct Allocations {
        var text: String
        var table: [Int: Int]
        weak var node: Node?
        var any: Any
    }

    @Test("an inspection counts what an unpack asks the runtime for: strings, rebuilt dictionaries, weak side tables, boxes")
    func allocationBytes() throws {
        let packer = Packer()
        let node = Node("n")
        let small = try packer.inspect(try packer.pack(Allocations(text: "short", table: [:], node: nil, any: 1)))
        let long = String(repeating: "x", count: 10_000)
        let table = Dictionary(uniqueKeysWithValues: (0..<1000).map { ($0, $0) })
        let large = try packer.inspect(try packer.pack(Allocations(text: long, table: table, node: node,
                                                                   any: (long.count, 1, 2, 3, 4))))
        #expect(small.bodyProblem == nil && large.bodyProblem == nil, "\(String(describing: small.bodyProblem))")
        // The string's storage (10,000 bytes), the keys' and values' storage (16,000 bytes) and
        // four times it for the dictionary's rebuild, the boxed 5-tuple (40 bytes).
        #expect(large.allocationBytes - small.allocationBytes >= 10_000 + 4 * 16_000 + 40)
        #expect(large.allocationBytes - small.allocationBytes < 2 * (10_000 + 4 * 16_000 + 40))
        #expect(large.allocationBytes > 0)
        withExtendedLifetime(node) {}
    }

    @Test("an inspection lists every object once, with the references and paths that reach it")
    func objectsAndReferences() throws {
        let packer = Packer()
        let console = Console()
        packer.register(console, as: "console")
        let first = Node("first"), second = Node("second"), third = Node("third")
        first.next = second
        second.next = third
        third.next = first
        defer { third.next = nil }  // the cycle would outlive the test (and LeakSanitizer says so)
        third.back = second
        let stray = Node("stray")
        second.back = stray
        let tag = "job"
        let job: () -> String = { "\(tag) \(first.label) \(console)" }
        let inspection = try packer.inspect(try packer.pack(job))

        #expect(inspection.bodyProblem == nil)
        #expect(inspection.checksumMatches)
        #expect(inspection.images.first?.matchesThisProcess == true)
        #expect(inspection.objectNames.contains("console"))
        #expect(inspection.objects.count == inspection.announcedObjectCount)
        #expect(inspection.objects.map(\.index) == Array(0..<inspection.objects.count))
        // Every object is brought in by exactly one reference: a spanning tree from the root.
        let introducing = inspection.references.filter(\.introducesTarget)
        #expect(introducing.count == inspection.objects.count)
        #expect(Set(introducing.map(\.target)) == Set(inspection.objects.map { .object($0.index) }))
        let nodes = inspection.typeSummary.first { $0.typeName.hasSuffix(".Node") }
        #expect(nodes?.count == 3, "\(inspection.typeSummary)")
        #expect(inspection.typeSummary.reduce(0) { $0 + $1.bytes } + inspection.trailerBytes == inspection.bodyBytes)

        let paths = inspection.references.map(\.path)
        #expect(paths.contains { $0.contains("closure #1") && $0.contains("InspectTests.objectsAndReferences") },
                "\(paths)")
        #expect(inspection.references.contains { $0.target == .named("console") && $0.path.contains("capture") })
        // The cycle closes on an object met before; the weak back-pointers in the trailer.
        #expect(inspection.references.filter { $0.path == ".next" }.count == 3)
        #expect(inspection.references.contains { $0.path == ".next" && !$0.introducesTarget })
        #expect(inspection.references.contains { $0.path == ".back" && $0.ownership == .weak && $0.target != .none })
        #expect(inspection.references.contains { $0.path == ".back" && $0.ownership == .weak && $0.target == .none })
    }

    @Test("garbled packets give a PackError or a reported body problem, never a crash")
    func garbledPackets() throws {
        let packer = Packer()
        let packet = try Scenarios.closureWithMixedCaptures.pack()
        for count in 0..<packet.count {
            do {
                let inspection = try packer.inspect(Array(packet.prefix(count)))
                Issue.record("a packet cut at \(count) inspected as \(inspection.packetBytes) bytes")
            } catch {
                #expect(error.code == .malformed)
            }
        }
        var flaggedBodies = 0
        for index in packet.indices {
            var bad = packet
            bad[index] ^= 0x40
            do {
                let inspection = try packer.inspect(bad)
                #expect(!inspection.checksumMatches, "flip at \(index)")
                if inspection.bodyProblem != nil { flaggedBodies += 1 }
            } catch {
                #expect([.malformed, .unsupported].contains(error.code))
            }
        }
        #expect(flaggedBodies > 0)
    }

    @Test("heappack inspect in another binary shows the header and says why the graph is missing")
    func otherBinary() throws {
        let file = Peer.temporaryFile("inspect-other")
        defer { try? FileManager.default.removeItem(at: file) }
        let written = try Peer.run(["write", "closure-mixed", file.path])
        #expect(written.status == 0, "\(written)")
        let run = try runTool("heappack", ["inspect", file.path])
        #expect(run.status == 0, "\(run)")
        #expect(run.output.contains("root type: () -> Swift.String"), "\(run.output)")
        #expect(run.output.contains("#0 heappack-peer  build-id "))
        #expect(run.output.contains("[another executable]"))
        #expect(run.output.contains("HeapPackTestSupport.RingNode"))
        #expect(run.output.contains("object graph: not shown: PackError.binaryMismatch"))
    }

    @Test("the writer's own binary shows the whole graph, and --dot writes Graphviz")
    func writerBinary() throws {
        let file = Peer.temporaryFile("inspect-own")
        let dot = Peer.temporaryFile("inspect-own-dot")
        defer {
            try? FileManager.default.removeItem(at: file)
            try? FileManager.default.removeItem(at: dot)
        }
        #expect(try Peer.run(["write", "closure-mixed", file.path]).status == 0)
        let run = try runTool("heappack-peer", ["inspect", file.path, "--dot", dot.path])
        #expect(run.status == 0, "\(run)")
        #expect(run.output.contains("[this executable]"), "\(run.output)")
        #expect(run.output.contains("object graph (6 objects"))
        #expect(run.output.contains("capture 3: HeapPackTestSupport.Ring → #2 HeapPackTestSupport.Ring"))
        #expect(run.output.contains(".next → #3 (listed elsewhere)"))
        #expect(run.output.contains("elements: 5"))
        let graph = try String(contentsOf: dot, encoding: .utf8)
        #expect(graph.hasPrefix("digraph packet {"))
        #expect(graph.contains("o5 -> o3 [label=\".next\"]"), "\(graph)")
    }

    @Test("--key-file checks an authenticated packet's tag; without it the report says the tag went unchecked")
    func keyFile() throws {
        let file = Peer.temporaryFile("inspect-keyed")
        let keyFile = Peer.temporaryFile("inspect-key")
        let otherKeyFile = Peer.temporaryFile("inspect-other-key")
        defer {
            for url in [file, keyFile, otherKeyFile] { try? FileManager.default.removeItem(at: url) }
        }
        let key = [UInt8](repeating: 0xA5, count: 32)
        try Data(key).write(to: keyFile)
        try Data(key.dropLast() + [0xA4]).write(to: otherKeyFile)
        let hexKey = key.map { String($0, radix: 16) }.joined()
        #expect(try Peer.run(["write", "closure-mixed", file.path, hexKey]).status == 0)

        let verified = try runTool("heappack-peer", ["inspect", file.path, "--key-file", keyFile.path])
        #expect(verified.status == 0, "\(verified)")
        #expect(verified.output.contains("; checksum ok; authentication tag verified\n"), "\(verified.output)")
        #expect(verified.output.contains("object graph (6 objects"))
        let unchecked = try runTool("heappack-peer", ["inspect", file.path])
        #expect(unchecked.status == 0, "\(unchecked)")
        #expect(unchecked.output.contains("; checksum ok; authentication tag not checked (no key given)\n"), "\(unchecked.output)")
        let refused = try runTool("heappack-peer", ["inspect", file.path, "--key-file", otherKeyFile.path])
        #expect(refused.status == 65, "\(refused)")
        #expect(refused.error.hasPrefix("Error: \(file.path) is not a readable HeapPack packet: PackError.unauthenticated"),
                "\(refused.error)")
        let missingKey = try runTool("heappack-peer", ["inspect", file.path, "--key-file", keyFile.path + ".missing"])
        #expect(missingKey.status == 66, "\(missingKey)")
    }

    // Exit status 1 is what a crash report or a sanitizer's leak report exits with, so the tool's
    // own failures have statuses of their own (sysexits) that only a deliberate exit gives.
    @Test("a garbled or missing file is a one-line error and exit status 65 or 66")
    func garbledFile() throws {
        let file = Peer.temporaryFile("inspect-garbled")
        defer { try? FileManager.default.removeItem(at: file) }
        try Data("HPAK\u{1}\u{0} not really a packet".utf8).write(to: file)
        let garbled = try runTool("heappack", ["inspect", file.path])
        #expect(garbled.status == 65, "\(garbled.error)")
        #expect(garbled.error.hasPrefix("Error: \(file.path) is not a readable HeapPack packet: PackError.malformed"), "\(garbled.error)")
        #expect(garbled.error.split(separator: "\n").count == 1, "\(garbled.error)")
        let missing = try runTool("heappack", ["inspect", file.path + ".missing"])
        #expect(missing.status == 66, "\(missing.error)")
        #expect(missing.error == "Error: cannot read \(file.path).missing\n")
    }
}
