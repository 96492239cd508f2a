"""The test driver for function tasks. It runs *inside the sandbox*, so it is stdlib-only and self-contained
(the evaluator copies this file's source into the sandbox as ``driver.py``).

Two processes, so that the hidden tests and the verdict stay out of the candidate's reach:

- the **driver** (``python3 -I driver.py``) reads everything it needs from stdin (a harness-chosen nonce, the
  task's prompt code, the visible examples and the hidden ``check`` code; none of it is ever on disk), makes
  itself non-dumpable (another process of the same user can then neither read its memory nor its file
  descriptors, nor ptrace it), and runs the examples and ``check(candidate)`` with ``candidate`` a proxy;
- the **worker** (``driver.py --worker main.py``, started by the driver in its own session) loads the
  candidate and answers calls. Arguments and results cross a pipe as tagged JSON of plain data (None, bool,
  int, float, complex, str, bytes, list, tuple, dict, set, frozenset): the driver's check sees real built-in
  values, never an object of the candidate's making (an ``__eq__`` that always says True gets nowhere).

The driver's last line on stdout is ``<nonce> <json report>``. The worker never learns the nonce and has no
handle on the driver's stdout (its own stdout and stderr go to ``cand.err``), so exiting early (``sys.exit``,
``os._exit``), killing the driver or printing a made-up report cannot produce a passing verdict: the harness
accepts only a report that carries its nonce from a driver that exited normally.
"""

from __future__ import annotations

import json
import math
import os
import select
import signal
import subprocess
import sys
import time
import traceback
from typing import Any

ERR_FILE = "cand.err"
MAX_DETAIL = 600


class Unsupported(TypeError):
    """A value that is not plain data."""


# -- plain-data encoding ---------------------------------------------------------------------------
def enc(v: Any) -> Any:
    t = type(v)
    if v is None or t is bool or t is str:
        return v
    if t is int:
        return v
    if t is float:
        return v if math.isfinite(v) else {"float": repr(v)}
    if t is list:
        return [enc(x) for x in v]
    if t is tuple:
        return {"tuple": [enc(x) for x in v]}
    if t is dict:
        return {"dict": [[enc(k), enc(x)] for k, x in v.items()]}
    if t is set:
        return {"set": [enc(x) for x in v]}
    if t is frozenset:
        return {"frozenset": [enc(x) for x in v]}
    if t is bytes:
        return {"bytes": v.hex()}
    if t is complex:
        return {"complex": [enc(v.real), enc(v.imag)]}
    # a subclass of a plain type (Counter, OrderedDict, namedtuple, IntEnum, ...) crosses as its plain value:
    # only data leaves the worker, so an overridden __eq__ cannot reach the tests
    bases: tuple[Any, ...] = (bool, int, float, complex, str, bytes, list, tuple, dict, set, frozenset)
    for base in bases:
        if isinstance(v, base):
            plain = base(v.items()) if base is dict else base(v)
            if type(plain) is not base:
                break
            return enc(plain)
    raise Unsupported(f"an object of type {t.__name__} (only plain built-in data is accepted)")


def dec(v: Any) -> Any:
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    if isinstance(v, list):
        return [dec(x) for x in v]
    if isinstance(v, dict) and len(v) == 1:
        (tag, body), = v.items()
        if tag == "float" and body in ("inf", "-inf", "nan"):
            return float(body)
        if tag == "tuple" and isinstance(body, list):
            return tuple(dec(x) for x in body)
        if tag == "dict" and isinstance(body, list):
            return {dec(k): dec(x) for k, x in body}
        if tag == "set" and isinstance(body, list):
            return {dec(x) for x in body}
        if tag == "frozenset" and isinstance(body, list):
            return frozenset(dec(x) for x in body)
        if tag == "bytes" and isinstance(body, str):
            return bytes.fromhex(body)
        if tag == "complex" and isinstance(body, list) and len(body) == 2:
            return complex(float(dec(body[0])), float(dec(body[1])))
    raise Unsupported("malformed value")


def same(got: Any, want: Any) -> bool:
    """Equality, with floats compared to 1e-6 relative (1e-9 absolute), element-wise in containers."""
    num = (int, float)
    if isinstance(got, num) and isinstance(want, num) and not isinstance(got, bool) and not isinstance(want, bool):
        if isinstance(got, float) or isinstance(want, float):
            return math.isclose(got, want, rel_tol=1e-6, abs_tol=1e-9) or got == want
    if type(got) is type(want) and isinstance(got, (list, tuple)) and len(got) == len(want):
        return all(same(g, w) for g, w in zip(got, want))
    try:
        return bool(got == want)
    except Exception:
        return False


def short(text: str, n: int = MAX_DETAIL) -> str:
    return text if len(text) <= n else text[:n] + f"... [{len(text) - n} more characters]"


