import Synchronization

/// One unit of work: a chunk's packed order and where its outcome goes.
struct _Task: Sendable {
    let id: UInt64
    let batch: UInt64
    /// The index of the chunk's first input; nil for `run`.
    let firstInput: Int?
    /// The order's frame, kept for retries.
    let frame: [UInt8]
    var attempts = 0
    let deliver: @Sendable (_Delivery) -> Void
}

/// A task's end, as its caller receives it.
struct _Delivery: Sendable {
    var task: _Task
    var result: Result<_JobResult, ClusterError>
    var worker: WorkerInfo?
}

/// The queue of tasks and the state of every worker slot: who is busy with what, retries after
/// crashes, and the counts behind progress and the summary. Slots (one thread each) take tasks
/// from it and report back; callers submit and await. Outcomes are delivered outside the lock.
final class _Dispatcher: Sendable {
    let options: ClusterOptions
    let key: [UInt8]
    let transport: any _Transport
    let events = _EventHub()
    let progressLine: _ProgressLine?
    let images = _Handshake.images()
    let started = ContinuousClock().now

    struct Slot {
        var link: (any _WorkerLink)?
        var busy: _Task?
        var ended = false
        var statistics: ClusterSummary.Worker
    }

    struct State {
        var queue: [_Task] = []
        var queueHead = 0
        var slots: [Int: Slot] = [:]
        var stopping = false
        var nextTaskID: UInt64 = 0
        var cancelledBatches: Set<UInt64> = []
        var startupWaiter: CheckedContinuation<ClusterError?, Never>?
        var startupFailure: ClusterError?
        var stopWaiters: [CheckedContinuation<Void, Never>] = []
        // The current stretch of work, for the progress line.
        var total = 0
        var done = 0
        var failed = 0
        var retries = 0
        var stretchStart: ContinuousClock.Instant?
        var coordinatorPack: Duration = .zero
        var coordinatorUnpack: Duration = .zero
        /// Tasks that ended, ever: what a watchdog watches.
        var endedTasks = 0

        var queued: Int { queue.count - queueHead }
        var liveSlots: Int { slots.values.filter { !$0.ended }.count }
        var readySlots: Int { slots.values.filter { $0.link != nil }.count }

        mutating func popFront() -> _Task? {
            guard queueHead < queue.count else { return nil }
            let task = queue[queueHead]
            queueHead += 1
            if queueHead > 1024 && queueHead * 2 > queue.count {
                queue.removeFirst(queueHead)
                queueHead = 0
            }
            return task
        }

        mutating func pushFront(_ task: _Task) {
            if queueHead > 0 {
                queueHead -= 1
                queue[queueHead] = task
            } else {
                queue.insert(task, at: 0)
            }
        }
    }

    let state: Mutex<State>

    init(workers: Int, options: ClusterOptions, key: [UInt8], transport: any _Transport) {
        self.options = options
        self.key = key
        self.transport = transport
        progressLine = _ProgressLine.make(options.progressLine)
        var initial = State()
        for rank in 1...max(workers, 1) {
            initial.slots[rank] = Slot(statistics: ClusterSummary.Worker(rank: rank, tasks: 0, busy: .zero, bytesSent: 0, bytesReceived: 0,
                                                                        unpack: .zero, run: .zero, pack: .zero, crashes: 0))
        }
        state = Mutex(initial)
    }

    var ranks: [Int] { state.withLock { $0.slots.keys.sorted() } }

    // MARK: Callers

    func makeTaskID() -> UInt64 { state.withLock { $0.nextTaskID += 1; return $0.nextTaskID } }

    /// Queues `tasks`; throws if the cluster is shutting down or has no worker left.
    func submit(_ tasks: [_Task]) throws(ClusterError) {
        let links = try state.withLock { state throws(ClusterError) -> [any _WorkerLink] in
            guard !state.stopping else { throw ClusterError(code: .shutDown, message: "the cluster is shut down") }
            guard state.liveSlots > 0 else {
                var error = state.startupFailure ?? ClusterError(code: .transport, message: "the cluster has no workers left")
                error.message = "the cluster has no workers left: " + error.message
                throw error
            }
            if state.total == state.done + state.failed && state.queued == 0 {
                state.total = 0; state.done = 0; state.failed = 0; state.retries = 0
                state.stretchStart = ContinuousClock().now
            }
            state.total += tasks.count
            state.queue += tasks
            return state.slots.values.compactMap { $0.busy == nil ? $0.link : nil }
        }
        for link in links { link.wake() }
        publishProgress()
    }

    /// Drops the batch's queued tasks and ignores its retries (its caller stopped listening).
    func cancel(batch: UInt64) {
        state.withLock { state in
            state.cancelledBatches.insert(batch)
            let kept = state.queue[state.queueHead...].filter { $0.batch != batch }
            state.total -= state.queued - kept.count
            state.queue = Array(kept)
            state.queueHead = 0
        }
    }

    func recordCallerTime(pack: Duration = .zero, unpack: Duration = .zero) {
        state.withLock { $0.coordinatorPack += pack; $0.coordinatorUnpack += unpack }
    }

