import CHeapPackCluster
import Glibc

/// Workers as child processes of this executable on this host, each on its own socketpair.
///
/// A worker gets, besides its standard descriptors, three it inherits: its end of the
/// socketpair (frames), the read end of a pipe holding the cluster's key (which is secret, so
/// it is in neither argv nor the environment, which other processes of the user can read), and
/// the write end of its crash-report pipe. ``_LocalWorkerSetup`` finds them through one
/// environment variable, which names descriptor numbers only. Its standard output and error go
/// into one pipe the coordinator reads.
struct _LocalProcessTransport: _Transport {
    /// The variable that makes a process a worker: `rank=R fds=FRAMES,KEY,CRASH parent=PID`.
    static let environmentVariable = "HEAPPACK_CLUSTER_WORKER"

    let executable: String
    let options: ClusterOptions
    let host: String

    init(options: ClusterOptions) throws(ClusterError) {
        self.options = options
        if let executable = options.workerExecutable {
            self.executable = executable
        } else {
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
            guard length > 0 else { throw _transportError("could not find this executable (/proc/self/exe)", errno: errno) }
            self.executable = String(decoding: buffer.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        host = _hostName()
    }

    func startWorker(rank: Int, key: [UInt8]) throws(ClusterError) -> any _WorkerLink {
        var opened: [Int32] = []
        func closeAll() { for descriptor in opened { close(descriptor) } }

        // Every descriptor is close-on-exec: one that another thread's spawn inherited by
        // accident would keep this worker's stream open after the worker died.
        var frames: [Int32] = [-1, -1], keyPipe: [Int32] = [-1, -1], crashPipe: [Int32] = [-1, -1], outputPipe: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &frames) == 0 else {
            throw _transportError("socketpair failed", errno: errno)
        }
        opened += frames
        for index in 0..<3 {
            var pair: [Int32] = [-1, -1]
            guard hpc_pipe(&pair) == 0 else {
                let code = errno
                closeAll()
                throw _transportError("pipe2 failed", errno: code)
            }
            opened += pair
            switch index {
            case 0: keyPipe = pair
            case 1: crashPipe = pair
            default: outputPipe = pair
            }
        }
        // The key fits a pipe's buffer: written now, read by the worker at its start.
        var written = 0
        while written < key.count {
            let result = key.withUnsafeBytes { Glibc.write(keyPipe[1], $0.baseAddress! + written, $0.count - written) }
            if result < 0 && errno == EINTR { continue }
            guard result > 0 else {
                let code = errno
                closeAll()
                throw _transportError("could not hand the key to a worker", errno: code)
            }
            written += result
        }
        close(keyPipe[1])
        opened.removeAll { $0 == keyPipe[1] }

        // The inherited descriptors land above every descriptor a file action reads, so no
        // dup2 overwrites a source another still needs.
        let inherited = [frames[1], keyPipe[0], crashPipe[1]]
        let firstTarget = (opened.max() ?? 2) + 1
        let targets = inherited.indices.map { firstTarget + Int32($0) }
        let specification = "rank=\(rank) fds=\(targets.map(String.init).joined(separator: ",")) parent=\(getpid())"

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for (source, target) in zip(inherited, targets) { posix_spawn_file_actions_adddup2(&actions, source, target) }
        posix_spawn_file_actions_adddup2(&actions, outputPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, outputPipe[1], 2)
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)

        // A clean signal state: this thread's mask and ignored signals would otherwise carry over.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var emptyMask = sigset_t(), defaults = sigset_t()
        sigemptyset(&emptyMask)
        sigemptyset(&defaults)
        for signal in [SIGPIPE, SIGINT, SIGTERM, SIGHUP] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigmask(&attributes, &emptyMask)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        var environment = _environment().filter { !$0.hasPrefix(Self.environmentVariable + "=") }
        environment.append("\(Self.environmentVariable)=\(specification)")
        let arguments = [executable]
        var pid: pid_t = 0
        let status = _withCStrings(arguments) { argv in
            _withCStrings(environment) { envp in posix_spawn(&pid, executable, &actions, &attributes, argv, envp) }
        }
        // The child has its copies; the parent keeps only its own ends.
        for descriptor in [frames[1], keyPipe[0], crashPipe[1], outputPipe[1]] { close(descriptor) }
        guard status == 0 else {
            for descriptor in [frames[0], crashPipe[0], outputPipe[0]] { close(descriptor) }
            throw _transportError("could not start worker \(rank) (\(executable))", errno: status)
        }
        let info = WorkerInfo(rank: rank, pid: pid, host: host)
        do {
            return try _LocalWorkerLink(info: info, frames: frames[0], crashReport: crashPipe[0], output: outputPipe[0],
                                        options: options)
        } catch {
            kill(pid, SIGKILL)
            var ignored: Int32 = 0
            while waitpid(pid, &ignored, 0) < 0 && errno == EINTR {}
            throw error
        }
    }
}

/// `KEY=VALUE` strings of this process's environment.
func _environment() -> [String] {
    var result: [String] = []
    var entry = environ
    while let pointer = entry.pointee {
        result.append(String(cString: pointer))
        entry += 1
    }
    return result
}

/// Calls `body` with a NULL-terminated C array of copies of `strings`, freed afterwards.
func _withCStrings<Result>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> Result) -> Result {
    var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
    pointers.append(nil)
    defer { for pointer in pointers { free(pointer) } }
    return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
}

func _hostName() -> String {
    var buffer = [CChar](repeating: 0, count: 256)
    guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
    return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
