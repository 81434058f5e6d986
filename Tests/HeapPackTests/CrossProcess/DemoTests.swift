import Foundation
import Testing

// The README's quick start and its quoted inspection, run as a user would: the demo binary
// built beside this test binary, in the same configuration.

private func runDemo(_ arguments: [String], in directory: URL? = nil) throws -> ChildRun {
    try runChild(sibling("heappack-demo"), arguments, in: directory)
}

/// The value after `prefix` on the line that starts with it.
private func value(after prefix: String, in output: String) -> String? {
    output.split(separator: "\n").first { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) }
}

/// The fenced block that follows `marker` in README.md.
private func readmeBlock(after marker: String) throws -> String {
    // This file is Tests/HeapPackTests/CrossProcess/DemoTests.swift.
    let readme = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("README.md")
    let text = try String(contentsOf: readme, encoding: .utf8)
    let start = try #require(text.range(of: marker), "README.md no longer says \(marker)")
    let open = try #require(text.range(of: "```\n", range: start.upperBound..<text.endIndex))
    let close = try #require(text.range(of: "```\n", range: open.upperBound..<text.endIndex))
    return String(text[open.upperBound..<close.lowerBound])
}

/// What the quoted inspection and a fresh one must share. Build-ids differ per build, and so
/// do byte counts: code offsets travel as varints, so their sizes follow the binary's layout
/// (optimization, sanitizers, even the length of the checkout's path in debug strings).
/// Everything else must match: types, object counts, paths, references and their targets.
private func masking(_ text: String) -> String {
    text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
        // A row of the per-type table: objects, bytes, type.
        if let row = line.wholeMatch(of: /\s+([0-9]+)\s+[0-9]+  (.+)/) {
            return "  \(row.1)  …  \(row.2)"
        }
        return String(line)
            .replacing(/build-id [0-9a-f]+/, with: "build-id …")
            .replacing(/[0-9]+ bytes: header [0-9]+, body [0-9]+;/, with: "… bytes: header …, body …;")
            .replacing(/[0-9]+ bytes\]/, with: "… bytes]")
    }.joined(separator: "\n")
}

@Suite("Demo")
struct DemoTests {
    @Test("the demo ships its closure to a second process, which calls it at another image base")
    func demoRuns() throws {
        let run = try runDemo([])
        #expect(run.status == 0, "\(run)")
        let parentBase = try #require(value(after: "parent image base: 0x", in: run.output).flatMap { UInt($0, radix: 16) })
        let childBase = try #require(value(after: "child  image base: 0x", in: run.output).flatMap { UInt($0, radix: 16) })
        #expect(parentBase != childBase, "ASLR should load the two processes at different bases")
        let parentResult = try #require(value(after: "parent result: ", in: run.output))
        #expect(parentResult.hasPrefix("weekly report — généré par HeapPack: 217 via collect -> summarise -> send"))
        #expect(value(after: "child  result: ", in: run.output) == parentResult)
        #expect(run.output.contains("results equal: true"))
        #expect(value(after: "  code: ", in: run.output) == "nonTransferable", "\(run.output)")
        #expect(value(after: "  path: ", in: run.output)?.hasSuffix("> Foundation.FileHandle") == true, "\(run.output)")
    }

    @Test("--write and inspect print what the README quotes")
    func writeAndInspectMatchTheReadme() throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("heappack-demo-\(getpid())", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("job.hpk")
        let written = try runDemo(["--write", file.path])
        #expect(written.status == 0, "\(written)")
        // The README runs `inspect job.hpk` from the directory the packet is in.
        let inspected = try runDemo(["inspect", "job.hpk"], in: directory)
        #expect(inspected.status == 0, "\(inspected)")
        let quoted = try readmeBlock(after: "The second command printed")
        #expect(masking(inspected.output) == masking(quoted))
    }
}
