// The unpack walk: the mirror of pack.c over the same plans. It runs twice over the body: a
// validation pass that checks every varint, index, length, tag and type without allocating,
// then a build pass that cannot meet bad input. So a garbled packet is refused having built
// nothing, and no half-built object ever needs tearing down. Values nested inline go on an
// explicit stack of frames, as in pack.c.
#include "hp_internal.h"

#define NEED(cond) do { if (HP_UNLIKELY(!(cond))) return HP_ERR_MALFORMED; } while (0)

static hp_status fail_at(hp_unpacker *u, hp_status status, const hp_plan *plan, uint32_t op) {
    if (u->site.plan == NULL) { u->site.plan = plan; u->site.op = op; }
    return status;
}

/// Records why the walk stops (the first, innermost reason wins) and returns `status`.
static hp_status fail_because(hp_unpacker *u, hp_status status, hp_reason reason) {
    if (u->site.reason == HP_REASON_NONE) u->site.reason = reason;
    return status;
}

static bool is_kind_of(const void *metadata, const void *expected) {
    // Swift class metadata: superclass at +8. Only class metadata (kind word 0, or an isa
    // above the last enumerated kind) has one: a closure context's word 1 is not a pointer.
    // Bounded: a class chain is short, a garbled one is not.
    for (int i = 0; metadata && i < 256; i++) {
        if (metadata == expected) return true;
        uintptr_t kind = *(const uintptr_t *)metadata;
        if (kind != 0 && kind <= 0x7FF) return false;
        metadata = ((const void *const *)metadata)[1];
    }
    return false;
}

static hp_status get_static(hp_unpacker *u, uintptr_t *out) {
    uint64_t slot, offset;
    NEED(hp_get_varint(&u->cursor, u->end, &slot));
    if (slot == 0) { *out = 0; return HP_OK; }
    NEED(slot - 1 < u->config.image_map_count);
    NEED(hp_get_varint(&u->cursor, u->end, &offset));
    NEED(hp_image_table_resolve(u->config.images, u->config.image_map[slot - 1], offset, 1, out));
    return HP_OK;
}

/// A code pointer (a closure's function, a thin or C function pointer): null, or the entry of a
/// function in the image the packet names (for an async function, a record pointing at one).
/// Any other byte of a code segment (mid-instruction, the ELF header, .rodata) would run
/// whatever it decodes to.
static hp_status get_code(hp_unpacker *u, const hp_op *op, uintptr_t *out) {
    hp_status s = get_static(u, out);
    if (s != HP_OK || *out == 0) return s;
    // Async records and code never share an address, so one cache serves both.
    uint32_t slot = (uint32_t)((*out * 11400714819323198485ull) >> 56) % HP_CODE_ENTRY_CACHE;
    if (HP_LIKELY(u->code_entries[slot] == *out)) return HP_OK;
    bool entry = op->data.async_function ? hp_async_function_entry(u->config.images, *out)
                                         : hp_code_entry(u->config.images, *out);
    if (!entry) {
        u->site.pointer = *out;
        return fail_because(u, HP_ERR_MALFORMED, HP_REASON_NOT_A_FUNCTION_ENTRY);
    }
    u->code_entries[slot] = *out;
    return HP_OK;
}

/// Type-table entry `type` as far as `need` (hp_type_need bits) says, resolved by the Swift
/// layer on first use: a packet names types only its body may use, and those it never uses
/// cost nothing.
static inline hp_status need_type(hp_unpacker *u, uint64_t type, uint32_t need) {
    if (HP_LIKELY(u->config.type_ready == NULL || (u->config.type_ready[type] & need) == need)) return HP_OK;
    if (!u->config.callbacks.resolve_type(u->config.context, (uint32_t)type, need))
        return fail_because(u, HP_ERR_CALLBACK, HP_REASON_CALLBACK_FAILED);
    return HP_OK;
}

static inline void notify(hp_unpacker *u, hp_event event, uint64_t a, uint64_t b) {
    if (HP_UNLIKELY(u->config.callbacks.observe != NULL)) u->config.callbacks.observe(u->config.observer, u, event, a, b);
}

