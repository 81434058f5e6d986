// Function names for error paths. The main executable exports no Swift symbols, so dladdr
// cannot name a closure; the image file's ELF symbol table (.symtab, present unless the binary
// was stripped) can. Only error paths call this: it reads the file each time.
#define _GNU_SOURCE
#include "hp_internal.h"
#include <elf.h>
#include <stdio.h>

static bool read_at(FILE *file, uint64_t offset, void *buffer, size_t size) {
    return fseeko(file, (off_t)offset, SEEK_SET) == 0 && fread(buffer, 1, size, file) == size;
}

bool hp_symbol_name(const hp_image_table *table, uintptr_t address, char *name_out, size_t capacity) {
    uint32_t image;
    uint64_t offset;
    if (capacity == 0 || !hp_image_table_locate(table, address, &image, &offset)) return false;
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
        Elf64_Sym best = { 0 };
        for (uint64_t i = 0; i < count; i++) {
            const Elf64_Sym *symbol = &symbols[i];
            if (ELF64_ST_TYPE(symbol->st_info) != STT_FUNC || symbol->st_value > offset) continue;
            if (offset < symbol->st_value + (symbol->st_size ? symbol->st_size : 1)) { best = *symbol; break; }
        }
        free(symbols);
        if (best.st_name && best.st_name < strtab->sh_size) {
            size_t length = capacity - 1;
            if (length > strtab->sh_size - best.st_name) length = (size_t)(strtab->sh_size - best.st_name);
            if (read_at(file, strtab->sh_offset + best.st_name, name_out, length)) {
                name_out[length] = 0;
                found = name_out[0] != 0;
            }
        }
    }
    fclose(file);
    return found;
}
