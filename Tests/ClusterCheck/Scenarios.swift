import Foundation
import CHeapPackCluster
@_spi(Testing) import HeapPackCluster
import Synchronization

/// Each scenario prints `key=value` lines that Tests/HeapPackTests/Cluster/ClusterTests.swift
/// checks. A ClusterError a scenario expects is printed field by field (`reportError`).
enum Scenario {
    typealias Body = @MainActor ([String]) async throws -> Void

    static let all: [String: Body] = [
        "run": run, "map": map, "unordered": unordered, "refuse": refuse, "result-refused": resultRefused,
        "remote-error": remoteError, "retry": retry, "crash": crash, "exit": exitInTask, "foreign": foreign, "tamper": tamper,
        "shutdown": shutdown, "progress": progress, "timeout": timeout, "orphans": orphans, "orphans-coordinator": orphansCoordinator,
    ]

    static func quietOptions() -> ClusterOptions {
        ClusterOptions(progressLine: .never)
    }

    /// A closure capturing a cyclic graph goes out; a cyclic graph and a closure come back.
    /// With default options: standard error is a pipe here, so no progress line is drawn.
    static func run(_ arguments: [String]) async throws {
        let cluster = try await Cluster.local(workers: 2)
        let ring = makeRing(3 + arguments.count + 1)
        defer { breakRing(ring) }
        let label = "ring of \(ringSum(ring))"
        let result = try await cluster.run { () -> Report in
            let sum = ringSum(ring)
            ring.value += 100  // the worker's copy: the coordinator's ring stays as it was
            let first = ring.value
            breakRing(ring)
            let back = makeChain(3)
            back.value = sum
            return Report(pid: getpid(), ring: back, describe: { "\(label), first now \(first)" })
        }
        report("run.sum", result.ring.value)
        report("run.cycle", result.ring.next!.next!.previous!.previous === result.ring)
        report("run.closure", result.describe())
        report("run.remote", result.pid != getpid())
        report("run.local", ring.value)
        await cluster.shutdown()
    }

    /// map keeps input order; a shared capture stays shared inside a chunk; closures come back.
    static func map(_ arguments: [String]) async throws {
        let cluster = try await Cluster.local(workers: 2, options: quietOptions())
        let events = Mutex<(finished: Int, last: ClusterProgress?)>((0, nil))
        let stream = cluster.progress
        let listener = Task {
            for await event in stream {
                switch event {
                case .taskFinished: events.withLock { $0.finished += 1 }
                case .progress(let progress): events.withLock { $0.last = progress }
                default: break
                }
            }
        }
        let lookup = Lookup(offsets: [10, 20, 30].map { $0 + arguments.count }, label: "lookup")
        let count = 20 + arguments.count
        let results = try await cluster.map(0..<count, chunkSize: 3) { (x: Int) -> (value: Int, table: Lookup, add: (Int) -> Int) in
            (x * x + lookup.offsets[x % 3], lookup, { x + $0 })
        }
        report("map.values", results.map { String($0.value) }.joined(separator: ","))
        report("map.closures", results.map { String($0.add(1000)) }.joined(separator: ","))
        report("map.sharedInChunk", results[0].table === results[1].table && results[1].table === results[2].table)
        report("map.copiedPerChunk", results[0].table !== results[3].table && results[0].table !== lookup)
        report("map.empty", try await cluster.map([Int]()) { $0 }.count)
        let summary = cluster.summary
        report("map.summaryTasks", summary.workers.map(\.tasks).reduce(0, +))
        report("map.summaryBytes", summary.workers.allSatisfy { $0.tasks == 0 || ($0.bytesSent > 0 && $0.bytesReceived > 0) })
        report("map.summaryTable", summary.description.contains("received"))
        await cluster.shutdown()
        await listener.value
        let seen = events.withLock { $0 }
        report("map.eventsFinished", seen.finished)
        report("map.lastProgress", seen.last.map { "\($0.done)/\($0.total)" } ?? "nil")
    }

    /// mapUnordered yields every index once, with the value computed for it.
    static func unordered(_ arguments: [String]) async throws {
        let cluster = try await Cluster.local(workers: 2, options: quietOptions())
        let lookup = Lookup(offsets: [7 + arguments.count], label: "unordered")
        var seen: [Int: Int] = [:]
        for try await (index, value) in cluster.mapUnordered(Array(0..<17), chunkSize: 2, { (x: Int) -> Int in x * 3 + lookup.offsets[0] }) {
            seen[index, default: 0] += value
        }
        report("unordered.count", seen.count)
        report("unordered.correct", seen.allSatisfy { $0.value == $0.key * 3 + 7 })
        // Leaving a loop early drops the unstarted tasks; the cluster goes on.
        var taken = 0
        for try await _ in cluster.mapUnordered(Array(0..<40), { (x: Int) -> Int in x }) {
            taken += 1
            if taken == 2 { break }
        }
        report("unordered.afterBreak", try await cluster.run { lookup.offsets[0] + 1 })
        await cluster.shutdown()
    }

