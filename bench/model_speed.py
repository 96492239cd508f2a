"""The embedded model's speed on this machine: time to first token and tokens per second.

    PYTHONPATH=src python3 bench/model_speed.py [--model NAME] [--threads 1,2] [--runs 3] [--max-tokens 128]

Loads the model in-process exactly as ``local/NAME`` does, then streams a realistic coder request (a C
reference kernel to optimise) ``--runs`` times per thread count, each time from an empty KV cache. Prints a
table (medians) and, last, a one-line summary. The machine may be shared: the load average is printed too.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from mapforge.models import weights  # noqa: E402
from mapforge.models.local import LocalModel, cores  # noqa: E402

REFERENCE = """\
void softmax_rows(const float *x, float *y, int rows, int cols) {
    for (int r = 0; r < rows; r++) {
        float m = x[r * cols];
        for (int c = 1; c < cols; c++) if (x[r * cols + c] > m) m = x[r * cols + c];
        float s = 0.0f;
        for (int c = 0; c < cols; c++) { y[r * cols + c] = expf(x[r * cols + c] - m); s += y[r * cols + c]; }
        for (int c = 0; c < cols; c++) y[r * cols + c] /= s;
    }
}
"""
MESSAGES = [
    {
        "role": "system",
        "content": "You are an expert in C performance engineering. You rewrite kernels to run "
        "faster on a modern x86-64 CPU while producing identical results within 1e-5.",
    },
    {
        "role": "user",
        "content": "Optimise this kernel. Keep the signature. Reply with one ```c block.\n\n```c\n"
        + REFERENCE
        + "```",
    },
]


def run_once(llm: object, max_tokens: int) -> dict[str, float]:
    llm.reset()  # type: ignore[attr-defined]  # empty KV cache: the prompt is evaluated every time
    t0 = time.perf_counter()
    first: float | None = None
    text = []
    stream = llm.create_chat_completion(
        messages=MESSAGES,
        temperature=0.0,
        max_tokens=max_tokens,  # type: ignore[attr-defined]
        stream=True,
    )
    for chunk in stream:
        piece = chunk["choices"][0]["delta"].get("content")
        if piece:
            if first is None:
                first = time.perf_counter()
            text.append(piece)
    end = time.perf_counter()
    out = "".join(text)
    n_out = len(llm.tokenize(out.encode(), add_bos=False, special=True))  # type: ignore[attr-defined]
    first = first or end
    return {
        "ttft": first - t0,
        "decode_tps": (n_out - 1) / (end - first) if n_out > 1 and end > first else 0.0,
        "out_tokens": n_out,
        "total": end - t0,
    }


def prompt_tokens(llm: object) -> int:
    """Tokens of MESSAGES after the GGUF's chat template (also a warm-up that pages the weights in)."""
    llm.reset()  # type: ignore[attr-defined]
    resp = llm.create_chat_completion(messages=MESSAGES, temperature=0.0, max_tokens=1)  # type: ignore[attr-defined]
    return int(resp["usage"]["prompt_tokens"])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=weights.DEFAULT_LOCAL)
    ap.add_argument(
        "--threads",
        default=",".join(sorted({str(cores()), "1"})),
        help="comma-separated thread counts (default: 1 and all cores)",
    )
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--max-tokens", type=int, default=128)
    args = ap.parse_args()

    rows = []
    for n in [int(t) for t in args.threads.split(",")]:
        model = LocalModel(args.model, n_threads=n, n_ctx=4096, progress=None)
        t0 = time.perf_counter()
        llm = model.llama()
        load = time.perf_counter() - t0
        n_prompt = prompt_tokens(llm)
        runs = [run_once(llm, args.max_tokens) for _ in range(args.runs)]
        med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
        rows.append(
            {
                "threads": n,
                "load": load,
                **med,
                "prompt_tokens": n_prompt,
                "prompt_tps": n_prompt / med["ttft"],
            }
        )

    load1, load5, _ = os.getloadavg()
    print(
        f"local/{args.model} on {os.cpu_count()} CPUs ({cores()} usable), load average {load1:.1f}/{load5:.1f}, "
        f"{args.runs} runs each, medians"
    )
    head = ("threads", "load s", "prompt tok", "TTFT s", "prompt tok/s", "out tok", "decode tok/s", "total s")
    print(" | ".join(head))
    print(" | ".join("-" * len(h) for h in head))
    for r in rows:
        print(
            f"{r['threads']:>7} | {r['load']:>6.1f} | {r['prompt_tokens']:>10.0f} | {r['ttft']:>6.2f} | "
            f"{r['prompt_tps']:>12.1f} | {r['out_tokens']:>7.0f} | {r['decode_tps']:>12.1f} | {r['total']:>7.1f}"
        )
    best = max(rows, key=lambda r: r["decode_tps"])
    print(
        f"summary: local/{args.model}: {best['decode_tps']:.1f} tokens/s decode, time to first token "
        f"{best['ttft']:.2f} s for a {best['prompt_tokens']:.0f}-token prompt (threads={best['threads']}, "
        f"median of {args.runs})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
