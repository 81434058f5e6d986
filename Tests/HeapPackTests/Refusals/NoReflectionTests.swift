import Foundation
import Testing

// heappack-noreflection is built with -disable-reflection-metadata: packing there must refuse
// with an error that says which flag to drop, for closures and for classes alike.
@Suite("Without reflection metadata")
struct NoReflectionTests {
    @Test func binariesWithoutReflectionMetadataAreRefusedClearly() throws {
        let run = try runChild(sibling("heappack-noreflection"), [])
        let output = run.output
        #expect(run.status == 0, "it must not crash: \(run)")
        let lines = output.split(separator: "\n").map(String.init)
        #expect(lines.count == 2)
        for line in lines {
            #expect(line.contains(": unsupported: "), "\(line)")
            #expect(line.contains("-disable-reflection-metadata"), "\(line)")
            #expect(line.contains("rebuild it without that flag"), "\(line)")
        }
    }
}
