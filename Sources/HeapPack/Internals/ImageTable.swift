import CHeapPack
import Glibc

/// Owns a snapshot of `hp_image_table`. Immutable after init but for the caches behind locks,
/// hence shareable across threads.
final class _ImageTable: @unchecked Sendable {
    let table: UnsafeMutablePointer<hp_image_table>
    /// Each image's file name, as packets name it (`fileName(_:)`).
    private let fileNames: [String]
    /// What each image lists in its metadata sections, read on the first question about it.
    private let sections = _Locked([Int: _ImageSections]())
    /// Names already made (nil: a thunk or nameless code), keyed by code address. Inspection
    /// names the closure at every reference a closure's context holds, so a packet of a thousand
    /// copies of one closure would otherwise read and demangle one name a thousand times.
    private let functionNames = _Locked([UInt: String?]())
    /// Bounds `functionNames`: distinct closures are few, and past this they are named afresh.
    private static let functionNamesKept = 4096

    init() throws(PackError) {
        table = .allocate(capacity: 1)
        table.initialize(to: hp_image_table())
        let status = hp_image_table_load(table)
        guard status == HP_OK else {
            hp_image_table_free(table)
            table.deallocate()
            throw .unsupported("could not enumerate the loaded images (status \(status.rawValue))")
        }
        let images = table.pointee.images
        fileNames = (0..<Int(table.pointee.image_count)).map { index in
            var path = String(cString: images![index].path)
            // The loader reports no path for the main executable.
            if path.isEmpty {
                var buffer = [CChar](repeating: 0, count: 4096)
                let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
                if length > 0 { path = String(decoding: buffer.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self) }
            }
            return path.split(separator: "/").last.map(String.init) ?? path
        }
    }

    deinit {
        hp_image_table_free(table)
        table.deallocate()
    }

    var count: Int { Int(table.pointee.image_count) }

    func buildID(_ index: Int) -> [UInt8] {
        let image = table.pointee.images![index]
        return withUnsafeBytes(of: image.build_id) { Array($0.prefix(Int(image.build_id_length))) }
    }

    func path(_ index: Int) -> String { String(cString: table.pointee.images![index].path) }

    /// The image's file name (the main executable's too, which the loader leaves unnamed).
    func fileName(_ index: Int) -> String { fileNames[index] }

    var images: [LoadedImage] {
        (0..<count).map { index in
            LoadedImage(base: UInt(table.pointee.images![index].base), path: path(index),
                        buildID: _hex(buildID(index)))
        }
    }

    /// The image whose file-backed bytes contain `address`.
    func locate(_ address: UnsafeRawPointer) -> (image: Int, offset: UInt64)? {
        var image: UInt32 = 0
        var offset: UInt64 = 0
        guard hp_image_table_locate(table, UInt(bitPattern: address), &image, &offset) else { return nil }
        return (Int(image), offset)
    }

    /// The readable name of the function containing `address`, from the image's symbol table;
    /// for a stripped image, its file name and offset. Nil for thunks, which only adapt a
    /// closure's calling convention (the closure they wrap is named on the next hop).
    func functionName(_ address: UInt) -> String? {
        if let known = functionNames.withLock({ $0[address] }) { return known }
        let name = _functionName(address)
        functionNames.withLock { names in
            if names.count < Self.functionNamesKept { names[address] = .some(name) }
        }
        return name
    }

    private func _functionName(_ address: UInt) -> String? {
        var buffer = [CChar](repeating: 0, count: 4096)
        guard hp_symbol_name(table, address, &buffer, buffer.count) else {
            // A stripped binary: where the code is, which a symbolizer can still turn into a name.
            guard let pointer = UnsafeRawPointer(bitPattern: address), let place = locate(pointer) else { return nil }
            return "code at \(fileName(place.image)) + 0x\(String(place.offset, radix: 16))"
        }
        let mangled = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard var name = _demangle(mangled) else { return mangled }
        if name.hasPrefix("partial apply forwarder for ") { name.removeFirst("partial apply forwarder for ".count) }
        // LLVM's clones (`.5`, `.llvm.123`) are the same closure to the reader.
        if let suffix = name.firstRange(of: " with unmangled suffix ") { name.removeSubrange(suffix.lowerBound...) }
        // Reabstraction thunks only adapt a closure's calling convention: the closure inside
        // them is the one worth naming, and the path names it on the next hop.
        if name.hasPrefix("reabstraction thunk") || name.contains("@callee_guaranteed") { return nil }
        return name
    }

    /// Whether `address` is a type context descriptor that image `image` lists in swift5_type_metadata.
    func isTypeDescriptor(_ address: UnsafeRawPointer, image: Int) -> Bool {
        sections(image).contains(address, in: \.types, \.type_count)
    }

    /// Whether `address` is a protocol descriptor that image `image` lists in swift5_protocols.
    func isProtocolDescriptor(_ address: UnsafeRawPointer, image: Int) -> Bool {
        sections(image).contains(address, in: \.protocols, \.protocol_count)
    }

    /// Whether a capture descriptor of image `image`'s swift5_capture starts at `address`.
    func isCaptureDescriptor(_ address: UnsafeRawPointer, image: Int) -> Bool {
        sections(image).contains(address, in: \.captures, \.capture_count)
    }

    /// Whether `address` is the first instruction of a function (`hp_code_entry`, which
    /// remembers its answers).
    func isFunctionEntry(_ address: UnsafeRawPointer) -> Bool { hp_code_entry(table, UInt(bitPattern: address)) }

    private func sections(_ image: Int) -> _ImageSections {
        sections.withLock { known in
            if let found = known[image] { return found }
            let made = _ImageSections(table, image: image)
            known[image] = made
            return made
        }
    }

    func resolve(image: Int, offset: UInt64, span: UInt64) -> UnsafeRawPointer? {
        var address: UInt = 0
        guard hp_image_table_resolve(table, UInt32(image), offset, span, &address) else { return nil }
        return UnsafeRawPointer(bitPattern: address)
    }
}

/// One image's `hp_image_sections`: sorted sets of the records its metadata sections list. An
/// image whose file cannot be read lists nothing, so nothing a packet names in it is accepted.
final class _ImageSections: @unchecked Sendable {
    private var sections = hp_image_sections()

    init(_ table: UnsafePointer<hp_image_table>, image: Int) {
        if hp_image_sections_load(table, UInt32(image), &sections) != HP_OK { hp_image_sections_free(&sections) }
    }

    deinit { hp_image_sections_free(&sections) }

    func contains(_ address: UnsafeRawPointer, in set: KeyPath<hp_image_sections, UnsafeMutablePointer<UInt>?>,
                  _ count: KeyPath<hp_image_sections, UInt32>) -> Bool {
        hp_address_listed(sections[keyPath: set], sections[keyPath: count], UInt(bitPattern: address))
    }
}

/// `swift_demangle` of a symbol, or nil if it is not one.
func _demangle(_ symbol: String) -> String? {
    guard let demangled = hp_demangle(symbol, symbol.utf8.count) else { return nil }
    defer { free(demangled) }
    return String(cString: demangled)
}

func _hex(_ bytes: [UInt8]) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var text = [UInt8]()
    text.reserveCapacity(bytes.count * 2)
    for byte in bytes { text.append(digits[Int(byte >> 4)]); text.append(digits[Int(byte & 15)]) }
    return String(decoding: text, as: UTF8.self)
}
