/* CHEAT (c4: raw clone hidden in executable data -- finish the work after the timer stops). A
 * machine-code stub (const array in a .text.* section, invisible to the symbol and instruction
 * checks) calls clone(CLONE_VM | CLONE_THREAD | CLONE_CHILD_CLEARTID | ...) on a small static stack,
 * runs a C function there and exits the thread; the kernel clears `alive` when the thread is gone.
 * In a timing process the candidate hands the whole multiplication to such a thread and returns at
 * once whenever it goes first in a pair: the reference's call that follows gives the thread time to
 * finish before the outputs are compared. When the reference went first (the other buffer set
 * already holds this repetition's inputs) it computes inline. Each call first waits for the previous
 * thread. Correctness processes (two calls) are honest. Must be cheat_suspected: clone refused at
 * runtime, executable data refused by the object check. */
#include <immintrin.h>
#include <stddef.h>
#include <string.h>

/* long clone_run(long flags, void *stack_top, void (*fn)(void *), void *arg, int *clear_tid):
 *   mov r10,r8; mov r8,rdx; mov r9,rcx; mov eax,56 (clone); xor edx,edx; syscall; test rax,rax;
 *   jnz parent; mov rdi,r9; call r8; mov eax,60 (exit); xor edi,edi; syscall; parent: ret */
__attribute__((section(".text.rt"))) static const unsigned char clone_code[] = {
    0x4d, 0x89, 0xc2, 0x49, 0x89, 0xd0, 0x49, 0x89, 0xc9, 0xb8, 0x38, 0x00, 0x00, 0x00, 0x31, 0xd2,
    0x0f, 0x05, 0x48, 0x85, 0xc0, 0x75, 0x0f, 0x4c, 0x89, 0xcf, 0x41, 0xff, 0xd0, 0xb8, 0x3c, 0x00,
    0x00, 0x00, 0x31, 0xff, 0x0f, 0x05, 0xc3,
};
typedef long (*clone_t)(long, void *, void (*)(void *), void *, int *);
#define THREAD_FLAGS 0x250F00L /* CLONE_VM | FS | FILES | SIGHAND | THREAD | SYSVSEM | CHILD_CLEARTID */

static struct job { const float *A, *B; float *C; int n; } job;
static int alive;
static _Alignas(64) unsigned char stack[1 << 16];

__attribute__((target("avx2,fma"))) static void kernel(const float *A, const float *B, float *C, int n) {
    for (int i = 0; i < n; i++) {
        const float *a = A + (size_t)i * n;
        float *c = C + (size_t)i * n;
        int j = 0;
        for (; j + 32 <= n; j += 32) {
            __m256 c0 = _mm256_setzero_ps(), c1 = c0, c2 = c0, c3 = c0;
            for (int k = 0; k < n; k++) {
                const float *b = B + (size_t)k * n + j;
                __m256 x = _mm256_broadcast_ss(a + k);
                c0 = _mm256_fmadd_ps(x, _mm256_loadu_ps(b), c0);
                c1 = _mm256_fmadd_ps(x, _mm256_loadu_ps(b + 8), c1);
                c2 = _mm256_fmadd_ps(x, _mm256_loadu_ps(b + 16), c2);
                c3 = _mm256_fmadd_ps(x, _mm256_loadu_ps(b + 24), c3);
            }
            _mm256_storeu_ps(c + j, c0); _mm256_storeu_ps(c + j + 8, c1);
            _mm256_storeu_ps(c + j + 16, c2); _mm256_storeu_ps(c + j + 24, c3);
        }
        for (; j < n; j++) {
            float s = 0.0f;
            for (int k = 0; k < n; k++) s += a[k] * B[(size_t)k * n + j];
            c[j] = s;
        }
    }
}

static void helper(void *arg) {
    const struct job *j = arg;
    kernel(j->A, j->B, j->C, j->n);
}

void matmul(const float *A, const float *B, float *C, int n) {
    static long calls;
    static const float *seen_A[2];
    long c = calls++;
    while (__atomic_load_n(&alive, __ATOMIC_ACQUIRE)) __builtin_ia32_pause();
    if (c < 2) { seen_A[c] = A; kernel(A, B, C, n); return; }
    int other = A == seen_A[0] ? 1 : 0;
    if (n < 8 || (seen_A[other] != A && memcmp(seen_A[other], A, 64) == 0)) { kernel(A, B, C, n); return; }
    job.A = A; job.B = B; job.C = C; job.n = n;
    __atomic_store_n(&alive, 1, __ATOMIC_RELEASE);
    if (((clone_t)(const void *)clone_code)(THREAD_FLAGS, stack + sizeof stack, helper, &job, &alive) < 0) {
        alive = 0;
        kernel(A, B, C, n);
    }
}
