import HeapPack
import HeapPackTestSupport

/// One packer for the whole run, as a long-lived receiver has: its plan caches fill up as
/// inputs arrive, and a forged packet must not poison them for the next one.
let fuzzPacker: Packer = {
    let packer = Packer()
    _ = Scenarios.registerConsole(in: packer)
    return packer
}()

/// How an input's first byte picks the root type: the scenarios the cross-process tests ship
/// cover closures over cycles, weak and unowned references, dictionaries, sets of private
/// types, existentials, generic closures, enums, library types and named objects.
enum FuzzInput {
    /// scripts/fuzz.sh's `-max_len`, libFuzzer's own default. Every scenario's packet but one fits;
    /// the one that does not (1000 closures, 32 KB) took 25 ms a run against 1 ms for the others,
    /// and its parts (closures, captures, arrays) are in the smaller seeds.
    static let maxLength = 4096

    static func scenario(selector: UInt8) -> Scenario {
        Scenarios.all[Int(selector) % Scenarios.all.count]
    }

    /// The seed for scenario `index`: its selector byte, then a real packet of this binary.
    static func seed(_ index: Int) throws -> [UInt8] {
        [UInt8(index)] + (try Scenarios.all[index].pack(with: fuzzPacker))
    }
}
