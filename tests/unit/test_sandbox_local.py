"""The local backend's private root and limits, checked on the real host."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from mapforge.sandbox.base import Limits
from mapforge.sandbox.local import LocalSandbox, _esc, build_root, isolation, python_prefixes

private = pytest.mark.skipif(not isolation().private_root, reason=f"no private root here: {isolation().note}")


def test_fstab_escapes_whitespace() -> None:
    assert _esc("/a b\\c\td") == "/a\\040b\\134c\\011d"


def test_build_root_binds_system_dirs_read_only(tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    fstab = build_root(tmp_path / "fs", work, expose=[tmp_path / "extra"], sysfs=False)
    lines = fstab.splitlines()
    assert any(line.startswith("/usr ") and "rbind,ro," in line for line in lines)
    assert any(line.startswith(str(work) + " ") and ",ro," not in line for line in lines)
    assert not any(line.startswith("/sys ") for line in lines)
    sources = {line.split()[0] for line in lines}
    system = {"/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "proc", "tmpfs", "/sys", str(work)}
    shown = {str(p) for p in python_prefixes()}  # the interpreter's own installation, read-only
    assert all(src in system or src in shown or src.startswith(("/etc/", "/dev/")) for src in sources), sources


@private
def test_host_paths_are_hidden_and_exposed_ones_are_read_only() -> None:
    with tempfile.TemporaryDirectory() as d:
        os.chmod(d, 0o755)
        secret = Path(d, "secret.txt")
        secret.write_text("s3cret")
        os.chmod(secret, 0o644)
        shown = Path(d, "shown")
        shown.mkdir()
        Path(shown, "tool.txt").write_text("tool")
        os.chmod(shown, 0o755)
        with LocalSandbox(expose=[shown]) as sb:
            r = sb.exec(["sh", "-c", f"cat {secret}; cat {shown}/tool.txt; touch {shown}/x && echo WROTE; pwd"])
            assert "s3cret" not in r.stdout and "tool" in r.stdout and "WROTE" not in r.stdout
            assert r.stdout.strip().endswith("/work")
            assert any("hidden" in n for n in sb.info().notes)


@private
def test_disk_is_capped_when_root() -> None:
    if os.geteuid() != 0:
        pytest.skip("the work dir tmpfs needs root")
    with LocalSandbox(limits=Limits(disk_mb=8)) as sb:
        r = sb.exec(["sh", "-c", "head -c 20000000 /dev/zero > big"])
        assert not r.ok and "No space left" in r.stderr
        assert sb.root.joinpath("big").stat().st_size <= 8 << 20
    assert not sb.root.exists()


@private
def test_writable_caches_appear_where_mounts_says_and_only_those() -> None:
    """A build cache is shown at its fixed inside path and writable there; one that cannot be shown (missing)
    is left out of ``mounts``, so nobody points a command at a path that is not there."""
    with tempfile.TemporaryDirectory() as d:
        cache = Path(d, "cache")
        cache.mkdir()
        os.chmod(cache, 0o777)
        missing = Path(d, "missing")
        with LocalSandbox(writable=[(cache, "/mf-cache"), (missing, "/mf-other")]) as sb:
            assert sb.mounts == {str(cache.resolve()): "/mf-cache"}
            r = sb.exec(["sh", "-c", "echo built > /mf-cache/obj && ls /mf-other 2>&1; echo done"])
            assert r.stdout.strip().endswith("done"), r.stderr
        assert (cache / "obj").read_text() == "built\n"
