import CHeapPack
import Glibc

/// Owns a snapshot of `hp_image_table`. Immutable after init, hence shareable across threads.
final class _ImageTable: @unchecked Sendable {
    let table: UnsafeMutablePointer<hp_image_table>

    init() throws(PackError) {
        table = .allocate(capacity: 1)
        table.initialize(to: hp_image_table())
        let status = hp_image_table_load(table)
        guard status == HP_OK else {
            hp_image_table_free(table)
            table.deallocate()
            throw .unsupported("could not enumerate the loaded images (status \(status.rawValue))")
        }
    }

    deinit {
        hp_image_table_free(table)
        table.deallocate()
    }

    var count: Int { Int(table.pointee.image_count) }

    func buildID(_ index: Int) -> [UInt8] {
        let image = table.pointee.images[index]
        return withUnsafeBytes(of: image.build_id) { Array($0.prefix(Int(image.build_id_length))) }
    }

    func path(_ index: Int) -> String { String(cString: table.pointee.images[index].path) }

    /// The image's file name; the loader reports no path for the main executable, so that one
    /// comes from /proc/self/exe.
    func fileName(_ index: Int) -> String {
        var path = self.path(index)
        if path.isEmpty {
            var buffer = [CChar](repeating: 0, count: 4096)
            let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
            if length > 0 { path = String(decoding: buffer.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self) }
        }
        return path.split(separator: "/").last.map(String.init) ?? path
    }

    var images: [LoadedImage] {
        (0..<count).map { index in
            LoadedImage(base: UInt(table.pointee.images[index].base), path: path(index),
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
        var buffer = [CChar](repeating: 0, count: 4096)
        guard hp_symbol_name(table, address, &buffer, buffer.count) else {
            // A stripped binary: where the code is, which a symbolizer can still turn into a name.
            guard let pointer = UnsafeRawPointer(bitPattern: address), let place = locate(pointer) else { return nil }
            return "code at \(fileName(place.image)) + 0x\(String(place.offset, radix: 16))"
        }
        let mangled = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard let demangled = hp_demangle(mangled, mangled.utf8.count) else { return mangled }
        defer { free(demangled) }
        var name = String(cString: demangled)
        if name.hasPrefix("partial apply forwarder for ") { name.removeFirst("partial apply forwarder for ".count) }
        // LLVM's clones (`.5`, `.llvm.123`) are the same closure to the reader.
        if let suffix = name.firstRange(of: " with unmangled suffix ") { name.removeSubrange(suffix.lowerBound...) }
        // Reabstraction thunks only adapt a closure's calling convention: the closure inside
        // them is the one worth naming, and the path names it on the next hop.
        if name.hasPrefix("reabstraction thunk") || name.contains("@callee_guaranteed") { return nil }
        return name
    }

    func resolve(image: Int, offset: UInt64, span: UInt64) -> UnsafeRawPointer? {
        var address: UInt = 0
        guard hp_image_table_resolve(table, UInt32(image), offset, span, &address) else { return nil }
        return UnsafeRawPointer(bitPattern: address)
    }
}

func _hex(_ bytes: [UInt8]) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var text = [UInt8]()
    text.reserveCapacity(bytes.count * 2)
    for byte in bytes { text.append(digits[Int(byte >> 4)]); text.append(digits[Int(byte & 15)]) }
    return String(decoding: text, as: UTF8.self)
}
