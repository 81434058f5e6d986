// heappack-peer: one side of a cross-process test. Two runs of this one binary play writer and
// reader; each prints its main-executable load base so the test can show that ASLR moved it.
//
//   heappack-peer write SCENARIO FILE   pack the scenario's value into FILE
//   heappack-peer read SCENARIO FILE    unpack FILE and call the value
//   heappack-peer list                  scenario names
//   heappack-peer refuse-keypath        try to pack a key path; print the refusal
//   heappack-peer refuse-closure        try to pack a closure capturing a FileHandle; print the path
//   heappack-peer inspect FILE [...]    HeapPackInspect's command, embedded: this binary has the types
// Output: one line `base=0x... result=...`, or `error=...` and exit status 1. The refuse-*
// commands exit 0 when the value is refused as expected and 3 if it packed.
import HeapPack
import HeapPackInspect
import HeapPackTestSupport
import Foundation

func imageBase() -> String {
    let base = (try? Packer.shared.loadedImages().first?.base) ?? 0 as UInt
    return "0x" + String(base, radix: 16)
}

let arguments = CommandLine.arguments
guard arguments.count >= 2 else {
    FileHandle.standardError.write(Data("usage: heappack-peer write|read SCENARIO FILE | list\n".utf8))
    exit(2)
}
if arguments[1] == "refuse-keypath" {
    // Key paths are refused (not laid out): the error must name the code and the path.
    do {
        _ = try pack([\Member.name])
        print("packed")
        exit(3)
    } catch {
        print("error=\(error.code) path=\(error.path)")
    }
    exit(0)
}
if arguments[1] == "refuse-closure" {
    // Run from a stripped copy too: the closure is then named by where its code is.
    let handle = FileHandle.standardError
    let label = String(arguments.count)
    let job: () -> String = { "\(label) \(handle.fileDescriptor)" }
    do {
        _ = try pack(job)
        print("packed")
        exit(3)
    } catch {
        print("error=\(error.code) path=\(error.path)")
    }
    exit(0)
}
if arguments[1] == "inspect" {
    InspectCommand.main(Array(arguments.dropFirst(2)))
    exit(0)
}
if arguments[1] == "list" {
    print(Scenarios.all.map(\.name).joined(separator: "\n"))
    exit(0)
}
guard arguments.count == 4, let scenario = Scenarios.named(arguments[2]) else {
    FileHandle.standardError.write(Data("unknown scenario or missing file\n".utf8))
    exit(2)
}
let file = URL(fileURLWithPath: arguments[3])
do {
    switch arguments[1] {
    case "write":
        let bytes = try scenario.pack()
        try Data(bytes).write(to: file)
        print("base=\(imageBase()) result=\(try scenario.run(bytes)) bytes=\(bytes.count)")
    case "read":
        let bytes = [UInt8](try Data(contentsOf: file))
        print("base=\(imageBase()) result=\(try scenario.run(bytes))")
    default:
        exit(2)
    }
} catch {
    print("error=\(error)")
    exit(1)
}
