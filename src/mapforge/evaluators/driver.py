"""Generate the C driver that calls a native optimize task's function.

One driver object is linked twice (see ``c/mf_harness.h``):

- ``runner`` = driver + reference (renamed ``mf_ref``) + candidate (renamed ``mf_cand``): the only process that
  runs candidate code. It parses its arguments and allocates its buffers, then makes that state read-only and
  installs a seccomp filter before the first candidate call.
- ``checker`` = driver + reference + the reference again as ``mf_cand``: never runs candidate code.

Modes (results go to files or pipes the harness reads; stdout is never parsed):

``runner run WHICH SEED STRICT OUT VALUES...``
    Fill inputs from SEED, poison outputs, call the function; twice in all, on fresh buffers with a
    different poison. Writes, per call: a hash of the const inputs before, every output, the hash after.
``checker time RUNNER SEED REPS WARMUP RTOL ATOL STRICT OUT VALUES...``
    Starts ``RUNNER serve ...``, which interleaves reference and candidate calls (alternating which goes
    first and which of two buffer sets each uses), each on freshly written inputs and poisoned outputs, and
    each side on inputs of its own (same distribution, different values, so the reference's answer is never
    there to copy), and sends the timestamps around each call and the candidate's outputs and input hash through pipes. The
    checker regenerates each call's inputs, runs the reference itself, compares element by element and
    writes the per-call times, how many calls diverged or modified inputs, and how the runner ended.

VALUES holds one entry per argument: the value of a scalar; for a pointer its element count, then
``:P`` for each of its initialiser's parameters evaluated on the case's shape (``1000:0:999`` for
``randint(0, n-1)``), or ``@FILE`` for a buffer from the task's generator (FILE holds its input sets, loaded
before the runner locks itself down; timing rotates through them). STRICT=1 makes a runner that cannot
install its seccomp filter exit instead of running unfiltered.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from string import Template

import numpy as np

from mapforge.tasks.expr import eval_expr, eval_number
from mapforge.tasks.spec import Arg, OptimizeSpec, Shape

_KIND = {
    "float32": "MF_F32", "float64": "MF_F64", "int8": "MF_I8", "uint8": "MF_U8", "int16": "MF_I16",
    "uint16": "MF_U16", "int32": "MF_I32", "uint32": "MF_U32", "int64": "MF_I64", "uint64": "MF_U64",
}
_ROLE = {"input": "MF_IN", "output": "MF_OUT", "inout": "MF_INOUT", "scalar": "MF_SCALAR"}
_INIT = {
    "uniform": "MF_UNIFORM", "randint": "MF_RANDINT", "sorted": "MF_SORTED", "permutation": "MF_PERM",
    "arange": "MF_ARANGE", "csr_rowptr": "MF_ROWPTR", "csr_colidx": "MF_COLIDX", "edges": "MF_EDGES",
    "generator": "MF_FILE",
}

#: Size of the checker's result header: magic, calls done, diverged, first diverged, modified, protocol
#: error, the runner's wait status, calls requested (8 x 8 bytes); then three float64 arrays of ``done``.
TIME_HEADER = 64
TIME_MAGIC = 0x31304D49544D464D  # "MFTIME01" little-endian


def harness_header() -> str:
    return resources.files("mapforge.evaluators").joinpath("c/mf_harness.h").read_text()


def generate_driver(spec: OptimizeSpec) -> str:
    """The driver's C source for ``spec`` (always compiled as C)."""
    params = ", ".join(
        (f"{'const ' if a.is_const else ''}{a.element_type} *" if a.is_pointer else a.element_type)
        for a in spec.args
    )
    index = {a.name: i for i, a in enumerate(spec.args)}
    table, fixups = [], []
    for i, a in enumerate(spec.args):
        init = a.init_spec
        kind = "MF_NONE" if init is None else _INIT[init.kind]
        ref = index[init.ref] if init is not None and init.ref is not None else -1
        table.append(f"    {{{_ROLE[a.effective_role]}, {_KIND[a.dtype]}, {kind}, {ref}, sizeof({a.element_type})}}")
        if ref >= 0:  # csr_colidx replays its rowptr's row lengths: it needs that argument's k and rows
            fixups.append(f"    S->prm[{i}].p[1] = S->prm[{ref}].p[0];")
            fixups.append(f"    S->prm[{i}].p[2] = S->count[{ref}] ? (double)(S->count[{ref}] - 1) : 0.0;")
    scalars = "".join(f"    {a.element_type} s{i};\n" for i, a in enumerate(spec.args) if not a.is_pointer)
    parse = []
    for i, a in enumerate(spec.args):
        if a.is_pointer:
            parse.append(f"    mf_parse_buffer({i}, v[{i}]);")
        elif a.dtype.startswith("float"):
            parse.append(f"    S->s{i} = ({a.element_type})strtod(v[{i}], NULL);")
        else:
            parse.append(f"    S->s{i} = ({a.element_type})strtoll(v[{i}], NULL, 10);")
    call_args = ", ".join(
        (f"({'const ' if a.is_const else ''}{a.element_type} *)b[{i}]" if a.is_pointer else f"S->s{i}")
        for i, a in enumerate(spec.args)
    )
    return _TEMPLATE.substitute(
        params=params, n=len(spec.args), table=",\n".join(table), scalars=scalars,
        parse="\n".join(parse + fixups), call_args=call_args,
    )


