"""Probe: where does a steady A/A bias on the GPU come from? Times the same KernelBench problem's Model
against a second instance of itself (and against itself), with and without a torch.compile'd copy in the
interleaving, each call after an L2-flushing write, as the harness does. Prints median ratios (first/second).

    python bench/probes/gpu_aa_order.py tasks/kernelbench/layernorm.py [--reps 30]
"""

from __future__ import annotations

import argparse
import importlib.util
import itertools
import statistics
import sys

import torch


def load(path: str):  # noqa: ANN201
    spec = importlib.util.spec_from_file_location("ref", path)
    mod = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(mod)  # type: ignore[union-attr]
    return mod


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("task")
    ap.add_argument("--reps", type=int, default=30)
    args = ap.parse_args()
    ref = load(args.task)
    torch.manual_seed(7)
    init = ref.get_init_inputs()
    torch.manual_seed(7)
    a = ref.Model(*init).cuda().eval()
    torch.manual_seed(7)
    b = ref.Model(*init).cuda().eval()
    torch.manual_seed(7)
    x = [t.cuda() for t in ref.get_inputs()]
    flush = torch.empty(64 * 1024 * 1024, dtype=torch.float32, device="cuda")

    def timed(fn) -> float:  # noqa: ANN001
        args_ = [t.clone() for t in x]
        flush.zero_()
        s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        s.record()
        fn(*args_)
        torch.cuda.synchronize()
        e.record()
        torch.cuda.synchronize()
        return s.elapsed_time(e)

    def run(label: str, sides: list, keep_outputs: bool = True) -> None:  # noqa: ANN001
        orders = list(itertools.permutations(range(len(sides))))
        t: dict[int, list[float]] = {i: [] for i in range(len(sides))}
        with torch.no_grad():
            for _ in range(2):
                for fn in sides:
                    timed(fn)
            for r in range(args.reps):
                for i in orders[r % len(orders)]:
                    t[i].append(timed(sides[i]))
        m = [statistics.median(v) for v in t.values()]
        print(f"{label:40s} " + "  ".join(f"{v:.4f} ms" for v in m) + f"   first/second {m[0] / m[1]:.4f}", flush=True)

    print(torch.cuda.get_device_name(), torch.__version__)
    run("instance a vs instance b", [a, b])
    run("instance a vs itself", [a, a])
    run("instance b vs instance a", [b, a])
    comp = torch.compile(a)
    with torch.no_grad():
        comp(*x)
    run("a vs b, compiled copy of a present", [a, b, comp])
    run("a vs b after compiling a", [a, b])
    return 0


if __name__ == "__main__":
    sys.exit(main())