# -- the worker: the candidate's process ----------------------------------------------------------
def worker(candidate_path: str) -> None:
    proto_in = os.fdopen(os.dup(0), "rb")
    proto_out = os.fdopen(os.dup(1), "wb")
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)  # input() sees end of file
    os.dup2(2, 1)  # the candidate's prints go to cand.err

    def send(msg: dict[str, Any]) -> None:
        for stream in (sys.stdout, sys.stderr):  # the candidate's prints reach cand.err before the answer
            try:
                stream.flush()
            except Exception:
                pass
        proto_out.write(json.dumps(msg).encode() + b"\n")
        proto_out.flush()

    init = json.loads(proto_in.readline())
    ns: dict[str, Any] = {"__name__": "candidate", "__file__": candidate_path}
    try:
        exec(compile(init["prompt"], "<prompt>", "exec"), ns)
        with open(candidate_path, encoding="utf-8") as f:
            exec(compile(f.read(), "candidate.py", "exec"), ns)
        fn = ns.get(init["entry_point"])
        if not callable(fn):
            raise NameError(f"the candidate defines no function {init['entry_point']!r}")
    except BaseException:  # SystemExit too: a candidate that exits while loading has not loaded
        send({"load_error": short(traceback.format_exc(limit=-3), 2000)})
        return
    send({"ready": True})
    for line in proto_in:
        msg = json.loads(line)
        try:
            result = fn(*dec(msg["args"]), **dict(dec(msg["kwargs"])))
        except BaseException as e:  # SystemExit included: exiting is not answering
            send({"error": type(e).__name__, "message": short(str(e), 300),
                  "trace": short(traceback.format_exc(limit=-3), 1500)})
            continue
        try:
            send({"ok": enc(result)})
        except (Unsupported, RecursionError, ValueError) as e:
            send({"unsupported": short(str(e) or type(e).__name__, 300)})


