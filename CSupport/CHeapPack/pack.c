// The pack walk. Cheney-style: the root value is written first; every object met for the first
// time is appended to `objects` and its body is written later, in index order. The object list
// is the work queue, so the walk never recurses on data: a million-node list costs a million
// queue entries and no stack. Values nested inline (enum payloads, existential values,
// replacements) go on an explicit stack of frames, so their depth costs heap, not C stack.
#include "hp_internal.h"

/// A value whose walk is suspended while a value nested in one of its ops is written:
/// `steps[k]` holds its plan and that op, this the rest. The value being walked is never on the
/// stack (the walker keeps it in locals), so the stack is exactly the path to it.
struct hp_pack_frame {
    const uint8_t *base;
    uint32_t resume;            ///< where the op ends whose nested value is being written
    uint32_t scratch_size;
    uint8_t *scratch;           ///< the projected enum copy of the nested value (kept for reuse at this level)
};

/// Frames that enclose the op being walked: the path from the value being walked to a failure.
static uint32_t nesting(const hp_packer *p) { return p->frame_count; }

/// Where the walk is now, for a failure or a collect-all report (the object and element are
/// kept up to date by the walk itself).
static void record_site(hp_packer *p, hp_reason reason, const hp_plan *plan, uint32_t op, uintptr_t pointer) {
    p->site.plan = plan;
    p->site.op = op;
    p->site.pointer = pointer;
    p->site.reason = reason;
    p->site.code = p->closure_code;
    p->site_depth = nesting(p);
}

static hp_status fail_at(hp_packer *p, hp_status status, hp_reason reason, const hp_plan *plan, uint32_t op,
                         uintptr_t pointer) {
    if (!p->site_recorded) {
        p->site_recorded = true;
        record_site(p, reason, plan, op, pointer);
    }
    return status;
}

/// A static pointer that failed to encode: outside every image (`outside`), or out of memory.
static hp_reason pointer_reason(hp_status status, hp_reason outside) {
    return status == HP_ERR_POINTER_NOT_STATIC ? outside : HP_REASON_NO_MEMORY;
}

uint32_t hp_packer_image_slot(hp_packer *p, uint32_t image) {
    uint32_t slot = p->image_slot[image];
    if (slot == 0) {
        p->images_used[p->images_used_count++] = image;
        slot = p->images_used_count;
        p->image_slot[image] = slot;
    }
    return slot - 1;
}

// An object refused in collect-all mode: later references to it write null without reporting again.
#define HP_REFUSED_OBJECT (UINT32_MAX - 1)

/// Collect-all mode: report a refusal at this site and carry on. Returns true if the caller
/// should write its placeholder and continue, false to fail as usual.
static bool report(hp_packer *p, hp_status status, hp_reason reason, const hp_plan *plan, uint32_t op,
                   uintptr_t pointer) {
    if (!p->config.callbacks.report || !(status == HP_ERR_PLAN || status == HP_ERR_REFUSED || status == HP_ERR_POINTER_NOT_STATIC))
        return false;
    record_site(p, reason, plan, op, pointer);
    bool go_on = p->config.callbacks.report(p->config.context, p, status);
    p->site_recorded = false;
    return go_on;
}

static hp_status put_static(hp_packer *p, uintptr_t address) {
    if (address == 0) return hp_put_varint(&p->out, 0);
    uint32_t image;
    uint64_t offset;
    if (!hp_image_table_locate(p->config.images, address, &image, &offset)) return HP_ERR_POINTER_NOT_STATIC;
    uint32_t slot = hp_packer_image_slot(p, image) + 1;
    hp_status s = hp_put_varint(&p->out, slot);
    return s == HP_OK ? hp_put_varint(&p->out, offset) : s;
}

static hp_status type_index(hp_packer *p, const void *metadata, uint32_t *index_out) {
    if (hp_map_find(&p->type_index, (uintptr_t)metadata, index_out)) return HP_OK;
    hp_status s = hp_grow((void **)&p->types, &p->type_capacity, sizeof(void *), p->type_count + 1);
    if (s == HP_OK) s = hp_grow((void **)&p->type_plans, &p->type_plan_capacity, sizeof(void *), p->type_count + 1);
    if (s == HP_OK) s = hp_grow((void **)&p->type_value_plans, &p->type_value_plan_capacity, sizeof(void *), p->type_count + 1);
    if (s == HP_OK) s = hp_map_insert(&p->type_index, (uintptr_t)metadata, p->type_count);
    if (s != HP_OK) return s;
    p->types[p->type_count] = metadata;
    p->type_plans[p->type_count] = NULL;
    p->type_value_plans[p->type_count] = NULL;
    *index_out = p->type_count++;
    return HP_OK;
}

HP_OUTLINE static hp_status put_object_replacement(hp_packer *p, const uint8_t *at, const hp_plan *plan, const hp_op *op,
                                        uint32_t index);

