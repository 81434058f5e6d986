import Foundation

/// A second process of this executable, started with `--child`, and the channel to it. Its
/// standard error is this process's, so that a sanitizer's report in the child shows.
final class ChildProcess {
    private let process = Process()
    private let toChild = Pipe(), fromChild = Pipe()
    let channel: Channel

    init() throws {
        // A child that dies makes writes to it fail with EPIPE, which must be an error here
        // rather than a signal that ends the parent.
        signal(SIGPIPE, SIG_IGN)
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        process.arguments = ["--child"]
        process.standardInput = toChild
        process.standardOutput = fromChild
        try process.run()
        channel = Channel(input: fromChild.fileHandleForReading.fileDescriptor,
                          output: toChild.fileHandleForWriting.fileDescriptor)
    }

    /// Closes the child's input, reads its last report and waits for it to exit.
    func finish() -> (lastReport: [UInt8]?, status: Int32) {
        try? toChild.fileHandleForWriting.close()
        let lastReport = try? channel.receive()
        process.waitUntilExit()
        return (lastReport ?? nil, process.terminationStatus)
    }
}
