/// One row of WORKLOADS.md: how to build its data and which phases measure it.
struct Workload: Sendable {
    let id: String
    let title: String
    let objects: Int
    /// What "objects" counts for objects/second, per WORKLOADS.md.
    let objectNoun: String
    /// Builds the data only when the workload is selected, so each workload's memory is
    /// released before the next one starts.
    let prepare: @Sendable () throws -> Prepared
}

/// A workload's data, ready to measure.
struct Prepared {
    let checkText: String
    let heapPack: Phase
    let native: Phase
    let packedSize: PackedSize
    let baselines: [Phase]
    let notes: [String]

    /// Builds the original closure, the one HeapPack packs in every round, and checks it first,
    /// so that a wrong data definition is told apart from a wrong round trip. `build` is also
    /// the native-construction phase, so the baseline builds exactly what is packed.
    init<R: Equatable>(build: @escaping () -> () -> R, check: R,
                       baselines: [Phase] = [], notes: [String] = []) throws {
        let closure = build()
        let original = closure()
        guard original == check else {
            throw CheckFailure("the original closure returned \(original), expected \(check): the data definition is wrong")
        }
        let size = PackedSize()
        self.checkText = "\(check)"
        self.heapPack = heapPackPhase(closure: closure, check: check, size: size)
        self.native = nativePhase(build: build, check: check)
        self.packedSize = size
        self.baselines = baselines
        self.notes = notes
    }
}

/// The packet size, known only after HeapPack's first successful pack; the memcpy floor
/// copies that many bytes.
final class PackedSize {
    var bytes: Int?
}

let allWorkloads: [Workload] = [w1Flat, w2List, w3Tree, w4Graph, w5Closures, w6Strings, w7Map]
