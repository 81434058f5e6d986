// What a cluster worker process needs from C: a fatal-signal handler that reports the crashing
// stack before the process dies (it must be async-signal-safe, which Swift code cannot promise),
// and the Linux calls Swift cannot reach through Glibc (variadic or without a libc wrapper).
#ifndef CHEAPPACKCLUSTER_H
#define CHEAPPACKCLUSTER_H

#include <sys/types.h>

#pragma clang assume_nonnull begin

/// Swift: `hpc_install_crash_reporter(fd)`.
/// Installs, on an alternate signal stack, a handler for SIGSEGV, SIGBUS, SIGILL, SIGFPE,
/// SIGABRT and SIGTRAP that writes the crashing thread's stack to `report_fd` and then lets the
/// signal kill the process (so its wait status still names the signal). The report is text:
///     signal <number>
///     frame 0x<ip> <symbol>+0x<offset>     (or `frame 0x<ip> ?` without a symbol)
///     ...
///     end
/// Symbols are raw (mangled) names: demangling allocates, which a signal handler must not.
/// Returns 0, or an errno value if the alternate stack or a handler could not be installed.
int hpc_install_crash_reporter(int report_fd);

/// Swift: `hpc_set_parent_death_signal(SIGKILL)`. prctl(PR_SET_PDEATHSIG): the kernel sends
/// `signal` to this process when the thread that started it exits. Returns 0 or errno.
int hpc_set_parent_death_signal(int signal);

/// Swift: `hpc_pidfd_open(pid)`. A descriptor that poll() reports readable once process `pid`
/// has exited (Linux 5.3), or -1 with errno set.
int hpc_pidfd_open(pid_t pid);

/// Swift: `hpc_pipe(&descriptors)`. pipe2(O_CLOEXEC), which Glibc's Swift module hides behind
/// _GNU_SOURCE. Returns 0, or -1 with errno set.
int hpc_pipe(int *descriptors);

/// Swift: `hpc_wakeup_create()`. A non-blocking, close-on-exec eventfd: one thread writes to wake
/// another's poll(). Returns the descriptor, or -1 with errno set.
int hpc_wakeup_create(void);

/// Swift: `hpc_processor_count()`. The processors this process may run on (its affinity mask),
/// at least 1.
int hpc_processor_count(void);

#pragma clang assume_nonnull end

#endif
