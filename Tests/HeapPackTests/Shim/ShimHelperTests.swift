import CHeapPack
import Testing

// The shim's checks, called directly with plans and offsets made by hand: the plan builder never
// makes a plan that breaks the contract and packets from this binary never hold a bad image
// offset, so only these tests show that `hp_plan_seal` and `hp_image_table_resolve` refuse them.

@Suite("Shim helpers")
struct ShimHelperTests {
    /// What sealing a plan of `kind` over `size` bytes with `ops` did.
    struct Sealed {
        var status: hp_status
        /// The first bad op, or `UInt32.max` for the plan itself (or none).
        var op: UInt32
        var plan: hp_plan
    }

    /// An unsealed plan of `kind` over `size` bytes (word-aligned) with `ops`.
    private static func plan(_ kind: hp_plan_kind, size: UInt32, ops: UnsafeBufferPointer<hp_op>) -> hp_plan {
        var plan = hp_plan()
        plan.kind = kind.rawValue
        plan.size = size
        plan.stride = size
        plan.align_mask = 7
        plan.op_count = UInt32(ops.count)
        plan.ops = ops.baseAddress
        return plan
    }

    /// Seals a plan with `ops`; `configure` sets the kind's other fields. The ops are only
    /// valid during the call: read `plan`'s scalar fields only.
    private func seal(_ kind: hp_plan_kind = HP_PLAN_VALUE, size: UInt32, ops: [hp_op],
                      configure: (inout hp_plan) -> Void = { _ in }) -> Sealed {
        ops.withUnsafeBufferPointer { buffer in
            var plan = Self.plan(kind, size: size, ops: buffer)
            configure(&plan)
            var op: UInt32 = 0
            let status = hp_plan_seal(&plan, &op)
            return Sealed(status: status, op: op, plan: plan)
        }
    }

    private func op(_ kind: hp_op_kind, _ offset: UInt32, data: hp_op_data = hp_op_data(),
                    sub: UnsafePointer<hp_plan>? = nil) -> hp_op {
        hp_op(kind: kind.rawValue, offset: offset, data: data, sub: sub)
    }

    /// A sealed value plan with `ops`, kept alive (with its ops) until `body` returns.
    private func withSealedPlan<T>(size: UInt32, ops: [hp_op],
                                   _ body: (UnsafePointer<hp_plan>) throws -> T) throws -> T {
        let buffer = UnsafeMutablePointer<hp_op>.allocate(capacity: max(ops.count, 1))
        buffer.initialize(from: ops, count: ops.count)
        defer { buffer.deallocate() }
        var plan = Self.plan(HP_PLAN_VALUE, size: size, ops: UnsafeBufferPointer(start: buffer, count: ops.count))
        var bad: UInt32 = 0
        try #require(hp_plan_seal(&plan, &bad) == HP_OK)
        return try withUnsafePointer(to: &plan) { try body($0) }
    }

    /// Any non-null pointer: fields the seal checks for presence only (metadata, hooks).
    private let somePointer = UnsafeRawPointer(bitPattern: 0x1000)!

    // MARK: - hp_plan_seal

    @Test("a correct value plan is sealed, with its fewest wire bytes and whether it defers")
    func acceptsCorrectPlan() {
        // STRING 0..<16 (2 bytes at least), a byte at 16 (raw), PADDING 17..<24 (nothing), REF at 24
        // (1), WEAK at 32 (its varint in the trailer: 1), raw bytes 40..<48 (8).
        let sealed = seal(size: 48, ops: [
            op(HP_OP_STRING, 0), op(HP_OP_PADDING, 17, data: hp_op_data(width: 7)), op(HP_OP_REF, 24),
            op(HP_OP_WEAK, 32),
        ])
        #expect(sealed.status == HP_OK)
        #expect(sealed.op == UInt32.max)
        #expect(sealed.plan.sealed == 1)
        #expect(sealed.plan.min_wire_size == 2 + 1 + 1 + 1 + 8)
        #expect(sealed.plan.defers == 1, "a WEAK op leaves work for after the build pass")

        // REF (1), INTERIOR (1), then the slice's two raw index words it needs after it (16).
        let plain = seal(size: 32, ops: [op(HP_OP_REF, 0), op(HP_OP_INTERIOR, 8, data: hp_op_data(owner_distance: -8))])
        #expect(plain.status == HP_OK)
        #expect(plain.plan.min_wire_size == 1 + 1 + 16)
        #expect(plain.plan.defers == 0)

        let empty = seal(size: 5, ops: [])
        #expect(empty.status == HP_OK)
        #expect(empty.plan.min_wire_size == 5, "every byte no op covers travels")
    }

