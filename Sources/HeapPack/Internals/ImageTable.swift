import CHeapPack

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
