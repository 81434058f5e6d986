import Foundation
/// The sweep's table: one row per variant and number of workers.
struct SpeedupTable {
    let sequential: Duration
    let points: [Sweep.Point]

    var text: String {
        let header = ["variant", "workers", "wall", "× sequential", "× 1 worker", "pack", "unpack", "transport", "tasks", "sent"]
        var rows = [header]
        for point in points {
            let one = points.first { $0.variant == point.variant && $0.workers == 1 }
            let median = point.median
            func percent(_ part: Duration) -> String { String(format: "%.2f%%", median.share(part, workers: point.workers)) }
            rows.append([
                point.variant, "\(point.workers)", Sweep.seconds(median.wall),
                String(format: "%.2f", sequential / median.wall),
                one.map { String(format: "%.2f", $0.median.wall / median.wall) } ?? "-",
                percent(median.pack), percent(median.unpack), percent(median.transport),
                "\(median.tasks)", Self.bytes(median.bytesSent),
            ])
        }
        let widths = header.indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            row.indices.map { column in
                let padding = String(repeating: " ", count: widths[column] - row[column].count)
                return column == 0 ? row[column] + padding : padding + row[column]
            }.joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
    }

    static func bytes(_ count: Int) -> String {
        count >= 10 << 20 ? "\(count >> 20) MiB" : count >= 10 << 10 ? "\(count >> 10) KiB" : "\(count) B"
    }
}
