import Glibc

/// The last lines a worker wrote, cut from the bytes of its output pipe as they arrive. Keeps
/// a bounded number, so a chatty worker costs bounded memory; optionally forwards each line to
/// this process's standard error with the worker's rank in front.
struct _OutputRing {
    let capacity: Int
    let forwardPrefix: String?
    private(set) var lines: [String] = []
    private var partial: [UInt8] = []
    /// A line longer than this is cut: a worker that writes without newlines still costs bounded memory.
    private let longestLine = 4096

    init(capacity: Int, forwardPrefix: String?) {
        self.capacity = max(capacity, 0)
        self.forwardPrefix = forwardPrefix
    }

    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        for byte in bytes {
            if byte == UInt8(ascii: "\n") {
                finishLine()
            } else if partial.count < longestLine {
                partial.append(byte)
            }
        }
    }

    /// The worker's output ended: its unterminated last line counts too.
    mutating func close() {
        if !partial.isEmpty { finishLine() }
    }

    private mutating func finishLine() {
        let line = String(decoding: partial, as: UTF8.self)
        partial.removeAll(keepingCapacity: true)
        if let forwardPrefix { _writeToStandardError(forwardPrefix + line + "\n") }
        guard capacity > 0, !Self.isRuntimeStackFrame(line) else { return }
        if lines.count == capacity { lines.removeFirst() }
        lines.append(line)
    }
}

extension _OutputRing {
    /// A line of the stack the Swift runtime prints after a fatal error when its backtracer is
    /// off (`3    libswiftCore.so    0x00007f05ba8f9280 _assertionFailure(...) + 221`). The
    /// crash report names the same frames better, and a deep stack would push the error's
    /// message out of the ring: such lines are forwarded but not kept.
    static func isRuntimeStackFrame(_ line: String) -> Bool {
        if line == "Current stack trace:" { return true }
        let fields = line.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: true)
        return fields.count == 4 && fields[0].allSatisfy(\.isNumber) && fields[2].hasPrefix("0x")
    }
}

func _writeToStandardError(_ text: String) {
    var bytes = Array(text.utf8)
    var done = 0
    while done < bytes.count {
        let written = bytes.withUnsafeMutableBytes { Glibc.write(2, $0.baseAddress! + done, $0.count - done) }
        if written < 0 && errno == EINTR { continue }
        if written <= 0 { return }
        done += written
    }
    bytes.removeAll()
}
