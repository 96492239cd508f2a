/* mapforge harness runtime for native optimize tasks. Included by the generated driver.c only;
 * candidates never see or link against anything here by name (their symbols are checked).
 *
 * Two programs are linked from the same driver object:
 *   runner  = driver + reference + candidate: the only process that ever executes candidate code. Before the
 *             first candidate call it makes its own state read-only (mprotect) and installs a seccomp filter
 *             (no new threads/processes, no files, sockets or exec: see mf_lockdown).
 *   checker = driver + reference only: it starts the runner, regenerates every timed call's inputs itself,
 *             runs the reference on them and compares the candidate's outputs, which the runner ships through
 *             a pipe right after each call. Expected outputs never exist in the runner.
 */
#ifndef MF_HARNESS_H
#define MF_HARNESS_H
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <fenv.h>
#include <math.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

enum mf_kind { MF_F32, MF_F64, MF_I8, MF_U8, MF_I16, MF_U16, MF_I32, MF_U32, MF_I64, MF_U64 };
enum mf_role { MF_IN, MF_OUT, MF_INOUT, MF_SCALAR };
enum mf_init { MF_NONE, MF_UNIFORM, MF_RANDINT, MF_SORTED, MF_PERM, MF_ARANGE, MF_ROWPTR, MF_COLIDX, MF_EDGES,
               MF_FILE };

/* exit statuses the harness (not the candidate's code) uses; the evaluator maps them to verdicts */
#define MF_EXIT_USAGE 2
#define MF_EXIT_IO 96
#define MF_EXIT_OOM 97
#define MF_EXIT_NOFILTER 158 /* the seccomp filter could not be installed */
#define MF_EXIT_SYSCALL 159  /* the candidate made a forbidden system call */
#define MF_EXIT_OVERRUN 160  /* a call wrote past the end of a buffer, into the harness's slack */

/* Every buffer has MF_SLACK bytes after its last element, filled with MF_SLACK_BYTE before each call and
 * checked after it: a write just past the end corrupts nothing the allocator would notice, so the harness
 * looks itself. */
#define MF_SLACK 64
#define MF_SLACK_BYTE 0xA5

/* runner -> checker record tags */
#define MF_T0 0x10u
#define MF_T1 0x20u

typedef struct {
    int role, kind, init;
    int ref; /* MF_COLIDX: the index of its MF_ROWPTR argument */
    size_t elem;
} mf_arg;

/* One argument's initialiser parameters for the case at hand (parsed from its VALUES entry, see the driver):
 * p[] are the bounds or parameters, evaluated on the case's shape; pool/sets hold the input sets a task's
 * generator produced (MF_FILE), loaded from a file before the runner locks itself down. */
typedef struct {
    double p[4];
    const unsigned char *pool;
    size_t sets;
} mf_param;

typedef struct {
    uint32_t tag, rep;
    double t;
} mf_record;

