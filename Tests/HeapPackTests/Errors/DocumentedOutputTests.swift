import Foundation
import HeapPack
import Synchronization
import Testing

// The examples quoted in docs/TRANSFERABILITY.md, checked here so that the page stays true.

final class DocLogger {
    let sink: FileHandle
    let prefix: String
    init(sink: FileHandle, prefix: String) { self.sink = sink; self.prefix = prefix }
}

final class DocCounter: @unchecked Sendable {
    let hits = Mutex(0)
    var name = "hits"
}

enum DocJob {
    case idle
    case running(DocLogger)
}

/// Two captures (the tag is an argument, so -O cannot fold it into the code): the logger keeps
/// a typed capture slot in every build.
func makeNightlyJob(_ logger: DocLogger, tag: String) -> () -> String {
    { logger.prefix + tag }
}

@Suite("Documented outputs")
struct DocumentedOutputTests {
    @Test func aFileHandleInAClosure() {
        let error = packError { _ = try pack(makeNightlyJob(DocLogger(sink: .standardError, prefix: "> "), tag: "nightly")) }
        #expect(error?.code == .nonTransferable)
        #expect(error?.path == ("root: () -> String > capture 0: function > closure #1 () -> Swift.String in "
                                      + "HeapPackTests.makeNightlyJob(_: HeapPackTests.DocLogger, tag: Swift.String) -> () -> Swift.String > "
                                      + "capture 0: HeapPackTests.DocLogger > .sink > Foundation.FileHandle"),
                "\(error?.path ?? "")")
        #expect(error?.message == "a file handle belongs to this process's descriptor table")
    }

    @Test func aFileHandleUnderADictionaryKeyAndAnEnumCase() {
        let logger = DocLogger(sink: .standardError, prefix: "> ")
        let error = packError { _ = try pack(["jobs": [DocJob.idle, .running(logger)]]) }
        #expect(error?.description == "PackError.nonTransferable at root: Dictionary<String, Array<DocJob>> > "
                + "[\"jobs\"] > [1] > case .running > .sink > Foundation.FileHandle: "
                + "a file handle belongs to this process's descriptor table")
    }

    @Test func aMutexField() {
        let error = packError { _ = try pack([DocCounter()]) }
        #expect(error?.description == "PackError.nonTransferable at root: Array<DocCounter> > [0] > "
                + ".hits > ~Copyable: field .hits is noncopyable (~Copyable), such as Synchronization's Mutex or "
                + "Atomic: it owns something uniquely in this process (a lock, an atomic word, a resource), and the "
                + "runtime hides its type from reflection; pack the value it protects instead")
        #expect(error?.typeName == "~Copyable")
    }
}
