import Foundation
import Testing

/// Runs `heappack-peer` (built beside this test binary, in the same configuration) as writer and
/// as reader: two processes of one executable, which ASLR loads at different addresses.
enum Peer {
    static var executable: URL { sibling("heappack-peer") }

    struct Answer {
        let base: UInt
        let result: String
    }

    static func run(_ arguments: [String]) throws -> ChildRun { try runChild(executable, arguments) }

    static func answer(_ output: String) throws -> Answer {
        let line = try #require(output.split(separator: "\n").first.map(String.init), "no output")
        let base = try #require(line.firstRange(of: "base=0x").map { line[$0.upperBound...].prefix { $0 != " " } })
        let result = try #require(line.firstRange(of: "result=").map { line[$0.upperBound...] })
        let trimmed = result.firstRange(of: " bytes=").map { String(result[..<$0.lowerBound]) } ?? String(result)
        return Answer(base: try #require(UInt(base, radix: 16)), result: trimmed)
    }

    static func temporaryFile(_ name: String) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("heappack-\(getpid())-\(name).hpk")
    }
}
