import Foundation
import HeapPack
import HeapPackTestSupport
import Testing

@Suite("Cross-process")
struct CrossProcessTests {
    @Test("a packet written by one process is read by another", arguments: Scenarios.all.map(\.name))
    func writerAndReader(_ name: String) throws {
        let file = Peer.temporaryFile(name)
        defer { try? FileManager.default.removeItem(at: file) }
        let scenario = try #require(Scenarios.named(name))
        // Hashed collections must work with per-process seeds, as users run them.
        #expect(ProcessInfo.processInfo.environment["SWIFT_DETERMINISTIC_HASHING"] == nil)

        let written = try Peer.run(["write", name, file.path])
        #expect(written.status == 0, "writer: \(written)")
        let read = try Peer.run(["read", name, file.path])
        #expect(read.status == 0, "reader: \(read)")

        let writer = try Peer.answer(written.output)
        let reader = try Peer.answer(read.output)
        #expect(writer.base != reader.base, "ASLR should load the two processes at different bases")
        #expect(writer.result == scenario.expected)
        #expect(reader.result == writer.result)
    }

    @Test("an authenticated packet is read by a process with the key and refused by one with another key")
    func authenticatedPacket() throws {
        let file = Peer.temporaryFile("authenticated")
        defer { try? FileManager.default.removeItem(at: file) }
        let key = String(repeating: "5a", count: 31) + "01"
        let otherKey = String(repeating: "5a", count: 31) + "02"
        let scenario = Scenarios.closureWithMixedCaptures
        let written = try Peer.run(["write", scenario.name, file.path, key])
        #expect(written.status == 0, "writer: \(written)")
        let read = try Peer.run(["read", scenario.name, file.path, key])
        #expect(read.status == 0, "reader: \(read)")
        #expect(try Peer.answer(read.output).result == scenario.expected)
        let refused = try Peer.run(["read", scenario.name, file.path, otherKey])
        #expect(refused.status == 1, "\(refused)")
        #expect(refused.output.hasPrefix("error=PackError.unauthenticated: "), "\(refused.output)")
    }

    @Test("key paths are refused with their path in another process too")
    func keyPathRefusal() throws {
        let run = try Peer.run(["refuse-keypath"])
        #expect(run.status == 0, "\(run)")
        #expect(run.output.hasPrefix("error=unsupported path=root: Array<WritableKeyPath<Member, String>>"), "\(run.output)")
        #expect(run.output.contains("KeyPath"))
    }

    @Test("a closure is named from the symbol table, or by image and offset in a stripped binary")
    func closureNamesWithAndWithoutSymbols() throws {
        let run = try Peer.run(["refuse-closure"])
        #expect(run.status == 0, "\(run)")
        #expect(run.output.hasPrefix("error=nonTransferable path=root: () -> String > "), "\(run.output)")
        #expect(run.output.contains("closure #1 () -> Swift.String in "), "\(run.output)")

        let stripped = Peer.temporaryFile("stripped-peer")
        defer { try? FileManager.default.removeItem(at: stripped) }
        try FileManager.default.copyItem(at: Peer.executable, to: stripped)
        let strip = try runChild(URL(fileURLWithPath: "/usr/bin/strip"), [stripped.path])
        #expect(strip.status == 0, "\(strip)")
        let strippedRun = try runChild(stripped, ["refuse-closure"])
        let output = strippedRun.output
        #expect(strippedRun.status == 0, "\(strippedRun)")
        #expect(output.hasPrefix("error=nonTransferable path=root: () -> String > "), "\(output)")
        #expect(!output.contains("closure #"), "\(output)")
        #expect(output.contains("code at \(stripped.lastPathComponent) + 0x"), "\(output)")
        #expect(output.contains("Foundation.FileHandle"), "\(output)")
    }

    @Test("a packet from another executable is refused as binaryMismatch")
    func otherExecutable() throws {
        let file = Peer.temporaryFile("mismatch")
        defer { try? FileManager.default.removeItem(at: file) }
        let written = try Peer.run(["write", "strings", file.path])
        #expect(written.status == 0, "writer: \(written)")
        let bytes = [UInt8](try Data(contentsOf: file))
        // This test binary is not heappack-peer: its build-id differs.
        #expect {
            _ = try unpack(bytes, as: [String].self)
        } throws: { error in
            (error as? PackError)?.code == .binaryMismatch
        }
    }
}