    @Test("ops out of order, overlapping or past the value's end are refused")
    func refusesBadOrder() {
        let outOfOrder = seal(size: 16, ops: [op(HP_OP_REF, 8), op(HP_OP_REF, 0)])
        #expect(outOfOrder.status == HP_ERR_INTERNAL)
        #expect(outOfOrder.op == 1)
        #expect(outOfOrder.plan.sealed == 0)

        let overlapping = seal(size: 24, ops: [op(HP_OP_STRING, 0), op(HP_OP_REF, 8)])
        #expect(overlapping.status == HP_ERR_INTERNAL)
        #expect(overlapping.op == 1)

        let twice = seal(size: 16, ops: [op(HP_OP_REF, 0), op(HP_OP_REF, 0)])
        #expect(twice.status == HP_ERR_INTERNAL)
        #expect(twice.op == 1)

        let pastEnd = seal(size: 8, ops: [op(HP_OP_STRING, 0)])
        #expect(pastEnd.status == HP_ERR_INTERNAL)
        #expect(pastEnd.op == UInt32.max, "the plan itself is too small")

        let emptyPadding = seal(size: 8, ops: [op(HP_OP_PADDING, 0, data: hp_op_data(width: 0))])
        #expect(emptyPadding.status == HP_ERR_INTERNAL)
        #expect(emptyPadding.op == 0)
    }

    @Test("an unknown op kind is refused")
    func refusesUnknownKind() {
        for kind in [HP_OP_NONE.rawValue, HP_OP_KIND_COUNT.rawValue, 0xFFFF] {
            let sealed = seal(size: 16, ops: [op(HP_OP_REF, 0), hp_op(kind: kind, offset: 8, data: hp_op_data(), sub: nil)])
            #expect(sealed.status == HP_ERR_INTERNAL, "kind \(kind)")
            #expect(sealed.op == 1, "kind \(kind)")
        }
        #expect(seal(size: 1, ops: []).status == HP_OK)
        var plan = hp_plan()
        plan.kind = 0
        var bad: UInt32 = 0
        #expect(hp_plan_seal(&plan, &bad) == HP_ERR_INTERNAL, "an unknown plan kind")
        #expect(bad == UInt32.max)
    }

    @Test("an INTERIOR op must come right after the REF op it points into")
    func refusesMisplacedInterior() {
        let first = seal(size: 8, ops: [op(HP_OP_INTERIOR, 0, data: hp_op_data(owner_distance: 0))])
        #expect(first.status == HP_ERR_INTERNAL)
        #expect(first.op == 0)

        let notRightAfter = seal(size: 32, ops: [
            op(HP_OP_REF, 0), op(HP_OP_STRING, 8), op(HP_OP_INTERIOR, 24, data: hp_op_data(owner_distance: -24)),
        ])
        #expect(notRightAfter.status == HP_ERR_INTERNAL)
        #expect(notRightAfter.op == 2)

        let afterAnotherKind = seal(size: 16, ops: [
            op(HP_OP_RAW_POINTER, 0), op(HP_OP_INTERIOR, 8, data: hp_op_data(owner_distance: -8)),
        ])
        #expect(afterAnotherKind.status == HP_ERR_INTERNAL)
        #expect(afterAnotherKind.op == 1)

        let wrongDistance = seal(size: 24, ops: [
            op(HP_OP_REF, 0), op(HP_OP_INTERIOR, 16, data: hp_op_data(owner_distance: -8)),
        ])
        #expect(wrongDistance.status == HP_ERR_INTERNAL)
        #expect(wrongDistance.op == 1)

        let gapIsFine = seal(size: 40, ops: [
            op(HP_OP_REF, 0), op(HP_OP_INTERIOR, 16, data: hp_op_data(owner_distance: -16)),
        ])
        #expect(gapIsFine.status == HP_OK)

        // The reader checks the slice's startIndex and endIndexAndFlags, the raw words after it.
        let noIndices = seal(size: 24, ops: [
            op(HP_OP_REF, 0), op(HP_OP_INTERIOR, 8, data: hp_op_data(owner_distance: -8)),
        ])
        #expect(noIndices.status == HP_ERR_INTERNAL)
        #expect(noIndices.op == 1)
        let coveredIndices = seal(size: 40, ops: [
            op(HP_OP_REF, 0), op(HP_OP_INTERIOR, 8, data: hp_op_data(owner_distance: -8)), op(HP_OP_REF, 24),
        ])
        #expect(coveredIndices.status == HP_ERR_INTERNAL)
        #expect(coveredIndices.op == 1)
    }