static hp_status add_object(hp_unpacker *u, const hp_plan *plan, const void *metadata, uint64_t count,
                            void **object_out) {
    if (u->object_count >= u->config.max_objects) return fail_because(u, HP_ERR_LIMIT, HP_REASON_OBJECT_LIMIT);
    uint32_t n = u->object_count;
    if (n == u->object_capacity) {
        uint32_t capacity = u->object_capacity, same = u->object_capacity;
        hp_status s = hp_grow((void **)&u->objects, &capacity, sizeof(void *), n + 1);
        if (s == HP_OK) s = hp_grow((void **)&u->object_plans, &same, sizeof(void *), capacity);
        same = u->object_capacity;
        if (s == HP_OK) s = hp_grow((void **)&u->object_counts, &same, sizeof(uint64_t), capacity);
        same = u->object_capacity;
        if (s == HP_OK) s = hp_grow((void **)&u->extra_refs, &same, sizeof(uint32_t), capacity);
        if (s != HP_OK) return s;
        u->object_capacity = capacity;
    }
    void *object = NULL;
    if (u->building && !plan->replacement) {
        uint64_t size = plan->size;
        if (plan->has_tail) size = plan->tail_offset + count * plan->element->stride;
        object = hp_alloc_object(metadata, (size_t)size, plan->align_mask);
        if (plan->prefix_count)
            memcpy((uint8_t *)object + plan->prefix_offset, plan->prefix, (size_t)plan->prefix_count * 8);
        if (plan->has_tail) {
            // _ArrayBody: count, then capacity << 1 (the low bit is ObjC-only and stays clear).
            uint64_t capacity_and_flags = count << 1;
            memcpy((uint8_t *)object + plan->count_offset, &count, 8);
            memcpy((uint8_t *)object + plan->count_offset + 8, &capacity_and_flags, 8);
        }
    }
    u->objects[n] = object;
    u->object_plans[n] = plan;
    u->object_counts[n] = count;
    u->extra_refs[n] = 0;
    u->object_count = n + 1;
    *object_out = object;
    return HP_OK;
}

#define HP_LAST_REF_STATIC UINT64_MAX

/// How far an interior pointer may reach into the object the last reference named: a packet
/// object's whole allocation, or the header and array body of a static singleton.
static uint64_t object_extent(const hp_unpacker *u, uint64_t last_ref) {
    if (last_ref == HP_LAST_REF_STATIC) return 32;
    const hp_plan *plan = u->object_plans[last_ref - 1];
    if (!plan->has_tail) return plan->size;
    return plan->tail_offset + u->object_counts[last_ref - 1] * plan->element->stride;
}

/// A value whose reading is suspended while a value nested in one of its ops is read:
/// `steps[k]` holds its plan and that op, this the rest (as in pack.c).
struct hp_unpack_frame {
    uint8_t *base;              ///< NULL in the validation pass
    uint32_t resume;            ///< where the op ends whose nested value is being read
    uint32_t inject;            ///< an ENUM op: tag + 1 to set once its payload is read (0: none)
};

/// Suspends the value being read at op `op`, which ends at `resume`, to read a value nested in it.
HP_OUTLINE static hp_status suspend(hp_unpacker *u, const hp_plan *plan, uint32_t op, uint8_t *base, uint32_t resume,
                                    uint32_t inject) {
    uint32_t k = u->frame_count;
    if (HP_UNLIKELY(k == u->frame_capacity)) {
        if (k >= HP_MAX_NESTING) return fail_because(u, HP_ERR_LIMIT, HP_REASON_INLINE_DEPTH);
        hp_status s = hp_grow_frames((void **)&u->steps, sizeof(hp_step), (void **)&u->frames,
                                     sizeof(struct hp_unpack_frame), &u->frame_capacity, k + 1);
        if (s != HP_OK) return s;
    }
    u->steps[k] = (hp_step){ plan, op };
    u->frames[k] = (struct hp_unpack_frame){ base, resume, inject };
    u->frame_count = k + 1;
    return HP_OK;
}

static hp_status get_value(hp_unpacker *u, uint8_t *base, const hp_plan *plan, uint32_t start);

/// An object that travels as a replacement value (read right here, after its reference) is
/// rebuilt from it at once, by a walk of its own above the current frames. Its replacement is
/// plain data (the plan builder made sure), so nothing in it waits for objects that are not
/// complete yet, and that walk meets no reference (so no inspection event needs the op that
/// led here on the trail): this never nests.
static hp_status get_object_replacement(hp_unpacker *u, const hp_op *op, void **object_out) {
    if (u->replacing_object) return fail_because(u, HP_ERR_INTERNAL, HP_REASON_BAD_PLAN);
    void *replacement = NULL;
    if (u->building) {
        replacement = hp_alloc_value(op->sub);
        if (!replacement) return HP_ERR_NO_MEMORY;
    }
    uint32_t strings_before = u->string_count;
    hp_step current = u->current;
    u->replacing_object = true;
    hp_status s = get_value(u, replacement, op->sub, 0);
    u->replacing_object = false;
    u->current = current;
    if (u->building) {
        if (s != HP_OK) {
            // The strings made so far are on the list that discard_built destroys.
            free(replacement);
            return s;
        }
        // The strings now belong to the replacement, which the rebuild consumes.
        u->string_count = strings_before;
        *object_out = u->config.callbacks.restore_object(op->data.replaced_type, replacement);
        free(replacement);
        if (!*object_out) return fail_because(u, HP_ERR_INTERNAL, HP_REASON_BAD_PLAN);
    }
    return s;
}