static hp_status put_ref(hp_packer *p, uintptr_t object, const hp_plan *plan, uint32_t op, const hp_plan *box_plan) {
    if (object == 0) return hp_put_varint(&p->out, HP_REF_NULL);
    // Every reference the walk follows here is a strong one, and holds a count. An object that
    // only one strong reference holds is therefore met here once, through that reference: no
    // entry in a table whose every probe misses the cache (a linked list or a tree is all such
    // objects), so the table stays small and its lookups hit. Static singletons are immortal
    // and named objects are held by the registry too, so neither is ever unique. Weak and
    // unowned slots hold no strong count, and name objects that may be unique; put_links
    // indexes the rest before it looks their targets up. The table is asked first: an object
    // met again is then written without touching its header, a cache miss of its own in a
    // graph larger than the cache (W4 pack: 40% of its time in the uniqueness check).
    uint32_t index;
    if (hp_map_find(&p->object_index, object, &index)) {
        if (index == HP_REFUSED_OBJECT) return hp_put_varint(&p->out, HP_REF_NULL);
        if (index != UINT32_MAX) return hp_put_varint(&p->out, (uint64_t)HP_REF_BACK + index);
        hp_status s = hp_put_varint(&p->out, HP_REF_STATIC);
        if (s == HP_OK) s = put_static(p, object);
        return s == HP_OK ? s : fail_at(p, s, pointer_reason(s, HP_REASON_STATIC_POINTER_OUTSIDE_IMAGES), plan, op, object);
    }
    bool unique = hp_is_uniquely_referenced((const void *)object);
    if (!unique && hp_map_find(&p->named_index, object, &index)) {
        p->named_used[index] = 1;
        hp_status s = hp_put_varint(&p->out, HP_REF_NAMED);
        return s == HP_OK ? hp_put_varint(&p->out, index) : s;
    }
    const void *metadata = *(const void *const *)object;
    uint32_t type;
    hp_status s = type_index(p, metadata, &type);
    if (s != HP_OK) return s;
    const hp_plan *object_plan = box_plan ? box_plan : p->type_plans[type];
    if (!object_plan) {
        // Ask before recording the object, so a refusal names the slot that led here. No
        // object: this is the plan (or template) of the type.
        object_plan = p->config.callbacks.plan_for(p->config.context, metadata, NULL);
        if (!object_plan) {
            if (!report(p, HP_ERR_PLAN, HP_REASON_PLAN_REFUSED, plan, op, (uintptr_t)metadata))
                return fail_at(p, HP_ERR_PLAN, HP_REASON_PLAN_REFUSED, plan, op, (uintptr_t)metadata);
            s = hp_map_insert(&p->object_index, object, HP_REFUSED_OBJECT);
            return s == HP_OK ? hp_put_varint(&p->out, HP_REF_NULL) : s;
        }
        p->type_plans[type] = object_plan;
    }
    if (!box_plan && object_plan->per_instance) {
        // A generic closure context: its layout depends on the bindings it carries, so the
        // plan made for them is the type-table key.
        object_plan = p->config.callbacks.plan_for(p->config.context, metadata, (const void *)object);
        if (!object_plan) return fail_at(p, HP_ERR_PLAN, HP_REASON_PLAN_REFUSED, plan, op, (uintptr_t)metadata);
        s = type_index(p, object_plan, &type);
        if (s != HP_OK) return s;
        p->type_plans[type] = object_plan;
    }
    if (p->object_count >= p->config.max_objects) return fail_at(p, HP_ERR_LIMIT, HP_REASON_OBJECT_LIMIT, plan, op, object);
    uint32_t n = p->object_count;
    if (n == p->object_capacity) {
        // Two or three parallel arrays share one capacity.
        uint32_t capacity = p->object_capacity;
        s = hp_grow_kept((void **)&p->objects, &capacity, sizeof(void *), n + 1);
        uint32_t same = p->object_capacity;
        if (s == HP_OK) s = hp_grow_kept((void **)&p->object_plans, &same, sizeof(void *), capacity);
        same = p->object_capacity;
        if (s == HP_OK && p->config.record_origins) s = hp_grow((void **)&p->origins, &same, sizeof(hp_origin), capacity);
        if (s != HP_OK) return s;
        p->object_capacity = capacity;
    }
    if (unique) p->unindexed_objects = true;
    else if (s == HP_OK) s = hp_map_insert(&p->object_index, object, n);
    if (s != HP_OK) return s;
    p->objects[n] = (const void *)object;
    p->object_plans[n] = object_plan;
    if (p->origins) p->origins[n] = (hp_origin){ p->site.object, op, plan, p->site.element, p->closure_code };
    p->object_count = n + 1;
    s = hp_put_varint(&p->out, HP_REF_NEW);
    if (s == HP_OK) s = hp_put_varint(&p->out, type);
    if (s == HP_OK && object_plan->has_tail) {
        uint64_t count;
        memcpy(&count, (const uint8_t *)object + object_plan->count_offset, 8);
        s = hp_put_varint(&p->out, count);
    }
    // The value of a class type is the reference itself: that is what the replacement hook reads.
    if (s == HP_OK && object_plan->replacement)
        s = put_object_replacement(p, (const uint8_t *)&object, plan, object_plan->replacement, op);
    return s;
}

