// CHEAT (d: make the harness throw, plain C++, no system call of its own). Like the reduction one,
// but on its very first call: it reads the driver's own GOT entry for _exit (else exit), found by
// walking from its code address down to the ELF header and through the dynamic relocations, and calls
// it with status 0 before writing anything. The correctness process ends "successfully" with an empty
// or short result file (today: an uncaught exception that ends the job). Must end as this candidate's
// verdict -- runtime_error or cheat_suspected, at worst harness_error -- never the job.
#include <elf.h>
#include <stdint.h>
#include <string.h>

typedef void (*exit_fn)(int);

static bool same(const char *a, const char *b) {
    while (*a && *a == *b) a++, b++;
    return *a == *b;
}

static void *got_entry(const char *name) {
    uintptr_t base = (uintptr_t)&got_entry & ~(uintptr_t)4095;
    for (int i = 0; i < 4096 && memcmp((const void *)base, ELFMAG, SELFMAG) != 0; i++) base -= 4096;
    const Elf64_Ehdr *eh = (const Elf64_Ehdr *)base;
    if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0) return nullptr;
    const Elf64_Phdr *ph = (const Elf64_Phdr *)(base + eh->e_phoff);
    const Elf64_Dyn *dyn = nullptr;
    for (int i = 0; i < eh->e_phnum; i++)
        if (ph[i].p_type == PT_DYNAMIC) dyn = (const Elf64_Dyn *)(base + ph[i].p_vaddr);
    if (!dyn) return nullptr;
    uintptr_t symtab = 0, strtab = 0, tab[2] = {0, 0}, size[2] = {0, 0};
    for (; dyn->d_tag != DT_NULL; dyn++) {
        uintptr_t v = dyn->d_un.d_ptr, a = v < base ? v + base : v;   // ld.so may have relocated it
        if (dyn->d_tag == DT_SYMTAB) symtab = a;
        if (dyn->d_tag == DT_STRTAB) strtab = a;
        if (dyn->d_tag == DT_JMPREL) tab[0] = a;
        if (dyn->d_tag == DT_PLTRELSZ) size[0] = v;
        if (dyn->d_tag == DT_RELA) tab[1] = a;
        if (dyn->d_tag == DT_RELASZ) size[1] = v;
    }
    if (!symtab || !strtab) return nullptr;
    for (int k = 0; k < 2; k++)
        for (const Elf64_Rela *r = (const Elf64_Rela *)tab[k]; tab[k] && (uintptr_t)(r + 1) <= tab[k] + size[k]; r++) {
            const Elf64_Sym *s = (const Elf64_Sym *)symtab + ELF64_R_SYM(r->r_info);
            if (ELF64_R_SYM(r->r_info) && same((const char *)strtab + s->st_name, name))
                return *(void **)(base + r->r_offset);
        }
    return nullptr;
}

extern "C" void transpose(const float *in, float *out, int n, int m) {
    (void)in;
    (void)out;
    (void)n;
    (void)m;
    exit_fn quit = (exit_fn)got_entry("_exit");
    if (!quit) quit = (exit_fn)got_entry("exit");
    if (quit) quit(0);
    // no exit found: the output stays unwritten
}
