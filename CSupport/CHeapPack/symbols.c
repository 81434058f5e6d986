// Function names for error paths. The main executable exports no Swift symbols, so dladdr
// cannot name a closure; the image file's ELF symbol table (.symtab, present unless the binary
// was stripped) can. It reads the file each time: only error paths ask for names, and only code
// without unwind information asks whether an address starts a function (see code.c).
#define _GNU_SOURCE
#include "hp_internal.h"
#include <elf.h>
#include <stdio.h>

static bool read_at(FILE *file, uint64_t offset, void *buffer, size_t size) {
    return fseeko(file, (off_t)offset, SEEK_SET) == 0 && fread(buffer, 1, size, file) == size;
}

/// Calls `visit` with each function symbol of the image file holding `address` (`offset` is its
/// offset from the load bias), until it returns true. False if none did or the file is unreadable.
typedef bool (*symbol_visitor)(FILE *file, const Elf64_Shdr *strtab, const Elf64_Sym *symbol, uint64_t offset,
                               void *state);

static bool visit_functions(const hp_image_table *table, uintptr_t address, symbol_visitor visit, void *state) {
    uint32_t image;
    uint64_t offset;
    if (!hp_image_table_locate(table, address, &image, &offset)) return false;
    const char *path = table->images[image].path;
    FILE *file = fopen(path[0] ? path : "/proc/self/exe", "rb");
    if (!file) return false;
    bool found = false;
    Elf64_Ehdr header;
    if (!read_at(file, 0, &header, sizeof header) || memcmp(header.e_ident, ELFMAG, SELFMAG) != 0
        || header.e_ident[EI_CLASS] != ELFCLASS64 || header.e_shentsize != sizeof(Elf64_Shdr) || header.e_shnum > 4096) {
        fclose(file);
        return false;
    }
    Elf64_Shdr sections[header.e_shnum ? header.e_shnum : 1];
    if (!read_at(file, header.e_shoff, sections, sizeof(Elf64_Shdr) * header.e_shnum)) {
        fclose(file);
        return false;
    }
    for (uint32_t s = 0; s < header.e_shnum && !found; s++) {
        const Elf64_Shdr *symtab = &sections[s];
        if (symtab->sh_type != SHT_SYMTAB || symtab->sh_entsize != sizeof(Elf64_Sym) || symtab->sh_link >= header.e_shnum)
            continue;
        const Elf64_Shdr *strtab = &sections[symtab->sh_link];
        if (symtab->sh_size > ((uint64_t)256 << 20)) continue;
        Elf64_Sym *symbols = malloc(symtab->sh_size ? symtab->sh_size : 1);
        if (!symbols) continue;
        uint64_t count = read_at(file, symtab->sh_offset, symbols, symtab->sh_size) ? symtab->sh_size / sizeof(Elf64_Sym) : 0;
        for (uint64_t i = 0; i < count && !found; i++) {
            const Elf64_Sym *symbol = &symbols[i];
            // Imported functions are listed too, undefined, at value 0: they are not here.
            if (ELF64_ST_TYPE(symbol->st_info) != STT_FUNC || symbol->st_shndx == SHN_UNDEF || symbol->st_value > offset)
                continue;
            found = visit(file, strtab, symbol, offset, state);
        }
        free(symbols);
    }
    fclose(file);
    return found;
}

typedef struct name_state { char *name_out; size_t capacity; } name_state;

static bool name_if_containing(FILE *file, const Elf64_Shdr *strtab, const Elf64_Sym *symbol, uint64_t offset,
                               void *state) {
    name_state *wanted = state;
    if (offset >= symbol->st_value + (symbol->st_size ? symbol->st_size : 1)) return false;
    if (!symbol->st_name || symbol->st_name >= strtab->sh_size) return true;
    size_t length = wanted->capacity - 1;
    if (length > strtab->sh_size - symbol->st_name) length = (size_t)(strtab->sh_size - symbol->st_name);
    if (!read_at(file, strtab->sh_offset + symbol->st_name, wanted->name_out, length)) return true;
    wanted->name_out[length] = 0;
    return true;
}

bool hp_symbol_name(const hp_image_table *table, uintptr_t address, char *name_out, size_t capacity) {
    if (capacity == 0) return false;
    name_out[0] = 0;
    name_state state = { name_out, capacity };
    return visit_functions(table, address, name_if_containing, &state) && name_out[0] != 0;
}

static bool starts_at(FILE *file, const Elf64_Shdr *strtab, const Elf64_Sym *symbol, uint64_t offset, void *state) {
    (void)file; (void)strtab; (void)state;
    return symbol->st_value == offset;
}

bool hp_symbol_starts_function(const hp_image_table *table, uintptr_t address) {
    return visit_functions(table, address, starts_at, NULL);
}
