import Glibc

/// Reads the report a worker's fatal-signal handler wrote (CSupport/CHeapPackCluster/crash.c)
/// and names its frames. The handler writes raw symbol names, since demangling allocates; this
/// process demangles them, with the Swift runtime's own demangler.
enum _CrashReport {
    /// One line per frame, `name + 0xoffset`, innermost first, stopping at the end of the report
    /// (a report cut short by the worker's death keeps the frames it has).
    static func frames(_ report: [UInt8]) -> [String] {
        let frames = allFrames(report)
        // Below the task's own frames lie the worker loop's and the runtime's, the same in every
        // report: the first frame of HeapPackCluster's job machinery ends the useful part.
        guard let loop = frames.firstIndex(where: { $0.contains("HeapPackCluster.") }), loop > 0 else { return frames }
        return frames[..<loop] + ["... \(frames.count - loop) frames of HeapPackCluster's worker loop"]
    }

    private static func allFrames(_ report: [UInt8]) -> [String] {
        var frames: [String] = []
        for line in String(decoding: report, as: UTF8.self).split(separator: "\n") {
            guard line.hasPrefix("frame ") else { continue }
            let fields = line.dropFirst("frame ".count).split(separator: " ", maxSplits: 1)
            guard fields.count == 2, fields[1] != "?" else {
                frames.append(String(fields.first ?? "?"))
                continue
            }
            let symbol = fields[1]
            if let plus = symbol.lastIndex(of: "+") {
                frames.append("\(_demangled(String(symbol[..<plus]))) + \(symbol[symbol.index(after: plus)...])")
            } else {
                frames.append(_demangled(String(symbol)))
            }
        }
        return frames
    }
}

@_silgen_name("swift_demangle")
private func _swift_demangle(_ mangled: UnsafePointer<CChar>?, _ length: Int, _ output: UnsafeMutablePointer<CChar>?,
                             _ outputLength: UnsafeMutablePointer<Int>?, _ flags: UInt32) -> UnsafeMutablePointer<CChar>?

/// A Swift symbol's readable name; other names (C's) as they are.
func _demangled(_ name: String) -> String {
    guard name.hasPrefix("$s") || name.hasPrefix("_$s") else { return name }
    let utf8 = Array(name.utf8CString)
    guard let result = utf8.withUnsafeBufferPointer({ _swift_demangle($0.baseAddress, $0.count - 1, nil, nil, 0) }) else {
        return name
    }
    defer { free(result) }
    return String(cString: result)
}
