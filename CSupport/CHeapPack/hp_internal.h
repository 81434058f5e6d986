// Private helpers shared by the shim's .c files: varints, the pointer map, allocation checks.
#ifndef HP_INTERNAL_H
#define HP_INTERNAL_H

#include "CHeapPack.h"

// MARK: - Growable byte buffer

typedef struct hp_buffer {
    uint8_t *bytes;
    size_t count;
    size_t capacity;
} hp_buffer;

/// Ensures `capacity - count >= extra`.
hp_status hp_buffer_reserve(hp_buffer *buffer, size_t extra);
/// Frees the storage and zeroes the struct. Safe on a zeroed buffer.
void hp_buffer_free(hp_buffer *buffer);
#include <string.h>
#include <stdlib.h>
#include <pthread.h>
#include <stdatomic.h>

// MARK: - Scratch blocks kept between walks (kept.c)

/// Blocks smaller than this go back to malloc; a walk of a few thousand objects needs none.
#define HP_KEPT_MIN ((size_t)64 << 10)
/// What stays allocated between walks at most, in all: the lists of two walks of about two
/// million objects at once (16 MB a list).
#define HP_KEPT_BYTES ((size_t)64 << 20)
#define HP_KEPT_BLOCKS 8

typedef struct hp_kept {
    pthread_mutex_t lock;
    struct hp_kept_block { void *block; size_t bytes; } blocks[HP_KEPT_BLOCKS];
    size_t total;
    size_t limit;
} hp_kept;

/// A kept block of at least `bytes` (the smallest such), its size in `*got`, or NULL.
void *hp_kept_take_from(hp_kept *kept, size_t bytes, size_t *got);
/// Keeps `block` (`bytes` long, from malloc) for a later walk, or frees it.
void hp_kept_give_to(hp_kept *kept, void *block, size_t bytes);
/// Frees every kept block.
void hp_kept_empty(hp_kept *kept);
/// The same, on the blocks the process keeps.
void *hp_kept_take(size_t bytes, size_t *got);
void hp_kept_give(void *block, size_t bytes);

// MARK: - Walk state (private: Swift sees hp_packer and hp_unpacker only through accessors)

/// StaticString's word holds a Unicode scalar (at most this) or a pointer; no image maps there.
#define HP_MAX_UNICODE_SCALAR 0x10FFFF

/// Work the unpacker does after every object is complete: rebuild replaced values (innermost
/// first), then set enum tags whose payloads held them. The packer keeps its replacements in
/// the same shape, to destroy them when the walk ends.
typedef struct hp_fixup {
    void *destination;
    const void *type;           ///< replaced type, or the enum's metadata
    void *replacement;          ///< NULL: an enum tag injection
    uint32_t tag;
} hp_fixup;

/// A weak or unowned slot met by the walk. Its target is resolved when the walk ends, once it
/// is known whether the target is in the packet.
typedef struct hp_link {
    uintptr_t target;           ///< pack: the referent (weak: retained until the walk ends); unpack: the slot
    uint32_t kind;              ///< HP_OP_WEAK, HP_OP_UNOWNED or HP_OP_UNOWNED_UNSAFE
    uint32_t nullable;          ///< the slot's type is Optional (weak ones always are)
    uint32_t object;            ///< pack: the object holding the slot (for error paths); unpack: the trailer value
    const void *plan;
    uint32_t op;
    uint64_t element;
} hp_link;

/// Open-addressing pointer -> u32 map. Keys are non-zero addresses.
typedef struct hp_map {
    uintptr_t *keys;            ///< 0 = empty slot
    uint32_t *values;
    uint32_t capacity;          ///< power of two
    uint32_t count;
    uint32_t shift;             ///< 64 - log2(capacity), for Fibonacci hashing
} hp_map;

struct hp_packer {
    hp_pack_config config;
    hp_buffer out;                     ///< the body stream

