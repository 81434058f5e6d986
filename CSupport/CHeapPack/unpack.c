// The unpack walk: the mirror of pack.c over the same plans. One pass over the body checks
// every varint, index, length, tag, bound and invariant just before it builds what that byte
// describes, so nothing is built of bytes not yet checked; a packet refused halfway has its
// objects, strings and boxes freed without running a deinit (discard_built), and no object is
// retained, linked or rebuilt until the whole body has passed. Inspection runs the same walk
// building nothing. Values nested inline go on an explicit stack of frames, as in pack.c.
#include "hp_internal.h"
#include "native_string.h"
#include <sys/mman.h>
#include <sys/sysinfo.h>

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

/// Class metadata: kind word 0, or an isa above the last enumerated kind. Only it has a
/// superclass at +8: a closure context's word 1 is not a pointer.
static bool is_class(const void *metadata) {
    uintptr_t kind = *(const uintptr_t *)metadata;
    return kind == 0 || kind > 0x7FF;
}

static bool is_kind_of(const void *metadata, const void *expected) {
    // Bounded: a class chain is short, a garbled one is not.
    for (int i = 0; metadata && i < 256; i++) {
        if (metadata == expected) return true;
        if (!is_class(metadata)) return false;
        metadata = ((const void *const *)metadata)[1];
    }
    return false;
}

/// Whether an object whose metadata is `metadata` (a class's, or a box's or closure context's,
/// which no class bound takes), or the type `metadata` of a metatype, is what `bound` allows
/// (NULL: anything).
static bool fits(const void *_Nullable metadata, const hp_bound *_Nullable bound) {
    if (!bound) return true;
    switch ((hp_bound_rule)bound->rule) {
    case HP_BOUND_ANY: return true;
    case HP_BOUND_ANY_CLASS: return metadata && is_class(metadata);
    case HP_BOUND_SUBCLASS: return metadata && (is_kind_of(metadata, bound->type) || metadata == bound->alternative);
    case HP_BOUND_EXACT: return metadata && metadata == bound->type;
    }
    return false;
}

/// A runtime singleton fits where an object of its class would; the empty-array singleton
/// (`__EmptyArrayStorage`) also stands for the empty `_ContiguousArrayStorage<E>` of every E,
/// a sibling class: both derive from `__ContiguousArrayStorageBase`.
static bool singleton_fits(const void *metadata, const hp_bound *_Nullable bound) {
    if (fits(metadata, bound)) return true;
    if (bound->rule != HP_BOUND_SUBCLASS || !is_class(metadata) || !is_class(bound->type)) return false;
    const void *base = ((const void *const *)metadata)[1];
    return base != NULL && ((const void *const *)bound->type)[1] == base;
}

/// What every closure's context slot holds: any object, or null for a closure without one.
static const hp_bound any_context = { NULL, NULL, HP_BOUND_ANY, 1 };

/// A slot whose failure has a reason of its own: records it and returns `status`.
#define REFUSE(status, reason) return fail_because(u, (status), (reason))

/// A static pointer to `span` bytes of one image's file-backed data, or null.
static hp_status get_static_span(hp_unpacker *u, uint64_t span, uintptr_t *out) {
    uint64_t slot, offset;
    NEED(hp_get_varint(&u->cursor, u->end, &slot));
    if (slot == 0) { *out = 0; return HP_OK; }
    NEED(slot - 1 < u->config.image_map_count);
    NEED(hp_get_varint(&u->cursor, u->end, &offset));
    // Only pointers to one byte are remembered: a longer span checks more than the address.
    struct hp_resolved_static *seen = &u->resolved[(uint32_t)(((offset ^ slot) * 11400714819323198485ull) >> 58)];
    if (span == 1 && seen->slot == slot && seen->offset == offset) {
        *out = seen->address;
        return HP_OK;
    }
    NEED(hp_image_table_resolve(u->config.images, u->config.image_map[slot - 1], offset, span, out));
    if (span == 1) *seen = (struct hp_resolved_static){ slot, offset, *out };
    return HP_OK;
}

static hp_status get_static(hp_unpacker *u, uintptr_t *out) { return get_static_span(u, 1, out); }

