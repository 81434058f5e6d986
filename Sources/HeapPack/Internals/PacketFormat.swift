import CHeapPack

/// The packet header (docs/FORMAT.md). Fixed part, little-endian:
///
/// | offset | size | field |
/// |---|---|---|
/// | 0 | 4 | magic `HPAK` |
/// | 4 | 2 | format version |
/// | 6 | 2 | flags: bit 0 `authenticated`, the others 0 |
/// | 8 | 4 | header length (fixed part + sections) |
/// | 12 | 4 | object count (the body must make exactly this many) |
/// | 16 | 8 | body length |
/// | 24 | 8 | checksum of bytes 0..<24 and 32..<(header length + body length) |
///
/// Then the sections, varint-framed: images, root type name, type table, names. Then the body.
/// Then, if `authenticated`, the 32-byte HMAC-SHA256 tag of everything before it.
enum _PacketFormat {
    static let magic: [UInt8] = Array("HPAK".utf8)
    /// 2: the `authenticated` flag and the tag after the body. 3: the checksum is XXH3-64.
    static let version: UInt16 = 3
    static let fixedSize = 32
    /// The packet ends in an authentication tag (`_PacketAuthentication`).
    static let authenticatedFlag: UInt16 = 1
    /// The most type-table entries a packet may have. The writer makes one per distinct type
    /// the value graph holds, and the receiver resolves an entry only when the body uses it, but
    /// each parsed entry costs memory while the packet is read: this bounds that (and what a
    /// packet makes the runtime instantiate) apart from the packet's length.
    static let maxTypeEntries = 1 << 16

    enum TypeEntryKind: UInt8 {
        /// varint length, mangled name without symbolic references
        case mangledName = 0
        /// varint packet image, varint offset: metadata with no name (closure contexts, boxes)
        case staticAddress = 1
        /// a nominal type whose name does not resolve (private, local): its descriptor as varint
        /// image + varint offset, varint n + n type-table indices (generic arguments), varint m +
        /// m static pointers (witness tables of the generic requirements)
        case nominal = 2
        /// a protocol composition whose name does not resolve (private protocols): byte class
        /// bound (1) or not (0), varint superclass type index + 1 (0: none), varint n, then n
        /// protocol descriptors as varint image, varint offset
        case existential = 3
        /// the metatype of another entry whose own name does not resolve: byte existential
        /// metatype (1) or plain (0), varint instance type index
        case metatype = 4
        /// a closure context of unspecialized generic code: varint image, varint offset of the
        /// context metadata; varint p + p type indices (its generic parameters); varint n + n
        /// bindings: byte 0 + varint parameter (that parameter's metadata), or byte 1 + varint
        /// parameter + varint image + varint offset of a protocol descriptor (the parameter's
        /// witness table for that protocol, looked up again)
        case genericContext = 5
        /// the runtime's box for a value of another entry's type (a captured `var` of generic
        /// type, metadata kind 0x500): varint type index
        case genericBox = 6
    }

    enum Binding {
        case parameter(Int)
        case witness(parameter: Int, protocolImage: Int, protocolOffset: UInt64)
    }

    struct ImageEntry {
        var buildID: [UInt8]
        var name: String
    }

    enum TypeEntry {
        case mangledName([UInt8])
        case staticAddress(image: Int, offset: UInt64)
        case nominal(image: Int, offset: UInt64, arguments: [Int], witnessTables: [(image: Int, offset: UInt64)])
        case existential(classBound: Bool, superclass: Int?, protocols: [(image: Int, offset: UInt64)])
        case metatype(existential: Bool, instance: Int)
        case genericContext(image: Int, offset: UInt64, parameters: [Int], bindings: [Binding])
        case genericBox(Int)
    }

    struct Header {
        var version: UInt16
        var flags: UInt16
        /// Whether the packet ends in an authentication tag (verified only with a key).
        var authenticated: Bool { flags & authenticatedFlag != 0 }
        var headerLength: Int
        var objectCount: Int
        var bodyLength: Int
        var checksum: UInt64
        var images: [ImageEntry]
        var rootTypeName: [UInt8]
        var types: [TypeEntry]
        var names: [String]
    }

