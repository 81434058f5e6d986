/// Settings for ``Cluster/local(workers:options:)`` and ``Cluster/mpi(options:watchdog:)``.
public struct ClusterOptions: Sendable {
    /// When the one-line progress display is drawn on standard error.
    public enum ProgressLine: Sendable {
        /// When standard error is a terminal.
        case automatic
        /// Always, also into a file or a pipe (where each update is a carriage return, an
        /// erase-line escape and the line).
        case always
        /// Never.
        case never
    }

    /// How many times a task whose worker crashed is started again, each time on another
    /// worker, before the caller gets ``ClusterError/Code-swift.struct/workerCrashed``. Tasks run
    /// at least once and, after crashes, possibly more often: use 0 for tasks with side effects
    /// that must not happen twice.
    public var retries: Int
    /// The executable the workers run, nil for this process's own (the only binary whose
    /// closures a worker can run; another is refused at the handshake).
    public var workerExecutable: String?
    /// When to draw the progress line.
    public var progressLine: ProgressLine
    /// Print ``Cluster/summary`` to standard error at ``Cluster/shutdown()``.
    public var printsSummary: Bool
    /// Forward what workers write (standard error and standard output) to this process's
    /// standard error, each line prefixed with its worker's rank.
    public var forwardsWorkerOutput: Bool
    /// How many of a worker's last output lines a ``ClusterError`` keeps.
    public var outputLines: Int
    /// The longest a task may run; its worker is then killed and the caller gets
    /// ``ClusterError/Code-swift.struct/timeout``. Nil: no limit.
    public var taskTimeout: Duration?
    /// The longest a new worker may take to answer the handshake.
    public var startTimeout: Duration
    /// The largest frame a coordinator or worker accepts: a guard against a corrupt length.
    public var maxFrameBytes: Int
    /// The largest MPI message (``Cluster/mpi(options:watchdog:)``, ``SPMDCluster``): larger
    /// frames travel in pieces, since MPI 3.1 counts bytes in an `int`. At most `Int32.max`.
    public var mpiPieceBytes: Int

    /// Test hook: changes frames on their way (`outgoing` from the coordinator, or arriving at
    /// it), to check that authentication refuses them.
    @_spi(Testing) public var _tamper: (@Sendable (_ outgoing: Bool, _ frame: inout [UInt8]) -> Void)?

    public init(retries: Int = 2, workerExecutable: String? = nil, progressLine: ProgressLine = .automatic,
                printsSummary: Bool = false, forwardsWorkerOutput: Bool = true, outputLines: Int = 20,
                taskTimeout: Duration? = nil, startTimeout: Duration = .seconds(60), maxFrameBytes: Int = 1 << 40,
                mpiPieceBytes: Int = 1 << 30) {
        self.retries = retries
        self.workerExecutable = workerExecutable
        self.progressLine = progressLine
        self.printsSummary = printsSummary
        self.forwardsWorkerOutput = forwardsWorkerOutput
        self.outputLines = outputLines
        self.taskTimeout = taskTimeout
        self.startTimeout = startTimeout
        self.maxFrameBytes = maxFrameBytes
        self.mpiPieceBytes = mpiPieceBytes
    }
}
