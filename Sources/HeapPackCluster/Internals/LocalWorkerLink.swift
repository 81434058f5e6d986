import CHeapPackCluster
import Glibc
import Synchronization

/// The coordinator's end of a local worker process: its frame stream, its output and
/// crash-report pipes, and a pidfd, all watched by one poll(). The worker's end is noticed at
/// once: its stream ends, and its pidfd turns readable.
final class _LocalWorkerLink: _WorkerLink {
    let info: WorkerInfo
    private let stream: _FrameStream
    private let tamper: (@Sendable (_ outgoing: Bool, _ frame: inout [UInt8]) -> Void)?

    /// Everything only the slot's thread touches, and the descriptors ``wake()`` must not
    /// write to once they are closed (a closed number can be reused by any open).
    private struct State {
        var crashReport: Int32
        var output: Int32
        var process: Int32
        var wakeup: Int32
        var frames: Int32
        var outputRing: _OutputRing
        var report: [UInt8] = []
        var fate: _WorkerFate?
    }
    private let state: Mutex<State>
    private let wakeup: Int32

    init(info: WorkerInfo, frames: Int32, crashReport: Int32, output: Int32, options: ClusterOptions) throws(ClusterError) {
        self.info = info
        stream = _FrameStream(descriptor: frames, maxFrameBytes: options.maxFrameBytes)
        tamper = options._tamper
        let process = hpc_pidfd_open(info.pid)
        guard process >= 0 else {
            let code = errno
            for descriptor in [frames, crashReport, output] { close(descriptor) }
            throw _transportError("could not watch worker \(info.rank)'s process (pidfd_open)", errno: code)
        }
        let wakeup = hpc_wakeup_create()
        guard wakeup >= 0 else {
            let code = errno
            for descriptor in [frames, crashReport, output, process] { close(descriptor) }
            throw _transportError("eventfd failed", errno: code)
        }
        _ = fcntl(crashReport, F_SETFL, O_NONBLOCK)
        _ = fcntl(output, F_SETFL, O_NONBLOCK)
        self.wakeup = wakeup
        let ring = _OutputRing(capacity: options.outputLines,
                               forwardPrefix: options.forwardsWorkerOutput ? "[worker \(info.rank)] " : nil)
        state = Mutex(State(crashReport: crashReport, output: output, process: process, wakeup: wakeup, frames: frames,
                            outputRing: ring))
    }

    deinit {
        _ = finish(stopping: false)
    }

    func send(_ frame: [UInt8]) throws(ClusterError) {
        guard let tamper else { return try stream.write(frame) }
        var copy = frame
        tamper(true, &copy)
        try stream.write(copy)
    }

    func wake() {
        state.withLock { state in
            guard state.wakeup >= 0 else { return }
            var one: UInt64 = 1
            _ = Glibc.write(state.wakeup, &one, 8)
        }
    }

    func next(deadline: ContinuousClock.Instant?) -> _LinkEvent {
        let clock = ContinuousClock()
        while true {
            var timeout: Int32 = -1
            if let deadline {
                let left = clock.now.duration(to: deadline)
                if left <= .zero { return .timedOut }
                let (seconds, attoseconds) = left.components
                timeout = Int32(clamping: seconds * 1000 + attoseconds / 1_000_000_000_000_000 + 1)
            }
            var watched = state.withLock { state in
                [pollfd(fd: state.frames, events: Int16(POLLIN), revents: 0),
                 pollfd(fd: state.output, events: Int16(POLLIN), revents: 0),
                 pollfd(fd: state.crashReport, events: Int16(POLLIN), revents: 0),
                 pollfd(fd: state.wakeup, events: Int16(POLLIN), revents: 0),
                 pollfd(fd: state.process, events: Int16(POLLIN), revents: 0)]
            }
            if watched[0].fd < 0 { return .lost }
            let ready = poll(&watched, nfds_t(watched.count), timeout)
            if ready < 0 {
                if errno == EINTR { continue }
                return .lost
            }
            if ready == 0 { continue }
            if watched[1].revents != 0 || watched[2].revents != 0 { drainPipes() }
            if watched[0].revents != 0 {
                do {
                    guard var frame = try stream.read() else { return .lost }
                    tamper?(false, &frame)
                    return .frame(frame)
                } catch {
                    return .lost
                }
            }
            if watched[4].revents != 0 { return .lost }
            if watched[3].revents != 0 {
                var count: UInt64 = 0
                _ = Glibc.read(wakeup, &count, 8)
                return .woken
            }
        }
    }

