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
/// between two ranks on one tag.
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
    let pieceBytes: Int
    let maxFrameBytes: Int
    private let callLock = Mutex(())
    private let receiveLock = Mutex(())
    private let sendLocks: [_SendLock]

    private final class _SendLock: Sendable {
        let mutex = Mutex(())
    }

    private static let shared = Mutex<_MPIWorld?>(nil)

    /// The world, initialized on first use. MPI may be initialized only once per process, and
    /// finalized once: ``finalize()`` ends it for good.
    static func joined(pieceBytes: Int = 1 << 30, maxFrameBytes: Int = 1 << 40) throws(ClusterError) -> _MPIWorld {
        let result: Result<_MPIWorld, ClusterError> = shared.withLock { world in
            if let world { return .success(world) }
            var finalized: Int32 = 0
            MPI_Finalized(&finalized)
            if finalized != 0 { return .failure(ClusterError(code: .shutDown, message: "MPI was finalized in this process")) }
            var initialized: Int32 = 0
            MPI_Initialized(&initialized)
            if initialized == 0 {
                var provided: Int32 = 0
                let status = MPI_Init_thread(nil, nil, Int32(MPI_THREAD_SERIALIZED), &provided)
                guard status == MPI_SUCCESS else { return .failure(_mpiError("MPI_Init_thread", status)) }
                guard provided >= Int32(MPI_THREAD_SERIALIZED) else {
                    return .failure(ClusterError(code: .transport, message: "this MPI library does not allow calls from more than one thread"))
                }
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
            let made = _MPIWorld(rank: Int(rank), size: Int(size), host: host,
                                 pieceBytes: max(64, min(pieceBytes, Int(Int32.max))), maxFrameBytes: maxFrameBytes)
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

    private init(rank: Int, size: Int, host: String, pieceBytes: Int, maxFrameBytes: Int) {
        self.rank = rank
        self.size = size
        self.host = host
        self.pieceBytes = pieceBytes
        self.maxFrameBytes = maxFrameBytes
        sendLocks = (0..<size).map { _ in _SendLock() }
    }

    // MARK: Point to point

    /// Sends one frame to `destination`; returns when MPI no longer needs the bytes.
    func send(_ frame: [UInt8], to destination: Int, tag: Int32) throws(ClusterError) {
        guard destination >= 0 && destination < size && destination != rank else {
            throw ClusterError(code: .transport, message: "rank \(destination) is not another rank of this world of \(size)")
        }
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
                try complete(&request, what: "sending to rank \(destination)")
            }
        })
    }

    /// The next frame from `source` on `tag` if one has begun to arrive, else nil at once.
    /// Returns the frame and the rank it came from (`source` nil: any rank).
    func receive(from source: Int?, tag: Int32) throws(ClusterError) -> (frame: [UInt8], source: Int)? {
        try receiveLock.withLock { _ throws(ClusterError) -> (frame: [UInt8], source: Int)? in
            guard let (message, status) = try probe(source: source.map(Int32.init) ?? -1, tag: tag) else { return nil }
            let sender = Int(status.MPI_SOURCE)
            var count: Int32 = 0
            var probed = status
            MPI_Get_count(&probed, hpm_byte(), &count)
            var first = [UInt8](repeating: 0, count: Int(count))
            try receivePiece(message, into: &first, at: 0, count: Int(count), from: sender)
            guard first.count >= 8 else {
                throw ClusterError(code: .transport, message: "rank \(sender) sent a frame piece without its length")
            }
            let total = first.withUnsafeBytes { Int(truncatingIfNeeded: UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self))) }
            guard total >= first.count - 8 && total <= maxFrameBytes else {
                throw ClusterError(code: .transport, message: "rank \(sender) announced a frame of \(total) bytes"
                                   + " (the limit is \(maxFrameBytes))")
            }
            var frame = [UInt8](repeating: 0, count: total)
            frame.replaceSubrange(0..<(first.count - 8), with: first[8...])
            var offset = first.count - 8
            while offset < total {
                var next: (MPI_Message?, MPI_Status)?
                var idle = _Backoff(longest: 50)
                while next == nil {
                    next = try probe(source: Int32(sender), tag: tag)
                    if next == nil { idle.pause() }
                }
                let (message, pieceStatus) = next!
                var pieceProbed = pieceStatus
                MPI_Get_count(&pieceProbed, hpm_byte(), &count)
                guard Int(count) <= total - offset else {
                    throw ClusterError(code: .transport, message: "rank \(sender) sent more bytes than its frame's length")
                }
                try receivePiece(message, into: &frame, at: offset, count: Int(count), from: sender)
                offset += Int(count)
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

    private func probe(source: Int32, tag: Int32) throws(ClusterError) -> (MPI_Message?, MPI_Status)? {
        var found: Int32 = 0
        var message: MPI_Message?
        var status = MPI_Status()
        let result = callLock.withLock { _ in MPI_Improbe(source, tag, hpm_comm_world(), &found, &message, &status) }
        guard result == MPI_SUCCESS else { throw _mpiError("MPI_Improbe", result) }
        return found != 0 ? (message, status) : nil
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
                try complete(&request, what: "receiving from rank \(sender)")
            }
        })
    }

    // MARK: Collectives

    /// Rank `root`'s bytes on every rank. Every rank must call it, in the same order.
    func broadcast(_ bytes: [UInt8], from root: Int) throws(ClusterError) -> [UInt8] {
        var length = UInt64(rank == root ? bytes.count : 0)
        try _typed(withUnsafeMutableBytes(of: &length) { raw in
            _catching { () throws(ClusterError) in try broadcastPiece(raw.baseAddress!, count: 8, root: root) }
        })
        guard length <= UInt64(maxFrameBytes) else {
            throw ClusterError(code: .transport, message: "rank \(root) broadcast \(length) bytes (the limit is \(maxFrameBytes))")
        }
        var result = rank == root ? bytes : [UInt8](repeating: 0, count: Int(length))
        try _typed(result.withUnsafeMutableBytes { raw in
            _catching { () throws(ClusterError) in
                var offset = 0
                while offset < raw.count {
                    let count = min(raw.count - offset, pieceBytes)
                    try broadcastPiece(raw.baseAddress! + offset, count: count, root: root)
                    offset += count
                }
            }
        })
        return result
    }

    private func broadcastPiece(_ pointer: UnsafeMutableRawPointer, count: Int, root: Int) throws(ClusterError) {
        var request = hpm_request_null()
        let status = callLock.withLock { _ in
            MPI_Ibcast(pointer, Int32(count), hpm_byte(), Int32(root), hpm_comm_world(), &request)
        }
        guard status == MPI_SUCCESS else { throw _mpiError("MPI_Ibcast", status) }
        try complete(&request, what: "broadcasting from rank \(root)")
    }

    /// Returns when every rank has called it.
    func barrier() throws(ClusterError) {
        var request = hpm_request_null()
        let status = callLock.withLock { _ in MPI_Ibarrier(hpm_comm_world(), &request) }
        guard status == MPI_SUCCESS else { throw _mpiError("MPI_Ibarrier", status) }
        try complete(&request, what: "waiting at a barrier")
    }

    private func complete(_ request: inout MPI_Request?, what: String) throws(ClusterError) {
        var idle = _Backoff(longest: 50)
        while true {
            var done: Int32 = 0
            var status = MPI_Status()
            let result = callLock.withLock { _ in MPI_Test(&request, &done, &status) }
            guard result == MPI_SUCCESS else { throw _mpiError("MPI_Test (\(what))", result) }
            if done != 0 { return }
            idle.pause()
        }
    }

    // MARK: Ending

    /// Ends the whole job at once, every rank: Open MPI 4.1 cannot go on without a rank.
    func abort(_ message: String, status: Int32) -> Never {
        _writeToStandardError(message.hasSuffix("\n") ? message : message + "\n")
        _ = callLock.withLock { _ in MPI_Abort(hpm_comm_world(), status) }
        _exit(status)
    }

    /// MPI_Finalize: every rank must call it before it exits.
    func finalize() {
        callLock.withLock { _ in
            var finalized: Int32 = 0
            MPI_Finalized(&finalized)
            if finalized == 0 { MPI_Finalize() }
        }
    }
}

/// Waits between polls: yields the processor at first (a message under way arrives in
/// microseconds), then sleeps longer each time up to a millisecond, so an idle rank costs
/// almost nothing and a busy one answers within a millisecond.
struct _Backoff {
    private var rounds = 0
    private let longest: Int

    /// `longest`: the longest sleep, in microseconds. Waits on a transfer under way use a short
    /// one: Open MPI's TCP transport moves data only inside MPI calls, so each sleep stalls it.
    init(longest: Int = 1000) {
        self.longest = longest
    }

    mutating func pause() {
        rounds += 1
        if rounds < 64 {
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
