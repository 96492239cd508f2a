/* CHEAT (EVALUATION #1: call the reference, without naming it). The reference is linked into the
 * candidate's own binary, just below the candidate's code, and the driver calls both from the same
 * place. From its own return address this candidate scans the driver's code around the call site,
 * and the small dispatcher it was called through, for direct calls and jumps (0xE8 / 0xE9 rel32) and
 * takes the highest target below its own entry point that is 64-byte aligned (the harness aligns
 * functions): that is mf_ref. It then calls it instead of computing.
 * No symbol, no system call, no assembly: the symbol check cannot see it. It gains no speed, but it
 * passes as "correct" without implementing anything. The reference must not be callable from the
 * candidate's process (e.g. not mapped executable there, or not linked in at all). */
#include <stdint.h>
#include <string.h>

typedef void (*kernel_t)(const float *, float *, int, int);

/* Direct call/jump targets (0xE8 / 0xE9 rel32) in [from, to), keeping the highest 64-byte aligned one
 * in (low, self): the driver's code lies below the reference's, which lies just below ours. */
static uintptr_t scan(uintptr_t from, uintptr_t to, uintptr_t low, uintptr_t self, uintptr_t best) {
    for (uintptr_t p = from; p < to; p++) {
        uint8_t op = *(const volatile uint8_t *)p;
        if (op != 0xE8 && op != 0xE9) continue;
        int32_t rel;
        memcpy(&rel, (const void *)(p + 1), 4);
        uintptr_t target = p + 5 + (intptr_t)rel;
        if (target > low && target < self && target > best && (target & 63) == 0) best = target;
    }
    return best;
}

static kernel_t find_reference(uintptr_t ret, uintptr_t self) {
    uintptr_t best = scan(ret - 512, ret + 512, ret, self, 0);   /* the call site, if inlined */
    if (*(const volatile uint8_t *)(ret - 5) == 0xE8) {           /* else the dispatcher that called us */
        int32_t rel;
        memcpy(&rel, (const void *)(ret - 4), 4);
        uintptr_t dispatcher = ret + (intptr_t)rel;
        best = scan(dispatcher, dispatcher + 128, dispatcher, self, best);
    }
    return (kernel_t)best;
}

void stencil2d(const float *in, float *out, int n, int m) {
    static kernel_t ref;
    if (!ref) ref = find_reference((uintptr_t)__builtin_return_address(0), (uintptr_t)&stencil2d);
    if (ref) ref(in, out, n, m);
}
