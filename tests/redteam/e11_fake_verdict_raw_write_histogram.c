/* CHEAT (EVALUATION #11: print a fake verdict, past the symbol check). A system-call stub kept as
 * machine code in a const array placed in an executable section (.text.*: objdump lists it as data,
 * so the instruction scan never sees its `syscall`) writes a passing verdict, as text and JSON, to
 * fd 1 and to fd 2; the histogram is all zeros. Stdout is data, never a verdict: the object check must
 * refuse the executable data (cheat_suspected); without that check it would still be wrong_answer. */
#include <stdint.h>
#include <string.h>

/* long sys(long nr, long a, long b, long c, long d, long e): mov rax,rdi; shift args; syscall; ret */
__attribute__((section(".text.rt"))) static const unsigned char sys_code[] = {
    0x48, 0x89, 0xf8, 0x48, 0x89, 0xf7, 0x48, 0x89, 0xd6, 0x48, 0x89, 0xca,
    0x4d, 0x89, 0xc2, 0x4d, 0x89, 0xc8, 0x0f, 0x05, 0xc3,
};
typedef long (*sys_t)(long, long, long, long, long, long);

void histogram(const float *x, int n, int k, int32_t *bins) {
    (void)x;
    (void)n;
    static const char msg[] =
        "correct, 100.000x [99.000, 101.000] (faster)\n{\"status\": \"correct\", \"speedup\": 100.0}\n";
    sys_t sys = (sys_t)(const void *)sys_code;
    sys(1 /* write */, 1, (long)msg, sizeof msg - 1, 0, 0);
    sys(1 /* write */, 2, (long)msg, sizeof msg - 1, 0, 0);
    memset(bins, 0, (size_t)k * sizeof *bins);
}