static hp_status get_ref(hp_unpacker *u, uint8_t *at, const void *expected, const void **metadata_out,
                         const hp_plan *box_plan) {
    const void *metadata = NULL;
    uint64_t code;
    NEED(hp_get_varint(&u->cursor, u->end, &code));
    void *object = NULL;
    if (code == HP_REF_NULL) {
        object = NULL;
        u->last_ref = 0;
    } else if (code == HP_REF_NEW) {
        uint64_t type, count = 0;
        NEED(hp_get_varint(&u->cursor, u->end, &type));
        NEED(type < u->config.type_count);
        const hp_plan *plan = box_plan;
        const void *type_metadata = box_plan ? box_plan->metadata : NULL;
        if (!box_plan) {
            hp_status s = need_type(u, type, HP_TYPE_METADATA | HP_TYPE_OBJECT_PLAN);
            if (s != HP_OK) return s;
            plan = u->config.type_plans[type];
            type_metadata = u->config.types[type];
        }
        // A box: the slot says what it holds, and the box is the receiver's own for that type
        // (the plan's metadata), whatever box metadata the packet names.
        NEED(plan != NULL && plan->kind == HP_PLAN_OBJECT && !plan->per_instance && type_metadata != NULL);
        if (expected && !is_kind_of(type_metadata, expected)) return HP_ERR_TYPE_MISMATCH;
        if (plan->has_tail) {
            NEED(hp_get_varint(&u->cursor, u->end, &count));
            size_t remaining = (size_t)(u->end - u->cursor);
            const hp_plan *element = plan->element;
            // Each element costs at least min_wire_size bytes on the wire, which bounds the
            // allocation by the packet's length (zero-size elements by a fixed cap).
            if (element->min_wire_size == 0) {
                if (count > HP_MAX_EMPTY_ELEMENTS) return fail_because(u, HP_ERR_LIMIT, HP_REASON_EMPTY_ELEMENT_LIMIT);
            } else {
                NEED(count <= remaining / element->min_wire_size);
            }
            NEED(count <= (UINT64_MAX - plan->tail_offset) / (element->stride ? element->stride : 1));
        }
        hp_status s = add_object(u, plan, type_metadata, count, &object);
        if (s != HP_OK) return s;
        if (plan->replacement) {
            s = get_object_replacement(u, plan->replacement, &object);
            if (s != HP_OK) return s;
            u->objects[u->object_count - 1] = object;
        }
        metadata = type_metadata;
        u->last_ref = u->object_count;
        notify(u, HP_EVENT_REF_NEW, u->object_count - 1, 0);
    } else if (code == HP_REF_STATIC) {
        uintptr_t address;
        hp_status s = get_static(u, &address);
        if (s != HP_OK) return s;
        bool known = false;
        for (uint32_t i = 0; i < u->config.static_object_count; i++) known |= u->config.static_objects[i] == address;
        NEED(known && address != 0);
        object = (void *)address;
        metadata = *(const void *const *)address;
        u->last_ref = HP_LAST_REF_STATIC;
        notify(u, HP_EVENT_REF_STATIC, 0, 0);
    } else if (code == HP_REF_NAMED) {
        // The receiver's own object of that name, resolved before the walk; each reference
        // holds a retain, applied on success like the others.
        uint64_t number;
        NEED(hp_get_varint(&u->cursor, u->end, &number));
        NEED(number < u->config.named_object_count && (u->config.named_objects[number] != NULL || u->config.callbacks.observe));
        object = u->config.named_objects[number];
        if (object) {
            metadata = *(const void *const *)object;
            if (expected && !is_kind_of(metadata, expected)) return HP_ERR_TYPE_MISMATCH;
        }
        u->last_ref = 0;
        notify(u, HP_EVENT_REF_NAMED, number, 0);
        if (u->building) u->named_refs[number]++;
    } else {
        uint64_t index = code - HP_REF_BACK;
        NEED(index < u->object_count);
        if (expected && !is_kind_of(u->object_plans[index]->metadata, expected)) return HP_ERR_TYPE_MISMATCH;
        object = u->objects[index];
        metadata = u->object_plans[index]->metadata;
        // A box met again must have the same shape. The same box can be reached as a closure's
        // context (planned from its metadata) and as a captured var (planned from the slot).
        if (box_plan) {
            const hp_plan *first = u->object_plans[index];
            NEED(!first->has_tail && first->size == box_plan->size && first->body_offset == box_plan->body_offset);
        }
        u->last_ref = index + 1;
        notify(u, HP_EVENT_REF_BACK, index, 0);
        if (u->building) {
            NEED(u->extra_refs[index] < UINT32_MAX);
            u->extra_refs[index]++;
        }
    }
    if (u->building) memcpy(at, &object, 8);
    if (metadata_out) *metadata_out = metadata;
    return HP_OK;
}

