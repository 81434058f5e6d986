// heappack-demo: ship a closure to a second process of this same executable and call it there.
//
// The parent packs a closure that captures an Int, a String, an array and a cycle of class
// instances, starts `heappack-demo --child`, and writes the packet to the child's stdin. The
// child unpacks and calls the closure, and answers with its result, its image base and its
// unpack time. Then the parent shows what happens to a closure that captures a FileHandle.
//
//   heappack-demo --write FILE     write the closure's packet to FILE instead
//   heappack-demo inspect FILE     show what a packet holds (this binary has the demo's types)
import Foundation
import HeapPack
import HeapPackInspect

final class Task {
    let name: String
    var next: Task?
    init(name: String) { self.name = name }
}

/// Jobs this process made or received. Their tasks form a cycle, which reference counting never
/// frees: held here until exit, the cycle stays reachable, so LeakSanitizer (the tests run this
/// demo under it) has nothing to report. Only the main thread touches it.
nonisolated(unsafe) var keptUntilExit: [() -> String] = []

func keep(_ job: @escaping () -> String) -> () -> String {
    keptUntilExit.append(job)
    return job
}

/// The closure both processes call. Built in the parent only.
func makeJob() -> () -> String {
    let multiplier = 7
    let title = "weekly report — généré par HeapPack"
    let samples = [3, 1, 4, 1, 5, 9, 2, 6]
    let first = Task(name: "collect"), second = Task(name: "summarise"), third = Task(name: "send")
    first.next = second; second.next = third; third.next = first   // a cycle
    return {
        var names: [String] = []
        var task = first
        repeat { names.append(task.name); task = task.next! } while task !== first
        return "\(title): \(samples.reduce(0, +) * multiplier) via \(names.joined(separator: " -> ")) (cycle closed)"
    }
}

func mainImageBase() -> UInt { (try? Packer.shared.loadedImages().first?.base) ?? 0 }

func microseconds(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1000
}

func format(_ microseconds: String?) -> String {
    microseconds.flatMap(Double.init).map { String(format: "%.1f", $0) } ?? "?"
}

func child() -> Int32 {
    let bytes = [UInt8](FileHandle.standardInput.readDataToEndOfFile())
    do {
        var job: (() -> String)?
        let firstTime = try microseconds { job = keep(try unpack(bytes, as: (() -> String).self)) }
        let time = try microseconds { job = keep(try unpack(bytes, as: (() -> String).self)) }
        print("result=\(job!())")
        print("base=0x\(String(mainImageBase(), radix: 16))")
        print("unpack_first_us=\(firstTime)")
        print("unpack_us=\(time)")
        return 0
    } catch {
        print("error=\(error)")
        return 1
    }
}

func parent() throws -> Int32 {
    let job = keep(makeJob())
    var packet: [UInt8] = []
    // The first pack reads metadata into layout plans; later packs of the same types reuse them.
    let firstPackTime = try microseconds { packet = try pack(job) }
    let packTime = try microseconds { packet = try pack(job) }

    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    process.arguments = ["--child"]
    let input = Pipe(), output = Pipe()
    process.standardInput = input
    process.standardOutput = output
    try process.run()
    input.fileHandleForWriting.write(Data(packet))
    try input.fileHandleForWriting.close()
    let reply = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    var answers: [String: String] = [:]
    for line in reply.split(separator: "\n") {
        let parts = line.split(separator: "=", maxSplits: 1)
        if parts.count == 2 { answers[String(parts[0])] = String(parts[1]) }
    }
    if let error = answers["error"] {
        print("child failed: \(error)")
        return 1
    }

    let here = job()
    let there = answers["result"] ?? "?"
    print("parent image base: 0x\(String(mainImageBase(), radix: 16))")
    print("child  image base: \(answers["base"] ?? "?")")
    print("parent result: \(here)")
    print("child  result: \(there)")
    print("results equal: \(here == there)")
    print("packet: \(packet.count) bytes; pack \(String(format: "%.1f", firstPackTime)) µs first, "
          + "\(String(format: "%.1f", packTime)) µs warm; "
          + "unpack (in child) \(format(answers["unpack_first_us"])) µs first, \(format(answers["unpack_us"])) µs warm")

    print("\nNow a closure that captures a FileHandle:")
    let log = FileHandle.standardError
    let logging: () -> Void = { log.write(Data("hello\n".utf8)) }
    do {
        _ = try pack(logging)
        print("unexpectedly packed")
        return 1
    } catch {
        print("refused: \(error)")
        print("  code: \(error.code)")
        print("  path: \(error.path)")
    }
    return here == there ? 0 : 1
}

let arguments = CommandLine.arguments
if arguments.dropFirst().first == "--child" {
    exit(child())
}
if arguments.dropFirst().first == "inspect" {
    InspectCommand.main(Array(arguments.dropFirst(2)))
    exit(0)
}
if arguments.count == 3, arguments[1] == "--write" {
    do {
        try Data(try pack(keep(makeJob()))).write(to: URL(fileURLWithPath: arguments[2]))
        exit(0)
    } catch {
        print("demo failed: \(error)")
        exit(1)
    }
}
do { exit(try parent()) } catch {
    print("demo failed: \(error)")
    exit(1)
}
