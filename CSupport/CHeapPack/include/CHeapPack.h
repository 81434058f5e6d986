// CHeapPack: the C half of HeapPack.
//
// Why this exists: packing walks every byte of a value graph, and that loop has to run at
// memcpy-like speed with no Swift retain/release traffic, no existential boxing and no
// recursion. It also has to reach things Swift cannot name: the loaded-image table
// (dl_iterate_phdr, GNU build-ids) and runtime entry points with the Swift calling convention.
//
// The shim is policy-free. It never decides whether a type may travel; it walks layout plans
// that the Swift layer built from runtime metadata, and it reports back (status + out-params)
// whenever it meets something it has no plan for. All state lives in explicit structs.
//
// Naming: every exported symbol starts with `hp_`, every macro with `HP_`.
#ifndef CHEAPPACK_H
#define CHEAPPACK_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

// Pointers are non-null unless marked _Nullable: Swift sees them as non-optional. Plan fields
// whose presence depends on the plan's or op's kind are _Null_unspecified (hp_plan_seal checks them).
#pragma clang assume_nonnull begin

// MARK: - Status

/// Every shim function that can fail returns one of these and writes results through
/// out-parameters. The Swift layer turns them into `PackError` codes.
typedef enum hp_status {
    HP_OK = 0,
    HP_ERR_NO_MEMORY,           ///< malloc failed or a size overflowed
    HP_ERR_MALFORMED,           ///< packet bytes are truncated or inconsistent
    HP_ERR_LIMIT,               ///< a caller-set limit was exceeded
    HP_ERR_POINTER_NOT_STATIC,  ///< a code/data pointer lies in no file-backed image range
    HP_ERR_PLAN,                ///< the plan provider refused a type (its error is in the Swift context)
    HP_ERR_CALLBACK,            ///< a string/value callback failed (error in the Swift context)
    HP_ERR_TYPE_MISMATCH,       ///< an object in the packet has a type its slot cannot hold
    HP_ERR_UNSUPPORTED,         ///< a representation the engine does not handle yet
    HP_ERR_REFUSED,             ///< the walk reached an HP_OP_REFUSED value (its refusal is in the Swift plan builder)
    HP_ERR_INTERNAL,            ///< a state the plans rule out: a bug in HeapPack, not a property of the value
} hp_status;

/// Why a walk stopped, recorded with its site (`hp_site.reason`). A status says what kind of
/// failure it is; the reason says which check failed, so the Swift layer maps each reason to its
/// `PackError` in one table instead of guessing from the status and the op kind.
typedef enum hp_reason {
    HP_REASON_NONE = 0,                 ///< no site recorded (allocation while growing a buffer)
    HP_REASON_PLAN_REFUSED,             ///< the plan provider refused a type; its PackError is in the Swift context
    HP_REASON_CALLBACK_FAILED,          ///< a string or replacement callback failed; its PackError is in the Swift context
    HP_REASON_VALUE_REFUSED,            ///< an HP_OP_REFUSED value; the plan builder keeps the refusal under the op's plan
    HP_REASON_RAW_POINTER_OUTSIDE_IMAGES, ///< a raw pointer to neither null nor an image's file-backed bytes
    HP_REASON_STATIC_POINTER_OUTSIDE_IMAGES, ///< a code or static-data pointer outside every image's file-backed bytes
    HP_REASON_UNOWNED_TARGET_NOT_PACKED,///< an unowned or unowned(unsafe) reference whose target does not travel
    HP_REASON_INTERIOR_OUTSIDE_OWNER,   ///< an interior pointer (ArraySlice's base) outside the object that owns it
    HP_REASON_OBJECT_LIMIT,             ///< more objects than the caller's limit
    HP_REASON_INLINE_DEPTH,             ///< enum payloads, existential values and replacements nest deeper than HP_MAX_NESTING
    HP_REASON_WITNESS_MISMATCH,         ///< an existential's witness tables are not the ones the runtime finds for its type
    HP_REASON_ENUM_TAG_OUT_OF_RANGE,    ///< an enum's tag witness answered a case its plan does not have (HP_ERR_INTERNAL)
    HP_REASON_UNKNOWN_OP,               ///< a plan op the walker does not know (HP_ERR_INTERNAL)
    HP_REASON_BAD_PLAN,                 ///< a plan breaks a rule the plan builder promises (HP_ERR_INTERNAL)
    HP_REASON_EMPTY_ELEMENT_LIMIT,      ///< unpack: more zero-size elements than HP_MAX_EMPTY_ELEMENTS
    HP_REASON_NO_MEMORY,                ///< an allocation failed or a size overflowed
    HP_REASON_NOT_A_FUNCTION_ENTRY,     ///< unpack: a code pointer that is not the entry of a function (site.pointer)
    HP_REASON_NULL_IN_NON_OPTIONAL,     ///< unpack: a null reference, function or metatype where the type is not Optional
    HP_REASON_SINGLETON_MISPLACED,      ///< unpack: a runtime singleton or named object in a slot it does not fit (a box, another class)
    HP_REASON_LINK_TARGET_TYPE,         ///< unpack: a weak or unowned target of a class the slot cannot hold
    HP_REASON_LINK_TARGET_NOT_HELD,     ///< unpack: an unowned target that only values rebuilt after the walk hold (it could be freed)
    HP_REASON_METATYPE_OUT_OF_BOUND,    ///< unpack: a metatype outside the bound of its slot (`Base.Type`, `AnyObject.Type`)
    HP_REASON_BAD_SMALL_STRING,         ///< unpack: 16 bytes that are not a small String as the runtime makes them
    HP_REASON_BAD_SLICE,                ///< unpack: ArraySlice bounds outside its storage, or storage of another element type
    HP_REASON_STATIC_STRING_LIMIT,      ///< unpack: StaticStrings whose checks would read more static data than a packet may make them
    HP_REASON_NOT_A_CASE,               ///< unpack: plain bytes that are no value of their type (a Bool not 0 or 1, an enum tag past its cases, a surrogate: BELOW, TAG, SCALAR)
    HP_REASON_REVERSED_BOUNDS,          ///< unpack: a Range or ClosedRange whose lower bound is above its upper bound (ORDERED)
    HP_REASON_BAD_SUBSTRING,            ///< unpack: Substring bounds out of order, outside its base's UTF-8 or inside a scalar (SUBSTRING)
} hp_reason;