    // MARK: Slots

    enum Next { case task(_Task), wait, stop }

    /// The next task for `rank`'s worker, which is idle.
    func nextTask(for rank: Int) -> Next {
        let result: (Next, WorkerInfo?) = state.withLock { state in
            while let task = state.popFront() {
                if state.cancelledBatches.contains(task.batch) {
                    state.total -= 1
                    continue
                }
                var started = task
                started.attempts += 1
                state.slots[rank]?.busy = started
                return (.task(started), state.slots[rank]?.link?.info)
            }
            return (state.stopping ? .stop : .wait, nil)
        }
        if case .task(let task) = result.0, let worker = result.1 {
            events.send(.taskStarted(task: task.firstInput, worker: worker, attempt: task.attempts))
            publishProgress()
        }
        return result.0
    }

    func workerStarted(rank: Int, link: any _WorkerLink) {
        let waiter = state.withLock { state -> CheckedContinuation<ClusterError?, Never>? in
            state.slots[rank]?.link = link
            guard state.readySlots == state.slots.count, let waiter = state.startupWaiter else { return nil }
            state.startupWaiter = nil
            return waiter
        }
        events.send(.workerStarted(link.info))
        waiter?.resume(returning: nil)
    }

    /// A task came back from `rank`'s worker.
    func taskDone(rank: Int, result: _JobResult, sent: Int, received: Int, busy: Duration) {
        let (task, worker) = state.withLock { state -> (_Task?, WorkerInfo?) in
            guard var slot = state.slots[rank], let task = slot.busy else { return (nil, nil) }
            slot.busy = nil
            slot.statistics.tasks += 1
            slot.statistics.busy += busy
            slot.statistics.bytesSent += sent
            slot.statistics.bytesReceived += received
            slot.statistics.unpack += .nanoseconds(result.unpackNanoseconds)
            slot.statistics.run += .nanoseconds(result.runNanoseconds)
            slot.statistics.pack += .nanoseconds(result.packNanoseconds)
            state.slots[rank] = slot
            if case .values = result.outcome { state.done += 1 } else { state.failed += 1 }
            state.endedTasks += 1
            return (task, slot.link?.info)
        }
        guard let task, let worker else { return }
        events.send(.taskFinished(task: task.firstInput, worker: worker))
        publishProgress()
        task.deliver(_Delivery(task: task, result: .success(result), worker: worker))
    }

    /// `rank`'s task failed without its worker crashing (a refused frame): no retry.
    func taskFailed(rank: Int, error: ClusterError) {
        let task = state.withLock { state -> _Task? in
            defer { state.slots[rank]?.busy = nil }
            if state.slots[rank]?.busy != nil {
                state.failed += 1
                state.endedTasks += 1
            }
            return state.slots[rank]?.busy
        }
        guard let task else { return }
        publishProgress()
        var failure = error
        failure.attempts = task.attempts
        failure.task = task.firstInput
        task.deliver(_Delivery(task: task, result: .failure(failure), worker: error.worker))
    }

    /// `rank`'s worker ended: stopped, or lost with its task (if any) unfinished. `error` says
    /// why the task cannot be retried (a timeout, a broken link); nil for a crash, which is
    /// retried while the task has retries left.
    func workerEnded(rank: Int, worker: WorkerInfo, fate: _WorkerFate, error: ClusterError? = nil, crashed: Bool) {
        if crashed && transport.failsStop {
            let task = state.withLock { $0.slots[rank]?.busy }
            var failure = error ?? ClusterError(code: .workerCrashed, message: _crashMessage(fate), worker: worker)
            failure.worker = worker
            failure.attempts = task?.attempts ?? 0
            failure.termination = fate.termination
            failure.backtrace = fate.backtrace
            failure.workerOutput = fate.output
            failure.task = task?.firstInput
            transport.workerLost(failure)
        }
        let outcome = state.withLock { state -> (deliver: _Delivery?, retried: (_Task, ClusterError)?) in
            guard var slot = state.slots[rank] else { return (nil, nil) }
            let task = slot.busy
            slot.busy = nil
            slot.link = nil
            if crashed { slot.statistics.crashes += 1 }
            state.slots[rank] = slot
            guard let task else { return (nil, nil) }
            var failure = error ?? ClusterError(code: .workerCrashed, message: _crashMessage(fate), worker: worker)
            failure.worker = worker
            failure.attempts = task.attempts
            failure.termination = fate.termination
            failure.backtrace = fate.backtrace
            failure.workerOutput = fate.output
            if let first = task.firstInput { failure.task = first }
            if error == nil && task.attempts <= options.retries && !state.cancelledBatches.contains(task.batch) {
                state.pushFront(task)
                state.retries += 1
                return (nil, (task, failure))
            }
            state.failed += 1
            return (_Delivery(task: task, result: .failure(failure), worker: worker), nil)
        }
        events.send(.workerEnded(worker, fate.termination))
        if let (task, error) = outcome.retried {
            events.send(.taskRetried(task: task.firstInput, attempt: task.attempts, error: error))
            wakeIdle()
        }
        publishProgress()
        if let delivery = outcome.deliver { delivery.task.deliver(delivery) }
    }

