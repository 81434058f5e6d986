import CHeapPackCluster
import Glibc
import HeapPack

/// Worker processes of this executable that run closures — with everything they capture — and
/// send their results back.
///
/// ```swift
/// Cluster.serveIfWorker()      // first statement of main
/// let cluster = try await Cluster.local(workers: 4)
/// let r = try await cluster.run { expensive(seed) }
/// let xs = try await cluster.map(inputs, chunkSize: 16) { x in f(x) }
/// for try await (index, value) in cluster.mapUnordered(inputs) { x in f(x) } { ... }
/// await cluster.shutdown()
/// ```
///
/// Closures need not be `@Sendable` and may capture class graphs: they are packed (HeapPack)
/// in the caller before a call suspends, and each worker gets its own copy. A closure that
/// reads a global reads the worker's global, not the coordinator's: capture a local instead.
/// Results travel back the same way. A task whose worker crashes is retried on another worker
/// (``ClusterOptions/retries``), so a task runs at least once and may run more than once.
/// docs/CLUSTER.md describes frames, handshake, keys and failure semantics.
public final class Cluster: Sendable {
    let dispatcher: _Dispatcher

    init(dispatcher: _Dispatcher) {
        self.dispatcher = dispatcher
    }

    deinit {
        dispatcher.abandon()
    }

    /// Serves tasks and exits if this process was started as a worker; returns at once otherwise.
    ///
    /// Call it as the first statement of `main`, before anything that has effects (output,
    /// files, arguments): a worker is this same executable, started again, and must not run the
    /// program's own work.
    public static func serveIfWorker() {
        guard let setup = _LocalWorkerSetup.fromEnvironment() else {
            #if MPI
            if let rank = _MPIWorld.launchedRank, rank != 0 { _MPIRelay.serve(rank: rank) }
            #endif
            return
        }
        let status = hpc_install_crash_reporter(setup.crashReport)
        if status != 0 { _workerExit("could not install the crash reporter: \(String(cString: strerror(status)))", status: 71) }
        _WorkerLoop.serve(link: setup.link, key: setup.key)
    }

    /// The number of processors this process may run on: the default number of workers.
    public static var defaultWorkerCount: Int { Int(hpc_processor_count()) }

    /// Starts `workers` processes of this executable on this host and waits for each one's
    /// handshake.
    ///
    /// - Parameters:
    ///   - workers: How many worker processes; by default one per processor.
    ///   - options: Retries, timeouts, progress display, the worker executable.
    /// - Throws: `.foreignBinary` if a worker runs another binary, `.transport` if workers
    ///   cannot be started (or do not call ``serveIfWorker()``), `.timeout` if one does not
    ///   answer within ``ClusterOptions/startTimeout``.
    public static func local(workers: Int = defaultWorkerCount, options: ClusterOptions = .init()) async throws(ClusterError) -> Cluster {
        guard getenv(_LocalProcessTransport.environmentVariable) == nil else {
            throw ClusterError(code: .transport, message: "this process was started as a cluster worker: its main must call "
                               + "Cluster.serveIfWorker() first, before it starts a cluster of its own")
        }
        guard workers >= 1 else { throw ClusterError(code: .transport, message: "a cluster needs at least one worker, not \(workers)") }
        let transport = try _LocalProcessTransport(options: options)
        var generator = SystemRandomNumberGenerator()
        let key = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return try await start(_Dispatcher(workers: workers, options: options, key: key, transport: transport))
    }

    /// Starts every rank's slot and waits for each worker's handshake.
    static func start(_ dispatcher: _Dispatcher) async throws(ClusterError) -> Cluster {
        for rank in dispatcher.ranks { _WorkerSlot.start(rank: rank, dispatcher: dispatcher) }
        if let failure = await dispatcher.awaitStartup() {
            await dispatcher.stop()
            dispatcher.transport.closeTransport()
            throw failure
        }
        return Cluster(dispatcher: dispatcher)
    }

