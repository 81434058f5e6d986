// The plan contract, checked once per plan: what the walkers assume of every op so that their
// hot loops need not check it (op order, widths, INTERIOR's owner, what a replacement holds).
#include "hp_internal.h"

static const struct {
    uint8_t min_wire_size;
    uint8_t defers;
} op_table[HP_OP_KIND_COUNT] = {
#define HP_OP_ROW(name, width, min_wire, defers) [HP_OP_##name] = { min_wire, defers },
    HP_OP_TABLE(HP_OP_ROW)
#undef HP_OP_ROW
};

/// Ops over plain bytes that travel verbatim, which the reader checks or rebuilds.
static bool is_verbatim(const hp_op *op) {
    return op->kind == HP_OP_BELOW || op->kind == HP_OP_TAG || op->kind == HP_OP_ORDERED || op->kind == HP_OP_MASKED
        || op->kind == HP_OP_SCALAR;
}

/// The fewest body bytes `op` takes: the op table's column, a REPLACE op's plan's, a verbatim op's width.
static uint32_t op_min_wire_size(const hp_op *op) {
    if (op->kind == HP_OP_REPLACE) return op->sub && op->sub->min_wire_size > 1 ? op->sub->min_wire_size : 1;
    if (is_verbatim(op)) return hp_op_width(op);
    return op->kind > HP_OP_NONE && op->kind < HP_OP_KIND_COUNT ? op_table[op->kind].min_wire_size : 0;
}

static bool op_defers(const hp_op *op) {
    if (op->kind == HP_OP_ENUM) return op->sub->defers != 0;
    return op_table[op->kind].defers != 0;
}

/// Ops whose walk could meet an object, or nest: not allowed in a replacement that stands for
/// an object (the writer walks it while that object's reference is being written).
static bool is_plain_data(const hp_plan *plan) {
    for (uint32_t i = 0; i < plan->op_count; i++) {
        const hp_op *op = &plan->ops[i];
        switch ((hp_op_kind)op->kind) {
        case HP_OP_STRING: case HP_OP_SUBSTRING: case HP_OP_STATIC: case HP_OP_STATIC_STRING: case HP_OP_METADATA: case HP_OP_PADDING:
        case HP_OP_BELOW: case HP_OP_TAG: case HP_OP_ORDERED: case HP_OP_MASKED: case HP_OP_SCALAR:
            break;
        case HP_OP_ENUM:
            for (uint32_t c = 0; c < op->sub->payload_case_count; c++)
                if (!is_plain_data(op->sub->payloads[c])) return false;
            break;
        default:
            return false;
        }
    }
    return true;
}

/// Inline values cannot nest in a cycle (their size would be infinite), so a value's sub-plans
/// are finished first; an object's may still be under construction (a recursive enum's payload
/// box holds the enum being planned), and are sealed when it is.
static bool has_sub(const hp_op *op, hp_plan_kind kind, bool must_be_sealed) {
    return op->sub != NULL && op->sub->kind == (uint32_t)kind && (op->sub->sealed || !must_be_sealed);
}

/// Whether the `count` bytes after op `i` are raw (no op covers them) and inside the value, so
/// that they follow its encoding in the stream, where the reader checks them with it.
static bool raw_after(const hp_plan *plan, uint32_t i, uint32_t count) {
    uint64_t end = (uint64_t)plan->ops[i].offset + hp_op_width(&plan->ops[i]) + count;
    return end <= plan->size && (i + 1 == plan->op_count || plan->ops[i + 1].offset >= end);
}

