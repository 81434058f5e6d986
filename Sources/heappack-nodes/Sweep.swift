import Foundation
import ArgumentParser
import HeapPackCluster

/// An experiment timed sequentially and on 1, 2, ... N workers: the table and the chart.
struct Sweep {
    let experiment: String
    /// What the experiment computes, for the report's first line.
    let title: String
    /// The computation in this process, without a cluster: the baseline every speedup divides.
    let sequential: () -> Int
    let variants: [Variant]
    let options: SweepOptions

    struct Point {
        let variant: String
        let workers: Int
        let median: Measurement
    }

    func run() async throws {
        let clock = ContinuousClock()
        print("heappack-nodes \(experiment): \(title)")
        let clusterOptions = ClusterOptions(progressLine: options.progress ? .automatic : .never, printsSummary: options.summary)
        // Under MPI the job's ranks are the workers; the cluster starts before the sequential
        // run, so that rank 0's build-id check and key broadcast come first.
        var mpiCluster: Cluster?
        if options.mpi {
            #if MPI
            let cluster = try await Cluster.mpi(options: clusterOptions)
            print("MPI job: rank 0 (coordinator) on \(ProcessInfo.processInfo.hostName); "
                  + cluster.workers.map { "rank \($0.rank) on \($0.host)" }.joined(separator: ", "))
            mpiCluster = cluster
            print("\(options.runs) runs per point, median shown")
            #endif
        } else {
            print("\(options.runs) runs per point, median shown; up to \(options.maxWorkers) workers on \(Cluster.defaultWorkerCount) processors")
        }

        var sequentialTimes: [Duration] = []
        var expected = 0
        for _ in 0..<options.runs {
            let start = clock.now
            expected = sequential()
            sequentialTimes.append(clock.now - start)
        }
        let sequentialMedian = sequentialTimes.sorted()[sequentialTimes.count / 2]
        print("sequential: result \(expected), \(Self.seconds(sequentialMedian))")

        var points: [Point] = []
        let counts = mpiCluster.map { [$0.workers.count] } ?? Array(1...options.maxWorkers)
        for workers in counts {
            let cluster: Cluster
            if let mpiCluster {
                cluster = mpiCluster
            } else {
                cluster = try await Cluster.local(workers: workers, options: clusterOptions)
            }
            for variant in variants {
                var measurements: [Measurement] = []
                for _ in 0..<options.runs {
                    let before = cluster.summary
                    let start = clock.now
                    let result = try await variant.parallel(cluster)
                    let wall = clock.now - start
                    guard result == expected else {
                        await cluster.shutdown()
                        throw ValidationError("\(variant.name) on \(workers) workers computed \(result), the sequential program \(expected)")
                    }
                    measurements.append(Measurement(wall: wall, before: before, after: cluster.summary))
                }
                points.append(Point(variant: variant.name, workers: workers, median: measurements.median!))
            }
            await cluster.shutdown()
        }

        print(SpeedupTable(sequential: sequentialMedian, points: points).text, terminator: "")
        let chartPath = options.chart ?? "heappack-nodes-\(experiment).svg"
        try SpeedupChart(title: "heappack-nodes \(experiment): speedup against the sequential program",
                         sequential: sequentialMedian, points: points, maxWorkers: counts.max() ?? 1).write(to: chartPath)
        print("chart: \(chartPath)")
    }

    static func seconds(_ duration: Duration) -> String {
        let value = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        return value >= 10 ? String(format: "%.1f s", value) : value >= 0.1 ? String(format: "%.2f s", value) : String(format: "%.1f ms", value * 1000)
    }
}
