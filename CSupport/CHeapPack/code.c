// Whether an address is the first instruction of a function. A packet names code as (image,
// offset), and an offset of the sender's choosing could land mid-instruction, on the ELF header
// or in .rodata of an executable segment; the reader accepts only function entries. The answer
// comes from .eh_frame through libunwind (present in stripped binaries too), and from the ELF
// symbol table for code that has no unwind information.
#include "hp_internal.h"
// The system library target CLibunwind (its module map is given to this target, not its header path).
#include "../CLibunwind/shim.h"

hp_status hp_entry_cache_make(hp_image_table *table) {
    table->entries = calloc(1, sizeof *table->entries);
    return table->entries ? HP_OK : HP_ERR_NO_MEMORY;
}

void hp_entry_cache_free(hp_image_table *table) {
    free(table->entries);
    table->entries = NULL;
}

/// The other half of hp_entry_remembered; returns true.
static bool remember(const hp_image_table *table, uintptr_t address, bool async) {
    if (!table->entries) return true;
    _Atomic uintptr_t *slots = async ? table->entries->async_records : table->entries->code;
    atomic_store_explicit(hp_entry_slot(slots, address), address, memory_order_relaxed);
    return true;
}

bool hp_code_entry(const hp_image_table *table, uintptr_t address) {
    if (hp_entry_remembered(table, address, false)) return true;
    uint32_t image;
    uint64_t offset;
    if (address == 0 || !hp_image_table_locate(table, address, &image, &offset)) return false;
    unw_proc_info_t info;
    memset(&info, 0, sizeof info);
    bool entry = unw_get_proc_info_by_ip(unw_local_addr_space, (unw_word_t)address, &info, NULL) == 0
        ? info.start_ip == (unw_word_t)address
        : hp_symbol_starts_function(table, address);
    return entry && remember(table, address, false);
}

bool hp_async_function_entry(const hp_image_table *table, uintptr_t address) {
    if (hp_entry_remembered(table, address, true)) return true;
    uint32_t image;
    uint64_t offset;
    uintptr_t record;
    if (address % 4 || !hp_image_table_locate(table, address, &image, &offset)
        || !hp_image_table_resolve(table, image, offset, 8, &record))
        return false;
    int32_t relative;
    memcpy(&relative, (const void *)record, 4);
    return hp_code_entry(table, record + (intptr_t)relative) && remember(table, address, true);
}
