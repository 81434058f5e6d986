// Blocks kept between walks: the per-object lists of one pack or unpack (its objects and their
// plans, 8 bytes each an object) go back here when it ends, and the next walk, on any thread,
// grows into them instead of reallocating its way up from 64 entries.
//
// Why: glibc answers the free or realloc of a heap block that merges into a large free area by
// merging its fastbins and handing the heap's free top back to the kernel. In a loop of pack,
// unpack and release, that top is mostly the previous result, released just before: the lists'
// growth (a dozen reallocs up to 8 MB for W2) set it off, and every walk then faulted tens of
// megabytes back in. The anchor peer `hpbench` (pack, unpack, release, repeated), medians of
// three runs without and with these blocks: W2 pack 57.0 -> 31.9 ms, unpack 47.2 -> 35.9 ms;
// W3 unpack 38.2 -> 26.0 ms; W5 pack 8.6 -> 3.9 ms; peak RSS unchanged. The packet body and the
// sharing table stay with malloc: kept as well, they made W1 (one 8 MB body) pack in 5.1 ms
// instead of 1.0 and unpack in 4.4 instead of 0.5, a cause not looked into.
//
// The lock is only ever tried: a walk never waits for it, and a child forked while another
// thread held it simply keeps nothing.
#include "hp_internal.h"

static hp_kept process_kept = { PTHREAD_MUTEX_INITIALIZER, { { NULL, 0 } }, 0, HP_KEPT_BYTES };

void *hp_kept_take_from(hp_kept *kept, size_t bytes, size_t *got) {
    if (bytes < HP_KEPT_MIN || pthread_mutex_trylock(&kept->lock) != 0) return NULL;
    // The smallest block that is large enough, so that a small request leaves the large ones.
    int best = -1;
    for (int i = 0; i < HP_KEPT_BLOCKS; i++)
        if (kept->blocks[i].block && kept->blocks[i].bytes >= bytes
            && (best < 0 || kept->blocks[i].bytes < kept->blocks[best].bytes))
            best = i;
    void *block = NULL;
    if (best >= 0) {
        block = kept->blocks[best].block;
        *got = kept->blocks[best].bytes;
        kept->total -= *got;
        kept->blocks[best] = (struct hp_kept_block){ NULL, 0 };
    }
    pthread_mutex_unlock(&kept->lock);
    return block;
}

void hp_kept_give_to(hp_kept *kept, void *block, size_t bytes) {
    if (!block) return;
    void *evicted = NULL;
    if (bytes >= HP_KEPT_MIN && bytes <= kept->limit && pthread_mutex_trylock(&kept->lock) == 0) {
        // An empty slot, or else the smallest block, if it is smaller than this one.
        int slot = -1;
        for (int i = 0; i < HP_KEPT_BLOCKS; i++) {
            if (!kept->blocks[i].block) { slot = i; break; }
            if (slot < 0 || kept->blocks[i].bytes < kept->blocks[slot].bytes) slot = i;
        }
        size_t freed = kept->blocks[slot].block ? kept->blocks[slot].bytes : 0;
        if ((!kept->blocks[slot].block || freed < bytes) && kept->total - freed + bytes <= kept->limit) {
            evicted = kept->blocks[slot].block;
            kept->total = kept->total - freed + bytes;
            kept->blocks[slot] = (struct hp_kept_block){ block, bytes };
            block = NULL;
        }
        pthread_mutex_unlock(&kept->lock);
    }
    free(evicted);
    free(block);
}

void hp_kept_empty(hp_kept *kept) {
    pthread_mutex_lock(&kept->lock);
    for (int i = 0; i < HP_KEPT_BLOCKS; i++) free(kept->blocks[i].block);
    memset(kept->blocks, 0, sizeof kept->blocks);
    kept->total = 0;
    pthread_mutex_unlock(&kept->lock);
}

void *hp_kept_take(size_t bytes, size_t *got) { return hp_kept_take_from(&process_kept, bytes, got); }

void hp_kept_give(void *block, size_t bytes) { hp_kept_give_to(&process_kept, block, bytes); }

hp_status hp_grow_kept(void **array, uint32_t *capacity, size_t element_size, uint32_t needed) {
    if (needed <= *capacity) return HP_OK;
    uint32_t cap;
    hp_status s = hp_grown_capacity(*capacity, element_size, needed, &cap);
    if (s != HP_OK) return s;
    // From the first growth on, when a block is kept: each step of a growth from 64 entries
    // frees the block it leaves, and that free too can set the trimming off.
    size_t got, wanted = (size_t)cap * element_size;
    void *block = hp_kept_take(wanted < HP_KEPT_MIN ? HP_KEPT_MIN : wanted, &got);
    if (!block) return hp_grow(array, capacity, element_size, needed);
    if (*array) memcpy(block, *array, (size_t)*capacity * element_size);
    hp_kept_give(*array, (size_t)*capacity * element_size);
    uint64_t fits = got / element_size;
    *array = block;
    *capacity = fits > UINT32_MAX ? UINT32_MAX : (uint32_t)fits;
    return HP_OK;
}
