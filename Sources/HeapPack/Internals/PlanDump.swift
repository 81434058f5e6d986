import CHeapPack

/// Plans as text, one line per op (`REF@8 .owner (class Owner)`), with the plans an op leads to
/// (enum payloads, a replacement's plan, a box's object plan, array elements) indented beneath
/// it. Golden tests compare these, so that a change in plan building shows as a readable diff:
/// the text holds only what is the same in every run (kinds, offsets, sizes, labels, type and
/// protocol names, refusals), never an address. Like the runtime's `PrintTypeInfo`.
extension _Engine {
    /// The root plan of `type`, as text.
    func planDump(of type: Any.Type) throws(PackError) -> String {
        let root = try rootPlan(type)
        return _PlanDump(engine: self).render(root.plan)
    }

    /// The object plan of instances with this metadata (a class, array storage, a closure
    /// context, a box), as text.
    func objectPlanDump(of metadata: _Metadata) throws(PackError) -> String {
        let object = try objectPlan(metadata)
        return _PlanDump(engine: self).render(object.plan)
    }
}

/// One dump: the lines so far and the plans already shown, so that a plan reached twice (a
/// recursive indirect enum's box) is shown once and then named as `(see above)`.
struct _PlanDump {
    let engine: _Engine
    private var lines: [String] = []
    private var shown: Set<UnsafeRawPointer> = []

    init(engine: _Engine) { self.engine = engine }

    consuming func render(_ plan: UnsafePointer<hp_plan>) -> String {
        add(plan, prefix: "", indent: 0)
        return lines.joined(separator: "\n")
    }

    /// The op table's names (`HP_OP_TABLE`), by kind; a kind missing here dumps as `OP(n)`.
    static let kindNames: [UInt32: String] = {
        var names: [UInt32: String] = [:]
        func name(_ kind: hp_op_kind, _ text: String) { names[kind.rawValue] = text }
        name(HP_OP_REF, "REF"); name(HP_OP_FUNC, "FUNC"); name(HP_OP_STATIC, "STATIC")
        name(HP_OP_RAW_POINTER, "RAW_POINTER"); name(HP_OP_METADATA, "METADATA"); name(HP_OP_STRING, "STRING")
        name(HP_OP_ENUM, "ENUM"); name(HP_OP_EXISTENTIAL, "EXISTENTIAL"); name(HP_OP_WEAK, "WEAK")
        name(HP_OP_UNOWNED, "UNOWNED"); name(HP_OP_UNOWNED_UNSAFE, "UNOWNED_UNSAFE")
        name(HP_OP_STATIC_STRING, "STATIC_STRING"); name(HP_OP_INTERIOR, "INTERIOR"); name(HP_OP_REPLACE, "REPLACE")
        name(HP_OP_REFUSED, "REFUSED"); name(HP_OP_PADDING, "PADDING")
        name(HP_OP_BELOW, "BELOW"); name(HP_OP_TAG, "TAG"); name(HP_OP_ORDERED, "ORDERED"); name(HP_OP_MASKED, "MASKED")
        name(HP_OP_SCALAR, "SCALAR"); name(HP_OP_SUBSTRING, "SUBSTRING")
        return names
    }()

    private mutating func line(_ indent: Int, _ text: String) {
        lines.append(String(repeating: "  ", count: indent) + text)
    }

    private func typeName(_ plan: UnsafePointer<hp_plan>) -> String {
        if let known = engine.describe(UnsafeRawPointer(plan)) { return known.typeName }
        if let metadata = plan.pointee.metadata { return _Metadata(metadata).name }
        return "?"
    }

    /// A plan's header line (after `prefix`), then its ops and what they lead to.
    private mutating func add(_ pointer: UnsafePointer<hp_plan>, prefix: String, indent: Int) {
        let plan = pointer.pointee
        let name = typeName(pointer)
        let kind: String = switch plan.kind {
        case HP_PLAN_VALUE.rawValue: "VALUE"
        case HP_PLAN_ENUM.rawValue: "ENUM"
        case HP_PLAN_OBJECT.rawValue: "OBJECT"
        default: "PLAN(kind \(plan.kind))"
        }
        guard shown.insert(UnsafeRawPointer(pointer)).inserted else {
            line(indent, prefix + "\(kind) \(name) (see above)")
            return
        }
        var header = prefix + "\(kind) \(name) size=\(plan.size)"
        if plan.kind != HP_PLAN_OBJECT.rawValue { header += " stride=\(plan.stride)" }
        header += " align=\(UInt64(plan.align_mask) + 1)"
        switch plan.kind {
        case HP_PLAN_ENUM.rawValue:
            header += " cases=\(plan.case_count) payload_cases=\(plan.payload_case_count)"
        case HP_PLAN_OBJECT.rawValue:
            header += " body_offset=\(plan.body_offset)"
            if plan.has_tail != 0 { header += " tail_offset=\(plan.tail_offset) count_offset=\(plan.count_offset)" }
            if plan.per_instance != 0 { header += " per_instance" }
            if plan.prefix_count != 0 { header += " prefix=\(plan.prefix_count)@\(plan.prefix_offset)" }
        default:
            if plan.replaced_size != 0 { header += " replaced_size=\(plan.replaced_size)" }
            if plan.boxed_in_existential != 0 { header += " boxed_in_existential" }
        }
        if plan.kind == HP_PLAN_VALUE.rawValue { header += " min_wire=\(plan.min_wire_size)" }
        header += " defers=\(plan.defers)"
        if plan.sealed == 0 { header += " UNSEALED" }
        line(indent, header)

        if plan.kind == HP_PLAN_ENUM.rawValue {
            let caseNames = plan.metadata.flatMap { _Metadata($0).typeDescriptor?.fieldRecords?.map(\.name) } ?? []
            for index in 0..<Int(plan.payload_case_count) {
                let caseName = index < caseNames.count ? "case .\(caseNames[index]): " : "case \(index): "
                guard let payloads = plan.payloads, let payload = payloads[index] else {
                    line(indent + 1, caseName + "(no plan)")
                    continue
                }
                add(payload, prefix: caseName, indent: indent + 1)
            }
        }
        for index in 0..<Int(plan.op_count) {
            addOp(plan.ops[index], labels: engine.labels(pointer, UInt32(index)), indent: indent + 1)
        }
        if plan.kind == HP_PLAN_OBJECT.rawValue {
            if let replacement = plan.replacement {
                line(indent + 1, "replacement:")
                addOp(replacement.pointee, labels: [], indent: indent + 2)
            }
            if plan.has_tail != 0, let element = plan.element { add(element, prefix: "element: ", indent: indent + 1) }
        }
    }

