#if MPI
import CHeapPackCluster
import Glibc
import HeapPack

/// What a coordinator asks of a rank's relay.
enum _RelayOrder {
    /// End the local worker gracefully, report its fate, finalize MPI and exit.
    case stop
    /// Kill the local worker and report its fate; a `restart` may follow.
    case kill
    /// Start a new local worker, whose handshake is the next frame.
    case restart
}

/// What a relay reports when its local worker ended.
struct _RelayReport {
    var fate: _WorkerFate
    /// The answer to a stop or kill order; otherwise the worker ended on its own (it is lost).
    var ordered: Bool
}

/// A worker rank (MPI rank 1 and up) of ``Cluster/mpi(options:watchdog:)``: it starts a local
/// worker process of this binary, as ``Cluster/local(workers:options:)`` does, and relays frames
/// between it and rank 0.
///
/// The local worker runs the tasks, so a task that crashes kills that process, not the rank:
/// the relay, still in MPI, sends rank 0 the worker's fate (signal, backtrace, last output),
/// and rank 0 can say which rank, which task and why before it aborts the job. An MPI rank
/// that crashed would only take the job down with it (Open MPI 4.1 cannot lose a rank).
enum _MPIRelay {
    static func serve(rank: Int) -> Never {
        let world: _MPIWorld
        do {
            world = try _MPIWorld.joined()
        } catch {
            _workerExit("rank \(rank) could not join the MPI job: \(error.message)", status: 69)
        }
        do {
            let begun = try _MPIStart.begin(world, options: ClusterOptions())
            try relay(world: world, key: begun.key, options: begun.options)
        } catch {
            // Rank 0 would wait for this rank until mpiexec's timeout: the job ends now instead.
            world.abort("heappack-cluster: rank \(world.rank) on host \(world.host) lost MPI: \(error.message)", status: 74)
        }
    }

    private static func relay(world: _MPIWorld, key: [UInt8], options clusterOptions: ClusterOptions) throws(ClusterError) -> Never {
        let transport = try _LocalProcessTransport(options: clusterOptions)
        let options = UnpackOptions(authenticationKey: key)
        func report(_ fate: _WorkerFate, ordered: Bool) throws(ClusterError) {
            let bytes: [UInt8]
            do {
                bytes = try pack(_RelayReport(fate: fate, ordered: ordered), options: PackOptions(authenticationKey: key))
            } catch {
                throw ClusterError(code: .transport, message: "could not pack a worker's fate: \(error)")
            }
            try world.send(bytes, to: 0, tag: _MPIWorld.Tag.control.rawValue)
        }
        func start() throws(ClusterError) -> (any _WorkerLink)? {
            do {
                return try transport.startWorker(rank: world.rank, key: key)
            } catch {
                try report(_WorkerFate(termination: nil, backtrace: [], output: [error.message]), ordered: false)
                return nil
            }
        }

        var link = try start()
        var idle = _Backoff()
        while true {
            var active = false
            if let (frame, _) = try world.receive(from: 0, tag: _MPIWorld.Tag.frame.rawValue) {
                active = true
                // A worker that is gone shows up as .lost below.
                if let link { try? link.send(frame) }
            }
            if let (bytes, _) = try world.receive(from: 0, tag: _MPIWorld.Tag.control.rawValue) {
                active = true
                let order: _RelayOrder
                do {
                    order = try unpack(bytes, as: _RelayOrder.self, options: options)
                } catch {
                    throw ClusterError(code: error.code == .unauthenticated ? .unauthenticated : .badPacket,
                                       message: "rank 0 sent a control frame that was refused: \(error.message)", packError: error)
                }
                switch order {
                case .stop, .kill:
                    // Every order gets its own answer, even when the worker had already ended
                    // (its unordered report went first): rank 0 waits for the ordered one.
                    let fate = link?.finish(stopping: order == .stop) ?? _WorkerFate(termination: nil, backtrace: [], output: [])
                    link = nil
                    try report(fate, ordered: true)
                    if order == .stop {
                        world.finalize()
                        exit(0)
                    }
                case .restart:
                    if link == nil { link = try start() }
                }
            }
            guard let current = link else {
                if !active { idle.pause() }
                continue
            }
            idle.reset()
            // Waits for the worker a millisecond at most: rank 0's frames are polled, not signalled.
            switch current.next(deadline: ContinuousClock().now + .milliseconds(1)) {
            case .frame(let frame):
                try world.send(frame, to: 0, tag: _MPIWorld.Tag.frame.rawValue)
            case .lost:
                let fate = current.finish(stopping: false)
                link = nil
                try report(fate, ordered: false)
            case .woken, .timedOut:
                break
            }
        }
    }
}
#endif