    /// Runs `body` on a worker and returns its result.
    ///
    /// `body` and everything it captures are packed before this call suspends; the result is
    /// rebuilt here. Any result type travels that HeapPack packs: class graphs, closures, errors.
    ///
    /// - Throws: `.notTransferable` if `body` cannot travel (nothing was sent) or its result
    ///   cannot travel back; `.remoteError` if it threw; `.workerCrashed` if its worker died on
    ///   every attempt; `.shutDown` after ``shutdown()``.
    nonisolated(nonsending)
    public func run<Output>(_ body: @escaping () throws -> Output) async throws(ClusterError) -> Output {
        let batch = try _Batch.run(body, dispatcher: dispatcher)
        try dispatcher.submit(batch.tasks)
        for await delivery in batch.deliveries {
            guard let output = try _Batch.results(of: delivery, as: Output.self, dispatcher: dispatcher).first else { break }
            return output
        }
        throw ClusterError(code: .badPacket, message: "the worker sent no result")
    }

    /// Applies `body` to every input on the workers and returns the results in input order.
    ///
    /// Inputs go out in chunks of `chunkSize` (one task per chunk: larger chunks cost less per
    /// input, smaller ones balance better). The closure is packed once for all chunks.
    ///
    /// - Throws: as ``run(_:)``, with ``ClusterError/task`` the failing input's index. The first
    ///   failure ends the map: tasks not yet started are dropped.
    nonisolated(nonsending)
    public func map<Inputs: Sequence, Output>(_ inputs: Inputs, chunkSize: Int = 1,
                                              _ body: @escaping (Inputs.Element) throws -> Output) async throws(ClusterError) -> [Output] {
        let batch = try _Batch.map(Array(inputs), chunkSize: chunkSize, body, dispatcher: dispatcher)
        guard !batch.tasks.isEmpty else { return [] }
        try dispatcher.submit(batch.tasks)
        var chunks = [[Output]?](repeating: nil, count: batch.tasks.count)
        var positions: [UInt64: Int] = [:]
        for (position, task) in batch.tasks.enumerated() { positions[task.id] = position }
        var remaining = batch.tasks.count
        for await delivery in batch.deliveries {
            do {
                let outputs = try _Batch.results(of: delivery, as: Output.self, dispatcher: dispatcher)
                guard let position = positions[delivery.task.id], chunks[position] == nil else { continue }
                chunks[position] = outputs
            } catch {
                dispatcher.cancel(batch: batch.id)
                throw error
            }
            remaining -= 1
            if remaining == 0 { break }
        }
        return chunks.flatMap { $0 ?? [] }
    }

    /// Applies `body` to every input on the workers and yields `(index, value)` pairs as results
    /// arrive.
    ///
    /// The closure and inputs are packed in this call; a closure or input that cannot travel is
    /// the sequence's first error, and then nothing was sent. Tasks are queued when iteration
    /// starts, and the ones not yet started are dropped when the iteration ends early.
    public func mapUnordered<Inputs: Sequence, Output>(_ inputs: Inputs, chunkSize: Int = 1,
                                                       _ body: @escaping (Inputs.Element) throws -> Output) -> UnorderedResults<Output> {
        do {
            let batch = try _Batch.map(Array(inputs), chunkSize: chunkSize, body, dispatcher: dispatcher)
            return UnorderedResults(dispatcher: dispatcher, batch: .success(batch))
        } catch {
            return UnorderedResults(dispatcher: dispatcher, batch: .failure(error))
        }
    }

    /// Lets queued and running tasks finish, then stops every worker and reaps it. Calls after
    /// this throw `.shutDown`. With ``ClusterOptions/printsSummary``, prints ``summary``.
    public func shutdown() async {
        await dispatcher.stop()
        dispatcher.transport.closeTransport()
        if dispatcher.options.printsSummary { _writeToStandardError(summary.description) }
    }

    /// Events as they happen: workers started and ended, tasks started, finished and retried,
    /// and the progress counts. Each read of this property is a stream of its own; all end at
    /// ``shutdown()``.
    public var progress: AsyncStream<ClusterEvent> { dispatcher.events.subscribe() }

    /// Tasks, busy time, bytes and pack/unpack time per worker so far.
    public var summary: ClusterSummary { dispatcher.summary }

    /// The workers running now.
    public var workers: [WorkerInfo] { dispatcher.workers }
}
