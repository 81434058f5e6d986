// The fatal-signal handler of a cluster worker. A worker that dies in a task should tell its
// coordinator where: the handler walks the stack with libunwind (local unwinding is
// async-signal-safe) and writes one line per frame to the report descriptor, using write() only.
// The coordinator demangles the names; the handler must not allocate.
#include "CHeapPackCluster.h"

#define UNW_LOCAL_ONLY
#include <libunwind.h>

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { HPC_MAX_FRAMES = 128, HPC_NAME_CAPACITY = 1024, HPC_ALT_STACK_SIZE = 256 * 1024 };

static const int hpc_fatal_signals[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP};

// Process-wide state, which a signal handler has no other way to reach: the report descriptor,
// and the alternate stack (kept here also so LeakSanitizer sees it is still in use).
static volatile int hpc_report_fd = -1;
static void *hpc_alternate_stack;

static void hpc_put(const char *bytes, size_t length) {
    while (length > 0) {
        ssize_t written = write(hpc_report_fd, bytes, length);
        if (written < 0) {
            if (errno == EINTR) continue;
            return;
        }
        bytes += written;
        length -= (size_t)written;
    }
}

static void hpc_put_string(const char *text) { hpc_put(text, strlen(text)); }

static void hpc_put_number(uint64_t value, unsigned base) {
    char digits[24];
    size_t index = sizeof digits;
    do {
        digits[--index] = "0123456789abcdef"[value % base];
        value /= base;
    } while (value != 0 && index > 0);
    hpc_put(digits + index, sizeof digits - index);
}

static void hpc_on_fatal_signal(int signal_number, siginfo_t *info, void *context) {
    (void)info;
    int saved_errno = errno;
    hpc_put_string("signal ");
    hpc_put_number((uint64_t)signal_number, 10);
    hpc_put_string("\n");

    // Start at the interrupted frame, not at this handler: the signal's context is the register
    // state of the instruction that faulted (or called raise()).
    unw_cursor_t cursor;
    if (unw_init_local2(&cursor, (unw_context_t *)context, UNW_INIT_SIGNAL_FRAME) == 0) {
        static char name[HPC_NAME_CAPACITY];  // static: the alternate stack is small
        for (int depth = 0; depth < HPC_MAX_FRAMES; depth++) {
            unw_word_t ip = 0, offset = 0;
            if (unw_get_reg(&cursor, UNW_REG_IP, &ip) != 0 || ip == 0) break;
            hpc_put_string("frame 0x");
            hpc_put_number((uint64_t)ip, 16);
            int status = unw_get_proc_name(&cursor, name, sizeof name, &offset);
            if (status == 0 || status == -UNW_ENOMEM) {
                name[sizeof name - 1] = 0;
                hpc_put_string(" ");
                hpc_put_string(name);
                hpc_put_string("+0x");
                hpc_put_number((uint64_t)offset, 16);
            } else {
                hpc_put_string(" ?");
            }
            hpc_put_string("\n");
            if (unw_step(&cursor) <= 0) break;
        }
    }
    hpc_put_string("end\n");

    // SA_RESETHAND restored the default action: the pending signal kills the process once this
    // handler returns (a faulting instruction would also fault again).
    errno = saved_errno;
    raise(signal_number);
}

int hpc_install_crash_reporter(int report_fd) {
    stack_t alternate = {0};
    alternate.ss_size = HPC_ALT_STACK_SIZE;
    if (hpc_alternate_stack == NULL) hpc_alternate_stack = malloc(alternate.ss_size);
    if (hpc_alternate_stack == NULL) return ENOMEM;
    alternate.ss_sp = hpc_alternate_stack;
    if (sigaltstack(&alternate, NULL) != 0) return errno;

    hpc_report_fd = report_fd;
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_sigaction = hpc_on_fatal_signal;
    action.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESETHAND;
    sigemptyset(&action.sa_mask);
    for (size_t index = 0; index < sizeof hpc_fatal_signals / sizeof hpc_fatal_signals[0]; index++) {
        if (sigaction(hpc_fatal_signals[index], &action, NULL) != 0) return errno;
    }
    return 0;
}
