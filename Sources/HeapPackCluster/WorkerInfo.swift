/// A worker process of a cluster.
public struct WorkerInfo: Sendable, Hashable, CustomStringConvertible {
    /// The worker's place in the cluster, from 1 (the coordinator is rank 0, as in MPI). A
    /// replacement for a crashed worker takes its rank.
    public var rank: Int
    /// The worker's process id on its host.
    public var pid: Int32
    /// The host the worker runs on.
    public var host: String

    public init(rank: Int, pid: Int32, host: String) {
        self.rank = rank
        self.pid = pid
        self.host = host
    }

    public var description: String { "worker \(rank) (pid \(pid) on \(host))" }
}

/// How a worker process ended.
public enum WorkerTermination: Sendable, Hashable, CustomStringConvertible {
    /// It called `exit` (or returned from `main`) with this status.
    case exited(Int32)
    /// A signal killed it: a trap (`fatalError`, a failed precondition: `SIGILL` or `SIGTRAP`),
    /// a bad access (`SIGSEGV`, `SIGBUS`), `abort` (`SIGABRT`), or a signal sent to it.
    case signaled(Int32)

    public var description: String {
        switch self {
        case .exited(let status): "exit status \(status)"
        case .signaled(let signal): "signal \(signal) (\(_signalName(signal)))"
        }
    }
}

func _signalName(_ signal: Int32) -> String {
    let names: [Int32: String] = [1: "SIGHUP", 2: "SIGINT", 3: "SIGQUIT", 4: "SIGILL", 5: "SIGTRAP", 6: "SIGABRT",
                                  7: "SIGBUS", 8: "SIGFPE", 9: "SIGKILL", 11: "SIGSEGV", 13: "SIGPIPE",
                                  14: "SIGALRM", 15: "SIGTERM"]
    return names[signal] ?? "SIG\(signal)"
}
