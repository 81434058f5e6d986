import Foundation
import HeapPack
import HeapPackTestSupport
import Testing

/// The issue's example: a log sink that owns a file handle travels as its path and reopens.
final class LogSink: PackReplaceable {
    let path: String
    let handle: FileHandle

    init(path: String) {
        self.path = path
        FileManager.default.createFile(atPath: path, contents: nil)
        handle = FileHandle(forWritingAtPath: path)!
    }

    func write(_ line: String) {
        handle.seekToEndOfFile()
        handle.write(Data((line + "\n").utf8))
    }

    func packedReplacement() -> String { path }
    static func unpacked(from replacement: String) -> LogSink { LogSink(reopening: replacement) }

    private init(reopening path: String) {
        self.path = path
        handle = FileHandle(forWritingAtPath: path)!
    }
}

/// Bound to this process by the user's say-so.
struct SessionToken: NeverTransferable {
    var raw: UInt64
    static var transferRefusal: String { "a session token is only valid in the process that opened the session" }
}

final class PoolHandle: NeverTransferable {}

enum Step {
    case wait(Int)
    case authorised(SessionToken)
}

@Suite("Customization")
struct CustomizationTests {
    @Test func aReplaceableLogSinkTravelsAsItsPathAndReopens() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("heappack-sink-\(getpid()).log").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let sink = LogSink(path: path)
        let prefix = "job: "
        // Two captures, so the sink sits in a typed capture slot. (A closure whose only capture
        // is the sink uses the sink itself as its context; object-level replacement is not
        // done yet.)
        let job: (String) -> Void = { sink.write(prefix + $0) }
        let copy = try unpack(try pack(job), as: ((String) -> Void).self)
        copy("ran in the copy")
        job("ran in the original")
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.contains("job: ran in the copy"))
        #expect(text.contains("job: ran in the original"))
    }

    @Test func replaceableStructsTravelAsTheirReplacement() throws {
        let reading = Reading(millikelvin: 293_150, label: "a label long enough to be stored natively")
        let copy = try unpack(try pack([reading, reading]), as: [Reading].self)
        #expect(copy == [reading, reading])
        #expect(Reading.unpackedCount.withLock { $0 } >= 2, "rebuilt through unpacked(from:)")
    }

    @Test func neverTransferableValuesAreRefusedWhereverTheySit() {
        let token = SessionToken(raw: 42)
        let cases: [(String, () throws -> Void, String)] = [
            ("in an array", { _ = try pack([1, 2].map { _ in token }) }, "root: Array<SessionToken> > ._buffer > ._storage"),
            ("in a dictionary", { _ = try pack(["key": token]) }, "root: Dictionary<String, SessionToken> > .values"),
            ("in an enum", { _ = try pack([Step.wait(1), .authorised(token)]) }, "case .authorised"),
        ]
        for (label, attempt, pathPart) in cases {
            let error = #expect(throws: PackError.self, "\(label)") { try attempt() }
            #expect(error?.code == .nonTransferable, "\(label)")
            #expect(error?.message == SessionToken.transferRefusal, "\(label)")
            #expect(error?.path.contains(pathPart) == true, "\(label): \(error?.path ?? "")")
            #expect(error?.typeName == "HeapPackTests.SessionToken", "\(label)")
        }
    }

    // A closure is checked through what it captures. At -O the optimizer may capture a plain
    // struct's fields instead of the struct, so closures are tested with a marked class, which
    // is always captured as itself.
    @Test func neverTransferableClassesAreRefusedInClosures() {
        let pool = PoolHandle()
        let label = "uses the pool"
        let use: () -> String = { "\(label) \(ObjectIdentifier(pool))" }
        let error = #expect(throws: PackError.self) { _ = try pack(use) }
        #expect(error?.code == .nonTransferable)
        #expect(error?.message == "PoolHandle is marked NeverTransferable")
        #expect(error?.path.contains("capture") == true && error?.path.hasSuffix("HeapPackTests.PoolHandle") == true,
                "\(error?.path ?? "")")
    }

    @Test func neverTransferableClassesAreRefusedBehindAnyObject() {
        let things: [AnyObject] = [NSObject(), PoolHandle()]
        let error = #expect(throws: PackError.self) { _ = try pack(Array(things.dropFirst())) }
        #expect(error?.code == .nonTransferable)
        #expect(error?.path.hasSuffix("[0] > HeapPackTests.PoolHandle") == true, "\(error?.path ?? "")")
    }
}
