// Views of Swift runtime metadata, one record or flag word each, named after the structs of
// include/swift/ABI/Metadata.h. Offsets are those of Linux x86_64 without Objective-C interop
// (verified in shared/design/ABI-NOTES.md); no other file reads a metadata record by offset.

/// A type metadata record, read in place. The views of each kind's record
/// (`_StructMetadata`, `_ClassMetadata`, ...) start from one of these.
struct _Metadata: Hashable, @unchecked Sendable {
    let pointer: UnsafeRawPointer

    init(_ pointer: UnsafeRawPointer) { self.pointer = pointer }
    init(_ type: Any.Type) { self.pointer = unsafeBitCast(type, to: UnsafeRawPointer.self) }

    /// Nil for a kind word that MetadataKind.def does not list.
    var kind: _MetadataKind? { _MetadataKind(word: pointer.load(as: UInt.self)) }
    /// The kind word as read, for messages about kinds that are not listed.
    var kindWord: UInt { pointer.load(as: UInt.self) }
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

    /// The word before the record (`TargetMetadata`'s value-witness pointer, present for type
    /// kinds only).
    private var valueWitnesses: _ValueWitnessTable {
        _ValueWitnessTable(pointer: pointer.load(fromByteOffset: -8, as: UnsafeRawPointer.self))
    }
    var size: Int { valueWitnesses.size }
    var stride: Int { valueWitnesses.stride }
    var alignMask: Int { valueWitnesses.flags.alignMask }
    var isTrivial: Bool { valueWitnesses.flags.isPOD }
    /// An existential container keeps values of this type in a heap box (IsNonInline).
    var isBoxedInExistential: Bool { valueWitnesses.flags.isNonInline }

    var isNominal: Bool { kind?.isNominal ?? false }

    /// The nominal type descriptor (struct, enum, class), as an address.
    var descriptor: UnsafeRawPointer? { typeDescriptor?.pointer }

    /// The nominal type descriptor: a class keeps it after its ObjC-compatible words, value
    /// types right after the kind.
    var typeDescriptor: _TypeContextDescriptor? {
        kind == .class ? _ClassMetadata(self).description : _ValueMetadata(self).description
    }

    /// Where the generic argument vector of this (nominal) metadata starts.
    var genericArguments: UnsafeRawPointer? {
        guard let descriptor = typeDescriptor else { return nil }
        guard kind == .class else { return _ValueMetadata(self).genericArguments }
        return _ClassDescriptor(descriptor).genericArgumentOffset.map { pointer + $0 }
    }
}