static hp_status put_string(hp_packer *p, const uint8_t *at, const hp_plan *plan, uint32_t op) {
    uint64_t count_and_flags, object;
    memcpy(&count_and_flags, at, 8);
    memcpy(&object, at + 8, 8);
    uint8_t tag;
    if (object & HP_STRING_IS_SMALL) {
        tag = HP_STRING_INLINE;
        hp_status s = hp_put_bytes(&p->out, &tag, 1);
        return s == HP_OK ? hp_put_bytes(&p->out, at, 16) : s;
    }
    const uint8_t *bytes;
    size_t length;
    if (count_and_flags & HP_STRING_TAIL_ALLOCATED) {
        bytes = (const uint8_t *)(uintptr_t)(object & HP_STRING_ADDRESS_MASK) + HP_STRING_NATIVE_BIAS;
        length = (size_t)(count_and_flags & HP_STRING_COUNT_MASK);
    } else if (!p->config.callbacks.string_bytes(p->config.context, at, &bytes, &length)) {
        return fail_at(p, HP_ERR_CALLBACK, HP_REASON_CALLBACK_FAILED, plan, op, 0);
    }
    tag = HP_STRING_UTF8;
    hp_status s = hp_put_bytes(&p->out, &tag, 1);
    if (s == HP_OK) s = hp_put_varint(&p->out, length);
    return s == HP_OK ? hp_put_bytes(&p->out, bytes, length) : s;
}

/// Makes room for frame `level` (zeroed when new: its scratch memory is kept across uses).
static hp_status reserve_level(hp_packer *p, uint32_t level, const hp_plan *plan, uint32_t op) {
    if (HP_LIKELY(level < p->frame_capacity)) return HP_OK;
    if (level >= HP_MAX_NESTING) return fail_at(p, HP_ERR_LIMIT, HP_REASON_INLINE_DEPTH, plan, op, 0);
    return hp_grow_frames((void **)&p->steps, sizeof(hp_step), (void **)&p->frames, sizeof(struct hp_pack_frame),
                          &p->frame_capacity, level + 1);
}

/// Suspends the value being walked at op `op`, which ends at `resume`, to walk a value nested in it.
HP_OUTLINE static hp_status suspend(hp_packer *p, const hp_plan *plan, uint32_t op, const uint8_t *base,
                                    uint32_t resume) {
    uint32_t k = p->frame_count;
    hp_status s = reserve_level(p, k, plan, op);
    if (s != HP_OK) return s;
    p->steps[k] = (hp_step){ plan, op };
    struct hp_pack_frame *f = &p->frames[k];
    f->base = base;
    f->resume = resume;
    p->frame_count = k + 1;
    return HP_OK;
}

/// The scratch memory of frame `level` for an enum copy: kept and reused, as levels are, so a
/// deep walk allocates once per level, not once per enum.
static uint8_t *level_scratch(hp_packer *p, uint32_t level, const hp_plan *enum_plan) {
    struct hp_pack_frame *f = &p->frames[level];
    if (f->scratch_size < enum_plan->size || ((uintptr_t)f->scratch & enum_plan->align_mask)) {
        free(f->scratch);
        f->scratch_size = 0;
        f->scratch = hp_alloc_value(enum_plan);
        if (f->scratch) f->scratch_size = enum_plan->size;
    }
    return f->scratch;
}

/// Writes the tag. A payload case is a value to walk next (`*child_out`), over a projected copy.
HP_OUTLINE static hp_status put_enum(hp_packer *p, const uint8_t *at, const hp_plan *plan, const hp_plan *enum_plan, uint32_t op,
                          const uint8_t **child_base_out, const hp_plan **child_out) {
    uint32_t tag = hp_enum_tag(at, enum_plan->metadata);
    if (tag >= enum_plan->case_count)
        return fail_at(p, HP_ERR_INTERNAL, HP_REASON_ENUM_TAG_OUT_OF_RANGE, plan, op, (uintptr_t)enum_plan->metadata);
    hp_status s = hp_put_varint(&p->out, tag);
    if (s != HP_OK || tag >= enum_plan->payload_case_count) return s;
    // Projection clears tag bits that may live in the payload's spare bits; do it on a copy,
    // owned by the frame that will hold this value while the payload is walked.
    s = reserve_level(p, p->frame_count, plan, op);
    if (s != HP_OK) return s;
    uint8_t *scratch = level_scratch(p, p->frame_count, enum_plan);
    if (!scratch) return HP_ERR_NO_MEMORY;
    memcpy(scratch, at, enum_plan->size);
    hp_enum_project(scratch, enum_plan->metadata);
    *child_base_out = scratch;
    *child_out = enum_plan->payloads[tag];
    return HP_OK;
}

/// The receiver will look the witness tables up again; make sure that finds what this value has
/// (it checks the assumption that table i belongs to protocol i of the existential type).
static bool witnesses_match(const hp_existential *e, const void *type, const uint8_t *tables) {
    for (uint32_t i = 0; i < e->witness_count; i++) {
        const void *table;
        memcpy(&table, tables + 8 * i, 8);
        if (hp_conformance(type, e->protocols[i]) != table) return false;
    }
    return true;
}

