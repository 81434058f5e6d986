import Foundation
import Testing

/// HeapPackCluster end to end. A closure travels only between processes of one binary, so each
/// scenario runs in `heappack-cluster-check` (Tests/ClusterCheck), which is the coordinator and,
/// started again by its cluster, the workers; these tests read the `key=value` lines it prints.
@Suite("Cluster")
struct ClusterTests {
    struct Check {
        let run: ChildRun
        let values: [String: String]

        subscript(_ key: String) -> String? { values[key] }

        init(_ scenario: String, _ arguments: [String] = []) throws {
            run = try runChild(sibling("heappack-cluster-check"), [scenario] + arguments)
            var values: [String: String] = [:]
            for line in run.output.split(separator: "\n") {
                guard let equals = line.firstIndex(of: "=") else { continue }
                values[String(line[..<equals])] = String(line[line.index(after: equals)...])
            }
            self.values = values
        }

        /// The scenario ran to its end.
        var completed: Bool { run.status == 0 && values["done"] == "true" }
    }

    @Test("run sends a closure over a cyclic graph and gets a graph with cycles and a closure back")
    func run() throws {
        let check = try Check("run")
        #expect(check.completed, "\(check.run)")
        #expect(check["run.sum"] == "10", "1+2+3+4 in the worker's copy of the ring")
        #expect(check["run.cycle"] == "true")
        #expect(check["run.closure"] == "ring of 10, first now 101")
        #expect(check["run.remote"] == "true")
        #expect(check["run.local"] == "1", "the coordinator's ring is not the worker's")
    }

    @Test("map keeps input order, shares captures within a chunk, brings closures back, and reports progress")
    func map() throws {
        let check = try Check("map")
        #expect(check.completed, "\(check.run)")
        let expected = (0..<20).map { $0 * $0 + [10, 20, 30][$0 % 3] }
        #expect(check["map.values"] == expected.map(String.init).joined(separator: ","))
        #expect(check["map.closures"] == (0..<20).map { String($0 + 1000) }.joined(separator: ","))
        #expect(check["map.sharedInChunk"] == "true")
        #expect(check["map.copiedPerChunk"] == "true")
        #expect(check["map.empty"] == "0")
        #expect(check["map.summaryTasks"] == "7", "20 inputs in chunks of 3")
        #expect(check["map.summaryBytes"] == "true")
        #expect(check["map.summaryTable"] == "true")
        #expect(check["map.eventsFinished"] == "7")
        #expect(check["map.lastProgress"] == "7/7")
    }

    @Test("mapUnordered yields every index once; leaving early leaves the cluster serving")
    func unordered() throws {
        let check = try Check("unordered")
        #expect(check.completed, "\(check.run)")
        #expect(check["unordered.count"] == "17")
        #expect(check["unordered.correct"] == "true")
        #expect(check["unordered.afterBreak"] == "8")
    }

