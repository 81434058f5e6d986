// libFuzzer's entry point. An input is one selector byte, which names the scenario whose root
// type the packet is unpacked as, then a packet. Built only with
// `swift build --sanitize=fuzzer --sanitize=address` (scripts/fuzz.sh); a plain build makes an
// executable that does nothing.
import HeapPack
import HeapPackTestSupport

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    guard count >= 1 else { return 0 }
    let scenario = FuzzInput.scenario(selector: start[0])
    let packet = Array(UnsafeBufferPointer(start: start + 1, count: count - 1))
    // Every outcome but a crash, a leak, a hang or a sanitizer report is fine: a value (read
    // whole, then dropped) or a typed error.
    _ = try? scenario.describe(packet, with: fuzzPacker)
    if let inspection = try? fuzzPacker.inspect(packet) {
        _ = inspection.typeSummary
    }
    return 0
}