    // Objects discovered so far, in index order.
    const void **objects;
    const hp_plan **object_plans;
    hp_origin *origins;
    uint32_t object_count;
    uint32_t object_capacity;
    hp_map object_index;
    bool unindexed_objects;            ///< some objects are not in object_index (see put_ref)

    // Types used, in type-table order: metadata, or a per-instance plan (generic closure
    // contexts); with the object plan and the value plan of each (NULL until asked for).
    const void **types;
    const hp_plan **type_plans;
    const hp_plan **type_value_plans;
    uint32_t type_count;
    uint32_t type_capacity;
    uint32_t type_plan_capacity;
    uint32_t type_value_plan_capacity;
    hp_map type_index;

    // Images used: table index -> packet index + 1 (0 = unused), and packet order.
    uint32_t *image_slot;
    uint32_t *images_used;
    uint32_t images_used_count;

    hp_site site;                      ///< valid after a failure
    uint32_t site_depth;               ///< how many frames enclose the failure site
    uintptr_t closure_code;            ///< while a closure's context reference is written: its code pointer (else 0)
    bool site_recorded;

    // The frame stack of values nested inline: steps[k] is frame k's plan and op.
    struct hp_pack_nest {
        const hp_plan *child;          ///< the nested value's plan
        const uint8_t *base;           ///< and where it is
        uint32_t op;                   ///< the op that holds it
        uint32_t next;                 ///< where that op ends
    } nest;                            ///< where the value being walked stopped for a nested one
    hp_step *steps;
    struct hp_pack_frame *frames;
    uint32_t frame_count, frame_capacity;
    bool replacing_object;             ///< walking an object's replacement (plain data: no references)

    // Weak and unowned slots, in the order met: the body's trailer.
    hp_link *links;
    uint32_t link_count, link_capacity;

    // Named objects: address -> name number, and which numbers the packet used.
    hp_map named_index;
    uint8_t *named_used;

    // Replacements made during the walk: alive until the packer is destroyed.
    hp_fixup *replacements;
    uint32_t replacement_count, replacement_capacity;
};

#define HP_RESOLVED_CACHE 64
#define HP_PLAIN_TYPES 128

struct hp_unpacker {
    hp_unpack_config config;
    uint32_t *named_refs;               ///< references to each named object (retained on success)
    const uint8_t *start;               ///< the body
    const uint8_t *cursor;
    const uint8_t *end;

    // Objects made so far, in index order.
    void **objects;
    const hp_plan **object_plans;
    const void **object_metadata;       ///< each object's class or context metadata (its plan's may be a box's NULL, or another storage's); NULL while building until keep_metadata
    uint64_t *object_counts;            ///< tail element count (tail objects only); only when building nothing, as a built object holds it in its array body
    uint32_t *extra_refs;               ///< references beyond the first, applied on success
    uint32_t object_count;
    uint32_t object_capacity;

    // Strings made so far (destroyed on failure): a String's address, or a run of a [String]'s
    // elements as two entries, the first element's address + 1 (a String is 8-aligned) and the
    // count, so that 100k strings in an array take 16 bytes here, not 800 KB.
    void **strings;
    uint32_t string_count, string_capacity;

    hp_site site;
    bool building;                      ///< false in inspection and in the tracing pass
    bool replacing_object;              ///< reading an object's replacement (plain data: no references)
    bool allocates_directly;            ///< hp_allocates_directly() when the walk began
    void *merge_block;                  ///< held while a large walk builds (see begin)
    bool merge_pending;                 ///< a large walk that has made only linear objects so far (see begin)
    uint64_t last_ref;                  ///< index + 1 of the object the last reference named (0: none/static)

    // The frame stack of values nested inline (enum payloads, existential values and
    // replacements): steps[k] is the (plan, op) being read at level k.
    hp_step *steps;
    struct hp_unpack_frame *frames;
    uint32_t frame_count, frame_capacity;
    hp_step current;                    ///< inspection only: the (plan, op) being read, innermost
    uintptr_t last_code;                ///< the code pointer of the FUNC op being read (for closure names)