    @Test("a STATIC_STRING op needs StaticString's count and flags as raw bytes after it")
    func refusesStaticStringWithoutCount() {
        #expect(seal(size: 17, ops: [op(HP_OP_STATIC_STRING, 0)]).status == HP_OK)
        let cut = seal(size: 16, ops: [op(HP_OP_STATIC_STRING, 0)])
        #expect(cut.status == HP_ERR_INTERNAL)
        #expect(cut.op == 0)
        let covered = seal(size: 24, ops: [op(HP_OP_STATIC_STRING, 0), op(HP_OP_REF, 16)])
        #expect(covered.status == HP_ERR_INTERNAL)
        #expect(covered.op == 0)
    }

    @Test("an ENUM op in a value plan needs a sealed enum plan")
    func refusesEnumWithoutPlan() throws {
        let missing = seal(size: 8, ops: [op(HP_OP_ENUM, 0)])
        #expect(missing.status == HP_ERR_INTERNAL)
        #expect(missing.op == 0)

        try withSealedPlan(size: 8, ops: [op(HP_OP_REF, 0)]) { payload in
            let wrongKind = seal(size: 8, ops: [op(HP_OP_ENUM, 0, sub: payload)])
            #expect(wrongKind.status == HP_ERR_INTERNAL, "a value plan where the enum plan should be")
            #expect(wrongKind.op == 0)

            var payloads: [UnsafePointer<hp_plan>?] = [payload]
            payloads.withUnsafeMutableBufferPointer { cases in
                var enumPlan = hp_plan()
                enumPlan.kind = HP_PLAN_ENUM.rawValue
                enumPlan.size = 9
                enumPlan.stride = 16
                enumPlan.align_mask = 7
                enumPlan.metadata = somePointer
                enumPlan.case_count = 2
                enumPlan.payload_case_count = 1
                enumPlan.payloads = UnsafePointer(cases.baseAddress)

                let unsealed = withUnsafePointer(to: enumPlan) { seal(size: 16, ops: [op(HP_OP_ENUM, 0, sub: $0)]) }
                #expect(unsealed.status == HP_ERR_INTERNAL, "an enum plan not sealed yet")
                #expect(unsealed.op == 0)

                var bad: UInt32 = 0
                #expect(hp_plan_seal(&enumPlan, &bad) == HP_OK)
                let sealed = withUnsafePointer(to: enumPlan) { seal(size: 16, ops: [op(HP_OP_ENUM, 0, sub: $0)]) }
                #expect(sealed.status == HP_OK)
                // ENUM covers the enum plan's 9 bytes and takes 1 at least; 7 raw bytes follow.
                #expect(sealed.plan.min_wire_size == 1 + 7)
                #expect(sealed.plan.defers == 0)

                enumPlan.payload_case_count = 3
                #expect(hp_plan_seal(&enumPlan, &bad) == HP_ERR_INTERNAL, "more payload cases than cases")
            }
        }
    }

