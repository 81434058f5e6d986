import HeapPack
import Synchronization

/// The one `Packer` every thread uses for the graph it is on. Every `graphsPerPacker` graphs
/// it is replaced by a fresh one with cold caches: a warm Packer only reads its plans, and
/// plan building (under its lock, while other threads walk) is what sharing a Packer risks.
/// The replaced Packer is freed once the last thread finishes with it, so its teardown runs
/// under the sanitizers too. With no `graphsPerPacker` one Packer serves the whole run.
final class SharedPacker: Sendable {
    private let graphsPerPacker: Int?
    private let current: Locked<(generation: Int, packer: Packer)>
    private let replacements = Atomic<Int>(0)

    init(graphsPerPacker: Int?) {
        self.graphsPerPacker = graphsPerPacker
        current = Locked((generation: 0, packer: Packer()))
    }

    /// The Packer for graph number `graph`.
    func packer(for graph: Int) -> Packer {
        let generation = graphsPerPacker.map { graph / $0 } ?? 0
        return current.withLock { current in
            if generation > current.generation {
                current = (generation, Packer())
                replacements.wrappingAdd(1, ordering: .relaxed)
            }
            return current.packer
        }
    }

    /// How many Packers the run used.
    var count: Int { 1 + replacements.load(ordering: .relaxed) }
}
