#if MPI
import CHeapPackCluster
import Glibc
import HeapPack
import Synchronization

/// Worker ranks of an MPI job (``Cluster/mpi(options:watchdog:)``), each a relay to a local
/// worker process on its host (``_MPIRelay``).
///
/// Fail-stop: Open MPI 4.1 cannot go on without a rank, and a rank whose worker crashed or
/// timed out is as good as lost, so ``workerLost(_:)`` reports and aborts the job.
final class _MPITransport: _Transport {
    let world: _MPIWorld
    let key: [UInt8]
    let peers: [Int: WorkerInfo]
    let options: ClusterOptions
    private let started = Mutex<Set<Int>>([])
    /// Ranks whose relay answered a stop order: they finalized MPI and exited.
    let stopped = _RankSet()

    init(world: _MPIWorld, key: [UInt8], peers: [WorkerInfo], options: ClusterOptions) {
        self.world = world
        self.key = key
        self.peers = Dictionary(uniqueKeysWithValues: peers.map { ($0.rank, $0) })
        self.options = options
    }

    func startWorker(rank: Int, key: [UInt8]) throws(ClusterError) -> any _WorkerLink {
        let info = peers[rank] ?? WorkerInfo(rank: rank, pid: 0, host: "?")
        let link = try _MPIWorkerLink(info: info, world: world, key: key, options: options, stopped: stopped)
        // A rank's relay starts its first worker by itself; later ones on request.
        let restart = started.withLock { !$0.insert(rank).inserted }
        if restart { try link.order(.restart) }
        return link
    }

    var failsStop: Bool { true }

    func workerLost(_ error: ClusterError) -> Never {
        var place = "rank \(error.worker?.rank ?? 0)"
        if let host = error.worker?.host { place += " on host \(host)" }
        let task = error.task.map { "task \($0)" } ?? (error.attempts > 0 ? "a task" : "no task")
        world.abort("heappack-cluster: aborting the MPI job: \(place) failed while running \(task):\n\(error)", status: 70)
    }

    /// Stops every relay that has not stopped yet (a slot that gave up, or one whose worker was
    /// killed during shutdown, never sent it the order), then finalizes. MPI_Finalize waits for
    /// every rank, so a relay that does not answer would hang this process: the job is aborted.
    func closeTransport() {
        guard !world.isFinalized else { return }
        var waiting = Set((1..<world.size).filter { !stopped.contains($0) })
        let stop: [UInt8]
        do {
            stop = try pack(_RelayOrder.stop, options: PackOptions(authenticationKey: key))
            for rank in waiting { try world.send(stop, to: rank, tag: _MPIWorld.Tag.control.rawValue) }
            let deadline = ContinuousClock().now + .seconds(30)
            var idle = _Backoff()
            while !waiting.isEmpty && ContinuousClock().now < deadline {
                for rank in waiting {
                    _ = try world.receive(from: rank, tag: _MPIWorld.Tag.frame.rawValue)
                    guard let (bytes, _) = try world.receive(from: rank, tag: _MPIWorld.Tag.control.rawValue) else { continue }
                    if let report = try? unpack(bytes, as: _RelayReport.self, options: UnpackOptions(authenticationKey: key)),
                       report.ordered {
                        waiting.remove(rank)
                    }
                }
                idle.pause()
            }
        } catch {
            world.abort("heappack-cluster: aborting the MPI job at shutdown: \(error)", status: 74)
        }
        if !waiting.isEmpty {
            world.abort("heappack-cluster: aborting the MPI job at shutdown: rank(s) \(waiting.sorted()) did not stop within 30 s", status: 74)
        }
        world.finalize()
    }
}

/// A set of ranks any thread may update.
final class _RankSet: Sendable {
    private let ranks = Mutex<Set<Int>>([])
    func insert(_ rank: Int) { _ = ranks.withLock { $0.insert(rank) } }
    func contains(_ rank: Int) -> Bool { ranks.withLock { $0.contains(rank) } }
}

/// Rank 0's end of one worker rank.
final class _MPIWorkerLink: _WorkerLink {
    let info: WorkerInfo
    private let world: _MPIWorld
    private let key: [UInt8]
    private let stopped: _RankSet
    private let tamper: (@Sendable (_ outgoing: Bool, _ frame: inout [UInt8]) -> Void)?
    private let wakeup: Int32
    private let fate = Mutex<_WorkerFate?>(nil)
    private let finished = Atomic<Bool>(false)

