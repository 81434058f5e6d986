// heappack-noreflection: built with -disable-reflection-metadata (see Package.swift), so its
// closure contexts have no capture descriptors and its types no field records. Packing must
// refuse with a clear error that names the flag; it must not crash or copy blindly.
import HeapPack

final class Settings {
    var name = "settings"
    var retries = 3
}

let settings = Settings()
let label = "captured label, long enough to be stored natively"
let job: () -> String = { "\(label) \(settings.name)" }

for (what, attempt) in [("closure", { _ = try pack(job) }), ("class", { _ = try pack(settings) })] as [(String, () throws -> Void)] {
    do {
        try attempt()
        print("\(what): packed")
    } catch let error as PackError {
        print("\(what): \(error.code): \(error.message)")
    } catch {
        print("\(what): unexpected \(error)")
    }
}