    /// `KIND@offset labels (data)`, then the op's sub-plan beneath it.
    private mutating func addOp(_ op: hp_op, labels: [String], indent: Int) {
        var text = (Self.kindNames[op.kind] ?? "OP(\(op.kind))") + "@\(op.offset)"
        if !labels.isEmpty { text += " " + labels.joined(separator: " > ") }
        let details = self.details(op)
        if !details.isEmpty { text += " (" + details.joined(separator: ", ") + ")" }
        line(indent, text)
        // A REFUSED op's sub-plan is an empty stand-in; its refusal is in the line above.
        guard let sub = op.sub, op.kind != HP_OP_REFUSED.rawValue else { return }
        add(sub, prefix: "", indent: indent + 1)
    }

    /// What an op's data says, in words that do not change between runs.
    private func details(_ op: hp_op) -> [String] {
        switch op.kind {
        case HP_OP_REF.rawValue, HP_OP_WEAK.rawValue, HP_OP_UNOWNED.rawValue, HP_OP_UNOWNED_UNSAFE.rawValue,
             HP_OP_METADATA.rawValue:
            guard let bound = op.data.bound?.pointee else { return [] }
            let type = bound.type.map { _Metadata($0).name } ?? ""
            var details: [String] = switch bound.rule {
            case HP_BOUND_SUBCLASS.rawValue:
                [(op.kind == HP_OP_METADATA.rawValue ? "subclass of " : "class ") + type
                    + (bound.alternative.map { " or " + _Metadata($0).name } ?? "")]
            case HP_BOUND_EXACT.rawValue: ["exactly " + type]
            case HP_BOUND_ANY_CLASS.rawValue: ["any class"]
            default: []
            }
            // Weak slots are always Optional: say it only where it is a choice.
            if bound.nullable != 0 && op.kind != HP_OP_WEAK.rawValue { details.append("nullable") }
            return details
        case HP_OP_INTERIOR.rawValue:
            return ["owner_distance \(op.data.owner_distance)"]
        case HP_OP_PADDING.rawValue:
            return ["\(op.data.width) bytes"]
        case HP_OP_BELOW.rawValue:
            return ["\(op.data.below.width) bytes below \(op.data.below.limit)"]
        case HP_OP_ORDERED.rawValue:
            let number = switch op.data.ordered.number {
            case HP_NUMBER_SIGNED.rawValue: "signed"
            case HP_NUMBER_FLOAT.rawValue: "float"
            case HP_NUMBER_STRING_INDEX.rawValue: "String.Index"
            default: "unsigned"
            }
            return ["two \(op.data.ordered.width)-byte \(number)"]
        case HP_OP_MASKED.rawValue:
            return ["keeps 0x" + String(op.data.mask, radix: 16)]
        case HP_OP_EXISTENTIAL.rawValue:
            guard let container = op.data.existential?.pointee else { return ["no container"] }
            let kind = switch container.container {
            case HP_CONTAINER_OPAQUE.rawValue: "opaque"
            case HP_CONTAINER_CLASS.rawValue: "class"
            case HP_CONTAINER_METATYPE.rawValue: "metatype"
            case HP_CONTAINER_ERROR.rawValue: "error"
            default: "container \(container.container)"
            }
            let witnesses = container.witness_count == 1 ? "1 witness table" : "\(container.witness_count) witness tables"
            var details = [kind, witnesses, "\(container.size) bytes"]
            // An `any Error` box names its one protocol but has no witness table in the container.
            if let protocols = container.protocols, container.witness_count > 0 {
                // A protocol descriptor starts like a type's: flags, parent, then its name.
                let names = (0..<Int(container.witness_count)).map { index in
                    protocols[index].map { _TypeContextDescriptor($0).name } ?? "?"
                }
                details.append("protocols " + names.joined(separator: " & "))
            }
            return details
        case HP_OP_REPLACE.rawValue:
            return op.data.replaced_type.map { ["hooks " + _Metadata($0).name] } ?? []
        case HP_OP_REFUSED.rawValue:
            guard let refusal = engine.refusal(op) else { return ["no refusal recorded"] }
            return ["\(refusal.code): \(refusal.message)"]
        default:
            return []
        }
    }
}
