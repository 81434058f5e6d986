import CHeapPack
@testable import HeapPack
import Testing

// The shim records which check failed; the Swift layer maps each reason to its error in one
// table (_WalkFailure). These tests reach reasons that values alone reach rarely or never.

@Suite("Walk failures")
struct WalkFailureTests {
    @Test("a plan op the walker does not know is an internal inconsistency, not a property of the value")
    func unknownOp() throws {
        var images = hp_image_table()
        defer { hp_image_table_free(&images) }
        #expect(hp_image_table_load(&images) == HP_OK)
        var ops = [hp_op(kind: 999, offset: 0, data: hp_op_data(), sub: nil)]
        var value = 7
        let (status, reason) = ops.withUnsafeMutableBufferPointer { ops in
            var plan = hp_plan()
            plan.kind = HP_PLAN_VALUE.rawValue
            plan.size = 8
            plan.stride = 8
            plan.align_mask = 7
            plan.op_count = 1
            plan.ops = UnsafePointer(ops.baseAddress)
            // Marked sealed by hand, past hp_plan_seal (which refuses the op), to reach the walker's own check.
            plan.sealed = 1
            // No callback is reached: the walk stops at the first op.
            let callbacks = hp_pack_callbacks(plan_for: { _, _, _ in nil }, value_plan_for: { _, _, _ in nil },
                                              string_bytes: { _, _, _, _ in false }, replace: { _, _, _, _ in false },
                                              destroy_replacement: { _, _ in }, report: nil)
            let context = UnsafeMutableRawPointer.allocate(byteCount: 1, alignment: 1)
            defer { context.deallocate() }
            var config = hp_pack_config(images: withUnsafePointer(to: &images) { $0 }, callbacks: callbacks,
                                        context: context, static_objects: nil,
                                        static_object_count: 0, named_objects: nil, named_object_count: 0,
                                        max_objects: 10, record_origins: false)
            guard let packer = hp_packer_create(&config) else { return (HP_ERR_NO_MEMORY, HP_REASON_NONE) }
            defer { hp_packer_destroy(packer) }
            let status = hp_pack(packer, &plan, &value)
            return (status, hp_reason(rawValue: hp_packer_site(packer).reason))
        }
        #expect(status == HP_ERR_INTERNAL)
        #expect(reason == HP_REASON_UNKNOWN_OP)
        let error = _WalkFailure.pack(status, reason, pointer: 0, maxObjects: 10, nesting: "a value",
                                      recorded: nil, refusal: nil)
        #expect(error.code == .internalInconsistency)
        #expect(error.message.contains("a bug in HeapPack"))
    }

    @Test("every reason maps to the code its failure deserves")
    func reasonTable() {
        func packCode(_ status: hp_status, _ reason: hp_reason) -> PackError.Code {
            _WalkFailure.pack(status, reason, pointer: 0x10, maxObjects: 5, nesting: "a value", recorded: nil,
                              refusal: nil).code
        }
        #expect(packCode(HP_ERR_POINTER_NOT_STATIC, HP_REASON_RAW_POINTER_OUTSIDE_IMAGES) == .nonTransferable)
        #expect(packCode(HP_ERR_POINTER_NOT_STATIC, HP_REASON_STATIC_POINTER_OUTSIDE_IMAGES) == .nonTransferable)
        #expect(packCode(HP_ERR_POINTER_NOT_STATIC, HP_REASON_UNOWNED_TARGET_NOT_PACKED) == .nonTransferable)
        #expect(packCode(HP_ERR_UNSUPPORTED, HP_REASON_INTERIOR_OUTSIDE_OWNER) == .unsupported)
        #expect(packCode(HP_ERR_UNSUPPORTED, HP_REASON_WITNESS_MISMATCH) == .unsupported)
        #expect(packCode(HP_ERR_LIMIT, HP_REASON_OBJECT_LIMIT) == .limitExceeded)
        #expect(packCode(HP_ERR_LIMIT, HP_REASON_INLINE_DEPTH) == .limitExceeded)
        #expect(packCode(HP_ERR_INTERNAL, HP_REASON_ENUM_TAG_OUT_OF_RANGE) == .internalInconsistency)
        #expect(packCode(HP_ERR_PLAN, HP_REASON_PLAN_REFUSED) == .internalInconsistency, "a refusal without its error")
        #expect(packCode(HP_ERR_REFUSED, HP_REASON_VALUE_REFUSED) == .internalInconsistency, "a refused op without its refusal")
        #expect(packCode(HP_ERR_NO_MEMORY, HP_REASON_NONE) == .limitExceeded)
        #expect(packCode(HP_ERR_MALFORMED, HP_REASON_NONE) == .internalInconsistency, "pack never reads bytes")

        func unpackCode(_ status: hp_status, _ reason: hp_reason) -> PackError.Code {
            _WalkFailure.unpack(status, reason, maxObjects: 5, offset: 40, reading: "").code
        }
        #expect(unpackCode(HP_ERR_MALFORMED, HP_REASON_NONE) == .malformed)
        #expect(unpackCode(HP_ERR_TYPE_MISMATCH, HP_REASON_NONE) == .malformed)
        #expect(unpackCode(HP_ERR_LIMIT, HP_REASON_OBJECT_LIMIT) == .limitExceeded)
        #expect(unpackCode(HP_ERR_LIMIT, HP_REASON_EMPTY_ELEMENT_LIMIT) == .limitExceeded)
        #expect(unpackCode(HP_ERR_LIMIT, HP_REASON_INLINE_DEPTH) == .malformed, "no writer nests deeper than it can walk")
        #expect(unpackCode(HP_ERR_INTERNAL, HP_REASON_UNKNOWN_OP) == .internalInconsistency)
    }
}