    /// Whether `rank` should start a (replacement) worker.
    func shouldRun(rank: Int) -> Bool {
        state.withLock { !$0.stopping || $0.queued > 0 }
    }

    /// `rank`'s slot gave up (its workers cannot start) or was stopped; `error` for giving up.
    func slotEnded(rank: Int, error: ClusterError?) {
        let (startupWaiter, stopWaiters, orphans) = state.withLock { state in
            state.slots[rank]?.ended = true
            state.slots[rank]?.link = nil
            if let error, state.startupFailure == nil { state.startupFailure = error }
            var startupWaiter: CheckedContinuation<ClusterError?, Never>?
            if error != nil, let waiter = state.startupWaiter {
                state.startupWaiter = nil
                startupWaiter = waiter
            }
            var orphans: [_Task] = []
            if state.liveSlots == 0 {
                while let task = state.popFront() { orphans.append(task) }
                state.failed += orphans.count
            }
            var stopWaiters: [CheckedContinuation<Void, Never>] = []
            if state.liveSlots == 0 { swap(&stopWaiters, &state.stopWaiters) }
            return (startupWaiter, stopWaiters, orphans)
        }
        startupWaiter?.resume(returning: error)
        for waiter in stopWaiters { waiter.resume() }
        let failure = error ?? ClusterError(code: .shutDown, message: "the cluster shut down before the task ran")
        for task in orphans {
            var taskFailure = failure
            taskFailure.task = task.firstInput
            task.deliver(_Delivery(task: task, result: .failure(taskFailure), worker: nil))
        }
    }

    // MARK: Life cycle

    /// Waits until every slot's worker answered its handshake; the first start failure otherwise.
    func awaitStartup() async -> ClusterError? {
        await withCheckedContinuation { continuation in
            let immediate: ClusterError?? = state.withLock { state in
                if let failure = state.startupFailure { return .some(failure) }
                if state.readySlots == state.slots.count { return .some(nil) }
                state.startupWaiter = continuation
                return .none
            }
            if let immediate { continuation.resume(returning: immediate) }
        }
    }

    /// Lets the queue drain, then stops every worker and waits for all slots to end.
    func stop() async {
        let links = state.withLock { state in
            state.stopping = true
            return state.slots.values.compactMap(\.link)
        }
        for link in links { link.wake() }
        await withCheckedContinuation { continuation in
            let done = state.withLock { state in
                if state.liveSlots == 0 { return true }
                state.stopWaiters.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
        events.finish()
    }

    /// Stops without waiting: for a cluster dropped without ``Cluster/shutdown()``.
    func abandon() {
        let links = state.withLock { state in
            state.stopping = true
            state.queue.removeAll()
            state.queueHead = 0
            return state.slots.values.compactMap(\.link)
        }
        for link in links { link.wake() }
        events.finish()
    }

    /// Tasks ended so far, and the running ones (`task` is the first input's index, if any).
    var activity: (ended: Int, queued: Int, running: [(worker: WorkerInfo?, task: Int?)]) {
        state.withLock { state in
            let running = state.slots.keys.sorted().compactMap { rank -> (worker: WorkerInfo?, task: Int?)? in
                guard let slot = state.slots[rank], let task = slot.busy else { return nil }
                return (slot.link?.info, task.firstInput)
            }
            return (state.endedTasks, state.queued, running)
        }
    }

    var summary: ClusterSummary {
        state.withLock { state in
            ClusterSummary(workers: state.slots.keys.sorted().compactMap { state.slots[$0]?.statistics },
                           coordinatorPack: state.coordinatorPack, coordinatorUnpack: state.coordinatorUnpack,
                           elapsed: ContinuousClock().now - started)
        }
    }

    var workers: [WorkerInfo] {
        state.withLock { state in state.slots.keys.sorted().compactMap { state.slots[$0]?.link?.info } }
    }

    private func wakeIdle() {
        let links = state.withLock { $0.slots.values.compactMap { $0.busy == nil ? $0.link : nil } }
        for link in links { link.wake() }
    }

    private func publishProgress() {
        guard progressLine != nil || events.isObserved else { return }
        let progress = state.withLock { state -> ClusterProgress in
            let elapsed = state.stretchStart.map { ContinuousClock().now - $0 } ?? .zero
            let finished = state.done + state.failed
            let remaining: Duration? = finished > 0 ? elapsed / finished * (state.total - finished) : nil
            return ClusterProgress(done: finished, total: state.total,
                                   busyWorkers: state.slots.values.filter { $0.busy != nil }.count,
                                   workers: state.readySlots, elapsed: elapsed, estimatedRemaining: remaining,
                                   retries: state.retries, failed: state.failed)
        }
        progressLine?.update(progress)
        events.send(.progress(progress))
    }
}

func _crashMessage(_ fate: _WorkerFate) -> String {
    guard let termination = fate.termination else { return "the worker was lost" }
    return "the worker died (\(termination)) while running the task"
}
