import HeapPack
import Glibc

/// One worker rank of the coordinator, served by a thread of its own: it starts the rank's
/// worker, checks its handshake, hands it tasks one at a time, and when the worker is lost
/// reports it (so the task is retried or failed) and starts a replacement.
///
/// The thread blocks in ``_WorkerLink/next(deadline:)`` and never ends before its workers do:
/// a worker's parent-death signal fires when the thread that started it ends, not the process.
enum _WorkerSlot {
    /// Consecutive workers of one rank that may fail to start before the rank gives up.
    static let startAttempts = 3

    static func start(rank: Int, dispatcher: _Dispatcher) {
        let started = _startThread { run(rank: rank, dispatcher: dispatcher) }
        if let failure = started {
            dispatcher.slotEnded(rank: rank, error: _transportError("could not start a thread for worker \(rank)", errno: failure))
        }
    }

    private static func run(rank: Int, dispatcher: _Dispatcher) {
        var failedStarts = 0
        var lastError: ClusterError?
        while dispatcher.shouldRun(rank: rank) {
            let link: any _WorkerLink
            do {
                link = try dispatcher.transport.startWorker(rank: rank, key: dispatcher.key)
                try handshake(link, dispatcher: dispatcher)
            } catch {
                failedStarts += 1
                lastError = error
                if error.code == .foreignBinary || failedStarts >= startAttempts {
                    dispatcher.slotEnded(rank: rank, error: error)
                    return
                }
                continue
            }
            failedStarts = 0
            lastError = nil
            dispatcher.workerStarted(rank: rank, link: link)
            serve(link, rank: rank, dispatcher: dispatcher)
        }
        dispatcher.slotEnded(rank: rank, error: lastError)
    }

    /// Reads the worker's hello; refuses it (and ends it) unless it runs this binary.
    private static func handshake(_ link: any _WorkerLink, dispatcher: _Dispatcher) throws(ClusterError) {
        let deadline = ContinuousClock().now + dispatcher.options.startTimeout
        while true {
            switch link.next(deadline: deadline) {
            case .woken:
                continue
            case .frame(let frame):
                do {
                    try _Handshake.check(frame, from: link.info, expected: dispatcher.images)
                    return
                } catch {
                    let fate = link.finish(stopping: false)
                    var refusal = error
                    refusal.workerOutput = fate.output
                    throw refusal
                }
            case .timedOut:
                let fate = link.finish(stopping: false)
                var error = ClusterError(code: .timeout, message: "\(link.info) did not answer the handshake within "
                                         + "\(dispatcher.options.startTimeout)", worker: link.info)
                error.workerOutput = fate.output
                throw error
            case .lost:
                let fate = link.finish(stopping: false)
                var error = ClusterError(code: .transport, message: "\(link.info) ended before its handshake"
                                         + (fate.termination.map { " (\($0))" } ?? "")
                                         + ": does its main call Cluster.serveIfWorker() first?", worker: link.info)
                error.termination = fate.termination
                error.backtrace = fate.backtrace
                error.workerOutput = fate.output
                throw error
            }
        }
    }

    /// Serves `link` until its worker is lost or stopped.
    private static func serve(_ link: any _WorkerLink, rank: Int, dispatcher: _Dispatcher) {
        let clock = ContinuousClock()
        let unpackOptions = UnpackOptions(authenticationKey: dispatcher.key)
        var current: (task: _Task, sent: ContinuousClock.Instant, deadline: ContinuousClock.Instant?)?
        while true {
            if current == nil {
                switch dispatcher.nextTask(for: rank) {
                case .task(let task):
                    let now = clock.now
                    current = (task, now, dispatcher.options.taskTimeout.map { now + $0 })
                    do {
                        try link.send(task.frame)
                    } catch {
                        // The worker is gone: its end shows up as .lost below.
                    }
                case .wait:
                    break
                case .stop:
                    let fate = link.finish(stopping: true)
                    dispatcher.workerEnded(rank: rank, worker: link.info, fate: fate, crashed: false)
                    return
                }
            }
            switch link.next(deadline: current?.deadline) {
            case .woken:
                continue
            case .timedOut:
                let fate = link.finish(stopping: false)
                let error = ClusterError(code: .timeout, message: "the task ran longer than \(dispatcher.options.taskTimeout ?? .zero);"
                                         + " its worker was killed", worker: link.info)
                dispatcher.workerEnded(rank: rank, worker: link.info, fate: fate, error: error, crashed: true)
                return
            case .lost:
                let fate = link.finish(stopping: false)
                dispatcher.workerEnded(rank: rank, worker: link.info, fate: fate, crashed: true)
                return
            case .frame(let frame):
                let message: _WorkerMessage
                do {
                    message = try unpack(frame, as: _WorkerMessage.self, options: unpackOptions)
                } catch {
                    // A frame that fails its tag or does not read: this link can no longer be
                    // trusted, so its worker is replaced; the task fails, it is not retried.
                    let fate = link.finish(stopping: false)
                    let failure = ClusterError(code: error.code == .unauthenticated ? .unauthenticated : .badPacket,
                                               message: "a frame from \(link.info) was refused: \(error.message)",
                                               packError: error, worker: link.info)
                    dispatcher.workerEnded(rank: rank, worker: link.info, fate: fate, error: failure, crashed: false)
                    return
                }
                switch message {
                case .report(let taskID, let result):
                    guard let (task, sent, _) = current, task.id == taskID else {
                        let fate = link.finish(stopping: false)
                        let failure = ClusterError(code: .transport, message: "\(link.info) answered a task it was not given",
                                                   worker: link.info)
                        dispatcher.workerEnded(rank: rank, worker: link.info, fate: fate, error: failure, crashed: false)
                        return
                    }
                    dispatcher.taskDone(rank: rank, result: result, sent: task.frame.count + _FrameStream.headerSize,
                                        received: frame.count + _FrameStream.headerSize, busy: clock.now - sent)
                    current = nil
                case .refused(let error):
                    let failure = ClusterError(code: error.code == .unauthenticated ? .unauthenticated : .badPacket,
                                               message: "\(link.info) refused the task's frame: \(error.message)",
                                               packError: error, worker: link.info)
                    dispatcher.taskFailed(rank: rank, error: failure)
                    current = nil
                }
            }
        }
    }
}

/// Runs `body` on a new detached thread; returns the error number if there is none.
func _startThread(_ body: @escaping @Sendable () -> Void) -> Int32? {
    final class Box: Sendable {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }
    let box = Unmanaged.passRetained(Box(body)).toOpaque()
    var thread = pthread_t()
    let status = pthread_create(&thread, nil, { argument in
        let box = Unmanaged<Box>.fromOpaque(argument!).takeRetainedValue()
        box.body()
        return nil
    }, box)
    guard status == 0 else {
        Unmanaged<Box>.fromOpaque(box).release()
        return status
    }
    pthread_detach(thread)
    return nil
}
