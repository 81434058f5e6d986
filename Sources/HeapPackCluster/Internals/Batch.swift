import HeapPack

/// The tasks of one `run`, `map` or `mapUnordered`, packed in the caller before anything is
/// sent, and the stream their outcomes arrive on.
struct _Batch: Sendable {
    let id: UInt64
    let tasks: [_Task]
    let deliveries: AsyncStream<_Delivery>
    /// How many inputs each task holds, by task position.
    let counts: [Int]

    /// Packs `body` once and the inputs chunk by chunk. A closure or an input that cannot travel
    /// throws here, in the caller, naming it; nothing has been queued then.
    static func map<Input, Output>(_ inputs: [Input], chunkSize: Int, _ body: @escaping (Input) throws -> Output,
                                   dispatcher: _Dispatcher) throws(ClusterError) -> _Batch {
        let clock = ContinuousClock()
        let start = clock.now
        defer { dispatcher.recordCallerTime(pack: clock.now - start) }
        let bodyPacket = try packed("the closure cannot travel to the workers") { () throws(PackError) in
            try pack(body, as: ((Input) throws -> Output).self)
        }
        let size = max(chunkSize, 1)
        var jobs: [(first: Int, count: Int, job: () -> _JobResult)] = []
        var first = 0
        while first < inputs.count {
            let chunk = Array(inputs[first..<min(first + size, inputs.count)])
            let inputPacket: [UInt8]
            do {
                inputPacket = try pack(chunk)
            } catch {
                throw inputError(chunk, first: first, chunkError: error)
            }
            jobs.append((first, chunk.count, _chunkJob(body: bodyPacket, inputs: inputPacket, Input.self, Output.self)))
            first += size
        }
        return try make(jobs, dispatcher: dispatcher)
    }

    static func run<Output>(_ body: @escaping () throws -> Output, dispatcher: _Dispatcher) throws(ClusterError) -> _Batch {
        let clock = ContinuousClock()
        let start = clock.now
        defer { dispatcher.recordCallerTime(pack: clock.now - start) }
        let bodyPacket = try packed("the closure cannot travel to the workers") { () throws(PackError) in
            try pack(body, as: (() throws -> Output).self)
        }
        return try make([(-1, 1, _singleJob(body: bodyPacket, Output.self))], dispatcher: dispatcher)
    }

    private static func make(_ jobs: [(first: Int, count: Int, job: () -> _JobResult)],
                             dispatcher: _Dispatcher) throws(ClusterError) -> _Batch {
        let (deliveries, continuation) = AsyncStream<_Delivery>.makeStream()
        let batch = dispatcher.makeTaskID()
        var tasks: [_Task] = []
        tasks.reserveCapacity(jobs.count)
        let options = PackOptions(authenticationKey: dispatcher.key)
        for (first, _, job) in jobs {
            let id = dispatcher.makeTaskID()
            let frame = try packed("a task cannot be packed") { () throws(PackError) in
                try pack(_Order(taskID: id, job: job), options: options)
            }
            tasks.append(_Task(id: id, batch: batch, firstInput: first < 0 ? nil : first, frame: frame,
                               deliver: { continuation.yield($0) }))
        }
        if tasks.isEmpty { continuation.finish() }
        return _Batch(id: batch, tasks: tasks, deliveries: deliveries, counts: jobs.map(\.count))
    }

    private static func packed(_ what: String, _ body: () throws(PackError) -> [UInt8]) throws(ClusterError) -> [UInt8] {
        do {
            return try body()
        } catch {
            throw ClusterError(code: .notTransferable, message: "\(what): \(error.message)", packError: error)
        }
    }

    /// Which input of a chunk that did not pack is the culprit: packed alone, it fails with a
    /// path of its own.
    private static func inputError<Input>(_ chunk: [Input], first: Int, chunkError: PackError) -> ClusterError {
        for (offset, input) in chunk.enumerated() {
            do {
                _ = try pack(input)
            } catch {
                return ClusterError(code: .notTransferable, message: "input \(first + offset) cannot travel to the workers: \(error.message)",
                                    packError: error, task: first + offset)
            }
        }
        return ClusterError(code: .notTransferable, message: "inputs \(first)..<\(first + chunk.count) cannot travel to the workers: "
                            + chunkError.message, packError: chunkError, task: first)
    }

    /// The results of one delivered task, rebuilt in the caller; throws the task's failure.
    static func results<Output>(of delivery: _Delivery, as _: Output.Type, dispatcher: _Dispatcher) throws(ClusterError) -> [Output] {
        let task = delivery.task
        let job: _JobResult
        switch delivery.result {
        case .failure(let error): throw error
        case .success(let result): job = result
        }
        switch job.outcome {
        case .values(let packet):
            let clock = ContinuousClock()
            let start = clock.now
            defer { dispatcher.recordCallerTime(unpack: clock.now - start) }
            do {
                return try unpack(packet, as: [Output].self)
            } catch {
                throw ClusterError(code: .badPacket, message: "the results could not be read: \(error.message)", packError: error,
                                   worker: delivery.worker, task: task.firstInput, attempts: task.attempts)
            }
        case .thrown(let index, let type, let message, let packet):
            let input = task.firstInput.map { $0 + index }
            var error = ClusterError(code: .remoteError, message: (input.map { "input \($0)" } ?? "the closure") + " threw \(type): \(message)",
                                     worker: delivery.worker, task: input, attempts: task.attempts)
            error.remoteType = type
            error.remoteMessage = message
            error.remoteError = packet.flatMap { try? unpack($0, as: (any Error).self) }
            throw error
        case .resultRefused(let index, let packError):
            let input = task.firstInput.map { $0 + index }
            throw ClusterError(code: .notTransferable,
                               message: "the result of " + (input.map { "input \($0)" } ?? "the closure")
                                   + " cannot travel back: \(packError.message)",
                               packError: packError, worker: delivery.worker, task: input, attempts: task.attempts)
        case .jobUnreadable(let packError):
            throw ClusterError(code: .badPacket, message: "the worker could not read the task: \(packError.message)", packError: packError,
                               worker: delivery.worker, task: task.firstInput, attempts: task.attempts)
        }
    }
}
