// heappack-nodes: the homogeneous-node experiments (sumEuler, nqueens, parallel map) run on
// HeapPackCluster workers, timed against the same computation run sequentially in this binary.
import ArgumentParser
import HeapPackCluster

// Workers are this executable started again: they must serve before any argument is parsed.
Cluster.serveIfWorker()
await NodesCommand.parseAndRun()

extension NodesCommand {
    /// What AsyncParsableCommand.main() does. In top-level code the calls resolve to the
    /// synchronous overloads, which print the subcommand's help instead of running it.
    static func parseAndRun() async {
        do {
            var command = try parseAsRoot()
            if var experiment = command as? AsyncParsableCommand {
                try await experiment.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}
