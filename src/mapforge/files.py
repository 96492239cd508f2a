"""Writing a file so that no reader, and no crash, ever leaves half of it: the one place for it."""

from __future__ import annotations

import contextlib
import os
import threading
from pathlib import Path


def atomic_write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file beside it, renamed over it: a reader sees the old
    file or the new one. Each process and thread writes its own temporary, so writers racing on one path
    (a bench's parallel jobs, a job's threads) cannot interleave."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        tmp.write_text(text)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
