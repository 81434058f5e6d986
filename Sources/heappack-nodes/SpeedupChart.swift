import Foundation

/// Speedup against the sequential program per number of workers, one line per variant beside
/// the ideal (speedup = workers), as an SVG file.
struct SpeedupChart {
    let title: String
    let sequential: Duration
    let points: [Sweep.Point]
    let maxWorkers: Int

    private static let colours = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"]
    private let width = 640.0, height = 420.0
    private let left = 60.0, right = 170.0, top = 40.0, bottom = 50.0

    func write(to path: String) throws {
        try svg.write(toFile: path, atomically: true, encoding: .utf8)
    }

    var svg: String {
        let variants = points.reduce(into: [String]()) { names, point in
            if !names.contains(point.variant) { names.append(point.variant) }
        }
        let speedups = points.map { sequential / $0.median.wall }
        let top = max(Double(maxWorkers), (speedups.max() ?? 1).rounded(.up))
        let plotWidth = width - left - right, plotHeight = height - self.top - bottom
        func x(_ workers: Double) -> Double { left + plotWidth * workers / Double(maxWorkers) }
        func y(_ speedup: Double) -> Double { self.top + plotHeight * (1 - speedup / top) }

        var svg = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" font-family="sans-serif" font-size="12">
            <rect width="100%" height="100%" fill="white"/>
            <text x="\(left)" y="22" font-size="14">\(Self.escaped(title))</text>

            """
        svg += line(x(0), y(0), x(Double(maxWorkers)), y(0), stroke: "black")
        svg += line(x(0), y(0), x(0), y(top), stroke: "black")
        for workers in 0...maxWorkers {
            svg += text(x(Double(workers)), y(0) + 18, "\(workers)", anchor: "middle")
        }
        let step = max(1, Int((top / 8).rounded(.up)))
        for speedup in stride(from: 0, through: Int(top), by: step) {
            svg += text(x(0) - 8, y(Double(speedup)) + 4, "\(speedup)", anchor: "end")
            svg += line(x(0), y(Double(speedup)), x(Double(maxWorkers)), y(Double(speedup)), stroke: "#e0e0e0")
        }
        svg += text(left + plotWidth / 2, height - 12, "workers", anchor: "middle")
        svg += text(16, self.top + plotHeight / 2, "speedup", anchor: "middle", rotate: true)

        svg += line(x(0), y(0), x(Double(maxWorkers)), y(Double(maxWorkers)), stroke: "#999999", dashed: true)
        svg += legend(index: 0, label: "ideal", colour: "#999999", dashed: true)
        for (index, variant) in variants.enumerated() {
            let colour = Self.colours[index % Self.colours.count]
            let own = points.filter { $0.variant == variant }.sorted { $0.workers < $1.workers }
            let coordinates = own.map { "\(x(Double($0.workers))),\(y(sequential / $0.median.wall))" }
            svg += "<polyline fill=\"none\" stroke=\"\(colour)\" stroke-width=\"2\" points=\"\(coordinates.joined(separator: " "))\"/>\n"
            for point in own {
                svg += "<circle cx=\"\(x(Double(point.workers)))\" cy=\"\(y(sequential / point.median.wall))\" r=\"3\" fill=\"\(colour)\"/>\n"
            }
            svg += legend(index: index + 1, label: variant, colour: colour, dashed: false)
        }
        return svg + "</svg>\n"
    }

    private func legend(index: Int, label: String, colour: String, dashed: Bool) -> String {
        let y = top + 10 + Double(index) * 20, x = width - right + 20
        return line(x, y, x + 24, y, stroke: colour, dashed: dashed, width: 2) + text(x + 30, y + 4, label, anchor: "start")
    }

    private func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, stroke: String, dashed: Bool = false, width: Double = 1) -> String {
        "<line x1=\"\(x1)\" y1=\"\(y1)\" x2=\"\(x2)\" y2=\"\(y2)\" stroke=\"\(stroke)\" stroke-width=\"\(width)\"\(dashed ? " stroke-dasharray=\"6 4\"" : "")/>\n"
    }

    private func text(_ x: Double, _ y: Double, _ content: String, anchor: String, rotate: Bool = false) -> String {
        let transform = rotate ? " transform=\"rotate(-90 \(x) \(y))\"" : ""
        return "<text x=\"\(x)\" y=\"\(y)\" text-anchor=\"\(anchor)\"\(transform)>\(Self.escaped(content))</text>\n"
    }

    private static func escaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}
