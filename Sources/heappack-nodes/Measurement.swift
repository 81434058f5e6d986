import HeapPackCluster

/// One run of a variant on a cluster: its wall time and where the cluster's time went meanwhile.
struct Measurement {
    var wall: Duration
    /// Packing summed over the coordinator and every worker.
    var pack: Duration
    /// Unpacking summed over the coordinator and every worker.
    var unpack: Duration
    /// Time tasks were out (sent until their outcome arrived) beyond their workers' unpack, run
    /// and pack: frames on sockets and waiting for the coordinator.
    var transport: Duration
    var tasks: Int
    var bytesSent: Int

    /// The difference between two summaries of one cluster, taken around a run of `wall`.
    init(wall: Duration, before: ClusterSummary, after: ClusterSummary) {
        self.wall = wall
        pack = after.coordinatorPack - before.coordinatorPack
        unpack = after.coordinatorUnpack - before.coordinatorUnpack
        transport = .zero
        tasks = 0
        bytesSent = 0
        let earlier = Dictionary(before.workers.map { ($0.rank, $0) }, uniquingKeysWith: { first, _ in first })
        for worker in after.workers {
            let start = earlier[worker.rank]
            let workerPack = worker.pack - (start?.pack ?? .zero)
            let workerUnpack = worker.unpack - (start?.unpack ?? .zero)
            let run = worker.run - (start?.run ?? .zero)
            let busy = worker.busy - (start?.busy ?? .zero)
            pack += workerPack
            unpack += workerUnpack
            transport += max(.zero, busy - run - workerPack - workerUnpack)
            tasks += worker.tasks - (start?.tasks ?? 0)
            bytesSent += worker.bytesSent - (start?.bytesSent ?? 0)
        }
    }

    /// `part` as a percentage of the workers' time, wall time × `workers`.
    func share(_ part: Duration, workers: Int) -> Double {
        let whole = wall * workers
        return whole > .zero ? 100 * (part / whole) : 0
    }
}

extension Array where Element == Measurement {
    /// The run of median wall time (the upper one of an even count).
    var median: Measurement? {
        isEmpty ? nil : sorted { $0.wall < $1.wall }[count / 2]
    }
}
