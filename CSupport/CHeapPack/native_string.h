// A native String's storage, made by the reader as the standard library makes it.
#ifndef HP_NATIVE_STRING_H
#define HP_NATIVE_STRING_H

#include "hp_internal.h"

// __StringStorage as the standard library lays it out on 64-bit targets
// (stdlib/public/core/StringStorage.swift, _allocateStringStorage and __StringStorage.create):
// the object header, its capacity and flags (real capacity in bits 0-47: the tail's bytes but
// the breadcrumbs pointer; bit 63: a breadcrumbs pointer ends the tail, for a capacity of 64
// bytes or more), its count and flags (as the String's first word), then the UTF-8, a NUL, and
// the nil breadcrumbs pointer in the last word. The standard library rounds the allocation up
// to 16 bytes, and past 128 bytes also claims malloc's spare bytes as capacity, which is only
// room to append in place: without them the capacity is what it claims where malloc cannot say.
#define HP_STRING_BREADCRUMB_STRIDE 64
#define HP_STRING_HAS_BREADCRUMBS (1ull << 63)
#define HP_STRING_ASCII_FLAGS (0xCull << 60)    // isASCII, isNFC
#define HP_STRING_NATIVE_FLAGS (0x3ull << 60)   // isNativelyStored, isTailAllocated

/// 16 bytes or more, 16 at a time and the last 16 wherever they start, telling whether every one
/// is ASCII: the copy's loads are the test's (a separate test before the copy took as many
/// instructions as the copy). For a short string, quicker than a call to memcpy.
HP_INLINE static bool hp_copy_ascii_text(uint8_t *to, const uint8_t *from, size_t count) {
    typedef uint64_t block __attribute__((vector_size(16), aligned(1)));
    block high = { 0, 0 }, b;
#pragma clang loop unroll(disable) vectorize(disable)
    for (size_t i = 0; i + 16 < count; i += 16) {
        __builtin_memcpy_inline(&b, from + i, 16);
        __builtin_memcpy_inline(to + i, &b, 16);
        high |= b;
    }
    __builtin_memcpy_inline(&b, from + count - 16, 16);
    __builtin_memcpy_inline(to + count - 16, &b, 16);
    high |= b;
    return ((high[0] | high[1]) & 0x8080808080808080ull) == 0;
}

/// What storage for `length` bytes may take beyond them, for the walk's count of what it asks
/// for: the header, NUL, breadcrumbs pointer and rounding of hp_native_string_size.
#define HP_NATIVE_STRING_OVERHEAD 56

/// The allocation of native storage for `count` (> 15) bytes.
HP_INLINE static size_t hp_native_string_size(size_t count) {
    bool crumbs = count >= HP_STRING_BREADCRUMB_STRIDE;
    return (HP_STRING_NATIVE_BIAS + count + 1 + (crumbs ? 8 : 0) + 15) & ~(size_t)15;
}

/// New native storage (class `storage`) for `count` (> 15) bytes: its header, capacity, NUL and
/// breadcrumbs pointer written; the text and count are hp_finish_native_string's.
/// `direct`: as for hp_alloc_object.
HP_INLINE static uint8_t *hp_new_native_string(bool direct, const void *storage, size_t count) {
    bool crumbs = count >= HP_STRING_BREADCRUMB_STRIDE;
    size_t size = hp_native_string_size(count);
    uint8_t *object = hp_alloc_object(direct, storage, size, HP_MALLOC_ALIGN_MASK);
    uint64_t real_capacity = size - HP_STRING_NATIVE_BIAS - (crumbs ? 8 : 0);
    uint64_t capacity_and_flags = real_capacity | (crumbs ? HP_STRING_HAS_BREADCRUMBS : 0);
    memcpy(object + 16, &capacity_and_flags, 8);
    object[HP_STRING_NATIVE_BIAS + count] = 0;
    if (crumbs) memset(object + size - 8, 0, 8);
    return object;
}

/// Completes storage holding `count` bytes of valid UTF-8, ASCII if `ascii`, and makes the String
/// at `destination` of it: what String(decoding:as:) makes of those bytes.
HP_INLINE static void hp_finish_native_string(uint8_t *object, size_t count, bool ascii, void *destination) {
    uint64_t count_and_flags = (uint64_t)count | HP_STRING_NATIVE_FLAGS | (ascii ? HP_STRING_ASCII_FLAGS : 0);
    memcpy(object + 24, &count_and_flags, 8);
    // A native string's object word is its address, discriminator nibble 0.
    uintptr_t address = (uintptr_t)object;
    memcpy(destination, &count_and_flags, 8);
    memcpy((uint8_t *)destination + 8, &address, 8);
}

#endif