// Growth of the lists the walk loop appends to, kept out of it (see HP_OUTLINE).
HP_OUTLINE static hp_status grow_strings(hp_unpacker *u) {
    return hp_grow((void **)&u->strings, &u->string_capacity, sizeof(void *), u->string_count + 1);
}

HP_OUTLINE static hp_status grow_links(hp_unpacker *u) {
    return hp_grow((void **)&u->links, &u->link_capacity, sizeof(hp_link), u->link_count + 1);
}

static hp_status get_string(hp_unpacker *u, uint8_t *at) {
    NEED(u->cursor < u->end);
    uint8_t tag = *u->cursor++;
    if (tag == HP_STRING_INLINE) {
        NEED((size_t)(u->end - u->cursor) >= 16);
        uint64_t object;
        memcpy(&object, u->cursor + 8, 8);
        NEED(object & HP_STRING_IS_SMALL);
        if (u->building) memcpy(at, u->cursor, 16);
        u->cursor += 16;
        return HP_OK;
    }
    NEED(tag == HP_STRING_UTF8);
    uint64_t length;
    NEED(hp_get_varint(&u->cursor, u->end, &length));
    NEED(length <= (uint64_t)(u->end - u->cursor) && length <= HP_STRING_COUNT_MASK);
    if (u->building) {
        hp_status s;
        if (u->string_count == u->string_capacity && (s = grow_strings(u)) != HP_OK) return s;
        u->config.callbacks.make_string(u->cursor, (size_t)length, at);
        u->strings[u->string_count++] = at;
    }
    u->cursor += length;
    return HP_OK;
}

/// Records deferred work. Called before the value's own contents are read, so that whatever
/// those contents defer comes later in the list, runs earlier, and is done when this runs.
static hp_status defer(hp_unpacker *u, hp_fixup fixup) {
    hp_status s = hp_grow((void **)&u->fixups, &u->fixup_capacity, sizeof(hp_fixup), u->fixup_count + 1);
    if (s == HP_OK) u->fixups[u->fixup_count++] = fixup;
    return s;
}

/// Defers the rebuild of a replaced value. Its replacement is a value to read next (`*child_out`).
HP_OUTLINE static hp_status get_replacement(hp_unpacker *u, uint8_t *at, const hp_op *op, uint8_t **child_base_out,
                                 const hp_plan **child_out) {
    void *replacement = NULL;
    if (u->building) {
        replacement = hp_alloc_value(op->sub);
        if (!replacement) return HP_ERR_NO_MEMORY;
        hp_status s = defer(u, (hp_fixup){ at, op->data.replaced_type, replacement, 0 });
        if (s != HP_OK) { free(replacement); return s; }
    }
    *child_base_out = replacement;
    *child_out = op->sub;
    return HP_OK;
}

/// Witness tables are looked up again here, for the type the packet names: the same answer
/// the sender had, also for conformances the runtime instantiates.
static hp_status put_witnesses(hp_unpacker *u, uint8_t *tables, const hp_existential *e, const void *type) {
    for (uint32_t i = 0; i < e->witness_count; i++) {
        const void *table = hp_conformance(type, e->protocols[i]);
        if (!table) return HP_ERR_TYPE_MISMATCH;
        if (u->building) memcpy(tables + 8 * i, &table, 8);
    }
    return HP_OK;
}

/// Reads the dynamic type. Its value is a value to read next (`*child_out`).
HP_OUTLINE static hp_status get_existential(hp_unpacker *u, uint8_t *at, const hp_existential *e, uint8_t **child_base_out,
                                 const hp_plan **child_out) {
    if (e->container == HP_CONTAINER_CLASS) {
        const void *type = NULL;
        hp_status s = get_ref(u, at, NULL, &type, NULL);
        if (s != HP_OK) return s;
        NEED(type != NULL);
        return put_witnesses(u, at ? at + 8 : NULL, e, type);
    }
    uint64_t number;
    NEED(hp_get_varint(&u->cursor, u->end, &number));
    NEED(number >= 1 && number <= u->config.type_count);
    hp_status s = need_type(u, number - 1, e->container == HP_CONTAINER_METATYPE ? HP_TYPE_METADATA
                                                                              : HP_TYPE_METADATA | HP_TYPE_VALUE_PLAN);
    if (s != HP_OK) return s;
    const void *type = u->config.types[number - 1];
    NEED(type != NULL);
    if (e->container == HP_CONTAINER_METATYPE) {
        if (u->building) memcpy(at, &type, 8);
        return put_witnesses(u, at ? at + 8 : NULL, e, type);
    }
    const hp_plan *plan = u->config.value_plans[number - 1];
    NEED(plan != NULL);
    if (e->container == HP_CONTAINER_ERROR) {
        // The Error conformance, looked up again; swift_allocError lays the box out.
        const void *conformance = hp_conformance(type, e->protocols[0]);
        if (!conformance) return HP_ERR_TYPE_MISMATCH;
        uint8_t *value = NULL;
        if (u->building) {
            void *buffer;
            void *box = hp_alloc_error(type, conformance, &buffer);
            memcpy(at, &box, 8);
            value = buffer;
        }
        *child_base_out = value;
        *child_out = plan;
        return HP_OK;
    }
    s = put_witnesses(u, at ? at + 32 : NULL, e, type);
    if (s != HP_OK) return s;
    uint8_t *value = at;
    if (u->building) {
        if (plan->boxed_in_existential) {
            void *buffer;
            void *box = hp_alloc_box(type, &buffer);
            memcpy(at, &box, 8);
            value = buffer;
        }
        memcpy(at + 24, &type, 8);
    }
    *child_base_out = value;
    *child_out = plan;
    return HP_OK;
}