    /// A capture that cannot travel fails in the caller; nothing is sent; the cluster goes on.
    static func refuse(_ arguments: [String]) async throws {
        let cluster = try await Cluster.local(workers: 1, options: quietOptions())
        let sink = LogSink(FileHandle.standardError)
        do {
            _ = try await cluster.run { sink.handle.fileDescriptor }
            report("refuse.sent", true)
        } catch {
            reportError("refuse", error)
        }
        do {
            _ = try await cluster.map([1, 2, 3]) { (x: Int) -> Int in x + Int(sink.handle.fileDescriptor) }
        } catch {
            reportError("refuseMap", error)
        }
        do {
            for try await _ in cluster.mapUnordered([LogSink(FileHandle.standardOutput)], { (x: LogSink) -> Int in 1 }) {}
        } catch {
            reportError("refuseInput", error)
        }
        report("refuse.bytesSent", cluster.summary.workers.map(\.bytesSent).reduce(0, +))
        let offset = arguments.count + 40
        report("refuse.after", try await cluster.run { offset + 2 })
        await cluster.shutdown()
    }

    /// A result that cannot travel back is a typed error naming it.
    static func resultRefused(_ arguments: [String]) async throws {
        let cluster = try await Cluster.local(workers: 1, options: quietOptions())
        do {
            _ = try await cluster.run { LogSink(FileHandle.standardError) }
        } catch {
            reportError("result", error)
        }
        do {
            let threshold = 4 + arguments.count
            _ = try await cluster.map(Array(0..<6), chunkSize: 3) { (x: Int) -> LogSink? in
                x == threshold ? LogSink(FileHandle.standardError) : nil
            }
        } catch {
            reportError("resultMap", error)
        }
        await cluster.shutdown()
    }

    /// A thrown error comes back with its type, description and value.
    static func remoteError(_ arguments: [String]) async throws {
        let cluster = try await Cluster.local(workers: 2, options: quietOptions())
        let bad = 7 + arguments.count
        do {
            _ = try await cluster.map(Array(0..<12), chunkSize: 4) { (x: Int) throws -> Int in
                if x == bad { throw CheckError(input: x, reason: "seven is right out") }
                return x
            }
        } catch {
            reportError("remote", error)
            let value = error.remoteError as? CheckError
            report("remote.value", value.map { "\($0.input) \($0.reason)" } ?? "nil")
        }
        await cluster.shutdown()
    }

    /// A worker that crashes on the first attempt; the retry on a fresh worker succeeds.
    static func retry(_ arguments: [String]) async throws {
        let cluster = try await Cluster.local(workers: 2, options: quietOptions())
        let marker = NSTemporaryDirectory() + "heappack-cluster-retry-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: marker) }
        let value = 21 + arguments.count
        let retried = Mutex(0)
        let stream = cluster.progress
        let listener = Task {
            for await event in stream {
                if case .taskRetried = event { retried.withLock { $0 += 1 } }
            }
        }
        report("retry.result", try await cluster.run { crashOnce(marker: marker, value: value) })
        report("retry.crashes", cluster.summary.workers.map(\.crashes).reduce(0, +))
        await cluster.shutdown()
        await listener.value
        report("retry.events", retried.withLock { $0 })
    }

    /// A task that always crashes: .workerCrashed after every attempt, with backtrace and
    /// output; the cluster still serves. Also a map where one chunk crashes and retries: 0.
    static func crash(_ arguments: [String]) async throws {
        var options = quietOptions()
        options.retries = 1
        let cluster = try await Cluster.local(workers: 2, options: options)
        let input = 5 + arguments.count
        do {
            _ = try await cluster.run { crashingTask(input) }
        } catch {
            reportError("crash", error)
        }
        report("crash.after", try await cluster.run { input * 2 })
        let start = arguments.count
        do {
            _ = try await cluster.map(Array(start..<start + 6), chunkSize: 2) { (x: Int) -> Int in x == 3 ? crashingTask(x) : x }
        } catch {
            reportError("crashMap", error)
        }
        report("crash.afterMap", try await cluster.map(Array(0..<4)) { (x: Int) -> Int in x + input }.map(String.init).joined(separator: ","))
        await cluster.shutdown()
    }

    /// A task whose worker calls `exit`: with retries 0 it runs once, and the caller learns the
    /// exit status and what the worker last wrote; the cluster still serves.
    static func exitInTask(_ arguments: [String]) async throws {
        var options = quietOptions()
        options.retries = 0
        let cluster = try await Cluster.local(workers: 1, options: options)
        let status = Int32(3 + arguments.count)
        do {
            _ = try await cluster.run { exitingTask(status) }
        } catch {
            reportError("exit", error)
        }
        report("exit.after", try await cluster.run { 6 * 7 })
        report("exit.crashes", cluster.summary.workers.map(\.crashes).reduce(0, +))
        await cluster.shutdown()
    }

    /// A worker of another binary is refused at the handshake.
    static func foreign(_ arguments: [String]) async throws {
        var options = quietOptions()
        options.workerExecutable = arguments.first
        do {
            let cluster = try await Cluster.local(workers: 1, options: options)
            report("foreign.accepted", true)
            await cluster.shutdown()
        } catch {
            reportError("foreign", error)
        }
        report("foreign.children", childrenLeft())
    }

