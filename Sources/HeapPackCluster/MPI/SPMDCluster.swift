#if MPI
import HeapPack

/// Every rank of an MPI job running one program (SPMD), exchanging values of any type, closures
/// and class graphs included — mpi4py's lowercase API for HeapPack values:
///
/// ```swift
/// let cluster = try Cluster.spmd()            // every rank, instead of serveIfWorker()
/// if cluster.rank == 0 {
///     try cluster.send({ (x: Int) in x * factor }, to: 1, tag: 7)
/// } else if cluster.rank == 1 {
///     let f = try cluster.receive(((Int) -> Int).self, from: 0, tag: 7)
/// }
/// let table = try cluster.broadcast(cluster.rank == 0 ? buildTable() : nil, from: 0)
/// cluster.finish()
/// ```
///
/// Values are packed with the job's key (made by rank 0 and broadcast at start, when rank 0
/// also checks every rank's build-ids), so a frame another program forged is refused. Frames
/// of any size travel, in pieces of rank 0's ``ClusterOptions/mpiPieceBytes``. Every rank must
/// call ``finish()`` before it exits: mpiexec reports a rank that exits without it as failed.
public final class SPMDCluster: Sendable {
    /// This process's rank, from 0.
    public let rank: Int
    /// The number of ranks.
    public let size: Int
    /// The host this rank runs on (MPI's processor name).
    public let host: String
    let world: _MPIWorld
    let key: [UInt8]

    /// The largest tag ``send(_:to:tag:)`` takes; the ones above are HeapPackCluster's own.
    public static let maxTag = 32000

    init(world: _MPIWorld, key: [UInt8]) {
        self.world = world
        self.key = key
        rank = world.rank
        size = world.size
        host = world.host
    }

    /// Sends `value`, with everything it references, to `rank`. Returns when the bytes are on
    /// their way: for a large value, once `rank` started to receive it.
    ///
    /// - Throws: `.notTransferable` if `value` cannot travel (nothing was sent), `.transport`.
    public func send<Value>(_ value: Value, to rank: Int, tag: Int = 0) throws(ClusterError) {
        try world.send(try packed(value), to: rank, tag: try checked(tag))
    }

    /// The next value `rank` sent with `tag` (any rank if `rank` is nil), as `Value`; blocks
    /// until it arrives. A large value is received whole before any other receive of this
    /// process proceeds. After a `.transport` error, values from that rank and tag can no
    /// longer be read.
    ///
    /// - Throws: `.badPacket` if the value is not a `Value`, `.unauthenticated` if its tag fails.
    public func receive<Value>(_ type: Value.Type = Value.self, from rank: Int? = nil, tag: Int = 0) throws(ClusterError) -> Value {
        let (frame, _) = try world.receiveWaiting(from: rank, tag: try checked(tag))
        return try unpacked(frame, as: Value.self)
    }

    /// Rank `root`'s `value` on every rank; every rank must call it, in the same order. The
    /// other ranks pass nil.
    public func broadcast<Value>(_ value: Value?, as type: Value.Type = Value.self, from root: Int = 0) throws(ClusterError) -> Value {
        var bytes: [UInt8] = []
        if rank == root {
            guard let value else { throw ClusterError(code: .transport, message: "the root of a broadcast (rank \(root)) passed nil") }
            bytes = try packed(value)
        }
        return try unpacked(try world.broadcast(bytes, from: root), as: Value.self)
    }

    /// Returns when every rank has called it.
    public func barrier() throws(ClusterError) {
        try world.barrier()
    }

    /// Finalizes MPI. Every rank must call it before it exits; nothing can be sent after it.
    public func finish() {
        world.finalize()
    }

    private func checked(_ tag: Int) throws(ClusterError) -> Int32 {
        guard tag >= 0 && tag <= Self.maxTag else {
            throw ClusterError(code: .transport, message: "tag \(tag) is outside 0...\(Self.maxTag)")
        }
        return Int32(tag)
    }

    private func packed<Value>(_ value: Value) throws(ClusterError) -> [UInt8] {
        do {
            return try pack(value, options: PackOptions(authenticationKey: key))
        } catch {
            throw ClusterError(code: .notTransferable, message: "the value cannot travel: \(error.message)", packError: error)
        }
    }

    private func unpacked<Value>(_ frame: [UInt8], as type: Value.Type) throws(ClusterError) -> Value {
        do {
            return try unpack(frame, as: Value.self, options: UnpackOptions(authenticationKey: key))
        } catch {
            throw ClusterError(code: error.code == .unauthenticated ? .unauthenticated : .badPacket,
                               message: "a received value was refused: \(error.message)", packError: error)
        }
    }
}

extension Cluster {
    /// Joins the MPI job as one of its ranks, for programs in which every rank runs its own
    /// part (SPMD) and ranks exchange values with ``SPMDCluster/send(_:to:tag:)``,
    /// ``SPMDCluster/receive(_:from:tag:)`` and ``SPMDCluster/broadcast(_:as:from:)``. Every
    /// rank calls it, and such a program does not call ``serveIfWorker()``. Rank 0 aborts the
    /// job if a rank runs another binary.
    public static func spmd(options: ClusterOptions = .init()) throws(ClusterError) -> SPMDCluster {
        let world = try _MPIWorld.joined(pieceBytes: options.mpiPieceBytes, maxFrameBytes: options.maxFrameBytes)
        let begun = try _MPIStart.begin(world, options: options)
        return SPMDCluster(world: world, key: begun.key)
    }
}
#endif
