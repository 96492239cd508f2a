"""C/C++ toolchain rules shared by the native evaluators: how to compile, and what a candidate may contain."""

from __future__ import annotations

import re

#: Flags added to every compile of the reference and of candidates: code placement alone moves CPU timings
#: by >10% (EVALUATION.md), so functions and loops are aligned the same way on both sides.
ALIGN_FLAGS = ("-falign-functions=64", "-falign-loops=64")

LIBC_MEMORY = {
    "memcpy", "memmove", "memset", "memcmp", "memchr", "strlen", "malloc", "calloc", "realloc", "free",
    "aligned_alloc", "posix_memalign", "abort", "__stack_chk_fail", "__assert_fail",
}
#: libm's functions, as written and as gcc emits them (``sincos`` for a sine and a cosine of one value).
_M = ("sqrt exp exp2 expm1 log log2 log10 log1p pow sin cos sincos tan sinh cosh tanh asin acos atan atan2 asinh "
      "acosh atanh fabs fmax fmin fdim floor ceil round lround llround rint lrint llrint nearbyint trunc fma erf erfc "
      "lgamma tgamma copysign ldexp scalbn frexp modf logb ilogb nextafter hypot cbrt fmod remainder").split()
LIBM = {f for name in _M for f in (name, name + "f", name + "l")}
COMPILER_RUNTIME = {
    "__muldc3", "__mulsc3", "__divdc3", "__divsc3", "__popcountdi2", "__udivti3", "__divti3", "__umodti3",
    "__modti3", "_GLOBAL_OFFSET_TABLE_",
}
CXX_RUNTIME = {
    "_Znwm", "_Znam", "_ZdlPv", "_ZdaPv", "_ZdlPvm", "_ZdaPvm", "_ZnwmSt11align_val_t", "_ZnamSt11align_val_t",
    "_ZdlPvSt11align_val_t", "_ZdaPvSt11align_val_t", "_ZdlPvmSt11align_val_t", "_ZdaPvmSt11align_val_t",
    "__cxa_begin_catch", "__cxa_end_catch", "__cxa_rethrow", "__gxx_personality_v0", "_Unwind_Resume",
    "__cxa_throw_bad_array_new_length", "_ZSt17__throw_bad_allocv", "_ZSt28__throw_bad_array_new_lengthv",
    "_ZSt20__throw_length_errorPKc", "_ZSt24__throw_out_of_range_fmtPKcz", "__cxa_guard_acquire",
    "__cxa_guard_release", "__cxa_guard_abort", "_ZSt9terminatev", "__cxa_allocate_exception",
    "__cxa_free_exception", "__cxa_throw", "_ZSt19__throw_logic_errorPKc",
}
ALLOWED_UNDEFINED = frozenset(LIBC_MEMORY | LIBM | COMPILER_RUNTIME | CXX_RUNTIME)
FORBIDDEN_SECTIONS = (".init_array", ".fini_array", ".preinit_array", ".ctors", ".dtors")


def compiler(language: str) -> str:
    return "g++" if language == "cpp" else "gcc"


def std_flag(language: str) -> str:
    return "-std=gnu++17" if language == "cpp" else "-std=gnu11"


def compile_cmd(language: str, flags: list[str], src: str, out: str) -> list[str]:
    # C++ has no `restrict`; kernels (and the pattern library) written in C use it, so map it to g++'s spelling
    lang_flags = ("-Drestrict=__restrict",) if language == "cpp" else ()
    return [compiler(language), std_flag(language), *lang_flags, *flags, *ALIGN_FLAGS, "-fno-common", "-c", src,
            "-o", out]


# strings and char literals first, so "//" inside a string is not taken for a comment
_LEXEMES = re.compile(r'"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'|//[^\n]*|/\*.*?\*/', re.S)


def _strip(source: str, keep_strings: bool = False) -> str:
    """Source with comments blanked (and string literals emptied unless ``keep_strings``)."""

    def repl(m: re.Match[str]) -> str:
        tok = m.group(0)
        if tok[0] in "\"'":
            return tok if keep_strings else tok[0] * 2
        return " "

    return _LEXEMES.sub(repl, source)

_SOURCE_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\b(asm|__asm__|__asm)\b"), "inline assembly is not allowed"),
    (re.compile(r"(__attribute__\s*\(\([^;{]*?|\[\[\s*gnu::)\b(constructor|destructor|ifunc|alias|weakref)\b", re.S),
     "load-time code and symbol aliasing attributes (constructor, destructor, ifunc, alias) are not allowed"),
    (re.compile(r"#\s*pragma\s+weak\b"), "#pragma weak is not allowed"),
)
_INCLUDE = re.compile(r'^\s*#\s*include\s*(.*)$', re.M)
_SAFE_INCLUDE = re.compile(r"^<[A-Za-z0-9_]+(/[A-Za-z0-9_]+)*(\.h|\.hpp)?>$")