static inline uint64_t mf_splitmix(uint64_t *s) {
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static inline double mf_unit(uint64_t *s) { return (double)(mf_splitmix(s) >> 11) * (1.0 / 9007199254740992.0); }

/* The random stream of argument argi on repetition rep: the checker rebuilds every input from these three. */
static inline uint64_t mf_stream(uint64_t seed, uint64_t argi, uint64_t rep) {
    return seed * 0x100000001B3ull ^ (argi + 1) * 0x9E3779B97F4A7C15ull ^ (rep + 7) * 0xD1B54A32D192ED03ull;
}

static void mf_store(void *buf, int kind, size_t i, double v) {
    switch (kind) {
    case MF_F32: ((float *)buf)[i] = (float)v; break;
    case MF_F64: ((double *)buf)[i] = v; break;
    case MF_I8: ((int8_t *)buf)[i] = (int8_t)v; break;
    case MF_U8: ((uint8_t *)buf)[i] = (uint8_t)v; break;
    case MF_I16: ((int16_t *)buf)[i] = (int16_t)v; break;
    case MF_U16: ((uint16_t *)buf)[i] = (uint16_t)v; break;
    case MF_I32: ((int32_t *)buf)[i] = (int32_t)v; break;
    case MF_U32: ((uint32_t *)buf)[i] = (uint32_t)v; break;
    case MF_I64: ((int64_t *)buf)[i] = (int64_t)v; break;
    case MF_U64: ((uint64_t *)buf)[i] = (uint64_t)v; break;
    }
}

/* csr_rowptr(k): rows go in pairs of lengths k+d and k-d (d uniform in [-k, k]); an odd last row has k.
 * So every row holds 0..2k nonzeros and the total is exactly rows*k. The column filler replays this. */
static size_t mf_row_len(uint64_t *s, size_t row, size_t rows, size_t k, int64_t *d) {
    if (row & 1) return (size_t)((int64_t)k - *d);
    if (row + 1 >= rows) return k;
    *d = (int64_t)floor(mf_unit(s) * (double)(2 * k + 1)) - (int64_t)k;
    if (*d > (int64_t)k) *d = (int64_t)k;
    return (size_t)((int64_t)k + *d);
}

/* Fill input buffer argi (n elements) for repetition rep. Every value depends only on (seed, argi, rep) and
 * the case's parameters, and differs between repetitions except for arange. */
static void mf_fill(void *buf, const mf_arg *a, const mf_param *pr, size_t n, uint64_t seed, uint64_t argi,
                    uint64_t rep) {
    uint64_t s = mf_stream(seed, argi, rep);
    const double *p = pr->p;
    int integer = a->kind >= MF_I8;
    switch (a->init) {
    case MF_FILE: {
        size_t bytes = n * a->elem;
        if (bytes) memcpy(buf, pr->pool + (rep % pr->sets) * bytes, bytes);
        return;
    }
    case MF_UNIFORM:
    case MF_RANDINT:
        for (size_t i = 0; i < n; i++) {
            double u = mf_unit(&s), v;
            if (a->init == MF_UNIFORM) {
                v = p[0] + (p[1] - p[0]) * u;
            } else {
                v = p[0] + floor(u * (p[1] - p[0] + 1.0));
                if (v > p[1]) v = p[1];
            }
            mf_store(buf, a->kind, i, v);
        }
        return;
    case MF_SORTED: { /* normalised prefix sums of n+1 random gaps: non-decreasing by construction */
        uint64_t t = s;
        double total = 0, acc = 0;
        for (size_t i = 0; i <= n; i++) total += mf_unit(&t) + 1e-9;
        for (size_t i = 0; i < n; i++) {
            acc += mf_unit(&s) + 1e-9;
            double f = acc / total, v;
            v = integer ? p[0] + floor(f * (p[1] - p[0] + 1.0)) : p[0] + (p[1] - p[0]) * f;
            mf_store(buf, a->kind, i, v > p[1] ? p[1] : v);
        }
        return;
    }
    case MF_PERM: { /* Fisher-Yates over the buffer's own elements */
        unsigned char tmp[8], *c = (unsigned char *)buf;
        size_t w = a->elem;
        for (size_t i = 0; i < n; i++) mf_store(buf, a->kind, i, (double)i);
        for (size_t i = n; i > 1; i--) {
            size_t j = (size_t)(mf_unit(&s) * (double)i);
            if (j >= i) j = i - 1;
            memcpy(tmp, c + (i - 1) * w, w);
            memcpy(c + (i - 1) * w, c + j * w, w);
            memcpy(c + j * w, tmp, w);
        }
        return;
    }
    case MF_ARANGE:
        for (size_t i = 0; i < n; i++) mf_store(buf, a->kind, i, p[0] + (double)i * p[1]);
        return;
    case MF_ROWPTR: {
        size_t rows = n ? n - 1 : 0, k = (size_t)p[0], acc = 0;
        int64_t d = 0;
        if (n) mf_store(buf, a->kind, 0, 0.0);
        for (size_t r = 0; r < rows; r++) {
            acc += mf_row_len(&s, r, rows, k, &d);
            mf_store(buf, a->kind, r + 1, (double)acc);
        }
        return;
    }
    case MF_COLIDX: { /* p[0] = cols; p[1] = k and p[2] = rows of the rowptr argument a->ref */
        uint64_t rs = mf_stream(seed, (uint64_t)a->ref, rep);
        size_t cols = (size_t)p[0], k = (size_t)p[1], rows = (size_t)p[2], idx = 0;
        int64_t d = 0;
        for (size_t r = 0; r < rows; r++) {
            size_t len = mf_row_len(&rs, r, rows, k, &d);
            for (size_t t = 0; t < len && idx < n; t++) { /* one column per stratum: distinct and sorted */
                size_t lo = t * cols / len, hi = (t + 1) * cols / len;
                size_t c = lo + (size_t)(mf_unit(&s) * (double)(hi - lo));
                mf_store(buf, a->kind, idx++, (double)(c < hi ? c : hi - 1));
            }
        }
        for (; idx < n; idx++) mf_store(buf, a->kind, idx, 0.0);
        return;
    }
    case MF_EDGES: { /* (src, dst) pairs, dst != src whenever there are two nodes or more */
        double nodes = p[0];
        for (size_t i = 0; i < n; i += 2) {
            double u = floor(mf_unit(&s) * nodes);
            mf_store(buf, a->kind, i, u);
            if (i + 1 < n) {
                double v = nodes >= 2 ? floor(mf_unit(&s) * (nodes - 1.0)) : u;
                mf_store(buf, a->kind, i + 1, nodes >= 2 && v >= u ? v + 1.0 : v);
            }
        }
        return;
    }
    default:
        return;
    }
}

/* A 64-bit hash of a buffer (to tell whether a const input changed; not cryptographic). */
static uint64_t mf_hash(const void *p, size_t bytes, uint64_t h) {
    const unsigned char *c = (const unsigned char *)p;
    size_t i = 0;
    for (; i + 8 <= bytes; i += 8) {
        uint64_t w;
        memcpy(&w, c + i, 8);
        h = (h ^ w) * 0x100000001B3ull;
        h ^= h >> 29;
    }
    for (; i < bytes; i++) h = (h ^ c[i]) * 0x100000001B3ull;
    return h;
}

static void mf_die(const char *msg, int code) {
    ssize_t ignored = write(2, msg, strlen(msg));
    (void)ignored;
    _exit(code);
}

/* A buffer's offset into its page, in cache lines, drawn afresh for every buffer of every process.
 * Large buffers come from mmap, so without it every one starts at the same offset into its page (mod 4096),
 * in every process: a loop that walks several n x n matrices by columns (a stride of 4096 bytes) then maps
 * all of them to the same cache sets every time, and a candidate that merely copies one matrix into a fresh
 * malloc (another offset) ran 1.5x "faster" with the same loop (tsvc-s2275, a trial job). Drawn per process,
 * the placement is luck the timing's processes sample like any other, and the interval spans it. */
static uint64_t mf_layout_state;

static size_t mf_stagger(void) {
    if (!mf_layout_state) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        mf_layout_state = ((uint64_t)ts.tv_nsec ^ (uint64_t)ts.tv_sec << 30 ^ (uint64_t)getpid() << 12) | 1;
    }
    mf_layout_state = mf_layout_state * 6364136223846793005ull + 1442695040888963407ull;
    return (size_t)(mf_layout_state >> 58) * 64; /* 0, 64, ..., 4032 */
}

