// CXXHash: xxHash (Debian's libxxhash-dev), for the packet checksum. XXH3's value is fixed by its
// specification, not by the instruction set that computes it, so the `_dispatch` entry points may
// pick SSE2, AVX2 or AVX-512 per machine and every node of a cluster still agrees on a packet.
#ifndef CXXHASH_SHIM_H
#define CXXHASH_SHIM_H
#include <xxhash.h>
#if defined(__x86_64__)
#include <xxh_x86dispatch.h>
#endif
#endif
