"""Capped output: head and tail kept, the middle counted, for both in-process and rebuilt buffers."""

from __future__ import annotations

from mapforge.sandbox.output import HeadTail


def test_small_output_is_kept_whole() -> None:
    h = HeadTail(100)
    h.add(b"hello ")
    h.add(b"world")
    assert h.text() == "hello world" and h.dropped == 0


def test_large_output_keeps_head_and_tail() -> None:
    h = HeadTail(20)
    for i in range(1000):
        h.add(f"{i:04d}\n".encode())
    text = h.text()
    assert text.startswith("0000\n0001")
    assert text.endswith("0999\n")
    assert h.dropped == 5000 - 20
    assert f"[... {h.dropped} bytes of output truncated by the sandbox ...]" in text


def test_rebuilt_from_parts_matches() -> None:
    h = HeadTail(20)
    for i in range(1000):
        h.add(f"{i:04d}\n".encode())
    again = HeadTail.from_parts(20, bytes(h.head), bytes(h.tail[-10:]), h.total)
    assert again.text() == h.text() and again.dropped == h.dropped