// MARK: - Loaded images

/// One PT_LOAD segment's file-backed part: `[start, start + filesz)`. Only these bytes are the
/// same in every process that maps the binary; `.bss` and runtime-made data are not.
typedef struct hp_segment {
    uintptr_t start;
    uintptr_t end;
    uint32_t image;
} hp_segment;

#define HP_BUILD_ID_MAX 64

/// An image's function symbols (symbols.c; private to the shim).
struct hp_function_symbols;
/// Code addresses already checked (code.c; private to the shim).
struct hp_entry_cache;

typedef struct hp_image {
    uintptr_t base;                 ///< load bias (dlpi_addr)
    char *path;                     ///< owned; "" for the main executable as reported by the loader
    uint8_t build_id[HP_BUILD_ID_MAX];
    uint32_t build_id_length;       ///< 0 when the image has no NT_GNU_BUILD_ID note
    /// Owned; read from the image file on the first symbol question, then shared by threads
    /// (published atomically). NULL until then.
    struct hp_function_symbols *_Nullable symbols;
} hp_image;

typedef struct hp_image_table {
    hp_image *_Nullable images;     ///< images[0] is the main executable
    uint32_t image_count;
    hp_segment *_Nullable segments; ///< sorted by start, non-overlapping
    uint32_t segment_count;
    /// Owned; made by hp_image_table_load, which fails without it. NULL in a table made by hand
    /// (then nothing is remembered).
    struct hp_entry_cache *_Nullable entries;
} hp_image_table;

/// Swift: `hp_image_table_load(&table)`. Snapshots every loaded image. Free with
/// `hp_image_table_free`, also after a failure.
hp_status hp_image_table_load(hp_image_table *table);
void hp_image_table_free(hp_image_table *table);

/// Finds the image whose file-backed bytes contain `address`. Returns false when none does.
bool hp_image_table_locate(const hp_image_table *table, uintptr_t address,
                           uint32_t *image_out, uint64_t *offset_out);

/// Inverse of locate: `base + offset`, but only if that lands in a file-backed segment of
/// `image` with `span` readable bytes. Returns false otherwise (a garbled packet).
bool hp_image_table_resolve(const hp_image_table *table, uint32_t image, uint64_t offset,
                            uint64_t span, uintptr_t *address_out);

/// The (mangled) name of the function whose code contains `address`, from its image file's
/// ELF symbol table. False if the image is stripped or the address is in no function. The first
/// question about an image reads its symbol table (see `symbols`); each name is read from the file.
bool hp_symbol_name(const hp_image_table *table, uintptr_t address, char *name_out, size_t capacity);

/// Whether `address` is the first instruction of a function in a loaded image: the start of its
/// .eh_frame entry (libunwind), or for code without unwind information a function symbol's
/// value. Each address found to be one is remembered for the table's lifetime (any thread).
bool hp_code_entry(const hp_image_table *table, uintptr_t address);

/// Whether `address` is an `AsyncFunctionPointer` (what an async function's value holds instead
/// of code: a 32-bit relative pointer to the function, then the size of its async context) whose
/// function is an entry by `hp_code_entry`. The context size cannot be checked: no section lists
/// these records. Remembered as hp_code_entry's answers are, apart from them: a function entry
/// is no record, and a record is no code.
bool hp_async_function_entry(const hp_image_table *table, uintptr_t address);

/// Whether some function symbol in the ELF symbol table of `address`'s image file starts at
/// `address`. The fallback of `hp_code_entry` for code without unwind information.
bool hp_symbol_starts_function(const hp_image_table *table, uintptr_t address);

/// What one image lists in its Swift metadata sections, each set sorted by address (see
/// `hp_address_listed`): the type context descriptors of swift5_type_metadata, the protocol
/// descriptors of swift5_protocols and the capture descriptors in swift5_capture. Sets are empty
/// for an image without those sections or whose file cannot be read.
typedef struct hp_image_sections {
    uintptr_t *_Nullable types;
    uint32_t type_count;
    uintptr_t *_Nullable protocols;
    uint32_t protocol_count;
    uintptr_t *_Nullable captures;
    uint32_t capture_count;
} hp_image_sections;

/// Swift: `hp_image_sections_load(table, image, &sections)`. Reads image `image`'s section
/// headers from its file and lists the records of its metadata sections in memory. Free with
/// `hp_image_sections_free`, also after a failure.
hp_status hp_image_sections_load(const hp_image_table *table, uint32_t image, hp_image_sections *sections);
void hp_image_sections_free(hp_image_sections *sections);
/// Binary search of a sorted set from `hp_image_sections`.
bool hp_address_listed(const uintptr_t *_Nullable set, uint32_t count, uintptr_t address);

/// swift_demangle: a malloc'd readable name, or NULL. Free with free().
char *_Nullable hp_demangle(const char *_Nullable name, size_t length);

// MARK: - Layout plans