    // Weak and unowned slots, in the order met (with their addresses, when building).
    struct hp_slot_link *slot_links;
    uint32_t link_count, link_capacity;

    // Deferred work of the walk, in the order it was met; run last to first once it is over.
    hp_fixup *fixups;
    uint32_t fixup_count, fixup_capacity;

    /// Static pointers (image slot + 1, offset) already resolved, direct-mapped by hash (slot 0:
    /// empty): a packet names the same few addresses again and again.
    struct hp_resolved_static { uint64_t slot, offset; uintptr_t address; } resolved[HP_RESOLVED_CACHE];
    /// Classes numbered in one byte whose objects get_plain_ref reads on its short path, each
    /// with its metadata, checked on first sight in this walk (plan NULL: not yet, or not such
    /// a class): a list or tree names one class a million times. `fitting` is the last bound
    /// the class was found to fit (NULL, no bound, fits every class), as every slot of a list
    /// or a tree has the same bound.
    struct hp_plain_type {
        const hp_plan *plan;
        const void *metadata;
        const hp_bound *fitting;
        uint32_t size;          ///< the plan's, read here with `direct` (W2: 0.6% more instructions from the plan)
        bool direct;            ///< hp_alloc_object's `direct` for it, and no prefix to write
    } plain_types[HP_PLAIN_TYPES];
    // Existential and error boxes the walk made (freed unbuilt if it fails).
    struct hp_made_box *boxes;
    uint32_t box_count, box_capacity;

    uint64_t empty_elements;            ///< elements that took no body bytes so far, over all arrays
    uint64_t static_string_bytes;       ///< static data the StaticString checks read so far
    uint64_t build_bytes;               ///< what the walk asks (or, inspecting, would ask) the runtime for: expect_build
    uint64_t reserved_bytes;            ///< how much of that malloc was last seen to have at once (reserve)
    uint32_t replace_depth;             ///< how many replacement values enclose the value being read

    // Strong references that no replacement holds, as (holder + 1, object) pairs (holder 0: the
    // root value): recorded by a tracing pass only when an unowned slot needs them.
    uint32_t *edges;
    uint64_t edge_count, edge_capacity;
    bool tracing;
};

/// Frees what `hp_image.symbols` holds (symbols.c). Safe on NULL.
void hp_function_symbols_free(struct hp_function_symbols *table);

// MARK: - Code addresses already checked (code.c)

// libunwind's search blocks signals around it, two system calls: a quarter of the time of a
// 10-node list's unpack went there when each unpack asked again. The table is a snapshot of
// images that stay mapped, so an answer holds as long as it does (every address it gives out
// assumes that: an image unloaded after it was taken is not supported). Direct-mapped by hash, 0
// empty; threads share it without a lock, as a slot only ever holds 0 or an address found good.
// Function entries and async function records apart: neither may pass for the other.
#define HP_ENTRY_CACHE 256

struct hp_entry_cache {
    _Atomic uintptr_t code[HP_ENTRY_CACHE];
    _Atomic uintptr_t async_records[HP_ENTRY_CACHE];
};

/// Makes and frees `hp_image_table.entries`.
hp_status hp_entry_cache_make(hp_image_table *table);
void hp_entry_cache_free(hp_image_table *table);

static inline _Atomic uintptr_t *hp_entry_slot(_Atomic uintptr_t *slots, uintptr_t address) {
    return &slots[(address * 11400714819323198485ull) >> 56];
}

/// Whether hp_code_entry (or, `async`, hp_async_function_entry) already found `address` good:
/// the callers' own short path (W5, 100k closures: a call for each cost 3.8% more instructions).
static inline bool hp_entry_remembered(const hp_image_table *table, uintptr_t address, bool async) {
    if (!table->entries || !address) return false;
    _Atomic uintptr_t *slots = async ? table->entries->async_records : table->entries->code;
    return atomic_load_explicit(hp_entry_slot(slots, address), memory_order_relaxed) == address;
}

