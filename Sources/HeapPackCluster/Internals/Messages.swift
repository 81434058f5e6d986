import HeapPack

// What travels in frames after the handshake. Every frame is one HeapPack packet tagged with
// the cluster's key, so its type is fixed: a worker's loop is not generic, and a task arrives
// as a closure that knows its own input and result types.

/// Coordinator → worker: run this.
struct _Order {
    var taskID: UInt64
    var job: () -> _JobResult
}

/// What a job produced, with what the worker spent on it.
struct _JobResult: Sendable {
    var outcome: _Outcome
    var unpackNanoseconds: UInt64 = 0
    var runNanoseconds: UInt64 = 0
    var packNanoseconds: UInt64 = 0
}

enum _Outcome: Sendable {
    /// The results, packed as `[R]`: one per input of the chunk.
    case values([UInt8])
    /// The input at `index` of the chunk threw; `error` is the error packed as `any Error`, if it
    /// could travel.
    case thrown(index: Int, type: String, message: String, error: [UInt8]?)
    /// The result at `index` of the chunk cannot travel back; `error`'s path starts at that
    /// result.
    case resultRefused(index: Int, error: PackError)
    /// The job's own closure or inputs could not be read (a HeapPack bug, or another binary).
    case jobUnreadable(PackError)
}

/// Worker → coordinator.
enum _WorkerMessage: Sendable {
    /// A task's outcome.
    case report(taskID: UInt64, result: _JobResult)
    /// The last frame could not be read (a wrong tag: `.unauthenticated`); its task did not run.
    case refused(PackError)
}

/// The job of one chunk: unpacks the closure and inputs, runs the closure over each input and
/// packs the results. Made in the coordinator's generic context, so the closure carries the
/// input and result types; the closure and the inputs travel as packets of their own inside it,
/// so a map packs its closure once, not once per chunk. (The outer frame's tag covers them.)
func _chunkJob<Input, Output>(body: [UInt8], inputs: [UInt8], _: Input.Type, _: Output.Type) -> () -> _JobResult {
    {
        _runJob(Output.self) { () throws(PackError) -> (body: (Input) throws -> Output, inputs: [Input]) in
            (try unpack(body, as: ((Input) throws -> Output).self), try unpack(inputs, as: [Input].self))
        }
    }
}

/// The job of a `run`: one closure without input.
func _singleJob<Output>(body: [UInt8], _: Output.Type) -> () -> _JobResult {
    {
        _runJob(Output.self) { () throws(PackError) -> (body: (()) throws -> Output, inputs: [()]) in
            let body = try unpack(body, as: (() throws -> Output).self)
            return ({ _ in try body() }, [()])
        }
    }
}

private func _runJob<Input, Output>(_: Output.Type,
                                    _ read: () throws(PackError) -> (body: (Input) throws -> Output, inputs: [Input])) -> _JobResult {
    let clock = ContinuousClock()
    let unpackStart = clock.now
    let job: (body: (Input) throws -> Output, inputs: [Input])
    do {
        job = try read()
    } catch {
        return _JobResult(outcome: .jobUnreadable(error))
    }
    let runStart = clock.now
    var result = _JobResult(outcome: .values([]), unpackNanoseconds: _nanoseconds(runStart - unpackStart))
    var outputs: [Output] = []
    outputs.reserveCapacity(job.inputs.count)
    for (index, input) in job.inputs.enumerated() {
        do {
            outputs.append(try job.body(input))
        } catch {
            result.runNanoseconds = _nanoseconds(clock.now - runStart)
            result.outcome = .thrown(index: index, type: String(reflecting: type(of: error)), message: String(describing: error),
                                     error: try? pack(error, as: (any Error).self))
            return result
        }
    }
    let packStart = clock.now
    result.runNanoseconds = _nanoseconds(packStart - runStart)
    do {
        result.outcome = .values(try pack(outputs))
    } catch {
        let culprit = _refusedOutput(outputs, chunkError: error)
        result.outcome = .resultRefused(index: culprit.index, error: culprit.error)
    }
    result.packNanoseconds = _nanoseconds(clock.now - packStart)
    return result
}

/// Which result of a chunk that did not pack is the culprit: packed alone, it fails with a path
/// that starts at the result itself rather than at the chunk's array, which the user never wrote.
private func _refusedOutput<Output>(_ outputs: [Output], chunkError: PackError) -> (index: Int, error: PackError) {
    for (index, output) in outputs.enumerated() {
        do {
            _ = try pack(output)
        } catch {
            return (index, error)
        }
    }
    return (0, chunkError)
}

func _nanoseconds(_ duration: Duration) -> UInt64 {
    let (seconds, attoseconds) = duration.components
    return UInt64(max(0, seconds)) * 1_000_000_000 + UInt64(max(0, attoseconds / 1_000_000_000))
}
