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

    @Option(help: "Check the packet's authentication tag with the key in this file (its raw bytes, at least 32).")
    var keyFile: String?

    public init() {}

    public func run() throws {
        do {
            try inspect()
        } catch {
            FileHandle.standardError.write(Data("Error: \(error.description)\n".utf8))
            throw ExitCode(error.status)
        }
    }

    private func inspect() throws(InspectFailure) {
        guard let contents = FileManager.default.contents(atPath: file) else {
            throw InspectFailure("cannot read \(file)", status: InspectFailure.noInput)
        }
        var key: [UInt8]?
        if let keyFile {
            guard let keyContents = FileManager.default.contents(atPath: keyFile) else {
                throw InspectFailure("cannot read the key file \(keyFile)", status: InspectFailure.noInput)
            }
            key = Array(keyContents)
        }
        let inspection: PacketInspection
        do {
            inspection = try Packer.shared.inspect(Array(contents), authenticationKey: key)
        } catch {
            throw InspectFailure("\(file) is not a readable HeapPack packet: \(error)", status: InspectFailure.dataError)
        }
        var report = InspectionReport(inspection, file: file)
        report.maxLines = maxLines
        report.maxDepth = maxDepth
        print(report.text, terminator: "")
        if let dot {
            if let problem = inspection.bodyProblem {
                throw InspectFailure("no object graph to draw (--dot): \(problem.message)", status: InspectFailure.dataError)
            }
            let graph = DotGraph(inspection).text
            if dot == "-" {
                print(graph, terminator: "")
            } else {
                do {
                    try graph.write(toFile: dot, atomically: true, encoding: .utf8)
                } catch {
                    throw InspectFailure("cannot write \(dot): \(error.localizedDescription)", status: InspectFailure.cannotCreate)
                }
            }
        }
    }
}

/// A failure worth one line on standard error, not a usage message. Its exit status is the
/// BSD sysexits code for the failure, never 1, which is what a crash report or a sanitizer's
/// finding exits with.
struct InspectFailure: Error, CustomStringConvertible {
    /// EX_DATAERR: the file is not a readable packet, or has no object graph to draw.
    static let dataError: Int32 = 65
    /// EX_NOINPUT: the file cannot be read.
    static let noInput: Int32 = 66
    /// EX_CANTCREAT: the DOT file cannot be written.
    static let cannotCreate: Int32 = 73

    let description: String
    let status: Int32
    init(_ description: String, status: Int32) {
        self.description = description
        self.status = status
    }
}