// MARK: - Runtime helpers only the shim uses

/// Calls the enum's `getEnumTag` value witness.
uint32_t hp_enum_tag(const void *value, const void *metadata);
/// swift_allocObject: an object with refcount 1, its body uninitialized.
void *hp_alloc_object_by_runtime(const void *metadata, size_t size, size_t align_mask);
/// Whether hp_alloc_object may make objects itself: while the runtime's allocation hook, which
/// swift_allocObject calls through and a tool may replace, is the runtime's own (runtime.c).
bool hp_allocates_directly(void);
/// Frees an object made by hp_alloc_object that was never handed to Swift (no deinit runs).
void hp_dealloc_uninitialized_object(void *object, size_t size, size_t align_mask);
/// Frees a box made by hp_alloc_box whose value was never completed (nothing is destroyed).
void hp_dealloc_box(void *box);
/// Frees a box made by hp_alloc_error whose value was never completed.
void hp_dealloc_error(void *box, const void *type);
/// Copies `size` bytes of an enum value and strips its tag bits, leaving the payload at offset 0.
void hp_enum_project(void *value, const void *metadata);
/// A TAG op's value as its enum's witnesses write it, in `out` (16-aligned, `e->size` bytes):
/// the case's payload (`payloads[tag]->size` bytes, its tag bits projected away), zeros
/// elsewhere, the tag injected. Returns the tag `value` holds (at least `e->case_count`: none of
/// its cases, and `out` is then zeros). The writer sends these bytes, so that what a shorter
/// payload leaves (uninitialized in the sender) never travels; the reader requires them.
uint32_t hp_enum_canonical(const hp_plan *e, const uint8_t *value, uint8_t *out);

#define HP_LIKELY(x) __builtin_expect(!!(x), 1)
#define HP_UNLIKELY(x) __builtin_expect(!!(x), 0)
/// Keeps a rarely taken path out of the walk loop: inlined, it costs the loop registers and a
/// longer prologue on every call (measured with callgrind on W2).
#define HP_OUTLINE __attribute__((noinline))
/// The opposite, for a step the walk's short paths take once per object.
#define HP_INLINE __attribute__((always_inline)) inline

/// The alignment masks swift_slowAlloc serves with plain malloc (posix_memalign above).
#define HP_MALLOC_ALIGN_MASK 7
/// A new object's inline refcounts (swift/Runtime/RefCount.h, RefCountBitsT(0, 1)): no extra
/// strong count, an unowned count of 1, and the pure-Swift-deallocation bit.
#define HP_NEW_OBJECT_REFCOUNTS ((uint64_t)0x3)

/// An object with refcount 1, its body uninitialized: what swift_allocObject makes, made as it
/// makes it (malloc, then the metadata and refcount words) without its two calls, which took a
/// tenth of W2's unpack. Unless `direct` (hp_allocates_directly, asked once per walk), for an
/// alignment beyond malloc's, and if malloc fails (the runtime traps), swift_allocObject itself.
HP_INLINE static void *hp_alloc_object(bool direct, const void *metadata, size_t size, size_t align_mask) {
    if (HP_LIKELY(direct && align_mask <= HP_MALLOC_ALIGN_MASK)) {
        uint64_t *object = malloc(size);
        if (HP_LIKELY(object != NULL)) {
            object[0] = (uint64_t)(uintptr_t)metadata;
            object[1] = HP_NEW_OBJECT_REFCOUNTS;
            return object;
        }
    }
    return hp_alloc_object_by_runtime(metadata, size, align_mask);
}

