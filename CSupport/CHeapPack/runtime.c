// Calls into the Swift runtime that need the Swift calling convention or are not importable
// into Swift. Declared here, next to their only users, rather than in a public header.
#define _GNU_SOURCE
#include "hp_internal.h"
#include <link.h>

#define SWIFTCC __attribute__((swiftcall))

extern void *swift_allocObject(const void *metadata, size_t size, size_t align_mask);
extern void swift_deallocUninitializedObject(void *object, size_t size, size_t align_mask);
extern const void *swift_getTypeByMangledNameInContext(const char *name, size_t length,
                                                       const void *context, const void *const *arguments) SWIFTCC;

typedef uint32_t (*get_enum_tag_fn)(const void *value, const void *metadata) SWIFTCC;

// EnumValueWitnessTable extends the ValueWitnessTable: getEnumTag, destructiveProjectEnumData,
// destructiveInjectEnumTag follow the 88-byte base table (include/swift/ABI/ValueWitness.def).
#define HP_VWT_GET_ENUM_TAG 88
#define HP_VWT_PROJECT_ENUM_DATA 96
#define HP_VWT_INJECT_ENUM_TAG 104

uint32_t hp_enum_tag(const void *value, const void *metadata) {
    const uint8_t *vwt = ((const uint8_t *const *)metadata)[-1];
    get_enum_tag_fn fn;
    memcpy(&fn, vwt + HP_VWT_GET_ENUM_TAG, sizeof fn);
    return fn(value, metadata);
}

uint32_t hp_enum_case(const void *value, const void *metadata) { return hp_enum_tag(value, metadata); }

void *hp_alloc_object_by_runtime(const void *metadata, size_t size, size_t align_mask) {
    return swift_allocObject(metadata, size, align_mask);
}

/// The runtime's allocation hook (swift/Runtime/InstrumentsSupport.h).
extern void *_swift_allocObject;
/// The hook's value when the shim first looked, if it was the runtime's own then; else NULL.
static void *runtime_alloc_hook;
static pthread_once_t alloc_hook_once = PTHREAD_ONCE_INIT;

struct hp_hook_search { uintptr_t hook, runtime; bool same; };

static bool in_object(const struct dl_phdr_info *info, uintptr_t address) {
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *segment = &info->dlpi_phdr[i];
        uintptr_t start = info->dlpi_addr + segment->p_vaddr;
        if (segment->p_type == PT_LOAD && address >= start && address - start < segment->p_memsz) return true;
    }
    return false;
}

static int search_object(struct dl_phdr_info *info, size_t size, void *context) {
    (void)size;
    struct hp_hook_search *search = context;
    if (!in_object(info, search->runtime)) return 0;
    search->same = in_object(info, search->hook);
    return 1;
}

/// The hook is the runtime's own when it points into the object that defines swift_allocObject;
/// a tool's replacement lives elsewhere. (dladdr would say as much, but searches the symbol
/// table: a million instructions.) Until this runs, and for ever if the hook was replaced by
/// then, every object goes through swift_allocObject.
static void find_alloc_hook(void) {
    void *hook = _swift_allocObject;
    struct hp_hook_search search = { (uintptr_t)hook, (uintptr_t)swift_allocObject, false };
    if (hook && dl_iterate_phdr(search_object, &search) && search.same) runtime_alloc_hook = hook;
}

bool hp_allocates_directly(void) {
    (void)pthread_once(&alloc_hook_once, find_alloc_hook);
    return runtime_alloc_hook != NULL && _swift_allocObject == runtime_alloc_hook;
}

void hp_dealloc_uninitialized_object(void *object, size_t size, size_t align_mask) {
    swift_deallocUninitializedObject(object, size, align_mask);
}

const void *hp_type_by_mangled_name(const char *name, size_t length, const void *context,
                                    const void *const *arguments) {
    return swift_getTypeByMangledNameInContext(name, length, context, arguments);
}

typedef void (*project_fn)(void *value, const void *metadata) SWIFTCC;

void hp_enum_project(void *value, const void *metadata) {
    const uint8_t *vwt = ((const uint8_t *const *)metadata)[-1];
    project_fn fn;
    memcpy(&fn, vwt + HP_VWT_PROJECT_ENUM_DATA, sizeof fn);
    fn(value, metadata);
}

typedef void (*inject_fn)(void *value, uint32_t tag, const void *metadata) SWIFTCC;

uint32_t hp_enum_canonical(const hp_plan *e, const uint8_t *value, uint8_t *out) {
    _Alignas(16) uint8_t copy[HP_MAX_TAG_SIZE];
    memcpy(copy, value, e->size);
    uint32_t tag = hp_enum_tag(copy, e->metadata);
    memset(out, 0, e->size);
    if (tag >= e->case_count) return tag;
    if (tag < e->payload_case_count) {
        hp_enum_project(copy, e->metadata);
        memcpy(out, copy, e->payloads[tag]->size);
    }
    hp_enum_inject(out, tag, e->metadata);
    return tag;
}

void hp_enum_inject(void *value, uint32_t tag, const void *metadata) {
    const uint8_t *vwt = ((const uint8_t *const *)metadata)[-1];
    inject_fn fn;
    memcpy(&fn, vwt + HP_VWT_INJECT_ENUM_TAG, sizeof fn);
    fn(value, tag, metadata);
}

