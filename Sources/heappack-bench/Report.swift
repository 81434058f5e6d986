/// Prints one workload's aligned table and its `RESULT` line.
///
/// Every ratio is HeapPack's median time divided by the baseline's median time from the same
/// rounds (below 1: HeapPack is faster). Ratios are what to compare across runs: absolute
/// times on this shared machine drift with its load.
func report(_ result: WorkloadResult) {
    let workload = result.workload
    let recorder = result.recorder
    let hpSize = recorder.sizes["hp"]
    let pack = recorder.stats("hp.pack")
    let unpack = recorder.stats("hp.unpack")

    print("== \(workload.id) \(workload.title)")
    print("   objects: \(grouped(workload.objects)) \(workload.objectNoun); \(result.runs) measured runs after 1 warm-up (median, min, max)")
    if let checkText = result.checkText {
        print("   check value: \(checkText)")
    }
    for note in result.notes { print("   note: \(note)") }

    switch result.outcome {
    case .ok:
        print("   check: ok on the original, on every unpacked copy and on every native build")
    case .unsupported(let message):
        print("   heappack: unsupported: \(message)")
        print("   memcpy floor: not measured, there is no packet to size it")
    case .failed(let message):
        print("   FAIL \(workload.id): \(message)")
    }

    let rows: [(label: String, key: String, sizeKey: String, versus: String)] = [
        ("heappack pack", "hp.pack", "hp", ""),
        ("heappack unpack", "hp.unpack", "hp", ""),
        // Builds objects, not a packet: no bytes to show.
        ("native construction", "native", "", "unpack"),
        ("memcpy, warm dst", "memcpy", "hp", "both"),
        ("alloc [UInt8] + memcpy", "allocmemcpy", "hp", "both"),
        ("JSON encode", "json.encode", "json", "pack"),
        ("JSON decode", "json.decode", "json", "unpack"),
        ("plist (binary) encode", "plist.encode", "plist", "pack"),
        ("plist (binary) decode", "plist.decode", "plist", "unpack"),
    ]
    let header = "   " + padRight("row", 24) + padLeft("median ms", 11) + padLeft("min ms", 11) + padLeft("max ms", 11)
        + padLeft("bytes", 13) + padLeft("MB/s", 10) + padLeft("Mobj/s", 9) + "   HeapPack ÷ row"
    var printedHeader = false
    for row in rows {
        guard let stats = recorder.stats(row.key) else { continue }
        if !printedHeader {
            print(header)
            printedHeader = true
        }
        let bytes = recorder.sizes[row.sizeKey]
        var line = "   " + padRight(row.label, 24) + padLeft(milliseconds(stats.median), 11)
            + padLeft(milliseconds(stats.min), 11) + padLeft(milliseconds(stats.max), 11)
            + padLeft(bytes.map(grouped) ?? "-", 13)
            + padLeft(bytes.map { fixed(megabytesPerSecond(bytes: $0, nanos: stats.median), 1) } ?? "-", 10)
        // A memcpy moves bytes, not objects.
        line += row.key.contains("memcpy") ? padLeft("-", 9)
            : padLeft(fixed(megaObjectsPerSecond(objects: workload.objects, nanos: stats.median), 2), 9)
        var versus: [String] = []
        if row.versus == "both" || row.versus == "pack", let pack {
            versus.append("pack " + ratio(pack.median / stats.median))
        }
        if row.versus == "both" || row.versus == "unpack", let unpack {
            versus.append("unpack " + ratio(unpack.median / stats.median))
        }
        line += "   " + (versus.isEmpty ? "-" : versus.joined(separator: ", "))
        print(line)
    }
    if let hpSize {
        var sizes = ["heappack \(grouped(hpSize)) B"]
        for (name, key) in [("JSON", "json"), ("plist", "plist")] {
            if let other = recorder.sizes[key] {
                sizes.append("\(name) \(grouped(other)) B (heappack/\(name) \(ratio(Double(hpSize) / Double(other))))")
            }
        }
        print("   sizes: " + sizes.joined(separator: "; ") + "; \(fixed(Double(hpSize) / Double(workload.objects), 1)) B per object")
    }
    if let coldPack = recorder.cold["hp.pack"] {
        var text = "   warm-up round (plans built, pages first touched): pack \(milliseconds(coldPack)) ms"
        if let coldUnpack = recorder.cold["hp.unpack"] { text += ", unpack \(milliseconds(coldUnpack)) ms" }
        print(text)
    }
    print(resultLine(result))
    print("")
}