@dataclass(frozen=True)
class Case:
    """One concrete correctness or timing case: a shape, a seed, and the driver's VALUES."""

    shape: Shape
    seed: int
    values: tuple[str, ...]
    visible: bool

    def label(self) -> str:
        dims = ", ".join(f"{k}={v}" for k, v in self.shape.items())
        return f"{dims}, seed {self.seed}" if self.visible else f"a hidden case (seed {self.seed})"


def input_file(arg: Arg) -> str:
    """The sandbox file holding a generated argument's input sets for the case about to run."""
    return f"gen-{arg.name}.bin"


def case_values(spec: OptimizeSpec, shape: Shape) -> tuple[str, ...]:
    """The driver's VALUES for ``shape`` (see the module docstring)."""
    out = []
    for a in spec.args:
        if not a.is_pointer:
            assert a.value is not None
            v = eval_number(a.value, shape) if a.dtype.startswith("float") else eval_expr(a.value, shape)
            out.append(repr(float(v)) if a.dtype.startswith("float") else str(v))
            continue
        assert a.size is not None
        entry = str(eval_expr(a.size, shape))
        init = a.init_spec
        if init is not None and init.kind == "generator":
            entry += "@" + input_file(a)
        elif init is not None:
            entry += "".join(f":{float(p)!r}" for p in init.values(shape))
        out.append(entry)
    return tuple(out)


def element_count(value: str) -> int:
    """A pointer's element count from its VALUES entry."""
    return int(value.split(":", 1)[0].split("@", 1)[0])


def correctness_cases(spec: OptimizeSpec) -> list[Case]:
    cases: list[Case] = []
    for visible, shapes in ((True, spec.shapes.visible), (False, spec.shapes.hidden)):
        for shape in shapes:
            for s in range(spec.shapes.seeds):
                seed = 1 + s + 1000 * len(cases)
                cases.append(Case(shape, seed, case_values(spec, shape), visible))
    return cases


def output_layout(spec: OptimizeSpec, values: tuple[str, ...]) -> list[tuple[Arg, np.dtype, int]]:
    """(arg, dtype, count) of each output buffer, in the order the driver writes them."""
    return [
        (a, np.dtype(a.dtype), element_count(values[i]))
        for i, a in enumerate(spec.args)
        if a.effective_role in ("output", "inout")
    ]


def output_bytes(spec: OptimizeSpec, values: tuple[str, ...]) -> int:
    return sum(dt.itemsize * count for _, dt, count in output_layout(spec, values))


