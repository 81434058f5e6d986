import Foundation
import HeapPack
import Synchronization
import HeapPackTestSupport
import Testing

@Suite("Customization")
struct CustomizationTests {
    /// The issue's example: a log sink that owns a file handle travels as its path and reopens.
    final class LogSink: PackReplaceable {
        let path: String
        let handle: FileHandle

        init(path: String) {
            self.path = path
            _ = FileManager.default.createFile(atPath: path, contents: nil)
            handle = FileHandle(forWritingAtPath: path)!
        }

        func write(_ line: String) {
            handle.seekToEndOfFile()
            handle.write(Data((line + "\n").utf8))
        }

        func packedReplacement() -> String { path }
        static func unpacked(from replacement: String) -> LogSink { LogSink(reopening: replacement) }

        /// Reopenings by path: each test uses a path of its own, so tests running beside it
        /// cannot move its count.
        private static let reopenings = Mutex<[String: Int]>([:])
        static func reopenCount(of path: String) -> Int { reopenings.withLock { $0[path] ?? 0 } }

        private init(reopening path: String) {
            self.path = path
            handle = FileHandle(forWritingAtPath: path)!
            Self.reopenings.withLock { $0[path, default: 0] += 1 }
        }
    }

    struct Reported { let snapshot: Snapshot }

    /// Replaceable, but its replacement holds an array: an object reference of its own.
    final class Snapshot: PackReplaceable {
        let readings: [Int]
        init(readings: [Int]) { self.readings = readings }
        func packedReplacement() -> [Int] { readings }
        static func unpacked(from replacement: [Int]) -> Snapshot { Snapshot(readings: replacement) }
    }

    final class PoolHandle: NeverTransferable {}

    enum Step {
        case wait(Int)
        case authorised(SessionToken)
    }

    @Test func aReplaceableLogSinkTravelsAsItsPathAndReopens() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("heappack-sink-\(getpid()).log").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let sink = LogSink(path: path)
        let prefix = "job: "
        // Two captures, so the sink sits in a typed capture slot (replaced per slot).
        let job: (String) -> Void = { sink.write(prefix + $0) }
        let copy = try unpack(try pack(job), as: ((String) -> Void).self)
        #expect(LogSink.reopenCount(of: path) == 1, "the copy's sink was reopened from its path")
        copy("ran in the copy")
        job("ran in the original")
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.contains("job: ran in the copy"))
        #expect(text.contains("job: ran in the original"))
    }

    @Test func aReplaceableObjectThatIsAClosuresOnlyCaptureIsReplacedOnce() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("heappack-sink-only-\(getpid()).log").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let sink = LogSink(path: path)
        // The sink is the only capture, so the sink itself is the closure's context.
        let job: (String) -> Void = { sink.write("only: " + $0) }
        let copy = try unpack(try pack(job), as: ((String) -> Void).self)
        #expect(LogSink.reopenCount(of: path) == 1)
        copy("ran in the copy")
        #expect(try String(contentsOfFile: path, encoding: .utf8).contains("only: ran in the copy"))
    }

    @Test func aReplaceableObjectBehindAnyObjectKeepsItsIdentity() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("heappack-sink-any-\(getpid()).log").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let sink = LogSink(path: path)
        let copy = try unpack(try pack([sink, sink, NSObject()] as [AnyObject]), as: [AnyObject].self)
        #expect(LogSink.reopenCount(of: path) == 1, "one object, rebuilt once")
        let first = try #require(copy[0] as? LogSink)
        #expect(first === copy[1])
        #expect(first !== sink && first.path == path)
    }

    @Test func aReplaceableObjectWithReferencesInItsReplacementIsRefusedAsAnObject() throws {
        let snapshot = Snapshot(readings: [1, 2, 3])
        let error = #expect(throws: PackError.self) { _ = try pack([snapshot] as [AnyObject]) }
        #expect(error?.code == .unsupported)
        #expect(error?.typeName == "HeapPackTests.CustomizationTests.Snapshot")
        #expect(error?.message.contains("plain data") == true, "\(error?.message ?? "")")
        // Through a property of its own type it travels as usual. (Not in an array: arrays of
        // any class keep their elements in `_ContiguousArrayStorage<AnyObject>`.)
        let copy = try unpack(try pack(Reported(snapshot: snapshot)), as: Reported.self)
        #expect(copy.snapshot.readings == [1, 2, 3])
    }

    @Test func replaceableStructsTravelAsTheirReplacement() throws {
        // A label of this test's own: other tests and suites unpack Readings too.
        let reading = Reading(millikelvin: 293_150, label: "replaceableStructsTravelAsTheirReplacement, a label long enough to be stored natively")
        let copy = try unpack(try pack([reading, reading]), as: [Reading].self)
        #expect(copy == [reading, reading])
        #expect(copy.allSatisfy { $0.wasRebuilt } && !reading.wasRebuilt, "a bit copy would not be marked rebuilt")
        #expect(Reading.rebuildCount(label: reading.label) == 2, "rebuilt through unpacked(from:), once per element")
    }

    @Test func neverTransferableValuesAreRefusedWhereverTheySit() {
        let token = SessionToken(raw: 42)
        let cases: [(String, () throws -> Void, String)] = [
            ("in an array", { _ = try pack([1, 2].map { _ in token }) }, "root: Array<SessionToken> > [0]"),
            ("in a dictionary", { _ = try pack(["key": token]) }, "root: Dictionary<String, SessionToken> > [\"key\"]"),
            ("in an enum", { _ = try pack([Step.wait(1), .authorised(token)]) }, "[1] > case .authorised"),
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
        #expect(error?.path.contains("capture") == true && error?.path.hasSuffix("HeapPackTests.CustomizationTests.PoolHandle") == true,
                "\(error?.path ?? "")")
    }

    @Test func neverTransferableClassesAreRefusedBehindAnyObject() {
        let things: [AnyObject] = [NSObject(), PoolHandle()]
        let error = #expect(throws: PackError.self) { _ = try pack(Array(things.dropFirst())) }
        #expect(error?.code == .nonTransferable)
        #expect(error?.path.hasSuffix("[0] > HeapPackTests.CustomizationTests.PoolHandle") == true, "\(error?.path ?? "")")
    }
}
