import HeapPackCluster
import ArgumentParser

struct NodesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "heappack-nodes",
        abstract: "Speedup of HeapPackCluster workers against the sequential program, per number of workers.",
        discussion: """
            Each experiment runs sequentially in this process, then on 1, 2, ... N local workers, \
            each the median of --runs runs, prints a table and writes an SVG chart of speedup \
            against workers. The pack, unpack and transport columns are shares of the workers' \
            time (wall time × workers): packing and unpacking summed over the coordinator and \
            every worker, and transport the time a task was out (sent until its result came \
            back) beyond its worker's unpack, run and pack.
            """,
        subcommands: [SumEulerCommand.self, NQueensCommand.self, ParMapCommand.self])
}

/// What every experiment takes: how many workers, how many runs, where the chart goes.
struct SweepOptions: ParsableArguments {
    @Option(help: "The most workers to try (from 1 up). Default: one per processor.")
    var workers: Int = 0

    @Option(help: "Runs per point; the table shows their median.")
    var runs = 5

    @Option(help: "Where to write the SVG chart. Default: heappack-nodes-<experiment>.svg.")
    var chart: String?

    @Flag(help: "Draw the cluster's progress line on standard error (when it is a terminal).")
    var progress = false

    @Flag(help: "Print each cluster's per-worker summary when it shuts down.")
    var summary = false

    @Flag(help: ArgumentHelp("Run as rank 0 of an MPI job, on ranks 1 to N-1 as workers (built with --traits MPI).",
                             discussion: "mpiexec -n N heappack-nodes EXPERIMENT --mpi: one point, N-1 workers, each named with its host."))
    var mpi = false

    var maxWorkers: Int { workers > 0 ? workers : Cluster.defaultWorkerCount }

    func validate() throws {
        if workers < 0 { throw ValidationError("--workers cannot be negative") }
        #if !MPI
        if mpi { throw ValidationError("--mpi needs a build with the MPI trait: swift build -c release --traits MPI") }
        #endif
        if mpi && workers != 0 { throw ValidationError("with --mpi, mpiexec -n sets the workers (ranks 1 to N-1), not --workers") }
        if runs < 1 { throw ValidationError("--runs must be at least 1") }
    }
}