    @Test("an object's replacement must be plain data, and the object must have no ops of its own")
    func refusesObjectReplacementWithReference() throws {
        func sealObject(replacement: hp_op, ops: [hp_op] = []) -> Sealed {
            withUnsafePointer(to: replacement) { replacement in
                seal(HP_PLAN_OBJECT, size: ops.isEmpty ? 16 : 24, ops: ops) { plan in
                    plan.body_offset = 16
                    plan.metadata = somePointer
                    plan.replacement = replacement
                }
            }
        }
        let hooks = hp_op_data(replaced_type: somePointer)
        try withSealedPlan(size: 24, ops: [op(HP_OP_STRING, 0), op(HP_OP_REF, 16)]) { withReference in
            let sealed = sealObject(replacement: op(HP_OP_REPLACE, 0, data: hooks, sub: withReference))
            #expect(sealed.status == HP_ERR_INTERNAL)
            #expect(sealed.op == UInt32.max)
        }
        try withSealedPlan(size: 24, ops: [op(HP_OP_STRING, 0), op(HP_OP_METADATA, 16)]) { plain in
            #expect(sealObject(replacement: op(HP_OP_REPLACE, 0, data: hooks, sub: plain)).status == HP_OK)
            let notReplace = sealObject(replacement: op(HP_OP_REF, 0, data: hooks, sub: plain))
            #expect(notReplace.status == HP_ERR_INTERNAL)
            let withOps = sealObject(replacement: op(HP_OP_REPLACE, 0, data: hooks, sub: plain), ops: [op(HP_OP_REF, 16)])
            #expect(withOps.status == HP_ERR_INTERNAL, "an object that travels as a replacement has no body")
        }
    }

    @Test("an object plan's ops start at its body")
    func objectOpsInsideBody() {
        let inHeader = seal(HP_PLAN_OBJECT, size: 24, ops: [op(HP_OP_REF, 8)]) { $0.body_offset = 16 }
        #expect(inHeader.status == HP_ERR_INTERNAL)
        #expect(inHeader.op == 0)
        let inBody = seal(HP_PLAN_OBJECT, size: 32, ops: [op(HP_OP_REF, 16)]) { $0.body_offset = 16 }
        #expect(inBody.status == HP_OK)
        #expect(inBody.plan.body_offset == 16, "an object's own fields are not overwritten (min_wire_size is a value's)")
        let tailWithoutElement = seal(HP_PLAN_OBJECT, size: 32, ops: []) { plan in
            plan.body_offset = 32
            plan.has_tail = 1
        }
        #expect(tailWithoutElement.status == HP_ERR_INTERNAL)
    }

    // MARK: - hp_image_table_resolve

    /// The address of a thin function in this test binary.
    private static let function: @convention(c) (Int32) -> Int32 = { $0 &+ 1 }

    @Test("resolve accepts offsets inside an image's file-backed bytes and refuses spans past them")
    func resolveBounds() throws {
        var table = hp_image_table()
        try #require(hp_image_table_load(&table) == HP_OK)
        defer { hp_image_table_free(&table) }

        let literal: StaticString = "a literal in read-only data"
        let addresses = [UInt(bitPattern: literal.utf8Start), unsafeBitCast(Self.function, to: UInt.self)]
        for address in addresses {
            var image: UInt32 = 0
            var offset: UInt64 = 0
            try #require(hp_image_table_locate(&table, address, &image, &offset))
            var resolved: UInt = 0
            #expect(hp_image_table_resolve(&table, image, offset, 1, &resolved))
            #expect(resolved == address)

            // The segment holding it: a span that crosses its file-backed end is refused, even
            // if another segment of the image follows.
            let segments = UnsafeBufferPointer(start: table.segments, count: Int(table.segment_count))
            let segment = try #require(segments.first { $0.start <= address && address < $0.end })
            let base = table.images![Int(image)].base
            let segmentEnd = UInt64(segment.end - base)
            #expect(hp_image_table_resolve(&table, image, segmentEnd - 8, 8, &resolved))
            #expect(!hp_image_table_resolve(&table, image, segmentEnd - 4, 8, &resolved))
            #expect(!hp_image_table_resolve(&table, image, offset, UInt64.max, &resolved), "a span that wraps")

            // Past the image's last file-backed byte, nothing resolves.
            let imageEnd = UInt64(segments.filter { $0.image == image }.map(\.end).max()! - base)
            #expect(!hp_image_table_resolve(&table, image, imageEnd, 1, &resolved))
            #expect(!hp_image_table_resolve(&table, image, imageEnd - 1, 2, &resolved))
            #expect(!hp_image_table_resolve(&table, image, UInt64.max, 1, &resolved), "an offset that wraps")
            #expect(!hp_image_table_resolve(&table, table.image_count, offset, 1, &resolved), "no such image")
        }
    }
}
