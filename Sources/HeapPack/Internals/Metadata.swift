// Readers for Swift runtime metadata. Offsets follow include/swift/ABI/Metadata.h and the
// verified notes in shared/design/ABI-NOTES.md (Linux x86_64, no ObjC interop).

/// The `MetadataKind` values (include/swift/ABI/MetadataKind.def). Class metadata has kind 0
/// on non-ObjC platforms; a kind word above `lastEnumerated` is an isa pointer (also a class).
enum _MetadataKind {
    static let `class`: UInt = 0
    static let `struct`: UInt = 0x200
    static let `enum`: UInt = 0x201
    static let optional: UInt = 0x202
    static let foreignClass: UInt = 0x203
    static let foreignReferenceType: UInt = 0x204
    static let opaque: UInt = 0x300
    static let tuple: UInt = 0x301
    static let function: UInt = 0x302
    static let existential: UInt = 0x303
    static let metatype: UInt = 0x304
    static let objcClassWrapper: UInt = 0x305
    static let existentialMetatype: UInt = 0x306
    static let extendedExistential: UInt = 0x307
    static let fixedArray: UInt = 0x308
    static let heapLocalVariable: UInt = 0x400
    static let heapGenericLocalVariable: UInt = 0x500
    static let errorObject: UInt = 0x501
    static let task: UInt = 0x502
    static let job: UInt = 0x503
    static let lastEnumerated: UInt = 0x7FF
}

/// A type metadata record, read in place.
struct _Metadata: Hashable, @unchecked Sendable {
    let pointer: UnsafeRawPointer

    init(_ pointer: UnsafeRawPointer) { self.pointer = pointer }
    init(_ type: Any.Type) { self.pointer = unsafeBitCast(type, to: UnsafeRawPointer.self) }

    var kind: UInt {
        let word = pointer.load(as: UInt.self)
        return word > _MetadataKind.lastEnumerated ? _MetadataKind.class : word
    }
    var type: Any.Type { unsafeBitCast(pointer, to: Any.Type.self) }
    /// Only meaningful for real types (not closure-context or box metadata).
    /// The qualified name, for messages and policy lookups. Private and local contexts print as
    /// `(unknown context at $7f...)`, an address that differs per run and says nothing: dropped.
    var name: String {
        let full = _typeName(type, qualified: true)
        guard full.contains("(unknown context at $") else { return full }
        var result = Substring(full)
        while let start = result.firstRange(of: "(unknown context at $") {
            guard let close = result[start.upperBound...].firstIndex(of: ")") else { break }
            var end = result.index(after: close)
            if end < result.endIndex, result[end] == "." { end = result.index(after: end) }
            result.removeSubrange(start.lowerBound..<end)
        }
        return String(result)
    }

    private var valueWitnesses: UnsafeRawPointer { pointer.load(fromByteOffset: -8, as: UnsafeRawPointer.self) }
    var size: Int { valueWitnesses.load(fromByteOffset: 64, as: Int.self) }
    var stride: Int { valueWitnesses.load(fromByteOffset: 72, as: Int.self) }
    private var witnessFlags: UInt32 { valueWitnesses.load(fromByteOffset: 80, as: UInt32.self) }
    var alignMask: Int { Int(witnessFlags & 0xFF) }
    var isTrivial: Bool { witnessFlags & 0x1_0000 == 0 }
    /// An existential container keeps values of this type in a heap box (IsNonInline).
    var isBoxedInExistential: Bool { witnessFlags & 0x2_0000 != 0 }

    /// Nominal type descriptor (struct, enum, class).
    var descriptor: UnsafeRawPointer? {
        kind == _MetadataKind.class
            ? pointer.load(fromByteOffset: 40, as: UnsafeRawPointer?.self)
            : pointer.load(fromByteOffset: 8, as: UnsafeRawPointer?.self)
    }
}

/// Follows a 32-bit relative pointer stored at `base + offset`; nil when it is zero.
func _relative(_ base: UnsafeRawPointer, _ offset: Int) -> UnsafeRawPointer? {
    let delta = base.loadUnaligned(fromByteOffset: offset, as: Int32.self)
    return delta == 0 ? nil : base + offset + Int(delta)
}

/// A mangled type name as stored in reflection records: NUL-terminated, with embedded
/// symbolic references (0x01–0x17 + 4 bytes, 0x18–0x1F + 8 bytes) that are only valid in place.
struct _MangledName {
    let start: UnsafePointer<CChar>
    let length: Int

    init(_ pointer: UnsafeRawPointer) {
        let bytes = pointer.assumingMemoryBound(to: UInt8.self)
        var i = 0
        while true {
            let byte = bytes[i]
            if byte == 0 { break }
            if byte >= 0x01 && byte <= 0x17 { i += 5 } else if byte >= 0x18 && byte <= 0x1F { i += 9 } else { i += 1 }
        }
        start = pointer.assumingMemoryBound(to: CChar.self)
        length = i
    }