    /// The checksum of a packet without its tag: header and body.
    static func checksum(_ packet: UnsafeRawBufferPointer) -> UInt64 {
        let bytes = packet.baseAddress!.assumingMemoryBound(to: UInt8.self)
        let seed = hp_checksum(bytes, 24, 0x4850_414B)
        return hp_checksum(bytes + 32, packet.count - 32, seed)
    }

    /// Writes header + body, and the tag when there is a key, into one array of exactly the
    /// right size.
    static func assemble(images: [ImageEntry], rootTypeName: [UInt8], types: [TypeEntry], names: [String],
                         objectCount: Int, body: UnsafeRawBufferPointer, authenticationKey: _PacketAuthentication.Key?) -> [UInt8] {
        var sections: [UInt8] = []
        appendVarint(&sections, UInt64(images.count))
        for image in images {
            appendVarint(&sections, UInt64(image.buildID.count))
            sections += image.buildID
            let name = Array(image.name.utf8)
            appendVarint(&sections, UInt64(name.count))
            sections += name
        }
        appendVarint(&sections, UInt64(rootTypeName.count))
        sections += rootTypeName
        appendVarint(&sections, UInt64(types.count))
        for type in types {
            switch type {
            case .mangledName(let name):
                sections.append(TypeEntryKind.mangledName.rawValue)
                appendVarint(&sections, UInt64(name.count))
                sections += name
            case .staticAddress(let image, let offset):
                sections.append(TypeEntryKind.staticAddress.rawValue)
                appendVarint(&sections, UInt64(image))
                appendVarint(&sections, offset)
            case .nominal(let image, let offset, let arguments, let witnessTables):
                sections.append(TypeEntryKind.nominal.rawValue)
                appendVarint(&sections, UInt64(image))
                appendVarint(&sections, offset)
                appendIndices(&sections, arguments)
                appendStaticAddresses(&sections, witnessTables)
            case .existential(let classBound, let superclass, let protocols):
                sections.append(TypeEntryKind.existential.rawValue)
                sections.append(classBound ? 1 : 0)
                appendVarint(&sections, superclass.map { UInt64($0) + 1 } ?? 0)
                appendStaticAddresses(&sections, protocols)
            case .metatype(let existential, let instance):
                sections.append(TypeEntryKind.metatype.rawValue)
                sections.append(existential ? 1 : 0)
                appendVarint(&sections, UInt64(instance))
            case .genericBox(let boxed):
                sections.append(TypeEntryKind.genericBox.rawValue)
                appendVarint(&sections, UInt64(boxed))
            case .genericContext(let image, let offset, let parameters, let bindings):
                sections.append(TypeEntryKind.genericContext.rawValue)
                appendVarint(&sections, UInt64(image))
                appendVarint(&sections, offset)
                appendIndices(&sections, parameters)
                appendVarint(&sections, UInt64(bindings.count))
                for binding in bindings {
                    switch binding {
                    case .parameter(let index):
                        sections.append(0)
                        appendVarint(&sections, UInt64(index))
                    case .witness(let parameter, let protocolImage, let protocolOffset):
                        sections.append(1)
                        appendVarint(&sections, UInt64(parameter))
                        appendVarint(&sections, UInt64(protocolImage))
                        appendVarint(&sections, protocolOffset)
                    }
                }
            }
        }
        appendVarint(&sections, UInt64(names.count))
        for name in names {
            let bytes = Array(name.utf8)
            appendVarint(&sections, UInt64(bytes.count))
            sections += bytes
        }
        let headerLength = fixedSize + sections.count
        let untagged = headerLength + body.count
        let total = untagged + (authenticationKey == nil ? 0 : _PacketAuthentication.tagSize)
        return [UInt8](unsafeUninitializedCapacity: total) { buffer, initialized in
            let raw = UnsafeMutableRawBufferPointer(buffer)
            magic.withUnsafeBytes { raw.copyMemory(from: $0) }
            raw.storeBytes(of: version.littleEndian, toByteOffset: 4, as: UInt16.self)
            let flags = authenticationKey == nil ? 0 : authenticatedFlag
            raw.storeBytes(of: flags.littleEndian, toByteOffset: 6, as: UInt16.self)
            raw.storeBytes(of: UInt32(headerLength).littleEndian, toByteOffset: 8, as: UInt32.self)
            raw.storeBytes(of: UInt32(objectCount).littleEndian, toByteOffset: 12, as: UInt32.self)
            raw.storeBytes(of: UInt64(body.count).littleEndian, toByteOffset: 16, as: UInt64.self)
            sections.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: raw[fixedSize..<headerLength]).copyMemory(from: $0) }
            if body.count > 0 {
                UnsafeMutableRawBufferPointer(rebasing: raw[headerLength..<untagged]).copyMemory(from: body)
            }
            let sum = checksum(UnsafeRawBufferPointer(rebasing: raw[..<untagged]))
            raw.storeBytes(of: sum.littleEndian, toByteOffset: 24, as: UInt64.self)
            // Last, so that the tag covers every other byte, checksum included.
            if let authenticationKey {
                _PacketAuthentication.sign(UnsafeRawBufferPointer(rebasing: raw[..<untagged]),
                                           into: UnsafeMutableRawBufferPointer(rebasing: raw[untagged...]),
                                           key: authenticationKey)
            }
            initialized = total
        }
    }

    /// A count, then that many type-table indices; read back by `_ByteReader.typeIndices`.
    static func appendIndices(_ bytes: inout [UInt8], _ indices: [Int]) {
        appendVarint(&bytes, UInt64(indices.count))
        for index in indices { appendVarint(&bytes, UInt64(index)) }
    }

    /// A count, then (varint image, varint offset) pairs; read back by `_ByteReader.staticAddresses`.
    static func appendStaticAddresses(_ bytes: inout [UInt8], _ addresses: [(image: Int, offset: UInt64)]) {
        appendVarint(&bytes, UInt64(addresses.count))
        for address in addresses {
            appendVarint(&bytes, UInt64(address.image))
            appendVarint(&bytes, address.offset)
        }
    }

    static func appendVarint(_ bytes: inout [UInt8], _ value: UInt64) {
        var v = value
        while v >= 0x80 { bytes.append(UInt8(truncatingIfNeeded: v) | 0x80); v >>= 7 }
        bytes.append(UInt8(v))
    }

    /// Parses and bounds-checks the header. Every length is checked against what is left.
    ///
    /// With a key, the tag is checked first, before any header field is read, so every changed
    /// byte is `.unauthenticated` and nothing a forger chose is parsed. `verifyChecksum` does
    /// not affect it, and the checksum, which the tag covers, is not computed again.
    static func readHeader(_ packet: UnsafeRawBufferPointer, verifyChecksum: Bool,
                           authenticationKey: _PacketAuthentication.Key? = nil) throws(PackError) -> Header {
        if let authenticationKey { try _PacketAuthentication.verify(packet, key: authenticationKey) }
        guard packet.count >= fixedSize else {
            throw .malformed("the packet is \(packet.count) bytes, shorter than the \(fixedSize)-byte header")
        }
        guard packet.prefix(4).elementsEqual(magic) else {
            throw .malformed("not a HeapPack packet (bad magic)", at: 0)
        }
        let version = UInt16(littleEndian: packet.loadUnaligned(fromByteOffset: 4, as: UInt16.self))
        guard version == Self.version else {
            throw .unsupported("packet format version \(version); this build reads version \(Self.version)")
        }
        let flags = UInt16(littleEndian: packet.loadUnaligned(fromByteOffset: 6, as: UInt16.self))
        guard flags & ~authenticatedFlag == 0 else {
            throw .malformed("unknown header flags 0x\(String(flags, radix: 16))", at: 6)
        }
        let tagSize = flags & authenticatedFlag != 0 ? _PacketAuthentication.tagSize : 0
        if authenticationKey != nil && tagSize == 0 {
            // Only a holder of the key could make the tag check pass on a packet that says it has none.
            throw PackError(code: .unauthenticated, message: "the packet carries no authentication tag")
        }
        let headerLength = Int(UInt32(littleEndian: packet.loadUnaligned(fromByteOffset: 8, as: UInt32.self)))
        let objectCount = Int(UInt32(littleEndian: packet.loadUnaligned(fromByteOffset: 12, as: UInt32.self)))
        let bodyLength = UInt64(littleEndian: packet.loadUnaligned(fromByteOffset: 16, as: UInt64.self))
        let untagged = packet.count - tagSize
        guard headerLength >= fixedSize, headerLength <= untagged,
              bodyLength == UInt64(untagged - headerLength) else {
            throw .malformed("the packet is \(packet.count) bytes but its header describes "
                             + "\(UInt64(headerLength) &+ bodyLength)" + (tagSize == 0 ? "" : " and a \(tagSize)-byte tag")
                             + " (truncated or padded)", at: 8)
        }
        let stored = UInt64(littleEndian: packet.loadUnaligned(fromByteOffset: 24, as: UInt64.self))
        // A tag that verified covers the checksum and every byte it covers, and catches any change
        // the checksum would; computing it again would only read the whole packet once more.
        if verifyChecksum && authenticationKey == nil && stored != checksum(UnsafeRawBufferPointer(rebasing: packet[..<untagged])) {
            throw .malformed("checksum mismatch: the packet was corrupted", at: 24)
        }
        var reader = _ByteReader(packet, from: fixedSize, to: headerLength)
        let imageCount = try reader.count(atMost: 4096, what: "image count")
        var images: [ImageEntry] = []
        for _ in 0..<imageCount {
            let buildID = try reader.bytes(atMost: Int(HP_BUILD_ID_MAX), what: "build-id")
            let name = try reader.bytes(atMost: 4096, what: "image name")
            images.append(ImageEntry(buildID: buildID, name: String(decoding: name, as: UTF8.self)))
        }
        guard !images.isEmpty else { throw .malformed("the packet lists no images", at: reader.offset) }
        let rootTypeName = try reader.bytes(atMost: 1 << 16, what: "root type name")
        let typeCountOffset = reader.offset
        let typeCount = try reader.count(atMost: Int(UInt32.max), what: "type count")
        guard typeCount <= maxTypeEntries else {
            throw PackError(code: .limitExceeded,
                            message: "the packet's type table has \(typeCount) entries, more than the "
                                + "\(maxTypeEntries) a packet may have", byteOffset: typeCountOffset)
        }
        var types: [TypeEntry] = []
        for _ in 0..<typeCount {
            let kindOffset = reader.offset
            switch TypeEntryKind(rawValue: try reader.byte()) {
            case .mangledName: types.append(.mangledName(try reader.bytes(atMost: 1 << 16, what: "type name")))
            case .staticAddress:
                let image = try reader.count(atMost: imageCount - 1, what: "type image")
                types.append(.staticAddress(image: image, offset: try reader.varint()))
            case .nominal:
                let image = try reader.count(atMost: imageCount - 1, what: "descriptor image")
                let offset = try reader.varint()
                let arguments = try reader.typeIndices(atMost: 256, typeCount: typeCount, what: "generic argument")
                let tables = try reader.staticAddresses(imageCount: imageCount, what: "witness table")
                types.append(.nominal(image: image, offset: offset, arguments: arguments, witnessTables: tables))
            case .existential:
                let bound = try reader.byte()
                guard bound <= 1 else { throw .malformed("bad class-constraint byte", at: reader.offset - 1) }
                let superclass = try reader.count(atMost: typeCount, what: "superclass index")
                let protocols = try reader.staticAddresses(imageCount: imageCount, what: "protocol")
                types.append(.existential(classBound: bound == 1, superclass: superclass == 0 ? nil : superclass - 1,
                                          protocols: protocols))
            case .metatype:
                let existential = try reader.byte()
                guard existential <= 1 else { throw .malformed("bad metatype kind byte", at: reader.offset - 1) }
                types.append(.metatype(existential: existential == 1,
                                       instance: try reader.count(atMost: typeCount - 1, what: "metatype instance")))
            case .genericContext:
                let image = try reader.count(atMost: imageCount - 1, what: "context image")
                let offset = try reader.varint()
                let parameters = try reader.typeIndices(atMost: 64, typeCount: typeCount, what: "generic parameter")
                let parameterCount = parameters.count
                let count = try reader.count(atMost: 256, what: "binding count")
                var bindings: [Binding] = []
                // Every binding names a parameter: a context without parameters has none.
                func parameter() throws(PackError) -> Int {
                    let start = reader.offset
                    let index = try reader.varint()
                    guard index < UInt64(parameterCount) else {
                        throw .malformed("binding parameter \(index) is out of range", at: start)
                    }
                    return Int(index)
                }
                for _ in 0..<count {
                    switch try reader.byte() {
                    case 0: bindings.append(.parameter(try parameter()))
                    case 1:
                        bindings.append(.witness(parameter: try parameter(),
                                                 protocolImage: try reader.count(atMost: imageCount - 1, what: "protocol image"),
                                                 protocolOffset: try reader.varint()))
                    default: throw .malformed("unknown binding kind", at: reader.offset - 1)
                    }
                }
                types.append(.genericContext(image: image, offset: offset, parameters: parameters, bindings: bindings))
            case .genericBox:
                types.append(.genericBox(try reader.count(atMost: typeCount - 1, what: "boxed type")))
            case nil: throw .malformed("unknown type-table entry kind", at: kindOffset)
            }
        }
        let nameCount = try reader.count(atMost: 1 << 20, what: "name count")
        var names: [String] = []
        for _ in 0..<nameCount {
            names.append(String(decoding: try reader.bytes(atMost: 1 << 16, what: "object name"), as: UTF8.self))
        }
        guard reader.offset == headerLength else {
            throw .malformed("the header sections end at byte \(reader.offset), not at \(headerLength)", at: reader.offset)
        }
        return Header(version: version, flags: flags, headerLength: headerLength, objectCount: objectCount,
                      bodyLength: Int(bodyLength), checksum: stored, images: images, rootTypeName: rootTypeName,
                      types: types, names: names)
    }
}

