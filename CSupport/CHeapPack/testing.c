// Wrappers for CHeapPackTesting.h: the shim's private helpers, reachable from its tests.
#include "hp_internal.h"
#include "CHeapPackTesting.h"
#include "../CXXHash/shim.h"

bool hp_test_read_varint(const uint8_t *bytes, size_t length, uint64_t *value_out, size_t *used_out) {
    if (!bytes) return false;
    const uint8_t *cursor = bytes;
    if (!hp_get_varint(&cursor, bytes + length, value_out)) return false;
    *used_out = (size_t)(cursor - bytes);
    return true;
}

size_t hp_test_write_varint(uint64_t value, uint8_t *bytes) {
    hp_buffer buffer = { 0 };
    if (hp_put_varint(&buffer, value) != HP_OK) return 0;
    memcpy(bytes, buffer.bytes, buffer.count);
    size_t count = buffer.count;
    hp_buffer_free(&buffer);
    return count;
}

struct hp_test_map { hp_map map; };

hp_test_map *hp_test_map_create(void) { return calloc(1, sizeof(hp_test_map)); }

void hp_test_map_destroy(hp_test_map *map) {
    if (!map) return;
    hp_map_free(&map->map);
    free(map);
}

hp_status hp_test_map_insert(hp_test_map *map, uintptr_t key, uint32_t value) {
    return hp_map_insert(&map->map, key, value);
}

bool hp_test_map_find(const hp_test_map *map, uintptr_t key, uint32_t *value_out) {
    return hp_map_find(&map->map, key, value_out);
}

uint32_t hp_test_map_count(const hp_test_map *map) { return map->map.count; }
uint32_t hp_test_map_capacity(const hp_test_map *map) { return map->map.capacity; }

uint64_t hp_test_checksum_portable(const uint8_t *bytes, size_t length, uint64_t seed) {
    return XXH3_64bits_withSeed(bytes, length, seed);
}

struct hp_test_kept { hp_kept kept; };

hp_test_kept *hp_test_kept_create(size_t limit) {
    hp_test_kept *k = calloc(1, sizeof *k);
    if (!k) return NULL;
    pthread_mutex_init(&k->kept.lock, NULL);
    k->kept.limit = limit;
    return k;
}

void hp_test_kept_destroy(hp_test_kept *k) {
    if (!k) return;
    hp_kept_empty(&k->kept);
    pthread_mutex_destroy(&k->kept.lock);
    free(k);
}

void *hp_test_kept_take(hp_test_kept *k, size_t bytes, size_t *got) { return hp_kept_take_from(&k->kept, bytes, got); }
void hp_test_kept_give(hp_test_kept *k, void *block, size_t bytes) { hp_kept_give_to(&k->kept, block, bytes); }
size_t hp_test_kept_total(const hp_test_kept *k) { return k->kept.total; }
size_t hp_test_kept_minimum(void) { return HP_KEPT_MIN; }

bool hp_test_object_headers(const void *metadata, size_t size, uint64_t made[2], uint64_t runtime[2]) {
    bool direct = hp_allocates_directly();
    uint64_t *object = hp_alloc_object(direct, metadata, size, 7);
    memcpy(made, object, 16);
    hp_dealloc_uninitialized_object(object, size, 7);
    object = hp_alloc_object_by_runtime(metadata, size, 7);
    memcpy(runtime, object, 16);
    hp_dealloc_uninitialized_object(object, size, 7);
    return direct;
}
