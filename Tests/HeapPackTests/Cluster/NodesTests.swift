import Foundation
import Testing

/// `heappack-nodes`: its experiments compute the known answers on real worker processes, and it
/// writes the table and the chart it promises. Speed is the benchmark's business, not a test's.
@Suite("heappack-nodes")
struct NodesTests {
    struct Sweep {
        let run: ChildRun
        let chart: String
        /// Table rows, as (variant, workers) of each.
        let rows: [(variant: String, workers: Int)]

        init(_ arguments: [String]) throws {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("heappack-nodes-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            run = try runChild(sibling("heappack-nodes"), arguments + ["--workers", "2", "--runs", "1", "--chart", "chart.svg"],
                               in: directory)
            chart = (try? String(contentsOf: directory.appendingPathComponent("chart.svg"), encoding: .utf8)) ?? ""
            let lines = run.output.split(separator: "\n")
            let header = lines.firstIndex { $0.hasPrefix("variant") }.map { $0 + 1 } ?? lines.endIndex
            rows = lines[header...].prefix { !$0.hasPrefix("chart:") }.compactMap { line in
                let cells = line.split(separator: "  ", omittingEmptySubsequences: true).map { $0.trimmingCharacters(in: .whitespaces) }
                guard cells.count >= 2, let workers = Int(cells[1]) else { return nil }
                return (cells[0], workers)
            }
        }
    }

    @Test("sumeuler: Σφ(1...1000) = 304192 sequentially and chunked and sliced on 1 and 2 workers")
    func sumEuler() throws {
        let sweep = try Sweep(["sumeuler", "--upper", "1000", "--chunk", "50"])
        #expect(sweep.run.status == 0, "\(sweep.run)")
        #expect(sweep.run.output.contains("sequential: result 304192,"), "\(sweep.run)")
        #expect(sweep.rows.map { "\($0.variant) \($0.workers)" } == ["chunked 1", "sliced 1", "chunked 2", "sliced 2"], "\(sweep.run)")
        #expect(sweep.chart.hasPrefix("<svg"))
        #expect(sweep.chart.components(separatedBy: "<polyline").count - 1 == 2, "one line per variant")
    }

    @Test("nqueens: 8 queens have 92 solutions, however the board is divided")
    func nQueens() throws {
        let sweep = try Sweep(["nqueens", "-n", "8", "--threshold", "2", "--chunk", "3"])
        #expect(sweep.run.status == 0, "\(sweep.run)")
        #expect(sweep.run.output.contains("sequential: result 92,"), "\(sweep.run)")
        #expect(sweep.rows.count == 2, "\(sweep.run)")
    }

    @Test("parmap: walks over a captured class graph give the sequential program's total")
    func parMap() throws {
        let sweep = try Sweep(["parmap", "--junctions", "500", "--inputs", "6", "--steps", "1000", "--chunk", "4"])
        #expect(sweep.run.status == 0, "\(sweep.run)")
        #expect(sweep.rows.map(\.variant) == ["chunk 1", "chunk 4", "chunk 1", "chunk 4"], "\(sweep.run)")
    }
}