/// A bounds-checked cursor over header bytes.
struct _ByteReader {
    let bytes: UnsafeRawBufferPointer
    var offset: Int
    let end: Int

    init(_ bytes: UnsafeRawBufferPointer, from start: Int, to end: Int) {
        self.bytes = bytes
        self.offset = start
        self.end = end
    }

    mutating func byte() throws(PackError) -> UInt8 {
        guard offset < end else { throw .malformed("the header ends early", at: offset) }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func varint() throws(PackError) -> UInt64 {
        let start = offset
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let b = try byte()
            guard shift < 64, !(shift == 63 && b > 1) else { throw .malformed("a varint overflows 64 bits", at: start) }
            value |= UInt64(b & 0x7F) << shift
            if b & 0x80 == 0 {
                // One value has one encoding: a zero last byte after others is padding.
                guard b != 0 || shift == 0 else { throw .malformed("a varint is not in its shortest form", at: start) }
                return value
            }
            shift += 7
        }
    }

    /// `what` names the field in an error, and is made only for one (an interpolation on every
    /// call was a tenth of a small packet's unpack).
    mutating func count(atMost limit: Int, what: @autoclosure () -> String) throws(PackError) -> Int {
        let start = offset
        let value = try varint()
        guard value <= UInt64(max(limit, 0)) else { throw .malformed("\(what()) \(value) is out of range", at: start) }
        return Int(value)
    }

