import CHeapPack

/// `packet` with its checksum recomputed over bytes 0..<24 and 32..<`bodyEnd` (docs/FORMAT.md),
/// as anyone who changed bytes can do: the checksum then passes, and only a key can tell.
func resealed(_ packet: [UInt8], bodyEnd: Int) -> [UInt8] {
    var sealed = packet
    let sum = packet.withUnsafeBufferPointer { bytes in
        hp_checksum(bytes.baseAddress! + 32, bodyEnd - 32, hp_checksum(bytes.baseAddress!, 24, 0x4850_414B))
    }
    for i in 0..<8 { sealed[24 + i] = UInt8(truncatingIfNeeded: sum >> (8 * UInt64(i))) }
    return sealed
}