func resultLine(_ result: WorkloadResult) -> String {
    let recorder = result.recorder
    let objects = result.workload.objects
    var fields: [(String, String)] = [("id", result.workload.id)]
    switch result.outcome {
    case .ok: fields.append(("status", "ok"))
    case .unsupported: fields.append(("status", "unsupported"))
    case .failed: fields.append(("status", "FAIL"))
    }
    fields += [("runs", "\(result.runs)"), ("objects", "\(objects)")]
    func ms(_ nanos: Double) -> String { fixed(nanos / 1e6, 4) }
    func number(_ value: Double) -> String { fixed(value, 4) }

    let hpSize = recorder.sizes["hp"]
    if let hpSize { fields.append(("size", "\(hpSize)")) }
    for (name, key) in [("pack", "hp.pack"), ("unpack", "hp.unpack")] {
        guard let stats = recorder.stats(key) else { continue }
        fields += [("\(name)_ms", ms(stats.median)), ("\(name)_min_ms", ms(stats.min)), ("\(name)_max_ms", ms(stats.max))]
        if let hpSize { fields.append(("\(name)_MBps", fixed(megabytesPerSecond(bytes: hpSize, nanos: stats.median), 1))) }
        fields.append(("\(name)_Mobjps", number(megaObjectsPerSecond(objects: objects, nanos: stats.median))))
    }
    for (name, key) in [("cold_pack_ms", "hp.pack"), ("cold_unpack_ms", "hp.unpack")] {
        if let cold = recorder.cold[key] { fields.append((name, ms(cold))) }
    }
    let pack = recorder.stats("hp.pack")
    let unpack = recorder.stats("hp.unpack")
    if let native = recorder.stats("native") {
        fields.append(("native_ms", ms(native.median)))
        if let unpack { fields.append(("unpack_vs_native", number(unpack.median / native.median))) }
    }
    for (name, key) in [("memcpy", "memcpy"), ("alloc_memcpy", "allocmemcpy")] {
        guard let floor = recorder.stats(key) else { continue }
        fields.append(("\(name)_ms", ms(floor.median)))
        if let pack { fields.append(("pack_vs_\(name)", number(pack.median / floor.median))) }
        if let unpack { fields.append(("unpack_vs_\(name)", number(unpack.median / floor.median))) }
    }
    for name in ["json", "plist"] {
        if let size = recorder.sizes[name] {
            fields.append(("\(name)_size", "\(size)"))
            if let hpSize { fields.append(("size_vs_\(name)", number(Double(hpSize) / Double(size)))) }
        }
        if let encode = recorder.stats("\(name).encode") {
            fields.append(("\(name)_enc_ms", ms(encode.median)))
            if let pack { fields.append(("pack_vs_\(name)_enc", number(pack.median / encode.median))) }
        }
        if let decode = recorder.stats("\(name).decode") {
            fields.append(("\(name)_dec_ms", ms(decode.median)))
            if let unpack { fields.append(("unpack_vs_\(name)_dec", number(unpack.median / decode.median))) }
        }
    }
    switch result.outcome {
    case .ok: break
    case .unsupported(let message), .failed(let message): fields.append(("error", message))
    }
    return "RESULT " + fields.map { "\($0.0)=\(resultValue($0.1))" }.joined(separator: " ")
}
