// The sharing table (OCaml extern.c style): open addressing with Fibonacci hashing, grown at
// 2/3 load. Objects are recorded before their children are visited, which is what makes
// cycles terminate.
#include "hp_internal.h"

static hp_status map_alloc(hp_map *map, uint32_t capacity) {
    map->keys = calloc(capacity, sizeof(uintptr_t));
    map->values = malloc((size_t)capacity * sizeof(uint32_t));
    if (!map->keys || !map->values) {
        free(map->keys); free(map->values);
        map->keys = NULL; map->values = NULL;
        return HP_ERR_NO_MEMORY;
    }
    map->capacity = capacity;
    map->count = 0;
    map->shift = 64 - (uint32_t)__builtin_ctz(capacity);
    return HP_OK;
}

hp_status hp_map_init(hp_map *map, uint32_t capacity_hint) {
    uint32_t capacity = 64;
    while (capacity < capacity_hint && capacity < (1u << 31)) capacity *= 2;
    return map_alloc(map, capacity);
}

void hp_map_free(hp_map *map) {
    free(map->keys);
    free(map->values);
    memset(map, 0, sizeof *map);
}

static void insert_unchecked(hp_map *map, uintptr_t key, uint32_t value) {
    uint32_t mask = map->capacity - 1;
    uint32_t i = (uint32_t)((key * 11400714819323198485ull) >> map->shift);
    while (map->keys[i] != 0) i = (i + 1) & mask;
    map->keys[i] = key;
    map->values[i] = value;
    map->count++;
}

hp_status hp_map_insert(hp_map *map, uintptr_t key, uint32_t value) {
    if (map->capacity == 0) {
        hp_status s = map_alloc(map, 64);
        if (s != HP_OK) return s;
    }
    if ((uint64_t)(map->count + 1) * 3 > (uint64_t)map->capacity * 2) {
        if (map->capacity >= (1u << 31)) return HP_ERR_LIMIT;
        hp_map old = *map;
        hp_status s = map_alloc(map, old.capacity * 2);
        if (s != HP_OK) { *map = old; return s; }
        for (uint32_t i = 0; i < old.capacity; i++)
            if (old.keys[i]) insert_unchecked(map, old.keys[i], old.values[i]);
        free(old.keys); free(old.values);
    }
    insert_unchecked(map, key, value);
    return HP_OK;
}
