"""The in-container agent of the docker backend (standard library only; never imports mapforge).

The host starts it once per container with ``docker exec -i -u 65534 python3 -c <this file>`` and then
talks to it over that exec's stdin/stdout, so a command costs a fork inside the container instead of a
``docker exec`` (~60 ms). Each message either way is a 4-byte big-endian length, a JSON header, then the
raw blobs whose sizes the header lists under ``"blobs"``.

Requests: ``exec`` (files to write first, argv, limits, optional stdin) -> exit status, signal, kill
reason, rusage and the head/tail of stdout and stderr; ``read`` -> a regular file's bytes (symlinks are
not followed); ``reset`` -> kill everything, empty ``/work`` and ``/dev/shm``.

It runs as the sandbox user, like candidates, so it makes itself non-dumpable (candidates can neither
ptrace it nor open its pipes through /proc) and after every command kills every other process of its
uid in the container (``kill(-1)`` reaches only this PID namespace): nothing a candidate starts
survives the command. A candidate can still kill the agent; the host sees the stream end, reports the
command as killed, and starts a new agent.
"""

import json
import os
import resource
import select
import signal
import stat
import struct
import sys
import time

WORK = os.environ.get("MF_WORK", "/work")
OOM_FILES = ("/sys/fs/cgroup/memory/memory.oom_control", "/sys/fs/cgroup/memory.events")


def _no_dump():
    try:
        import ctypes

        ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE = 4
    except (OSError, AttributeError):
        pass


def _read_exact(f, n):
    buf = b""
    while len(buf) < n:
        chunk = f.read(n - len(buf))
        if not chunk:
            raise EOFError
        buf += chunk
    return buf


def receive(f):
    (n,) = struct.unpack(">I", _read_exact(f, 4))
    head = json.loads(_read_exact(f, n))
    return head, [_read_exact(f, size) for size in head.get("blobs", [])]


def send(f, head, blobs=()):
    head = dict(head, blobs=[len(b) for b in blobs])
    raw = json.dumps(head).encode()
    f.write(struct.pack(">I", len(raw)) + raw + b"".join(blobs))
    f.flush()


def _safe(rel):
    if not rel or rel.startswith("/") or ".." in rel.split("/"):
        raise ValueError(f"path escapes the work dir: {rel!r}")
    return os.path.join(WORK, rel)


def write_files(paths, blobs):
    for rel, data in zip(paths, blobs):
        p = _safe(rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        if os.path.islink(p):
            os.unlink(p)
        fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o644)
        with os.fdopen(fd, "wb") as f:
            f.write(data)