    /// A count (at most `limit`), then that many type-table indices, each checked against the table.
    mutating func typeIndices(atMost limit: Int, typeCount: Int, what: @autoclosure () -> String) throws(PackError) -> [Int] {
        let count = try self.count(atMost: limit, what: "\(what()) count")
        var indices: [Int] = []
        for _ in 0..<count { indices.append(try self.count(atMost: typeCount - 1, what: what())) }
        return indices
    }

    /// A count (at most 256), then that many (varint image, varint offset) pairs.
    mutating func staticAddresses(imageCount: Int, what: @autoclosure () -> String) throws(PackError) -> [(image: Int, offset: UInt64)] {
        let count = try self.count(atMost: 256, what: "\(what()) count")
        var addresses: [(image: Int, offset: UInt64)] = []
        for _ in 0..<count {
            addresses.append((try self.count(atMost: imageCount - 1, what: "\(what()) image"), try varint()))
        }
        return addresses
    }

    mutating func bytes(atMost limit: Int, what: @autoclosure () -> String) throws(PackError) -> [UInt8] {
        let length = try count(atMost: limit, what: "\(what()) length")
        guard length <= end - offset else { throw .malformed("\(what()) runs past the header", at: offset) }
        defer { offset += length }
        return Array(bytes[offset..<(offset + length)])
    }
}