// The layouts below are shared with Swift and with the runtime; catch drift at compile time.
_Static_assert(sizeof(void *) == 8, "HeapPack supports 64-bit targets only");
_Static_assert(sizeof(hp_op) == 24, "hp_op layout is mirrored by the Swift plan builder");
_Static_assert(sizeof(hp_op_data) == 8, "an op's data is one word");
// The walkers take a word as the width of every fixed-width op but these two.
_Static_assert(HP_OP_WIDTH_REF == 8 && HP_OP_WIDTH_STATIC == 8 && HP_OP_WIDTH_RAW_POINTER == 8
               && HP_OP_WIDTH_METADATA == 8 && HP_OP_WIDTH_WEAK == 8 && HP_OP_WIDTH_UNOWNED == 8
               && HP_OP_WIDTH_UNOWNED_UNSAFE == 8 && HP_OP_WIDTH_STATIC_STRING == 8 && HP_OP_WIDTH_INTERIOR == 8,
               "word-wide ops");

static inline hp_status hp_put_bytes(hp_buffer *b, const void *src, size_t n) {
    if (HP_UNLIKELY(b->capacity - b->count < n)) {
        hp_status s = hp_buffer_reserve(b, n);
        if (s != HP_OK) return s;
    }
    memcpy(b->bytes + b->count, src, n);
    b->count += n;
    return HP_OK;
}

static inline hp_status hp_put_varint(hp_buffer *b, uint64_t v) {
    if (HP_UNLIKELY(b->capacity - b->count < 10)) {
        hp_status s = hp_buffer_reserve(b, 10);
        if (s != HP_OK) return s;
    }
    uint8_t *p = b->bytes + b->count;
    while (v >= 0x80) { *p++ = (uint8_t)(v | 0x80); v >>= 7; }
    *p++ = (uint8_t)v;
    b->count = (size_t)(p - b->bytes);
    return HP_OK;
}

/// hp_get_varint past its first byte.
HP_OUTLINE static inline bool hp_get_long_varint(const uint8_t **cursor, const uint8_t *end, uint64_t *out) {
    const uint8_t *p = *cursor;
    uint64_t v = 0;
    for (unsigned shift = 0; shift < 64; shift += 7) {
        if (HP_UNLIKELY(p >= end)) return false;
        uint8_t byte = *p++;
        if (shift == 63 && byte > 1) return false;
        v |= (uint64_t)(byte & 0x7f) << shift;
        if (!(byte & 0x80)) {
            if (HP_UNLIKELY(byte == 0 && shift != 0)) return false;
            *cursor = p; *out = v; return true;
        }
    }
    return false;
}

/// LEB128 read with bounds and overlong checks. Returns false on truncated, >64-bit or
/// non-minimal input (a last byte of 0 after others): one value has one encoding. Most values
/// the walks read (reference codes, type numbers, small counts) take one byte, read inline.
__attribute__((always_inline)) static inline bool hp_get_varint(const uint8_t **cursor, const uint8_t *end,
                                                                uint64_t *out) {
    const uint8_t *p = *cursor;
    if (HP_LIKELY(p < end && *p < 0x80)) {
        *out = *p;
        *cursor = p + 1;
        return true;
    }
    return hp_get_long_varint(cursor, end, out);
}

// Body-stream opcodes (docs/FORMAT.md, "Body stream"). A reference is one varint:
#define HP_REF_NULL 0       // null
#define HP_REF_NEW 1        // first sight: varint type index [, varint element count]; index = next
#define HP_REF_STATIC 2     // a runtime singleton in an image: static pointer follows
#define HP_REF_NAMED 3      // a named well-known object: varint index into the packet's name list
#define HP_REF_BACK 4       // HP_REF_BACK + k: the object with index k
// A static pointer is varint 0 (null) or varint (packet image + 1), varint offset.
// A String is one byte, then:
#define HP_STRING_INLINE 0  // 16 raw bytes (small string)
#define HP_STRING_UTF8 1    // varint length, UTF-8 bytes

