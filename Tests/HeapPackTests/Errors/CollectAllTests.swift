import Dispatch
import Foundation
import HeapPack
import Testing

@Suite("Collect all problems")
struct CollectAllTests {
    /// Four things that cannot travel, side by side.
    private final class Trouble {
        let sink = FileHandle.standardError
        let lock = NSLock()
        let pointer: UnsafeMutableRawPointer
        let queue = DispatchQueue(label: "trouble")
        let fine = "this part could travel"
        init(pointer: UnsafeMutableRawPointer) { self.pointer = pointer }
    }

    @Test func oneErrorByDefaultEveryProblemOnRequest() {
        let heap = UnsafeMutableRawPointer.allocate(byteCount: 8, alignment: 8)
        defer { heap.deallocate() }
        let value = [Trouble(pointer: heap)]

        let first = #expect(throws: PackError.self) { _ = try pack(value) }
        #expect(first?.code == .nonTransferable)
        #expect(first?.problems.isEmpty == true)

        let all = #expect(throws: PackError.self) { _ = try pack(value, options: PackOptions(collectAllProblems: true)) }
        let problems = all?.problems ?? []
        #expect(problems.count == 4, "\(problems.map(\.path))")
        #expect(problems.allSatisfy { $0.code == .nonTransferable })
        for field in [".sink > Foundation.FileHandle", ".lock > Foundation.NSLock", ".pointer > Swift.UnsafeMutableRawPointer",
                      ".queue > Dispatch.DispatchQueue"] {
            #expect(problems.contains { $0.path.hasSuffix(field) }, "\(field) in \(problems.map(\.path))")
        }
        #expect(all?.path == problems.first?.path)
        #expect(all?.description.contains("4 problems:") == true)
    }
}
