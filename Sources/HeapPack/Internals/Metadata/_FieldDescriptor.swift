/// `FieldDescriptor` (RemoteInspection's Records.h): a header, then one record per stored
/// property or enum case.
struct _FieldDescriptor {
    let pointer: UnsafeRawPointer
    init(_ pointer: UnsafeRawPointer) { self.pointer = pointer }

    private static let headerSize = 16
    private var fieldRecordSize: Int { Int(pointer.load(fromByteOffset: 10, as: UInt16.self)) }
    private var numFields: Int { Int(pointer.load(fromByteOffset: 12, as: UInt32.self)) }

    /// Nil when the records are smaller than a `FieldRecord` (not a field descriptor).
    var records: [_FieldRecord]? {
        let recordSize = fieldRecordSize
        let count = numFields
        guard recordSize >= 12 else { return nil }
        var records: [_FieldRecord] = []
        records.reserveCapacity(count)
        for i in 0..<count {
            records.append(_FieldRecord(pointer + Self.headerSize + i * recordSize))
        }
        return records
    }
}

/// One `FieldRecord` of a field descriptor: a stored property or an enum case.
struct _FieldRecord {
    let flags: UInt32
    let typeName: _MangledName?
    let name: String

    init(_ record: UnsafeRawPointer) {
        flags = record.load(as: UInt32.self)
        typeName = _relative(record, 4).map(_MangledName.init)
        name = _relative(record, 8).map { String(cString: $0.assumingMemoryBound(to: CChar.self)) } ?? "?"
    }

    /// FieldRecordFlags::IsIndirectCase.
    var isIndirectCase: Bool { flags & 0x1 != 0 }
}

extension _TypeContextDescriptor {
    /// The field records, nil without reflection metadata.
    var fieldRecords: [_FieldRecord]? { fields?.records }
}
