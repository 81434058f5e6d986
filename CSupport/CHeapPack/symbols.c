// Function symbols of an image, from its file's ELF symbol table (.symtab, present unless the
// binary was stripped). The main executable exports no Swift symbols, so dladdr cannot name a
// closure; the symbol table can. Two callers ask: inspection and error paths name the closure at
// every hop of a path, and the function-entry check (code.c) asks whether an address starts a
// function when the address has no unwind information. Reading the table from the file per
// question cost a megabyte of reads per closure (a fuzzed packet naming closures ran at 4 a
// second), so each image's functions are read once, on the first question, into one sorted
// table of (start, size, name offset), and a lookup is a binary search. Names stay in the file
// and are read one at a time: only paths that are printed ask for them.
#define _GNU_SOURCE
#include "hp_internal.h"
#include <elf.h>
#include <fcntl.h>
#include <unistd.h>

/// The symbol table's bounds: a malformed or hostile file costs at most this much memory.
#define HP_SYMBOLS_MAX_SECTIONS 4096
#define HP_SYMBOLS_MAX_TABLE ((uint64_t)256 << 20)
/// Symbols read from the file per read() call.
#define HP_SYMBOLS_CHUNK 1024

typedef struct hp_function_symbol {
    uint64_t start;         ///< st_value: offset from the image's load bias
    uint64_t size;          ///< st_size; 0 for a symbol without one (it covers its first byte only)
    uint32_t name;          ///< offset in the string table; 0: unnamed
    uint32_t order;         ///< index in .symtab: among symbols at one address, the first listed names it
} hp_function_symbol;

/// One image's defined function symbols, sorted by start, one entry per start. An image whose
/// file cannot be read, is not ELF64 or has no .symtab (stripped) gets an empty table, so that
/// it is not read again.
struct hp_function_symbols {
    hp_function_symbol *entries;
    uint32_t count;
    uint64_t strings_offset;    ///< file offset of the string table
    uint64_t strings_size;
};

static bool read_exactly(int fd, uint64_t offset, void *buffer, size_t size) {
    uint8_t *bytes = buffer;
    while (size > 0) {
        if (offset > (uint64_t)INT64_MAX) return false;
        ssize_t got = pread(fd, bytes, size, (off_t)offset);
        if (got <= 0) return false;
        bytes += got;
        offset += (uint64_t)got;
        size -= (size_t)got;
    }
    return true;
}

