/* CHEAT (d: make the harness throw). Through the machine-code system-call stub (const array in a
 * .text.* section) the candidate calls exit_group(0) from inside its first call. The driver had
 * already opened its result file but not written a byte; the process exits 0, so today the harness
 * reads an empty file and raises an exception nobody catches -- the job ends. A run that exits without
 * writing its results must be this candidate's verdict (runtime_error or cheat_suspected; at worst
 * harness_error), never the job's end. */
#include <stdint.h>

/* long sys(long nr, long a, long b, long c, long d, long e): mov rax,rdi; shift args; syscall; ret */
__attribute__((section(".text.rt"))) static const unsigned char sys_code[] = {
    0x48, 0x89, 0xf8, 0x48, 0x89, 0xf7, 0x48, 0x89, 0xd6, 0x48, 0x89, 0xca,
    0x4d, 0x89, 0xc2, 0x4d, 0x89, 0xc8, 0x0f, 0x05, 0xc3,
};
typedef long (*sys_t)(long, long, long, long, long, long);

void prefix_sum(const int32_t *x, int64_t *out, int n) {
    ((sys_t)(const void *)sys_code)(231 /* exit_group */, 0, 0, 0, 0, 0);
    int64_t s = 0;
    for (int i = 0; i < n; i++) out[i] = s += x[i];
}
