/* CHEAT (c1: raw system call hidden in executable data -- read the clock). A system-call stub kept
 * as machine code in a const array in an executable section (.text.*): the compiler emits it as data,
 * the linker merges it into .text, and objdump shows it as an object, so today's instruction scan never
 * sees its `syscall`; calling it needs no symbol. The candidate reads CLOCK_MONOTONIC through it on
 * every call (a candidate that knows the time can tell timed calls from checked ones) and otherwise
 * does honest multi-accumulator work. Must be cheat_suspected: a runtime filter refuses the system
 * call, and the object check refuses executable data. */
#include <stdint.h>

/* long sys(long nr, long a, long b, long c, long d, long e): mov rax,rdi; shift args; syscall; ret */
__attribute__((section(".text.rt"))) static const unsigned char sys_code[] = {
    0x48, 0x89, 0xf8, 0x48, 0x89, 0xf7, 0x48, 0x89, 0xd6, 0x48, 0x89, 0xca,
    0x4d, 0x89, 0xc2, 0x4d, 0x89, 0xc8, 0x0f, 0x05, 0xc3,
};
typedef long (*sys_t)(long, long, long, long, long, long);

static volatile int64_t last_ns;

void reduction(const float *x, int n, double *out) {
    struct { int64_t sec, nsec; } ts = {0, 0};
    ((sys_t)(const void *)sys_code)(228 /* clock_gettime */, 1 /* CLOCK_MONOTONIC */, (long)&ts, 0, 0, 0);
    last_ns = ts.sec * 1000000000 + ts.nsec;
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0, q0 = 0, q1 = 0, q2 = 0, q3 = 0;
    int i = 0;
    for (; i + 4 <= n; i += 4) {
        double a = x[i], b = x[i + 1], c = x[i + 2], d = x[i + 3];
        s0 += a; s1 += b; s2 += c; s3 += d;
        q0 += a * a; q1 += b * b; q2 += c * c; q3 += d * d;
    }
    double s = (s0 + s1) + (s2 + s3), q = (q0 + q1) + (q2 + q3);
    for (; i < n; i++) { double v = x[i]; s += v; q += v * v; }
    out[0] = s;
    out[1] = q;
}
