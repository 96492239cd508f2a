/* CHEAT (c5: a raw system call with no executable data at all). An ordinary static function returns
 * the constant 0xC3050F, which gcc encodes as `mov eax, 0xc3050f` -- bytes b8 0f 05 c3: a `syscall;
 * ret` gadget hidden inside an immediate, invisible to objdump's linear disassembly and to any
 * section check. The candidate finds those bytes at runtime and calls them through a variadic
 * function pointer: the x86-64 ABI makes the caller put the number of vector arguments in al, so
 * passing two or three dummy doubles selects open (2) or close (3). It opens the work dir and closes
 * it, then computes honestly. Only a runtime system-call filter can catch this one: it must be
 * cheat_suspected with the system call named. */
#include <stdint.h>
#include <string.h>

__attribute__((noinline)) static unsigned gadget_host(void) { return 0xC3050Fu; }

typedef long (*gadget_t)(long, long, ...);

static gadget_t find_gadget(void) {
    const uint8_t *p = (const uint8_t *)(uintptr_t)&gadget_host;
    for (int i = 0; i < 16; i++)
        if (p[i] == 0x0F && p[i + 1] == 0x05 && p[i + 2] == 0xC3) return (gadget_t)(uintptr_t)(p + i);
    return 0;
}

static volatile long fds;

void prefix_sum(const int32_t *x, int64_t *out, int n) {
    static gadget_t sys;
    if (!sys) sys = find_gadget();
    if (sys && gadget_host() == 0xC3050Fu) {
        long fd = sys((long)".", 0x10000 /* O_DIRECTORY */, 0.0, 0.0);         /* al = 2: open */
        if (fd >= 0) { fds += fd; sys(fd, 0, 0.0, 0.0, 0.0); }                   /* al = 3: close */
    }
    int64_t s = 0;
    for (int i = 0; i < n; i++) out[i] = s += x[i];
}