def source_problems(source: str, function: str) -> list[str]:
    """Static problems in a candidate's source (comments ignored). Empty list: passes."""
    problems: list[str] = []
    for m in _INCLUDE.finditer(_strip(source, keep_strings=True)):
        target = m.group(1).strip()
        if not _SAFE_INCLUDE.match(target):
            problems.append(
                f"#include {target}: only system headers in angle brackets are allowed (e.g. <math.h>, <string.h>)"
            )
    code = _strip(source)
    for rule, message in _SOURCE_RULES:
        if rule.search(code):
            problems.append(message)
    if not re.search(rf"\b{re.escape(function)}\s*\(", code):
        problems.append(f"the source does not define the required function {function}()")
    return problems


def parse_nm(output: str) -> list[tuple[str, str]]:
    """``nm -P`` lines -> [(name, type)]."""
    rows = []
    for line in output.splitlines():
        parts = line.split()
        if len(parts) >= 2:
            rows.append((parts[0], parts[1]))
    return rows


def symbol_problems(defined: str, undefined: str, sections: str, function: str, allow: list[str]) -> list[str]:
    """Problems in a compiled candidate object, from ``nm -P -g --defined-only``, ``nm -P --undefined-only``
    and ``readelf -SW`` output."""
    problems: list[str] = []
    defined_names = set()
    for name, kind in parse_nm(defined):
        defined_names.add(name)
        if name == function:
            continue
        if kind in ("W", "V", "u") and name.startswith("_Z"):
            continue  # C++ inline/template instantiations (the reference links first, so its copies win)
        problems.append(f"defines the global symbol {name!r}; make helper functions and globals static")
    if function not in defined_names:
        problems.append(f"does not define {function}() with external linkage (check its name and extern \"C\")")
    allowed = ALLOWED_UNDEFINED | set(allow)
    bad = sorted({name for name, _ in parse_nm(undefined) if name not in allowed})
    if bad:
        problems.append(
            "calls functions outside the allowed set (libc memory functions and libm): " + ", ".join(bad[:12])
        )
    for sec in FORBIDDEN_SECTIONS:
        if re.search(rf"\s{re.escape(sec)}(\.\S*)?\s", sections):
            problems.append(f"has a {sec} section (global constructors or destructors run code at load time)")
            break
    return problems


_LINE_MARKER = re.compile(r'^# (\d+) "(.*)"')


def preprocessed_problems(preprocessed: str, source_name: str) -> list[str]:
    """Apply the source rules to the candidate's own lines after macro expansion (``gcc -E``), so a
    forbidden construct spelled through macros (token pasting) is seen; system headers are skipped."""
    own: list[str] = []
    current = source_name
    for line in preprocessed.splitlines():
        m = _LINE_MARKER.match(line)
        if m:
            current = m.group(2)
            continue
        if current == source_name:
            own.append(line)
    code = _strip("\n".join(own))
    return [message for rule, message in _SOURCE_RULES if rule.search(code)]


_FORBIDDEN_INSN = re.compile(r"\t(syscall|sysenter|int\s+\$0x80|rdtscp?|rdpmc|rdrand|rdseed|cpuid)\b")


def instruction_problems(disassembly: str) -> list[str]:
    """Instructions a kernel has no business executing (system calls, timers, CPU identification),
    from ``objdump -d``; they can arrive without inline assembly, through intrinsics."""
    found = sorted({m.group(1).split()[0] for m in _FORBIDDEN_INSN.finditer(disassembly)})
    if found:
        return [f"executes forbidden instructions ({', '.join(found)}): no system calls, timers or CPU queries"]
    return []


# -- the same machine code ------------------------------------------------------------------------------------
_FUNC_HEAD = re.compile(r"^[0-9a-f]+ <([^>]+)>:$")
_INSN_ADDR = re.compile(r"^\s*[0-9a-f]+:\s*")
_TARGET = re.compile(r"\b[0-9a-f]+ (<[^>]+>)")
_REFERENCED = re.compile(r"<([^>+]+)|R_\S+\s+([^\s+-]+)")