/// Writes the dynamic type. Its value is a value to walk next (`*child_out`).
HP_OUTLINE static hp_status put_existential(hp_packer *p, const uint8_t *at, const hp_plan *plan, const hp_op *op, uint32_t index,
                                 const uint8_t **child_base_out, const hp_plan **child_out) {
    const hp_existential *e = op->data.existential;
    uintptr_t word;
    memcpy(&word, at, 8);
    const void *type;
    const uint8_t *value = at;
    switch ((hp_container)e->container) {
    case HP_CONTAINER_CLASS:
        if (word && !witnesses_match(e, *(const void *const *)word, at + 8))
            return fail_at(p, HP_ERR_UNSUPPORTED, HP_REASON_WITNESS_MISMATCH, plan, index, word);
        return put_ref(p, word, plan, index, NULL);
    case HP_CONTAINER_METATYPE: {
        type = (const void *)word;
        if (!witnesses_match(e, type, at + 8))
            return fail_at(p, HP_ERR_UNSUPPORTED, HP_REASON_WITNESS_MISMATCH, plan, index, word);
        uint32_t number;
        hp_status s = type_index(p, type, &number);
        return s == HP_OK ? hp_put_varint(&p->out, (uint64_t)number + 1) : s;
    }
    case HP_CONTAINER_ERROR:
        memcpy(&type, (const uint8_t *)word + HP_ERROR_TYPE_OFFSET, 8);
        break;
    case HP_CONTAINER_OPAQUE:
    default:
        memcpy(&type, at + 24, 8);
        if (!witnesses_match(e, type, at + 32))
            return fail_at(p, HP_ERR_UNSUPPORTED, HP_REASON_WITNESS_MISMATCH, plan, index, (uintptr_t)type);
        break;
    }
    uint32_t type_number;
    hp_status s = type_index(p, type, &type_number);
    if (s != HP_OK) return s;
    const hp_plan *value_plan = p->type_value_plans[type_number];
    if (!value_plan) {
        value_plan = p->config.callbacks.value_plan_for(p->config.context, type, NULL);
        if (!value_plan) return fail_at(p, HP_ERR_PLAN, HP_REASON_PLAN_REFUSED, plan, index, (uintptr_t)type);
        p->type_value_plans[type_number] = value_plan;
    }
    s = hp_put_varint(&p->out, (uint64_t)type_number + 1);
    if (s != HP_OK) return s;
    if (e->container == HP_CONTAINER_ERROR) value = (const uint8_t *)word + hp_error_value_offset(value_plan);
    else if (value_plan->boxed_in_existential) value = (const uint8_t *)word + hp_box_value_offset(value_plan);
    *child_base_out = value;
    *child_out = value_plan;
    return HP_OK;
}

/// Makes the replacement of the value at `at`, which lives until the walk ends: its objects
/// are in the sharing table by address, and freeing it early would let a later one reuse
/// those addresses. Returns it, or NULL after recording the failure.
HP_OUTLINE static hp_status make_replacement(hp_packer *p, const uint8_t *at, const hp_plan *plan, const hp_op *op,
                                             uint32_t index, const uint8_t **replacement_out) {
    hp_status s = hp_grow((void **)&p->replacements, &p->replacement_capacity, sizeof(hp_fixup),
                          p->replacement_count + 1);
    if (s != HP_OK) return s;
    void *replacement = hp_alloc_value(op->sub);
    if (!replacement) return HP_ERR_NO_MEMORY;
    if (!p->config.callbacks.replace(p->config.context, op->data.replaced_type, at, replacement)) {
        free(replacement);
        return fail_at(p, HP_ERR_CALLBACK, HP_REASON_CALLBACK_FAILED, plan, index, 0);
    }
    p->replacements[p->replacement_count++] = (hp_fixup){ NULL, op->data.replaced_type, replacement, 0 };
    *replacement_out = replacement;
    return HP_OK;
}

static hp_status put_value(hp_packer *p, const uint8_t *base, const hp_plan *plan, uint32_t start);

/// An object that travels as its replacement: the replacement's value is written right after
/// the reference, by a walk of its own above the current frames. Its plan holds plain data
/// only (the plan builder checks), so that walk meets no reference and this never nests.
HP_OUTLINE static hp_status put_object_replacement(hp_packer *p, const uint8_t *at, const hp_plan *plan, const hp_op *op,
                                        uint32_t index) {
    if (p->replacing_object) return fail_at(p, HP_ERR_INTERNAL, HP_REASON_BAD_PLAN, plan, index, 0);
    const uint8_t *replacement;
    hp_status s = make_replacement(p, at, plan, op, index, &replacement);
    if (s != HP_OK) return s;
    // The op that met the reference encloses the replacement's walk, for error paths.
    s = suspend(p, plan, index, NULL, 0);
    if (s != HP_OK) return s;
    p->replacing_object = true;
    s = put_value(p, replacement, op->sub, 0);
    p->replacing_object = false;
    if (s == HP_OK) p->frame_count--;
    return s;
}

HP_OUTLINE static hp_status grow_links(hp_packer *p) {
    return hp_grow((void **)&p->links, &p->link_capacity, sizeof(hp_link), p->link_count + 1);
}

/// A closure whose code lies outside every image: collect-all goes on with a null code pointer.
HP_OUTLINE static hp_status closure_code_refused(hp_packer *p, hp_status s, const hp_plan *plan, uint32_t i,
                                                 uintptr_t code) {
    hp_reason reason = pointer_reason(s, HP_REASON_STATIC_POINTER_OUTSIDE_IMAGES);
    if (report(p, s, reason, plan, i, code)) s = hp_put_varint(&p->out, 0);
    return s == HP_OK ? s : fail_at(p, s, reason, plan, i, code);
}

