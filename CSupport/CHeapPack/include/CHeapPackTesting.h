// Entry points for the shim's own tests only: thin wrappers around private helpers
// (hp_internal.h) that the walkers inline, so that tests can hit their edge cases directly.
// No HeapPack code calls them.
#ifndef CHEAPPACK_TESTING_H
#define CHEAPPACK_TESTING_H

#include "CHeapPack.h"

#ifdef __cplusplus
extern "C" {
#endif

#pragma clang assume_nonnull begin

/// The walkers' LEB128 reader over `bytes[0..<length]`: false for truncated, overlong (more
/// than 10 bytes) or over-64-bit input; else the value and how many bytes it took.
bool hp_test_read_varint(const uint8_t *_Nullable bytes, size_t length, uint64_t *value_out, size_t *used_out);
/// The writer's LEB128 encoding of `value` into `bytes` (room for 10); returns its length.
size_t hp_test_write_varint(uint64_t value, uint8_t *bytes);

/// The sharing table, opaque: made empty, filled with `hp_test_map_insert`.
typedef struct hp_test_map hp_test_map;
hp_test_map *_Nullable hp_test_map_create(void);
void hp_test_map_destroy(hp_test_map *_Nullable map);
hp_status hp_test_map_insert(hp_test_map *map, uintptr_t key, uint32_t value);
bool hp_test_map_find(const hp_test_map *map, uintptr_t key, uint32_t *value_out);
uint32_t hp_test_map_count(const hp_test_map *map);
uint32_t hp_test_map_capacity(const hp_test_map *map);

/// XXH3-64 by its portable entry point, which never dispatches on the instruction set: what
/// hp_checksum must equal on every machine.
uint64_t hp_test_checksum_portable(const uint8_t *bytes, size_t length, uint64_t seed);

/// The first two words of an object of `size` bytes made by hp_alloc_object (`made`) and of one
/// made by swift_allocObject (`runtime`), both with `metadata`; both objects are freed. Returns
/// whether hp_alloc_object took its own path, the runtime's allocation hook being its own.
bool hp_test_object_headers(const void *metadata, size_t size, uint64_t made[_Nonnull 2], uint64_t runtime[_Nonnull 2]);

/// A set of kept blocks (kept.c) of its own, holding at most `limit` bytes: the process's set
/// changes under a test as other tests pack and unpack. Blocks given must come from malloc.
typedef struct hp_test_kept hp_test_kept;
hp_test_kept *_Nullable hp_test_kept_create(size_t limit);
void hp_test_kept_destroy(hp_test_kept *_Nullable kept);
void *_Nullable hp_test_kept_take(hp_test_kept *kept, size_t bytes, size_t *got);
void hp_test_kept_give(hp_test_kept *kept, void *_Nullable block, size_t bytes);
size_t hp_test_kept_total(const hp_test_kept *kept);
/// Smaller blocks are freed, not kept.
size_t hp_test_kept_minimum(void);

#pragma clang assume_nonnull end

#ifdef __cplusplus
}
#endif

#endif
