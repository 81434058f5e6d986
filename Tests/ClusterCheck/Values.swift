import Foundation
import HeapPackCluster

// Values that travel: class graphs with cycles and sharing, closures, errors. Built from
// run-time numbers, so that -O cannot fold them into constants.

final class Node {
    var value: Int
    var next: Node?
    weak var previous: Node?

    init(_ value: Int) { self.value = value }
}

/// `count` nodes valued 1...count, each pointing to the next and the last to the first.
func makeRing(_ count: Int) -> Node {
    let first = Node(1)
    var last = first
    for value in stride(from: 2, through: count, by: 1) {
        let node = Node(value)
        last.next = node
        last = node
    }
    last.next = first
    return first
}

/// Ends the ring's cycle, which would otherwise keep it alive forever (LeakSanitizer checks).
func breakRing(_ ring: Node) {
    var node = ring
    while let next = node.next {
        node.next = nil
        node = next
    }
}

/// `count` nodes valued 1...count, each holding the next strongly and the previous weakly: a
/// graph with cycles (through the weak links) that frees itself.
func makeChain(_ count: Int) -> Node {
    let first = Node(1)
    var last = first
    for value in stride(from: 2, through: count, by: 1) {
        let node = Node(value)
        node.previous = last
        last.next = node
        last = node
    }
    return first
}

func ringSum(_ ring: Node) -> Int {
    var sum = 0
    var node = ring
    repeat {
        sum += node.value
        node = node.next!
    } while node !== ring
    return sum
}

/// What a task sends back: a graph with cycles, a closure, and where it ran.
final class Report {
    let pid: Int32
    let ring: Node
    let describe: () -> String

    init(pid: Int32, ring: Node, describe: @escaping () -> String) {
        self.pid = pid
        self.ring = ring
        self.describe = describe
    }
}

/// A table every task of a map shares.
final class Lookup {
    var offsets: [Int]
    var label: String

    init(offsets: [Int], label: String) {
        self.offsets = offsets
        self.label = label
    }
}

struct CheckError: Error, CustomStringConvertible {
    var input: Int
    var reason: String

    var description: String { "input \(input): \(reason)" }
}

/// Holds something bound to this process: a file handle may not travel.
final class LogSink {
    let handle: FileHandle

    init(_ handle: FileHandle) { self.handle = handle }
}

/// Crashes with a trap whose message goes to standard error, in a function of its own so the
/// backtrace can name it.
@inline(never)
func crashingTask(_ input: Int) -> Int {
    if input >= 0 { fatalError("crashingTask gave up on input \(input)") }
    return input
}

/// Leaves the worker through `exit`, as a library that gives up might, after saying why.
func exitingTask(_ status: Int32) -> Int {
    FileHandle.standardError.write(Data("exitingTask leaves with status \(status)\n".utf8))
    exit(status)
}

/// Crashes the first time it runs for `marker` (and leaves the marker file), succeeds after.
@inline(never)
func crashOnce(marker: String, value: Int) -> Int {
    if !FileManager.default.fileExists(atPath: marker) {
        _ = FileManager.default.createFile(atPath: marker, contents: Data())
        raise(SIGSEGV)
    }
    return value * 2
}

/// One `key=value` line, written at once (unbuffered: a scenario may end by SIGKILL).
func report(_ key: String, _ value: Any) {
    let line = "\(key)=\(String(describing: value).replacingOccurrences(of: "\n", with: " | "))\n"
    FileHandle.standardOutput.write(Data(line.utf8))
}

func reportError(_ prefix: String, _ error: ClusterError) {
    report("\(prefix).code", error.code)
    report("\(prefix).task", error.task.map(String.init) ?? "nil")
    report("\(prefix).attempts", error.attempts)
    report("\(prefix).message", error.message)
    report("\(prefix).packError", error.packError.map { "\($0.code) at \($0.path)" } ?? "nil")
    report("\(prefix).remoteType", error.remoteType ?? "nil")
    report("\(prefix).remoteMessage", error.remoteMessage ?? "nil")
    report("\(prefix).termination", error.termination.map { "\($0)" } ?? "nil")
    report("\(prefix).backtrace", error.backtrace.joined(separator: " ; "))
    report("\(prefix).workerOutput", error.workerOutput.joined(separator: " ; "))
    report("\(prefix).worker", error.worker.map { "\($0.rank)" } ?? "nil")
}
