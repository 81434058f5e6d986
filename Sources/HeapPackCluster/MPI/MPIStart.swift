#if MPI
import Glibc
import HeapPack

/// The start of every MPI job, before any packet travels: rank 0 makes the job's key and
/// broadcasts it with its options (piece size, frame limit, output lines), every other rank
/// sends rank 0 its hello (the build-ids of its images, as a local worker's handshake lists
/// them, and its host), and rank 0 aborts the job if any rank runs another binary, naming that
/// rank and its host. All ranks take part.
enum _MPIStart {
    struct Outcome {
        var key: [UInt8]
        /// The ranks other than 0, as rank 0 learned them; empty on those ranks.
        var peers: [WorkerInfo]
        /// Rank 0's options, which every rank of the job follows.
        var options: ClusterOptions
    }

    static let keyBytes = 32

    static func begin(_ world: _MPIWorld, options: ClusterOptions) throws(ClusterError) -> Outcome {
        var message: [UInt8] = []
        if world.rank == 0 {
            var generator = SystemRandomNumberGenerator()
            message = (0..<keyBytes).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
            for number in [options.mpiPieceBytes, options.maxFrameBytes, options.outputLines, options.forwardsWorkerOutput ? 1 : 0] {
                withUnsafeBytes(of: UInt64(clamping: number).littleEndian) { message += $0 }
            }
        }
        message = try world.broadcast(message, from: 0)
        guard message.count == keyBytes + 4 * 8 else {
            throw ClusterError(code: .transport, message: "rank 0 broadcast a start message of \(message.count) bytes")
        }
        let key = Array(message.prefix(keyBytes))
        let numbers = (0..<4).map { index in
            message.withUnsafeBytes { Int(clamping: UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: keyBytes + index * 8, as: UInt64.self))) }
        }
        var adopted = options
        adopted.mpiPieceBytes = numbers[0]
        adopted.maxFrameBytes = numbers[1]
        adopted.outputLines = numbers[2]
        adopted.forwardsWorkerOutput = numbers[3] != 0
        world.adopt(pieceBytes: adopted.mpiPieceBytes, maxFrameBytes: adopted.maxFrameBytes)
        guard world.rank == 0 else {
            try world.send(_Handshake.hello(pid: getpid()) + Array("host \(world.host)\n".utf8), to: 0, tag: _MPIWorld.Tag.start.rawValue)
            try world.barrier()
            return Outcome(key: key, peers: [], options: adopted)
        }
        let expected = _Handshake.images()
        var peers: [WorkerInfo] = []
        for rank in 1..<world.size {
            let (hello, _) = try world.receiveWaiting(from: rank, tag: _MPIWorld.Tag.start.rawValue)
            let peer = worker(rank: rank, hello: hello)
            do {
                try _Handshake.check(hello, from: peer, expected: expected)
            } catch {
                world.abort("heappack-cluster: aborting the MPI job: rank \(rank) on host \(peer.host) runs another binary:"
                            + " \(error.message)", status: 65)
            }
            peers.append(peer)
        }
        try world.barrier()
        return Outcome(key: key, peers: peers, options: adopted)
    }

    private static func worker(rank: Int, hello: [UInt8]) -> WorkerInfo {
        var pid: Int32 = 0
        var host = "?"
        for line in String(decoding: hello.prefix(1 << 20), as: UTF8.self).split(separator: "\n") {
            if line.hasPrefix("pid ") { pid = Int32(line.dropFirst(4)) ?? 0 }
            if line.hasPrefix("host ") { host = String(line.dropFirst(5)) }
        }
        return WorkerInfo(rank: rank, pid: pid, host: host)
    }
}
#endif
