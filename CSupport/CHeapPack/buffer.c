// Byte buffers and growable arrays: the only allocation sites of the walk loop, so that every
// size computation is overflow-checked in one place.
#include "hp_internal.h"

hp_status hp_buffer_reserve(hp_buffer *buffer, size_t extra) {
    if (buffer->capacity - buffer->count >= extra) return HP_OK;
    size_t needed = buffer->count + extra;
    if (needed < buffer->count) return HP_ERR_NO_MEMORY;
    size_t capacity = buffer->capacity ? buffer->capacity : 256;
    while (capacity < needed) {
        if (capacity > SIZE_MAX / 2) return HP_ERR_NO_MEMORY;
        capacity *= 2;
    }
    uint8_t *bytes = realloc(buffer->bytes, capacity);
    if (!bytes) return HP_ERR_NO_MEMORY;
    buffer->bytes = bytes;
    buffer->capacity = capacity;
    return HP_OK;
}

void hp_buffer_free(hp_buffer *buffer) {
    free(buffer->bytes);
    memset(buffer, 0, sizeof *buffer);
}

hp_status hp_grown_capacity(uint32_t capacity, size_t element_size, uint32_t needed, uint32_t *grown_out) {
    uint64_t cap = capacity ? capacity : 64;
    while (cap < needed) cap *= 2;
    if (cap > UINT32_MAX) cap = UINT32_MAX;
    if (cap < needed) return HP_ERR_LIMIT;
    if (cap > SIZE_MAX / element_size) return HP_ERR_NO_MEMORY;
    *grown_out = (uint32_t)cap;
    return HP_OK;
}

hp_status hp_grow(void **array, uint32_t *capacity, size_t element_size, uint32_t needed) {
    if (needed <= *capacity) return HP_OK;
    uint32_t cap;
    hp_status s = hp_grown_capacity(*capacity, element_size, needed, &cap);
    if (s != HP_OK) return s;
    void *grown = realloc(*array, (size_t)cap * element_size);
    if (!grown) return HP_ERR_NO_MEMORY;
    *array = grown;
    *capacity = (uint32_t)cap;
    return HP_OK;
}

hp_status hp_grow_frames(void **steps, size_t step_size, void **frames, size_t frame_size, uint32_t *capacity,
                         uint32_t needed) {
    if (needed <= *capacity) return HP_OK;
    uint32_t old = *capacity, step_capacity = *capacity, frame_capacity = *capacity;
    hp_status s = hp_grow(steps, &step_capacity, step_size, needed);
    if (s == HP_OK) s = hp_grow(frames, &frame_capacity, frame_size, step_capacity);
    if (s != HP_OK) return s;
    // New frames own nothing yet (a frame's scratch memory outlives its use, for reuse).
    memset((uint8_t *)*frames + (size_t)old * frame_size, 0, (size_t)(frame_capacity - old) * frame_size);
    *capacity = step_capacity < frame_capacity ? step_capacity : frame_capacity;
    return HP_OK;
}