def machine_code(objdump: str, function: str) -> str | None:
    """What ``function`` compiles to, from ``objdump -dr -s --no-show-raw-insn`` of one object: its
    instructions and relocations without addresses, those of every function of the object it reaches (a
    helper it calls, its ``.cold`` part), and the contents of the object's data sections (constants it
    loads). Two sources with the same result run the same instructions on the same data, so the second
    cannot be faster; None when ``function`` is not in the object."""
    blocks: dict[str, list[str]] = {}
    data: list[str] = []
    current: str | None = None
    section: str | None = None
    for line in objdump.splitlines():
        if line.startswith("Contents of section "):
            section = line[len("Contents of section "):].rstrip(":")
            if _DATA_NAME.match(section):
                data.append(line)
            continue
        if line.startswith("Disassembly of section "):
            section = None
            continue
        if section is not None:
            if _DATA_NAME.match(section):
                data.append(line)
            continue
        head = _FUNC_HEAD.match(line)
        if head:
            current = head.group(1)
            blocks[current] = []
        elif current is not None and line.strip():
            text = _INSN_ADDR.sub("", line).split("#")[0].strip()
            blocks[current].append(_TARGET.sub(r"\1", text))
    if function not in blocks:
        return None
    todo, reached = [function], set()
    while todo:
        name = todo.pop()
        if name in reached or name not in blocks:
            continue
        reached.add(name)
        todo += [a or b for line in blocks[name] for a, b in _REFERENCED.findall(line)]
    return "\n".join([f"{name}:\n" + "\n".join(blocks[name]) for name in sorted(reached)] + data)


# -- executable data -------------------------------------------------------------------------------------------
_CODE_NAME = re.compile(r"^\.text(\..+)?$")
_DATA_NAME = re.compile(r"^\.(l?rodata|l?data|l?bss|tdata|tbss|data\.rel(\.ro)?(\.local)?)(\..+)?$")
_META_NAME = re.compile(r"^(\.comment|\.note(\..+)?|\.eh_frame|\.gcc_except_table(\..+)?|\.group|\.symtab|"
                        r"\.strtab|\.shstrtab|\.rela?\..+|\.debug_.+|\.llvm_addrsig|\.symtab_shndx)$")
_EXEC_OUTPUT = re.compile(r"^\.(init|fini|plt(\..+)?|iplt)$")


def parse_sections(readelf_s: str) -> list[tuple[int, str, str]]:
    """``readelf -SW`` -> [(index, name, flags)] (the null section left out)."""
    rows = []
    for line in readelf_s.splitlines():
        m = re.match(r"^\s*\[\s*(\d+)\]\s+(\S.*)$", line)
        if not m or m.group(1) == "0":
            continue
        tokens = m.group(2).split()
        if len(tokens) < 9 or tokens[0] == "Name":
            continue
        flags = tokens[6] if len(tokens) >= 10 else ""
        rows.append((int(m.group(1)), tokens[0], flags))
    return rows


def section_problems(readelf_s: str, readelf_syms: str) -> list[str]:
    """Executable data, from ``readelf -SW`` and ``readelf -sW`` of the candidate's object: code only in
    ``.text``/``.text.*`` (never writable), nothing but code there, and no custom sections. Machine code in
    a const array, placed in an executable section and jumped into from C, walks around every check of
    the compiler's own instructions."""
    problems: list[str] = []
    executable: set[int] = set()
    for index, name, flags in parse_sections(readelf_s):
        if "X" in flags:
            executable.add(index)
            if not _CODE_NAME.match(name):
                problems.append(f"has an executable section {name!r}: code may only live in .text")
            if "W" in flags:
                problems.append(f"has a writable and executable section {name!r}")
        elif _CODE_NAME.match(name) or _EXEC_OUTPUT.match(name):
            problems.append(f"places data in the code section {name!r} (it would be linked into executable memory)")
        elif not (_DATA_NAME.match(name) or _META_NAME.match(name)):
            problems.append(f"has a custom section {name!r}: custom sections are not allowed")
    for line in readelf_syms.splitlines():
        tokens = line.split()
        if len(tokens) >= 8 and tokens[0].rstrip(":").isdigit() and tokens[3] in ("OBJECT", "TLS"):
            if tokens[6].isdigit() and int(tokens[6]) in executable:
                problems.append(f"places the data object {tokens[7]!r} in an executable section")
    return list(dict.fromkeys(problems))


def segment_problems(readelf_l: str) -> list[str]:
    """From ``readelf -lW`` of the linked program: no segment both writable and executable, no executable
    stack."""
    problems = []
    for line in readelf_l.splitlines():
        tokens = line.split()
        if len(tokens) < 8 or not tokens[1].startswith("0x"):
            continue
        flags = "".join(tokens[6:-1])
        if tokens[0] == "GNU_STACK" and "E" in flags:
            problems.append("the linked program has an executable stack")
        elif "W" in flags and "E" in flags:
            problems.append(f"the linked program has a writable and executable {tokens[0]} segment")
    return problems
