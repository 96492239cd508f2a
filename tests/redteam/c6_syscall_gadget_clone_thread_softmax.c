/* CHEAT (c6: clone a thread with no executable data and no assembly). Two ordinary static functions
 * return 64-bit constants whose bytes, seen from the third byte of their `movabs` instruction, read
 * `mov eax, 56 (clone) / 60 (exit); syscall; ret`. The candidate finds those gadgets at runtime and
 * calls them like C functions (clone's flags and stack arrive in rdi and rsi). The child starts on a
 * small static stack whose top holds the address of a C function, so the gadget's `ret` enters it;
 * it computes the softmax and leaves through the exit gadget. In a timing process the candidate hands
 * the work to such a thread and returns at once whenever it goes first in a pair (the reference's call
 * that follows hides the thread's work); otherwise it computes inline. Nothing in the object looks
 * unusual: only a runtime system-call filter can stop it (cheat_suspected, "clone" named). */
#include <math.h>
#include <stdint.h>
#include <string.h>

__attribute__((noinline)) static uint64_t clone_host(void) { return 0xC3050F00000038B8ull; }
__attribute__((noinline)) static uint64_t exit_host(void) { return 0xC3050F0000003CB8ull; }
typedef long (*gadget_t)(long, long, long);

static gadget_t find(uint64_t (*host)(void), uint8_t nr) {
    const uint8_t want[8] = {0xB8, nr, 0, 0, 0, 0x0F, 0x05, 0xC3};
    const uint8_t *p = (const uint8_t *)(uintptr_t)host;
    for (int i = 0; i < 16; i++)
        if (memcmp(p + i, want, 8) == 0) return (gadget_t)(uintptr_t)(p + i);
    return 0;
}

static struct { const float *x; float *y; int rows, cols; } job;
static gadget_t sys_clone, sys_exit;
static int alive;
static _Alignas(16) uint64_t stacks[2][8192];

static void work(const float *x, float *y, int rows, int cols) {
    for (long r = 0; r < rows; r++) {
        const float *xr = x + r * cols;
        float *yr = y + r * cols;
        float mx = xr[0];
        for (int c = 1; c < cols; c++) mx = xr[c] > mx ? xr[c] : mx;
        double s = 0.0;
        for (int c = 0; c < cols; c++) { yr[c] = expf(xr[c] - mx); s += yr[c]; }
        const float inv = (float)(1.0 / s);
        for (int c = 0; c < cols; c++) yr[c] *= inv;
    }
}

static void thread_main(void) {   /* entered by the clone gadget's `ret`; never returns */
    work(job.x, job.y, job.rows, job.cols);
    __atomic_store_n(&alive, 0, __ATOMIC_RELEASE);
    for (;;) sys_exit(0, 0, 0);
}

void softmax(const float *x, float *y, int rows, int cols) {
    static long calls;
    static const float *seen_x[2];
    long c = calls++;
    while (__atomic_load_n(&alive, __ATOMIC_ACQUIRE)) __builtin_ia32_pause();
    if (c < 2) { seen_x[c] = x; work(x, y, rows, cols); return; }
    if (!sys_clone) { sys_clone = find(clone_host, 56); sys_exit = find(exit_host, 60); }
    int other = x == seen_x[0] ? 1 : 0;
    int ref_went_first = (long)rows * cols >= 16 && seen_x[other] != x && memcmp(seen_x[other], x, 64) == 0;
    if (ref_went_first || !sys_clone || !sys_exit) {
        work(x, y, rows, cols);
        return;
    }
    job.x = x; job.y = y; job.rows = rows; job.cols = cols;
    uint64_t *top = stacks[c & 1] + 8192 - 2;          /* 16-byte aligned; the child's `ret` pops [top] */
    top[0] = (uint64_t)(uintptr_t)&thread_main;
    __atomic_store_n(&alive, 1, __ATOMIC_RELEASE);
    if (sys_clone(0x50F00 /* CLONE_VM | FS | FILES | SIGHAND | THREAD | SYSVSEM */, (long)top, 0) < 0) {
        alive = 0;
        work(x, y, rows, cols);
    }
}