/// The op table: what the walker does at one offset of a value, one row per op kind, used by
/// both walkers, by `hp_plan_seal` and (through `hp_op_width`) by the Swift plan builder, so
/// that no one re-derives an op's shape. Bytes not covered by an op are field bytes with no
/// pointers in them, and travel verbatim; padding between and after fields is a PADDING op.
///
/// Columns: name, width in the value (0: the op's own data says, see `hp_op_width`), fewest
/// body bytes it takes (0 for slots that travel in the trailer or not at all; REPLACE: its
/// plan's), and whether reading it leaves work for after the walk (an enclosing enum's
/// tag then waits for it, see `hp_fixup`).
#define HP_OP_TABLE(X) \
    /* A strong reference to a heap object, or null. data.bound: what it may name and whether \
       it may be null; sub: the object plan to read a new object with, from the slot's type: a  \
       box's (boxes share metadata by layout, so their capture descriptor cannot say what they \
       hold), or array storage's (`_ContiguousArrayStorage<AnyObject>` holds every class). */   \
    X(REF,            8,  1, 0) \
    /* A thick function {code pointer, context reference or null}. */                           \
    X(FUNC,           16, 2, 0) \
    /* A pointer into an image's file-backed bytes (thin function, witness table), or null. */  \
    X(STATIC,         8,  1, 0) \
    /* A raw pointer: travels only if null or static (HP_REASON_RAW_POINTER_OUTSIDE_IMAGES). */ \
    X(RAW_POINTER,    8,  1, 0) \
    /* Type metadata, travelling as a type-table index; data.bound: which types the slot holds. */ \
    X(METADATA,       8,  1, 0) \
    /* Swift.String: a kind byte, then 16 raw bytes or a length and UTF-8. */                    \
    X(STRING,         16, 2, 0) \
    /* An enum whose payloads need walking; sub is its HP_PLAN_ENUM (width: sub->size). */      \
    X(ENUM,           0,  1, 0) \
    /* An existential container; data.existential describes it (width: its size). */            \
    X(EXISTENTIAL,    0,  1, 0) \
    /* A weak reference: travels in the body's trailer (nil if its target is not packed), one  \
       varint there, which counts as its wire byte. data.bound: the referent's class. */         \
    X(WEAK,           8,  1, 1) \
    /* An unowned reference: its target must be packed; data.bound: its class, and whether it  \
       may be nil. */                                                                             \
    X(UNOWNED,        8,  1, 1) \
    /* unowned(unsafe): like UNOWNED, without a refcount. */                                     \
    X(UNOWNED_UNSAFE, 8,  1, 1) \
    /* StaticString's word: a pointer into static data, or a Unicode scalar. */                 \
    X(STATIC_STRING,  8,  1, 0) \
    /* ArraySlice's base address: a pointer among the elements (sub: their plan) of the object \
       of the REF op just before it, data.owner_distance bytes away in the same value; travels as \
       an offset. The two words after it are the slice's startIndex and endIndexAndFlags, raw. */ \
    X(INTERIOR,       8,  1, 0) \
    /* A value that travels as a replacement (Dictionary as keys + values): sub is the          \
       replacement's plan, data.replaced_type the _Replaceable hooks (width: sub->replaced_size). */ \
    X(REPLACE,        0,  1, 1) \
    /* A value of a type that may not travel (width: sub->size): packing fails here, where the \
       walk knows the index or key; a packet never holds one. sub: a plan with no ops that      \
       stands for the value; the Swift layer keeps the refusal under it. */                     \
    X(REFUSED,        0,  0, 0) \
    /* data.width bytes no field covers (alignment padding): nothing travels and the reader    \
       writes zeros, so a packet never carries what the sender's memory held there. */          \
    X(PADDING,        0,  0, 0) \
    /* BELOW to SCALAR cover plain bytes that travel as they are (their wire bytes: their      \
       width) but not every bit pattern of which is a value: the reader checks them, or clears \
       what it cannot check. */                                                                  \
    /* An unsigned little-endian integer of data.below.width bytes (1, 2 or 4) below           \
       data.below.limit: Bool (2), a no-payload enum's case (its case count), and an Optional  \
       of those, whose nil cases take the values right after (extra inhabitants). */            \
    X(BELOW,          0,  0, 0) \
    /* An enum of plain data (no payload needs walking; sub: its HP_PLAN_ENUM, width sub->size), \
       as its witnesses write its case (hp_enum_canonical: zeros past a shorter payload); the   \
       reader refuses a tag past its cases and any other bytes. */                              \
    X(TAG,            0,  0, 0) \
    /* Two numbers of one kind side by side (data.ordered: the width and hp_number of each), the \
       first not above the second: the bounds of Range and ClosedRange. */                     \
    X(ORDERED,        0,  0, 0) \
    /* A word whose bits outside data.mask the reader clears: caches that the receiver's       \
       standard library then recomputes instead of trusting (String.Index's alignment flags and \
       character stride). */                                                                    \
    X(MASKED,         8,  0, 0) \
    /* Unicode.Scalar: a 32-bit Unicode scalar value (at most 0x10FFFF, not a surrogate). */    \
    X(SCALAR,         4,  0, 0) \
    /* Slice<String> (a Substring's storage): its two String.Index bounds as raw words, then    \
       the base String as STRING; the bounds must be in order, within the base's UTF-8 and on \
       scalar boundaries, and the reader rewrites their flags. */                                \
    X(SUBSTRING,      32, 18, 0)

typedef enum hp_op_kind {
    HP_OP_NONE = 0,
#define HP_OP_KIND(name, width, min_wire, defers) HP_OP_##name,
    HP_OP_TABLE(HP_OP_KIND)
#undef HP_OP_KIND
    HP_OP_KIND_COUNT
} hp_op_kind;