extern void *swift_retain_n(void *object, uint32_t n);
extern bool swift_isUniquelyReferenced_nonNull_native(const void *object);

bool hp_is_uniquely_referenced(const void *object) {
    return swift_isUniquelyReferenced_nonNull_native(object);
}

void hp_retain_n(void *object, uint32_t n) {
    swift_retain_n(object, n);
}

typedef struct hp_metadata_response { const void *metadata; size_t state; } hp_metadata_response;
extern hp_metadata_response swift_getGenericMetadata(size_t request, const void *const *arguments,
                                                     const void *descriptor) SWIFTCC;
typedef hp_metadata_response (*hp_accessor_fn)(size_t request) SWIFTCC;

const void *hp_metadata_for_descriptor(const void *descriptor, const void *const *arguments) {
    // MetadataRequest 0: complete metadata, blocking.
    if (arguments) return swift_getGenericMetadata(0, arguments, descriptor).metadata;
    int32_t relative;
    memcpy(&relative, (const uint8_t *)descriptor + 12, 4);
    if (relative == 0) return NULL;
    hp_accessor_fn accessor = (hp_accessor_fn)(uintptr_t)((const uint8_t *)descriptor + 12 + relative);
    return accessor(0).metadata;
}

extern const void *swift_conformsToProtocol(const void *type, const void *protocol);

const void *hp_conformance(const void *type, const void *protocol) {
    return swift_conformsToProtocol(type, protocol);
}

typedef struct hp_box_pair { void *object; void *buffer; } hp_box_pair;
extern hp_box_pair swift_allocBox(const void *type) SWIFTCC;

void *hp_alloc_box(const void *type, void **buffer_out) {
    hp_box_pair pair = swift_allocBox(type);
    *buffer_out = pair.buffer;
    return pair.object;
}

extern const void *swift_getExistentialTypeMetadata(uint8_t class_constraint, const void *superclass,
                                                    size_t count, const void *const *protocols) SWIFTCC;

const void *hp_existential_metadata(bool class_bound, const void *superclass, size_t count,
                                    const void *const *protocols) {
    // ProtocolClassConstraint: 0 = class, 1 = any.
    return swift_getExistentialTypeMetadata(class_bound ? 0 : 1, superclass, count, protocols);
}

extern void *swift_weakLoadStrong(void *reference);
extern void *swift_weakInit(void *reference, void *object);
extern void *swift_unownedRetain(void *object);
extern void swift_release(void *object);

void *hp_weak_load_strong(const void *reference) { return swift_weakLoadStrong((void *)reference); }
void hp_weak_init(void *reference, void *object) { swift_weakInit(reference, object); }
void hp_unowned_retain(void *object) { swift_unownedRetain(object); }
void hp_release(void *object) { swift_release(object); }

extern hp_box_pair swift_allocError(const void *type, const void *conformance, void *value, bool take) SWIFTCC;

void *hp_alloc_error(const void *type, const void *conformance, void **buffer_out) {
    hp_box_pair pair = swift_allocError(type, conformance, NULL, false);
    *buffer_out = pair.buffer;
    return pair.object;
}

extern const void *swift_getExistentialMetatypeMetadata(const void *instance) SWIFTCC;
extern const void *swift_getMetatypeMetadata(const void *instance) SWIFTCC;

const void *hp_metatype_metadata(const void *instance, bool existential) {
    return existential ? swift_getExistentialMetatypeMetadata(instance) : swift_getMetatypeMetadata(instance);
}

extern const void *swift_getTypeByMangledNameInEnvironment(const char *name, size_t length, const void *environment,
                                                           const void *const *arguments) SWIFTCC;

const void *hp_type_by_mangled_name_with_parameters(const char *name, size_t length, uint32_t count,
                                                    const void *const *parameters) {
    // A TargetGenericEnvironment with one level of `count` key type parameters and no
    // requirements: flags (levels | requirements << 12), parameter counts per level, then one
    // GenericParamDescriptor per parameter (0x80: has a key argument, kind type).
    if (count == 0 || count > 64) return NULL;
    struct { uint32_t flags; uint16_t counts[1]; uint8_t parameters[64]; } __attribute__((aligned(4))) environment;
    environment.flags = 1;
    environment.counts[0] = (uint16_t)count;
    memset(environment.parameters, 0x80, count);
    return swift_getTypeByMangledNameInEnvironment(name, length, &environment, parameters);
}

extern void swift_deallocBox(void *object);
extern void swift_deallocError(void *error, const void *type);

void hp_dealloc_box(void *box) { swift_deallocBox(box); }
void hp_dealloc_error(void *box, const void *type) { swift_deallocError(box, type); }

const void *hp_box_metadata(const void *type) {
    // The runtime makes (and caches) box metadata per boxed type; a box made and freed at
    // once is the way to get it. swift_deallocBox frees without destroying the (unset) value.
    hp_box_pair pair = swift_allocBox(type);
    const void *metadata = *(const void *const *)pair.object;
    swift_deallocBox(pair.object);
    return metadata;
}

extern char *swift_demangle(const char *mangled, size_t length, char *output, size_t *output_length, uint32_t flags);

char *hp_demangle(const char *name, size_t length) {
    return swift_demangle(name, length, NULL, NULL, 0);
}
