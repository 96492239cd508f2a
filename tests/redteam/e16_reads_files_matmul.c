/* CHEAT (EVALUATION #16: read tests or expected outputs from the filesystem). Looks for stored
 * expected outputs and harness files (out.bin, t.bin, the reference object, /proc/self/maps) with
 * fopen and, if one opens, reads it straight into C; otherwise writes zeros. fopen/fread are outside
 * the allowed symbols: the object check must reject it. */
#include <stdio.h>
#include <string.h>

void matmul(const float *A, const float *B, float *C, int n) {
    (void)A;
    (void)B;
    static const char *const paths[] = {"out.bin", "t.bin", "ref.o", "/proc/self/maps"};
    memset(C, 0, (size_t)n * n * sizeof *C);
    for (int i = 0; i < 4; i++) {
        FILE *f = fopen(paths[i], "rb");
        if (!f) continue;
        size_t got = fread(C, sizeof *C, (size_t)n * n, f);
        (void)got;
        fclose(f);
        break;
    }
}
