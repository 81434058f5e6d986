// Whether an address is the first instruction of a function. A packet names code as (image,
// offset), and an offset of the sender's choosing could land mid-instruction, on the ELF header
// or in .rodata of an executable segment; the reader accepts only function entries. The answer
// comes from .eh_frame through libunwind (present in stripped binaries too), and from the ELF
// symbol table for code that has no unwind information.
#include "hp_internal.h"
// The system library target CLibunwind (its module map is given to this target, not its header path).
#include "../CLibunwind/shim.h"

bool hp_code_entry(const hp_image_table *table, uintptr_t address) {
    uint32_t image;
    uint64_t offset;
    if (address == 0 || !hp_image_table_locate(table, address, &image, &offset)) return false;
    unw_proc_info_t info;
    memset(&info, 0, sizeof info);
    if (unw_get_proc_info_by_ip(unw_local_addr_space, (unw_word_t)address, &info, NULL) == 0)
        return info.start_ip == (unw_word_t)address;
    return hp_symbol_starts_function(table, address);
}

bool hp_async_function_entry(const hp_image_table *table, uintptr_t address) {
    uint32_t image;
    uint64_t offset;
    uintptr_t record;
    if (address % 4 || !hp_image_table_locate(table, address, &image, &offset)
        || !hp_image_table_resolve(table, image, offset, 8, &record))
        return false;
    int32_t relative;
    memcpy(&relative, (const void *)record, 4);
    return hp_code_entry(table, record + (intptr_t)relative);
}