    /// A frame changed on its way is refused as .unauthenticated, in either direction.
    static func tamper(_ arguments: [String]) async throws {
        // Frames arriving at the coordinator: the first is the worker's handshake (plain text,
        // not a packet); the second, the first task's reply, is changed. Frames leaving: the
        // first order goes out intact, the second is changed.
        final class Counts: Sendable {
            let arriving = Atomic(0), leaving = Atomic(0)
        }
        let counts = Counts()
        var options = quietOptions()
        options._tamper = { outgoing, frame in
            let seen = outgoing ? counts.leaving.add(1, ordering: .relaxed).newValue
                : counts.arriving.add(1, ordering: .relaxed).newValue
            if seen == 2 && frame.count > 40 { frame[frame.count / 2] ^= 0x01 }
        }
        let cluster = try await Cluster.local(workers: 1, options: options)
        let value = 3 + arguments.count
        do {
            report("tamperReply.result", try await cluster.run { value })
        } catch {
            reportError("tamperReply", error)
        }
        do {
            report("tamperOrder.result", try await cluster.run { value + 1 })
        } catch {
            reportError("tamperOrder", error)
        }
        report("tamper.after", try await cluster.run { value + 2 })
        await cluster.shutdown()
    }

    /// shutdown stops and reaps every worker: no child process is left, not even a zombie.
    static func shutdown(_ arguments: [String]) async throws {
        let cluster = try await Cluster.local(workers: 3, options: quietOptions())
        let pids = cluster.workers.map(\.pid)
        report("shutdown.workers", pids.count)
        let base = arguments.count
        report("shutdown.sum", try await cluster.map(0..<30, chunkSize: 4) { (x: Int) -> Int in x + base }.reduce(0, +))
        await cluster.shutdown()
        report("shutdown.children", childrenLeft())
        report("shutdown.alive", pids.filter { kill($0, 0) == 0 }.count)
        do {
            _ = try await cluster.run { base }
        } catch {
            report("shutdown.after", error.code)
        }
    }

    /// The progress line and the summary, when asked for, on standard error.
    static func progress(_ arguments: [String]) async throws {
        let options = ClusterOptions(progressLine: .always, printsSummary: true)
        let cluster = try await Cluster.local(workers: 2, options: options)
        let rounds = 200_000 + arguments.count
        let sums = try await cluster.map(0..<8) { (x: Int) -> Int in
            var sum = x
            for step in 0..<rounds { sum = sum &* 31 &+ step }
            return sum
        }
        report("progress.results", sums.count)
        await cluster.shutdown()
    }

    /// A task past taskTimeout: its worker is killed, the caller gets .timeout, the cluster goes on.
    static func timeout(_ arguments: [String]) async throws {
        var options = quietOptions()
        options.taskTimeout = .milliseconds(300)
        let cluster = try await Cluster.local(workers: 1, options: options)
        let wait = 1 + arguments.count
        do {
            _ = try await cluster.run { () -> Int in
                while wait > 0 { pause() }  // blocks until a signal: here, the coordinator's SIGKILL
                return wait
            }
        } catch {
            reportError("timeout", error)
        }
        report("timeout.after", try await cluster.run { wait + 1 })
        await cluster.shutdown()
    }

    /// A coordinator killed with SIGKILL leaves no workers behind: they get SIGKILL from the
    /// kernel (PR_SET_PDEATHSIG). This process starts such a coordinator and watches its workers.
    static func orphans(_ arguments: [String]) async throws {
        let coordinator = Process()
        coordinator.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        coordinator.arguments = ["orphans-coordinator"]
        let output = Pipe()
        coordinator.standardOutput = output
        try coordinator.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        coordinator.waitUntilExit()
        report("orphans.coordinatorSignal", coordinator.terminationReason == .uncaughtSignal ? coordinator.terminationStatus : -1)
        let pids = text.split(separator: "\n").filter { $0.hasPrefix("pid=") }.compactMap { Int32($0.dropFirst(4)) }
        report("orphans.workers", pids.count)
        report("orphans.left", pids.filter { !exitsWithin(pid: $0, seconds: 30) }.count)
    }

    static func orphansCoordinator(_ arguments: [String]) async throws {
        let cluster = try await Cluster.local(workers: 2, options: quietOptions())
        for worker in cluster.workers { report("pid", worker.pid) }
        raise(SIGKILL)
    }
}

/// "none" if this process has no child left, living or zombie; otherwise what waitpid saw.
func childrenLeft() -> String {
    var status: Int32 = 0
    let result = waitpid(-1, &status, WNOHANG)
    return result == -1 && errno == ECHILD ? "none" : "waitpid returned \(result)"
}

/// Whether process `pid` (not necessarily a child) ends within `seconds`: a bounded wait on
/// its pidfd, not a sleep.
func exitsWithin(pid: Int32, seconds: Int32) -> Bool {
    let descriptor = hpc_pidfd_open(pid)
    if descriptor < 0 { return errno == ESRCH }
    defer { close(descriptor) }
    var watched = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
    return poll(&watched, 1, seconds * 1000) == 1
}