static int by_start(const void *a, const void *b) {
    const hp_function_symbol *x = a, *y = b;
    if (x->start != y->start) return x->start < y->start ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

/// Appends the defined function symbols of one SHT_SYMTAB section. Imported functions are
/// listed too, undefined, at value 0: they are not in this image.
static hp_status read_functions(int fd, const Elf64_Shdr *symtab, struct hp_function_symbols *table,
                                uint32_t *capacity) {
    uint64_t total = symtab->sh_size / sizeof(Elf64_Sym);
    Elf64_Sym *chunk = malloc(sizeof(Elf64_Sym) * HP_SYMBOLS_CHUNK);
    if (!chunk) return HP_ERR_NO_MEMORY;
    hp_status status = HP_OK;
    for (uint64_t first = 0; first < total && status == HP_OK; first += HP_SYMBOLS_CHUNK) {
        uint64_t count = total - first < HP_SYMBOLS_CHUNK ? total - first : HP_SYMBOLS_CHUNK;
        if (!read_exactly(fd, symtab->sh_offset + first * sizeof(Elf64_Sym), chunk, count * sizeof(Elf64_Sym))) break;
        for (uint64_t i = 0; i < count; i++) {
            const Elf64_Sym *symbol = &chunk[i];
            if (ELF64_ST_TYPE(symbol->st_info) != STT_FUNC || symbol->st_shndx == SHN_UNDEF) continue;
            status = hp_grow((void **)&table->entries, capacity, sizeof(hp_function_symbol), table->count + 1);
            if (status != HP_OK) break;
            table->entries[table->count++] = (hp_function_symbol){
                symbol->st_value, symbol->st_size, symbol->st_name < table->strings_size ? symbol->st_name : 0,
                (uint32_t)(first + i) };
        }
    }
    free(chunk);
    return status;
}

/// Sorts by start and folds each run of symbols at one address (aliases) into its first entry:
/// the first named one's name, the largest size.
static void sort_and_fold(struct hp_function_symbols *table) {
    if (table->count == 0) return;
    qsort(table->entries, table->count, sizeof(hp_function_symbol), by_start);
    uint32_t kept = 0;
    for (uint32_t i = 0; i < table->count; i++) {
        const hp_function_symbol *next = &table->entries[i];
        hp_function_symbol *last = kept ? &table->entries[kept - 1] : NULL;
        if (last && last->start == next->start) {
            if (next->size > last->size) last->size = next->size;
            if (!last->name) last->name = next->name;
        } else {
            table->entries[kept++] = *next;
        }
    }
    table->count = kept;
}

/// Reads the function symbols of image file `path` ("" for the main executable). Out of memory
/// yields NULL; an unreadable or symbol-less file an empty table.
static struct hp_function_symbols *load_functions(const char *path) {
    struct hp_function_symbols *table = calloc(1, sizeof *table);
    if (!table) return NULL;
    int fd = open(path[0] ? path : "/proc/self/exe", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return table;
    Elf64_Ehdr header;
    Elf64_Shdr *sections = NULL;
    hp_status status = HP_OK;
    if (!read_exactly(fd, 0, &header, sizeof header) || memcmp(header.e_ident, ELFMAG, SELFMAG) != 0
        || header.e_ident[EI_CLASS] != ELFCLASS64 || header.e_shentsize != sizeof(Elf64_Shdr)
        || header.e_shnum == 0 || header.e_shnum > HP_SYMBOLS_MAX_SECTIONS)
        goto done;
    sections = malloc(sizeof(Elf64_Shdr) * header.e_shnum);
    if (!sections) { status = HP_ERR_NO_MEMORY; goto done; }
    if (!read_exactly(fd, header.e_shoff, sections, sizeof(Elf64_Shdr) * header.e_shnum)) goto done;
    // ELF allows one SHT_SYMTAB per file.
    for (uint32_t s = 0; s < header.e_shnum; s++) {
        const Elf64_Shdr *symtab = &sections[s];
        if (symtab->sh_type != SHT_SYMTAB || symtab->sh_entsize != sizeof(Elf64_Sym) || symtab->sh_link >= header.e_shnum
            || symtab->sh_size > HP_SYMBOLS_MAX_TABLE)
            continue;
        const Elf64_Shdr *strings = &sections[symtab->sh_link];
        if (strings->sh_type != SHT_STRTAB) continue;
        table->strings_offset = strings->sh_offset;
        table->strings_size = strings->sh_size;
        uint32_t capacity = 0;
        status = read_functions(fd, symtab, table, &capacity);
        break;
    }
done:
    free(sections);
    close(fd);
    if (status != HP_OK) {
        hp_function_symbols_free(table);
        return NULL;
    }
    sort_and_fold(table);
    return table;
}

void hp_function_symbols_free(struct hp_function_symbols *table) {
    if (!table) return;
    free(table->entries);
    free(table);
}

/// Image `image`'s function symbols, read on the first question. The image table is shared by
/// threads: a table is published with one compare-and-swap, and a thread that loses the race
/// frees its own copy. NULL only when memory ran out (a later question tries again).
static const struct hp_function_symbols *functions_of(const hp_image_table *table, uint32_t image) {
    struct hp_function_symbols **slot = &table->images[image].symbols;
    struct hp_function_symbols *known = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
    if (known) return known;
    struct hp_function_symbols *made = load_functions(table->images[image].path);
    if (!made) return NULL;
    if (__atomic_compare_exchange_n(slot, &known, made, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) return made;
    hp_function_symbols_free(made);
    return known;
}

/// The last entry starting at or before `offset`, or NULL.
static const hp_function_symbol *last_at_or_before(const struct hp_function_symbols *functions, uint64_t offset) {
    uint32_t lo = 0, hi = functions->count;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (functions->entries[mid].start <= offset) lo = mid + 1; else hi = mid;
    }
    return lo ? &functions->entries[lo - 1] : NULL;
}

bool hp_symbol_name(const hp_image_table *table, uintptr_t address, char *name_out, size_t capacity) {
    if (capacity == 0) return false;
    name_out[0] = 0;
    uint32_t image;
    uint64_t offset;
    if (!hp_image_table_locate(table, address, &image, &offset)) return false;
    const struct hp_function_symbols *functions = functions_of(table, image);
    if (!functions) return false;
    const hp_function_symbol *symbol = last_at_or_before(functions, offset);
    if (!symbol || offset - symbol->start >= (symbol->size ? symbol->size : 1) || !symbol->name) return false;
    size_t length = capacity - 1;
    if (length > functions->strings_size - symbol->name) length = (size_t)(functions->strings_size - symbol->name);
    const char *path = table->images[image].path;
    int fd = open(path[0] ? path : "/proc/self/exe", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    // The name ends at its NUL or at the string table's end; a read may stop short at the file's end.
    ssize_t got = functions->strings_offset + symbol->name <= (uint64_t)INT64_MAX
                ? pread(fd, name_out, length, (off_t)(functions->strings_offset + symbol->name)) : -1;
    close(fd);
    name_out[got > 0 ? (size_t)got : 0] = 0;
    return name_out[0] != 0;
}

bool hp_symbol_starts_function(const hp_image_table *table, uintptr_t address) {
    uint32_t image;
    uint64_t offset;
    if (!hp_image_table_locate(table, address, &image, &offset)) return false;
    const struct hp_function_symbols *functions = functions_of(table, image);
    if (!functions) return false;
    const hp_function_symbol *symbol = last_at_or_before(functions, offset);
    return symbol && symbol->start == offset;
}
