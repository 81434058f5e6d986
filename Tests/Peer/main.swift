// heappack-peer: one side of a cross-process test. Two runs of this one binary play writer and
// reader; each prints its main-executable load base so the test can show that ASLR moved it.
//
//   heappack-peer write SCENARIO FILE [KEY]   pack the scenario's value into FILE
//   heappack-peer read SCENARIO FILE [KEY]    unpack FILE and call the value
//                                             (KEY: an authentication key, in hex)
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
guard 4...5 ~= arguments.count, let scenario = Scenarios.named(arguments[2]) else {
    FileHandle.standardError.write(Data("unknown scenario or missing file\n".utf8))
    exit(2)
}
let file = URL(fileURLWithPath: arguments[3])
var key: [UInt8]?
if arguments.count == 5 {
    let hex = Array(arguments[4].utf8)
    let bytes = stride(from: 0, to: hex.count - 1, by: 2).compactMap { UInt8(String(decoding: hex[$0...($0 + 1)], as: UTF8.self), radix: 16) }
    guard hex.count % 2 == 0, bytes.count * 2 == hex.count else {
        FileHandle.standardError.write(Data("the key must be hex\n".utf8))
        exit(2)
    }
    key = bytes
}
do {
    switch arguments[1] {
    case "write":
        let bytes = try scenario.pack(options: PackOptions(authenticationKey: key))
        try Data(bytes).write(to: file)
        let result = try scenario.run(bytes, options: UnpackOptions(authenticationKey: key))
        print("base=\(imageBase()) result=\(result) bytes=\(bytes.count)")
    case "read":
        let bytes = [UInt8](try Data(contentsOf: file))
        print("base=\(imageBase()) result=\(try scenario.run(bytes, options: UnpackOptions(authenticationKey: key)))")
    default:
        exit(2)
    }
} catch {
    print("error=\(error)")
    exit(1)
}