    /// Reads whatever the output and crash-report pipes hold, without blocking; closes each at its end.
    private func drainPipes() {
        state.withLock { state in
            var buffer = [UInt8](repeating: 0, count: 65536)
            while state.output >= 0 {
                let got = buffer.withUnsafeMutableBytes { Glibc.read(state.output, $0.baseAddress!, $0.count) }
                if got > 0 {
                    buffer.withUnsafeBytes { state.outputRing.append(UnsafeRawBufferPointer(rebasing: $0.prefix(got))) }
                    continue
                }
                if got < 0 && errno == EINTR { continue }
                if got == 0 {
                    state.outputRing.close()
                    close(state.output)
                    state.output = -1
                }
                break
            }
            while state.crashReport >= 0 {
                let got = buffer.withUnsafeMutableBytes { Glibc.read(state.crashReport, $0.baseAddress!, $0.count) }
                if got > 0 {
                    // A report is a few KiB; a worker that floods the pipe is cut off.
                    if state.report.count < 1 << 20 { state.report += buffer.prefix(got) }
                    continue
                }
                if got < 0 && errno == EINTR { continue }
                if got == 0 {
                    close(state.crashReport)
                    state.crashReport = -1
                }
                break
            }
        }
    }

    func finish(stopping: Bool) -> _WorkerFate {
        if let fate = state.withLock({ $0.fate }) { return fate }
        let (frames, process) = state.withLock { ($0.frames, $0.process) }
        if stopping {
            // The worker exits when its stream ends; a worker stuck in a task is killed after
            // a grace period. Output keeps flowing meanwhile, so it cannot block on a full pipe.
            shutdown(frames, Int32(SHUT_RDWR))
            let deadline = ContinuousClock().now + .seconds(10)
            while !awaitExit(process: process, until: deadline) {
                if ContinuousClock().now >= deadline {
                    kill(info.pid, SIGKILL)
                    break
                }
            }
        } else {
            // Not yet reaped, so the pid is still this worker's: killing it cannot hit another process.
            kill(info.pid, SIGKILL)
        }
        var status: Int32 = 0
        var reaped = waitpid(info.pid, &status, 0)
        while reaped < 0 && errno == EINTR { reaped = waitpid(info.pid, &status, 0) }
        // Everything the worker wrote before it died is in the pipes now.
        drainPipes()
        let termination: WorkerTermination? = reaped < 0 ? nil
            : (status & 0x7f) == 0 ? .exited((status >> 8) & 0xff) : .signaled(status & 0x7f)
        return state.withLock { state in
            state.outputRing.close()
            let fate = _WorkerFate(termination: termination, backtrace: _CrashReport.frames(state.report),
                                   output: state.outputRing.lines)
            for descriptor in [state.frames, state.output, state.crashReport, state.process, state.wakeup] where descriptor >= 0 {
                close(descriptor)
            }
            state.frames = -1; state.output = -1; state.crashReport = -1; state.process = -1; state.wakeup = -1
            state.fate = fate
            return fate
        }
    }

    /// Waits for the process to end or the deadline, draining its pipes meanwhile; true once it ended.
    private func awaitExit(process: Int32, until deadline: ContinuousClock.Instant) -> Bool {
        let (output, crashReport) = state.withLock { ($0.output, $0.crashReport) }
        var watched = [pollfd(fd: process, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: output, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: crashReport, events: Int16(POLLIN), revents: 0)]
        let left = ContinuousClock().now.duration(to: deadline)
        let timeout = max(Int32(0), Int32(clamping: left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000 + 1))
        let ready = poll(&watched, nfds_t(watched.count), timeout)
        if ready > 0 && (watched[1].revents != 0 || watched[2].revents != 0) { drainPipes() }
        return ready > 0 && watched[0].revents != 0
    }
}
