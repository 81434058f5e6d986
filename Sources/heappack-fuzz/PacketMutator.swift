import CHeapPack
import Glibc

/// libFuzzer's own mutator, looked up at run time: it exists only in fuzzer builds, and a
/// plain build must still link.
private typealias Mutate = @convention(c) (UnsafeMutablePointer<UInt8>, Int, Int) -> Int
private let libFuzzerMutate: Mutate? = dlsym(nil, "LLVMFuzzerMutate")
    .map { unsafeBitCast($0, to: Mutate.self) }

/// Mutates the packet after the selector byte with libFuzzer's mutator, then repairs the
/// header's body length and checksum, so that mutations reach the decoders instead of dying
/// at the checksum. One input in sixteen keeps its broken checksum, so that check is fuzzed too.
/// Three mutations in four leave the header alone and change only the body: a changed build-id,
/// type name or section length ends the read before the body, so whole-packet mutations spent
/// most runs on the same few header refusals (coverage stayed at the seeds' own).
@_cdecl("LLVMFuzzerCustomMutator")
public func fuzzMutate(_ data: UnsafeMutablePointer<UInt8>, _ size: Int, _ maxSize: Int, _ seed: CUnsignedInt) -> Int {
    guard let libFuzzerMutate else { return size }
    guard size >= 1, maxSize >= 2 else { return libFuzzerMutate(data, size, maxSize) }
    var rng = UInt32(truncatingIfNeeded: seed)
    func roll(_ sides: UInt32) -> UInt32 {
        rng = rng &* 1_103_515_245 &+ 12_345
        return (rng >> 16) % sides
    }
    if roll(32) == 0 { data[0] = UInt8(truncatingIfNeeded: roll(256)) }
    let packetSize: Int
    if roll(4) != 0, let headerLength = PacketRepair.headerLength(data + 1, size - 1) {
        let bodyStart = 1 + headerLength
        packetSize = headerLength + libFuzzerMutate(data + bodyStart, size - bodyStart, maxSize - bodyStart)
    } else {
        packetSize = libFuzzerMutate(data + 1, size - 1, maxSize - 1)
    }
    let packet = UnsafeMutableRawBufferPointer(start: data + 1, count: packetSize)
    switch roll(16) {
    case 0: break
    case 1: PacketRepair.fixChecksum(packet)
    default:
        PacketRepair.fixBodyLength(packet)
        PacketRepair.fixChecksum(packet)
    }
    return 1 + packetSize
}

/// Header fields a mutation invalidates (docs/FORMAT.md): the body length at 16 and the
/// checksum at 24, over bytes 0..<24 and 32..<end.
enum PacketRepair {
    static let fixedSize = 32

    /// H, when the packet holds the fixed part and at least one body byte after H.
    static func headerLength(_ packet: UnsafeMutablePointer<UInt8>, _ count: Int) -> Int? {
        guard count >= fixedSize else { return nil }
        let raw = UnsafeRawPointer(packet)
        let length = Int(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 8, as: UInt32.self)))
        return (fixedSize..<count).contains(length) ? length : nil
    }

    static func fixBodyLength(_ packet: UnsafeMutableRawBufferPointer) {
        guard packet.count >= fixedSize else { return }
        let headerLength = Int(UInt32(littleEndian: packet.loadUnaligned(fromByteOffset: 8, as: UInt32.self)))
        guard headerLength <= packet.count else { return }
        packet.storeBytes(of: UInt64(packet.count - headerLength).littleEndian, toByteOffset: 16, as: UInt64.self)
    }

    static func fixChecksum(_ packet: UnsafeMutableRawBufferPointer) {
        guard packet.count >= fixedSize, let base = packet.baseAddress else { return }
        let bytes = base.assumingMemoryBound(to: UInt8.self)
        let seed = hp_checksum(bytes, 24, 0x4850_414B)
        let checksum = hp_checksum(bytes + 32, packet.count - 32, seed)
        packet.storeBytes(of: checksum.littleEndian, toByteOffset: 24, as: UInt64.self)
    }
}