/// Reads the tag. A payload case is a value to read next (`*child_out`); `*inject_out` is then
/// the tag + 1 to set once it is read (0: none, or not yet: see `defers`).
HP_OUTLINE static hp_status get_enum(hp_unpacker *u, uint8_t *at, const hp_plan *enum_plan, uint8_t **child_base_out,
                          const hp_plan **child_out, uint32_t *inject_out) {
    uint64_t tag;
    NEED(hp_get_varint(&u->cursor, u->end, &tag));
    NEED(tag < enum_plan->case_count);
    // A payload holding replaced values gets them only at the end; tag bits set now could
    // sit in their spare bits and be overwritten, so the tag waits for them.
    bool deferred = u->building && enum_plan->defers;
    if (u->building) memset(at, 0, enum_plan->size);
    if (deferred) {
        hp_status s = defer(u, (hp_fixup){ at, enum_plan->metadata, NULL, (uint32_t)tag });
        if (s != HP_OK) return s;
    }
    if (tag < enum_plan->payload_case_count) {
        *child_base_out = at;
        *child_out = enum_plan->payloads[tag];
        *inject_out = u->building && !deferred ? (uint32_t)tag + 1 : 0;
        return HP_OK;
    }
    if (u->building && !deferred) hp_enum_inject(at, (uint32_t)tag, enum_plan->metadata);
    return HP_OK;
}