typedef struct hp_plan hp_plan;

/// What an existential container holds besides its value. Witness tables never travel: the
/// receiver asks the runtime again (swift_conformsToProtocol), which also finds conformances
/// instantiated at run time.
typedef enum hp_container {
    HP_CONTAINER_OPAQUE = 0,    ///< {3-word buffer, type, witness tables...}
    HP_CONTAINER_CLASS,         ///< {reference, witness tables...}
    HP_CONTAINER_METATYPE,      ///< {type, witness tables...}: a protocol metatype (any P.Type)
    HP_CONTAINER_ERROR,         ///< {SwiftError box}: `any Error`; the box holds type, conformance, value
} hp_container;

typedef struct hp_existential {
    uint32_t container;         ///< an hp_container
    uint32_t witness_count;
    const void *_Null_unspecified const *_Null_unspecified protocols; ///< one protocol descriptor per witness table, in order
    uint32_t size;              ///< the container's size
    /// A composition's superclass constraint (`any Base & P`, `any (Base & P).Type`): the
    /// dynamic type must be it or a subclass. NULL: none.
    const void *_Nullable superclass;
} hp_existential;

/// Which objects a reference slot may name, or which types a metatype slot may hold.
typedef enum hp_bound_rule {
    HP_BOUND_ANY = 0,       ///< any object (Builtin.NativeObject, a closure's context) or any type (`Any.Type`)
    HP_BOUND_SUBCLASS,      ///< an instance of `type` or of a subclass (references, class metatypes)
    HP_BOUND_EXACT,         ///< exactly `type` (the metatype of a value type)
    HP_BOUND_ANY_CLASS,     ///< any class instance (AnyObject), or any class (AnyObject.Type)
} hp_bound_rule;

/// What a reference or metatype slot holds: the reader refuses anything else, so that what it
/// accepts has the static type its slot expects.
typedef struct hp_bound {
    const void *_Nullable type;         ///< the class or type `rule` names (NULL for ANY and ANY_CLASS)
    /// SUBCLASS: one more class the object may be, exactly. The storage of an array of class
    /// instances is `_ContiguousArrayStorage<AnyObject>` as often as `<Element>`.
    const void *_Nullable alternative;
    uint32_t rule;                      ///< an hp_bound_rule
    uint32_t nullable;                  ///< 1: the slot's type is Optional, so null (nil) is a value
} hp_bound;

/// How ORDERED compares its two numbers.
typedef enum hp_number {
    HP_NUMBER_UNSIGNED = 0,
    HP_NUMBER_SIGNED,
    HP_NUMBER_FLOAT,            ///< IEEE 754 binary32 or binary64: NaN is above nothing and below nothing
    /// String.Index (8 bytes), by its offsets (bits 63-14); the reader also clears each word's
    /// caches as MASKED does (HP_STRING_INDEX_KEPT).
    HP_NUMBER_STRING_INDEX,
} hp_number;

/// The bits of a String.Index that travel as they are: the encoded offset (63-16), the
/// transcoded offset (15-14) and the encoding flags (3-2). Its alignment flags (1-0), reserved
/// bits (7-4) and cached character stride (13-8) are caches the standard library trusts.
#define HP_STRING_INDEX_KEPT 0xFFFFFFFFFFFFC00Cull

/// What an op needs besides its kind, offset and sub-plan: one member per kind that has any.
typedef union hp_op_data {
    /// REF, WEAK, UNOWNED, UNOWNED_UNSAFE, METADATA: what the slot may hold (NULL: any object
    /// or type, never null).
    const hp_bound *_Nullable bound;
    const hp_existential *_Null_unspecified existential;  ///< EXISTENTIAL: the container's shape
    const void *_Null_unspecified replaced_type;          ///< REPLACE: the `_Replaceable` hooks (a Swift metatype)
    int64_t owner_distance;             ///< INTERIOR: from this op's offset to its owner's REF op
    uint64_t width;                     ///< PADDING: how many bytes
    uint64_t async_function;            ///< FUNC, STATIC: 1 if the code pointer is an AsyncFunctionPointer record
    struct { uint32_t width; uint32_t limit; } below;   ///< BELOW: the integer's width, and the first value it may not take
    struct { uint32_t width; uint32_t number; } ordered; ///< ORDERED: each number's width (1, 2, 4, 8) and hp_number
    uint64_t mask;                      ///< MASKED: the bits the reader keeps
} hp_op_data;

typedef struct hp_op {
    uint32_t kind;              ///< hp_op_kind
    uint32_t offset;            ///< from the start of the value (of the object, in object plans)
    hp_op_data data;
    const hp_plan *_Null_unspecified sub; ///< ENUM: the enum plan; REPLACE: the replacement's; REF: the object plan, if fixed
} hp_op;

typedef enum hp_plan_kind {
    HP_PLAN_VALUE = 1,  ///< an inline value: ops over `size` bytes
    HP_PLAN_ENUM,       ///< an enum: tag via value witnesses, then the case's payload plan
    HP_PLAN_OBJECT,     ///< a heap object: header, fixed body, optional tail of elements
} hp_plan_kind;

