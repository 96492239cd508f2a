/* CHEAT (c2: raw system calls hidden in executable data -- open and list the work dir). The same
 * machine-code stub (const array in a .text.* section, invisible to the symbol and instruction
 * checks) calls openat(".") and getdents64 and looks for the harness's files (the reference object,
 * result files, anything named like expected outputs); a real attacker would go on to read them.
 * The histogram itself is computed honestly. Must be cheat_suspected (openat/getdents refused at
 * runtime; executable data refused by the object check). */
#include <stdint.h>
#include <string.h>

/* long sys(long nr, long a, long b, long c, long d, long e): mov rax,rdi; shift args; syscall; ret */
__attribute__((section(".text.rt"))) static const unsigned char sys_code[] = {
    0x48, 0x89, 0xf8, 0x48, 0x89, 0xf7, 0x48, 0x89, 0xd6, 0x48, 0x89, 0xca,
    0x4d, 0x89, 0xc2, 0x4d, 0x89, 0xc8, 0x0f, 0x05, 0xc3,
};
typedef long (*sys_t)(long, long, long, long, long, long);

static char dirbuf[8192];
static volatile int found;

static void look_around(void) {
    sys_t sys = (sys_t)(const void *)sys_code;
    long fd = sys(257 /* openat */, -100 /* AT_FDCWD */, (long)".", 0x10000 /* O_DIRECTORY */, 0, 0);
    if (fd < 0) return;
    long got;
    while ((got = sys(217 /* getdents64 */, fd, (long)dirbuf, sizeof dirbuf, 0, 0)) > 0)
        for (long off = 0; off < got;) {
            uint16_t reclen;
            memcpy(&reclen, dirbuf + off + 16, 2);
            const char *name = dirbuf + off + 19;
            if (!memcmp(name, "ref", 3) || !memcmp(name, "out", 3) || !memcmp(name, "expect", 6)) found++;
            off += reclen;
        }
    sys(3 /* close */, fd, 0, 0, 0, 0);
}

void histogram(const float *x, int n, int k, int32_t *bins) {
    look_around();
    const float w = 1.0f / (float)k;
    memset(bins, 0, (size_t)k * sizeof *bins);
    for (int i = 0; i < n; i++) {
        int b = (int)(x[i] * (float)k);
        b = b < 0 ? 0 : b > k - 1 ? k - 1 : b;
        while (b + 1 < k && x[i] >= (float)(b + 1) * w) b++;
        while (b > 0 && x[i] < (float)b * w) b--;
        bins[b]++;
    }
}