static void *mf_alloc(size_t bytes) {
    void *p = NULL;
    size_t off = mf_stagger();
    /* 64-byte aligned at a drawn offset into its page (above), plus slack so a zero-size buffer is still a
     * valid pointer and an overrun is seen. Never freed: the process ends. */
    if (posix_memalign(&p, 4096, off + bytes + MF_SLACK) != 0) mf_die("mapforge harness: out of memory\n", MF_EXIT_OOM);
    return (unsigned char *)p + off;
}

static void mf_slack_fill(void *p, size_t bytes) { memset((unsigned char *)p + bytes, MF_SLACK_BYTE, MF_SLACK); }

/* Exits with MF_EXIT_OVERRUN, naming argument i and the first byte past its end that was written. */
static void mf_slack_check(const void *p, size_t bytes, int i) {
    const unsigned char *c = (const unsigned char *)p + bytes;
    for (int k = 0; k < MF_SLACK; k++)
        if (c[k] != MF_SLACK_BYTE) {
            char msg[96];
            int n = snprintf(msg, sizeof msg, "mapforge harness: overrun arg=%d byte=%d\n", i, k);
            ssize_t ignored = write(2, msg, n > 0 ? (size_t)n : 0);
            (void)ignored;
            _exit(MF_EXIT_OVERRUN);
        }
}