/// A plan: the fields every kind has, then its kind's own (a value's, an enum's or an
/// object's), which share storage: read only the part of the plan's `kind`.
struct hp_plan {
    uint32_t kind;              ///< an hp_plan_kind
    uint32_t size;              ///< value/enum: size; object: size of the fixed part
    uint32_t stride;            ///< value/enum: stride
    uint32_t align_mask;
    uint32_t op_count;
    uint32_t sealed;            ///< 1 once hp_plan_seal accepted the plan
    uint32_t defers;            ///< value/enum: 1 if an op inside leaves work for after the walk; set by hp_plan_seal
    const hp_op *_Null_unspecified ops;
    const void *_Null_unspecified metadata; ///< enum: for value witnesses; object: the object's metadata
    union {
        struct {    // HP_PLAN_VALUE
            uint32_t min_wire_size;     ///< fewest body bytes one value takes (bounds a packet's element counts); set by hp_plan_seal
            uint32_t boxed_in_existential; ///< 1 if an existential keeps this type in a heap box, not inline
            uint32_t replaced_size;     ///< replacement plans: size of the value they stand for
        };
        struct {    // HP_PLAN_ENUM
            uint32_t case_count;        ///< payload cases + empty cases
            uint32_t payload_case_count;
            const hp_plan *_Null_unspecified const *_Null_unspecified payloads; ///< one value plan per payload case (tag order)
        };
        struct {    // HP_PLAN_OBJECT
            uint32_t body_offset;       ///< first byte of the fixed body that travels (after header/count words)
            uint32_t has_tail;          ///< 1: `element` repeated `count` times from `tail_offset` (array storage)
            uint32_t per_instance;      ///< a template; each object's own plan comes from the provider (generic contexts)
            uint32_t prefix_offset;     ///< where `prefix` words go in a new object (a generic context's bindings)
            uint32_t prefix_count;
            uint32_t tail_offset;
            uint32_t count_offset;      ///< where the element count is stored (tail objects)
            /// 1: no tail, no replacement, and every op a REF without a slot plan (a node of a
            /// list, tree or graph), which the reader takes on a short path; set by hp_plan_seal
            uint32_t plain_refs;
            /// 1: as plain_refs, but its ops may also be Strings (a closure context capturing a
            /// String, a class with a name), which the reader's short path reads as well; set
            /// by hp_plan_seal
            uint32_t plain_fields;
            /// 1: no tail, no replacement, and its ops Strings and one reference at most, to an
            /// object or a closure's context: a node of a list (or a closure holding one), whose
            /// objects, freed in the list's order, glibc hands back in the order the reader makes
            /// them again; set by hp_plan_seal
            uint32_t linear;
            const void *_Null_unspecified const *_Null_unspecified prefix;
            const hp_plan *_Null_unspecified element;
            /// A REPLACE op (data.replaced_type: the hooks, sub: the replacement's plan) when the
            /// object travels as a replacement value, inline after the reference that introduces
            /// it, and the receiver makes it with `restore_object`. Its body is then empty.
            const hp_op *_Null_unspecified replacement;
        };
    };
};

/// The table's fixed widths by name (`HP_OP_WIDTH_FUNC`), for the walkers' fixed-width cases.
enum {
#define HP_OP_FIXED_WIDTH(name, width, min_wire, defers) HP_OP_WIDTH_##name = width,
    HP_OP_TABLE(HP_OP_FIXED_WIDTH)
#undef HP_OP_FIXED_WIDTH
};

/// How many bytes of its value an op covers: the op table's width, or what its data says.
static inline uint32_t hp_op_width(const hp_op *op) {
    switch (op->kind) {
#define HP_OP_WIDTH(name, width, min_wire, defers) case HP_OP_##name: if (width) return width; break;
    HP_OP_TABLE(HP_OP_WIDTH)
#undef HP_OP_WIDTH
    default: return 0;
    }
    switch (op->kind) {
    case HP_OP_ENUM: case HP_OP_REFUSED: return op->sub ? op->sub->size : 0;
    case HP_OP_EXISTENTIAL: return op->data.existential ? op->data.existential->size : 0;
    case HP_OP_REPLACE: return op->sub ? op->sub->replaced_size : 0;
    case HP_OP_PADDING: return op->data.width <= UINT32_MAX ? (uint32_t)op->data.width : 0;
    case HP_OP_BELOW: return op->data.below.width;
    case HP_OP_TAG: return op->sub ? op->sub->size : 0;
    case HP_OP_ORDERED: return op->data.ordered.width <= 8 ? 2 * op->data.ordered.width : 0;
    default: return 0;
    }
}

/// Checks a finished plan against the contract both walkers rely on, once, and fills its
/// derived fields (`min_wire_size`, `defers`). Value and enum plans: every op kind known, ops in
/// offset order without overlap and inside the value, sub-plans present and sealed, an
/// INTERIOR op right after the REF op it points into. Object plans: ops inside the body, the
/// element plan sealed, and a replacement of plain data only (no references, closures,
/// existentials or replacements: its walk must not nest). Sub-plans are sealed before the plans
/// that hold them. Returns HP_OK, or HP_ERR_INTERNAL with the index of the first bad op in
/// `*op_out` (UINT32_MAX: the plan itself) — a bug in the plan builder, never in a value.
hp_status hp_plan_seal(hp_plan *plan, uint32_t *op_out);


// MARK: - Runtime helpers used by the Swift layer

/// Resolves a mangled name that mentions generic parameters of depth 0, given their metadata.
const void *_Nullable hp_type_by_mangled_name_with_parameters(const char *_Nullable name, size_t length, uint32_t count,
                                                              const void *_Nullable const *_Nullable parameters);
/// Resolves a mangled type name (symbolic references allowed when `name` points into the image).
/// `context` is a nominal type descriptor (or NULL) and `arguments` its generic arguments.
const void *_Nullable hp_type_by_mangled_name(const char *_Nullable name, size_t length, const void *_Nullable context,
                                              const void *_Nullable const *_Nullable arguments);