# -- the driver: runs the tests, reports with the nonce --------------------------------------------
class Fatal(BaseException):
    """The worker timed out or died: not catchable by the test code's ``except Exception``."""

    def __init__(self, status: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.detail = status, detail


class CandidateRaised(Exception):
    def __init__(self, name: str, message: str, trace: str) -> None:
        super().__init__(f"{name}: {message}")
        self.name, self.trace = name, trace


class BadReturn(Exception):
    pass


class Remote:
    """The candidate, seen from the driver: a callable that forwards plain data to the worker process."""

    def __init__(self, candidate_path: str, prompt: str, entry_point: str, timeout: float) -> None:
        self.path, self.prompt, self.entry_point, self.timeout = candidate_path, prompt, entry_point, timeout
        self.proc: subprocess.Popen[bytes] | None = None
        self.buf = b""
        self.deadline = 0.0
        self.fatal: Fatal | None = None
        self.load_error: str | None = None
        self.err_pos = 0

    # process management
    def start(self) -> None:
        self.stop()
        err = open(ERR_FILE, "ab")
        try:
            self.proc = subprocess.Popen([sys.executable, "-I", os.path.abspath(__file__), "--worker", self.path],
                                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err,
                                         start_new_session=True, close_fds=True)
        finally:
            err.close()
        self.buf = b""
        self._send({"prompt": self.prompt, "entry_point": self.entry_point})
        reply = self._receive()
        if "load_error" in reply:
            self.load_error = str(reply["load_error"])
            self.stop()
        elif reply.get("ready") is not True:
            raise Fatal("runtime_error", "the candidate's process answered out of turn")

    def stop(self) -> None:
        if self.proc is not None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except OSError:
                pass
            self.proc.wait()
            self.proc = None

    def begin(self) -> None:
        """A new test: a fresh time budget (and a fresh worker if the last one is gone)."""
        self.fatal = None
        self.deadline = time.monotonic() + self.timeout
        self.err_pos = os.path.getsize(ERR_FILE) if os.path.exists(ERR_FILE) else 0
        if self.proc is None and self.load_error is None:
            self.start()

    def stderr_tail(self) -> str:
        try:
            with open(ERR_FILE, "rb") as f:
                f.seek(self.err_pos)
                data = f.read(64 * 1024)
        except OSError:
            return ""
        return short(data.decode("utf-8", "replace").strip(), 800)

    # the wire
    def _send(self, msg: dict[str, Any]) -> None:
        assert self.proc is not None and self.proc.stdin is not None
        try:
            self.proc.stdin.write(json.dumps(msg).encode() + b"\n")
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            self._died()

    def _died(self) -> None:
        assert self.proc is not None
        try:
            code = self.proc.wait(timeout=max(0.1, self.deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            code = None
        self.stop()
        how = ("was killed by signal " + signal.Signals(-code).name if code is not None and code < 0
               else f"exited with status {code}")
        self.fatal = Fatal("runtime_error", f"the candidate's process {how} before answering")
        raise self.fatal

    def _receive(self) -> dict[str, Any]:
        assert self.proc is not None and self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        while b"\n" not in self.buf:
            left = self.deadline - time.monotonic()
            if left <= 0:
                self.stop()
                self.fatal = Fatal("timeout", f"no answer within the {self.timeout:g}s limit")
                raise self.fatal
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                continue
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                self._died()
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        try:
            msg = json.loads(line)
        except ValueError:
            msg = None
        if not isinstance(msg, dict):
            raise BadReturn("the candidate's process sent something that is not an answer")
        return msg

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self.fatal is not None:
            raise self.fatal
        if self.load_error is not None:
            raise Fatal("runtime_error", "the candidate did not load:\n" + self.load_error)
        if self.proc is None:
            self.start()
        self._send({"args": enc(list(args)), "kwargs": enc(kwargs)})
        reply = self._receive()
        if "ok" in reply:
            try:
                return dec(reply["ok"])
            except (Unsupported, ValueError, TypeError) as e:
                raise BadReturn(f"the candidate's answer could not be read ({e})") from None
        if "unsupported" in reply:
            raise BadReturn(f"the function returned {reply['unsupported']}")
        if "error" in reply:
            raise CandidateRaised(str(reply["error"]), str(reply.get("message", "")), str(reply.get("trace", "")))
        raise BadReturn("the candidate's process sent something that is not an answer")


def classify(e: BaseException) -> tuple[str, str]:
    """(status, detail) for an exception raised while running a test."""
    if isinstance(e, Fatal):
        return e.status, e.detail
    if isinstance(e, CandidateRaised):
        status = "memory" if e.name == "MemoryError" else "runtime_error"
        return status, f"the function raised {e}\n{e.trace}".strip()
    if isinstance(e, BadReturn):
        return "wrong_answer", str(e)
    if isinstance(e, AssertionError):
        return "wrong_answer", "an assertion failed"
    return "wrong_answer", f"{type(e).__name__}: {short(str(e), 300)}"


def make_undumpable() -> bool:
    try:
        import ctypes

        return ctypes.CDLL(None, use_errno=True).prctl(4, 0, 0, 0, 0) == 0  # PR_SET_DUMPABLE = 0
    except Exception:
        return False


def driver() -> None:
    job = json.loads(sys.stdin.buffer.read())
    try:
        os.close(0)
    except OSError:
        pass
    undumpable = make_undumpable()
    remote = Remote(job["candidate"], job["prompt"], job["entry_point"], float(job["timeout"]))
    base: dict[str, Any] = {"__name__": "__mapforge_tests__"}
    exec(compile(job["prompt"], "<prompt>", "exec"), base)
    examples: list[dict[str, Any]] = []
    for call, want in job["examples"]:
        ns = dict(base)
        ns[job["entry_point"]] = remote
        try:
            remote.begin()
            got = eval(call, ns)
            expected = eval(want, dict(base))
            if remote.fatal is not None:
                raise remote.fatal
            if same(got, expected):
                examples.append({"ok": True})
            else:
                examples.append({"ok": False, "status": "wrong_answer",
                                 "detail": f"{call} returned {short(repr(got), 300)}, expected {want}"})
        except BaseException as e:
            status, detail = classify(e)
            examples.append({"ok": False, "status": status, "detail": f"{call}: {detail}"})
        if not examples[-1]["ok"]:
            examples[-1]["stderr"] = remote.stderr_tail()
    hidden: dict[str, Any] | None = None
    if job.get("check") is not None:
        ns = dict(base)
        ns[job["entry_point"]] = remote
        try:
            remote.begin()
            exec(compile(job["check"], "<hidden tests>", "exec"), ns)
            check = ns["check"]
            ns[job["entry_point"]] = remote  # the function under test may itself be called `check` (MBPP 56)
            check(remote)
            if remote.fatal is not None:
                raise remote.fatal
            hidden = {"ok": True}
        except BaseException as e:
            status, _ = classify(e)
            hidden = {"ok": False, "status": status}
    loaded = True
    if not job["examples"] and job.get("check") is None:  # nothing to run: at least load the candidate
        remote.begin()
    if remote.load_error is not None:
        loaded = False
    report = {"examples": examples, "hidden": hidden, "loaded": loaded,
              "load_error": remote.load_error, "undumpable": undumpable}
    remote.stop()
    sys.stdout.write(f"{job['nonce']} {json.dumps(report)}\n")
    sys.stdout.flush()


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--worker":
        worker(sys.argv[2])
    else:
        driver()