/// A thick function: its code pointer, then its context. The code pointer names the closure
/// in the paths through its context: in a failure while the context is written, and in the
/// context's origin if the context is new.
static hp_status put_closure(hp_packer *p, const uint8_t *at, const hp_plan *plan, uint32_t i) {
    uintptr_t code, context;
    memcpy(&code, at, 8);
    memcpy(&context, at + 8, 8);
    hp_status s = put_static(p, code);
    if (HP_UNLIKELY(s != HP_OK) && (s = closure_code_refused(p, s, plan, i, code)) != HP_OK) return s;
    p->closure_code = code;
    s = put_ref(p, context, plan, i, NULL);
    p->closure_code = 0;
    return s;
}

/// put_ops's answer when it stops at an op that holds a nested value (never leaves pack.c).
#define HP_NESTED ((hp_status)0x4E)

/// Runs `plan`'s ops from op `i` over the value at `base`: to the value's end, or to an op that
/// holds a nested value (HP_NESTED), which `p->nest` then describes. This is the hot loop; nesting
/// is `put_nested`'s business, so that values without nested ones (most objects) never pay for it.
/// (`nest` lives in the packer, not in a parameter, to leave the loop one more register.)
static hp_status put_ops(hp_packer *p, const uint8_t *base, const hp_plan *plan, uint32_t i, uint32_t position) {
    hp_status s = HP_OK;
    const hp_plan *child;
    const uint8_t *child_base;
    uint32_t next;
    for (; i < plan->op_count; i++) {
        const hp_op *op = &plan->ops[i];
        if (op->offset > position) {
            s = hp_put_bytes(&p->out, base + position, op->offset - position);
            if (s != HP_OK) return s;
        }
        const uint8_t *at = base + op->offset;
        next = op->offset + HP_OP_WIDTH_REF;  // the fixed-width ops: 8 bytes but FUNC and STRING
        // Each op that reads a word loads it itself: a PADDING op may be narrower than a word.
        uintptr_t word;
        switch ((hp_op_kind)op->kind) {
        case HP_OP_PADDING:
            // What padding holds must not travel: the reader writes zeros.
            next = op->offset + hp_op_width(op);
            break;
        case HP_OP_REF:
            memcpy(&word, at, 8);
            s = put_ref(p, word, plan, i, op->sub);
            break;
        case HP_OP_FUNC:
            s = put_closure(p, at, plan, i);
            next = op->offset + HP_OP_WIDTH_FUNC;
            break;
        case HP_OP_STATIC:
        case HP_OP_RAW_POINTER: {
            memcpy(&word, at, 8);
            s = put_static(p, word);
            hp_reason reason = pointer_reason(s, op->kind == HP_OP_RAW_POINTER ? HP_REASON_RAW_POINTER_OUTSIDE_IMAGES
                                                                               : HP_REASON_STATIC_POINTER_OUTSIDE_IMAGES);
            if (s != HP_OK && report(p, s, reason, plan, i, word)) s = hp_put_varint(&p->out, 0);
            if (s != HP_OK) return fail_at(p, s, reason, plan, i, word);
            break;
        }
        case HP_OP_WEAK:
        case HP_OP_UNOWNED:
        case HP_OP_UNOWNED_UNSAFE: {
            memcpy(&word, at, 8);
            // Nothing inline: the trailer says, once the walk is over, whether the target was packed.
            if (p->link_count == p->link_capacity && (s = grow_links(p)) != HP_OK) return s;
            uintptr_t target = op->kind == HP_OP_WEAK ? (uintptr_t)hp_weak_load_strong(at) : word;
            bool nullable = op->data.bound && op->data.bound->nullable;
            p->links[p->link_count++] = (hp_link){ target, op->kind, nullable, p->site.object, plan, i,
                                                   p->site.element };
            break;
        }
        case HP_OP_STATIC_STRING:
            memcpy(&word, at, 8);
            // 0 then the scalar, or a static pointer (whose first varint is never 0 when set).
            if (word <= HP_MAX_UNICODE_SCALAR) {
                s = hp_put_varint(&p->out, 0);
                if (s == HP_OK) s = hp_put_varint(&p->out, word);
            } else {
                s = put_static(p, word);
                if (s != HP_OK) return fail_at(p, s, pointer_reason(s, HP_REASON_STATIC_POINTER_OUTSIDE_IMAGES), plan, i, word);
            }
            break;
        case HP_OP_INTERIOR: {
            // Offset + 1 from the owner (0: null); the owner was walked by an earlier op.
            uintptr_t owner;
            memcpy(&word, at, 8);
            memcpy(&owner, at + op->data.owner_distance, 8);
            if (word == 0) {
                s = hp_put_varint(&p->out, 0);
            } else if (owner == 0 || word < owner || word - owner >= ((uintptr_t)1 << 40)) {
                return fail_at(p, HP_ERR_UNSUPPORTED, HP_REASON_INTERIOR_OUTSIDE_OWNER, plan, i, word);
            } else {
                s = hp_put_varint(&p->out, (uint64_t)(word - owner) + 1);
            }
            break;
        }
        case HP_OP_METADATA: {
            memcpy(&word, at, 8);
            uint32_t type = 0;
            if (word) s = type_index(p, (const void *)word, &type);
            if (s == HP_OK) s = hp_put_varint(&p->out, word ? (uint64_t)type + 1 : 0);
            break;
        }
        case HP_OP_STRING:
            s = put_string(p, at, plan, i);
            next = op->offset + HP_OP_WIDTH_STRING;
            break;
        case HP_OP_SUBSTRING:
            // The bounds, raw, then the base String.
            s = hp_put_bytes(&p->out, at, 16);
            if (s == HP_OK) s = put_string(p, at + 16, plan, i);
            next = op->offset + HP_OP_WIDTH_SUBSTRING;
            break;
        case HP_OP_ENUM:
            child = NULL;
            s = put_enum(p, at, plan, op->sub, i, &child_base, &child);
            next = op->offset + hp_op_width(op);
            if (s == HP_OK && child) goto nest;
            break;
        case HP_OP_EXISTENTIAL:
            child = NULL;
            s = put_existential(p, at, plan, op, i, &child_base, &child);
            next = op->offset + hp_op_width(op);
            if (s == HP_OK && child) goto nest;
            break;
        case HP_OP_REPLACE:
            s = make_replacement(p, at, plan, op, i, &child_base);
            child = op->sub;
            next = op->offset + hp_op_width(op);
            if (s == HP_OK) goto nest;
            break;
        case HP_OP_TAG: {
            // The case's payload and tag only, as the enum's witnesses write them.
            _Alignas(16) uint8_t canonical[HP_MAX_TAG_SIZE];
            if (hp_enum_canonical(op->sub, at, canonical) >= op->sub->case_count)
                return fail_at(p, HP_ERR_INTERNAL, HP_REASON_ENUM_TAG_OUT_OF_RANGE, plan, i, (uintptr_t)op->sub->metadata);
            next = op->offset + hp_op_width(op);
            s = hp_put_bytes(&p->out, canonical, op->sub->size);
            break;
        }
        case HP_OP_BELOW:
        case HP_OP_ORDERED:
        case HP_OP_MASKED:
        case HP_OP_SCALAR:
            // Plain bytes, verbatim: the reader checks them (or clears a MASKED word's caches).
            next = op->offset + hp_op_width(op);
            s = hp_put_bytes(&p->out, at, hp_op_width(op));
            break;
        case HP_OP_REFUSED:
            // Collect-all goes on without writing the value: the packet is never handed out.
            if (!report(p, HP_ERR_REFUSED, HP_REASON_VALUE_REFUSED, plan, i, 0))
                return fail_at(p, HP_ERR_REFUSED, HP_REASON_VALUE_REFUSED, plan, i, 0);
            next = op->offset + hp_op_width(op);
            break;
        default:
            return fail_at(p, HP_ERR_INTERNAL, HP_REASON_UNKNOWN_OP, plan, i, 0);
        }
        if (s != HP_OK) return s;
        position = next;
        continue;
    nest:
        // Set only now: the calls above may walk a replacement, whose own put_ops uses p->nest.
        p->nest = (struct hp_pack_nest){ child, child_base, i, next };
        return HP_NESTED;
    }
    if (plan->size > position) s = hp_put_bytes(&p->out, base + position, plan->size - position);
    return s;
}

