#if MPI
import CMPI
import Glibc
import Synchronization

/// This process's MPI_COMM_WORLD, with frames of any size.
///
/// Every MPI call holds one lock and none of them blocks: a wait is a loop of `MPI_Test` or
/// `MPI_Improbe` that lets go of the lock between calls, so one coordinator thread per worker
/// rank can send and receive at once (MPI_THREAD_SERIALIZED is all this needs from Open MPI).
///
/// Open MPI 4.1 implements MPI 3.1, whose counts are `int`: a frame travels as pieces of at
/// most ``pieceBytes``. The first piece starts with the frame's length (8 bytes, little-endian)
/// and holds at most 64 KiB of it, so that small frames are one message and large ones are sent
/// from the caller's buffer without a copy. Pieces of one frame are sent back to back under the
/// destination's send lock and received under the receive lock; MPI keeps the order of messages
/// between two ranks on one tag. A receiver grows a frame as its pieces arrive, so a peer's
/// announced length costs memory only once the bytes are really there.
final class _MPIWorld: Sendable {
    enum Tag: Int32 {
        /// Cluster frames between the coordinator's slot for a rank and that rank's relay.
        case frame = 32001
        /// Relay control: stop, kill or restart the local worker; its fate when it ends.
        case control = 32002
        /// A rank's hello at start, checked by rank 0 before anything else is sent.
        case start = 32003
    }

    static let firstPieceLimit = 64 << 10

    let rank: Int
    let size: Int
    let host: String
    /// Rank 0's choice, adopted by every rank at start (``adopt(pieceBytes:maxFrameBytes:)``).
    private let limits: Mutex<(pieceBytes: Int, maxFrameBytes: Int)>
    private let callLock = Mutex(())
    private let receiveLock = Mutex(())
    private let sendLocks: [_SendLock]
    private let finished = Atomic<Bool>(false)

    private final class _SendLock: Sendable {
        let mutex = Mutex(())
    }

    private static let shared = Mutex<_MPIWorld?>(nil)