/// Reads `plan`'s ops into the value at `base` from byte `start` (an object's body) to the
/// plan's size, and every value nested inline in it, suspending the enclosing values on the
/// frame stack. Returns when that value is read (or on failure).
static hp_status get_value(hp_unpacker *u, uint8_t *base, const hp_plan *plan, uint32_t start) {
    uint32_t floor = u->frame_count;
    uint32_t i = 0, position = start;
    hp_status s = HP_OK;
    // Set only by the ops that nest (and only read at `nest`), so the other ops never touch them.
    const hp_plan *child;
    uint8_t *child_base;
    uint32_t inject, next;
    for (;;) {
        if (i == plan->op_count) {
            if (plan->size > position) {
                size_t n = plan->size - position;
                if ((size_t)(u->end - u->cursor) < n) return fail_at(u, HP_ERR_MALFORMED, plan, UINT32_MAX);
                if (u->building) memcpy(base + position, u->cursor, n);
                u->cursor += n;
            }
            if (u->frame_count == floor) return HP_OK;
            // The nested value is read: the value that holds it goes on after the op.
            uint32_t k = --u->frame_count;
            const struct hp_unpack_frame *f = &u->frames[k];
            plan = u->steps[k].plan;
            i = u->steps[k].op;
            base = f->base;
            position = f->resume;
            // An enum payload is complete: its tag can go in now.
            if (f->inject) {
                const hp_op *op = &plan->ops[i];
                hp_enum_inject(base + op->offset, f->inject - 1, op->sub->metadata);
            }
            i++;
            continue;
        }
        const hp_op *op = &plan->ops[i];
        if (HP_UNLIKELY(u->config.callbacks.observe != NULL)) u->current = (hp_step){ plan, i };
        if (op->offset > position) {
            size_t n = op->offset - position;
            if ((size_t)(u->end - u->cursor) < n) return fail_at(u, HP_ERR_MALFORMED, plan, i);
            if (u->building) memcpy(base + position, u->cursor, n);
            u->cursor += n;
        }
        uint8_t *at = u->building ? base + op->offset : NULL;
        next = op->offset + HP_OP_WIDTH_REF;  // the fixed-width ops: 8 bytes but FUNC and STRING
        uintptr_t word;
        switch ((hp_op_kind)op->kind) {
        case HP_OP_PADDING:
            if (at) memset(at, 0, (size_t)op->data.width);
            next = op->offset + hp_op_width(op);
            break;
        case HP_OP_REF:
            s = get_ref(u, at, op->data.class_metadata, NULL, op->sub);
            break;
        case HP_OP_FUNC:
            s = get_code(u, op, &word);
            u->last_code = word;
            if (s == HP_OK && u->building) memcpy(at, &word, 8);
            if (s == HP_OK) s = get_ref(u, at ? at + 8 : NULL, NULL, NULL, NULL);
            next = op->offset + HP_OP_WIDTH_FUNC;
            break;
        case HP_OP_STATIC:
            s = get_code(u, op, &word);
            if (s == HP_OK && u->building) memcpy(at, &word, 8);
            break;
        case HP_OP_RAW_POINTER:
            s = get_static(u, &word);
            if (s == HP_OK && u->building) memcpy(at, &word, 8);
            break;
        case HP_OP_WEAK:
        case HP_OP_UNOWNED:
        case HP_OP_UNOWNED_UNSAFE: {
            // A zeroed slot is a valid nil reference until the trailer is applied.
            if (u->link_count == u->link_capacity && (s = grow_links(u)) != HP_OK) return s;
            if (u->building) memset(at, 0, 8);
            notify(u, HP_EVENT_LINK_SLOT, u->link_count, op->kind);
            u->links[u->link_count++] = (hp_link){ (uintptr_t)at, op->kind, op->kind == HP_OP_WEAK || op->data.nullable, 0, plan, i, 0 };
            break;
        }
        case HP_OP_STATIC_STRING: {
            const uint8_t *mark = u->cursor;
            uint64_t first;
            if (!hp_get_varint(&u->cursor, u->end, &first)) return fail_at(u, HP_ERR_MALFORMED, plan, i);
            if (first == 0) {
                uint64_t scalar;
                if (!hp_get_varint(&u->cursor, u->end, &scalar) || scalar > HP_MAX_UNICODE_SCALAR)
                    return fail_at(u, HP_ERR_MALFORMED, plan, i);
                word = (uintptr_t)scalar;
            } else {
                u->cursor = mark;
                s = get_static(u, &word);
                if (s != HP_OK) return fail_at(u, s, plan, i);
            }
            if (u->building) memcpy(at, &word, 8);
            break;
        }
        case HP_OP_INTERIOR: {
            // The owner is the REF op at offset + data.owner_distance of this value, read just before (plans
            // put it first): the last reference read, which the plan builder guarantees.
            uint64_t code;
            if (!hp_get_varint(&u->cursor, u->end, &code)) return fail_at(u, HP_ERR_MALFORMED, plan, i);
            word = 0;
            if (code != 0) {
                if (u->last_ref == 0 || code - 1 > object_extent(u, u->last_ref))
                    return fail_at(u, HP_ERR_MALFORMED, plan, i);
                if (u->building) {
                    uintptr_t owner;
                    memcpy(&owner, at + op->data.owner_distance, 8);
                    word = owner + (uintptr_t)(code - 1);
                }
            }
            if (u->building) memcpy(at, &word, 8);
            break;
        }
        case HP_OP_METADATA: {
            uint64_t type;
            if (!hp_get_varint(&u->cursor, u->end, &type)) return fail_at(u, HP_ERR_MALFORMED, plan, i);
            if (type > u->config.type_count) return fail_at(u, HP_ERR_MALFORMED, plan, i);
            if (type && (s = need_type(u, type - 1, HP_TYPE_METADATA)) != HP_OK) return fail_at(u, s, plan, i);
            word = type ? (uintptr_t)u->config.types[type - 1] : 0;
            if (u->building) memcpy(at, &word, 8);
            break;
        }
        case HP_OP_STRING:
            s = get_string(u, at);
            next = op->offset + HP_OP_WIDTH_STRING;
            break;
        case HP_OP_ENUM:
            child = NULL;
            inject = 0;
            s = get_enum(u, at, op->sub, &child_base, &child, &inject);
            next = op->offset + hp_op_width(op);
            if (s == HP_OK && child) goto nest;
            break;
        case HP_OP_EXISTENTIAL:
            child = NULL;
            inject = 0;
            s = get_existential(u, at, op->data.existential, &child_base, &child);
            next = op->offset + hp_op_width(op);
            if (s == HP_OK && child) goto nest;
            break;
        case HP_OP_REPLACE:
            child = NULL;
            inject = 0;
            s = get_replacement(u, at, op, &child_base, &child);
            next = op->offset + hp_op_width(op);
            if (s == HP_OK && child) goto nest;
            break;
        case HP_OP_REFUSED:
            return fail_at(u, HP_ERR_MALFORMED, plan, i);
        default:
            return fail_at(u, fail_because(u, HP_ERR_INTERNAL, HP_REASON_UNKNOWN_OP), plan, i);
        }
        if (s != HP_OK) return fail_at(u, s, plan, i);
        position = next;
        i++;
        continue;
    nest:
        // Read the nested value first; this op ends when it does.
        s = suspend(u, plan, i, base, next, inject);
        if (s != HP_OK) return fail_at(u, s, plan, i);
        plan = child;
        base = child_base;
        i = 0;
        position = 0;
    }
}

