import CHeapPackCluster
import Glibc

/// A worker process's side of ``_LocalProcessTransport``: finds its inherited descriptors,
/// reads the key, and makes sure it does not outlive its coordinator.
struct _LocalWorkerSetup {
    let rank: Int
    let link: _LocalCoordinatorLink
    let key: [UInt8]
    let crashReport: Int32

    /// The setup this process was started with, or nil if it is no worker. Exits for a
    /// variable it cannot use: a half-started worker must not go on as a coordinator.
    static func fromEnvironment() -> _LocalWorkerSetup? {
        guard let pointer = getenv(_LocalProcessTransport.environmentVariable) else { return nil }
        let specification = String(cString: pointer)
        // The worker's own children (a task may start processes of this binary) are no workers.
        unsetenv(_LocalProcessTransport.environmentVariable)
        var fields: [Substring: Substring] = [:]
        for field in specification.split(separator: " ") {
            let parts = field.split(separator: "=", maxSplits: 1)
            if parts.count == 2 { fields[parts[0]] = parts[1] }
        }
        let descriptors = (fields["fds"] ?? "").split(separator: ",").compactMap { Int32($0) }
        guard let rank = fields["rank"].flatMap({ Int($0) }), let parent = fields["parent"].flatMap({ Int32($0) }),
              descriptors.count == 3 else {
            _workerExit("\(_LocalProcessTransport.environmentVariable) is malformed: \(specification)", status: 78)
        }
        // No orphans: the kernel kills this worker when the coordinator's spawning thread ends.
        // The coordinator may have died before this line ran: then the parent is another.
        _ = hpc_set_parent_death_signal(SIGKILL)
        if getppid() != parent { _exit(0) }
        for descriptor in descriptors { _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC) }

        var key = [UInt8](repeating: 0, count: 256)
        var got = 0
        while got < key.count {
            let result = key.withUnsafeMutableBytes { Glibc.read(descriptors[1], $0.baseAddress! + got, $0.count - got) }
            if result < 0 && errno == EINTR { continue }
            if result <= 0 { break }
            got += result
        }
        close(descriptors[1])
        guard got >= 32 else { _workerExit("could not read the cluster key from descriptor \(descriptors[1])", status: 78) }
        return _LocalWorkerSetup(rank: rank, link: _LocalCoordinatorLink(stream: _FrameStream(descriptor: descriptors[0], maxFrameBytes: Int.max)),
                                 key: Array(key.prefix(got)), crashReport: descriptors[2])
    }
}

/// A local worker's end of its socketpair.
struct _LocalCoordinatorLink: _CoordinatorLink {
    let stream: _FrameStream

    func receive() throws(ClusterError) -> [UInt8]? { try stream.read() }
    func send(_ frame: [UInt8]) throws(ClusterError) { try stream.write(frame) }
}

/// Ends a worker that cannot go on, saying why on its standard error (which its coordinator
/// shows with the error it reports).
func _workerExit(_ message: String, status: Int32) -> Never {
    _writeToStandardError("heappack-cluster worker: \(message)\n")
    _exit(status)
}
