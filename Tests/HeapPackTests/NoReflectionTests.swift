import Foundation
import Testing

// heappack-noreflection is built with -disable-reflection-metadata: packing there must refuse
// with an error that says which flag to drop, for closures and for classes alike.
@Test func binariesWithoutReflectionMetadataAreRefusedClearly() throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        .deletingLastPathComponent().appendingPathComponent("heappack-noreflection")
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    #expect(process.terminationStatus == 0, "it must not crash: \(output)")
    let lines = output.split(separator: "\n").map(String.init)
    #expect(lines.count == 2)
    for line in lines {
        #expect(line.contains(": unsupported: "), "\(line)")
        #expect(line.contains("-disable-reflection-metadata"), "\(line)")
        #expect(line.contains("rebuild it without that flag"), "\(line)")
    }
}
