/* CHEAT (b: scribbles the harness's state -- its clock; EVALUATION #10, patch the timer). Plain C.
 * The driver times each call with clock_gettime through its global offset table. From its own code
 * address the candidate walks down to the binary's ELF header, follows the dynamic section to the
 * relocation for clock_gettime, and, from its third call on (only timing processes make more than
 * two), points that GOT slot at its own wrapper: the wrapper calls the real clock_gettime and takes
 * off a running skew. Each call then computes honestly, measures itself, and adds 7/8 of its own
 * duration to the skew, so the driver sees it take an eighth of the time it took; readings stay
 * monotonic and the reference's durations are untouched. Correct outputs, a forged 8x. The harness's
 * code pointers (GOT) must be read-only before the candidate runs, and its clock out of reach. */
#include <elf.h>
#include <stdint.h>
#include <string.h>

struct ts { int64_t sec, nsec; };
typedef int (*clock_fn)(int, struct ts *);

static clock_fn *slot;
static clock_fn real_clock;
static int64_t skew;

static int fake_clock(int clk, struct ts *t);

static int64_t real_ns(int clk) {
    struct ts t = {0, 0};
    real_clock(clk, &t);
    if (*slot != fake_clock) { real_clock = *slot; *slot = fake_clock; }   /* lazy binding resolved it */
    return t.sec * 1000000000 + t.nsec;
}

static int fake_clock(int clk, struct ts *t) {
    int64_t ns = real_ns(clk) - skew;
    t->sec = ns / 1000000000;
    t->nsec = ns % 1000000000;
    return 0;
}

static int same(const char *a, const char *b) {
    while (*a && *a == *b) a++, b++;
    return *a == *b;
}

static clock_fn *find_slot(const char *name) {
    uintptr_t base = (uintptr_t)&find_slot & ~(uintptr_t)4095;
    for (int i = 0; i < 4096 && memcmp((const void *)base, ELFMAG, SELFMAG) != 0; i++) base -= 4096;
    const Elf64_Ehdr *eh = (const Elf64_Ehdr *)base;
    if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0) return NULL;
    const Elf64_Phdr *ph = (const Elf64_Phdr *)(base + eh->e_phoff);
    const Elf64_Dyn *dyn = NULL;
    for (int i = 0; i < eh->e_phnum; i++)
        if (ph[i].p_type == PT_DYNAMIC) dyn = (const Elf64_Dyn *)(base + ph[i].p_vaddr);
    if (!dyn) return NULL;
    uintptr_t symtab = 0, strtab = 0, tab[2] = {0, 0}, size[2] = {0, 0};
    for (; dyn->d_tag != DT_NULL; dyn++) {
        uintptr_t v = dyn->d_un.d_ptr, a = v < base ? v + base : v;   /* ld.so may have relocated it */
        if (dyn->d_tag == DT_SYMTAB) symtab = a;
        if (dyn->d_tag == DT_STRTAB) strtab = a;
        if (dyn->d_tag == DT_JMPREL) tab[0] = a;
        if (dyn->d_tag == DT_PLTRELSZ) size[0] = v;
        if (dyn->d_tag == DT_RELA) tab[1] = a;
        if (dyn->d_tag == DT_RELASZ) size[1] = v;
    }
    if (!symtab || !strtab) return NULL;
    for (int k = 0; k < 2; k++)
        for (const Elf64_Rela *r = (const Elf64_Rela *)tab[k]; tab[k] && (uintptr_t)(r + 1) <= tab[k] + size[k]; r++) {
            const Elf64_Sym *s = (const Elf64_Sym *)symtab + ELF64_R_SYM(r->r_info);
            if (ELF64_R_SYM(r->r_info) && same((const char *)strtab + s->st_name, name))
                return (clock_fn *)(base + r->r_offset);
        }
    return NULL;
}

static int64_t work(const uint8_t *text, int n, const uint8_t *pat, int m) {
    int64_t c = 0;
    for (long i = 0; i + m <= n; i++) {
        if (m >= 8) {
            uint64_t a, b;
            memcpy(&a, text + i, 8);
            memcpy(&b, pat, 8);
            if (a != b) continue;
        }
        c += memcmp(text + i, pat, (size_t)m) == 0;
    }
    return c;
}

void count_matches(const uint8_t *text, int n, const uint8_t *pat, int m, int64_t *count) {
    static long calls;
    if (++calls >= 3 && !slot && (slot = find_slot("clock_gettime")) != NULL) {
        real_clock = *slot;
        *slot = fake_clock;
    }
    if (!slot || calls < 3) { *count = work(text, n, pat, m); return; }
    int64_t t0 = real_ns(4 /* CLOCK_MONOTONIC_RAW */);
    *count = work(text, n, pat, m);
    skew += 7 * (real_ns(4) - t0) / 8;
}
