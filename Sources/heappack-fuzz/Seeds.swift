import Foundation
import HeapPackTestSupport

/// libFuzzer calls this once before the first input. Packets name this binary's build-id, so
/// a corpus from another build is mostly refused at the header; scripts/fuzz.sh therefore asks
/// every run for fresh seeds (`HEAPPACK_FUZZ_SEEDS=<corpus directory>`). Packets longer than
/// scripts/fuzz.sh's `-max_len` are left out: mutations would cut them anyway, and each run of
/// one costs as much as hundreds of small ones.
@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> CInt {
    guard let directory = ProcessInfo.processInfo.environment["HEAPPACK_FUZZ_SEEDS"] else { return 0 }
    for index in Scenarios.all.indices {
        do {
            let seed = try FuzzInput.seed(index)
            guard seed.count <= FuzzInput.maxLength else { continue }
            let path = URL(fileURLWithPath: directory).appendingPathComponent("seed-\(Scenarios.all[index].name)")
            try Data(seed).write(to: path)
        } catch {
            print("heappack-fuzz: no seed for \(Scenarios.all[index].name): \(error)")
            exit(1)
        }
    }
    return 0
}