    /// The name's plain-text characters (symbolic references dropped), for suffix checks and
    /// messages.
    var plainText: String {
        let bytes = UnsafeRawPointer(start).assumingMemoryBound(to: UInt8.self)
        var text = [UInt8]()
        var i = 0
        while i < length {
            let byte = bytes[i]
            if byte >= 0x01 && byte <= 0x17 { i += 5; text.append(UInt8(ascii: "$")); continue }
            if byte >= 0x18 && byte <= 0x1F { i += 9; text.append(UInt8(ascii: "$")); continue }
            text.append(byte)
            i += 1
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// Reference-storage suffixes: `weak` (Xw), `unowned` (Xo), `unowned(unsafe)` (Xu). The
    /// runtime resolves such names to the referent type, dropping the ownership, so the walker
    /// has to look at the name itself.
    var referenceStorage: String? {
        let text = plainText
        if text.hasSuffix("Xw") { return "weak" }
        if text.hasSuffix("Xo") { return "unowned" }
        if text.hasSuffix("Xu") { return "unowned(unsafe)" }
        return nil
    }

    /// The context descriptor when the whole name is one direct symbolic reference (0x01).
    var directDescriptor: UnsafeRawPointer? {
        let bytes = UnsafeRawPointer(start)
        guard length == 5, bytes.load(as: UInt8.self) == 0x01 else { return nil }
        return _relative(bytes, 1)
    }

    /// For messages: a lone symbolic reference is shown as its descriptor's name.
    var displayName: String {
        directDescriptor.map(_descriptorName) ?? plainText
    }

    /// SIL box types name the box of a captured `var`: one strong reference. `...Xx` is a box
    /// of a concrete type, `...XX` one with a generic layout.
    var isSILBox: Bool {
        let text = plainText
        return text.hasSuffix("Xx") || text.hasSuffix("XX")
    }

    /// SIL function types (`SiIegd_`): the capture of a reabstraction thunk. Returns whether
    /// the function is thick (function + context, 16 bytes) or nil if the name is not one.
    var silFunctionIsThick: Bool? {
        let text = Array(plainText.utf8)
        guard text.last == UInt8(ascii: "_"), let marker = text.lastIndex(of: UInt8(ascii: "I")) else { return nil }
        var attributes = text[(marker + 1)..<(text.count - 1)]
        guard attributes.allSatisfy({ ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) }) else { return nil }
        if attributes.first == UInt8(ascii: "e") { attributes = attributes.dropFirst() }
        switch attributes.first {
        case UInt8(ascii: "y"), UInt8(ascii: "g"), UInt8(ascii: "x"):
            // A representation letter after the callee convention makes it thin.
            let representation = attributes.dropFirst().first
            if let r = representation, [UInt8(ascii: "B"), UInt8(ascii: "C"), UInt8(ascii: "M"),
                                       UInt8(ascii: "J"), UInt8(ascii: "K"), UInt8(ascii: "W")].contains(r) { return false }
            return true
        case UInt8(ascii: "t"): return false
        default: return nil
        }
    }
}

/// One record of a field descriptor: a stored property or an enum case.
struct _FieldRecord {
    let flags: UInt32
    let typeName: _MangledName?
    let name: String
    var isIndirectCase: Bool { flags & 0x1 != 0 }
}

/// Reads the field records of a nominal type descriptor (Fields rel32 at +16).
func _fieldRecords(of descriptor: UnsafeRawPointer) -> [_FieldRecord]? {
    guard let fields = _relative(descriptor, 16) else { return nil }
    let recordSize = Int(fields.load(fromByteOffset: 10, as: UInt16.self))
    let count = Int(fields.load(fromByteOffset: 12, as: UInt32.self))
    guard recordSize >= 12 else { return nil }
    var records: [_FieldRecord] = []
    records.reserveCapacity(count)
    for i in 0..<count {
        let record = fields + 16 + i * recordSize
        let flags = record.load(as: UInt32.self)
        let typeName = _relative(record, 4).map(_MangledName.init)
        let name = _relative(record, 8).map { String(cString: $0.assumingMemoryBound(to: CChar.self)) } ?? "?"
        records.append(_FieldRecord(flags: flags, typeName: typeName, name: name))
    }
    return records
}

/// The descriptor's own name (Name rel32 at +8).
func _descriptorName(_ descriptor: UnsafeRawPointer) -> String {
    _relative(descriptor, 8).map { String(cString: $0.assumingMemoryBound(to: CChar.self)) } ?? "?"
}

/// Generic parameters of a nominal type descriptor (TypeGenericContextDescriptorHeader, after
/// the kind's fixed fields), or nil for a non-generic type.
struct _GenericShape {
    let parameterCount: Int
    let keyArgumentCount: Int
    let hasPacks: Bool

    init?(descriptor: UnsafeRawPointer) {
        let flags = descriptor.load(as: UInt32.self)
        guard flags & 0x80 != 0 else { return nil }
        let fixedSize: Int
        switch flags & 0x1F {
        case 16: fixedSize = 44  // class
        case 17, 18: fixedSize = 28  // struct, enum
        default: return nil
        }
        let header = descriptor + fixedSize + 8
        parameterCount = Int(header.load(as: UInt16.self))
        keyArgumentCount = Int(header.load(fromByteOffset: 4, as: UInt16.self))
        hasPacks = header.load(fromByteOffset: 6, as: UInt16.self) & 0x1 != 0
    }
}

extension _Metadata {
    /// Where the generic argument vector of this (nominal) metadata starts.
    var genericArguments: UnsafeRawPointer? {
        guard let descriptor else { return nil }
        if kind != _MetadataKind.class { return pointer + 16 }
        let typeFlags = descriptor.load(as: UInt32.self) >> 16
        if typeFlags & (1 << 13) != 0 {
            guard let bounds = _relative(descriptor, 24) else { return nil }
            return pointer + bounds.load(as: Int.self)
        }
        let positiveSize = Int(descriptor.load(fromByteOffset: 28, as: UInt32.self))
        let immediateCount = Int(descriptor.load(fromByteOffset: 32, as: UInt32.self))
        return pointer + (positiveSize - immediateCount) * 8
    }

    var isNominal: Bool {
        let k = kind
        return k == _MetadataKind.class || k == _MetadataKind.struct || k == _MetadataKind.enum || k == _MetadataKind.optional
    }
}
