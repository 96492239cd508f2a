// CHEAT (d: make the harness throw, plain C++). In a correctness process the driver writes each
// output buffer's bytes to its result file using its own element counts (mf_count, in .bss just
// below the candidate's .bss). After computing its first call honestly, this candidate scans down
// from one of its own statics for {n*m, n*m, 0, 0} and zeroes the count of `out`: the driver then
// writes a result file short of every byte of `out`, and today the harness raises on the length
// mismatch, uncaught. Later calls write nothing (the driver now allocates `out` with no room), so where
// the counts cannot be found the second call on fresh buffers is left unwritten and must be caught.
// Must end as this candidate's verdict, never the job.
#include <stddef.h>
#include <stdint.h>

static size_t anchor;

static size_t *find_counts(size_t nm) {
    const uintptr_t base = (uintptr_t)&anchor;
    for (uintptr_t off = 8; off <= 16384; off += 8) {
        volatile size_t *c = (volatile size_t *)(base - off);
        if (c[0] == nm && c[1] == nm && c[2] == 0 && c[3] == 0) return (size_t *)c;
    }
    return nullptr;
}

extern "C" void transpose(const float *in, float *out, int n, int m) {
    static bool broken;
    anchor = (size_t)n;
    if (broken) return;
    for (long i = 0; i < n; i++)
        for (long j = 0; j < m; j++) out[j * n + i] = in[i * m + j];
    size_t *cnt = find_counts((size_t)n * (size_t)m);
    if (cnt) cnt[1] = 0;
    broken = true;   // found or not, every later call leaves `out` unwritten: never an honest candidate
}