static double mf_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Number of elements of got that differ from want (same kind) beyond tolerance; NaN/Inf in got always differ. */
static size_t mf_mismatches(int kind, const void *got, const void *want, size_t n, double rtol, double atol) {
    size_t bad = 0;
    for (size_t i = 0; i < n; i++) {
        double x, y;
        switch (kind) {
        case MF_F32: x = ((const float *)got)[i]; y = ((const float *)want)[i]; break;
        case MF_F64: x = ((const double *)got)[i]; y = ((const double *)want)[i]; break;
        default: {
            size_t w = kind == MF_I8 || kind == MF_U8 ? 1 : kind == MF_I16 || kind == MF_U16 ? 2
                     : kind == MF_I32 || kind == MF_U32 ? 4 : 8;
            bad += memcmp((const char *)got + i * w, (const char *)want + i * w, w) != 0;
            continue;
        }
        }
        if (!isfinite(x) || !(fabs(x - y) <= atol + rtol * fabs(y))) bad++;
    }
    return bad;
}

/* write()/read() all bytes or die (the peer went away or the channel broke). */
static void mf_put(int fd, const void *p, size_t bytes) {
    const char *c = (const char *)p;
    while (bytes) {
        ssize_t k = write(fd, c, bytes);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) mf_die("mapforge harness: short write\n", MF_EXIT_IO);
        c += k;
        bytes -= (size_t)k;
    }
}

/* 0 on success, -1 on EOF or error before all bytes arrived. */
static int mf_get(int fd, void *p, size_t bytes) {
    char *c = (char *)p;
    while (bytes) {
        ssize_t k = read(fd, c, bytes);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) return -1;
        c += k;
        bytes -= (size_t)k;
    }
    return 0;
}

/* Load a generator's input sets for one argument: the file holds sets x bytes. Read-only from here on (the
 * runner calls this before it locks itself down). */
static void mf_load_pool(const char *path, size_t bytes, mf_param *pr) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) mf_die("mapforge harness: cannot open a generated input file\n", MF_EXIT_IO);
    off_t size = lseek(fd, 0, SEEK_END);
    if (size < 0 || lseek(fd, 0, SEEK_SET) != 0) mf_die("mapforge harness: cannot size a generated input file\n", MF_EXIT_IO);
    size_t total = (size_t)size;
    if (bytes ? (total == 0 || total % bytes != 0) : total != 0)
        mf_die("mapforge harness: a generated input file does not hold whole input sets\n", MF_EXIT_IO);
    size_t map = total ? total : 1;
    void *m = mmap(NULL, map, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) mf_die("mapforge harness: out of memory\n", MF_EXIT_OOM);
    if (total && mf_get(fd, m, total) != 0) mf_die("mapforge harness: short read of a generated input file\n", MF_EXIT_IO);
    close(fd);
    if (mprotect(m, map, PROT_READ) != 0) mf_die("mapforge harness: mprotect failed\n", MF_EXIT_IO);
    pr->pool = (const unsigned char *)m;
    pr->sets = bytes ? total / bytes : 1;
}

/* ---- the runtime barrier -------------------------------------------------------------------------- */

struct mf_sysname { int nr; const char *name; };
static const struct mf_sysname mf_sysnames[] = {
#define MF_SYS(n) {SYS_##n, #n}
#ifdef SYS_open
    MF_SYS(open),
#endif
#ifdef SYS_fork
    MF_SYS(fork), MF_SYS(vfork),
#endif
    MF_SYS(openat), MF_SYS(clone), MF_SYS(execve), MF_SYS(socket), MF_SYS(connect), MF_SYS(bind),
    MF_SYS(getdents64), MF_SYS(kill), MF_SYS(ptrace), MF_SYS(mprotect), MF_SYS(prctl), MF_SYS(close),
    MF_SYS(lseek), MF_SYS(pread64), MF_SYS(pwrite64), MF_SYS(ioctl), MF_SYS(sendto), MF_SYS(recvfrom),
    MF_SYS(rt_sigaction), MF_SYS(seccomp), MF_SYS(setrlimit), MF_SYS(nanosleep), MF_SYS(clock_nanosleep),
    MF_SYS(sched_setaffinity), MF_SYS(unshare), MF_SYS(mount), MF_SYS(pipe2), MF_SYS(dup3),
    MF_SYS(clock_settime), MF_SYS(perf_event_open), MF_SYS(process_vm_writev), MF_SYS(memfd_create),
    MF_SYS(getrandom), MF_SYS(wait4), MF_SYS(getpid), MF_SYS(statx), MF_SYS(writev),
#ifdef SYS_clone3
    MF_SYS(clone3),
#endif
#undef MF_SYS
};

