/// What happens in a cluster, as ``Cluster/progress`` reports it.
public enum ClusterEvent: Sendable {
    /// A worker answered the handshake and takes tasks.
    case workerStarted(WorkerInfo)
    /// A worker ended: stopped by ``Cluster/shutdown()``, crashed, or killed after a timeout.
    case workerEnded(WorkerInfo, WorkerTermination?)
    /// A task went to a worker. `task` is the index of its first input (nil for `run`),
    /// `attempt` counts from 1.
    case taskStarted(task: Int?, worker: WorkerInfo, attempt: Int)
    /// A task came back (with a result or a thrown error).
    case taskFinished(task: Int?, worker: WorkerInfo)
    /// A task's worker crashed and the task was queued again.
    case taskRetried(task: Int?, attempt: Int, error: ClusterError)
    /// The counts the progress line shows, after every change.
    case progress(ClusterProgress)
}

/// Where the cluster's current work stands: what the progress line shows.
///
/// The counts run from the moment the cluster got work while idle until all of it is done.
/// A task is one chunk of a `map` or one `run`.
public struct ClusterProgress: Sendable, Hashable, CustomStringConvertible {
    /// Tasks that ended, with a result or a failure.
    public var done: Int
    /// Tasks submitted since the cluster was last idle.
    public var total: Int
    /// Workers running a task now.
    public var busyWorkers: Int
    /// Workers running (a crashed one's replacement counts once it answered its handshake).
    public var workers: Int
    /// Since the cluster got this work while idle.
    public var elapsed: Duration
    /// The time left at the rate so far, nil before the first task is done.
    public var estimatedRemaining: Duration?
    /// Tasks started again after their worker crashed.
    public var retries: Int
    /// Tasks that ended with a failure (included in ``done``).
    public var failed: Int

    public var description: String {
        var text = "\(done)/\(total) tasks · \(busyWorkers)/\(workers) workers busy · \(_clock(elapsed)) elapsed"
        if done < total { text += " · ETA " + (estimatedRemaining.map(_clock) ?? "--:--") }
        if retries > 0 { text += " · \(retries) \(retries == 1 ? "retry" : "retries")" }
        if failed > 0 { text += " · \(failed) failed" }
        return text
    }
}

func _clock(_ duration: Duration) -> String {
    let seconds = max(0, duration.components.seconds)
    let two: (Int64) -> String = { $0 < 10 ? "0\($0)" : "\($0)" }
    return seconds >= 3600 ? "\(seconds / 3600):\(two(seconds / 60 % 60)):\(two(seconds % 60))"
        : "\(two(seconds / 60)):\(two(seconds % 60))"
}