    /// The world, initialized on first use. MPI may be initialized only once per process, and
    /// finalized once: after ``finalize()`` this throws `.shutDown`.
    static func joined(pieceBytes: Int = 1 << 30, maxFrameBytes: Int = 1 << 40) throws(ClusterError) -> _MPIWorld {
        let result: Result<_MPIWorld, ClusterError> = shared.withLock { world in
            var finalized: Int32 = 0
            MPI_Finalized(&finalized)
            if finalized != 0 {
                return .failure(ClusterError(code: .shutDown, message: "MPI was finalized in this process: a job joins it once"))
            }
            if let world { return .success(world) }
            var initialized: Int32 = 0
            MPI_Initialized(&initialized)
            var provided: Int32 = 0
            if initialized == 0 {
                let status = MPI_Init_thread(nil, nil, Int32(MPI_THREAD_SERIALIZED), &provided)
                guard status == MPI_SUCCESS else { return .failure(_mpiError("MPI_Init_thread", status)) }
            } else {
                MPI_Query_thread(&provided)
            }
            guard provided >= Int32(MPI_THREAD_SERIALIZED) else {
                return .failure(ClusterError(code: .transport, message: "MPI was initialized for one thread only"
                                             + " (HeapPackCluster needs MPI_THREAD_SERIALIZED)"))
            }
            // Errors come back as codes, which become ClusterErrors, instead of aborting the job.
            MPI_Comm_set_errhandler(hpm_comm_world(), hpm_errors_return())
            var rank: Int32 = 0, size: Int32 = 0
            MPI_Comm_rank(hpm_comm_world(), &rank)
            MPI_Comm_size(hpm_comm_world(), &size)
            var name = [CChar](repeating: 0, count: Int(hpm_max_processor_name()) + 1)
            var length: Int32 = 0
            MPI_Get_processor_name(&name, &length)
            let host = String(decoding: name.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            let made = _MPIWorld(rank: Int(rank), size: Int(size), host: host)
            made.adopt(pieceBytes: pieceBytes, maxFrameBytes: maxFrameBytes)
            world = made
            return .success(made)
        }
        return try result.get()
    }

    /// Whether this process was started by mpiexec, and its rank there, before MPI_Init.
    static var launchedRank: Int? {
        guard let text = getenv("OMPI_COMM_WORLD_RANK") ?? getenv("PMIX_RANK") else { return nil }
        return Int(String(cString: text))
    }

    private init(rank: Int, size: Int, host: String) {
        self.rank = rank
        self.size = size
        self.host = host
        limits = Mutex((1 << 30, 1 << 40))
        sendLocks = (0..<size).map { _ in _SendLock() }
    }

    var pieceBytes: Int { limits.withLock { $0.pieceBytes } }
    var maxFrameBytes: Int { limits.withLock { $0.maxFrameBytes } }

    func adopt(pieceBytes: Int, maxFrameBytes: Int) {
        limits.withLock { $0 = (max(64, min(pieceBytes, Int(Int32.max))), max(0, maxFrameBytes)) }
    }

    var isFinalized: Bool { finished.load(ordering: .acquiring) }

    // MARK: Point to point

    /// Sends one frame to `destination`; returns when MPI no longer needs the bytes.
    func send(_ frame: [UInt8], to destination: Int, tag: Int32) throws(ClusterError) {
        try checkPeer(destination)
        let pieceBytes = self.pieceBytes
        let firstLength = min(frame.count, min(Self.firstPieceLimit, pieceBytes - 8))
        var first = [UInt8](repeating: 0, count: 8 + firstLength)
        withUnsafeBytes(of: UInt64(frame.count).littleEndian) { first.replaceSubrange(0..<8, with: $0) }
        first.replaceSubrange(8..., with: frame[0..<firstLength])
        try sendLocks[destination].mutex.withLock { _ throws(ClusterError) in
            try sendPiece(first[...], to: destination, tag: tag)
            var offset = firstLength
            while offset < frame.count {
                let end = min(frame.count, offset + pieceBytes)
                try sendPiece(frame[offset..<end], to: destination, tag: tag)
                offset = end
            }
        }
    }

    private func sendPiece(_ piece: ArraySlice<UInt8>, to destination: Int, tag: Int32) throws(ClusterError) {
        try _typed(piece.withUnsafeBytes { bytes in
            _catching { () throws(ClusterError) in
                var request = hpm_request_null()
                let status = callLock.withLock { _ in
                    MPI_Isend(bytes.baseAddress, Int32(bytes.count), hpm_byte(), Int32(destination), tag, hpm_comm_world(), &request)
                }
                guard status == MPI_SUCCESS else { throw _mpiError("MPI_Isend to rank \(destination)", status) }
                complete(&request, what: "sending to rank \(destination)")
            }
        })
    }

    /// The next frame from `source` on `tag` if one has begun to arrive, else nil at once.
    /// Returns the frame and the rank it came from (`source` nil: any rank). After an error the
    /// frames from that rank on that tag cannot be read any more: its pieces are out of step.
    func receive(from source: Int?, tag: Int32) throws(ClusterError) -> (frame: [UInt8], source: Int)? {
        if let source { try checkPeer(source) }
        return try receiveLock.withLock { _ throws(ClusterError) -> (frame: [UInt8], source: Int)? in
            guard let first = try probe(source: source.map(Int32.init) ?? hpm_any_source(), tag: tag) else { return nil }
            let sender = first.source
            // A matched message must be received whatever its size (a smaller buffer would be a
            // truncation error, which ends the job): its bytes are in MPI's hands already.
            var head = [UInt8](repeating: 0, count: first.count)
            try receivePiece(first.message, into: &head, at: 0, count: head.count, from: sender)
            guard head.count >= 8 && head.count <= Self.firstPieceLimit + 8 else {
                throw ClusterError(code: .transport, message: "rank \(sender) sent a first frame piece of \(first.count) bytes")
            }
            let total = head.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
            guard total >= UInt64(head.count - 8) && total <= UInt64(maxFrameBytes) else {
                throw ClusterError(code: .transport, message: "rank \(sender) announced a frame of \(total) bytes"
                                   + " (the limit is \(maxFrameBytes))")
            }
            var frame = Array(head[8...])
            while frame.count < Int(total) {
                var next: (message: MPI_Message?, source: Int, count: Int)?
                var idle = _Backoff(longest: 0)
                while next == nil {
                    next = try probe(source: Int32(sender), tag: tag)
                    if next == nil { idle.pause() }
                }
                let piece = next!
                let offset = frame.count
                // The bytes are in MPI's hands already: growing by what arrived costs no more
                // memory than the sender really sent.
                guard piece.count > 0 && piece.count <= Int(total) - offset else {
                    var discard = [UInt8](repeating: 0, count: piece.count)
                    try? receivePiece(piece.message, into: &discard, at: 0, count: piece.count, from: sender)
                    throw ClusterError(code: .transport, message: "rank \(sender) sent a piece of \(piece.count) bytes"
                                       + " where \(Int(total) - offset) were left of its frame")
                }
                // Doubling, but never past the announced length: a 3 GiB frame never holds 4.
                if frame.capacity < offset + piece.count {
                    frame.reserveCapacity(min(Int(total), max(frame.capacity * 2, offset + piece.count)))
                }
                // From an array, not repeatElement: unoptimized builds append the latter one
                // element at a time (a 256 MiB piece took 143 s in a debug build; this, 1 s).
                frame.append(contentsOf: [UInt8](repeating: 0, count: piece.count))
                try receivePiece(piece.message, into: &frame, at: offset, count: piece.count, from: sender)
            }
            return (frame, sender)
        }
    }

    /// Blocks until a frame from `source` on `tag` arrives.
    func receiveWaiting(from source: Int?, tag: Int32) throws(ClusterError) -> (frame: [UInt8], source: Int) {
        var idle = _Backoff()
        while true {
            if let received = try receive(from: source, tag: tag) { return received }
            idle.pause()
        }
    }

    private func checkPeer(_ peer: Int) throws(ClusterError) {
        guard peer >= 0 && peer < size && peer != rank else {
            throw ClusterError(code: .transport, message: "rank \(peer) is not another rank of this job of \(size)")
        }
    }

    private func probe(source: Int32, tag: Int32) throws(ClusterError) -> (message: MPI_Message?, source: Int, count: Int)? {
        var found: Int32 = 0
        var message: MPI_Message?
        var status = MPI_Status()
        var count: Int32 = 0
        let result = callLock.withLock { _ in
            let result = MPI_Improbe(source, tag, hpm_comm_world(), &found, &message, &status)
            if result == MPI_SUCCESS && found != 0 { MPI_Get_count(&status, hpm_byte(), &count) }
            return result
        }
        guard result == MPI_SUCCESS else { throw _mpiError("MPI_Improbe", result) }
        return found != 0 ? (message, Int(status.MPI_SOURCE), Int(count)) : nil
    }

    private func receivePiece(_ message: MPI_Message?, into buffer: inout [UInt8], at offset: Int, count: Int,
                              from sender: Int) throws(ClusterError) {
        var matched = message
        try _typed(buffer.withUnsafeMutableBytes { bytes in
            _catching { () throws(ClusterError) in
                var request = hpm_request_null()
                let status = callLock.withLock { _ in
                    MPI_Imrecv(bytes.baseAddress! + offset, Int32(count), hpm_byte(), &matched, &request)
                }
                guard status == MPI_SUCCESS else { throw _mpiError("MPI_Imrecv from rank \(sender)", status) }
                complete(&request, what: "receiving from rank \(sender)")
            }
        })
    }

    // MARK: Collectives

    /// Rank `root`'s bytes on every rank. Every rank must call it, in the same order.
    func broadcast(_ bytes: [UInt8], from root: Int) throws(ClusterError) -> [UInt8] {
        guard root >= 0 && root < size else {
            throw ClusterError(code: .transport, message: "rank \(root) is not a rank of this job of \(size)")
        }
        var length = UInt64(rank == root ? bytes.count : 0)
        try _typed(withUnsafeMutableBytes(of: &length) { raw in
            _catching { () throws(ClusterError) in try broadcastPiece(raw.baseAddress!, count: 8, root: root) }
        })
        guard length <= UInt64(maxFrameBytes) else {
            throw ClusterError(code: .transport, message: "rank \(root) broadcast \(length) bytes (the limit is \(maxFrameBytes))")
        }
        func pieces(_ base: UnsafeMutableRawPointer?, _ count: Int) throws(ClusterError) {
            var offset = 0
            while offset < count {
                let piece = min(count - offset, pieceBytes)
                try broadcastPiece(base! + offset, count: piece, root: root)
                offset += piece
            }
        }
        if rank == root {
            // The root's buffer is only read: no copy of what may be gigabytes.
            try _typed(bytes.withUnsafeBytes { raw in
                _catching { () throws(ClusterError) in try pieces(UnsafeMutableRawPointer(mutating: raw.baseAddress), raw.count) }
            })
            return bytes
        }
        var result = [UInt8](repeating: 0, count: Int(length))
        try _typed(result.withUnsafeMutableBytes { raw in
            _catching { () throws(ClusterError) in try pieces(raw.baseAddress, raw.count) }
        })
        return result
    }

    private func broadcastPiece(_ pointer: UnsafeMutableRawPointer, count: Int, root: Int) throws(ClusterError) {
        var request = hpm_request_null()
        let status = callLock.withLock { _ in
            MPI_Ibcast(pointer, Int32(count), hpm_byte(), Int32(root), hpm_comm_world(), &request)
        }
        guard status == MPI_SUCCESS else { throw _mpiError("MPI_Ibcast", status) }
        complete(&request, what: "broadcasting from rank \(root)")
    }

    /// Returns when every rank has called it.
    func barrier() throws(ClusterError) {
        var request = hpm_request_null()
        let status = callLock.withLock { _ in MPI_Ibarrier(hpm_comm_world(), &request) }
        guard status == MPI_SUCCESS else { throw _mpiError("MPI_Ibarrier", status) }
        complete(&request, what: "waiting at a barrier")
    }

    /// Waits for `request`. A request that fails may still write into the caller's buffer,
    /// which is about to be freed: the job ends instead.
    private func complete(_ request: inout MPI_Request?, what: String) {
        var idle = _Backoff(longest: 0)
        while true {
            var done: Int32 = 0
            var status = MPI_Status()
            let result = callLock.withLock { _ in MPI_Test(&request, &done, &status) }
            if result != MPI_SUCCESS { abort("heappack-cluster: rank \(rank): \(_mpiError("MPI_Test (\(what))", result).message)", status: 74) }
            if done != 0 { return }
            idle.pause()
        }
    }

    // MARK: Ending

    /// Ends the whole job at once, every rank: Open MPI 4.1 cannot go on without a rank.
    func abort(_ message: String, status: Int32) -> Never {
        _writeToStandardError(message.hasSuffix("\n") ? message : message + "\n")
        callLock.withLock { _ in
            // After MPI_Finalize only this process is left to end.
            var finalized: Int32 = 0
            MPI_Finalized(&finalized)
            if finalized == 0 { MPI_Abort(hpm_comm_world(), status) }
        }
        _exit(status)
    }

    /// MPI_Finalize: every rank must call it before it exits.
    func finalize() {
        callLock.withLock { _ in
            var finalized: Int32 = 0
            MPI_Finalized(&finalized)
            if finalized == 0 { MPI_Finalize() }
            finished.store(true, ordering: .releasing)
        }
    }
}

/// Waits between polls: yields the processor at first (a message under way arrives in
/// microseconds), then sleeps longer each time up to `longest`, so an idle rank costs almost
/// nothing and a busy one answers within a millisecond.
struct _Backoff {
    private var rounds = 0
    private let longest: Int

