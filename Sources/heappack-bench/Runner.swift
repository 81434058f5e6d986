import Foundation

/// How a workload ended.
enum Outcome {
    case ok
    /// HeapPack refused the value as `.unsupported`; the baselines still ran.
    case unsupported(String)
    case failed(String)
}

struct WorkloadResult {
    let workload: Workload
    let runs: Int
    let outcome: Outcome
    let recorder: Recorder
    let checkText: String?
    let notes: [String]
}

/// Runs one warm-up round and `runs` measured rounds, each round running every phase once.
func runWorkload(_ workload: Workload, runs: Int) -> WorkloadResult {
    let recorder = Recorder()
    let prepared: Prepared
    do {
        prepared = try workload.prepare()
    } catch {
        return WorkloadResult(workload: workload, runs: runs, outcome: .failed("preparing the data: \(error)"),
                              recorder: recorder, checkText: nil, notes: [])
    }
    let floor = MemcpyFloor(size: prepared.packedSize)
    let phases = [prepared.heapPack, prepared.native] + floor.phases + prepared.baselines
    let outcome = runRounds(phases, recorder: recorder, progressLabel: workload.id, plannedRounds: runs) { $0 < runs }
    return WorkloadResult(workload: workload, runs: runs, outcome: outcome, recorder: recorder,
                          checkText: prepared.checkText, notes: prepared.notes)
}

/// Runs a warm-up round, then measured rounds for as long as `wantsAnotherRound` (given the
/// number of measured rounds so far) says. A phase that HeapPack refuses drops out of later
/// rounds while the others go on; any other error ends the rounds.
func runRounds(_ phases: [Phase], recorder: Recorder, progressLabel: String, plannedRounds: Int?,
               wantsAnotherRound: (_ measuredRounds: Int) -> Bool) -> Outcome {
    var active = Array(repeating: true, count: phases.count)
    var unsupported: String?
    var failure: String?
    let showProgress = isatty(STDERR_FILENO) != 0
    var round = 0

    rounds: repeat {
        if round == 1 { recorder.beginMeasuredRounds() }
        if showProgress {
            let label = round == 0 ? "warm-up" : "run \(round)" + (plannedRounds.map { "/\($0)" } ?? "")
            FileHandle.standardError.write(Data("\r  \(progressLabel) \(label)   ".utf8))
        }
        for (index, phase) in phases.enumerated() where active[index] {
            do {
                try phase.body(recorder)
            } catch let error as PhaseUnsupported {
                unsupported = error.description
                active[index] = false
            } catch {
                failure = "\(phase.name) in \(round == 0 ? "the warm-up" : "run \(round)"): \(error)"
                break rounds
            }
        }
        round += 1
    } while wantsAnotherRound(round - 1)
    if showProgress { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }

    return failure.map(Outcome.failed) ?? unsupported.map(Outcome.unsupported) ?? .ok
}