/// Goes on from a value whose op `p->nest.op` holds a nested value: suspends it on the frame
/// stack, writes the nested value (and any it holds in turn), and resumes each enclosing value
/// after its op, until the value `put_value` started with is written. Returns on failure with
/// the stack as the failure's path.
HP_OUTLINE static hp_status put_nested(hp_packer *p, const uint8_t *base, const hp_plan *plan) {
    const struct hp_pack_nest *nest = &p->nest;
    uint32_t floor = p->frame_count;
    hp_status s = HP_NESTED;
    for (;;) {
        if (s == HP_NESTED) {
            s = suspend(p, plan, nest->op, base, nest->next);
            if (s != HP_OK) return s;
            plan = nest->child;
            base = nest->base;
            s = put_ops(p, base, plan, 0, 0);
        } else if (s != HP_OK) {
            return s;
        } else if (p->frame_count == floor) {
            return HP_OK;
        } else {
            // The nested value is written: the value that holds it goes on after the op.
            uint32_t k = --p->frame_count;
            const struct hp_pack_frame *f = &p->frames[k];
            plan = p->steps[k].plan;
            base = f->base;
            s = put_ops(p, base, plan, p->steps[k].op + 1, f->resume);
        }
    }
}

/// Writes the value at `base` with `plan`'s ops from byte `start` (an object's body) to the
/// plan's size, and every value nested inline in it.
static hp_status put_value(hp_packer *p, const uint8_t *base, const hp_plan *plan, uint32_t start) {
    hp_status s = put_ops(p, base, plan, 0, start);
    if (HP_LIKELY(s != HP_NESTED)) return s;
    return put_nested(p, base, plan);
}

static hp_status put_object(hp_packer *p, uint32_t index) {
    const uint8_t *object = p->objects[index];
    const hp_plan *plan = p->object_plans[index];
    p->site.object = index;
    p->site.element = UINT64_MAX;
    hp_status s = put_value(p, object, plan, plan->body_offset);
    if (s != HP_OK || !plan->has_tail) return s;
    uint64_t count;
    memcpy(&count, object + plan->count_offset, 8);
    const hp_plan *element = plan->element;
    const uint8_t *tail = object + plan->tail_offset;
    if (element->op_count == 0 && element->size == element->stride) {
        if (element->stride && count > SIZE_MAX / element->stride) return HP_ERR_NO_MEMORY;
        return hp_put_bytes(&p->out, tail, (size_t)count * element->stride);
    }
    for (uint64_t i = 0; i < count; i++) {
        p->site.element = i;
        s = put_value(p, tail + i * element->stride, element, 0);
        if (s != HP_OK) return s;
    }
    p->site.element = UINT64_MAX;
    return HP_OK;
}

