// The MPI test scenarios, run under mpiexec by Tests/HeapPackTests/Cluster/MPITests.swift:
// `mpiexec -n 3 heappack-mpi-check SCENARIO`. Rank 0 prints `key=value` lines the tests read.
import Foundation
import HeapPack
import HeapPackCluster

#if MPI
let arguments = CommandLine.arguments
let scenario = arguments.count >= 2 ? arguments[1] : ""
if scenario == "spmd" || scenario == "big" {
    try scenario == "spmd" ? spmd() : big(gibibytes: arguments.count >= 3 ? Double(arguments[2]) ?? 3 : 3)
    exit(0)
}
Cluster.serveIfWorker()
switch scenario {
case "cluster": try await cluster()
case "crash": try await crash()
case "hang": try await hang()
default:
    FileHandle.standardError.write(Data("usage: mpiexec -n N heappack-mpi-check cluster|spmd|crash|hang|big [GiB]\n".utf8))
    exit(64)
}
#else
FileHandle.standardError.write(Data("heappack-mpi-check: built without the MPI trait (swift build --traits MPI)\n".utf8))
exit(64)
#endif

func report(_ key: String, _ value: Any) {
    FileHandle.standardOutput.write(Data("\(key)=\(value)\n".utf8))
}

/// This process's main executable's load base.
func imageBase() -> String {
    "0x" + String((try? Packer.shared.loadedImages().first?.base) ?? 0, radix: 16)
}

func processHost() -> String {
    ProcessInfo.processInfo.hostName
}

enum CheckError: Error {
    case refused(limit: Int)
}

final class Node {
    var value: Int
    var next: Node?
    init(_ value: Int) { self.value = value }
}

/// `count` nodes valued 1...count in a cycle.
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

func ringSum(_ ring: Node) -> Int {
    var sum = ring.value
    var node = ring.next
    while let current = node, current !== ring {
        sum += current.value
        node = current.next
    }
    return sum
}

func breakRing(_ ring: Node) {
    var node = ring
    while let next = node.next {
        node.next = nil
        node = next
    }
}

#if MPI
func cluster() async throws {
    var options = ClusterOptions(progressLine: .never)
    // Small pieces, so that every frame above 4 KiB crosses as several MPI messages.
    options.mpiPieceBytes = 4096
    let cluster = try await Cluster.mpi(options: options)
    report("workers", cluster.workers.map { "\($0.rank)@\($0.host)" }.joined(separator: ","))
    let ring = makeRing(1000)
    defer { breakRing(ring) }
    let payload = [Int](0..<100_000)
    // The result is as large as the capture, so that frames cross in pieces both ways.
    let result = try await cluster.run { () -> (sum: Int, payload: [Int], base: String, pid: Int32) in
        (ringSum(ring), payload.map { $0 + 1 }, imageBase(), getpid())
    }
    report("run.sum", result.sum)
    report("run.payload", result.payload.reduce(0, +))
    report("run.bases", "\(imageBase()) \(result.base)")
    report("run.remote", result.pid != getpid())
    let offset = 7
    let squares = try await cluster.map(0..<30, chunkSize: 4) { (x: Int) -> Int in x * x + offset }
    report("map.values", squares == (0..<30).map { $0 * $0 + offset })
    var seen: [Int] = []
    for try await (index, value) in cluster.mapUnordered(0..<12, { (x: Int) in x + 1 }) where value == index + 1 {
        seen.append(index)
    }
    report("unordered.indices", seen.sorted() == Array(0..<12))
    let ranks = Set(try await cluster.map(0..<40) { (_: Int) in ProcessInfo.processInfo.environment["OMPI_COMM_WORLD_RANK"] ?? "?" })
    report("map.ranks", ranks.sorted().joined(separator: ","))
    report("summary.tasks", cluster.summary.workers.reduce(0) { $0 + $1.tasks })
    // Errors are the local cluster's: a thrown error comes back, a capture that cannot travel
    // fails before anything is sent.
    do {
        _ = try await cluster.run { () throws -> Int in throw CheckError.refused(limit: offset) }
        report("remote.code", "none")
    } catch {
        report("remote.code", error.code)
        report("remote.type", error.remoteType ?? "nil")
        report("remote.value", (error.remoteError as? CheckError).map { "\($0)" } ?? "nil")
    }
    let handle = FileHandle.standardError
    do {
        _ = try await cluster.run { handle.fileDescriptor }
        report("refused.code", "none")
    } catch {
        report("refused.code", error.code)
    }
    var finished = 0
    let events = cluster.progress
    _ = try await cluster.map(0..<6) { (x: Int) in x }
    for await event in events {
        if case .taskFinished = event { finished += 1 }
        if finished == 6 { break }
    }
    report("progress.finished", finished)
    await cluster.shutdown()
    report("done", true)
}