/// A code pointer (a closure's function, a thin or C function pointer): null, or the entry of a
/// function in the image the packet names (for an async function, a record pointing at one).
/// Any other byte of a code segment (mid-instruction, the ELF header, .rodata) would run
/// whatever it decodes to.
static hp_status get_code(hp_unpacker *u, const hp_op *op, uintptr_t *out) {
    hp_status s = get_static(u, out);
    if (s != HP_OK || *out == 0) return s;
    bool async = op->data.async_function;
    if (HP_LIKELY(hp_entry_remembered(u->config.images, *out, async))) return HP_OK;
    bool entry = async ? hp_async_function_entry(u->config.images, *out) : hp_code_entry(u->config.images, *out);
    if (!entry) {
        u->site.pointer = *out;
        return fail_because(u, HP_ERR_MALFORMED, HP_REASON_NOT_A_FUNCTION_ENTRY);
    }
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

/// An object's allocation size; get_ref bounded `count * stride` before it asked.
static uint64_t object_size(const hp_plan *plan, uint64_t count) {
    return plan->has_tail ? plan->tail_offset + count * plan->element->stride : plan->size;
}

HP_OUTLINE static hp_status reserve(hp_unpacker *u);
HP_OUTLINE static void merge_fastbins(hp_unpacker *u);

/// Adds to what the walk asks the runtime for, which traps rather than report a failure, before
/// it asks: building, it first makes sure malloc could give all of it at once (reserve).
static inline hp_status expect_build(hp_unpacker *u, uint64_t size) {
    u->build_bytes = size > UINT64_MAX - u->build_bytes ? UINT64_MAX : u->build_bytes + size;
    if (HP_UNLIKELY(u->building && u->build_bytes > u->reserved_bytes)) return reserve(u);
    return HP_OK;
}

/// What the walk takes without a probe: a machine without a megabyte to spare fails anyway.
#define HP_FIRST_RESERVE ((uint64_t)1 << 20)

/// The runtime's side table of an object a weak reference names (swift_weakInit makes it).
#define HP_SIDE_TABLE_BYTES 64

/// Room for `needed` objects in each of the per-object lists.
HP_OUTLINE static hp_status grow_objects(hp_unpacker *u, uint32_t needed) {
    uint32_t capacity = u->object_capacity, same = u->object_capacity;
    hp_status s = hp_grow_kept((void **)&u->objects, &capacity, sizeof(void *), needed);
    if (s == HP_OK) s = hp_grow_kept((void **)&u->object_plans, &same, sizeof(void *), capacity);
    // A walk that builds nothing keeps metadata from its first object; a building one once
    // keep_metadata started the list.
    if (u->object_metadata || !u->building) {
        same = u->object_capacity;
        if (s == HP_OK) s = hp_grow((void **)&u->object_metadata, &same, sizeof(void *), capacity);
    }
    if (u->extra_refs) {
        same = u->object_capacity;
        if (s == HP_OK) s = hp_grow((void **)&u->extra_refs, &same, sizeof(uint32_t), capacity);
        if (s == HP_OK) memset(u->extra_refs + u->object_capacity, 0, (size_t)(capacity - u->object_capacity) * sizeof(uint32_t));
    }
    // A built object carries its element count in its array body, so only a walk that builds
    // nothing keeps counts on the side.
    if (!u->building) {
        same = u->object_capacity;
        if (s == HP_OK) s = hp_grow((void **)&u->object_counts, &same, sizeof(uint64_t), capacity);
    }
    if (s == HP_OK) u->object_capacity = capacity;
    return s;
}

/// A built object's metadata is its isa, but for a replacement (the value rebuilt from it has
/// its own), and a walk that builds nothing has no isa to read. Those keep it on the side, and
/// so does a walk that meets an object again: each reference met again checks it, and reading
/// it from the object costs a cache miss per reference in a graph of shared objects (W4 unpack:
/// 48–72 ms against 21–35 ms with the list). A list or a tree never keeps it.
HP_OUTLINE static hp_status keep_metadata(hp_unpacker *u) {
    uint32_t capacity = 0;
    hp_status s = hp_grow((void **)&u->object_metadata, &capacity, sizeof(void *), u->object_capacity);
    if (s != HP_OK) return s == HP_ERR_NO_MEMORY ? fail_because(u, s, HP_REASON_NO_MEMORY) : s;
    for (uint32_t k = 0; k < u->object_count; k++) u->object_metadata[k] = *(const void *const *)u->objects[k];
    return HP_OK;
}

static inline const void *metadata_of(const hp_unpacker *u, uint64_t k) {
    return u->object_metadata ? u->object_metadata[k] : *(const void *const *)u->objects[k];
}

HP_INLINE static hp_status add_object(hp_unpacker *u, const hp_plan *plan, const void *metadata, uint64_t count,
                            void **object_out) {
    if (u->object_count >= u->config.max_objects) return fail_because(u, HP_ERR_LIMIT, HP_REASON_OBJECT_LIMIT);
    if (!plan->replacement) {
        uint64_t size = object_size(plan, count);
        // Storage read inside a replacement (a Dictionary's keys and values, a Set's elements)
        // lives until the rebuild after the walk, which makes the runtime's own storage of up to
        // about 8/3 of it (load factor 3/4, a power of two buckets): four times it, all told.
        if (u->replace_depth && plan->has_tail) size = size > UINT64_MAX / 4 ? UINT64_MAX : 4 * size;
        hp_status s = expect_build(u, size);
        if (s != HP_OK) return s;
    }
    uint32_t n = u->object_count;
    if (n == u->object_capacity) {
        hp_status s = grow_objects(u, n + 1);
        if (s != HP_OK) return s;
    }
    if (HP_UNLIKELY(plan->replacement && !u->object_metadata)) {
        hp_status s = keep_metadata(u);
        if (s != HP_OK) return s;
    }
    if (HP_UNLIKELY(u->merge_pending) && !plan->linear) merge_fastbins(u);
    void *object = NULL;
    if (u->building && !plan->replacement) {
        object = hp_alloc_object(u->allocates_directly, metadata, (size_t)object_size(plan, count), plan->align_mask);
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
    if (u->object_metadata) u->object_metadata[n] = metadata;
    if (!u->building) u->object_counts[n] = count;
    u->object_count = n + 1;
    *object_out = object;
    return HP_OK;
}

#define HP_LAST_REF_STATIC UINT64_MAX

/// Object `k`'s tail element count, as add_object wrote it into the array body (0 without a tail).
static inline uint64_t count_of(const hp_unpacker *u, uint64_t k) {
    if (!u->building) return u->object_counts[k];
    const hp_plan *plan = u->object_plans[k];
    if (!plan->has_tail || plan->replacement || !u->objects[k]) return 0;
    uint64_t count;
    memcpy(&count, (const uint8_t *)u->objects[k] + plan->count_offset, 8);
    return count;
}

/// How far an interior pointer may reach into the object the last reference named: a packet
/// object's whole allocation, or the header and array body of a static singleton.
static uint64_t object_extent(const hp_unpacker *u, uint64_t last_ref) {
    if (last_ref == HP_LAST_REF_STATIC) return 32;
    return object_size(u->object_plans[last_ref - 1], count_of(u, last_ref - 1));
}

/// The empty-array singleton's elements (none) start after its header and array body.
#define HP_SINGLETON_TAIL 32

/// An ArraySlice's base address (`code` - 1 bytes into the last reference's object, its owner)
/// and its `startIndex` and `endIndexAndFlags`, the two raw words that follow it in the stream:
/// the slice must be native, `0 <= start <= end`, and its elements `base[start..<end]` must be
/// elements of the owner, whose class the REF op's bound made `_ContiguousArrayStorage<E>` of
/// this element type (or the empty-array singleton).
static bool slice_fits(const hp_unpacker *u, uint64_t code, const hp_plan *element) {
    if (code == 0 || u->last_ref == 0 || (size_t)(u->end - u->cursor) < 16) return false;
    int64_t start;
    uint64_t end_and_flags;
    memcpy(&start, u->cursor, 8);
    memcpy(&end_and_flags, u->cursor + 8, 8);
    uint64_t end = end_and_flags >> 1;
    if (!(end_and_flags & 1) || start < 0 || (uint64_t)start > end) return false;
    uint64_t tail, count;
    if (u->last_ref == HP_LAST_REF_STATIC) {
        tail = HP_SINGLETON_TAIL;
        count = 0;
    } else {
        const hp_plan *owner = u->object_plans[u->last_ref - 1];
        if (!owner->has_tail || owner->element->stride != element->stride) return false;
        tail = owner->tail_offset;
        count = count_of(u, u->last_ref - 1);
    }
    uint64_t stride = element->stride ? element->stride : 1, first, length;
    if (__builtin_mul_overflow((uint64_t)start, stride, &first) || __builtin_add_overflow(first, code - 1, &first)
        || __builtin_mul_overflow(end - (uint64_t)start, stride, &length))
        return false;
    // Elements of the owner: from its tail, whole elements apart, within its count.
    return first >= tail && (first - tail) % stride == 0 && (first - tail) / stride <= count
        && length / stride <= count - (first - tail) / stride;
}

/// A value whose reading is suspended while a value nested in one of its ops is read:
/// `steps[k]` holds its plan and that op, this the rest (as in pack.c).
struct hp_unpack_frame {
    uint8_t *base;              ///< NULL when building nothing
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

// Growth of the lists the walk loop appends to, kept out of it (see HP_OUTLINE).
HP_OUTLINE static hp_status grow_strings(hp_unpacker *u, uint32_t entries) {
    uint64_t needed = (uint64_t)u->string_count + entries;
    if (needed > UINT32_MAX) return HP_ERR_NO_MEMORY;
    return hp_grow((void **)&u->strings, &u->string_capacity, sizeof(void *), (uint32_t)needed);
}

/// Destroys the strings that entries `first` on record, and forgets them.
static void destroy_strings(hp_unpacker *u, uint32_t first) {
    for (uint32_t i = first; i < u->string_count; i++) {
        uintptr_t entry = (uintptr_t)u->strings[i];
        if (entry & 1) {
            uint8_t *elements = (uint8_t *)(entry - 1);
            uintptr_t count = (uintptr_t)u->strings[++i];
            for (uintptr_t k = 0; k < count; k++) u->config.callbacks.destroy_string(elements + k * HP_OP_WIDTH_STRING);
        } else {
            u->config.callbacks.destroy_string(u->strings[i]);
        }
    }
    u->string_count = first;
}

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
            // The strings made in it live in the replacement: destroyed before it goes.
            destroy_strings(u, strings_before);
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

/// Records a strong reference from the object whose body is being read (or the root value) to
/// object `index`, unless a replacement holds it (its rebuild may drop it): the tracing pass
/// finds from these which objects stay alive whatever the rebuilds do.
HP_OUTLINE static hp_status trace(hp_unpacker *u, uint32_t index) {
    if (u->replace_depth) return HP_OK;
    if (u->edge_count + 2 > u->edge_capacity) {
        uint64_t capacity = u->edge_capacity ? u->edge_capacity * 2 : 256;
        if (capacity > SIZE_MAX / sizeof(uint32_t)) return HP_ERR_NO_MEMORY;
        uint32_t *grown = realloc(u->edges, (size_t)capacity * sizeof(uint32_t));
        if (!grown) return fail_because(u, HP_ERR_NO_MEMORY, HP_REASON_NO_MEMORY);
        u->edges = grown;
        u->edge_capacity = capacity;
    }
    u->edges[u->edge_count++] = u->site.object == UINT32_MAX ? 0 : u->site.object + 1;
    u->edges[u->edge_count++] = index;
    return HP_OK;
}

/// Most graphs meet each object once (a list, a tree): the counts of references beyond the first
/// are only kept, zeroed, from the first object met again.
HP_OUTLINE static hp_status count_extra_refs(hp_unpacker *u) {
    u->extra_refs = calloc(u->object_capacity, sizeof(uint32_t));
    if (!u->extra_refs) return fail_because(u, HP_ERR_NO_MEMORY, HP_REASON_NO_MEMORY);
    return HP_OK;
}

/// A strong reference into a slot that `bound` describes (NULL: any object, never null).
/// `slot_plan`, from the slot's type, reads a new object in place of its class's plan: a box
/// slot takes a new box or one met before, never a runtime singleton or a named object, since
/// the closure that owns it writes into it; an array-storage slot takes storage whose elements
/// were read as its element type.
static hp_status get_ref(hp_unpacker *u, uint8_t *at, const hp_bound *_Nullable bound, const void **metadata_out,
                         const hp_plan *slot_plan) {
    const hp_plan *box_plan = slot_plan && !slot_plan->has_tail ? slot_plan : NULL;
    const void *metadata = NULL;
    uint64_t code;
    NEED(hp_get_varint(&u->cursor, u->end, &code));
    void *object = NULL;
    if (code == HP_REF_NULL) {
        if (!bound || !bound->nullable) REFUSE(HP_ERR_MALFORMED, HP_REASON_NULL_IN_NON_OPTIONAL);
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
        // A box is the receiver's own for the type its slot holds (the plan's metadata), whatever
        // box metadata the packet names. Array storage read by the slot's plan has its class's
        // layout (the bound checks the class).
        if (slot_plan) plan = slot_plan;
        NEED(plan != NULL && plan->kind == HP_PLAN_OBJECT && !plan->per_instance && type_metadata != NULL);
        if (!fits(type_metadata, bound)) return HP_ERR_TYPE_MISMATCH;
        if (plan->has_tail) {
            NEED(hp_get_varint(&u->cursor, u->end, &count));
            size_t remaining = (size_t)(u->end - u->cursor);
            const hp_plan *element = plan->element;
            // Each element costs at least min_wire_size bytes on the wire, which bounds the
            // allocation by the packet's length; elements that cost nothing, by a cap on all of
            // them in the packet together.
            if (element->min_wire_size == 0) {
                if (count > HP_MAX_EMPTY_ELEMENTS - u->empty_elements)
                    return fail_because(u, HP_ERR_LIMIT, HP_REASON_EMPTY_ELEMENT_LIMIT);
                u->empty_elements += count;
            } else {
                NEED(count <= remaining / element->min_wire_size);
            }
            NEED(count <= (UINT64_MAX - plan->tail_offset) / (element->stride ? element->stride : 1));
        }
        hp_status s = add_object(u, plan, type_metadata, count, &object);
        if (s != HP_OK) return s;
        if (u->tracing && (s = trace(u, u->object_count - 1)) != HP_OK) return s;
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
        // Shared by the whole process: nothing may take it for an object of another class, or
        // for a box it would write into.
        if (box_plan || !singleton_fits(metadata, bound)) REFUSE(HP_ERR_TYPE_MISMATCH, HP_REASON_SINGLETON_MISPLACED);
        u->last_ref = HP_LAST_REF_STATIC;
        notify(u, HP_EVENT_REF_STATIC, 0, 0);
    } else if (code == HP_REF_NAMED) {
        // The receiver's own object of that name, resolved before the walk; each reference
        // holds a retain, applied on success like the others.
        uint64_t number;
        NEED(hp_get_varint(&u->cursor, u->end, &number));
        NEED(number < u->config.named_object_count && (u->config.named_objects[number] != NULL || u->config.callbacks.observe));
        if (slot_plan) REFUSE(HP_ERR_TYPE_MISMATCH, HP_REASON_SINGLETON_MISPLACED);
        object = u->config.named_objects[number];
        if (object) {
            metadata = *(const void *const *)object;
            if (!fits(metadata, bound)) return HP_ERR_TYPE_MISMATCH;
        }
        u->last_ref = 0;
        notify(u, HP_EVENT_REF_NAMED, number, 0);
        if (u->building) u->named_refs[number]++;
    } else {
        uint64_t index = code - HP_REF_BACK;
        NEED(index < u->object_count);
        const hp_plan *first = u->object_plans[index];
        if (HP_UNLIKELY(!u->object_metadata)) {
            hp_status s = keep_metadata(u);
            if (s != HP_OK) return s;
        }
        metadata = u->object_metadata[index];
        if (!fits(metadata, bound)) return HP_ERR_TYPE_MISMATCH;
        object = u->objects[index];
        if (box_plan) {
            // A box met again must be a box of the same shape. The same box can be reached as a
            // closure's context (planned from its metadata) and as a captured var (planned from
            // the slot).
            uintptr_t kind = *(const uintptr_t *)metadata;
            NEED((kind == 0x400 || kind == 0x500) && !first->has_tail && first->size == box_plan->size
                 && first->body_offset == box_plan->body_offset);
        } else if (slot_plan) {
            // Storage met again must have had its elements read as this slot's element type.
            NEED(first->has_tail && first->element == slot_plan->element);
        }
        if (u->tracing) {
            hp_status s = trace(u, (uint32_t)index);
            if (s != HP_OK) return s;
        }
        u->last_ref = index + 1;
        notify(u, HP_EVENT_REF_BACK, index, 0);
        if (u->building) {
            if (HP_UNLIKELY(!u->extra_refs)) {
                hp_status s = count_extra_refs(u);
                if (s != HP_OK) return s;
            }
            NEED(u->extra_refs[index] < UINT32_MAX);
            u->extra_refs[index]++;
        }
    }
    if (u->building) memcpy(at, &object, 8);
    if (metadata_out) *metadata_out = metadata;
    return HP_OK;
}

/// A weak or unowned slot met by the reader, in trailer order.
struct hp_slot_link {
    uint8_t *slot;              ///< NULL when building nothing
    const hp_op *op;            ///< its op: the kind, and what the target must be
    uint32_t target;            ///< the trailer's value
};

HP_OUTLINE static hp_status grow_links(hp_unpacker *u) {
    return hp_grow((void **)&u->slot_links, &u->link_capacity, sizeof(struct hp_slot_link), u->link_count + 1);
}

/// Strict UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF.
static bool is_utf8(const uint8_t *bytes, size_t count) {
    for (size_t i = 0; i < count;) {
        uint8_t lead = bytes[i];
        size_t length;
        uint8_t low = 0x80, high = 0xBF;    // the second byte's range
        if (lead < 0x80) { i++; continue; }
        else if (lead >= 0xC2 && lead <= 0xDF) length = 2;
        else if (lead >= 0xE0 && lead <= 0xEF) { length = 3; if (lead == 0xE0) low = 0xA0; if (lead == 0xED) high = 0x9F; }
        else if (lead >= 0xF0 && lead <= 0xF4) { length = 4; if (lead == 0xF0) low = 0x90; if (lead == 0xF4) high = 0x8F; }
        else return false;
        if (count - i < length || bytes[i + 1] < low || bytes[i + 1] > high) return false;
        for (size_t k = 2; k < length; k++)
            if ((bytes[i + k] & 0xC0) != 0x80) return false;
        i += length;
    }
    return true;
}

/// For more than 15 bytes only: the last 16 are read as one block wherever the count ends, so no
/// byte is tested alone (a loop over the tail's bytes cost as much as the rest of the string).
static bool is_ascii(const uint8_t *bytes, size_t count) {
    uint64_t high = 0, first, second;
    for (size_t i = 0; i + 16 < count; i += 16) {
        memcpy(&first, bytes + i, 8);
        memcpy(&second, bytes + i + 8, 8);
        high |= first | second;
    }
    memcpy(&first, bytes + count - 16, 8);
    memcpy(&second, bytes + count - 8, 8);
    return ((high | first | second) & 0x8080808080808080ull) == 0;
}

/// Whether 16 bytes are a small String as the standard library makes one, which it assumes
/// of every String it meets (stdlib/public/core/StringObject.swift, SmallString.swift): the top
/// byte is the discriminator `1 ASCII 1 0` and the count (at most 15); the bytes past the count
/// are zero; the ASCII bit is set exactly when every byte is ASCII; the bytes are valid UTF-8.
/// Any other top nibble makes a large, shared or foreign String of the other bytes, which the
/// runtime would retain as an address, or the Set and Dictionary rebuilds trap on ("No foreign
/// strings").
HP_INLINE static bool is_small_string(const uint8_t bytes[16]) {
    uint8_t discriminator = bytes[15];
    if ((discriminator & 0xB0) != 0xA0) return false;
    uint32_t count = discriminator & 0x0F;
    // A word at a time (little-endian: byte i is bits 8i to 8i+7 of its word), byte 15 aside.
    uint64_t low, high;
    memcpy(&low, bytes, 8);
    memcpy(&high, bytes + 8, 8);
    high &= 0x00FFFFFFFFFFFFFFull;
    uint64_t low_past = count >= 8 ? 0 : ~0ull << (8 * count);
    uint64_t high_past = count <= 8 ? ~0ull : ~0ull << (8 * (count - 8));
    if ((low & low_past) != 0 || (high & high_past) != 0) return false;
    bool ascii = ((low | high) & 0x8080808080808080ull) == 0;
    if (ascii != ((discriminator & 0x40) != 0)) return false;
    return ascii || is_utf8(bytes, count);
}

/// Lays out `length` (> 15) bytes of UTF-8 as native storage and makes the String at `at` of it,
/// testing the copy for ASCII as it is made and then, if need be, for valid UTF-8 (the bytes
/// tested are the bytes kept). Returns false, having made nothing, for invalid UTF-8, which the
/// standard library repairs.
HP_INLINE static bool make_native_text(bool direct, const void *storage, const uint8_t *utf8, size_t length, uint8_t *at) {
    uint8_t *object = hp_new_native_string(direct, storage, length);
    uint8_t *text = object + HP_STRING_NATIVE_BIAS;
    bool ascii;
    if (length <= 128) {
        ascii = hp_copy_ascii_text(text, utf8, length);
    } else {
        memcpy(text, utf8, length);
        ascii = is_ascii(text, length);
    }
    if (HP_UNLIKELY(!ascii) && !is_utf8(text, length)) {
        hp_dealloc_uninitialized_object(object, hp_native_string_size(length), HP_MALLOC_ALIGN_MASK);
        return false;
    }
    hp_finish_native_string(object, length, ascii, at);
    return true;
}

/// Reads a String into `at`; `*utf8_out` and `*length_out` are its UTF-8 in the packet.
/// get_string_elements reads a [String]'s most frequent forms itself, with these checks: a
/// change to one is a change to both.
static hp_status get_string(hp_unpacker *u, uint8_t *at, const uint8_t **utf8_out, size_t *length_out) {
    NEED(u->cursor < u->end);
    uint8_t tag = *u->cursor++;
    if (tag == HP_STRING_INLINE) {
        NEED((size_t)(u->end - u->cursor) >= 16);
        if (!is_small_string(u->cursor)) REFUSE(HP_ERR_MALFORMED, HP_REASON_BAD_SMALL_STRING);
        if (u->building) memcpy(at, u->cursor, 16);
        *utf8_out = u->cursor;
        *length_out = u->cursor[15] & 0x0F;
        u->cursor += 16;
        return HP_OK;
    }
    NEED(tag == HP_STRING_UTF8);
    uint64_t length;
    NEED(hp_get_varint(&u->cursor, u->end, &length));
    NEED(length <= (uint64_t)(u->end - u->cursor) && length <= HP_STRING_COUNT_MASK);
    *utf8_out = u->cursor;
    *length_out = (size_t)length;
    // More than a small string holds: the reader makes native storage.
    hp_status s;
    if (length > 15 && (s = expect_build(u, length + HP_NATIVE_STRING_OVERHEAD)) != HP_OK) return s;
    if (u->building) {
        if (u->string_count == u->string_capacity && (s = grow_strings(u, 1)) != HP_OK) return s;
        // Valid UTF-8 too long for a small string is laid out here; a short one the standard
        // library makes small, and invalid UTF-8 it repairs.
        if (!(length > 15 && u->config.string_storage
              && make_native_text(u->allocates_directly, u->config.string_storage, u->cursor, (size_t)length, at)))
            u->config.callbacks.make_string(u->cursor, (size_t)length, at);
        u->strings[u->string_count++] = at;
    }
    u->cursor += length;
    return HP_OK;
}

/// Whether a String.Index (a Substring bound) names a scalar boundary of `length` bytes of UTF-8:
/// a UTF-8 offset (no transcoded offset, not a UTF-16-only index) at the end or at a byte that
/// starts a scalar.
static bool on_scalar(uint64_t index, const uint8_t *utf8, size_t length) {
    uint64_t offset = index >> 16;
    if ((index >> 14 & 3) != 0 || (index & 0xC) == 0x8 || offset > length) return false;
    return offset == length || (utf8[offset] & 0xC0) != 0x80;
}

/// A Substring's storage (Slice<String>): its bounds, the 16 raw bytes at `bounds`, then its base.
/// The bounds must be scalar boundaries of the base, in order; the base's UTF-8 must be valid as it
/// is, since the String the reader makes of invalid UTF-8 would have other offsets. The build
/// pass writes each bound as the standard library makes a scalar-aligned UTF-8 index.
static hp_status get_substring(hp_unpacker *u, uint8_t *at) {
    NEED((size_t)(u->end - u->cursor) >= 16);
    uint64_t bounds[2];
    memcpy(bounds, u->cursor, 16);
    u->cursor += 16;
    const uint8_t *utf8 = NULL;
    size_t length = 0;
    hp_status s = get_string(u, at ? at + 16 : NULL, &utf8, &length);
    if (s != HP_OK) return s;
    if (!on_scalar(bounds[0], utf8, length) || !on_scalar(bounds[1], utf8, length)
        || bounds[0] >> 16 > bounds[1] >> 16 || !is_utf8(utf8, length))
        REFUSE(HP_ERR_MALFORMED, HP_REASON_BAD_SUBSTRING);
    if (u->building) {
        // Offset, UTF-8 encoding flag (bit 2), scalar-aligned flag (bit 0).
        for (int k = 0; k < 2; k++) bounds[k] = (bounds[k] >> 16) << 16 | 0x5;
        memcpy(at, bounds, 16);
    }
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

/// A heap box the walk made for an existential's value: freed unbuilt if the walk fails.
struct hp_made_box {
    void *box;
    const void *type;
    bool error;                 ///< an `any Error` box (swift_allocError), else swift_allocBox's
};

HP_OUTLINE static hp_status reserve_box(hp_unpacker *u) {
    return hp_grow((void **)&u->boxes, &u->box_capacity, sizeof(struct hp_made_box), u->box_count + 1);
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
        // A class instance (of the superclass constraint, if any), never null.
        const hp_bound bound = { e->superclass, NULL, e->superclass ? HP_BOUND_SUBCLASS : HP_BOUND_ANY_CLASS, 0 };
        const void *type = NULL;
        hp_status s = get_ref(u, at, &bound, &type, NULL);
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
        if (e->superclass && !is_kind_of(type, e->superclass)) REFUSE(HP_ERR_MALFORMED, HP_REASON_METATYPE_OUT_OF_BOUND);
        if (u->building) memcpy(at, &type, 8);
        return put_witnesses(u, at ? at + 8 : NULL, e, type);
    }
    const hp_plan *plan = u->config.value_plans[number - 1];
    NEED(plan != NULL);
    if (e->container == HP_CONTAINER_ERROR) {
        // The Error conformance, looked up again; swift_allocError lays the box out.
        const void *conformance = hp_conformance(type, e->protocols[0]);
        if (!conformance) return HP_ERR_TYPE_MISMATCH;
        s = expect_build(u, (uint64_t)hp_error_value_offset(plan) + plan->size);
        if (s != HP_OK) return s;
        uint8_t *value = NULL;
        if (u->building) {
            void *buffer;
            hp_status s = reserve_box(u);
            if (s != HP_OK) return s;
            void *box = hp_alloc_error(type, conformance, &buffer);
            u->boxes[u->box_count++] = (struct hp_made_box){ box, type, true };
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
    if (plan->boxed_in_existential && (s = expect_build(u, (uint64_t)hp_box_value_offset(plan) + plan->size)) != HP_OK)
        return s;
    if (u->building) {
        if (plan->boxed_in_existential) {
            void *buffer;
            hp_status s = reserve_box(u);
            if (s != HP_OK) return s;
            void *box = hp_alloc_box(type, &buffer);
            u->boxes[u->box_count++] = (struct hp_made_box){ box, type, false };
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

/// StaticString's first word (`first`: the stream's first varint at `mark`), checked against
/// its count and flags, the raw bytes that follow (StaticString.swift): a Unicode scalar has
/// count 0 and flags 1 (3 if ASCII); a pointer has `count` bytes of one image's file-backed
/// data, valid UTF-8, and flags 0 (2 if those bytes are all ASCII).
static hp_status get_static_string(hp_unpacker *u, uint64_t first, const uint8_t *mark, uintptr_t *word_out) {
    if (first == 0) {
        uint64_t scalar;
        NEED(hp_get_varint(&u->cursor, u->end, &scalar) && scalar <= HP_MAX_UNICODE_SCALAR
             && (scalar < 0xD800 || scalar > 0xDFFF));
        NEED((size_t)(u->end - u->cursor) >= 9);
        uint64_t count;
        memcpy(&count, u->cursor, 8);
        NEED(count == 0 && u->cursor[8] == (scalar < 0x80 ? 3 : 1));
        *word_out = (uintptr_t)scalar;
        return HP_OK;
    }
    u->cursor = mark;
    // The count comes after the pointer in the stream; read it first to bound the pointer.
    const uint8_t *pointer = mark;
    uint64_t slot, offset;
    NEED(hp_get_varint(&pointer, u->end, &slot) && hp_get_varint(&pointer, u->end, &offset));
    NEED((size_t)(u->end - pointer) >= 9);
    uint64_t count;
    memcpy(&count, pointer, 8);
    uint8_t flags = pointer[8];
    NEED(flags == 0 || flags == 2);
    hp_status s = get_static_span(u, count ? count : 1, word_out);
    if (s != HP_OK) return s;
    if (count > HP_MAX_STATIC_STRING_BYTES - u->static_string_bytes) REFUSE(HP_ERR_LIMIT, HP_REASON_STATIC_STRING_LIMIT);
    u->static_string_bytes += count;
    const uint8_t *bytes = (const uint8_t *)*word_out;
    bool ascii = true;
    for (uint64_t k = 0; k < count && ascii; k++) ascii = bytes[k] < 0x80;
    NEED(ascii == (flags == 2) && (ascii || is_utf8(bytes, (size_t)count)));
    return HP_OK;
}

/// Whether the `width` bytes of an ORDERED op's two numbers are in order (first <= second).
static bool in_order(const hp_op *op, const uint8_t *bytes) {
    uint32_t width = op->data.ordered.width;
    if (op->data.ordered.number == HP_NUMBER_FLOAT) {
        if (width == 4) {
            float a, b;
            memcpy(&a, bytes, 4); memcpy(&b, bytes + 4, 4);
            return a <= b;
        }
        double a, b;
        memcpy(&a, bytes, 8); memcpy(&b, bytes + 8, 8);
        return a <= b;
    }
    uint64_t a = 0, b = 0;
    memcpy(&a, bytes, width);   // little-endian: the low bytes
    memcpy(&b, bytes + width, width);
    if (op->data.ordered.number == HP_NUMBER_STRING_INDEX) return a >> 14 <= b >> 14;
    if (op->data.ordered.number == HP_NUMBER_SIGNED) {
        // Sign-extend from `width` bytes, then compare as signed.
        unsigned shift = 64 - 8 * width;
        return (int64_t)(a << shift) >> shift <= (int64_t)(b << shift) >> shift;
    }
    return a <= b;
}

/// Whether a TAG op's bytes are a value of its enum as the writer sends one: the getEnumTag
/// witness answers one of its cases, and the bytes are what the witnesses make of that case
/// (hp_enum_canonical: its payload, its tag bits, zeros elsewhere).
static bool is_case(const hp_plan *e, const uint8_t *bytes) {
    _Alignas(16) uint8_t canonical[HP_MAX_TAG_SIZE];
    return hp_enum_canonical(e, bytes, canonical) < e->case_count && memcmp(canonical, bytes, e->size) == 0;
}

/// Checks the plain bytes of a verbatim op (BELOW, TAG, ORDERED, MASKED, SCALAR) at the cursor,
/// before the walk copies them.
HP_OUTLINE static hp_status check_verbatim(hp_unpacker *u, const hp_op *op) {
    const uint8_t *bytes = u->cursor;
    switch ((hp_op_kind)op->kind) {
    case HP_OP_BELOW: {
        uint32_t value = 0;
        memcpy(&value, bytes, op->data.below.width);
        if (value >= op->data.below.limit) REFUSE(HP_ERR_MALFORMED, HP_REASON_NOT_A_CASE);
        return HP_OK;
    }
    case HP_OP_TAG:
        if (!is_case(op->sub, bytes)) REFUSE(HP_ERR_MALFORMED, HP_REASON_NOT_A_CASE);
        return HP_OK;
    case HP_OP_ORDERED:
        if (!in_order(op, bytes)) REFUSE(HP_ERR_MALFORMED, HP_REASON_REVERSED_BOUNDS);
        return HP_OK;
    case HP_OP_SCALAR: {
        uint32_t scalar;
        memcpy(&scalar, bytes, 4);
        if (scalar > HP_MAX_UNICODE_SCALAR || (scalar >= 0xD800 && scalar <= 0xDFFF))
            REFUSE(HP_ERR_MALFORMED, HP_REASON_NOT_A_CASE);
        return HP_OK;
    }
    default:
        return HP_OK;
    }
}

/// Plain bytes between ops: most often one word (an Int field before a reference) or none (two
/// references side by side), which a call to memcpy would cost more than it copies.
static inline void copy_verbatim(uint8_t *to, const uint8_t *from, size_t n) {
    if (HP_LIKELY(n == 8)) {
        uint64_t word;
        memcpy(&word, from, 8);
        memcpy(to, &word, 8);
    } else if (n) {
        memcpy(to, from, n);
    }
}

HP_INLINE static hp_status get_plain_ref(hp_unpacker *u, uint8_t *at, const hp_bound *_Nullable bound);

/// A function value: its code, then its context.
HP_OUTLINE static hp_status get_function(hp_unpacker *u, const hp_op *op, uint8_t *at) {
    uintptr_t code = 0;
    hp_status s = get_code(u, op, &code);
    u->last_code = code;
    if (s != HP_OK) return s;
    // A function value always has code; nil is an Optional's tag, not a null here.
    if (code == 0) return fail_because(u, HP_ERR_MALFORMED, HP_REASON_NULL_IN_NON_OPTIONAL);
    if (u->building) memcpy(at, &code, 8);
    // A context is most often a new plain object (W5's capture an Int and a String), which the
    // short path makes; nothing watching a walk that builds sees the difference.
    if (at && !u->config.callbacks.observe) return get_plain_ref(u, at + 8, &any_context);
    return get_ref(u, at ? at + 8 : NULL, &any_context, NULL, NULL);
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
            if (plan->ops[i].kind == HP_OP_REPLACE) u->replace_depth--;
            i++;
            continue;
        }
        const hp_op *op = &plan->ops[i];
        if (HP_UNLIKELY(u->config.callbacks.observe != NULL)) u->current = (hp_step){ plan, i };
        if (op->offset > position) {
            size_t n = op->offset - position;
            if ((size_t)(u->end - u->cursor) < n) return fail_at(u, HP_ERR_MALFORMED, plan, i);
            if (u->building) copy_verbatim(base + position, u->cursor, n);
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
            s = get_ref(u, at, op->data.bound, NULL, op->sub);
            break;
        case HP_OP_FUNC:
            s = get_function(u, op, at);
            next = op->offset + HP_OP_WIDTH_FUNC;
            break;
        case HP_OP_STATIC:
            // A thin or C function: never null outside an Optional (whose tag says nil).
            s = get_code(u, op, &word);
            if (s == HP_OK && word == 0) s = fail_because(u, HP_ERR_MALFORMED, HP_REASON_NULL_IN_NON_OPTIONAL);
            if (s == HP_OK && u->building) memcpy(at, &word, 8);
            break;
        case HP_OP_RAW_POINTER:
            s = get_static(u, &word);
            if (s == HP_OK && u->building) memcpy(at, &word, 8);
            break;
        case HP_OP_WEAK:
        case HP_OP_UNOWNED:
        case HP_OP_UNOWNED_UNSAFE: {
            // Each slot has its varint in the trailer, after everything still to read: a packet
            // cannot announce more slots than it has bytes left.
            if (u->link_count >= (uint64_t)(u->end - u->cursor)) return fail_at(u, HP_ERR_MALFORMED, plan, i);
            if (u->link_count == u->link_capacity && (s = grow_links(u)) != HP_OK) return fail_at(u, s, plan, i);
            // A zeroed slot is a valid nil reference until the trailer is applied.
            if (u->building) memset(at, 0, 8);
            notify(u, HP_EVENT_LINK_SLOT, u->link_count, op->kind);
            if (op->kind == HP_OP_WEAK && (s = expect_build(u, HP_SIDE_TABLE_BYTES)) != HP_OK) return fail_at(u, s, plan, i);
            u->slot_links[u->link_count++] = (struct hp_slot_link){ at, op, 0 };
            break;
        }
        case HP_OP_STATIC_STRING: {
            // StaticString's count and flags are the raw bytes right after its first word
            // (hp_plan_seal keeps them there); they must describe that word.
            const uint8_t *mark = u->cursor;
            uint64_t first;
            if (!hp_get_varint(&u->cursor, u->end, &first)) return fail_at(u, HP_ERR_MALFORMED, plan, i);
            s = get_static_string(u, first, mark, &word);
            if (s != HP_OK) return fail_at(u, s, plan, i);
            if (u->building) memcpy(at, &word, 8);
            break;
        }
        case HP_OP_INTERIOR: {
            // The owner is the REF op at offset + data.owner_distance of this value, read just before (plans
            // put it first): the last reference read, which the plan builder guarantees.
            uint64_t code;
            if (!hp_get_varint(&u->cursor, u->end, &code)) return fail_at(u, HP_ERR_MALFORMED, plan, i);
            if (code == 0 || u->last_ref == 0 || code - 1 > object_extent(u, u->last_ref)
                || (op->sub && !slice_fits(u, code, op->sub)))
                return fail_at(u, fail_because(u, HP_ERR_MALFORMED, HP_REASON_BAD_SLICE), plan, i);
            word = 0;
            if (u->building && code != 0) {
                uintptr_t owner;
                memcpy(&owner, at + op->data.owner_distance, 8);
                word = owner + (uintptr_t)(code - 1);
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
            // A metatype is never null (Optional's nil is its tag), and holds what its slot's type allows.
            if (word == 0) return fail_at(u, fail_because(u, HP_ERR_MALFORMED, HP_REASON_NULL_IN_NON_OPTIONAL), plan, i);
            if (!fits((const void *)word, op->data.bound))
                return fail_at(u, fail_because(u, HP_ERR_MALFORMED, HP_REASON_METATYPE_OUT_OF_BOUND), plan, i);
            if (u->building) memcpy(at, &word, 8);
            break;
        }
        case HP_OP_STRING: {
            const uint8_t *utf8;
            size_t length;
            s = get_string(u, at, &utf8, &length);
            next = op->offset + HP_OP_WIDTH_STRING;
            break;
        }
        case HP_OP_SUBSTRING:
            s = get_substring(u, at);
            next = op->offset + HP_OP_WIDTH_SUBSTRING;
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
        case HP_OP_BELOW:
        case HP_OP_TAG:
        case HP_OP_ORDERED:
        case HP_OP_MASKED:
        case HP_OP_SCALAR: {
            uint32_t width = hp_op_width(op);
            next = op->offset + width;
            if ((size_t)(u->end - u->cursor) < width) return fail_at(u, HP_ERR_MALFORMED, plan, i);
            if ((s = check_verbatim(u, op)) != HP_OK) return fail_at(u, s, plan, i);
            if (u->building) {
                memcpy(at, u->cursor, width);
                if (op->kind == HP_OP_MASKED) {
                    uint64_t word;
                    memcpy(&word, at, 8);
                    word &= op->data.mask;
                    memcpy(at, &word, 8);
                } else if (op->kind == HP_OP_ORDERED && op->data.ordered.number == HP_NUMBER_STRING_INDEX) {
                    uint64_t words[2];
                    memcpy(words, at, 16);
                    words[0] &= HP_STRING_INDEX_KEPT;
                    words[1] &= HP_STRING_INDEX_KEPT;
                    memcpy(at, words, 16);
                }
            }
            u->cursor += width;
            break;
        }
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
        if (op->kind == HP_OP_REPLACE) u->replace_depth++;
        plan = child;
        base = child_base;
        i = 0;
        position = 0;
    }
}

/// Type `type`'s entry in plain_types, checked as get_ref checks a new object's type (but its
/// bound, which differs by slot), or NULL when its objects are not plain or it is not resolved
/// yet: those go to get_ref, which resolves it.
HP_OUTLINE static struct hp_plain_type *plain_type(hp_unpacker *u, uint8_t type) {
    if (type >= u->config.type_count) return NULL;
    const hp_plan *plan = u->config.type_plans[type];
    const void *metadata = u->config.types[type];
    const uint32_t need = HP_TYPE_METADATA | HP_TYPE_OBJECT_PLAN;
    if (!plan || !metadata || plan->kind != HP_PLAN_OBJECT || !plan->plain_fields
        || (u->config.type_ready && (u->config.type_ready[type] & need) != need))
        return NULL;
    if (u->merge_pending && !plan->linear) merge_fastbins(u);
    bool direct = u->allocates_directly && plan->align_mask <= HP_MALLOC_ALIGN_MASK && !plan->prefix_count;
    u->plain_types[type] = (struct hp_plain_type){ plan, metadata, NULL, plan->size, direct };
    return &u->plain_types[type];
}

/// Whether `type`'s objects fit `bound`, remembered for the slots with the same bound.
HP_INLINE static bool plain_type_fits(struct hp_plain_type *type, const hp_bound *_Nullable bound) {
    if (bound == type->fitting) return true;
    if (!fits(type->metadata, bound)) return false;
    type->fitting = bound;
    return true;
}

/// add_object for a plain plan (no tail, no replacement) in a walk that builds.
HP_INLINE static hp_status add_plain_object(hp_unpacker *u, const struct hp_plain_type *type, void **object_out) {
    const hp_plan *plan = type->plan;
    uint32_t n = u->object_count;
    if (n >= u->config.max_objects) return fail_because(u, HP_ERR_LIMIT, HP_REASON_OBJECT_LIMIT);
    // A building walk stops when reserve fails, so build_bytes is at most reserved_bytes
    // (at most PTRDIFF_MAX) here, and one object's size cannot overflow it.
    hp_status s;
    u->build_bytes += type->size;
    if (HP_UNLIKELY(u->build_bytes > u->reserved_bytes) && (s = reserve(u)) != HP_OK) return s;
    if (HP_UNLIKELY(n == u->object_capacity) && (s = grow_objects(u, n + 1)) != HP_OK) return s;
    void *object;
    if (HP_LIKELY(type->direct)) {
        object = hp_alloc_object(true, type->metadata, type->size, HP_MALLOC_ALIGN_MASK);
    } else {
        object = hp_alloc_object(u->allocates_directly, type->metadata, plan->size, plan->align_mask);
        if (plan->prefix_count)
            memcpy((uint8_t *)object + plan->prefix_offset, plan->prefix, (size_t)plan->prefix_count * 8);
    }
    u->objects[n] = object;
    u->object_plans[n] = plan;
    if (u->object_metadata) u->object_metadata[n] = type->metadata;
    u->object_count = n + 1;
    *object_out = object;
    return HP_OK;
}

/// The most frequent forms of a reference in a slot with no slot plan, in an object being built:
/// nil, a new object of a class with a plain plan, its type number in one byte, and an object
/// met again. Reads one at `*cursor` and returns true, with the status in `*status` and the
/// named object's index + 1 (0: nil) in `*named`; or returns false, having read nothing, and
/// get_ref reads the reference from the same byte. Each check is get_ref's, so what passes one
/// passes the other. Inlined into both its callers, so that get_plain_objects keeps its cursor
/// in a register.
HP_INLINE static bool get_common_ref(hp_unpacker *u, const uint8_t **cursor, const uint8_t *end, uint8_t *at,
                                     const hp_bound *_Nullable bound, uint64_t *named, hp_status *status) {
    const uint8_t *p = *cursor;
    if (HP_LIKELY(end - p >= 2 && p[0] == HP_REF_NEW && p[1] < 0x80)) {
        struct hp_plain_type *type = &u->plain_types[p[1]];
        if (HP_UNLIKELY(!type->plan)) type = plain_type(u, p[1]);
        if (type && plain_type_fits(type, bound)) {
            *cursor = p + 2;
            void *object;
            if (HP_UNLIKELY((*status = add_plain_object(u, type, &object)) != HP_OK)) return true;
            *named = u->object_count;
            memcpy(at, &object, 8);
            return true;
        }
    } else if (end - p >= 1 && p[0] == HP_REF_NULL && bound && bound->nullable) {
        *cursor = p + 1;
        *named = 0;
        memset(at, 0, 8);
        *status = HP_OK;
        return true;
    } else if (end - p >= 1 && p[0] >= HP_REF_BACK && u->object_metadata && u->extra_refs) {
        // An object met again, once the walk keeps metadata and retain counts.
        uint64_t code;
        const uint8_t *after = p;
        if (hp_get_varint(&after, end, &code) && code - HP_REF_BACK < u->object_count) {
            uint64_t index = code - HP_REF_BACK;
            if (fits(u->object_metadata[index], bound) && u->extra_refs[index] < UINT32_MAX) {
                *cursor = after;
                u->extra_refs[index]++;
                *named = index + 1;
                memcpy(at, &u->objects[index], 8);
                *status = HP_OK;
                return true;
            }
        }
    }
    return false;
}

/// get_ref for a slot with no slot plan in an object being built: get_common_ref's forms here,
/// the rest by get_ref.
HP_INLINE static hp_status get_plain_ref(hp_unpacker *u, uint8_t *at, const hp_bound *_Nullable bound) {
    hp_status s;
    if (get_common_ref(u, &u->cursor, u->end, at, bound, &u->last_ref, &s)) return s;
    return get_ref(u, at, bound, NULL, NULL);
}

/// One plain object's body, for get_plain_objects: `strings` false for a plan of references only
/// (plain_refs), so that a list's or a tree's nodes do not test each op for a String. On failure,
/// `*op_out` is the op that failed (UINT32_MAX: the bytes after the last).
HP_INLINE static hp_status get_plain_body(hp_unpacker *u, const uint8_t **cursor_io, const uint8_t *end, uint8_t *object,
                                          const hp_plan *plan, uint32_t k, uint32_t *op_out, bool strings) {
    const uint8_t *cursor = *cursor_io;
    hp_status s = HP_OK;
    uint32_t position = plan->body_offset;
    uint32_t i;
    for (i = 0; i < plan->op_count; i++) {
        const hp_op *op = &plan->ops[i];
        size_t n = op->offset - position;
        if (HP_UNLIKELY((size_t)(end - cursor) < n)) { s = HP_ERR_MALFORMED; goto failed; }
        copy_verbatim(object + position, cursor, n);
        cursor += n;
        uint8_t *at = object + op->offset;
        if (strings && op->kind == HP_OP_STRING) {
            position = op->offset + HP_OP_WIDTH_STRING;
            const uint8_t *utf8;
            size_t length;
            u->cursor = cursor;
            u->site.object = k;
            s = get_string(u, at, &utf8, &length);
            cursor = u->cursor;
            if (s != HP_OK) goto failed;
            continue;
        }
        position = op->offset + HP_OP_WIDTH_REF;
        const hp_bound *bound = op->data.bound;
        uint64_t named;
        if (get_common_ref(u, &cursor, end, at, bound, &named, &s)) {
            if (HP_UNLIKELY(s != HP_OK)) goto failed;
            continue;
        }
        u->cursor = cursor;
        u->site.object = k;
        s = get_ref(u, at, bound, NULL, NULL);
        cursor = u->cursor;
        if (s != HP_OK) goto failed;
    }
    if (plan->size > position) {
        size_t n = plan->size - position;
        if (HP_UNLIKELY((size_t)(end - cursor) < n)) { s = HP_ERR_MALFORMED; i = UINT32_MAX; goto failed; }
        copy_verbatim(object + position, cursor, n);
        cursor += n;
    }
    *cursor_io = cursor;
    return HP_OK;
failed:
    *cursor_io = cursor;
    *op_out = i;
    return s;
}

/// Objects from `*index` on while their plans are plain_fields, in a walk that builds and that
/// nothing watches, read without get_value's general walk (whose entry and exit cost more than
/// such a body: W2, a node of a list, took 270 instructions in get_value and get_ref) and
/// without get_object's events. The cursor stays in a register, which writes into the objects
/// would otherwise make the compiler reload for every field. References take get_common_ref's
/// forms here and the rest from get_ref; Strings are get_string's, as in get_value. No plain
/// plan has an op that reads `last_ref` (INTERIOR, an ArraySlice), so it is not kept here.
static hp_status get_plain_objects(hp_unpacker *u, uint32_t *index) {
    const uint8_t *cursor = u->cursor;
    const uint8_t *const end = u->end;
    hp_status s = HP_OK;
    uint32_t k = *index;
    const hp_plan *plan = NULL;
    uint32_t i = 0;
    for (; k < u->object_count; k++) {
        plan = u->object_plans[k];
        if (!plan->plain_fields) break;
        uint8_t *object = u->objects[k];
        s = plan->plain_refs ? get_plain_body(u, &cursor, end, object, plan, k, &i, false)
                             : get_plain_body(u, &cursor, end, object, plan, k, &i, true);
        if (HP_UNLIKELY(s != HP_OK)) goto failed;
    }
    u->cursor = cursor;
    *index = k;
    return HP_OK;
failed:
    u->cursor = cursor;
    u->site.object = k;
    *index = k;
    return fail_at(u, s, plan, i);
}

/// The elements of a [String]: get_string for each, but without its call for the two most
/// frequent forms in a walk that builds, a small string and 16 to 127 bytes of valid UTF-8,
/// whose checks are get_string's. The cursor stays in a register (writes into the strings
/// would otherwise make the compiler reload it), and a long string is laid out inline (W6:
/// the calls to get_string and to the shim's string maker were half of its 450 instructions).
static hp_status get_string_elements(hp_unpacker *u, uint8_t *_Nullable tail, uint64_t count, const hp_plan *element) {
    const void *storage = tail ? u->config.string_storage : NULL;
    const uint8_t *cursor = u->cursor;
    const uint8_t *const end = u->end;
    // The elements this loop makes are one run in u->strings (see there), whose count is
    // written when the loop leaves; get_string's own entry for an element it makes is taken
    // back. Nothing else records strings meanwhile, so the run is the list's last two entries.
    uint32_t run = UINT32_MAX;
#define HP_END_RUN(made) do {                                                           \
        if (run == UINT32_MAX) break;                                                   \
        if ((made) == 0) u->string_count -= 2;                                          \
        else u->strings[run + 1] = (void *)(uintptr_t)(made);                           \
    } while (0)
    if (storage && count) {
        if (u->string_capacity - u->string_count < 2 && grow_strings(u, 2) != HP_OK) {
            u->site.element = 0;
            return fail_at(u, HP_ERR_NO_MEMORY, element, 0);
        }
        run = u->string_count;
        u->strings[run] = (void *)((uintptr_t)tail + 1);
        u->strings[run + 1] = NULL;
        u->string_count += 2;
    }
    for (uint64_t i = 0; i < count; i++) {
        uint8_t *at = tail ? tail + i * HP_OP_WIDTH_STRING : NULL;
        if (at && end - cursor > 16 && cursor[0] == HP_STRING_INLINE && is_small_string(cursor + 1)) {
            memcpy(at, cursor + 1, 16);
            cursor += 17;
            continue;
        }
        size_t length = end - cursor >= 2 ? cursor[1] : 0;
        if (storage && length > 15 && length < 0x80 && cursor[0] == HP_STRING_UTF8
            && (size_t)(end - cursor - 2) >= length) {
            const uint8_t *utf8 = cursor + 2;
            // As in add_plain_object, build_bytes is at most reserved_bytes here and cannot overflow.
            u->build_bytes += length + HP_NATIVE_STRING_OVERHEAD;
            if (HP_UNLIKELY(u->build_bytes > u->reserved_bytes)) {
                u->cursor = utf8;
                u->site.element = i;
                hp_status s = reserve(u);
                if (s != HP_OK) {
                    HP_END_RUN(i);
                    return fail_at(u, s, element, 0);
                }
            }
            if (HP_LIKELY(make_native_text(u->allocates_directly, storage, utf8, length, at))) {
                cursor = utf8 + length;
                continue;
            }
            // Invalid UTF-8: get_string reads it again, and has the standard library repair it.
            u->build_bytes -= length + HP_NATIVE_STRING_OVERHEAD;
        }
        u->cursor = cursor;
        u->site.element = i;
        const uint8_t *utf8;
        uint32_t entries = u->string_count;
        hp_status s = get_string(u, at, &utf8, &length);
        if (s != HP_OK) {
            HP_END_RUN(i);
            return fail_at(u, s, element, 0);
        }
        // Its string is in the run.
        if (run != UINT32_MAX && u->string_count > entries) u->string_count = entries;
        cursor = u->cursor;
    }
    HP_END_RUN(count);
#undef HP_END_RUN
    u->cursor = cursor;
    u->site.element = UINT64_MAX;
    return HP_OK;
}

/// An object's fields, then its tail elements if it has any.
static hp_status get_body(hp_unpacker *u, uint32_t index, uint8_t *object, const hp_plan *plan) {
    hp_status s = get_value(u, object, plan, plan->body_offset);
    if (s != HP_OK || !plan->has_tail) return s;
    uint64_t count = count_of(u, index);
    const hp_plan *element = plan->element;
    uint8_t *tail = object ? object + plan->tail_offset : NULL;
    // Elements with tail padding go one by one, so that padding (uninitialized memory in the
    // sender) never travels; get_ref bounded count * stride already.
    if (element->op_count == 0 && element->size == element->stride) {
        size_t n = (size_t)count * element->stride;
        if ((size_t)(u->end - u->cursor) < n) return fail_at(u, HP_ERR_MALFORMED, plan, UINT32_MAX);
        if (u->building) memcpy(tail, u->cursor, n);
        u->cursor += n;
        return HP_OK;
    }
    // An element that is one String, reference or function is read without a walk of its own
    // (whose entry and exit cost more than the element); inspection, which watches each op, walks.
    const hp_op *only = element->op_count == 1 && element->ops[0].offset == 0 && !u->config.callbacks.observe
                            ? &element->ops[0] : NULL;
    if (only && only->kind == HP_OP_STRING && element->stride == HP_OP_WIDTH_STRING) {
        s = get_string_elements(u, tail, count, element);
        if (s != HP_OK) return s;
    } else if (only && only->kind == HP_OP_REF && element->stride == HP_OP_WIDTH_REF) {
        for (uint64_t i = 0; i < count; i++) {
            u->site.element = i;
            s = tail && !only->sub ? get_plain_ref(u, tail + i * HP_OP_WIDTH_REF, only->data.bound)
                                   : get_ref(u, tail ? tail + i * HP_OP_WIDTH_REF : NULL, only->data.bound, NULL, only->sub);
            if (s != HP_OK) return fail_at(u, s, element, 0);
        }
    } else if (only && only->kind == HP_OP_FUNC && element->stride == HP_OP_WIDTH_FUNC) {
        for (uint64_t i = 0; i < count; i++) {
            u->site.element = i;
            s = get_function(u, only, tail ? tail + i * HP_OP_WIDTH_FUNC : NULL);
            if (s != HP_OK) return fail_at(u, s, element, 0);
        }
    } else {
        for (uint64_t i = 0; i < count; i++) {
            u->site.element = i;
            s = get_value(u, tail ? tail + i * element->stride : NULL, element, 0);
            if (s != HP_OK) return s;
        }
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

/// The trailer: a target (object index + 1, object count + 1 + name number, or 0) for each weak
/// or unowned slot met. A target must be of a class the slot can hold, and an unowned slot must
/// name one; the targets are stored in each slot by apply_links.
static hp_status get_links(hp_unpacker *u) {
    notify(u, HP_EVENT_TRAILER, 0, 0);
    uint64_t count;
    NEED(hp_get_varint(&u->cursor, u->end, &count));
    NEED(count == u->link_count);
    for (uint32_t i = 0; i < u->link_count; i++) {
        struct hp_slot_link *link = &u->slot_links[i];
        const hp_bound *bound = link->op->data.bound;
        uint64_t target;
        NEED(hp_get_varint(&u->cursor, u->end, &target));
        NEED(target <= (uint64_t)u->object_count + u->config.named_object_count);
        if (target == 0) {
            // Weak slots are Optional by definition.
            if (link->op->kind != HP_OP_WEAK && !(bound && bound->nullable))
                REFUSE(HP_ERR_MALFORMED, HP_REASON_NULL_IN_NON_OPTIONAL);
        } else if (target > u->object_count) {
            const void *named = u->config.named_objects[target - u->object_count - 1];
            NEED(named != NULL || u->config.callbacks.observe);
            if (named && !fits(*(const void *const *)named, bound)) REFUSE(HP_ERR_TYPE_MISMATCH, HP_REASON_LINK_TARGET_TYPE);
        } else if (!fits(metadata_of(u, target - 1), bound)) {
            REFUSE(HP_ERR_TYPE_MISMATCH, HP_REASON_LINK_TARGET_TYPE);
        }
        link->target = (uint32_t)target;
        notify(u, HP_EVENT_LINK_TARGET, i, target);
    }
    return HP_OK;
}

static void apply_links(hp_unpacker *u) {
    for (uint32_t i = 0; i < u->link_count; i++) {
        const struct hp_slot_link *link = &u->slot_links[i];
        void *object = NULL;
        if (link->target > u->object_count) object = u->config.named_objects[link->target - u->object_count - 1];
        else if (link->target) object = u->objects[link->target - 1];
        if (link->op->kind == HP_OP_WEAK) {
            hp_weak_init(link->slot, object);
        } else {
            if (link->op->kind == HP_OP_UNOWNED) hp_unowned_retain(object);
            memcpy(link->slot, &object, 8);
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
    u->replace_depth = 0;
    u->empty_elements = 0;
    u->static_string_bytes = 0;
    u->build_bytes = 0;
    u->edge_count = 0;
    u->site = (hp_site){ UINT32_MAX, NULL, UINT32_MAX, UINT64_MAX, 0 };
    memset(u->plain_types, 0, sizeof u->plain_types);
    hp_status s = get_value(u, destination, root, 0);
    // Plain objects (most of a list, tree or graph) skip get_object's events and get_body's
    // general walk; nothing watches a walk that builds without an observer.
    bool plain = u->building && !u->config.callbacks.observe;
    for (uint32_t k = 0; s == HP_OK && k < u->object_count;) {
        if (plain && u->object_plans[k]->plain_fields) s = get_plain_objects(u, &k);
        else s = get_object(u, k++);
    }
    if (s == HP_OK) s = get_links(u);
    if (s == HP_OK && u->cursor != u->end) s = HP_ERR_MALFORMED;
    return s;
}

static void discard_fixups(hp_unpacker *u) {
    for (uint32_t i = 0; i < u->fixup_count; i++) free(u->fixups[i].replacement);
    u->fixup_count = 0;
}

/// After a failed walk: frees what it made without running a deinit. Strings first (some
/// live in replacements and boxes), then the replacements, the boxes, the objects.
static void discard_built(hp_unpacker *u) {
    destroy_strings(u, 0);
    discard_fixups(u);
    for (uint32_t i = u->box_count; i-- > 0;) {
        if (u->boxes[i].error) hp_dealloc_error(u->boxes[i].box, u->boxes[i].type);
        else hp_dealloc_box(u->boxes[i].box);
    }
    u->box_count = 0;
    for (uint32_t k = 0; k < u->object_count; k++) {
        const hp_plan *plan = u->object_plans[k];
        if (plan->replacement) {
            // Already a complete object, made by the user's rebuild: release it like any other.
            if (u->objects[k]) hp_release(u->objects[k]);
            continue;
        }
        if (u->objects[k])
            hp_dealloc_uninitialized_object(u->objects[k], (size_t)object_size(plan, count_of(u, k)), plan->align_mask);
    }
    u->object_count = 0;
}

/// Objects that stay alive whatever the rebuilds after the walk do, which may drop what a
/// replacement holds (a Dictionary keeps one value per key, a user's `unpacked(from:)` what it
/// likes): those strongly reachable from the root value through references no replacement
/// holds. `held[k]` says it of object k. The edges come from a tracing pass.
static hp_status find_held(hp_unpacker *u, bool *held) {
    uint32_t n = u->object_count;
    // Edges by holder (0: the root), as offsets into one array: a breadth-first walk from the root.
    uint64_t *first = calloc((size_t)n + 2, sizeof(uint64_t));
    uint32_t *targets = malloc((size_t)(u->edge_count / 2 + 1) * sizeof(uint32_t));
    uint32_t *queue = malloc((size_t)n * sizeof(uint32_t) + 1);
    if (!first || !targets || !queue) {
        free(first); free(targets); free(queue);
        return fail_because(u, HP_ERR_NO_MEMORY, HP_REASON_NO_MEMORY);
    }
    for (uint64_t e = 0; e < u->edge_count; e += 2) first[u->edges[e] + 1]++;
    for (uint32_t h = 0; h <= n; h++) first[h + 1] += first[h];
    uint64_t *fill = calloc((size_t)n + 1, sizeof(uint64_t));
    if (!fill) {
        free(first); free(targets); free(queue);
        return fail_because(u, HP_ERR_NO_MEMORY, HP_REASON_NO_MEMORY);
    }
    for (uint64_t e = 0; e < u->edge_count; e += 2) {
        uint32_t holder = u->edges[e];
        targets[first[holder] + fill[holder]++] = u->edges[e + 1];
    }
    free(fill);
    uint32_t head = 0, tail = 0;
    for (uint64_t e = first[0]; e < first[1]; e++)
        if (!held[targets[e]]) { held[targets[e]] = true; queue[tail++] = targets[e]; }
    while (head < tail) {
        uint32_t k = queue[head++];
        for (uint64_t e = first[k + 1]; e < first[k + 2]; e++)
            if (!held[targets[e]]) { held[targets[e]] = true; queue[tail++] = targets[e]; }
    }
    free(first); free(targets); free(queue);
    return HP_OK;
}

/// Hands the objects and plans lists on to the kept set (or frees them).
static void give_object_lists(hp_unpacker *u) {
    size_t bytes = (size_t)u->object_capacity * sizeof(void *);
    hp_kept_give(u->objects, bytes);
    hp_kept_give((void *)u->object_plans, bytes);
    u->objects = NULL;
    u->object_plans = NULL;
    u->object_capacity = 0;
}

/// A walk expected to build this many objects or more first makes glibc merge its fastbins.
#define HP_MERGE_OBJECTS ((uint64_t)1 << 14)
/// A request this large merges them: it is past the per-thread cache (1032 bytes at most) and
/// in glibc's large bins (1 KiB and more).
#define HP_MERGE_BLOCK_BYTES 4096

/// Once per unpacker: the body, and where each pass starts.
static void begin(hp_unpacker *u, const uint8_t *body, size_t length) {
    // A spare's lists come without the side lists of a walk that builds nothing, which are
    // sized as the objects list is: such a walk (inspection, tracing) starts them all afresh.
    if (!u->building) give_object_lists(u);
    u->start = u->cursor = body;
    u->end = body + length;
    // Grown one doubling at a time, the per-object lists of a million objects are copied about
    // 70 MB over, and each copy lands on fresh pages. The header's count is the packet's word,
    // so it only sizes them as far as the body could hold that many objects (a new reference
    // takes two bytes at least) and the limit allows; if that much is not there, they grow.
    uint64_t expected = u->config.expected_objects;
    if (expected > length / 2) expected = length / 2;
    if (expected > u->config.max_objects) expected = u->config.max_objects;
    if (expected > u->object_capacity && expected <= UINT32_MAX) (void)grow_objects(u, (uint32_t)expected);
    u->merge_pending = u->building && expected >= HP_MERGE_OBJECTS;
}

/// The fastbins hold what the program freed last, often the previous result, in the reverse of
/// the order of its frees. A small walk builds fastest from them, and so does a list: freed
/// from its head, each node after the rest of the list, it comes back head first, in the order
/// the reader makes it again (W2 unpacked in a loop: 13.6-14.7 ms at best, 20.2-21.7 merged).
/// A large walk of any other shape built from them comes out scattered over the heap when its
/// objects were freed in another order than the walk makes them (a tree: freed depth-first,
/// made breadth-first), and more so each time: W3 unpacked in a loop went from 31 to 175-225 ms
/// per unpack. Merged, they become the free space the walk's objects are cut from in order. So
/// a large walk merges them when it first meets an object that is not a list's node (`linear`).
/// The block is held until the walk ends: freed at once, it merged with that space and glibc
/// trimmed it back to the kernel.
HP_OUTLINE static void merge_fastbins(hp_unpacker *u) {
    u->merge_pending = false;
    u->merge_block = malloc(HP_MERGE_BLOCK_BYTES);
}

/// An unowned reference keeps no strong count: if a rebuild dropped its target, the slot would
/// dangle (unowned(unsafe)) or trap when read (unowned). So each unowned target in the packet must
/// be held (see find_held). Packets whose unowned slots all name named objects, or none, skip
/// the tracing pass this takes. The pass reads the body again with a reader of its own, which
/// builds nothing: `u`'s objects, strings and slots stay as its walk left them.
static hp_status check_unowned_targets(hp_unpacker *u, const hp_plan *root) {
    // Inspection builds nothing that could dangle (and its observer must see the body once).
    if (u->config.callbacks.observe) return HP_OK;
    bool needed = false;
    for (uint32_t i = 0; i < u->link_count && !needed; i++) {
        const struct hp_slot_link *link = &u->slot_links[i];
        needed = link->op->kind != HP_OP_WEAK && link->target != 0 && link->target <= u->object_count;
    }
    if (!needed) return HP_OK;
    hp_unpacker *tracer = hp_unpacker_create(&u->config);
    if (!tracer) return fail_because(u, HP_ERR_NO_MEMORY, HP_REASON_NO_MEMORY);
    // Building nothing, it counts no references to named objects either.
    begin(tracer, u->start, (size_t)(u->end - u->start));
    tracer->tracing = true;
    hp_status s = run_pass(tracer, root, NULL, tracer->start);
    // The same bytes passed the walk that built them: only memory can run out here.
    if (s == HP_OK && tracer->object_count != u->object_count) s = HP_ERR_INTERNAL;
    bool *held = s == HP_OK ? calloc((size_t)u->object_count + 1, sizeof(bool)) : NULL;
    if (s == HP_OK && !held) s = HP_ERR_NO_MEMORY;
    if (s == HP_OK) s = find_held(tracer, held);
    for (uint32_t i = 0; s == HP_OK && i < u->link_count; i++) {
        const struct hp_slot_link *link = &u->slot_links[i];
        if (link->op->kind != HP_OP_WEAK && link->target != 0 && link->target <= u->object_count && !held[link->target - 1])
            s = fail_because(u, HP_ERR_MALFORMED, HP_REASON_LINK_TARGET_NOT_HELD);
    }
    free(held);
    if (s == HP_ERR_NO_MEMORY) fail_because(u, s, HP_REASON_NO_MEMORY);
    else if (s == HP_ERR_INTERNAL) fail_because(u, s, HP_REASON_BAD_PLAN);
    hp_unpacker_destroy(tracer);
    return s;
}

/// After the walk: the body must have made exactly the objects the header announced, and
/// every unowned target must stay alive.
static hp_status finish_walk(hp_unpacker *u, const hp_plan *root) {
    if (u->object_count != u->config.expected_objects) return HP_ERR_MALFORMED;
    return check_unowned_targets(u, root);
}

/// Whether the kernel would map `bytes` now, as malloc asks it to for a block that large. Asked
/// through malloc, a probe from its heap merged the heap's free small blocks (the last value's
/// objects, just released) and, freed, handed them back to the kernel: each object the walk then
/// allocated faulted in a fresh page (W2, 20 unpacks in one process: 229,726 page faults and a
/// median of 55.5 ms per unpack through malloc, 46,569 and 32.5 ms through the kernel).
static bool can_map(size_t bytes) {
    void *probe = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (probe == MAP_FAILED) return false;
    munmap(probe, bytes);
    return true;
}

/// The runtime's allocator traps when memory runs out, and the walk allocates its objects,
/// strings, boxes, weak side tables and rebuilt Dictionary and Set storage there. Before it asks
/// for more than it made sure of, it asks for all it has asked for so far, and then some, at
/// once (can_map: a probe unmapped untouched, so no page is used): a packet the machine cannot hold
/// now is a `.limitExceeded` rather than an abort, and more than the machine's memory and swap
/// is refused outright. Doubling keeps the probes to a few per packet.
HP_OUTLINE static hp_status reserve(hp_unpacker *u) {
    uint64_t wanted = u->build_bytes;
    uint64_t doubled = u->reserved_bytes > UINT64_MAX / 2 ? UINT64_MAX : 2 * u->reserved_bytes;
    if (doubled > wanted) wanted = doubled;
    if (wanted <= HP_FIRST_RESERVE) {
        u->reserved_bytes = HP_FIRST_RESERVE;
        return HP_OK;
    }
    struct sysinfo machine;
    if (sysinfo(&machine) == 0 && machine.mem_unit) {
        uint64_t limit = ((uint64_t)machine.totalram + machine.totalswap) * machine.mem_unit;
        if (u->build_bytes > limit) return fail_because(u, HP_ERR_NO_MEMORY, HP_REASON_NO_MEMORY);
        if (wanted > limit) wanted = limit;
    }
    if (u->build_bytes > PTRDIFF_MAX) return fail_because(u, HP_ERR_NO_MEMORY, HP_REASON_NO_MEMORY);
    if (wanted > PTRDIFF_MAX) wanted = PTRDIFF_MAX;
    if (!can_map((size_t)wanted)) {
        // The doubling was greed: what is needed may still be there.
        wanted = u->build_bytes;
        if (!can_map((size_t)wanted)) return fail_because(u, HP_ERR_NO_MEMORY, HP_REASON_NO_MEMORY);
    }
    u->reserved_bytes = wanted;
    return HP_OK;
}

hp_status hp_unpack(hp_unpacker *u, const hp_plan *root, const uint8_t *body, size_t length, void *destination) {
    // The per-object lists an unpacker keeps depend on whether it builds.
    if (u->start) return fail_because(u, HP_ERR_INTERNAL, HP_REASON_BAD_PLAN);
    u->building = true;
    begin(u, body, length);
    if (u->config.named_object_count) {
        u->named_refs = calloc(u->config.named_object_count, sizeof(uint32_t));
        if (!u->named_refs) return HP_ERR_NO_MEMORY;
    }
    hp_status s = run_pass(u, root, destination, u->start);
    if (s == HP_OK) s = finish_walk(u, root);
    if (s != HP_OK) {
        discard_built(u);
        return s;
    }
    for (uint32_t k = 0; u->extra_refs && k < u->object_count; k++)
        if (u->extra_refs[k]) hp_retain_n(u->objects[k], u->extra_refs[k]);
    for (uint32_t k = 0; k < u->config.named_object_count; k++)
        if (u->named_refs[k]) hp_retain_n(u->config.named_objects[k], u->named_refs[k]);
    u->string_count = 0;
    u->box_count = 0;
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
    if (u->start) return fail_because(u, HP_ERR_INTERNAL, HP_REASON_BAD_PLAN);
    u->building = false;
    begin(u, body, length);
    hp_status s = run_pass(u, root, NULL, u->start);
    return s == HP_OK ? finish_walk(u, root) : s;
}

// MARK: - The thread's spare unpacker

/// Each thread keeps the unpacker of its last walk, with per-object lists too small for the kept
/// set: made afresh (6 KB, and 8 KB for each list), it was a request large enough to make glibc
/// merge its fastbins before every walk, which cost a small walk a third of its time (W2 at
/// 10^3 nodes: 30 against 19 µs). The spare is freed when its thread exits.
static pthread_key_t spare_key;
static bool spare_key_made;
static pthread_once_t spare_once = PTHREAD_ONCE_INIT;

static void free_unpacker(void *unpacker) {
    hp_unpacker *u = unpacker;
    free(u->objects);
    free(u->object_plans);
    free(u);
}

static void make_spare_key(void) { spare_key_made = pthread_key_create(&spare_key, free_unpacker) == 0; }

hp_unpacker *hp_unpacker_create(const hp_unpack_config *config) {
    (void)pthread_once(&spare_once, make_spare_key);
    hp_unpacker *u = spare_key_made ? pthread_getspecific(spare_key) : NULL;
    if (u) (void)pthread_setspecific(spare_key, NULL);
    else u = calloc(1, sizeof *u);
    if (!u) return NULL;
    u->config = *config;
    u->allocates_directly = hp_allocates_directly();
    return u;
}

size_t hp_unpacker_offset(const hp_unpacker *u) { return (size_t)(u->cursor - u->start); }

uint64_t hp_unpacker_build_bytes(const hp_unpacker *u) { return u->build_bytes; }

hp_site hp_unpacker_site(const hp_unpacker *u) { return u->site; }

uintptr_t hp_unpacker_last_code(const hp_unpacker *u) { return u->last_code; }

uint32_t hp_unpacker_object_count(const hp_unpacker *u) { return u->object_count; }

const hp_plan *hp_unpacker_object_plan(const hp_unpacker *u, uint32_t index, uint64_t *count_out) {
    if (index >= u->object_count) { *count_out = 0; return NULL; }
    *count_out = count_of(u, index);
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
    free(u->named_refs);
    free(u->slot_links);
    free(u->boxes);
    free(u->edges);
    discard_fixups(u);
    free(u->fixups);
    free(u->object_metadata);
    free(u->object_counts);
    free(u->extra_refs);
    free(u->strings);
    free(u->merge_block);
    // Lists as large as a kept block go to the process's set, which bounds what every thread
    // keeps together; smaller ones stay with the spare.
    if ((size_t)u->object_capacity * sizeof(void *) >= HP_KEPT_MIN) give_object_lists(u);
    void **objects = u->objects;
    const hp_plan **object_plans = u->object_plans;
    uint32_t capacity = u->object_capacity;
    memset(u, 0, sizeof *u);
    u->objects = objects;
    u->object_plans = object_plans;
    u->object_capacity = capacity;
    if (!spare_key_made || pthread_getspecific(spare_key) || pthread_setspecific(spare_key, u) != 0)
        free_unpacker(u);
}
