import CHeapPack

/// The one table from the shim's failure reasons to `PackError`s. The shim records which check
/// failed where it failed (`hp_site.reason`); nothing here guesses a cause from a status.
enum _WalkFailure {
    /// What a failed pack walk means.
    ///
    /// - Parameters:
    ///   - pointer: the offending pointer the site recorded, if any.
    ///   - nesting: the kind of inline value at the site, for a nesting-depth failure.
    ///   - recorded: the error a plan provider or callback left in the walk's context.
    ///   - refusal: the plan builder's refusal kept under a REFUSED op's plan.
    static func pack(_ status: hp_status, _ reason: hp_reason, pointer: UInt, maxObjects: UInt64, nesting: String,
                     recorded: PackError?, refusal: PackError?) -> PackError {
        switch reason {
        case HP_REASON_PLAN_REFUSED, HP_REASON_CALLBACK_FAILED:
            return recorded ?? .internalInconsistency("a plan provider or callback failed without saying why")
        case HP_REASON_VALUE_REFUSED:
            return refusal ?? .internalInconsistency("a refused value has no refusal kept under its plan")
        case HP_REASON_RAW_POINTER_OUTSIDE_IMAGES:
            return .nonTransferable("a raw pointer to \(hex(pointer)), which is not in any binary's static data; "
                                    + "it would point at nothing in another process")
        case HP_REASON_STATIC_POINTER_OUTSIDE_IMAGES:
            return .nonTransferable("a code or static-data pointer \(hex(pointer)) that lies in no loaded image's "
                                    + "file-backed bytes")
        case HP_REASON_UNOWNED_TARGET_NOT_PACKED:
            return .nonTransferable("an unowned reference to an object that is not in the packet: it would "
                                    + "dangle in the receiver (make it weak, or pack its target too)")
        case HP_REASON_INTERIOR_OUTSIDE_OWNER:
            return .unsupported("an interior pointer (an ArraySlice's base address) outside the storage object it "
                                + "belongs to")
        case HP_REASON_OBJECT_LIMIT:
            return .limit("more than \(maxObjects) objects (PackOptions.maxObjects)")
        case HP_REASON_INLINE_DEPTH:
            return .limit("\(nesting) nests more than \(HP_MAX_NESTING) levels of values held inline "
                          + "(enum payloads, existential values and replacements, counted together)")
        case HP_REASON_WITNESS_MISMATCH:
            return .unsupported("the existential's witness tables are not the ones the runtime finds for its type "
                                + "(a retroactive or overlapping conformance?)")
        case HP_REASON_ENUM_TAG_OUT_OF_RANGE:
            return .internalInconsistency("an enum's tag names a case its layout plan does not have (misread metadata)")
        case HP_REASON_UNKNOWN_OP:
            return .internalInconsistency("a layout plan holds an op the walker does not know")
        case HP_REASON_BAD_PLAN:
            return .internalInconsistency("a layout plan breaks a rule of the plan contract")
        case HP_REASON_NO_MEMORY:
            return .limit("out of memory while packing")
        default:
            return unrecorded(status, while: "packing")
        }
    }