/// An object's fields, then its tail elements if it has any.
static hp_status get_body(hp_unpacker *u, uint32_t index, uint8_t *object, const hp_plan *plan) {
    hp_status s = get_value(u, object, plan, plan->body_offset);
    if (s != HP_OK || !plan->has_tail) return s;
    uint64_t count = u->object_counts[index];
    const hp_plan *element = plan->element;
    uint8_t *tail = object ? object + plan->tail_offset : NULL;
    // Elements with tail padding go one by one, so that padding (uninitialized memory in the
    // sender) never travels; the validation pass bounded count * stride already.
    if (element->op_count == 0 && element->size == element->stride) {
        size_t n = (size_t)count * element->stride;
        if ((size_t)(u->end - u->cursor) < n) return fail_at(u, HP_ERR_MALFORMED, plan, UINT32_MAX);
        if (u->building) memcpy(tail, u->cursor, n);
        u->cursor += n;
        return HP_OK;
    }
    for (uint64_t i = 0; i < count; i++) {
        u->site.element = i;
        s = get_value(u, tail ? tail + i * element->stride : NULL, element, 0);
        if (s != HP_OK) return s;
    }
    u->site.element = UINT64_MAX;
    return HP_OK;
}

static hp_status get_object(hp_unpacker *u, uint32_t index) {
    uint8_t *object = u->objects[index];
    const hp_plan *plan = u->object_plans[index];
    u->site.object = index;
    notify(u, HP_EVENT_OBJECT_BEGIN, index, 0);
    hp_status s = get_body(u, index, object, plan);
    if (s == HP_OK) notify(u, HP_EVENT_OBJECT_END, index, 0);
    return s;
}

/// The trailer: a target (object index + 1, or 0) for each weak or unowned slot met. Unowned
/// slots must name an object; the targets are stored in each slot by apply_links.
static hp_status get_links(hp_unpacker *u) {
    notify(u, HP_EVENT_TRAILER, 0, 0);
    uint64_t count;
    NEED(hp_get_varint(&u->cursor, u->end, &count));
    NEED(count == u->link_count);
    for (uint32_t i = 0; i < u->link_count; i++) {
        uint64_t target;
        NEED(hp_get_varint(&u->cursor, u->end, &target));
        NEED(target <= (uint64_t)u->object_count + u->config.named_object_count);
        if (target > u->object_count) NEED(u->config.named_objects[target - u->object_count - 1] != NULL || u->config.callbacks.observe);
        NEED(target != 0 || u->links[i].nullable);
        u->links[i].object = (uint32_t)target;
        notify(u, HP_EVENT_LINK_TARGET, i, target);
    }
    return HP_OK;
}

static void apply_links(hp_unpacker *u) {
    for (uint32_t i = 0; i < u->link_count; i++) {
        hp_link *link = &u->links[i];
        void *slot = (void *)link->target;
        void *object = NULL;
        if (link->object > u->object_count) object = u->config.named_objects[link->object - u->object_count - 1];
        else if (link->object) object = u->objects[link->object - 1];
        if (link->kind == HP_OP_WEAK) {
            hp_weak_init(slot, object);
        } else {
            if (link->kind == HP_OP_UNOWNED) hp_unowned_retain(object);
            memcpy(slot, &object, 8);
        }
    }
}

static hp_status run_pass(hp_unpacker *u, const hp_plan *root, void *destination, const uint8_t *start) {
    // The walk trusts what hp_plan_seal checked.
    if (!root->sealed) return fail_because(u, HP_ERR_INTERNAL, HP_REASON_BAD_PLAN);
    if (u->named_refs) memset(u->named_refs, 0, (size_t)u->config.named_object_count * sizeof(uint32_t));
    u->cursor = start;
    u->object_count = 0;
    u->link_count = 0;
    u->frame_count = 0;
    u->site = (hp_site){ UINT32_MAX, NULL, UINT32_MAX, UINT64_MAX, 0 };
    hp_status s = get_value(u, destination, root, 0);
    for (uint32_t k = 0; s == HP_OK && k < u->object_count; k++) s = get_object(u, k);
    if (s == HP_OK) s = get_links(u);
    if (s == HP_OK && u->cursor != u->end) s = HP_ERR_MALFORMED;
    return s;
}

static void discard_fixups(hp_unpacker *u) {
    for (uint32_t i = 0; i < u->fixup_count; i++) free(u->fixups[i].replacement);
    u->fixup_count = 0;
}