/// Metadata of a nominal type from its descriptor: the access function for a non-generic type
/// (`arguments` NULL), `swift_getGenericMetadata` with the key arguments otherwise.
const void *_Nullable hp_metadata_for_descriptor(const void *descriptor, const void *_Nullable const *_Nullable arguments);
/// Existential type metadata for a protocol composition (swift_getExistentialTypeMetadata).
const void *_Nullable hp_existential_metadata(bool class_bound, const void *_Nullable superclass, size_t count,
                                              const void *_Nullable const *_Nullable protocols);
/// The metadata of the runtime's heap box for values of `type` (kind 0x500).
const void *_Nullable hp_box_metadata(const void *type);
/// The case `value` (of enum type `metadata`) holds, by its getEnumTag witness: the plan builder
/// checks with it how the cases of a plain-data enum are laid out.
uint32_t hp_enum_case(const void *value, const void *metadata);
/// `instance.Type` (existential: `any P.Type` for instance `any P`).
const void *hp_metatype_metadata(const void *instance, bool existential);
/// The witness table of `type`'s conformance to `protocol`, or NULL.
const void *_Nullable hp_conformance(const void *type, const void *protocol);

// MARK: - Walks: what both walkers report

/// Where the walker was when something went wrong, so Swift can name the path.
typedef struct hp_site {
    uint32_t object;            ///< object index, or UINT32_MAX for the root value
    const hp_plan *_Nullable plan; ///< innermost plan
    uint32_t op;                ///< op index in `plan`, or UINT32_MAX
    uint64_t element;           ///< tail element index, or UINT64_MAX
    uintptr_t pointer;          ///< the offending pointer or metadata, if any
    uint32_t reason;            ///< an hp_reason: which check failed
    uintptr_t code;             ///< at a closure's op (FUNC): its code pointer, which names it; else 0
} hp_site;

/// An origin's parent when the walk did not record origins (`hp_pack_config.record_origins`).
#define HP_ORIGIN_UNKNOWN (UINT32_MAX - 1)

/// Per-object discovery record: which object (and which op, element) first referenced it.
typedef struct hp_origin {
    uint32_t parent;            ///< UINT32_MAX: the root value
    uint32_t op;
    const hp_plan *_Nullable plan;
    uint64_t element;
    uintptr_t code;             ///< for a closure's context: the closure's code pointer, which names it in paths; else 0
} hp_origin;

/// One level of a walk's nesting: the plan of a value being walked and the op it is at.
typedef struct hp_step {
    const hp_plan *_Nullable plan;
    uint32_t op;
} hp_step;

/// Values nested inline (enum payloads, existential values, replacements) are walked on an
/// explicit stack, so a chain of a million `any P` values costs heap, not C stack. This caps
/// it, so that a garbled plan or a hostile packet ends in an error, not in exhausted memory.
#define HP_MAX_NESTING (1u << 20)

/// Elements that take no body bytes (zero-size values) cannot be bounded by the packet's length;
/// this caps them, over all the arrays of one packet together.
#define HP_MAX_EMPTY_ELEMENTS (1u << 24)

/// The reader checks that a StaticString's bytes are valid UTF-8 and match its ASCII flag; this
/// caps the static data those checks read for one packet, which many StaticStrings could name
/// again and again.
#define HP_MAX_STATIC_STRING_BYTES (1u << 26)

/// The largest enum a TAG op checks (on the reader's stack); the plan builder walks larger ones
/// case by case (an ENUM op).
#define HP_MAX_TAG_SIZE 256

/// Destroys a replacement made by hp_replace_fn, or decoded by the unpacker.
typedef void (*hp_destroy_replacement_fn)(const void *type, void *replacement);

// MARK: - Pack

/// The writer's state: private to the shim, made by `hp_packer_create`.
typedef struct hp_packer hp_packer;

/// Called when the walker meets an object type it has not seen in this walk (`object` NULL),
/// and for every new object whose plan is a per-instance template (`object` is the object).
/// Returns the object plan, or NULL after recording an error in `context` (the walk then stops
/// with HP_ERR_PLAN). Per-instance plans are keys of the type table in their own right.
typedef const hp_plan *_Nullable (*hp_plan_provider)(void *context, const void *metadata,
                                                     const void *_Nullable object);
/// Makes the replacement of the value at `value` (whose type is `type`) at `replacement`, which
/// has the replacement plan's size. The walk keeps it alive and destroys it at the end.
typedef bool (*hp_replace_fn)(void *context, const void *type, const void *value, void *replacement);
/// Called for strings that do not keep contiguous UTF-8 (shared, foreign). Writes a pointer
/// to UTF-8 bytes that stay valid until the walk ends. Returns false after recording an error.
typedef bool (*hp_string_bytes_fn)(void *context, const void *string,
                                   const uint8_t *_Nullable *_Nonnull bytes_out, size_t *length_out);
/// Collect-all mode: called with `hp_packer_site` describing a refusal; the walk then goes on
/// with a null in place of what was refused. Returns false to stop the walk instead.
typedef bool (*hp_report_fn)(void *context, const hp_packer *packer, hp_status status);

/// What the writer calls back into, with the config's `context`.
typedef struct hp_pack_callbacks {
    hp_plan_provider plan_for;          ///< object plans
    hp_plan_provider value_plan_for;    ///< value plans of the dynamic types inside existentials
    hp_string_bytes_fn string_bytes;
    hp_replace_fn replace;
    hp_destroy_replacement_fn destroy_replacement;
    hp_report_fn _Nullable report;      ///< NULL: stop at the first refusal
} hp_pack_callbacks;

