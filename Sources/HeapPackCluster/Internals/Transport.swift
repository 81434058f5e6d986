import Glibc

// A transport starts workers and carries frames between them and the coordinator. The runtime
// above it (handshake, dispatch, retries, the worker loop) sees only these protocols, so a
// second transport (MPI) is a second implementation of them, not a second runtime.

/// What a coordinator learned while it waited on a worker.
enum _LinkEvent {
    /// A whole frame from the worker.
    case frame([UInt8])
    /// ``_WorkerLink/wake()`` was called: there may be work to hand out.
    case woken
    /// The deadline passed.
    case timedOut
    /// The worker is gone (its stream ended or broke, or its process ended). Call
    /// ``_WorkerLink/finish(stopping:)`` for what it left behind.
    case lost
}

/// How a worker ended, with what it left behind.
struct _WorkerFate: Sendable {
    var termination: WorkerTermination?
    /// The stack its fatal-signal handler reported, demangled, innermost frame first.
    var backtrace: [String]
    /// Its last output lines.
    var output: [String]
}

/// The coordinator's end of one worker. One thread (the worker's slot) calls everything but
/// ``wake()``, which any thread may call.
protocol _WorkerLink: AnyObject, Sendable {
    var info: WorkerInfo { get }
    /// Sends one frame; throws if the worker cannot be reached.
    func send(_ frame: [UInt8]) throws(ClusterError)
    /// Blocks until a frame arrives, the link is woken, the deadline passes or the worker is lost.
    func next(deadline: ContinuousClock.Instant?) -> _LinkEvent
    /// Makes a blocked or the next ``next(deadline:)`` return ``_LinkEvent/woken``.
    func wake()
    /// Ends the worker and reaps it. `stopping`: ask it to stop (end its stream) and give it a
    /// grace period before killing it; otherwise kill it at once. Idempotent.
    func finish(stopping: Bool) -> _WorkerFate
}

/// Starts workers: local processes (``_LocalProcessTransport``), or MPI ranks.
protocol _Transport: Sendable {
    /// Starts a worker for `rank`, handing it the cluster's key through a channel only it can
    /// read. Returns before the worker's handshake, which the caller reads from the link.
    func startWorker(rank: Int, key: [UInt8]) throws(ClusterError) -> any _WorkerLink
    /// Whether the job cannot go on without a worker (MPI): then a crashed worker is not
    /// retried or replaced, and ``workerLost(_:)`` ends the job.
    var failsStop: Bool { get }
    /// For a fail-stop transport: reports `error` (which worker, which task, why) and ends the job.
    func workerLost(_ error: ClusterError) -> Never
    /// Called once every worker has ended.
    func closeTransport()
}

extension _Transport {
    var failsStop: Bool { false }
    func workerLost(_ error: ClusterError) -> Never {
        _writeToStandardError("\(error)\n")
        abort()
    }
    func closeTransport() {}
}

/// A worker's end of its link to the coordinator.
protocol _CoordinatorLink {
    /// The next frame, or nil once the coordinator closed the link (time to exit).
    func receive() throws(ClusterError) -> [UInt8]?
    func send(_ frame: [UInt8]) throws(ClusterError)
}
