let w6Count = 100_000

/// Writes each string's bytes straight into its storage: the first `40 + i % 21` bytes of
/// `String(format: "%08d-", i) + "abc…XYZ"`, as WORKLOADS.md defines them, without the formatter.
/// Foundation's formatter took about 2.5 µs a string, over 95% of the native-construction
/// baseline, which would have made any unpack look cheap; the check value confirms the bytes.
func makeW6Strings() -> [String] {
    let template = Array("00000000-abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ".utf8)
    return (0..<w6Count).map { i in
        let length = 40 + i % 21
        return String(unsafeUninitializedCapacity: length) { buffer in
            _ = buffer.initialize(from: template[..<length])
            var rest = i
            for position in stride(from: 7, through: 0, by: -1) {
                buffer[position] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
            }
            return length
        }
    }
}

/// `[total bytes, sum of all byte values]`.
func w6Check(_ strings: [String]) -> [Int] {
    var total = 0
    var byteSum = 0
    for string in strings {
        for byte in string.utf8 {
            total += 1
            byteSum += Int(byte)
        }
    }
    return [total, byteSum]
}

let w6Expected = [4_999_981, 418_181_969]

func buildW6Strings() -> () -> [Int] {
    let strings = makeW6Strings()
    return { w6Check(strings) }
}

let w6Strings = Workload(id: "W6", title: "strings: [String] of 100,000, 40..60 UTF-8 bytes each; returns [bytes, byte sum]",
                         objects: w6Count, objectNoun: "strings") {
    try Prepared(
        build: buildW6Strings, check: w6Expected,
        baselines: codableBaselines(makeW6Strings()) { w6Check($0) == w6Expected },
        notes: ["JSON/plist data-only form: the [String] itself"])
}
