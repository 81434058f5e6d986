import ArgumentParser
import Foundation
import HeapPack

/// `inspect FILE`: what a packet holds — header, images, types, and the object graph.
///
/// The `heappack` tool runs it as `heappack inspect`. A program can also embed it as a
/// subcommand of its own: only a binary that has the packet's types can list its objects, so
/// inspecting the packets of program X in full takes X itself (`X inspect FILE`).
public struct InspectCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show what a HeapPack packet holds: header, images, types and the object graph.",
        discussion: """
            The object graph needs the packet's types: in a binary other than the writer, only the \
            header, the images (with whether each matches this process) and the type table are shown.
            """)

    @Argument(help: "The packet file.")
    var file: String

    @Option(help: "Also write the object graph as Graphviz DOT to this file ('-' for standard output).")
    var dot: String?

    @Option(help: "Show at most this many lines of the object tree.")
    var maxLines = 200

    @Option(help: "Show the object tree at most this deep.")
    var maxDepth = 32

    public init() {}

    public func run() throws {
        guard let contents = FileManager.default.contents(atPath: file) else {
            throw InspectFailure("cannot read \(file)")
        }
        let inspection: PacketInspection
        do {
            inspection = try Packer.shared.inspect(Array(contents))
        } catch {
            throw InspectFailure("\(file) is not a readable HeapPack packet: \(error)")
        }
        var report = InspectionReport(inspection, file: file)
        report.maxLines = maxLines
        report.maxDepth = maxDepth
        print(report.text, terminator: "")
        if let dot {
            if let problem = inspection.bodyProblem {
                throw InspectFailure("no object graph to draw (--dot): \(problem.message)")
            }
            let graph = DotGraph(inspection).text
            if dot == "-" {
                print(graph, terminator: "")
            } else {
                do {
                    try graph.write(toFile: dot, atomically: true, encoding: .utf8)
                } catch {
                    throw InspectFailure("cannot write \(dot): \(error.localizedDescription)")
                }
            }
        }
    }
}

/// A failure worth one line on standard error and exit status 1, not a usage message.
struct InspectFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
