"""Static checks of a GPU candidate (a Python module defining ``ModelNew``), on its syntax tree.

What they stop, before anything runs: imports beyond torch/triton/math (no os, sys, ctypes, subprocess,
importlib, time, ...); the builtins that reach around a static check (exec, eval, compile, getattr,
setattr, __import__, open, globals, vars); dunder attributes (``__class__``, ``__dict__``, ``__globals__``);
assignments to attributes of modules (patching torch or the timer); try/except fallbacks; the task's
forbidden PyTorch calls; lower precision (fp16/bf16) on a task whose reference has none; CUDA sources that
set a persisting-L2 window, start threads or processes, or open files; and a candidate with no kernel of
its own (no ``load_inline`` and no ``@triton.jit``) unless the task allows it.
"""

from __future__ import annotations

import ast
import re

ALLOWED_IMPORTS = ("torch", "triton", "math", "functools", "typing", "numbers", "itertools", "operator")
BANNED_BUILTINS = {"exec", "eval", "compile", "__import__", "getattr", "setattr", "delattr", "globals",
                   "locals", "vars", "open", "input", "breakpoint", "memoryview", "__builtins__"}
LOW_PRECISION = re.compile(r"\b(float16|bfloat16|half|__half|__nv_bfloat16|__nv_half|fp16|bf16)\b")
CUDA_BANNED = (
    (re.compile(r"accessPolicyWindow|cudaAccessProperty|cudaStreamSetAttribute|cudaLimitPersistingL2CacheSize"),
     "sets a persisting-L2 access window (it would survive the cache flush between timed calls)"),
    (re.compile(r"\b(std::thread|pthread_create|fork|system|popen|execv\w*|fopen|ifstream|ofstream)\s*\("),
     "starts threads or processes or opens files from C++"),
    (re.compile(r"\b(cudaEventElapsedTime|cudaEventRecord|clock_gettime|chrono::)"), "reads or records timers"),
    (re.compile(r"\b(cudaStreamCreate\w*|getStreamFromPool)\b"),
     "creates its own stream (work on another stream escapes the timer)"),
)
_GLOBAL = re.compile(r"__global__\s+(?:void\s+)?(?:__launch_bounds__\s*\([^)]*\)\s*)?(?:void\s+)?(\w+)\s*\(")


def dotted(node: ast.AST, aliases: dict[str, str]) -> str | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(aliases.get(node.id, node.id))
        return ".".join(reversed(parts))
    return None


def own_kernels(source: str) -> list[str]:
    """Names of the candidate's own kernels: ``@triton.jit`` functions and CUDA ``__global__`` functions."""
    names = set(_GLOBAL.findall(source))
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return sorted(names)
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            for dec in node.decorator_list:
                target = dec.func if isinstance(dec, ast.Call) else dec
                text = ast.unparse(target)
                if text.endswith("jit") or text.endswith("autotune") or text.endswith("heuristics"):
                    names.add(node.name)
    return sorted(names)


def problems(source: str, forbidden: list[str], reference_source: str, allow_torch_only: bool) -> list[str]:
    try:
        tree = ast.parse(source)
    except SyntaxError as e:
        return [f"not valid Python: line {e.lineno}: {e.msg}"]
    found: list[str] = []
    aliases: dict[str, str] = {}
    modules: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name.split(".")[0] not in ALLOWED_IMPORTS:
                    found.append(f"imports {a.name}: only torch, triton and math (and small stdlib helpers) are allowed")
                local = a.asname or a.name.split(".")[0]
                aliases[local] = a.name if a.asname else a.name.split(".")[0]
                modules.add(local)
        elif isinstance(node, ast.ImportFrom):
            mod = node.module or ""
            if node.level or mod.split(".")[0] not in ALLOWED_IMPORTS:
                found.append(f"imports from {mod or '.'}: only torch, triton and math are allowed")
            for a in node.names:
                aliases[a.asname or a.name] = f"{mod}.{a.name}"
                modules.add(a.asname or a.name)
    if not any(isinstance(n, ast.ClassDef) and n.name == "ModelNew" for n in tree.body):
        found.append("does not define class ModelNew(nn.Module)")
    banned_calls = {f.strip() for f in forbidden if f.strip() and f.strip() != "@"}
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in BANNED_BUILTINS:
            found.append(f"uses {node.id}(): dynamic code and attribute access are not allowed")
        elif isinstance(node, ast.Attribute) and node.attr.startswith("__") and node.attr.endswith("__") \
                and node.attr != "__init__":
            found.append(f"touches {node.attr}: dunder attributes are not allowed")
        elif isinstance(node, (ast.Try, getattr(ast, "TryStar", ast.Try))):
            found.append("uses try/except: a fallback to another implementation is not allowed; let it fail")
        elif isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Delete)):
            targets = node.targets if isinstance(node, (ast.Assign, ast.Delete)) else [node.target]
            for t in targets:
                root = t
                while isinstance(root, (ast.Attribute, ast.Subscript)):
                    root = root.value
                if isinstance(t, (ast.Attribute, ast.Subscript)) and isinstance(root, ast.Name) and root.id in modules:
                    found.append(f"assigns to {ast.unparse(t)}: patching torch, triton or the timer is not allowed")
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.MatMult) and "@" in forbidden:
            found.append("uses the @ operator, which this task forbids (write the kernel)")
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            name = dotted(node.func, aliases) or ""
            methods = {f.rsplit(".", 1)[-1] for f in banned_calls if f.startswith("torch.")}
            is_own = isinstance(node.func.value, ast.Name) and node.func.value.id == "self"  # self.conv2d(...)
            if name in banned_calls or (node.func.attr in methods and not is_own and not name.startswith("triton")):
                found.append(f"calls {name or '.' + node.func.attr}, which this task forbids: write the kernel yourself")
        if isinstance(node, ast.Attribute) and dotted(node, aliases) in (
                "torch.cuda.Stream", "torch.cuda.stream", "torch.cuda.ExternalStream", "torch.cuda.set_stream"):
            found.append(f"uses {dotted(node, aliases)}: run on the current stream (work on another stream "
                         "escapes the timer)")
        if isinstance(node, ast.Attribute) and dotted(node, aliases) in (
                "torch.set_float32_matmul_precision", "torch.backends.cuda.matmul.allow_tf32",
                "torch.backends.cudnn.allow_tf32"):
            found.append(f"changes the precision policy ({dotted(node, aliases)})")
    strings = [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)]
    code_text = source if not strings else source + "\n".join(strings)
    if not LOW_PRECISION.search(reference_source) and LOW_PRECISION.search(_strip_comments(code_text)):
        found.append("computes in lower precision (float16/bfloat16) on a task whose reference is full precision")
    for pattern, why in CUDA_BANNED:
        if any(pattern.search(s) for s in strings):
            found.append(f"its C++/CUDA source {why}")
    if not allow_torch_only and not own_kernels(source):
        found.append("has no kernel of its own: write a CUDA kernel (torch.utils.cpp_extension.load_inline) or a "
                     "Triton kernel (@triton.jit); calling PyTorch ops is the reference, not an optimisation")
    return list(dict.fromkeys(found))


def _strip_comments(text: str) -> str:
    text = re.sub(r"#[^\n]*", "", text)
    text = re.sub(r"//[^\n]*", "", text)
    return re.sub(r"/\*.*?\*/", "", text, flags=re.S)
