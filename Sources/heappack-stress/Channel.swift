import Glibc

/// Length-prefixed frames over a pair of file descriptors: the pipes between the parent and its
/// child. Raw reads and writes rather than FileHandle, whose reads may return short.
struct Channel {
    let input: Int32
    let output: Int32

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// A sanity bound on a frame's length: a garbled length fails instead of allocating.
    static let largestFrame = 256 << 20

    func send(_ payload: [UInt8]) throws(Failure) {
        let frame = (0..<4).map { UInt8(truncatingIfNeeded: payload.count >> ($0 * 8)) } + payload
        if let failure = frame.withUnsafeBytes(write) { throw failure }
    }

    /// The next frame, or nil if the other side closed its end between two frames.
    func receive() throws(Failure) -> [UInt8]? {
        var header = [UInt8](repeating: 0, count: 4)
        guard try read(into: &header, allowingEnd: true) else { return nil }
        let length = header.reversed().reduce(0) { $0 << 8 | Int($1) }
        guard length <= Self.largestFrame else { throw Failure(description: "frame of \(length) bytes") }
        var payload = [UInt8](repeating: 0, count: length)
        _ = try read(into: &payload, allowingEnd: false)
        return payload
    }

    /// Writes all of `bytes`; the failure if it could not.
    private func write(_ bytes: UnsafeRawBufferPointer) -> Failure? {
        var done = 0
        while done < bytes.count {
            let written = Glibc.write(output, bytes.baseAddress! + done, bytes.count - done)
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { return Failure(description: "write failed: \(String(cString: strerror(errno)))") }
            done += written
        }
        return nil
    }

    /// Fills `buffer`; false if the input ended before its first byte and `allowingEnd`.
    private func read(into buffer: inout [UInt8], allowingEnd: Bool) throws(Failure) -> Bool {
        var done = 0
        while done < buffer.count {
            let count = buffer.count
            let got = buffer.withUnsafeMutableBytes { Glibc.read(input, $0.baseAddress! + done, count - done) }
            if got < 0 && errno == EINTR { continue }
            guard got >= 0 else { throw Failure(description: "read failed: \(String(cString: strerror(errno)))") }
            if got == 0 {
                if done == 0 && allowingEnd { return false }
                throw Failure(description: "the other side closed its end inside a frame")
            }
            done += got
        }
        return true
    }
}
