import CHeapPack

/// Reads and rewrites real packets the way an attacker or a bad disk would, for tests that must
/// reach one particular check: where each header field and section sits (docs/FORMAT.md), and
/// body replacements that keep the header consistent.
struct PacketLayout {
    struct Image {
        let buildIDOffset: Int
        let buildIDLength: Int
        let name: String
    }

    let headerLength: Int
    let imageCountOffset = 32
    let images: [Image]
    let rootNameOffset: Int
    let rootNameLength: Int
    let typeCountOffset: Int
    let typeCount: Int
    /// The kind byte of type-table entry 0 (when there is one).
    let firstTypeKindOffset: Int

    init(_ packet: [UInt8]) {
        headerLength = Int(packet[8]) | Int(packet[9]) << 8 | Int(packet[10]) << 16 | Int(packet[11]) << 24
        var offset = imageCountOffset
        func varint() -> Int {
            var value = 0, shift = 0
            while true {
                let byte = packet[offset]
                offset += 1
                value |= Int(byte & 0x7F) << shift
                if byte & 0x80 == 0 { return value }
                shift += 7
            }
        }
        var images: [Image] = []
        for _ in 0..<varint() {
            let buildIDLength = varint()
            let buildIDOffset = offset
            offset += buildIDLength
            let nameLength = varint()
            images.append(Image(buildIDOffset: buildIDOffset, buildIDLength: buildIDLength,
                                name: String(decoding: packet[offset..<(offset + nameLength)], as: UTF8.self)))
            offset += nameLength
        }
        self.images = images
        rootNameLength = varint()
        rootNameOffset = offset
        offset += rootNameLength
        typeCountOffset = offset
        typeCount = varint()
        firstTypeKindOffset = offset
    }
}

/// The header length a packet's fixed part announces: where its body starts.
func headerLength(_ packet: [UInt8]) -> Int { PacketLayout(packet).headerLength }

/// Sets the header's 8-byte body length (offset 16) to `length`.
func settingBodyLength(_ packet: [UInt8], _ length: Int) -> [UInt8] {
    var patched = packet
    for i in 0..<8 { patched[16 + i] = UInt8(truncatingIfNeeded: UInt64(length) >> (8 * UInt64(i))) }
    return patched
}

/// Keeps the first `count` bytes and patches the body length to match, so the header check
/// passes and the body decoder itself has to notice the missing bytes.
func cutBody(_ packet: [UInt8], keeping count: Int) -> [UInt8] {
    settingBodyLength(Array(packet.prefix(count)), count - headerLength(packet))
}

/// Replaces the body and fixes its length; the checksum is then off, so unpacks of the result
/// skip it to reach the decoder.
func withBody(_ packet: [UInt8], _ body: [UInt8]) -> [UInt8] {
    settingBodyLength(Array(packet.prefix(headerLength(packet))) + body, body.count)
}

/// LEB128, as the format writes counts.
func varint(_ value: UInt64) -> [UInt8] {
    var v = value
    var bytes: [UInt8] = []
    while v >= 0x80 { bytes.append(UInt8(truncatingIfNeeded: v) | 0x80); v >>= 7 }
    return bytes + [UInt8(v)]
}

/// The packet with its checksum recomputed (docs/FORMAT.md: a seeded hash of bytes 0..<24, then
/// of bytes 32..<end), as anyone can: a forged packet then passes the default options, and only
/// the body reader stands between it and the process.
func resealed(_ packet: [UInt8]) -> [UInt8] {
    var sealed = packet
    let checksum = packet.withUnsafeBufferPointer { bytes in
        let head = hp_checksum(bytes.baseAddress!, 24, 0x4850_414B)
        return hp_checksum(bytes.baseAddress! + 32, bytes.count - 32, head)
    }
    for i in 0..<8 { sealed[24 + i] = UInt8(truncatingIfNeeded: checksum >> (8 * UInt64(i))) }
    return sealed
}

/// The body: what follows the header.
func bodyBytes(_ packet: [UInt8]) -> [UInt8] { Array(packet[headerLength(packet)...]) }

/// Where `pattern` first occurs in `bytes` at or after `from`, if it does.
func offset(of pattern: [UInt8], in bytes: [UInt8], from: Int = 0) -> Int? {
    guard pattern.count <= bytes.count else { return nil }
    return (from...(bytes.count - pattern.count)).first { Array(bytes[$0..<($0 + pattern.count)]) == pattern }
}