/// Adds the objects put_ref left out of object_index, for the trailer's lookups.
HP_OUTLINE static hp_status index_unique_objects(hp_packer *p) {
    for (uint32_t k = 0; k < p->object_count; k++) {
        uint32_t index;
        if (hp_map_find(&p->object_index, (uintptr_t)p->objects[k], &index)) continue;
        hp_status s = hp_map_insert(&p->object_index, (uintptr_t)p->objects[k], k);
        if (s != HP_OK) return s;
    }
    p->unindexed_objects = false;
    return HP_OK;
}

/// The body's trailer: one varint per weak or unowned slot: object index + 1, or object count
/// + 1 + name number for a named object, or 0 for nil.
static hp_status put_links(hp_packer *p) {
    hp_status s = hp_put_varint(&p->out, p->link_count);
    if (s == HP_OK && p->link_count && p->unindexed_objects) s = index_unique_objects(p);
    for (uint32_t i = 0; s == HP_OK && i < p->link_count; i++) {
        hp_link *link = &p->links[i];
        uint32_t index = UINT32_MAX;
        if (link->target && p->named_index.count && hp_map_find(&p->named_index, link->target, &index)) {
            p->named_used[index] = 1;
            s = hp_put_varint(&p->out, (uint64_t)p->object_count + 1 + index);
            continue;
        }
        bool packed = link->target && hp_map_find(&p->object_index, link->target, &index) && index != UINT32_MAX;
        if (!packed && link->kind != HP_OP_WEAK && link->target) {
            // An unowned reference must not dangle: its target has to travel too.
            p->site = (hp_site){ link->object, link->plan, link->op, link->element, link->target,
                                 HP_REASON_UNOWNED_TARGET_NOT_PACKED };
            if (report(p, HP_ERR_POINTER_NOT_STATIC, HP_REASON_UNOWNED_TARGET_NOT_PACKED, link->plan, link->op,
                       link->target)) {
                s = hp_put_varint(&p->out, 0);
                continue;
            }
            p->site_recorded = true;
            p->site_depth = 0;
            return HP_ERR_POINTER_NOT_STATIC;
        }
        s = hp_put_varint(&p->out, packed ? (uint64_t)index + 1 : 0);
    }
    return s;
}

hp_packer *hp_packer_create(const hp_pack_config *config) {
    hp_packer *p = calloc(1, sizeof *p);
    if (p) p->config = *config;
    return p;
}

const uint8_t *hp_packer_body(const hp_packer *p, size_t *length_out) {
    *length_out = p->out.count;
    return p->out.bytes;
}

uint32_t hp_packer_object_count(const hp_packer *p) { return p->object_count; }

const void *hp_packer_object(const hp_packer *p, uint32_t index, const hp_plan **plan_out, hp_origin *origin_out) {
    *plan_out = p->object_plans[index];
    *origin_out = p->origins ? p->origins[index] : (hp_origin){ HP_ORIGIN_UNKNOWN, UINT32_MAX, NULL, UINT64_MAX, 0 };
    return p->objects[index];
}

uint32_t hp_packer_type_count(const hp_packer *p) { return p->type_count; }

const void *hp_packer_type(const hp_packer *p, uint32_t index, const hp_plan **instance_out) {
    const hp_plan *plan = p->type_plans[index];
    // A per-instance plan is its own key (see put_ref); its type is the metadata it was made for.
    bool instance = plan && (const void *)plan == p->types[index];
    *instance_out = instance ? plan : NULL;
    return instance ? plan->metadata : p->types[index];
}

const uint32_t *hp_packer_images_used(const hp_packer *p, uint32_t *count_out) {
    *count_out = p->images_used_count;
    return p->images_used;
}

bool hp_packer_name_used(const hp_packer *p, uint32_t number) {
    return p->named_used && number < p->config.named_object_count && p->named_used[number];
}

hp_site hp_packer_site(const hp_packer *p) { return p->site; }

const hp_step *hp_packer_site_path(const hp_packer *p, uint32_t *depth_out) {
    *depth_out = p->site_depth;
    return p->steps;
}

/// How far ahead of the body it writes the walk asks for objects' memory. In a graph larger than
/// the cache each object costs two misses: its header, when a reference to it is met (put_ref asks
/// whether it is uniquely referenced), and its body, when its turn in the queue comes, long after
/// in a breadth-first walk of a tree. The queue says which objects come next, so the walk asks for
/// an object's body HP_PACK_PREFETCH objects ahead, and half as far ahead, once that body is near,
/// for the headers its references name (for plain objects, whose every op is a reference).
#define HP_PACK_PREFETCH 16

/// An object's memory, both ends: one of 40 bytes in a 48-byte malloc chunk starts in the last
/// 32 bytes of a cache line half the time, and then its fields lie in the next line.
static inline void prefetch_body(const hp_packer *p, uint32_t index) {
    const uint8_t *object = p->objects[index];
    __builtin_prefetch(object);
    __builtin_prefetch(object + p->object_plans[index]->size - 1);
}

