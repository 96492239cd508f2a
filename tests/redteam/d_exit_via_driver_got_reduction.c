/* CHEAT (d: make the harness throw, plain C, no system call of its own). The driver itself calls
 * exit/_exit, so their addresses sit in its global offset table. From its own code address the
 * candidate walks down to the binary's ELF header, follows the dynamic section to the relocation for
 * _exit (else exit) and reads the slot -- reading is enough, no write. Honest for the two calls of
 * each correctness process; on its third call (the timing warm-up) it calls the driver's own exit
 * with status 0, so the timing process ends "successfully" without its results (today: a missing
 * result file and an uncaught exception). Must end as this candidate's verdict, never the job. */
#include <elf.h>
#include <stdint.h>
#include <string.h>

typedef void (*exit_fn)(int);

static int same(const char *a, const char *b) {
    while (*a && *a == *b) a++, b++;
    return *a == *b;
}

static void *got_entry(const char *name) {
    uintptr_t base = (uintptr_t)&got_entry & ~(uintptr_t)4095;
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
                return *(void **)(base + r->r_offset);
        }
    return NULL;
}

void reduction(const float *x, int n, double *out) {
    static long calls;
    if (++calls >= 3) {
        exit_fn quit = (exit_fn)got_entry("_exit");
        if (!quit) quit = (exit_fn)got_entry("exit");
        if (quit) quit(0);
        return;   /* no exit found: leave the output unwritten instead */
    }
    double s = 0.0, q = 0.0;
    for (int i = 0; i < n; i++) { double v = x[i]; s += v; q += v * v; }
    out[0] = s;
    out[1] = q;
}
