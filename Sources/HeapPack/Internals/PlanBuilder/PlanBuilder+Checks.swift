import CHeapPack

/// Plain bytes that not every bit pattern of is a value: a Bool, an enum's tag, a Range's bounds,
/// a Unicode scalar, String.Index's caches. They travel verbatim, under an op that says what the
/// reader must check (BELOW, TAG, ORDERED, SCALAR) or clear (MASKED). The policy (which types, which limits) is decided
/// here once per type; the reader's check is the shim's mechanism.
extension _PlanBuilder {
    /// Builtin.Int1, Bool's storage: one byte, 0 or 1.
    func booleanLayout(_ metadata: _Metadata) -> _ValueLayout {
        leaf(metadata, HP_OP_BELOW, data: hp_op_data(below: .init(width: 1, limit: 2)))
    }

    /// A no-payload enum: its case index, if the getEnumTag witness reads the bytes that way
    /// (every Swift enum; an enum imported from C keeps its raw values and gets the witness check).
    func caseIndexLayout(_ metadata: _Metadata, cases: Int) -> _ValueLayout? {
        let width = metadata.size
        guard cases > 1, width == 1 || width == 2 || width == 4, cases <= UInt32.max,
              cases <= 1 << min(8 * width, 32),
              witnessReads(metadata, width: width, values: Self.samples(below: cases), as: { $0 })
        else { return nil }
        return leaf(metadata, HP_OP_BELOW, data: hp_op_data(below: .init(width: UInt32(width), limit: UInt32(cases))))
    }

    /// A single-payload enum that keeps its empty cases in the extra inhabitants of a payload
    /// checked by BELOW (`Bool?`, `Colour??`): the payload's values, then one value per empty
    /// case, if the witness agrees.
    func extraInhabitantLayout(_ metadata: _Metadata, payload: _ValueLayout, emptyCases: Int) -> _ValueLayout? {
        guard payload.ops.count == 1, let op = payload.ops.first, op.kind == HP_OP_BELOW.rawValue, op.offset == 0,
              Int(op.data.below.width) == metadata.size, payload.size == metadata.size else { return nil }
        let width = Int(op.data.below.width), values = Int(op.data.below.limit)
        let limit = values + emptyCases
        guard limit <= 1 << min(8 * width, 32), limit <= UInt32.max,
              witnessReads(metadata, width: width, values: Self.samples(below: limit),
                           as: { $0 < values ? 0 : 1 + $0 - UInt32(values) })
        else { return nil }
        return leaf(metadata, HP_OP_BELOW, data: hp_op_data(below: .init(width: UInt32(width), limit: UInt32(limit))))
    }

    /// Every value below `limit` if there are few, else the ends and some between.
    private static func samples(below limit: Int) -> [UInt32] {
        if limit <= 1024 { return (0..<limit).map { UInt32($0) } }
        return [0, 1, limit / 3, limit / 2, limit - 2, limit - 1].map { UInt32($0) }
    }

    /// Whether `metadata`'s getEnumTag witness reads each of `values` (a `width`-byte little-endian
    /// integer) as the case `tag(value)`.
    private func witnessReads(_ metadata: _Metadata, width: Int, values: [UInt32],
                              as tag: (UInt32) -> UInt32) -> Bool {
        withUnsafeTemporaryAllocation(byteCount: 8, alignment: 8) { buffer in
            values.allSatisfy { value in
                buffer.storeBytes(of: UInt64(value).littleEndian, as: UInt64.self)
                return hp_enum_case(buffer.baseAddress!, metadata.pointer) == tag(value)
            }
        }
    }

    /// Range<Bound> and ClosedRange<Bound> of a fixed-width integer, floating-point or String.Index
    /// Bound: one ORDERED op over both bounds (lowerBound first; String.Index by its offsets, its
    /// caches cleared as MASKED does). Other bounds travel field by field, their order unchecked.
    func orderedRangeLayout(_ metadata: _Metadata) -> _ValueLayout? {
        guard let descriptor = metadata.typeDescriptor?.pointer,
              descriptor == _Metadata(Range<Int>.self).typeDescriptor?.pointer
                || descriptor == _Metadata(ClosedRange<Int>.self).typeDescriptor?.pointer,
              let bound = metadata.genericArguments?.load(as: UnsafeRawPointer.self) else { return nil }
        let numbers: [(Any.Type, UInt32, hp_number)] = [
            (Int.self, 8, HP_NUMBER_SIGNED), (Int64.self, 8, HP_NUMBER_SIGNED), (Int32.self, 4, HP_NUMBER_SIGNED),
            (Int16.self, 2, HP_NUMBER_SIGNED), (Int8.self, 1, HP_NUMBER_SIGNED),
            (UInt.self, 8, HP_NUMBER_UNSIGNED), (UInt64.self, 8, HP_NUMBER_UNSIGNED), (UInt32.self, 4, HP_NUMBER_UNSIGNED),
            (UInt16.self, 2, HP_NUMBER_UNSIGNED), (UInt8.self, 1, HP_NUMBER_UNSIGNED),
            (Double.self, 8, HP_NUMBER_FLOAT), (Float.self, 4, HP_NUMBER_FLOAT),
            (String.Index.self, 8, HP_NUMBER_STRING_INDEX),
        ]
        guard let (_, width, number) = numbers.first(where: { _Metadata($0.0).pointer == bound }),
              metadata.size == 2 * Int(width) else { return nil }
        return leaf(metadata, HP_OP_ORDERED, data: hp_op_data(ordered: .init(width: width, number: number.rawValue)))
    }

    /// String.Index: its offset, transcoded offset and encoding bits travel; its scalar- and
    /// character-alignment flags and cached character stride (b0, b1, b8-b13; b4-b7 are
    /// reserved) are cleared by the reader, so that the standard library aligns and measures the
    /// index again against the string it is used with (stdlib/public/core/StringIndex.swift).
    func stringIndexLayout(_ metadata: _Metadata) -> _ValueLayout? {
        guard metadata.pointer == _Metadata(String.Index.self).pointer, metadata.size == 8 else { return nil }
        return leaf(metadata, HP_OP_MASKED, data: hp_op_data(mask: UInt64(HP_STRING_INDEX_KEPT)))
    }

    /// Unicode.Scalar: its value must be one (at most U+10FFFF, not a surrogate), which the
    /// standard library assumes when it encodes it as UTF-8.
    func unicodeScalarLayout(_ metadata: _Metadata) -> _ValueLayout? {
        guard metadata.pointer == _Metadata(Unicode.Scalar.self).pointer, metadata.size == 4 else { return nil }
        return leaf(metadata, HP_OP_SCALAR)
    }

    /// Slice<String>, a Substring's storage: its bounds and base String under one SUBSTRING op,
    /// which checks the bounds against the base's UTF-8. Its fields must be where that op reads
    /// them (startIndex, endIndex, base), as the field layout says.
    func substringLayout(_ metadata: _Metadata, depth: Int) throws(PackError) -> _ValueLayout? {
        guard metadata.pointer == _Metadata(Slice<String>.self).pointer else { return nil }
        let fields = try structLayout(metadata, depth: depth)
        guard fields.size == 32, fields.ops.map(\.kind) == [HP_OP_MASKED, HP_OP_MASKED, HP_OP_STRING].map(\.rawValue),
              fields.ops.map(\.offset) == [0, 8, 16] else {
            throw .unsupported("a Substring whose storage has an unexpected layout", type: metadata.name)
        }
        return leaf(metadata, HP_OP_SUBSTRING)
    }
}
