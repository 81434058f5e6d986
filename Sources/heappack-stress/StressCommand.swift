// heappack-stress: random value graphs packed and unpacked on many threads sharing one Packer,
// and sent to a second process of this executable, with every class instance's life counted.
// Meant to run under AddressSanitizer and ThreadSanitizer (scripts/stress.sh): the checks here
// catch wrong values and miscounted lives, the sanitizers catch what does not show in a value.
import ArgumentParser
import Foundation
import HeapPack
import HeapPackTestSupport

@main
struct StressCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "heappack-stress",
        abstract: "Packs and unpacks random value graphs on many threads and across processes.",
        discussion: """
            Without --graphs or --seconds it runs for 10 seconds. It exits with status 1 if any \
            graph failed: a pack or unpack error, a copy that renders differently from its \
            original, a node freed early, never or twice, or a child that failed.
            """)

    @Option(help: "Stop after this many graphs.")
    var graphs: Int?

    @Option(help: "Stop after this many seconds.")
    var seconds: Double?

    @Option(help: "Threads packing and unpacking in this process, all with one Packer.")
    var threads = 8

    @Flag(inversion: .prefixedNo, help: "Also send graphs to a child process of this executable.")
    var crossProcess = true

    @Option(help: "Replace the shared Packer by a fresh one every this many graphs (0: never).")
    var graphsPerPacker = 250

    @Option(help: "The first graph's seed (graph n uses seed + n); random by default.")
    var seed: UInt64?

    /// Set in the child the cross-process side starts: it reads packets from standard input.
    @Flag(help: .hidden)
    var child = false

    func validate() throws {
        if let graphs, graphs < 1 { throw ValidationError("--graphs must be at least 1") }
        if let seconds, !(seconds > 0) { throw ValidationError("--seconds must be positive") }
        if threads < 0 { throw ValidationError("--threads cannot be negative") }
        if graphsPerPacker < 0 { throw ValidationError("--graphs-per-packer cannot be negative") }
        if threads == 0 && !crossProcess { throw ValidationError("nothing to run: no threads and no child process") }
    }

    func run() throws {
        if child { throw ExitCode(ChildSide.run()) }
        let budget = Budget(graphs: graphs, seconds: graphs == nil && seconds == nil ? 10 : seconds)
        let firstSeed = seed ?? UInt64.random(in: 0...UInt64.max)
        let packer = SharedPacker(graphsPerPacker: graphsPerPacker == 0 ? nil : graphsPerPacker)
        print("heappack-stress: first seed \(firstSeed), \(threads) threads sharing one Packer"
              + (graphsPerPacker == 0 ? "" : " (a fresh one every \(graphsPerPacker) graphs)")
              + (crossProcess ? " + 1 child process" : "") + ", " + budget.description)

        let inProcess = Tally(), crossProcessTally = Tally()
        let sides = DispatchGroup()
        if crossProcess {
            // Started first, so that it draws graph 0 even when the budget is a single graph.
            let driver = ParentSide(packer: packer, budget: budget, firstSeed: firstSeed, tally: crossProcessTally)
            let firstGraph = budget.next()
            spawn(in: sides) { driver.run(startingWith: firstGraph) }
        }
        for _ in 0..<threads {
            spawn(in: sides) {
                while let graph = budget.next() {
                    GraphRoundTrip(recipe: GraphRecipe(graph: graph, firstSeed: firstSeed), packer: packer.packer(for: graph))
                        .run(into: inProcess)
                }
            }
        }
        sides.wait()

        let summary = Summary(inProcess: inProcess, crossProcess: crossProcess ? crossProcessTally : nil,
                              nodes: NodeLedger.total, packers: packer.count, elapsed: budget.elapsed)
        summary.print()
        if !summary.passed { throw ExitCode.failure }
    }

    /// A thread of its own rather than a Dispatch worker: Dispatch caps its pool at the number
    /// of cores, and the point is more threads than cores.
    private func spawn(in group: DispatchGroup, _ body: @escaping @Sendable () -> Void) {
        group.enter()
        Thread {
            body()
            group.leave()
        }.start()
    }
}
