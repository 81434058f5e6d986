import HeapPack
import Testing

// Value types that may not travel (marked NeverTransferable, Task, continuations, Unmanaged) are
// refused where the walk meets a value of them, so the path has the index or key, and a
// collection that holds none of them travels.

@Suite("Refusals at the value's own site")
struct RefusalSiteTests {
    struct Job {
        var name: String
        var handle: Task<Int, Never>?
    }

    final class Target {}

    struct SessionKey: Hashable, NeverTransferable {
        var session: Int
        static var transferRefusal: String { "a session key is only valid in this process" }
    }

    @Test func arrayElementsAreNamedByIndex() {
        let target = Target()
        let error = packError {
            _ = try pack([Unmanaged.passUnretained(target), .passUnretained(target)])
        }
        #expect(error?.code == .nonTransferable)
        #expect(error?.path == "root: Array<Unmanaged<Target>> > [0] > "
                + "Swift.Unmanaged<HeapPackTests.RefusalSiteTests.Target>", "\(String(describing: error))")
    }

    @Test func dictionaryValuesAreNamedByKey() {
        let error = packError { _ = try pack(["only": SessionToken(raw: 7)]) }
        #expect(error?.code == .nonTransferable)
        #expect(error?.message == SessionToken.transferRefusal)
        #expect(error?.path == "root: Dictionary<String, SessionToken> > [\"only\"] > HeapPackTests.SessionToken",
                "\(String(describing: error))")
    }

    @Test func refusedDictionaryKeysAreNamedByThemselves() {
        let error = packError { _ = try pack([SessionKey(session: 12): "open"]) }
        #expect(error?.code == .nonTransferable)
        #expect(error?.path == "root: Dictionary<SessionKey, String> > key HeapPackTests.RefusalSiteTests.SessionKey(session: 12) > "
                + "HeapPackTests.RefusalSiteTests.SessionKey", "\(String(describing: error))")
    }

    @Test func aFieldOfAnElementIsNamedByIndexThenField() async {
        let task = Task { 1 }
        _ = await task.value
        let error = packError {
            _ = try pack([Job(name: "idle"), Job(name: "busy", handle: task)])
        }
        #expect(error?.code == .nonTransferable)
        #expect(error?.typeName == "Swift.Task<Swift.Int, Swift.Never>", "\(String(describing: error))")
        #expect(error?.path == "root: Array<Job> > [1] > .handle > Swift.Task<Swift.Int, Swift.Never>",
                "\(String(describing: error))")
    }

    @Test func collectionsHoldingNoneOfTheRefusedValuesTravel() throws {
        #expect(try unpack(try pack([SessionToken]()), as: [SessionToken].self).isEmpty)
        #expect(try unpack(try pack([String: SessionToken]()), as: [String: SessionToken].self).isEmpty)
        #expect(try unpack(try pack(SessionToken?.none), as: SessionToken?.self) == nil)
        let jobs = try unpack(try pack([Job(name: "idle"), Job(name: "queued")]), as: [Job].self)
        #expect(jobs.map(\.name) == ["idle", "queued"])
        #expect(jobs.allSatisfy { $0.handle == nil })
    }

    @Test func collectAllNamesEveryRefusedElement() {
        let token = SessionToken(raw: 1)
        let error = packError {
            _ = try pack([token, token, token], options: PackOptions(collectAllProblems: true))
        }
        #expect(error?.problems.count == 3, "\(String(describing: error))")
        #expect(error?.problems.map(\.path) == (0..<3).map {
            "root: Array<SessionToken> > [\($0)] > HeapPackTests.SessionToken"
        })
    }

    @Test func aPacketClaimingARefusedValueIsMalformed() throws {
        // `SessionToken?.none` ends in its tag (1: none) and an empty trailer. Flipped to 0, the
        // body claims a token, which no packer writes.
        var packet = try pack(SessionToken?.none)
        #expect(Array(packet.suffix(2)) == [1, 0])
        packet[packet.count - 2] = 0
        let error = packError {
            _ = try unpack(packet, as: SessionToken?.self, options: UnpackOptions(verifyChecksum: false))
        }
        #expect(error?.code == .malformed, "\(String(describing: error))")
    }
}
