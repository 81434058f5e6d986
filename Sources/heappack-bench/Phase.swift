/// One thing measured per round (HeapPack, a memcpy floor, an encoder).
///
/// Rounds run every phase of a workload in turn rather than all runs of one phase and then
/// the next, so that load spikes on the shared machine hit HeapPack and its baselines alike
/// and the ratios between them stay meaningful.
struct Phase {
    let name: String
    let body: (Recorder) throws -> Void
}

/// The workload's result did not match its check value.
struct CheckFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// HeapPack refused the value as `.unsupported`; the workload is reported, not failed.
struct PhaseUnsupported: Error, CustomStringConvertible {
    let description: String
}