    init(info: WorkerInfo, world: _MPIWorld, key: [UInt8], options: ClusterOptions, stopped: _RankSet) throws(ClusterError) {
        self.info = info
        self.world = world
        self.key = key
        self.stopped = stopped
        tamper = options._tamper
        wakeup = hpc_wakeup_create()
        guard wakeup >= 0 else { throw _transportError("eventfd failed", errno: errno) }
    }

    deinit {
        Glibc.close(wakeup)
    }

    func send(_ frame: [UInt8]) throws(ClusterError) {
        var copy = frame
        tamper?(true, &copy)
        try world.send(copy, to: info.rank, tag: _MPIWorld.Tag.frame.rawValue)
    }

    func order(_ order: _RelayOrder) throws(ClusterError) {
        let bytes: [UInt8]
        do {
            bytes = try pack(order, options: PackOptions(authenticationKey: key))
        } catch {
            throw ClusterError(code: .transport, message: "could not pack a control frame: \(error)")
        }
        try world.send(bytes, to: info.rank, tag: _MPIWorld.Tag.control.rawValue)
    }

    func wake() {
        var one: UInt64 = 1
        _ = Glibc.write(wakeup, &one, 8)
    }

    func next(deadline: ContinuousClock.Instant?) -> _LinkEvent {
        let clock = ContinuousClock()
        var rounds = 0
        while true {
            if fate.withLock({ $0 != nil }) { return .lost }
            do {
                if var (frame, _) = try world.receive(from: info.rank, tag: _MPIWorld.Tag.frame.rawValue) {
                    tamper?(false, &frame)
                    return .frame(frame)
                }
                // An ordered report here answers an order given to an earlier worker of this rank.
                if let report = try receiveReport(), !report.ordered {
                    fate.withLock { $0 = report.fate }
                    return .lost
                }
            } catch {
                fate.withLock { $0 = _WorkerFate(termination: nil, backtrace: [], output: ["MPI: \(error.message)"]) }
                return .lost
            }
            // Frames are polled (MPI has no descriptor to wait on); wake() is an eventfd, so the
            // wait between polls ends at once for it.
            var timeout: Int32 = rounds < 64 ? 0 : 1
            rounds += 1
            if let deadline {
                let left = clock.now.duration(to: deadline)
                if left <= .zero { return .timedOut }
                timeout = min(timeout, Int32(clamping: left.components.seconds * 1000 + 1))
            }
            var watched = pollfd(fd: wakeup, events: Int16(POLLIN), revents: 0)
            if poll(&watched, 1, timeout) > 0 {
                var count: UInt64 = 0
                _ = Glibc.read(wakeup, &count, 8)
                return .woken
            }
            if timeout == 0 { sched_yield() }
        }
    }

    /// The relay's next report, if one arrived.
    private func receiveReport() throws(ClusterError) -> _RelayReport? {
        guard let (bytes, _) = try world.receive(from: info.rank, tag: _MPIWorld.Tag.control.rawValue) else { return nil }
        do {
            return try unpack(bytes, as: _RelayReport.self, options: UnpackOptions(authenticationKey: key))
        } catch {
            throw ClusterError(code: error.code == .unauthenticated ? .unauthenticated : .badPacket,
                               message: "rank \(info.rank) sent a report that was refused: \(error.message)", packError: error)
        }
    }

    func finish(stopping: Bool) -> _WorkerFate {
        if finished.exchange(true, ordering: .acquiringAndReleasing) {
            return fate.withLock { $0 } ?? _WorkerFate(termination: nil, backtrace: [], output: [])
        }
        do {
            try order(stopping ? .stop : .kill)
            // The relay answers once its worker is reaped (a stopping worker gets 10 s to finish).
            // A report of the worker's own end may come first: its fate is the one that counts.
            let deadline = ContinuousClock().now + .seconds(30)
            var idle = _Backoff()
            while ContinuousClock().now < deadline {
                if let report = try receiveReport() {
                    fate.withLock { known in if known == nil { known = report.fate } }
                    if report.ordered {
                        if stopping { stopped.insert(info.rank) }
                        break
                    }
                    continue
                }
                // A frame the worker sent before it ended is of no use now.
                _ = try world.receive(from: info.rank, tag: _MPIWorld.Tag.frame.rawValue)
                idle.pause()
            }
        } catch {
            fate.withLock { known in
                if known == nil { known = _WorkerFate(termination: nil, backtrace: [], output: ["MPI: \(error.message)"]) }
            }
        }
        return fate.withLock { known in
            if known == nil { known = _WorkerFate(termination: nil, backtrace: [], output: ["rank \(info.rank) did not report its worker's end"]) }
            return known!
        }
    }
}
#endif
