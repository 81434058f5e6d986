@testable import HeapPack

/// A real packet taken apart into its parsed header and its body, to change as an attacker
/// would (who can recompute the checksum) and assemble again: the reader then has to catch the
/// change itself.
struct ParsedPacket {
    var header: _PacketFormat.Header
    var body: [UInt8]

    init(_ packet: [UInt8]) throws {
        header = try packet.withUnsafeBytes { (raw) throws(PackError) in try _PacketFormat.readHeader(raw, verifyChecksum: true) }
        body = Array(packet[header.headerLength...])
    }

    /// The packet again, checksum included.
    var bytes: [UInt8] {
        body.withUnsafeBytes {
            _PacketFormat.assemble(images: header.images, rootTypeName: header.rootTypeName, types: header.types,
                                   names: header.names, objectCount: header.objectCount, body: $0, authenticationKey: nil)
        }
    }

    /// The index of the first type-table entry `matches` accepts.
    func typeIndex(where matches: (_PacketFormat.TypeEntry) -> Bool) -> Int? {
        header.types.firstIndex(where: matches)
    }
}

/// A varint at `offset` of `bytes` and the offset after it.
func readVarint(_ bytes: [UInt8], at offset: Int) -> (value: UInt64, end: Int) {
    var value: UInt64 = 0, shift: UInt64 = 0, at = offset
    while true {
        let byte = bytes[at]
        at += 1
        value |= UInt64(byte & 0x7F) << shift
        if byte & 0x80 == 0 { return (value, at) }
        shift += 7
    }
}