_TEMPLATE = Template(r"""/* generated by mapforge: do not edit */
#include "mf_harness.h"

void mf_ref($params);
void mf_cand($params);

#define MF_NARGS $n
static const mf_arg mf_args[MF_NARGS] = {
$table
};

/* Everything the harness decides with lives here; the runner makes these pages read-only before the first
   candidate call, so a candidate scribbling through stray pointers cannot change counts, scalars, buffer
   pointers, seeds or repetition counts. */
struct mf_state {
    size_t count[MF_NARGS];
    mf_param prm[MF_NARGS];
$scalars    void *set[2][MF_NARGS];
    uint64_t seed;
    long reps, warmup;
    int strict, out_fd;
    fenv_t fenv;
};
static union {
    struct mf_state st;
    char pad[(sizeof(struct mf_state) + 4095) / 4096 * 4096];
} mf_u __attribute__((aligned(4096)));
#define S (&mf_u.st)

static void mf_call(int which, void *const *b) {
    if (which == 0) mf_ref($call_args);
    else mf_cand($call_args);
}

/* a pointer's VALUES entry: COUNT, then :P per initialiser parameter, or @FILE (generated input sets) */
static void mf_parse_buffer(int i, const char *v) {
    char *e;
    S->count[i] = (size_t)strtoull(v, &e, 10);
    if (*e == '@') mf_load_pool(e + 1, S->count[i] * mf_args[i].elem, &S->prm[i]);
    for (int k = 0; *e == ':' && k < 4; k++) S->prm[i].p[k] = strtod(e + 1, &e);
}

static void mf_parse(char **v) {
$parse
}

static void mf_setup(char **values, const char *seed) {
    mf_parse(values);
    S->seed = strtoull(seed, NULL, 10);
    for (int k = 0; k < 2; k++)
        for (int i = 0; i < MF_NARGS; i++)
            if (mf_args[i].role != MF_SCALAR) S->set[k][i] = mf_alloc(S->count[i] * mf_args[i].elem);
    fegetenv(&S->fenv);
}

static long mf_long(const char *s) { return strtol(s, NULL, 10); }
static size_t mf_bytes(int i) { return S->count[i] * mf_args[i].elem; }
static int mf_is_out(int i) { return mf_args[i].role == MF_OUT || mf_args[i].role == MF_INOUT; }

static void mf_prepare(void *const *b, uint64_t rep, int poison) {
    for (int i = 0; i < MF_NARGS; i++) {
        const mf_arg *a = &mf_args[i];
        if (a->role == MF_IN || a->role == MF_INOUT) mf_fill(b[i], a, &S->prm[i], S->count[i], S->seed, (uint64_t)i, rep);
        else if (a->role == MF_OUT) memset(b[i], poison, mf_bytes(i));
        if (a->role != MF_SCALAR) mf_slack_fill(b[i], mf_bytes(i));
    }
}

/* after a call: nothing written past the end of any buffer (see MF_SLACK) */
static void mf_bounds(void *const *b) {
    for (int i = 0; i < MF_NARGS; i++)
        if (mf_args[i].role != MF_SCALAR) mf_slack_check(b[i], mf_bytes(i), i);
}

static uint64_t mf_inputs_hash(void *const *b) {
    uint64_t h = 0xCBF29CE484222325ull;
    for (int i = 0; i < MF_NARGS; i++)
        if (mf_args[i].role == MF_IN) h = mf_hash(b[i], mf_bytes(i), h);
    return h;
}

static void mf_put_outputs(int fd, void *const *b) {
    for (int i = 0; i < MF_NARGS; i++)
        if (mf_is_out(i)) mf_put(fd, b[i], mf_bytes(i));
}

static void mf_lock(void) {
    if (mf_lockdown(&mf_u, sizeof mf_u) != 0 && S->strict)
        mf_die("mapforge harness: cannot install the seccomp filter on this host\n", MF_EXIT_NOFILTER);
}

/* runner run: two calls on fresh buffers; per call the input hash before, the outputs, the hash after */
static int mf_run(int which, const char *out) {
    S->out_fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (S->out_fd < 0) mf_die("mapforge harness: cannot open the result file\n", MF_EXIT_IO);
    mf_lock();
    for (int pass = 0; pass < 2; pass++) {
        void *const *b = S->set[pass];
        mf_prepare(b, 0, pass ? 0x7F : 0xFF);
        uint64_t h = mf_inputs_hash(b);
        mf_put(S->out_fd, &h, sizeof h);
        fesetenv(&S->fenv);
        mf_call(which, b);
        mf_bounds(b);
        mf_put_outputs(S->out_fd, S->set[pass]);
        h = mf_inputs_hash(S->set[pass]);
        mf_put(S->out_fd, &h, sizeof h);
    }
    _exit(0);
}

/* runner serve: fd 3 carries records and outputs to the checker, fd 4 says "a repetition is ready",
   fd 5 brings the checker's go-ahead. Each call's start time is on its way to the checker before the call
   begins, so nothing the call does can change it. */
static int mf_serve(void) {
    mf_lock();
    for (long w = 0; w < S->warmup; w++)
        for (int k = 0; k < 4; k++) { /* each side on each buffer set */
            void *const *set = S->set[k >> 1];
            mf_prepare(set, 100000 + (uint64_t)w, 0xFF);
            fesetenv(&S->fenv);
            mf_call(k & 1, set);
        }
    for (long r = 0; r < S->reps; r++) {
        /* Over every 4 repetitions each side goes first twice and uses each buffer set twice, so neither
           call order nor where the buffers landed (alignment, huge pages) favours one side. */
        int swap = (int)((r >> 1) & 1), cand_set = 0;
        for (int k = 0; k < 2; k++) {
            int which = (int)((r + k) & 1);
            int si = which ^ swap;
            if (which) cand_set = si;
            /* each side gets inputs of its own (same distribution): the reference's answer, left in its
               buffers, is for other inputs, so there is nothing for the candidate to copy */
            mf_prepare(S->set[si], 200000 + 2 * (uint64_t)r + (uint64_t)which, (r & 2) ? 0x7F : 0xFF);
            fesetenv(&S->fenv);
            mf_record rec = {MF_T0 | (uint32_t)which, (uint32_t)r, mf_now()};
            mf_put(3, &rec, sizeof rec);
            mf_call(which, S->set[si]);
            mf_record end = {MF_T1 | (uint32_t)which, (uint32_t)r, mf_now()};
            mf_put(3, &end, sizeof end);
            mf_bounds(S->set[si]);
        }
        char go = 'R';
        mf_put(4, &go, 1);
        mf_put_outputs(3, S->set[cand_set]);
        uint64_t h = mf_inputs_hash(S->set[cand_set]);
        mf_put(3, &h, sizeof h);
        if (mf_get(5, &go, 1) != 0) _exit(0); /* the checker stopped listening */
    }
    _exit(0);
}

/* checker time: start the runner, judge every repetition, write the result file */
static int mf_check(char **argv, int argc) {
    const char *runner = argv[2], *out = argv[9];
    double rtol = strtod(argv[6], NULL), atol = strtod(argv[7], NULL);
    S->reps = mf_long(argv[4]);
    int data[2], ready[2], ack[2];
    if (pipe(data) || pipe(ready) || pipe(ack)) mf_die("mapforge harness: pipe failed\n", MF_EXIT_IO);
    fcntl(data[1], F_SETPIPE_SZ, 1 << 20); /* best effort: fewer wake-ups while outputs stream */
    signal(SIGPIPE, SIG_IGN);
    pid_t pid = fork();
    if (pid < 0) mf_die("mapforge harness: fork failed\n", MF_EXIT_IO);
    if (pid == 0) {
        if (dup2(data[1], 3) < 0 || dup2(ready[1], 4) < 0 || dup2(ack[0], 5) < 0) _exit(MF_EXIT_IO);
        for (int fd = 6; fd < 1024; fd++) close(fd);
        char *args[8 + MF_NARGS + 1];
        args[0] = (char *)runner; args[1] = (char *)"serve"; args[2] = argv[3]; args[3] = argv[4];
        args[4] = argv[5]; args[5] = argv[8];
        for (int i = 0; i < MF_NARGS; i++) args[6 + i] = argv[10 + i];
        args[6 + MF_NARGS] = NULL;
        execv(runner, args);
        _exit(127);
    }
    close(data[1]); close(ready[1]); close(ack[0]);
    long reps = S->reps;
    double *t = calloc(3 * (size_t)reps + 1, sizeof(double));
    uint64_t done = 0, diverged = 0, first = (uint64_t)-1, modified = 0, protocol = 0;
    void *const *own = S->set[0], *const *got = S->set[1];
    for (long r = 0; r < reps; r++) {
        char go;
        if (mf_get(ready[0], &go, 1) != 0) break; /* the runner ended early */
        mf_record rec[4];
        if (go != 'R' || mf_get(data[0], rec, sizeof rec) != 0) { protocol = 1; break; }
        double span[2] = {0, 0}, last = 0;
        for (int k = 0; k < 2 && !protocol; k++) {
            uint32_t which = (uint32_t)((r + k) & 1);
            const mf_record *a = &rec[2 * k], *b = &rec[2 * k + 1];
            if (a->tag != (MF_T0 | which) || b->tag != (MF_T1 | which) || a->rep != (uint32_t)r ||
                b->rep != (uint32_t)r || !(b->t >= a->t) || (k && !(a->t >= last)))
                protocol = 2;
            span[which] = b->t - a->t;
            last = b->t;
        }
        if (protocol) break;
        uint64_t hash = 0;
        int lost = 0;
        for (int i = 0; i < MF_NARGS && !lost; i++)
            if (mf_is_out(i)) lost = mf_get(data[0], got[i], mf_bytes(i));
        if (lost || mf_get(data[0], &hash, sizeof hash) != 0) { protocol = 3; break; }
        mf_prepare(own, 200000 + 2 * (uint64_t)r + 1, 0xFF); /* the candidate's inputs of repetition r */
        uint64_t want = mf_inputs_hash(own);
        double c0 = mf_now();
        mf_call(0, own);
        t[2 * reps + r] = mf_now() - c0;
        if (hash != want) modified++;
        for (int i = 0; i < MF_NARGS; i++)
            if (mf_is_out(i) && mf_mismatches(mf_args[i].kind, got[i], own[i], S->count[i], rtol, atol)) {
                diverged++;
                if (first == (uint64_t)-1) first = (uint64_t)r;
                break;
            }
        t[r] = span[0];
        t[reps + r] = span[1];
        done++;
        if (write(ack[1], "A", 1) != 1) break;
    }
    close(ack[1]);
    if (protocol) kill(pid, SIGKILL);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    char extra;
    if (!protocol && read(data[0], &extra, 1) > 0) protocol = 4; /* it wrote more than the protocol allows */
    int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) mf_die("mapforge harness: cannot open the result file\n", MF_EXIT_IO);
    uint64_t head[8] = {0x31304D49544D464Dull, done, diverged, first, modified, protocol, (uint64_t)(int64_t)status,
                        (uint64_t)reps};
    mf_put(fd, head, sizeof head);
    mf_put(fd, t, done * sizeof(double));
    mf_put(fd, t + reps, done * sizeof(double));
    mf_put(fd, t + 2 * reps, done * sizeof(double));
    (void)argc;
    return close(fd) == 0 ? 0 : MF_EXIT_IO;
}

int main(int argc, char **argv) {
    if (argc >= 6 + MF_NARGS && strcmp(argv[1], "run") == 0) {
        S->strict = atoi(argv[4]);
        mf_setup(argv + 6, argv[3]);
        return mf_run(atoi(argv[2]), argv[5]);
    }
    if (argc >= 6 + MF_NARGS && strcmp(argv[1], "serve") == 0) {
        S->reps = mf_long(argv[3]);
        S->warmup = mf_long(argv[4]);
        S->strict = atoi(argv[5]);
        mf_setup(argv + 6, argv[2]);
        return mf_serve();
    }
    if (argc >= 10 + MF_NARGS && strcmp(argv[1], "time") == 0) {
        mf_setup(argv + 10, argv[3]);
        return mf_check(argv, argc);
    }
    fprintf(stderr, "usage: runner run WHICH SEED STRICT OUT VALUES... | runner serve SEED REPS WARMUP STRICT VALUES... | "
                    "checker time RUNNER SEED REPS WARMUP RTOL ATOL STRICT OUT VALUES...\n");
    return MF_EXIT_USAGE;
}
""")