/// Everything one pack walk is given; copied by `hp_packer_create`. The arrays must outlive
/// the packer.
typedef struct hp_pack_config {
    const hp_image_table *images;
    hp_pack_callbacks callbacks;
    void *context;
    const uintptr_t *_Nullable static_objects;  ///< objects that travel as image pointers (empty-array singleton)
    uint32_t static_object_count;
    const uintptr_t *_Nullable named_objects;   ///< registered objects that travel as names (index = name number)
    uint32_t named_object_count;
    uint64_t max_objects;
    /// Whether to keep each object's origin (32 bytes an object) for paths. A walk that fails
    /// without them can be run again with them: the walk is deterministic.
    bool record_origins;
} hp_pack_config;

/// Swift: `hp_packer_create(&config)`. NULL when out of memory. Free with `hp_packer_destroy`.
hp_packer *_Nullable hp_packer_create(const hp_pack_config *config);
void hp_packer_destroy(hp_packer *_Nullable packer);

/// Swift: `hp_pack(packer, rootPlan, valuePointer)`. Walks the root value, then every object
/// it reaches, writing the body stream (`hp_packer_body`). On failure `hp_packer_site` says
/// where. Once per packer.
hp_status hp_pack(hp_packer *packer, const hp_plan *root, const void *value);

/// The body stream written so far.
const uint8_t *_Nullable hp_packer_body(const hp_packer *packer, size_t *length_out);
/// Objects in index order: the object, its plan and who referenced it first (with
/// `record_origins`; else an origin whose parent is HP_ORIGIN_UNKNOWN).
uint32_t hp_packer_object_count(const hp_packer *packer);
const void *hp_packer_object(const hp_packer *packer, uint32_t index, const hp_plan *_Nullable *_Nonnull plan_out,
                             hp_origin *origin_out);
/// The type table in index order. An entry is type metadata, or, for a generic closure
/// context, the per-instance object plan made for its bindings (`*instance_out`; its
/// metadata is the plan's). New entries are appended by `hp_packer_image_slot`'s callers.
uint32_t hp_packer_type_count(const hp_packer *packer);
const void *hp_packer_type(const hp_packer *packer, uint32_t index, const hp_plan *_Nullable *_Nonnull instance_out);
/// The table images the packet uses, in packet order (the main executable first).
const uint32_t *hp_packer_images_used(const hp_packer *packer, uint32_t *count_out);
/// Whether the packet refers to registered object `number`.
bool hp_packer_name_used(const hp_packer *packer, uint32_t number);
/// After a failure, or in a report callback: where the walk was.
hp_site hp_packer_site(const hp_packer *packer);
/// After a failure, or in a report callback: the (plan, op) steps that enclose the site,
/// outermost first; `*depth_out` of them. Valid until the walk goes on or is freed.
const hp_step *_Nullable hp_packer_site_path(const hp_packer *packer, uint32_t *depth_out);

/// Swift: `hp_packer_image_slot(packer, tableIndex)`. The packet image index (0-based) of a
/// table image, adding it to the packet's image list on first use. Used for type-table entries
/// that travel as static addresses.
uint32_t hp_packer_image_slot(hp_packer *packer, uint32_t image);

// MARK: - Unpack

/// The reader's state: private to the shim, made by `hp_unpacker_create`.
typedef struct hp_unpacker hp_unpacker;

/// Makes a String from UTF-8 bytes and initializes `destination` with it.
typedef void (*hp_make_string_fn)(const uint8_t *bytes, size_t length, void *destination);
/// Destroys a String made by hp_make_string_fn (cleanup after a failed unpack).
typedef void (*hp_destroy_string_fn)(void *string);
/// Consumes the replacement at `replacement` and initializes `destination` with the rebuilt value.
typedef void (*hp_restore_fn)(const void *type, void *replacement, void *destination);
/// Consumes an object's replacement value and returns the object rebuilt from it (+1), or NULL
/// if `type` has no replacement hooks (a bug: plans name only types that have them).
typedef void *_Nullable (*hp_restore_object_fn)(const void *type, void *replacement);

/// What an inspection observer is told, in body order (see `hp_inspect`).
typedef enum hp_event {
    HP_EVENT_OBJECT_BEGIN = 0,  ///< a: object index; the cursor is at its body
    HP_EVENT_OBJECT_END,        ///< a: object index; the cursor is past its body
    HP_EVENT_REF_NEW,           ///< a: the new object's index
    HP_EVENT_REF_BACK,          ///< a: the index of an object met before
    HP_EVENT_REF_NAMED,         ///< a: name number
    HP_EVENT_REF_STATIC,        ///< a runtime singleton (the empty array)
    HP_EVENT_LINK_SLOT,         ///< a weak or unowned slot; a: its number in the trailer, b: the op kind
    HP_EVENT_TRAILER,           ///< the cursor is at the trailer (after the last object)
    HP_EVENT_LINK_TARGET,       ///< from the trailer; a: slot number, b: the trailer value
} hp_event;

/// Called during `hp_inspect`. The accessors below (`hp_unpacker_site`: container object and
/// element; `hp_unpacker_trail`: enclosing plans and ops; `hp_unpacker_last_code`) describe
/// where the event happened.
typedef void (*hp_observe_fn)(void *context, const hp_unpacker *unpacker, hp_event event, uint64_t a, uint64_t b);

/// What the reader needs of a type-table entry, as bits: its metadata, its object plan (a new
/// object of the type), its value plan (the dynamic type of an existential).
typedef enum hp_type_need {
    HP_TYPE_METADATA = 1,
    HP_TYPE_OBJECT_PLAN = 2,
    HP_TYPE_VALUE_PLAN = 4,
} hp_type_need;