static void mf_on_sigsys(int sig, siginfo_t *si, void *ctx) {
    (void)sig;
    (void)ctx;
    char msg[128] = "mapforge harness: forbidden system call ";
    size_t n = strlen(msg);
    int nr = si->si_syscall;
    const char *name = NULL;
    for (size_t i = 0; i < sizeof mf_sysnames / sizeof mf_sysnames[0]; i++)
        if (mf_sysnames[i].nr == nr) name = mf_sysnames[i].name;
    if (name) {
        size_t k = strlen(name);
        memcpy(msg + n, name, k);
        n += k;
        msg[n++] = ' ';
    }
    char digits[16];
    int d = 0;
    unsigned v = (unsigned)nr;
    do { digits[d++] = (char)('0' + v % 10); v /= 10; } while (v && d < 15);
    msg[n++] = '(';
    msg[n++] = '#';
    while (d) msg[n++] = digits[--d];
    msg[n++] = ')';
    msg[n++] = '\n';
    ssize_t ignored = write(2, msg, n);
    (void)ignored;
    _exit(MF_EXIT_SYSCALL);
}

#if defined(__x86_64__)
#define MF_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define MF_AUDIT_ARCH AUDIT_ARCH_AARCH64
#endif

#define MF_LD(field) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (uint32_t)offsetof(struct seccomp_data, field))
#define MF_RET(v) BPF_STMT(BPF_RET | BPF_K, (v))
#define MF_ALLOW(nr) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)(nr), 0, 1), MF_RET(SECCOMP_RET_ALLOW)

/* Make [state, state+bytes) read-only, then allow only what the harness itself needs from here on:
 * memory management without PROT_EXEC (malloc), read/write on open descriptors, clocks, exit, and what
 * abort() uses on itself. Anything else (clone, fork, execve, open, socket, mprotect, ...) traps to
 * mf_on_sigsys, which names the call and exits with MF_EXIT_SYSCALL. Returns 0, or -1 when the host
 * refuses the filter (the caller decides whether that is fatal). */
static int mf_lockdown(void *state, size_t bytes) {
    if (mprotect(state, bytes, PROT_READ) != 0) mf_die("mapforge harness: mprotect failed\n", MF_EXIT_IO);
#ifndef MF_AUDIT_ARCH
    return -1;
#else
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = mf_on_sigsys;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGSYS, &sa, NULL) != 0) return -1;
    uint32_t pid = (uint32_t)getpid();
    struct sock_filter prog[] = {
        MF_LD(arch),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, MF_AUDIT_ARCH, 1, 0),
        MF_RET(SECCOMP_RET_KILL_PROCESS),
        MF_LD(nr),
#if defined(__x86_64__)
        BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000u, 0, 1), /* x32 ABI */
        MF_RET(SECCOMP_RET_TRAP),
#endif
        /* mmap: only without PROT_EXEC */
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_mmap, 0, 4),
        MF_LD(args[2]),
        BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, PROT_EXEC, 0, 1),
        MF_RET(SECCOMP_RET_TRAP),
        MF_RET(SECCOMP_RET_ALLOW),
        /* tgkill: only to this process (abort -> raise) */
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_tgkill, 0, 4),
        MF_LD(args[0]),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, pid, 0, 1),
        MF_RET(SECCOMP_RET_ALLOW),
        MF_RET(SECCOMP_RET_TRAP),
        MF_ALLOW(SYS_read), MF_ALLOW(SYS_write), MF_ALLOW(SYS_munmap), MF_ALLOW(SYS_brk),
        MF_ALLOW(SYS_mremap), MF_ALLOW(SYS_madvise), MF_ALLOW(SYS_exit), MF_ALLOW(SYS_exit_group),
        MF_ALLOW(SYS_rt_sigreturn), MF_ALLOW(SYS_rt_sigprocmask), MF_ALLOW(SYS_clock_gettime),
        MF_ALLOW(SYS_gettimeofday), MF_ALLOW(SYS_getpid), MF_ALLOW(SYS_gettid), MF_ALLOW(SYS_futex),
        MF_ALLOW(SYS_sched_yield), MF_ALLOW(SYS_newfstatat),
#ifdef SYS_fstat
        MF_ALLOW(SYS_fstat),
#endif
        MF_RET(SECCOMP_RET_TRAP),
    };
    struct sock_fprog fprog = {(unsigned short)(sizeof prog / sizeof prog[0]), prog};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return -1;
    if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fprog) != 0) return -1;
    return 0;
#endif
}
#endif