def kill_all(reap=None):
    """SIGKILL every process of our uid in this PID namespace but us; reap our children; until none."""
    for _ in range(2000):
        try:
            os.kill(-1, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            return True
        while True:
            try:
                pid, status, ru = os.wait4(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            if reap is not None:
                reap(pid, status, ru)
        time.sleep(0.001)
    return False


def near_vmem_limit(vmem):
    """Whether another process of our user reached 90% of the address-space limit (VmPeak)."""
    me = os.getpid()
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == me:
            continue
        try:
            with open(f"/proc/{entry}/status") as f:
                fields = dict(line.split(":", 1) for line in f if ":" in line)
            if int(fields["Uid"].split()[0]) != os.getuid():
                continue
            if int(fields.get("VmPeak", "0 kB").split()[0]) * 1024 >= 0.9 * vmem:
                return True
        except (OSError, KeyError, ValueError):
            continue
    return False


def oom_kills():
    for path in OOM_FILES:
        try:
            with open(path) as f:
                for line in f:
                    if line.startswith("oom_kill "):
                        return int(line.split()[1])
        except OSError:
            continue
    return None


class HeadTail:
    def __init__(self, cap):
        self.half = max(cap // 2, 1)
        self.head = bytearray()
        self.tail = bytearray()
        self.total = 0

    def add(self, chunk):
        self.total += len(chunk)
        room = self.half - len(self.head)
        if room > 0:
            self.head += chunk[:room]
            chunk = chunk[room:]
        if chunk:
            self.tail += chunk
            if len(self.tail) > 2 * self.half:
                del self.tail[: len(self.tail) - self.half]


def run(req, stdin):
    env = req["env"]
    lim = req["limits"]

    def limits():
        for res, val in ((resource.RLIMIT_CPU, lim["cpu"]), (resource.RLIMIT_FSIZE, lim["fsize"]),
                         (resource.RLIMIT_CORE, 0), (resource.RLIMIT_NOFILE, 256)):
            resource.setrlimit(res, (val, val))
        if lim.get("vmem"):
            resource.setrlimit(resource.RLIMIT_AS, (lim["vmem"], lim["vmem"]))

    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    in_r, in_w = os.pipe() if stdin is not None else (os.open(os.devnull, os.O_RDONLY), None)
    oom_before = oom_kills()
    start = time.monotonic()
    pid = os.fork()
    if pid == 0:  # child
        try:
            os.setsid()
            os.dup2(in_r, 0)
            os.dup2(out_w, 1)
            os.dup2(err_w, 2)
            # (not 1 << 16: where seccomp refuses close_range, that is 65k close calls, ~20 ms)
            os.closerange(3, resource.getrlimit(resource.RLIMIT_NOFILE)[0])
            os.chdir(WORK)
            try:  # if the container runs out of memory, the OOM killer takes the command, not the agent
                with open("/proc/self/oom_score_adj", "w") as f:
                    f.write("1000")
            except OSError:
                pass
            limits()
            for sig in (signal.SIGPIPE, signal.SIGXFSZ):  # Python ignores these; a command must not inherit that
                signal.signal(sig, signal.SIG_DFL)
            os.execvpe(req["argv"][0], req["argv"], env)
        except BaseException as e:  # noqa: BLE001 - report anything, then leave without cleanup
            try:
                os.write(2, f"mapforge sandbox: cannot run {req['argv'][0]!r}: {e}\n".encode())
            finally:
                os._exit(127)
    for fd in (in_r, out_w, err_w):
        os.close(fd)
    try:  # readable when the child exits, so select() wakes at once (else poll every 2 ms)
        pidfd = os.pidfd_open(pid)
    except (AttributeError, OSError):
        pidfd = None
    bufs = [HeadTail(lim["output"]), HeadTail(lim["output"])]
    streams = {out_r: bufs[0], err_r: bufs[1]}
    pending = memoryview(stdin or b"")
    writers = [in_w] if in_w is not None else []
    if in_w is not None and not pending:
        os.close(in_w)
        writers = []
    elif in_w is not None:
        os.set_blocking(in_w, False)
    deadline = start + lim["timeout"]
    status = ru = None
    killed = None
    ended = None
    done = {}

    def reap(p, st, r):
        if p == pid:
            done["st"], done["ru"] = st, r

    while streams or status is None:
        if status is None:
            p, st, r = os.wait4(pid, os.WNOHANG)
            if p == pid:
                status, ru = st, r
                kill_all(reap)  # the command is over: nothing it started may outlive it
        now = time.monotonic()
        if killed is None and (now >= deadline or bufs[0].total + bufs[1].total > lim["flood"]):
            killed = "timeout" if now >= deadline else "output_limit"
            if killed == "timeout" and lim.get("vmem") and near_vmem_limit(lim["vmem"]):
                killed = "memory"  # a bomb that swallows its allocation failures until the clock runs out
            kill_all(reap)
        if status is None and "st" in done:
            status, ru = done["st"], done["ru"]
        if status is not None or killed is not None:
            ended = ended or now
            if now - ended > 5:  # a process we cannot kill holds a pipe: give up on it
                break
        if status is not None and not streams:
            break
        try:
            watch = list(streams) + ([pidfd] if pidfd is not None and status is None else [])
            wait = 0.02 if pidfd is not None or (streams and status is not None) else 0.002
            readable, writable, _ = select.select(watch, writers, [], wait)
        except InterruptedError:
            continue
        for fd in readable:
            if fd == pidfd:
                continue
            chunk = os.read(fd, 1 << 16)
            if chunk:
                streams[fd].add(chunk)
            else:
                os.close(fd)
                del streams[fd]
        for fd in writable:
            try:
                n = os.write(fd, pending[:65536])
                pending = pending[n:]
            except BlockingIOError:
                continue
            except OSError:  # the command closed its stdin
                pending = pending[:0]
            if not pending:
                os.close(fd)
                writers = []
    for fd in [*writers, *streams] + ([pidfd] if pidfd is not None else []):
        os.close(fd)
    seconds = time.monotonic() - start
    oom_after = oom_kills()
    res = {"seconds": seconds, "killed": killed, "exit": None, "signal": None,
           "oom": oom_before is not None and oom_after is not None and oom_after > oom_before}
    if status is not None:
        if os.WIFSIGNALED(status):
            res["signal"] = os.WTERMSIG(status)
        else:
            res["exit"] = os.WEXITSTATUS(status)
        res["cpu"] = ru.ru_utime + ru.ru_stime
        res["rss_kb"] = ru.ru_maxrss
    return res, bufs


def reset():
    kill_all()
    for top in (WORK, "/dev/shm"):
        for dirpath, dirnames, _ in os.walk(top):
            for d in dirnames:
                try:
                    os.chmod(os.path.join(dirpath, d), 0o700, follow_symlinks=False)
                except OSError:
                    pass
        for name in os.listdir(top) if os.path.isdir(top) else ():
            _remove(os.path.join(top, name))
    return not os.listdir(WORK)


def _remove(p):
    try:
        if os.path.isdir(p) and not os.path.islink(p):
            for name in os.listdir(p):
                _remove(os.path.join(p, name))
            os.rmdir(p)
        else:
            os.unlink(p)
    except OSError:
        pass


def _confined():
    """kill(-1) reaches every process of our uid in our PID namespace: only run where that is the sandbox,
    i.e. as a non-root user, and as PID 1 or under the sandbox container's reaper."""
    if os.getuid() == 0:
        return False
    if os.getpid() == 1:
        return True
    try:
        with open("/proc/1/cmdline", "rb") as f:
            return b"mapforge-reaper" in f.read()
    except OSError:
        return False


def handle(req, blobs):
    """One request -> (reply header, reply blobs)."""
    op = req["op"]
    nfiles = len(req.get("files", []))
    try:
        write_files(req.get("files", []), blobs[:nfiles])
    except (OSError, ValueError) as e:
        return {"error": "write", "message": str(e)}, []
    if op == "exec":
        stdin = blobs[nfiles] if req.get("stdin") else None
        try:
            res, streams = run(req, stdin)
        except OSError as e:  # fork or pipe failed: report it as the command's failure
            kill_all()
            msg = f"mapforge sandbox: cannot start the command: {e}\n".encode()
            return {"exit": 126, "signal": None, "killed": None, "totals": [0, len(msg)]}, [b"", b"", msg, b""]
        parts = []
        for b in streams:
            parts += [bytes(b.head), bytes(b.tail[-b.half:])]
        res["totals"] = [b.total for b in streams]
        return res, parts
    if op == "read":
        try:
            fd = os.open(_safe(req["path"]), os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except FileNotFoundError:
            return {"error": "missing"}, []
        except (OSError, ValueError) as e:
            return {"error": "unreadable", "message": str(e)}, []
        with os.fdopen(fd, "rb") as f:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                return {"error": "not_regular"}, []
            if st.st_size > req["max"]:
                return {"error": "too_large"}, []
            return {"ok": True}, [f.read(req["max"] + 1)]
    if op == "reset":
        return {"ok": reset()}, []
    if op == "ping":
        return {"ok": True}, []
    return {"error": "op", "message": f"unknown op {op!r}"}, []


def main():
    if not _confined():
        sys.exit("mapforge sandbox agent: refusing to run outside a sandbox container (it kills all processes "
                 "of its user)")
    _no_dump()
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    inp, out = sys.stdin.buffer, sys.stdout.buffer
    send(out, {"ready": True, "pid": os.getpid()})
    while True:
        try:
            req, blobs = receive(inp)
        except EOFError:  # the host went away: leave nothing behind
            kill_all()
            return
        try:
            head, parts = handle(req, blobs)
        except Exception as e:  # noqa: BLE001 - a bug here must not take the sandbox down silently
            kill_all()
            head, parts = {"error": "internal", "message": f"{type(e).__name__}: {e}"}, []
        send(out, head, parts)


if __name__ == "__main__":
    main()
