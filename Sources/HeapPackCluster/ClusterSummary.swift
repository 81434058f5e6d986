/// Where a cluster's time and bytes went, per worker: ``Cluster/summary``.
public struct ClusterSummary: Sendable, CustomStringConvertible {
    /// One worker rank's totals, over every process that held the rank (replacements included).
    public struct Worker: Sendable, Hashable {
        /// The worker's rank (see ``WorkerInfo/rank``).
        public var rank: Int
        /// Tasks that came back from it (results or thrown errors).
        public var tasks: Int
        /// From sending a task to receiving its outcome, summed.
        public var busy: Duration
        /// Frame bytes sent to it.
        public var bytesSent: Int
        /// Frame bytes received from it.
        public var bytesReceived: Int
        /// What the worker spent unpacking its tasks (the order, the closure, the inputs).
        public var unpack: Duration
        /// What the worker spent running the closures.
        public var run: Duration
        /// What the worker spent packing the results.
        public var pack: Duration
        /// Processes of this rank that crashed or were killed.
        public var crashes: Int
    }

    /// One entry per worker rank, by rank.
    public var workers: [Worker]
    /// What callers spent packing closures and inputs in this process.
    public var coordinatorPack: Duration
    /// What callers spent unpacking results in this process.
    public var coordinatorUnpack: Duration
    /// Since the cluster started.
    public var elapsed: Duration

    public var description: String {
        func seconds(_ duration: Duration) -> String {
            let milliseconds = duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
            let whole = milliseconds / 1000, fraction = milliseconds % 1000
            return "\(whole).\(fraction < 10 ? "00" : fraction < 100 ? "0" : "")\(fraction)s"
        }
        func bytes(_ count: Int) -> String {
            count >= 10 << 20 ? "\(count >> 20) MiB" : count >= 10 << 10 ? "\(count >> 10) KiB" : "\(count) B"
        }
        let header = ["worker", "tasks", "busy", "run", "unpack", "pack", "sent", "received", "crashes"]
        var rows = [header]
        for worker in workers {
            rows.append(["\(worker.rank)", "\(worker.tasks)", seconds(worker.busy), seconds(worker.run), seconds(worker.unpack),
                         seconds(worker.pack), bytes(worker.bytesSent), bytes(worker.bytesReceived), "\(worker.crashes)"])
        }
        let widths = header.indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        var text = "cluster summary: \(seconds(elapsed)) elapsed; coordinator packed for \(seconds(coordinatorPack)),"
            + " unpacked for \(seconds(coordinatorUnpack))\n"
        for row in rows {
            text += row.indices.map { column in
                let cell = row[column]
                let padding = String(repeating: " ", count: widths[column] - cell.count)
                return column == 0 ? cell + padding : padding + cell
            }.joined(separator: "  ") + "\n"
        }
        return text
    }
}
