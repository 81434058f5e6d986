#if MPI
import Foundation
import Testing

/// Cluster.mpi() and SPMDCluster under a real `mpiexec` of Open MPI: each test starts a job of
/// `heappack-mpi-check` (Tests/MPICheck) and reads the `key=value` lines its rank 0 prints.
/// Built only with the MPI trait (`swift test --traits MPI`, which scripts/test.sh runs).
// One job at a time: five concurrent mpiexecs on two cores race in Open MPI's own error
// reporting (its help text is sometimes lost), and jobs finish in seconds anyway.
@Suite("MPI", .serialized)
struct MPITests {
    /// Every job ends by itself well before this; mpiexec kills one that does not, with a status
    /// no scenario uses, so a hang fails the test instead of stalling the suite.
    static let jobLimitSeconds = 120

    struct Job {
        let run: ChildRun
        let values: [String: String]

        subscript(_ key: String) -> String? { values[key] }

        /// `mpiexec` with `apps` as its colon-separated application contexts: (ranks, executable, arguments).
        init(_ apps: [(ranks: Int, executable: String, arguments: [String])]) throws {
            var environment = ProcessInfo.processInfo.environment
            // CI runs as root; 2 cores run 3 ranks; TCP between ranks, as across machines.
            environment["OMPI_ALLOW_RUN_AS_ROOT"] = "1"
            environment["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1"
            environment["OMPI_MCA_rmaps_base_oversubscribe"] = "true"
            environment["OMPI_MCA_btl"] = "tcp,self"
            environment["MPIEXEC_TIMEOUT"] = String(MPITests.jobLimitSeconds)
            environment["SWIFT_BACKTRACE"] = "enable=no"
            var arguments: [String] = []
            for (index, app) in apps.enumerated() {
                if index > 0 { arguments.append(":") }
                arguments += ["-n", String(app.ranks), sibling(app.executable).path] + app.arguments
            }
            run = try runChild(URL(fileURLWithPath: "/usr/bin/mpiexec"), arguments, environment: environment)
            var values: [String: String] = [:]
            for line in run.output.split(separator: "\n") {
                guard let equals = line.firstIndex(of: "=") else { continue }
                values[String(line[..<equals])] = String(line[line.index(after: equals)...])
            }
            self.values = values
        }

        init(ranks: Int = 3, _ scenario: String) throws {
            try self.init([(ranks, "heappack-mpi-check", [scenario])])
        }
    }

    @Test("run, map, mapUnordered, errors and progress over 3 ranks, as in the local cluster, with frames in 4 KiB pieces")
    func runAndMap() throws {
        let job = try Job("cluster")
        #expect(job.run.status == 0, "\(job.run)")
        #expect(job["done"] == "true")
        #expect(job["workers"]?.split(separator: ",").map { $0.prefix(while: { $0 != "@" }) } == ["1", "2"])
        #expect(job["run.sum"] == "500500", "the worker's copy of a 1000-node ring")
        #expect(job["run.payload"] == "5000050000", "a captured 800 KB array, in about 200 pieces each way")
        #expect(job["run.remote"] == "true")
        let bases = job["run.bases"]?.split(separator: " ") ?? []
        #expect(bases.count == 2 && bases[0] != bases[1], "rank 0's and the worker's image bases differ: \(bases)")
        #expect(job["map.values"] == "true")
        #expect(job["unordered.indices"] == "true")
        #expect(job["map.ranks"] == "1,2", "tasks ran on both worker ranks")
        #expect(job["remote.code"] == "remoteError")
        #expect(job["remote.type"] == "heappack_mpi_check.CheckError")
        #expect(job["remote.value"] == "refused(limit: 7)", "the thrown error itself, rebuilt on rank 0")
        #expect(job["refused.code"] == "notTransferable")
        #expect(job["progress.finished"] == "6")
    }

    @Test("send, receive and broadcast carry closures and class graphs between ranks")
    func sendReceiveBroadcast() throws {
        let job = try Job("spmd")
        #expect(job.run.status == 0, "\(job.run)")
        #expect(job["done"] == "true")
        // rank × 3 + the sum of a 500-node ring, then the ring itself sent on its own.
        #expect(job["spmd.answers"] == "125253/125250,125256/125250")
        for rank in 1...2 {
            let bases = job["spmd.base.\(rank)"]?.split(separator: " ") ?? []
            #expect(bases.count == 2 && bases[0] != bases[1], "rank \(rank): \(bases)")
        }
        #expect(job["spmd.broadcast"] == "399999", "a closure over a 1.6 MB array, broadcast in 4 KiB pieces")
        #expect(job["spmd.total"] == "0")
    }

    @Test("a task that crashes its worker aborts the job with the rank, the task and the backtrace")
    func crashAborts() throws {
        let job = try Job("crash")
        #expect(job["started"] == "true")
        #expect(job["unreachable"] == nil)
        // 70 is HeapPackCluster's MPI_Abort for a lost worker; mpiexec's timeout would give another.
        #expect(job.run.status == 70, "\(job.run)")
        #expect(job.run.error.contains("failed while running task 2"), "\(job.run.error)")
        #expect(job.run.error.contains("signal 11 (SIGSEGV)"))
        #expect(job.run.error.contains("heappack_mpi_check.crashingStep"), "the crashed worker's backtrace")
    }

    @Test("the watchdog aborts a job in which no task ends")
    func watchdogAborts() throws {
        let job = try Job("hang")
        #expect(job["started"] == "true")
        #expect(job.run.status == 71, "the watchdog's MPI_Abort: \(job.run)")
        #expect(job.run.error.contains("no task ended for 2.0 seconds (the watchdog)"), "\(job.run.error)")
        #expect(job.run.error.contains("1 running:\n  task - on rank "))
    }

    @Test("a rank that runs another binary aborts the job at start, named with its host")
    func foreignBinary() throws {
        let job = try Job([(2, "heappack-mpi-check", ["cluster"]), (1, "heappack-cluster-foreign", [])])
        #expect(job.run.status == 65, "\(job.run)")
        #expect(job["workers"] == nil, "nothing ran")
        let host = ProcessInfo.processInfo.hostName
        #expect(job.run.error.contains("rank 2 on host \(host) runs another binary"), "\(job.run.error)")
        #expect(job.run.error.contains("its main executable has build-id"))
    }
}
#endif