    @Test("a capture that cannot travel fails in the caller with its path, before anything is sent")
    func refusalBeforeSending() throws {
        let check = try Check("refuse")
        #expect(check.completed, "\(check.run)")
        #expect(check["refuse.sent"] == nil)
        #expect(check["refuse.code"] == "notTransferable")
        #expect(check["refuse.packError"]?.hasPrefix("nonTransferable at root: () throws -> Int32 > closure #1 ") == true,
                "\(check.values)")
        #expect(check["refuse.packError"]?.hasSuffix(" > .handle > Foundation.FileHandle") == true, "\(check.values)")
        #expect(check["refuseMap.code"] == "notTransferable")
        #expect(check["refuseMap.packError"]?.contains("FileHandle") == true, "\(check.values)")
        #expect(check["refuseInput.code"] == "notTransferable")
        #expect(check["refuseInput.task"] == "0")
        #expect(check["refuseInput.packError"] == "nonTransferable at root: LogSink > .handle > Foundation.FileHandle")
        #expect(check["refuse.bytesSent"] == "0", "nothing reached a worker")
        #expect(check["refuse.after"] == "42", "the cluster is unaffected")
    }

    @Test("a result that cannot travel back is a typed error naming it")
    func resultThatCannotTravel() throws {
        let check = try Check("result-refused")
        #expect(check.completed, "\(check.run)")
        #expect(check["result.code"] == "notTransferable")
        #expect(check["result.message"]?.hasPrefix("the result of the closure cannot travel back") == true, "\(check.values)")
        #expect(check["result.packError"] == "nonTransferable at root: LogSink > .handle > Foundation.FileHandle",
                "the path starts at the result, not at the worker's own wrapping of it")
        #expect(check["resultMap.code"] == "notTransferable")
        #expect(check["resultMap.task"] == "4", "\(check.values)")
        #expect(check["resultMap.message"]?.hasPrefix("the result of input 4 cannot travel back") == true, "\(check.values)")
        #expect(check["resultMap.packError"] == "nonTransferable at root: Optional<LogSink> > .handle > Foundation.FileHandle",
                "\(check.values)")
    }

    @Test("a task that throws comes back as remoteError with type, description and value")
    func remoteErrors() throws {
        let check = try Check("remote-error")
        #expect(check.completed, "\(check.run)")
        #expect(check["remote.code"] == "remoteError")
        #expect(check["remote.task"] == "7")
        #expect(check["remote.remoteType"]?.hasSuffix(".CheckError") == true, "\(check.values)")
        #expect(check["remote.remoteMessage"] == "input 7: seven is right out")
        #expect(check["remote.value"] == "7 seven is right out")
        #expect(check["remote.attempts"] == "1")
    }

    @Test("a worker that crashes on the first attempt is replaced and the retry succeeds")
    func crashThenRetry() throws {
        let check = try Check("retry")
        #expect(check.completed, "\(check.run)")
        #expect(check["retry.result"] == "42")
        #expect(check["retry.crashes"] == "1")
        #expect(check["retry.events"] == "1")
    }

    @Test("a task that always crashes: workerCrashed with attempts, backtrace, fatalError message; the cluster still serves")
    func alwaysCrashes() throws {
        let check = try Check("crash")
        #expect(check.completed, "\(check.run)")
        #expect(check["crash.code"] == "workerCrashed")
        #expect(check["crash.attempts"] == "2", "retries: 1")
        #expect(check["crash.termination"]?.hasPrefix("signal ") == true, "\(check.values)")
        #expect(check["crash.backtrace"]?.contains("heappack_cluster_check.crashingTask(Swift.Int) -> Swift.Int + 0x") == true,
                "\(check.values)")
        #expect(check["crash.backtrace"]?.contains("frames of HeapPackCluster's worker loop") == true, "\(check.values)")
        #expect(check["crash.workerOutput"]?.contains("crashingTask gave up on input 5") == true, "\(check.values)")
        #expect(check["crash.after"] == "10")
        #expect(check["crashMap.code"] == "workerCrashed")
        #expect(check["crashMap.task"] == "2", "the chunk of inputs 2 and 3 crashed")
        #expect(check["crash.afterMap"] == "5,6,7,8")
    }

    @Test("a task that calls exit: workerCrashed with the exit status and the worker's last words, once with retries 0")
    func exitInTask() throws {
        let check = try Check("exit")
        #expect(check.completed, "\(check.run)")
        #expect(check["exit.code"] == "workerCrashed")
        #expect(check["exit.attempts"] == "1", "retries: 0 runs a task once")
        #expect(check["exit.termination"] == "exit status 3", "\(check.values)")
        #expect(check["exit.workerOutput"]?.contains("exitingTask leaves with status 3") == true, "\(check.values)")
        #expect(check["exit.after"] == "42", "a replacement serves the next task")
        #expect(check["exit.crashes"] == "1")
    }

    @Test("a worker of another binary is refused at the handshake")
    func foreignBinary() throws {
        let check = try Check("foreign", [sibling("heappack-cluster-foreign").path])
        #expect(check.completed, "\(check.run)")
        #expect(check["foreign.accepted"] == nil)
        #expect(check["foreign.code"] == "foreignBinary")
        #expect(check["foreign.message"]?.contains("build-id") == true, "\(check.values)")
        #expect(check["foreign.children"] == "none", "the refused worker was reaped")
    }

    @Test("a tampered frame is refused as unauthenticated, in either direction")
    func tamperedFrames() throws {
        let check = try Check("tamper")
        #expect(check.completed, "\(check.run)")
        #expect(check["tamperReply.result"] == nil)
        #expect(check["tamperOrder.result"] == nil)
        #expect(check["tamperOrder.code"] == "unauthenticated", "\(check.values)")
        #expect(check["tamperOrder.packError"]?.hasPrefix("unauthenticated") == true, "\(check.values)")
        #expect(check["tamperOrder.attempts"] == "1")
        #expect(check["tamperReply.code"] == "unauthenticated", "\(check.values)")
        #expect(check["tamper.after"] == "5")
    }

    @Test("shutdown stops and reaps every worker: no child process is left")
    func shutdownLeavesNoChild() throws {
        let check = try Check("shutdown")
        #expect(check.completed, "\(check.run)")
        #expect(check["shutdown.workers"] == "3")
        #expect(check["shutdown.sum"] == "435")
        #expect(check["shutdown.children"] == "none")
        #expect(check["shutdown.alive"] == "0")
        #expect(check["shutdown.after"] == "shutDown")
    }

    @Test("the progress line and the summary are drawn on standard error when asked for")
    func progressLineAndSummary() throws {
        let check = try Check("progress")
        #expect(check.completed, "\(check.run)")
        #expect(check["progress.results"] == "8")
        #expect(check.run.error.contains("\r\u{1B}[Kcluster: 8/8 tasks · 0/2 workers busy · "), "\(check.run)")
        #expect(check.run.error.contains("cluster summary: "), "\(check.run)")
        #expect(check.run.error.contains("worker  tasks"), "\(check.run)")
    }

    @Test("by default nothing is drawn on standard error when it is no terminal")
    func noProgressLineByDefault() throws {
        let check = try Check("run")
        #expect(check.completed, "\(check.run)")
        #expect(!check.run.error.contains("cluster: "), "\(check.run)")
    }

    @Test("a task past taskTimeout fails with timeout; its worker is replaced")
    func taskTimeout() throws {
        let check = try Check("timeout")
        #expect(check.completed, "\(check.run)")
        #expect(check["timeout.code"] == "timeout")
        #expect(check["timeout.attempts"] == "1", "a timeout is not retried")
        #expect(check["timeout.termination"] == "signal 9 (SIGKILL)")
        #expect(check["timeout.after"] == "2")
    }

    @Test("workers of a coordinator killed with SIGKILL end too")
    func noOrphans() throws {
        let check = try Check("orphans")
        #expect(check.completed, "\(check.run)")
        #expect(check["orphans.coordinatorSignal"] == "9")
        #expect(check["orphans.workers"] == "2")
        #expect(check["orphans.left"] == "0")
    }
}