static void discard_built(hp_unpacker *u) {
    discard_fixups(u);
    for (uint32_t i = u->string_count; i-- > 0;) u->config.callbacks.destroy_string(u->strings[i]);
    u->string_count = 0;
    for (uint32_t k = 0; k < u->object_count; k++) {
        const hp_plan *plan = u->object_plans[k];
        if (plan->replacement) {
            // Already a complete object, made by the user's rebuild: release it like any other.
            if (u->objects[k]) hp_release(u->objects[k]);
            continue;
        }
        uint64_t size = plan->has_tail ? plan->tail_offset + u->object_counts[k] * plan->element->stride : plan->size;
        hp_dealloc_uninitialized_object(u->objects[k], (size_t)size, plan->align_mask);
    }
    u->object_count = 0;
}

/// The validation pass: reads the whole body, allocates nothing, and must make exactly the
/// objects the header announced.
static hp_status validate(hp_unpacker *u, const hp_plan *root, const uint8_t *start) {
    u->building = false;
    hp_status s = run_pass(u, root, NULL, start);
    if (s == HP_OK && u->object_count != u->config.expected_objects) s = HP_ERR_MALFORMED;
    return s;
}

/// Once per unpacker: the body, and where each pass starts.
static void begin(hp_unpacker *u, const uint8_t *body, size_t length) {
    u->start = u->cursor = body;
    u->end = body + length;
}

hp_status hp_unpack(hp_unpacker *u, const hp_plan *root, const uint8_t *body, size_t length, void *destination) {
    begin(u, body, length);
    const uint8_t *start = u->start;
    if (u->config.named_object_count) {
        u->named_refs = calloc(u->config.named_object_count, sizeof(uint32_t));
        if (!u->named_refs) return HP_ERR_NO_MEMORY;
    }
    hp_status s = validate(u, root, start);
    if (s != HP_OK) return s;
    u->building = true;
    s = run_pass(u, root, destination, start);
    if (s != HP_OK) {
        // Unreachable after a clean validation pass; handled anyway rather than trusted.
        discard_built(u);
        return s;
    }
    for (uint32_t k = 0; k < u->object_count; k++)
        if (u->extra_refs[k]) hp_retain_n(u->objects[k], u->extra_refs[k]);
    for (uint32_t k = 0; k < u->config.named_object_count; k++)
        if (u->named_refs[k]) hp_retain_n(u->config.named_objects[k], u->named_refs[k]);
    u->string_count = 0;
    // Before the fixups: a replacement being consumed may hold one of these slots.
    apply_links(u);
    // Every object is complete and holds its references: rebuild replaced values (they may
    // hash keys that live in those objects) and set deferred enum tags, innermost first.
    for (uint32_t i = u->fixup_count; i-- > 0;) {
        hp_fixup *f = &u->fixups[i];
        if (f->replacement) {
            u->config.callbacks.restore(f->type, f->replacement, f->destination);
            free(f->replacement);
        } else {
            hp_enum_inject(f->destination, f->tag, f->type);
        }
    }
    u->fixup_count = 0;
    return HP_OK;
}

hp_status hp_inspect(hp_unpacker *u, const hp_plan *root, const uint8_t *body, size_t length) {
    begin(u, body, length);
    return validate(u, root, u->start);
}

hp_unpacker *hp_unpacker_create(const hp_unpack_config *config) {
    hp_unpacker *u = calloc(1, sizeof *u);
    if (u) u->config = *config;
    return u;
}

size_t hp_unpacker_offset(const hp_unpacker *u) { return (size_t)(u->cursor - u->start); }

hp_site hp_unpacker_site(const hp_unpacker *u) { return u->site; }

uintptr_t hp_unpacker_last_code(const hp_unpacker *u) { return u->last_code; }

uint32_t hp_unpacker_object_count(const hp_unpacker *u) { return u->object_count; }

const hp_plan *hp_unpacker_object_plan(const hp_unpacker *u, uint32_t index, uint64_t *count_out) {
    if (index >= u->object_count) { *count_out = 0; return NULL; }
    *count_out = u->object_counts[index];
    return u->object_plans[index];
}

const hp_step *hp_unpacker_trail(const hp_unpacker *u, uint32_t *count_out) {
    *count_out = u->frame_count;
    return u->steps;
}

hp_step hp_unpacker_current(const hp_unpacker *u) { return u->current; }

void hp_unpacker_destroy(hp_unpacker *u) {
    if (!u) return;
    free(u->steps);
    free(u->frames);
    u->steps = NULL;
    u->frames = NULL;
    u->frame_count = u->frame_capacity = 0;
    free(u->named_refs);
    u->named_refs = NULL;
    free(u->links);
    u->links = NULL;
    u->link_count = u->link_capacity = 0;
    discard_fixups(u);
    free(u->fixups);
    u->fixups = NULL;
    u->fixup_capacity = 0;
    free(u->objects);
    free(u->object_plans);
    free(u->object_counts);
    free(u->extra_refs);
    free(u->strings);
    free(u);
}
