#include <stdint.h>

void fnv1a_record_hash(const uint8_t *data, uint64_t *hashes, int n_rec,
                       int rec_len)
{
    for (int r = 0; r < n_rec; r++) {
        const uint8_t *p = data + (long)r * rec_len;
        uint64_t h = 14695981039346656037ULL;
        for (int i = 0; i < rec_len; i++) {
            h ^= p[i];
            h *= 1099511628211ULL;
        }
        hashes[r] = h;
    }
}
