// The image table: which binaries are mapped where. A code or static-data pointer travels as
// (image, offset from the image's load bias); the image is named in the packet by its GNU
// build-id, so a receiver can tell an identical binary from a rebuilt one.
#define _GNU_SOURCE
#include "hp_internal.h"
#include <link.h>
#include <elf.h>

typedef struct collect_state {
    hp_image_table *table;
    uint32_t image_capacity;
    uint32_t segment_capacity;
    hp_status status;
} collect_state;

static void read_build_id(const struct dl_phdr_info *info, hp_image *image) {
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_NOTE) continue;
        const uint8_t *p = (const uint8_t *)(info->dlpi_addr + ph->p_vaddr);
        const uint8_t *end = p + ph->p_memsz;
        while (p + sizeof(ElfW(Nhdr)) <= end) {
            const ElfW(Nhdr) *note = (const ElfW(Nhdr) *)p;
            size_t name_size = (note->n_namesz + 3) & ~(size_t)3;
            size_t desc_size = (note->n_descsz + 3) & ~(size_t)3;
            const uint8_t *name = p + sizeof *note;
            const uint8_t *desc = name + name_size;
            if (desc + desc_size > end) break;
            if (note->n_type == NT_GNU_BUILD_ID && note->n_namesz == 4 && memcmp(name, "GNU", 4) == 0
                && note->n_descsz <= HP_BUILD_ID_MAX) {
                memcpy(image->build_id, desc, note->n_descsz);
                image->build_id_length = note->n_descsz;
                return;
            }
            p = desc + desc_size;
        }
    }
}

static int collect(struct dl_phdr_info *info, size_t size, void *data) {
    (void)size;
    collect_state *state = data;
    hp_image_table *t = state->table;
    hp_status s = hp_grow((void **)&t->images, &state->image_capacity, sizeof(hp_image), t->image_count + 1);
    if (s != HP_OK) { state->status = s; return 1; }
    uint32_t index = t->image_count;
    hp_image *image = &t->images[index];
    memset(image, 0, sizeof *image);
    image->base = info->dlpi_addr;
    image->path = strdup(info->dlpi_name ? info->dlpi_name : "");
    if (!image->path) { state->status = HP_ERR_NO_MEMORY; return 1; }
    t->image_count++;
    read_build_id(info, image);
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD || ph->p_filesz == 0) continue;
        s = hp_grow((void **)&t->segments, &state->segment_capacity, sizeof(hp_segment), t->segment_count + 1);
        if (s != HP_OK) { state->status = s; return 1; }
        uintptr_t start = info->dlpi_addr + ph->p_vaddr;
        t->segments[t->segment_count++] = (hp_segment){ start, start + ph->p_filesz, index };
    }
    return 0;
}

static int by_start(const void *a, const void *b) {
    uintptr_t x = ((const hp_segment *)a)->start, y = ((const hp_segment *)b)->start;
    return x < y ? -1 : x > y;
}

hp_status hp_image_table_load(hp_image_table *table) {
    memset(table, 0, sizeof *table);
    collect_state state = { table, 0, 0, HP_OK };
    dl_iterate_phdr(collect, &state);
    if (state.status != HP_OK) return state.status;
    if (table->image_count == 0) return HP_ERR_UNSUPPORTED;
    qsort(table->segments, table->segment_count, sizeof(hp_segment), by_start);
    return hp_entry_cache_make(table);
}

void hp_image_table_free(hp_image_table *table) {
    for (uint32_t i = 0; i < table->image_count; i++) {
        free(table->images[i].path);
        hp_function_symbols_free(table->images[i].symbols);
    }
    free(table->images);
    free(table->segments);
    hp_entry_cache_free(table);
    memset(table, 0, sizeof *table);
}

static const hp_segment *segment_containing(const hp_image_table *table, uintptr_t address) {
    uint32_t lo = 0, hi = table->segment_count;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        const hp_segment *s = &table->segments[mid];
        if (address < s->start) hi = mid;
        else if (address >= s->end) lo = mid + 1;
        else return s;
    }
    return NULL;
}

bool hp_image_table_locate(const hp_image_table *table, uintptr_t address,
                           uint32_t *image_out, uint64_t *offset_out) {
    const hp_segment *s = segment_containing(table, address);
    if (!s) return false;
    *image_out = s->image;
    *offset_out = address - table->images[s->image].base;
    return true;
}

bool hp_image_table_resolve(const hp_image_table *table, uint32_t image, uint64_t offset,
                            uint64_t span, uintptr_t *address_out) {
    if (image >= table->image_count) return false;
    uintptr_t base = table->images[image].base;
    if (offset > UINTPTR_MAX - base) return false;
    uintptr_t address = base + (uintptr_t)offset;
    if (span > UINTPTR_MAX - address) return false;
    const hp_segment *s = segment_containing(table, address);
    if (s && s->image == image && span <= s->end - address) {
        *address_out = address;
        return true;
    }
    return false;
}
