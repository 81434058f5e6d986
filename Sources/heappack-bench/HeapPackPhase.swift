import HeapPack

/// Packs the closure, unpacks it, calls the copy and checks its result. Only pack and unpack
/// are timed; the call, the check and the copy's teardown are not.
func heapPackPhase<R: Equatable>(closure: @escaping () -> R, check: R, size: PackedSize) -> Phase {
    Phase(name: "heappack") { recorder in
        let bytes: [UInt8]
        do {
            // Without this the optimizer may release the captured data mid-pack.
            bytes = try withExtendedLifetime(closure) {
                try recorder.time("hp.pack") { try pack(closure) }
            }
        } catch let error as PackError where error.code == .unsupported {
            throw PhaseUnsupported(description: error.description)
        }
        size.bytes = bytes.count
        recorder.sizes["hp"] = bytes.count
        let copy = try recorder.time("hp.unpack") { try unpack(bytes, as: (() -> R).self) }
        let result = copy()
        guard result == check else {
            throw CheckFailure("the unpacked closure returned \(result), expected \(check)")
        }
    }
}