/// Resolves type-table entry `index` the first time the body needs it: fills `types[index]`
/// and, as `need` asks, `type_plans[index]` and `value_plans[index]` (a NULL plan: the type has
/// none, which the reader refuses where it needs one), and sets the bits it resolved in
/// `type_ready[index]`. Returns false after recording an error in `context`; the walk then stops
/// with HP_ERR_CALLBACK and HP_REASON_CALLBACK_FAILED.
typedef bool (*hp_resolve_type_fn)(void *_Nullable context, uint32_t index, uint32_t need);

/// What the reader calls back into.
typedef struct hp_unpack_callbacks {
    hp_make_string_fn make_string;
    hp_destroy_string_fn destroy_string;
    hp_restore_fn restore;
    hp_restore_object_fn restore_object;
    hp_destroy_replacement_fn destroy_replacement;
    hp_observe_fn _Nullable observe;    ///< inspection only; called with `observer`
    hp_resolve_type_fn _Nullable resolve_type; ///< NULL: every type-table entry is resolved already
} hp_unpack_callbacks;

/// Everything one unpack walk is given; copied by `hp_unpacker_create`. The arrays must outlive
/// the unpacker.
typedef struct hp_unpack_config {
    const hp_image_table *images;
    const uint32_t *_Nullable image_map;        ///< packet image index -> table index
    uint32_t image_map_count;
    const void *_Nullable const *_Nullable types;   ///< type-table index -> metadata
    const hp_plan *_Nullable const *_Nullable type_plans;  ///< type-table index -> object plan (NULL if not an object type)
    const hp_plan *_Nullable const *_Nullable value_plans; ///< type-table index -> value plan (NULL if it has none)
    /// Type-table index -> the hp_type_need bits resolved so far (`callbacks.resolve_type` fills
    /// the three arrays above as the body needs them); NULL: all are resolved.
    const uint8_t *_Nullable type_ready;
    uint32_t type_count;
    hp_unpack_callbacks callbacks;
    void *_Nullable context;                    ///< passed to `callbacks.resolve_type`
    void *_Nullable observer;
    uint64_t max_objects;
    uint64_t expected_objects;                  ///< the header's object count; the body must make exactly this many
    const uintptr_t *_Nullable static_objects;  ///< the only addresses a static-object reference may name
    uint32_t static_object_count;
    /// The receiver's objects for the packet's names, in order. Inspection only: an entry
    /// may be NULL (its type then goes unchecked), since inspection only reports the name.
    void *_Nullable const *_Nullable named_objects;
    uint32_t named_object_count;
    /// The standard library's native string storage class (`__StringStorage`), if its strings
    /// are laid out as native_string.h lays them out; NULL: every String longer than 15
    /// bytes goes through `callbacks.make_string`.
    const void *_Nullable string_storage;
} hp_unpack_config;

/// Swift: `hp_unpacker_create(&config)`. NULL when out of memory. Free with `hp_unpacker_destroy`.
hp_unpacker *_Nullable hp_unpacker_create(const hp_unpack_config *config);
void hp_unpacker_destroy(hp_unpacker *_Nullable unpacker);

/// Swift: `hp_unpack(unpacker, rootPlan, body, length, destination)`. Reads the body stream,
/// building objects and initializing the root value at `destination`. On success every object
/// holds exactly the references the graph gives it; on failure everything built is freed
/// without running any deinit, `destination` is left uninitialized, and `hp_unpacker_site` and
/// `hp_unpacker_offset` say where. Once per unpacker.
hp_status hp_unpack(hp_unpacker *unpacker, const hp_plan *root, const uint8_t *body, size_t length,
                    void *destination);

/// The walk of `hp_unpack` with all its checks, building nothing, telling the config's `observe`
/// what it reads. Once per unpacker, which serves either this or `hp_unpack`.
hp_status hp_inspect(hp_unpacker *unpacker, const hp_plan *root, const uint8_t *body, size_t length);

/// After `hp_inspect` or `hp_unpack`: what building the value asks (or would ask) the runtime
/// for, in bytes: objects, native strings, existential and error boxes, weak references'
/// side tables, and the storage the Dictionary and Set rebuilds make (estimated from what they
/// are read from). A user's `unpacked(from:)` is not counted.
uint64_t hp_unpacker_build_bytes(const hp_unpacker *unpacker);
/// Where the reader is (or stopped), in bytes from the start of the body.
size_t hp_unpacker_offset(const hp_unpacker *unpacker);
/// After a failure, or during an observer callback: where the walk was.
hp_site hp_unpacker_site(const hp_unpacker *unpacker);
/// During an observer callback: the (plan, op) steps that enclose the one being read,
/// outermost first; `*count_out` of them (0 between values and at the outermost level).
const hp_step *_Nullable hp_unpacker_trail(const hp_unpacker *unpacker, uint32_t *count_out);
/// During an observer callback: the (plan, op) being read (plan NULL between values).
hp_step hp_unpacker_current(const hp_unpacker *unpacker);
/// During an observer callback: the code pointer of the closure being read (for its name).
uintptr_t hp_unpacker_last_code(const hp_unpacker *unpacker);
/// During an observer callback: how many objects the walk has met.
uint32_t hp_unpacker_object_count(const hp_unpacker *unpacker);
/// During an observer callback: an object met so far, its plan and its tail element count.
const hp_plan *_Nullable hp_unpacker_object_plan(const hp_unpacker *unpacker, uint32_t index, uint64_t *count_out);

// MARK: - Checksum

/// XXH3-64 of `bytes` with `seed` (not cryptographic: it catches corruption, not forgery).
uint64_t hp_checksum(const uint8_t *bytes, size_t length, uint64_t seed);

#pragma clang assume_nonnull end

#ifdef __cplusplus
}
#endif

#endif