    /// What a failed unpack walk means. `offset` is where the reader stopped; `reading` says
    /// what it was reading there (`" (reading .next of Node)"`, or empty); `pointer` is the
    /// offending pointer the site recorded; `recorded` the error of a type-table entry the body
    /// needed and that did not resolve.
    static func unpack(_ status: hp_status, _ reason: hp_reason, maxObjects: UInt64, offset: Int,
                       reading: String, pointer: UInt = 0, recorded: PackError? = nil) -> PackError {
        switch reason {
        case HP_REASON_CALLBACK_FAILED:
            return recorded ?? .internalInconsistency("a type-table entry did not resolve, without saying why")
        case HP_REASON_NOT_A_FUNCTION_ENTRY:
            return .malformed("a code pointer (\(hex(pointer))) is not the entry of a function in this binary"
                              + reading, at: offset)
        case HP_REASON_OBJECT_LIMIT:
            return .limit("the packet makes more than \(maxObjects) objects (UnpackOptions.maxObjects)")
        case HP_REASON_EMPTY_ELEMENT_LIMIT:
            return .limit("the packet's arrays claim more than \(HP_MAX_EMPTY_ELEMENTS) zero-size elements together")
        case HP_REASON_STATIC_STRING_LIMIT:
            return .limit("the packet's StaticStrings span more than \(HP_MAX_STATIC_STRING_BYTES) bytes of static data "
                          + "together")
        case HP_REASON_NULL_IN_NON_OPTIONAL:
            return .malformed("a null reference, function or metatype where the type is not Optional" + reading, at: offset)
        case HP_REASON_SINGLETON_MISPLACED:
            return .malformed("a runtime singleton or named object where it does not fit (another class, or a box "
                              + "its closure writes into)" + reading, at: offset)
        case HP_REASON_LINK_TARGET_TYPE:
            return .malformed("a weak or unowned reference to an object of a class its slot cannot hold", at: offset)
        case HP_REASON_LINK_TARGET_NOT_HELD:
            return .malformed("an unowned reference to an object that only the contents of a Dictionary, Set or "
                              + "PackReplaceable value hold, which their rebuild may drop (make the reference weak)",
                              at: offset)
        case HP_REASON_METATYPE_OUT_OF_BOUND:
            return .malformed("a metatype that its slot's type does not allow" + reading, at: offset)
        case HP_REASON_BAD_SMALL_STRING:
            return .malformed("16 bytes that are not a small String as the runtime makes one" + reading, at: offset)
        case HP_REASON_BAD_SLICE:
            return .malformed("an ArraySlice whose bounds lie outside its storage" + reading, at: offset)
        case HP_REASON_NOT_A_CASE:
            return .malformed("bytes that are no value of their type (a Bool other than 0 or 1, an enum tag past "
                              + "its cases, a Unicode scalar that is none)" + reading, at: offset)
        case HP_REASON_BAD_SUBSTRING:
            return .malformed("a Substring whose bounds are out of order, outside its base string or inside a "
                              + "Unicode scalar" + reading, at: offset)
        case HP_REASON_REVERSED_BOUNDS:
            return .malformed("a Range or ClosedRange whose lower bound is above its upper bound" + reading, at: offset)
        case HP_REASON_INLINE_DEPTH:
            // The writer walks the same plans under the same limit, so no packet it made gets here.
            return .malformed("values held inline nest more than \(HP_MAX_NESTING) levels deep, which no "
                              + "writer produces" + reading, at: offset)
        case HP_REASON_UNKNOWN_OP:
            return .internalInconsistency("a layout plan holds an op the reader does not know" + reading)
        case HP_REASON_BAD_PLAN:
            return .internalInconsistency("a layout plan breaks a rule of the plan contract" + reading)
        case HP_REASON_NO_MEMORY:
            return .limit("out of memory while unpacking")
        default:
            switch status {
            case HP_ERR_MALFORMED:
                return .malformed("the body is truncated or inconsistent" + reading, at: offset)
            case HP_ERR_TYPE_MISMATCH:
                return .malformed("an object's type does not fit the slot that refers to it" + reading, at: offset)
            default:
                return unrecorded(status, while: "unpacking")
            }
        }
    }

    /// Failures whose site records no reason: the shared allocation helpers report only a status.
    private static func unrecorded(_ status: hp_status, while doing: String) -> PackError {
        switch status {
        case HP_ERR_NO_MEMORY: .limit("out of memory while \(doing)")
        case HP_ERR_LIMIT: .limit("the walk's tables outgrew their 32-bit indices while \(doing)")
        default: .internalInconsistency("the walk stopped while \(doing) (status \(status.rawValue)) without "
                                        + "recording why")
        }
    }

    private static func hex(_ pointer: UInt) -> String { "0x" + String(pointer, radix: 16) }
}
