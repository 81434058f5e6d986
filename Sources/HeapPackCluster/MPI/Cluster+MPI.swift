#if MPI
import Glibc
import HeapPack

extension Cluster {
    /// Rank 0 of an MPI job (`mpiexec -n N ./program`) as the coordinator of ranks 1 to N-1.
    ///
    /// Every rank runs the program; ``serveIfWorker()``, first in `main`, keeps ranks 1 and up
    /// serving tasks until the coordinator shuts down, so only rank 0 gets here. At start rank 0
    /// makes the job's key and broadcasts it, and checks every rank's build-ids: a rank that runs
    /// another binary aborts the job with a message naming the rank and its host. Then `run`,
    /// `map`, `mapUnordered`, progress and the summary work as with ``local(workers:options:)``.
    ///
    /// Fail-stop, never hang: Open MPI 4.1 cannot go on without a rank, so when a task crashes
    /// its worker (or exceeds ``ClusterOptions/taskTimeout``), rank 0 writes which rank and
    /// host, which task and why (signal, backtrace, last output lines) to standard error and
    /// calls `MPI_Abort`: tasks are not retried. ``shutdown()`` finalizes MPI.
    ///
    /// - Parameter watchdog: If set, the job is aborted, with the running tasks named, when
    ///   tasks are waiting or running and none has ended for this long.
    /// - Throws: `.transport` if this is not rank 0 of a job of at least two ranks.
    public static func mpi(options: ClusterOptions = .init(), watchdog: Duration? = nil) async throws(ClusterError) -> Cluster {
        let world = try _MPIWorld.joined(pieceBytes: options.mpiPieceBytes, maxFrameBytes: options.maxFrameBytes)
        guard world.rank == 0 else {
            throw ClusterError(code: .transport, message: "rank \(world.rank) called Cluster.mpi(), which is for rank 0: main must"
                               + " call Cluster.serveIfWorker() first, which serves tasks on ranks 1 and up")
        }
        guard world.size >= 2 else {
            throw ClusterError(code: .transport, message: "an MPI cluster needs at least two ranks (rank 0 coordinates):"
                               + " run the program as mpiexec -n N with N ≥ 2")
        }
        // The start waits on every rank's hello: on a thread of its own, not the caller's pool.
        let begun = try await withCheckedContinuation { (continuation: CheckedContinuation<Result<_MPIStart.Outcome, ClusterError>, Never>) in
            let failure = _startThread {
                do throws(ClusterError) {
                    continuation.resume(returning: .success(try _MPIStart.begin(world, options: options)))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
            if let failure { continuation.resume(returning: .failure(_transportError("could not start a thread", errno: failure))) }
        }.get()
        let transport = _MPITransport(world: world, key: begun.key, peers: begun.peers, options: options)
        let dispatcher = _Dispatcher(workers: world.size - 1, options: options, key: begun.key, transport: transport)
        for rank in dispatcher.ranks { _WorkerSlot.start(rank: rank, dispatcher: dispatcher) }
        if let failure = await dispatcher.awaitStartup() {
            // MPI_Finalize would wait for ranks that wait for orders: the job cannot go on.
            world.abort("heappack-cluster: aborting the MPI job: a rank's worker did not start: \(failure)", status: 69)
        }
        let cluster = Cluster(dispatcher: dispatcher)
        if let watchdog { _MPIWatchdog.start(dispatcher: dispatcher, world: world, limit: watchdog) }
        return cluster
    }
}

/// Aborts a job that stopped making progress: a task stuck in a loop or a deadlock would
/// otherwise hold every rank until mpiexec's own timeout, with nothing said about why.
enum _MPIWatchdog {
    static func start(dispatcher: _Dispatcher, world: _MPIWorld, limit: Duration) {
        _ = _startThread { [weak dispatcher] in
            let clock = ContinuousClock()
            var lastEnded = -1
            var since = clock.now
            while let dispatcher, !world.isFinalized {
                let activity = dispatcher.activity
                if activity.ended != lastEnded || (activity.running.isEmpty && activity.queued == 0) {
                    lastEnded = activity.ended
                    since = clock.now
                } else if clock.now - since >= limit {
                    let running = activity.running.map { entry in
                        "\n  task \(entry.task.map(String.init) ?? "-") on "
                            + (entry.worker.map { "rank \($0.rank) (host \($0.host))" } ?? "a rank that is starting")
                    }.joined()
                    world.abort("heappack-cluster: aborting the MPI job: no task ended for \(limit) (the watchdog);"
                                + " \(activity.queued) waiting, \(activity.running.count) running:\(running)", status: 71)
                }
                // A watchdog checks on a timer by nature; a tenth of its limit is precise enough.
                let (seconds, attoseconds) = (limit / 10).components
                usleep(UInt32(clamping: max(10_000, seconds * 1_000_000 + attoseconds / 1_000_000_000_000)))
            }
        }
    }
}
#endif
