import Foundation

func grouped(_ value: Int) -> String {
    let digits = String(value.magnitude)
    var out = ""
    for (index, character) in digits.enumerated() {
        if index > 0 && (digits.count - index) % 3 == 0 { out.append(",") }
        out.append(character)
    }
    return value < 0 ? "-" + out : out
}

func fixed(_ value: Double, _ decimals: Int) -> String {
    String(format: "%.\(decimals)f", value)
}

func milliseconds(_ nanos: Double) -> String { fixed(nanos / 1e6, 3) }

/// Megabytes (10^6 bytes) per second.
func megabytesPerSecond(bytes: Int, nanos: Double) -> Double { Double(bytes) / nanos * 1e3 }

/// Millions of objects per second.
func megaObjectsPerSecond(objects: Int, nanos: Double) -> Double { Double(objects) / nanos * 1e3 }

/// About three significant digits, so ratios far below 1 (HeapPack against JSON) stay readable.
func ratio(_ value: Double) -> String {
    let decimals = value >= 100 ? 0 : value >= 10 ? 1 : value >= 0.1 ? 2 : value >= 0.01 ? 3 : 4
    return fixed(value, decimals) + "x"
}

func padLeft(_ text: String, _ width: Int) -> String {
    text.count >= width ? text : String(repeating: " ", count: width - text.count) + text
}

func padRight(_ text: String, _ width: Int) -> String {
    text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
}

/// A value for a `RESULT` line: bare when it has no spaces or quotes, quoted otherwise.
func resultValue(_ text: String) -> String {
    if !text.isEmpty && !text.contains(where: { $0 == " " || $0 == "\"" || $0 == "=" }) { return text }
    return "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
}

/// fflush(NULL) flushes stdout without touching the C global, which Swift 6 treats as shared
/// mutable state. Needed so progress shows when stdout is a pipe.
func flushOutput() { fflush(nil) }