func spmd() throws {
    let cluster = try Cluster.spmd(options: ClusterOptions(mpiPieceBytes: 4096))
    let ring = makeRing(cluster.rank == 0 ? 500 : 1)
    defer { breakRing(ring) }
    if cluster.rank == 0 {
        let factor = 3
        for rank in 1..<cluster.size {
            try cluster.send({ (x: Int) -> Int in x * factor + ringSum(ring) }, to: rank, tag: 5)
            try cluster.send(ring, to: rank, tag: 6)
        }
        var answers: [String] = []
        for rank in 1..<cluster.size {
            let answer = try cluster.receive((Int, String, Int).self, from: rank, tag: 9)
            answers.append("\(answer.0)/\(answer.2)")
            report("spmd.base.\(rank)", "\(imageBase()) \(answer.1)")
        }
        report("spmd.answers", answers.joined(separator: ","))
    } else {
        let function = try cluster.receive(((Int) -> Int).self, from: 0, tag: 5)
        let graph = try cluster.receive(Node.self, from: 0, tag: 6)
        defer { breakRing(graph) }
        try cluster.send((function(cluster.rank), imageBase(), ringSum(graph)), to: 0, tag: 9)
    }
    // A closure over a 200,000-element array: 1.6 MB in 4 KiB pieces, from rank 0 to all.
    let data = cluster.rank == 0 ? [Int](0..<200_000) : []
    let everywhere = try cluster.broadcast(cluster.rank == 0 ? { data.count + data[199_999] } : nil, as: (() -> Int).self)
    let total = try cluster.broadcast(cluster.rank == 0 ? 0 : nil, as: Int.self, from: 0)
    try cluster.barrier()
    if cluster.rank == 0 {
        report("spmd.broadcast", everywhere())
        report("spmd.total", total)
        report("done", true)
    } else if everywhere() != 399_999 {
        FileHandle.standardError.write(Data("rank \(cluster.rank): broadcast closure returned \(everywhere())\n".utf8))
        exit(1)
    }
    cluster.finish()
}

/// One packet of `gibibytes` from rank 0 to rank 1 and a checksum back: MPI counts are `int`,
/// so anything over 2 GiB must cross in pieces (scripts/mpi-big.sh).
func big(gibibytes: Double) throws {
    let cluster = try Cluster.spmd()
    let clock = ContinuousClock()
    let count = Int(gibibytes * Double(1 << 30)) / 8
    if cluster.rank == 0 {
        var values = [UInt64](repeating: 0, count: count)
        for index in values.indices { values[index] = UInt64(truncatingIfNeeded: index) &* 0x9E37_79B9_7F4A_7C15 }
        let expected = values.reduce(0, &+)
        // What packing alone costs (with a key, as send packs): the rest of send is MPI's.
        let packStart = clock.now
        let packetBytes = try pack(values, options: PackOptions(authenticationKey: [UInt8](repeating: 7, count: 32))).count
        report("big.packWithKey", clock.now - packStart)
        report("big.packetBytes", packetBytes)
        let start = clock.now
        try cluster.send(values, to: 1, tag: 1)
        let sent = clock.now
        let (checksum, received, seconds) = try cluster.receive((UInt64, Int, Double).self, from: 1, tag: 2)
        report("big.bytes", count * 8)
        report("big.pieces", (count * 8 + (1 << 30) - 1) / (1 << 30))
        report("big.send", sent - start)
        report("big.receiveAndUnpack", "\(seconds) s")
        report("big.count", received == count)
        report("big.checksum", checksum == expected)
        report("done", checksum == expected && received == count)
    } else if cluster.rank == 1 {
        let start = clock.now
        let values = try cluster.receive([UInt64].self, from: 0, tag: 1)
        let elapsed = clock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        try cluster.send((values.reduce(0, &+), values.count, seconds), to: 0, tag: 2)
    }
    try cluster.barrier()
    cluster.finish()
}

@inline(never)
func crashingStep(_ x: Int) -> Int {
    if x == 2 { raise(SIGSEGV) }
    return x
}

func crash() async throws {
    let cluster = try await Cluster.mpi(options: ClusterOptions(progressLine: .never))
    report("started", true)
    _ = try await cluster.map(0..<4) { (x: Int) in crashingStep(x) }
    report("unreachable", true)
}

func hang() async throws {
    let cluster = try await Cluster.mpi(options: ClusterOptions(progressLine: .never), watchdog: .seconds(2))
    report("started", true)
    _ = try await cluster.run { () -> Int in
        while true { pause() }
    }
    report("unreachable", true)
}
#endif