// Bits of Swift.String's two words (stdlib/public/core/StringObject.swift, 64-bit).
#define HP_STRING_IS_SMALL (1ull << 61)          // in the object word
#define HP_STRING_TAIL_ALLOCATED (1ull << 60)    // in countAndFlags: UTF-8 at address + 32
#define HP_STRING_ADDRESS_MASK 0x0FFFFFFFFFFFFFFFull
#define HP_STRING_COUNT_MASK 0x0000FFFFFFFFFFFFull
#define HP_STRING_NATIVE_BIAS 32

hp_status hp_map_init(hp_map *map, uint32_t capacity_hint);
void hp_map_free(hp_map *map);
hp_status hp_map_insert(hp_map *map, uintptr_t key, uint32_t value);

static inline bool hp_map_find(const hp_map *map, uintptr_t key, uint32_t *value_out) {
    if (map->capacity == 0) return false;
    uint32_t mask = map->capacity - 1;
    uint32_t i = (uint32_t)((key * 11400714819323198485ull) >> map->shift);
    for (;;) {
        uintptr_t k = map->keys[i];
        if (k == key) { *value_out = map->values[i]; return true; }
        if (k == 0) return false;
        i = (i + 1) & mask;
    }
}

void hp_enum_inject(void *value, uint32_t tag, const void *metadata);
void hp_retain_n(void *object, uint32_t n);
bool hp_is_uniquely_referenced(const void *object);
void *hp_weak_load_strong(const void *reference);
void hp_weak_init(void *reference, void *object);
void hp_unowned_retain(void *object);
void hp_release(void *object);
/// swift_allocBox: a heap box for one value of `type` (how existentials hold large values).
void *hp_alloc_box(const void *type, void **buffer_out);

/// swift_allocError with no value yet: the box of an `any Error`, and where its value goes.
void *hp_alloc_error(const void *type, const void *conformance, void **buffer_out);

/// SwiftError (non-ObjC): heap-object header, type, conformance, then the value, aligned.
#define HP_ERROR_TYPE_OFFSET 16
#define HP_ERROR_CONFORMANCE_OFFSET 24
static inline uint32_t hp_error_value_offset(const hp_plan *plan) {
    return (32 + plan->align_mask) & ~plan->align_mask;
}

/// Where an existential's out-of-line box keeps its value: after the heap-object header, aligned.
static inline uint32_t hp_box_value_offset(const hp_plan *plan) {
    return (16 + plan->align_mask) & ~plan->align_mask;
}

/// Memory for a replacement value of `plan` (at least 1 byte, aligned as the plan needs).
static inline void *hp_alloc_value(const hp_plan *plan) {
    size_t alignment = (size_t)plan->align_mask + 1;
    size_t size = plan->size ? plan->size : 1;
    if (alignment <= 16) return malloc(size);
    void *memory = NULL;
    return posix_memalign(&memory, alignment, size) == 0 ? memory : NULL;
}

/// The capacity hp_grow and hp_grow_kept grow an array of `capacity` to for `needed` elements:
/// doubling from 64, at most UINT32_MAX elements, and a size in bytes that fits size_t.
hp_status hp_grown_capacity(uint32_t capacity, size_t element_size, uint32_t needed, uint32_t *grown_out);
/// Grows a (pointer, count, capacity) array to hold one more element.
hp_status hp_grow(void **array, uint32_t *capacity, size_t element_size, uint32_t needed);
/// hp_grow for an array that may grow large: it grows into a kept block when one fits, and its
/// owner gives it back with hp_kept_give (capacity * element_size bytes) rather than free.
hp_status hp_grow_kept(void **array, uint32_t *capacity, size_t element_size, uint32_t needed);

/// Grows a walk's two parallel frame arrays (the `hp_step`s Swift reads, and the walker's own
/// frames) to `needed`; the new frames are zeroed.
hp_status hp_grow_frames(void **steps, size_t step_size, void **frames, size_t frame_size, uint32_t *capacity,
                         uint32_t needed);

#endif
