import HeapPack

/// The single error type of HeapPackCluster.
///
/// Its ``code`` says what kind of failure it is; the other properties carry what the failure
/// has: the ``packError`` of a value that cannot travel, the ``worker`` and the input's index
/// (``task``), a remote error's type and message, a crashed worker's ``backtrace`` and last
/// ``workerOutput``.
public struct ClusterError: Error, CustomStringConvertible, Sendable {
    /// The kind of failure. New codes can be added without breaking clients.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        enum _Kind: Hashable, Sendable {
            case notTransferable, remoteError, workerCrashed, foreignBinary, badPacket, unauthenticated
            case timeout, shutDown, transport
        }
        let _kind: _Kind

        /// A closure, an input or a result cannot travel: ``ClusterError/packError`` says what
        /// and where. For a closure or an input, nothing was sent and the cluster is unaffected.
        public static let notTransferable = Code(_kind: .notTransferable)
        /// The task threw: ``ClusterError/remoteType`` and ``ClusterError/remoteMessage`` say
        /// what, and ``ClusterError/remoteError`` is the error itself when it could travel.
        public static let remoteError = Code(_kind: .remoteError)
        /// The worker died while running the task, on every attempt: see
        /// ``ClusterError/termination``, ``ClusterError/backtrace`` and
        /// ``ClusterError/workerOutput``.
        public static let workerCrashed = Code(_kind: .workerCrashed)
        /// A worker runs another binary (its images' build-ids differ): it was refused at the
        /// handshake, before any packet of it was read.
        public static let foreignBinary = Code(_kind: .foreignBinary)
        /// A packet between coordinator and worker could not be read (``ClusterError/packError``).
        public static let badPacket = Code(_kind: .badPacket)
        /// A frame's authentication tag did not match the cluster's key: it was changed on the
        /// way or not written by this cluster. Nothing in it was read.
        public static let unauthenticated = Code(_kind: .unauthenticated)
        /// A task ran longer than ``ClusterOptions/taskTimeout`` (its worker was killed), or a
        /// worker did not answer the handshake within ``ClusterOptions/startTimeout``.
        public static let timeout = Code(_kind: .timeout)
        /// The cluster was shut down before the work was submitted.
        public static let shutDown = Code(_kind: .shutDown)
        /// Workers could not be started or reached: the operating system refused (see
        /// ``ClusterError/message``), or a worker broke the protocol.
        public static let transport = Code(_kind: .transport)

        public var description: String {
            switch _kind {
            case .notTransferable: "notTransferable"
            case .remoteError: "remoteError"
            case .workerCrashed: "workerCrashed"
            case .foreignBinary: "foreignBinary"
            case .badPacket: "badPacket"
            case .unauthenticated: "unauthenticated"
            case .timeout: "timeout"
            case .shutDown: "shutDown"
            case .transport: "transport"
            }
        }
    }

    /// What kind of failure this is.
    public var code: Code
    /// A sentence saying what went wrong.
    public var message: String
    /// For ``Code-swift.struct/notTransferable`` and ``Code-swift.struct/badPacket``: HeapPack's
    /// error, whose path says where in the value the problem sits.
    public var packError: PackError?
    /// The worker the failure happened on (for a crash, the last one that tried).
    public var worker: WorkerInfo?
    /// The index of the input the failure belongs to, for `map` and `mapUnordered`.
    public var task: Int?
    /// How many times the task was started (1 + the retries it used).
    public var attempts: Int
    /// For ``Code-swift.struct/remoteError``: the thrown error's type, e.g. `MyModule.ParseError`.
    public var remoteType: String?
    /// For ``Code-swift.struct/remoteError``: the thrown error's description.
    public var remoteMessage: String?
    /// For ``Code-swift.struct/remoteError``: the thrown error itself, rebuilt in this process,
    /// or nil if it could not travel.
    public var remoteError: (any Error)?
    /// For ``Code-swift.struct/workerCrashed``: how the worker ended (the signal or exit status).
    public var termination: WorkerTermination?
    /// For ``Code-swift.struct/workerCrashed``: the crashed worker's stack, innermost frame first,
    /// with demangled function names, as its fatal-signal handler took it. Empty when the worker
    /// did not die of a signal it could catch (`exit`, `SIGKILL`).
    public var backtrace: [String]
    /// The last lines the worker wrote to standard error or standard output (a `fatalError`'s
    /// message is among them).
    public var workerOutput: [String]

    public init(code: Code, message: String, packError: PackError? = nil, worker: WorkerInfo? = nil,
                task: Int? = nil, attempts: Int = 0) {
        self.code = code
        self.message = message
        self.packError = packError
        self.worker = worker
        self.task = task
        self.attempts = attempts
        self.backtrace = []
        self.workerOutput = []
    }

    public var description: String {
        var text = "ClusterError.\(code)"
        if let task { text += " in task \(task)" }
        if let worker { text += " on \(worker)" }
        text += ": \(message)"
        if attempts > 1 { text += " (\(attempts) attempts)" }
        if let termination { text += "\n  worker ended: \(termination)" }
        if let remoteType { text += "\n  remote error \(remoteType): \(remoteMessage ?? "")" }
        if let packError { text += "\n  \(packError)" }
        if !backtrace.isEmpty { text += "\n  backtrace:" + backtrace.map { "\n    \($0)" }.joined() }
        if !workerOutput.isEmpty { text += "\n  worker output:" + workerOutput.map { "\n    \($0)" }.joined() }
        return text
    }
}
