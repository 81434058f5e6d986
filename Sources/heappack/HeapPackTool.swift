import ArgumentParser
import HeapPackInspect

/// `heappack`: tools for HeapPack packets.
@main
struct HeapPackTool: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "heappack",
        abstract: "Tools for HeapPack packets.",
        subcommands: [InspectCommand.self])
}
