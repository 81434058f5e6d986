import Foundation

/// What a child process left behind. Its description shows all of it, for expectation messages:
/// a sanitizer's report is on standard error.
struct ChildRun: CustomStringConvertible {
    let status: Int32
    let output: String
    let error: String

    var description: String { "exit status \(status)\nstandard output:\n\(output)\nstandard error:\n\(error)" }
}

/// Runs `executable` to its end and returns its exit status, standard output and standard error.
/// Outputs here are small: reading one pipe to its end cannot block the other's writer for long.
func runChild(_ executable: URL, _ arguments: [String], in directory: URL? = nil,
              environment: [String: String]? = nil) throws -> ChildRun {
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = directory }
    if let environment { process.environment = environment }
    let output = Pipe(), error = Pipe()
    process.standardOutput = output
    process.standardError = error
    try process.run()
    let outputData = output.fileHandleForReading.readDataToEndOfFile()
    let errorData = error.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return ChildRun(status: process.terminationStatus, output: String(decoding: outputData, as: UTF8.self),
                    error: String(decoding: errorData, as: UTF8.self))
}

/// An executable built beside this test binary, in the same configuration.
func sibling(_ name: String) -> URL {
    URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
        .appendingPathComponent(name)
}
