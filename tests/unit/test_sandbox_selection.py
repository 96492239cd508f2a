"""Backend selection and factories: names, defaults, and the one line that says why."""

from __future__ import annotations

import pytest

from mapforge.errors import UserError
from mapforge.sandbox import make_sandbox_factory, open_sandbox, select_backend, selection


def test_explicit_local() -> None:
    assert select_backend("local") == ("local", "sandbox: local (requested)")


def test_unknown_backend_suggests_the_closest() -> None:
    with pytest.raises(UserError, match="Did you mean 'docker'"):
        select_backend("dokcer")
    with pytest.raises(UserError, match="valid: local, docker"):
        make_sandbox_factory("podman")
    with pytest.raises(UserError, match="Did you mean 'local'"):
        open_sandbox("locl")


def test_default_falls_back_to_local_with_a_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(selection, "docker_status", lambda image=None: (False, "no Docker engine answers (x)"))
    name, why = select_backend(None)
    assert name == "local" and why == "sandbox: local (no Docker engine answers (x))"


def test_default_prefers_docker_when_usable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(selection, "docker_status", lambda image=None: (True, "engine 1 answers and image y is built"))
    assert select_backend("auto")[0] == "docker"


def test_requested_docker_without_an_engine_says_how_to_start_one(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("docker")
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    with pytest.raises(UserError, match="scripts/install-docker.sh"):
        select_backend("docker")
    ok, why = selection.docker_status()
    assert not ok and why.startswith("no Docker engine answers")


def test_local_factory_makes_fresh_sandboxes() -> None:
    factory = make_sandbox_factory("local")
    with factory() as a, factory() as b:
        a.write_file("x.txt", "a")
        assert a.read_file("x.txt") == b"a"
        with pytest.raises(FileNotFoundError):
            b.read_file("x.txt")
    factory.close()


def test_inside_a_container_the_refusal_says_which_docker_flags_let_the_local_backend_isolate(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Measured in a clean Debian container: Docker's default seccomp profile refuses the namespaces and a
    private root needs CAP_SYS_ADMIN; with the three flags named the probe finds the full 'root' isolation."""
    assert selection.container_hint((tmp_path / ".dockerenv",)) == ""
    (tmp_path / ".dockerenv").touch()
    hint = selection.container_hint((tmp_path / ".dockerenv",))
    assert "--cap-add SYS_ADMIN" in hint and "seccomp=unconfined" in hint and "apparmor=unconfined" in hint
