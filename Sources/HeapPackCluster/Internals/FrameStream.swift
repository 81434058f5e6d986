import Glibc

/// Frames over a stream socket: an 8-byte little-endian length, then that many bytes. The
/// length is 64 bits because a packet can exceed 4 GiB. A frame is written and read in as
/// many calls as it takes (a stream socket moves bytes, not messages), and a reader grows its
/// buffer as bytes arrive, so a corrupt length costs no more memory than the bytes really sent.
struct _FrameStream: Sendable {
    let descriptor: Int32
    let maxFrameBytes: Int

    static let headerSize = 8

    /// Writes one frame. `MSG_NOSIGNAL`: a peer that died is an error here, not a SIGPIPE.
    func write(_ payload: [UInt8]) throws(ClusterError) {
        var header = [UInt8](repeating: 0, count: Self.headerSize)
        var length = UInt64(payload.count)
        for index in 0..<Self.headerSize {
            header[index] = UInt8(truncatingIfNeeded: length)
            length >>= 8
        }
        try writeAll(header)
        try writeAll(payload)
    }

    private func writeAll(_ bytes: [UInt8]) throws(ClusterError) {
        var done = 0
        while done < bytes.count {
            let written = bytes.withUnsafeBytes { buffer in
                send(descriptor, buffer.baseAddress! + done, buffer.count - done, Int32(MSG_NOSIGNAL))
            }
            if written < 0 {
                if errno == EINTR { continue }
                throw _transportError("could not send a frame", errno: errno)
            }
            done += written
        }
    }

    /// Reads one frame; nil if the peer closed the stream between frames.
    func read() throws(ClusterError) -> [UInt8]? {
        var header = [UInt8](repeating: 0, count: Self.headerSize)
        let headerBytes = try readAll(into: &header, from: 0)
        if headerBytes == 0 { return nil }
        guard headerBytes == Self.headerSize else { throw _transportError("the stream ended inside a frame's length") }
        var length: UInt64 = 0
        for index in (0..<Self.headerSize).reversed() { length = length << 8 | UInt64(header[index]) }
        guard length <= UInt64(maxFrameBytes) else {
            throw _transportError("a frame of \(length) bytes exceeds the limit of \(maxFrameBytes) (ClusterOptions.maxFrameBytes)")
        }
        var payload: [UInt8] = []
        let chunk = 1 << 20
        while payload.count < Int(length) {
            let start = payload.count
            payload.append(contentsOf: [UInt8](repeating: 0, count: min(chunk, Int(length) - start)))
            let got = try readAll(into: &payload, from: start)
            guard start + got == payload.count else { throw _transportError("the stream ended inside a frame") }
        }
        return payload
    }

    /// Fills `buffer[start...]`; returns how many bytes it got (fewer only at the end of the stream).
    private func readAll(into buffer: inout [UInt8], from start: Int) throws(ClusterError) -> Int {
        var done = start
        while done < buffer.count {
            let got = buffer.withUnsafeMutableBytes { bytes in
                recv(descriptor, bytes.baseAddress! + done, bytes.count - done, 0)
            }
            if got < 0 {
                if errno == EINTR { continue }
                throw _transportError("could not receive a frame", errno: errno)
            }
            if got == 0 { break }
            done += got
        }
        return done - start
    }
}

func _transportError(_ message: String, errno code: Int32? = nil) -> ClusterError {
    var text = message
    if let code { text += ": " + String(cString: strerror(code)) }
    return ClusterError(code: .transport, message: text)
}