    /// `longest`: the longest sleep, in microseconds; 0 never sleeps. Waits on a transfer under
    /// way never sleep: Open MPI's TCP transport moves data only inside MPI calls, so each sleep
    /// stalls it (with 50 µs sleeps, 3 GiB took 36 s between two ranks of one host). Blocking MPI
    /// calls spin the same way.
    init(longest: Int = 1000) {
        self.longest = longest
    }

    mutating func pause() {
        rounds += 1
        if rounds < 64 || longest == 0 {
            sched_yield()
            return
        }
        let microseconds = min(longest, 10 << min(rounds - 64, 7))
        usleep(UInt32(microseconds))
    }

    mutating func reset() { rounds = 0 }
}

/// The standard library's buffer accessors rethrow untyped errors: these carry a typed one through.
func _catching(_ body: () throws(ClusterError) -> Void) -> Result<Void, ClusterError> {
    do { try body() } catch { return .failure(error) }
    return .success(())
}

func _typed(_ result: Result<Void, ClusterError>) throws(ClusterError) { try result.get() }

func _mpiError(_ call: String, _ code: Int32) -> ClusterError {
    var text = [CChar](repeating: 0, count: Int(MPI_MAX_ERROR_STRING) + 1)
    var length: Int32 = 0
    MPI_Error_string(code, &text, &length)
    let description = String(decoding: text.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    return ClusterError(code: .transport, message: "\(call) failed: \(description) (MPI error \(code))")
}
#endif
