import HeapPackTestSupport

/// A random value's canonical rendering (`Describer`: node ids in visit order, so sharing,
/// cycles and weak links show; closures called; keys sorted). Two values render alike exactly
/// when they are the same graph with the same contents and behaviour. Its digest is what the
/// child process reports back in place of the whole text.
struct Rendering: Equatable {
    let text: String

    init(of value: RandomValue) {
        var describer = Describer()
        text = describer.describe(value.tree)
    }

    /// FNV-1a, 64 bits.
    var digest: UInt64 {
        text.utf8.reduce(0xCBF2_9CE4_8422_2325) { hash, byte in (hash ^ UInt64(byte)) &* 0x100_0000_01B3 }
    }

    /// Where `other` first differs from this rendering, with a little of each around it: the
    /// whole texts can run to kilobytes.
    func difference(from other: Rendering) -> String {
        let common = zip(text.utf8, other.text.utf8).prefix { $0 == $1 }.count
        func excerpt(_ text: String) -> String {
            let bytes = Array(text.utf8)
            let start = max(0, common - 40), end = min(bytes.count, common + 80)
            return String(decoding: bytes[start..<end], as: UTF8.self)
        }
        return "renderings differ at byte \(common): original …\(excerpt(text))… copy …\(excerpt(other.text))…"
    }
}
