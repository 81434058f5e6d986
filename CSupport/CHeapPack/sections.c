// The records a binary lists in its Swift metadata sections. A packet names type, protocol and
// capture descriptors as (image, offset); bytes there that merely look like a descriptor would
// have the runtime call an "access function" of the sender's choosing. The reader accepts only
// addresses these sections list: swift5_type_metadata (ELF's name for swift5_types: relative
// pointers to type context descriptors), swift5_protocols (to protocol descriptors) and
// swift5_capture (capture descriptors, one after another). The sections are found through the
// image file's section headers, which stripping keeps, and must lie in the image's file-backed
// bytes; their records are read from memory.
#define _GNU_SOURCE
#include "hp_internal.h"
#include <elf.h>
#include <stdio.h>

static bool read_at(FILE *file, uint64_t offset, void *buffer, size_t size) {
    return fseeko(file, (off_t)offset, SEEK_SET) == 0 && fread(buffer, 1, size, file) == size;
}

/// A section's bytes in memory, if it lies in the image's file-backed segments.
typedef struct section_range { const uint8_t *start; uint64_t size; } section_range;

typedef struct wanted_sections { section_range types, protocols, captures; } wanted_sections;

static void find_sections(const hp_image_table *table, uint32_t image, wanted_sections *out) {
    memset(out, 0, sizeof *out);
    const char *path = table->images[image].path;
    FILE *file = fopen(path[0] ? path : "/proc/self/exe", "rb");
    if (!file) return;
    Elf64_Ehdr header;
    Elf64_Shdr *sections = NULL;
    char *names = NULL;
    if (!read_at(file, 0, &header, sizeof header) || memcmp(header.e_ident, ELFMAG, SELFMAG) != 0
        || header.e_ident[EI_CLASS] != ELFCLASS64 || header.e_shentsize != sizeof(Elf64_Shdr)
        || header.e_shnum == 0 || header.e_shnum > 4096 || header.e_shstrndx >= header.e_shnum)
        goto done;
    sections = malloc(sizeof(Elf64_Shdr) * header.e_shnum);
    if (!sections || !read_at(file, header.e_shoff, sections, sizeof(Elf64_Shdr) * header.e_shnum)) goto done;
    const Elf64_Shdr *strings = &sections[header.e_shstrndx];
    if (strings->sh_size == 0 || strings->sh_size > (1u << 24)) goto done;
    names = malloc(strings->sh_size + 1);
    if (!names || !read_at(file, strings->sh_offset, names, strings->sh_size)) goto done;
    names[strings->sh_size] = 0;
    for (uint32_t s = 0; s < header.e_shnum; s++) {
        const Elf64_Shdr *section = &sections[s];
        if (section->sh_name >= strings->sh_size || !(section->sh_flags & SHF_ALLOC) || section->sh_size == 0) continue;
        const char *name = names + section->sh_name;
        section_range *range = strcmp(name, "swift5_type_metadata") == 0 ? &out->types
                             : strcmp(name, "swift5_protocols") == 0 ? &out->protocols
                             : strcmp(name, "swift5_capture") == 0 ? &out->captures : NULL;
        uintptr_t address;
        // The file on disk must describe the mapped image: its sections lie in file-backed bytes.
        if (range && hp_image_table_resolve(table, image, section->sh_addr, section->sh_size, &address))
            *range = (section_range){ (const uint8_t *)address, section->sh_size };
    }
done:
    free(names);
    free(sections);
    fclose(file);
}

static int by_address(const void *a, const void *b) {
    uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;
    return x < y ? -1 : x > y;
}

/// Room for `capacity` addresses of one section, or NULL (and HP_OK) when it lists none.
static hp_status new_set(uint64_t capacity, uintptr_t **set_out) {
    *set_out = NULL;
    if (capacity == 0) return HP_OK;
    if (capacity > UINT32_MAX) return HP_ERR_NO_MEMORY;
    *set_out = malloc(sizeof(uintptr_t) * capacity);
    return *set_out ? HP_OK : HP_ERR_NO_MEMORY;
}

/// Relative pointers, 4 bytes each, to records of this image. Their two low bits are flags: bit 0
/// says the pointer is indirect (it points at a pointer to the record); in swift5_type_metadata,
/// bit 1 marks the Objective-C kinds, which no Linux image has (`skip_bit_1`); in
/// swift5_protocols it is reserved.
static hp_status list_relative(const hp_image_table *table, uint32_t image, section_range range, bool skip_bit_1,
                               uintptr_t **set_out, uint32_t *count_out) {
    uint64_t capacity = range.size / 4;
    uintptr_t *set;
    hp_status s = new_set(capacity, &set);
    if (s != HP_OK || !set) return s;
    uint32_t count = 0;
    for (uint64_t i = 0; i < capacity; i++) {
        const uint8_t *entry = range.start + 4 * i;
        int32_t relative;
        memcpy(&relative, entry, 4);
        if (skip_bit_1 && (relative & 2)) continue;
        uintptr_t target = (uintptr_t)entry + (intptr_t)(relative & ~3);
        if (relative & 1) {
            uintptr_t slot;
            uint32_t unused_image;
            uint64_t unused_offset;
            if (target % 8 || !hp_image_table_locate(table, target, &unused_image, &unused_offset)) continue;
            memcpy(&slot, (const void *)target, 8);
            target = slot;
        }
        uint32_t owner;
        uint64_t offset;
        if (target % 4 || !hp_image_table_locate(table, target, &owner, &offset) || owner != image) continue;
        set[count++] = target;
    }
    qsort(set, count, sizeof *set, by_address);
    *set_out = set;
    *count_out = count;
    return HP_OK;
}

/// Capture descriptors, each three u32 counts (captures, metadata sources, bindings), then a
/// 4-byte record per capture and an 8-byte record per metadata source; walked until one overruns.
static hp_status list_captures(section_range range, uintptr_t **set_out, uint32_t *count_out) {
    uintptr_t *set;
    hp_status s = new_set(range.size / 12, &set);
    if (s != HP_OK || !set) return s;
    uint32_t count = 0;
    uint64_t at = 0;
    while (range.size - at >= 12) {
        uint32_t header[3];
        memcpy(header, range.start + at, 12);
        uint64_t size = 12 + 4 * (uint64_t)header[0] + 8 * (uint64_t)header[1];
        if (size > range.size - at) break;
        set[count++] = (uintptr_t)(range.start + at);
        at += size;
    }
    *set_out = set;
    *count_out = count;
    return HP_OK;
}

hp_status hp_image_sections_load(const hp_image_table *table, uint32_t image, hp_image_sections *sections) {
    memset(sections, 0, sizeof *sections);
    if (image >= table->image_count) return HP_OK;
    wanted_sections found;
    find_sections(table, image, &found);
    hp_status s = list_relative(table, image, found.types, true, &sections->types, &sections->type_count);
    if (s == HP_OK) s = list_relative(table, image, found.protocols, false, &sections->protocols, &sections->protocol_count);
    if (s == HP_OK) s = list_captures(found.captures, &sections->captures, &sections->capture_count);
    if (s != HP_OK) hp_image_sections_free(sections);
    return s;
}

void hp_image_sections_free(hp_image_sections *sections) {
    free(sections->types);
    free(sections->protocols);
    free(sections->captures);
    memset(sections, 0, sizeof *sections);
}

bool hp_address_listed(const uintptr_t *_Nullable set, uint32_t count, uintptr_t address) {
    uint32_t lo = 0, hi = count;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (set[mid] == address) return true;
        if (set[mid] < address) lo = mid + 1; else hi = mid;
    }
    return false;
}
