import HeapPackCluster

/// One way of cutting an experiment into tasks for the workers.
struct Variant {
    let name: String
    /// The whole computation on `cluster`; its result must equal the sequential program's.
    let parallel: (_ cluster: Cluster) async throws(ClusterError) -> Int
}
