// Why a checksum: a packet that was cut or bit-flipped in transit must be refused before any of
// its offsets are trusted. Four independent multiply-rotate lanes keep this near memory speed.
#include "hp_internal.h"

static inline uint64_t rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }
static inline uint64_t round64(uint64_t acc, uint64_t input) {
    acc += input * 0xC2B2AE3D27D4EB4Full;
    return rotl(acc, 31) * 0x9E3779B185EBCA87ull;
}
static inline uint64_t load64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

uint64_t hp_checksum(const uint8_t *bytes, size_t length, uint64_t seed) {
    uint64_t a = seed + 0x9E3779B185EBCA87ull, b = seed ^ 0xC2B2AE3D27D4EB4Full;
    uint64_t c = seed, d = seed - 0x9E3779B185EBCA87ull;
    size_t i = 0;
    for (; i + 32 <= length; i += 32) {
        a = round64(a, load64(bytes + i));
        b = round64(b, load64(bytes + i + 8));
        c = round64(c, load64(bytes + i + 16));
        d = round64(d, load64(bytes + i + 24));
    }
    uint64_t h = rotl(a, 1) + rotl(b, 7) + rotl(c, 12) + rotl(d, 18) + (uint64_t)length;
    for (; i + 8 <= length; i += 8) h = rotl(h ^ round64(0, load64(bytes + i)), 27) * 0x9E3779B185EBCA87ull;
    for (; i < length; i++) h = rotl(h ^ (bytes[i] * 0x27D4EB2F165667C5ull), 11) * 0x9E3779B185EBCA87ull;
    h ^= h >> 33; h *= 0xC2B2AE3D27D4EB4Full; h ^= h >> 29; h *= 0x165667B19E3779F9ull; h ^= h >> 32;
    return h;
}