/// Ops of a value (or of an object's fixed part, from `start`): known kinds, in order, inside
/// [start, size), each with what it needs.
static hp_status seal_ops(hp_plan *plan, uint32_t start, uint32_t *op_out) {
    bool inline_value = plan->kind != HP_PLAN_OBJECT;
    uint64_t end = start, min_wire = 0;
    bool defers = false;
    for (uint32_t i = 0; i < plan->op_count; i++) {
        const hp_op *op = &plan->ops[i];
        *op_out = i;
        if (op->kind <= HP_OP_NONE || op->kind >= HP_OP_KIND_COUNT || op->offset < end) return HP_ERR_INTERNAL;
        bool ok = true;
        switch ((hp_op_kind)op->kind) {
        case HP_OP_ENUM: ok = has_sub(op, HP_PLAN_ENUM, inline_value); break;
        case HP_OP_REPLACE: ok = has_sub(op, HP_PLAN_VALUE, true) && op->data.replaced_type; break;
        case HP_OP_REFUSED: ok = op->sub != NULL; break;
        case HP_OP_EXISTENTIAL: ok = op->data.existential != NULL; break;
        case HP_OP_REF: ok = op->sub == NULL || (op->sub->kind == HP_PLAN_OBJECT); break;
        case HP_OP_PADDING: ok = op->data.width > 0; break;
        case HP_OP_BELOW: {
            uint32_t width = op->data.below.width, limit = op->data.below.limit;
            ok = (width == 1 || width == 2 || width == 4) && limit > 0 && (width == 4 || limit <= 1u << (8 * width));
            break;
        }
        case HP_OP_TAG:
            // The reader checks a copy of the bytes, on its stack.
            ok = has_sub(op, HP_PLAN_ENUM, true) && op->sub->size > 0 && op->sub->size <= HP_MAX_TAG_SIZE;
            break;
        case HP_OP_ORDERED: {
            uint32_t width = op->data.ordered.width, number = op->data.ordered.number;
            ok = (width == 1 || width == 2 || width == 4 || width == 8)
                && (number == HP_NUMBER_UNSIGNED || number == HP_NUMBER_SIGNED || (number == HP_NUMBER_FLOAT && width >= 4)
                    || (number == HP_NUMBER_STRING_INDEX && width == 8));
            break;
        }
        case HP_OP_INTERIOR: {
            // The reader takes the owner to be the last reference read: the op right before; and
            // the slice's two index words to be the raw bytes right after.
            const hp_op *owner = i > 0 ? &plan->ops[i - 1] : NULL;
            ok = owner && owner->kind == HP_OP_REF && (int64_t)op->offset + op->data.owner_distance == owner->offset
                && raw_after(plan, i, 16) && (op->sub == NULL || has_sub(op, HP_PLAN_VALUE, true));
            break;
        }
        case HP_OP_STATIC_STRING:
            // The reader checks the word against StaticString's count and flags: the 9 raw bytes after it.
            ok = raw_after(plan, i, 9);
            break;
        default: break;
        }
        uint32_t width = hp_op_width(op);
        if (!ok || width == 0) return HP_ERR_INTERNAL;
        end = (uint64_t)op->offset + width;
        min_wire += op_min_wire_size(op);
        defers |= op_defers(op);
    }
    *op_out = UINT32_MAX;
    if (end > plan->size) return HP_ERR_INTERNAL;
    // Raw bytes travel as they are: every byte no op covers is a byte on the wire.
    uint64_t covered = 0;
    for (uint32_t i = 0; i < plan->op_count; i++) covered += hp_op_width(&plan->ops[i]);
    min_wire += plan->size - start - covered;
    if (min_wire > UINT32_MAX) return HP_ERR_INTERNAL;
    // Only values are counted on the wire (an object's count is its type's business).
    if (plan->kind == HP_PLAN_VALUE) plan->min_wire_size = (uint32_t)min_wire;
    plan->defers = defers;
    return HP_OK;
}

hp_status hp_plan_seal(hp_plan *plan, uint32_t *op_out) {
    *op_out = UINT32_MAX;
    hp_status s = HP_OK;
    switch ((hp_plan_kind)plan->kind) {
    case HP_PLAN_VALUE:
        s = seal_ops(plan, 0, op_out);
        break;
    case HP_PLAN_ENUM: {
        if (plan->payload_case_count > plan->case_count || (plan->payload_case_count && !plan->payloads) || !plan->metadata)
            return HP_ERR_INTERNAL;
        bool defers = false;
        for (uint32_t c = 0; c < plan->payload_case_count; c++) {
            const hp_plan *payload = plan->payloads[c];
            if (!payload || payload->kind != HP_PLAN_VALUE || !payload->sealed || payload->size > plan->size)
                return HP_ERR_INTERNAL;
            defers |= payload->defers != 0;
        }
        plan->defers = defers;
        break;
    }
    case HP_PLAN_OBJECT:
        if (plan->body_offset > plan->size) return HP_ERR_INTERNAL;
        if (plan->has_tail && (!plan->element || !plan->element->sealed || plan->element->kind != HP_PLAN_VALUE))
            return HP_ERR_INTERNAL;
        if (plan->replacement) {
            const hp_op *op = plan->replacement;
            if (op->kind != HP_OP_REPLACE || !has_sub(op, HP_PLAN_VALUE, true) || !op->data.replaced_type
                || !is_plain_data(op->sub)
                || plan->op_count != 0)
                return HP_ERR_INTERNAL;
        }
        s = seal_ops(plan, plan->body_offset, op_out);
        {
            // The reader's short-path flags in one pass over the ops: plain_refs admits references
            // to objects, plain_fields Strings as well, linear closures as well but one reference
            // or closure at most.
            bool simple = !plan->has_tail && !plan->replacement && !plan->per_instance;
            bool refs = simple, fields = simple, linear = simple;
            uint32_t references = 0;
            for (uint32_t i = 0; i < plan->op_count; i++) {
                const hp_op *op = &plan->ops[i];
                bool ref = op->kind == HP_OP_REF && op->sub == NULL, string = op->kind == HP_OP_STRING;
                bool function = op->kind == HP_OP_FUNC;
                refs = refs && ref;
                fields = fields && (ref || string);
                linear = linear && (ref || string || function);
                references += ref || function;
            }
            plan->plain_refs = refs;
            plan->plain_fields = fields;
            plan->linear = linear && references <= 1;
        }
        break;
    default:
        return HP_ERR_INTERNAL;
    }
    if (s == HP_OK) plan->sealed = 1;
    return s;
}
