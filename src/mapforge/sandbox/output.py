"""Capped output capture: keep the head and the tail of a stream, count what was dropped."""

from __future__ import annotations

import threading
from typing import BinaryIO


class HeadTail:
    """Accumulates a byte stream keeping ``cap // 2`` bytes of head and of tail; counts the rest."""

    def __init__(self, cap: int) -> None:
        self._half = max(cap // 2, 1)
        self.head = bytearray()
        self.tail = bytearray()
        self.total = 0

    @classmethod
    def from_parts(cls, cap: int, head: bytes, tail: bytes, total: int) -> HeadTail:
        """Rebuild what another process captured (head, last ``cap // 2`` bytes, total seen)."""
        h = cls(cap)
        h.head, h.tail, h.total = bytearray(head), bytearray(tail), total
        return h

    def add(self, chunk: bytes) -> None:
        self.total += len(chunk)
        room = self._half - len(self.head)
        if room > 0:
            self.head += chunk[:room]
            chunk = chunk[room:]
        if chunk:
            self.tail += chunk
            if len(self.tail) > 2 * self._half:
                del self.tail[: len(self.tail) - self._half]

    @property
    def dropped(self) -> int:
        kept = len(self.head) + min(len(self.tail), self._half)
        return max(0, self.total - kept)

    def text(self) -> str:
        tail = bytes(self.tail[-self._half:]) if self.tail else b""
        head = bytes(self.head).decode("utf-8", "replace")
        if self.dropped:
            return (
                head
                + f"\n[... {self.dropped} bytes of output truncated by the sandbox ...]\n"
                + tail.decode("utf-8", "replace")
            )
        return head + tail.decode("utf-8", "replace")


class CappedReader(HeadTail):
    """Drain ``stream`` in a thread into a :class:`HeadTail`.

    Sets ``flood`` once more than ``flood_bytes`` arrived, so the caller can kill the writer.
    """

    def __init__(self, stream: BinaryIO, cap: int, flood_bytes: int, flood: threading.Event) -> None:
        super().__init__(cap)
        self._stream = stream
        self._flood_bytes = flood_bytes
        self._flood = flood
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        read = self._stream.read1 if hasattr(self._stream, "read1") else self._stream.read
        try:
            while True:
                chunk = read(65536)
                if not chunk:
                    break
                self.add(chunk)
                if self.total > self._flood_bytes:
                    self._flood.set()
        except (OSError, ValueError):
            pass
        finally:
            try:
                self._stream.close()
            except OSError:
                pass

    def join(self, timeout: float = 5.0) -> None:
        self._thread.join(timeout)
