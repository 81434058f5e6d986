// The coordinator of one cluster test scenario, and (started again by its cluster) its workers:
// closures travel only between processes of one binary, so the tests run this executable and
// read what it prints, `key=value` lines. `heappack-cluster-check SCENARIO`; see Scenarios.swift.
import Foundation
import HeapPackCluster

Cluster.serveIfWorker()

let arguments = CommandLine.arguments
guard arguments.count >= 2, let scenario = Scenario.all[arguments[1]] else {
    FileHandle.standardError.write(Data("usage: heappack-cluster-check \(Scenario.all.keys.sorted().joined(separator: "|")) [arguments]\n".utf8))
    exit(64)
}
do {
    try await scenario(Array(arguments.dropFirst(2)))
    report("done", true)
} catch {
    report("unexpected", error)
    exit(1)
}
