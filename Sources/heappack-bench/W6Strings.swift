import Foundation

let w6Count = 100_000

func makeW6Strings() -> [String] {
    let tail = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return (0..<w6Count).map { i in
        let full = String(format: "%08d-", i) + tail
        return String(decoding: full.utf8.prefix(40 + i % 21), as: UTF8.self)
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
