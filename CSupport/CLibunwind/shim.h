// libunwind (Debian's libunwind-dev), for the stack of a crashing cluster worker.
// Local unwinding only: without UNW_LOCAL_ONLY the header names the remote-unwinding entry
// points, and the link then fails, but only once an executable or a test links.
#define UNW_LOCAL_ONLY
#include <libunwind.h>