static inline void prefetch_children(const hp_packer *p, uint32_t index) {
    const hp_plan *plan = p->object_plans[index];
    if (!plan->plain_refs) return;
    const uint8_t *object = p->objects[index];
    for (uint32_t i = 0; i < plan->op_count; i++) {
        const void *child;
        memcpy(&child, object + plan->ops[i].offset, sizeof child);
        // A prefetch never faults, so a nil reference costs nothing but the instruction.
        __builtin_prefetch(child);
    }
}

/// The last body's length and an eighth, for the next pack's first reservation. Grown by
/// doubling from 256 bytes, a 10 MB body was reallocated 16 times, and each realloc that moved
/// it freed the block it left, which set glibc's heap trimming off (kept.c): with this and the
/// kept lists, `hpbench W2` went from 32.2/36.1 to 23.4/20.2 ms (pack/unpack).
static _Atomic size_t expected_body;

hp_status hp_pack(hp_packer *p, const hp_plan *root, const void *value) {
    size_t expected = expected_body;
    // Only a guess: if the memory is not there, the body grows as it goes.
    if (expected > p->out.capacity) (void)hp_buffer_reserve(&p->out, expected);
    p->site = (hp_site){ UINT32_MAX, NULL, UINT32_MAX, UINT64_MAX, 0 };
    p->site_recorded = false;
    p->frame_count = 0;
    p->image_slot = calloc(p->config.images->image_count, sizeof(uint32_t));
    p->images_used = malloc(p->config.images->image_count * sizeof(uint32_t));
    if (!p->image_slot || !p->images_used) return HP_ERR_NO_MEMORY;
    // The main executable is always packet image 0: its build-id identifies the program.
    p->images_used[0] = 0;
    p->image_slot[0] = 1;
    p->images_used_count = 1;
    hp_status s = hp_map_init(&p->object_index, 64);
    if (s == HP_OK) s = hp_map_init(&p->type_index, 64);
    for (uint32_t i = 0; s == HP_OK && i < p->config.static_object_count; i++)
        s = hp_map_insert(&p->object_index, p->config.static_objects[i], UINT32_MAX);
    if (s == HP_OK && p->config.named_object_count) {
        p->named_used = calloc(p->config.named_object_count, 1);
        if (!p->named_used) s = HP_ERR_NO_MEMORY;
        if (s == HP_OK) s = hp_map_init(&p->named_index, p->config.named_object_count * 2);
        for (uint32_t i = 0; s == HP_OK && i < p->config.named_object_count; i++)
            s = hp_map_insert(&p->named_index, p->config.named_objects[i], i);
    }
    if (s != HP_OK) return s;
    // The walk trusts what hp_plan_seal checked.
    if (!root->sealed) return fail_at(p, HP_ERR_INTERNAL, HP_REASON_BAD_PLAN, root, UINT32_MAX, 0);
    s = put_value(p, value, root, 0);
    for (uint32_t k = 0; s == HP_OK && k < p->object_count; k++) {
        if (k + HP_PACK_PREFETCH < p->object_count) prefetch_body(p, k + HP_PACK_PREFETCH);
        // Only while most objects met were unique: a shared object is found in the sharing
        // table without a look at its header, and W4 (all shared) packed 5% slower for asking.
        if (k + HP_PACK_PREFETCH / 2 < p->object_count && p->object_index.count < p->object_count / 2)
            prefetch_children(p, k + HP_PACK_PREFETCH / 2);
        s = put_object(p, k);
    }
    if (s == HP_OK) s = put_links(p);
    return s;
}

void hp_packer_destroy(hp_packer *p) {
    if (!p) return;
    if (p->out.count) expected_body = p->out.count + p->out.count / 8;
    for (uint32_t i = 0; i < p->frame_capacity; i++) free(p->frames[i].scratch);
    free(p->frames);
    free(p->steps);
    p->frames = NULL;
    p->steps = NULL;
    p->frame_count = p->frame_capacity = 0;
    for (uint32_t i = 0; i < p->link_count; i++)
        if (p->links[i].kind == HP_OP_WEAK && p->links[i].target) hp_release((void *)p->links[i].target);
    free(p->links);
    p->links = NULL;
    hp_map_free(&p->named_index);
    free(p->named_used);
    p->named_used = NULL;
    p->link_count = p->link_capacity = 0;
    for (uint32_t i = 0; i < p->replacement_count; i++) {
        p->config.callbacks.destroy_replacement(p->replacements[i].type, p->replacements[i].replacement);
        free(p->replacements[i].replacement);
    }
    free(p->replacements);
    p->replacements = NULL;
    p->replacement_count = p->replacement_capacity = 0;
    hp_buffer_free(&p->out);
    hp_kept_give(p->objects, (size_t)p->object_capacity * sizeof(void *));
    hp_kept_give(p->object_plans, (size_t)p->object_capacity * sizeof(void *));
    free(p->origins);
    hp_map_free(&p->object_index);
    free(p->types);
    free(p->type_plans);
    free(p->type_value_plans);
    hp_map_free(&p->type_index);
    free(p->image_slot);
    free(p->images_used);
    p->objects = NULL; p->object_plans = NULL; p->origins = NULL; p->types = NULL;
    p->type_plans = NULL; p->type_value_plans = NULL; p->image_slot = NULL; p->images_used = NULL;
    p->object_count = p->object_capacity = p->type_count = p->type_capacity = p->type_plan_capacity = 0;
    p->type_value_plan_capacity = 0;
    free(p);
}
