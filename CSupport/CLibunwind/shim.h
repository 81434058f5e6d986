// CLibunwind: the nongnu libunwind (Debian's libunwind-dev), for one question the reader asks of
// every code pointer a packet names: is this the first instruction of a function? Its
// `unw_get_proc_info_by_ip` answers from .eh_frame, which even stripped binaries keep.
//
// UNW_LOCAL_ONLY selects the local-process entry points (`_UL*` in libunwind.so); without it the
// names resolve to the remote-unwinding library, and the link fails only when an executable or
// test links.
#ifndef CLIBUNWIND_SHIM_H
#define CLIBUNWIND_SHIM_H
#define UNW_LOCAL_ONLY
#include <libunwind.h>
#endif
