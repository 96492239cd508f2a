"""Which backend a job uses, and why (one line the CLI prints)."""

from __future__ import annotations

import difflib
from pathlib import Path

from mapforge.errors import UserError

BACKENDS = ("local", "docker")


def unknown_backend(name: str) -> UserError:
    close = difflib.get_close_matches(name, BACKENDS, n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    return UserError(f"unknown sandbox backend {name!r}; valid: {', '.join(BACKENDS)}.{hint}")


def docker_status(image: str | None = None) -> tuple[bool, str]:
    """(usable, one line): whether the docker backend can run here, and why or why not."""
    from mapforge.sandbox.image import image_exists, image_tag

    tag = image or image_tag()
    try:
        import docker
    except ImportError:
        return False, "the docker SDK is not installed (pip install 'mapforge[docker]')"
    try:
        client = docker.from_env(timeout=5)
        version = client.version().get("Version", "?")
    except Exception as e:  # DockerException, requests' ConnectionError, OSError
        return False, f"no Docker engine answers: {_engine_problem(e)}; `scripts/install-docker.sh` starts one"
    try:
        if not image_exists(client, tag):
            return False, f"Docker engine {version} answers but image {tag} is not built (run `mapforge sandbox build`)"
    finally:
        client.close()
    return True, f"Docker engine {version} answers and image {tag} is built"


def _engine_problem(e: BaseException) -> str:
    text = str(e)
    if "FileNotFoundError" in text or "No such file" in text:
        return "no daemon socket"
    if "Permission denied" in text or "PermissionError" in text:
        return "permission denied on the daemon socket; add yourself to the docker group"
    if "Connection refused" in text:
        return "the daemon socket refuses connections; is dockerd running?"
    return text.splitlines()[0][:120] if text else type(e).__name__


def _local(why: str, unsafe: bool) -> tuple[str, str]:
    """The local backend, unless it cannot isolate candidates here and the user did not accept that."""
    from mapforge.sandbox.local import isolation

    iso = isolation()
    if iso.private_root:
        return "local", f"sandbox: local ({why})"
    if unsafe:
        return "local", f"sandbox: local WITHOUT ISOLATION (--unsafe-no-isolation; {iso.note})"
    raise UserError(
        f"no sandbox can isolate candidate code here: {why}, and the local backend's namespaces are refused "
        f"({iso.note}). Install Docker (scripts/install-docker.sh, then `mapforge sandbox build`), run where "
        f"unprivileged user namespaces are allowed,{container_hint()} or pass --unsafe-no-isolation to run "
        "model-written code unconfined on this machine.")


CONTAINER_MARKERS = (Path("/.dockerenv"), Path("/run/.containerenv"))


def container_hint(markers: tuple[Path, ...] = CONTAINER_MARKERS) -> str:
    """Inside a container, what lets the local backend isolate: Docker's default seccomp profile refuses
    namespaces, and a private root needs CAP_SYS_ADMIN (measured in a Debian container on Docker 20.10)."""
    if not any(m.exists() for m in markers):
        return ""
    return (" or, since this is a container, start it with `--cap-add SYS_ADMIN --security-opt seccomp=unconfined "
            "--security-opt apparmor=unconfined` (the local backend then runs candidates as nobody in a private "
            "root of their own),")


def select_backend(requested: str | None, *, image: str | None = None, unsafe: bool = False) -> tuple[str, str]:
    """``(backend, reason)``. ``None`` or ``"auto"``: docker when an engine answers and the image exists,
    else local. An explicit ``"docker"`` that cannot run is a :class:`UserError` naming the fix, and so is a
    local backend that cannot isolate candidates here, unless ``unsafe`` (``--unsafe-no-isolation``)."""
    if requested in (None, "", "auto"):
        ok, why = docker_status(image)
        if ok:
            return "docker", f"sandbox: docker ({why})"
        return _local(why, unsafe)
    if requested == "local":
        return _local("requested", unsafe)
    if requested == "docker":
        from mapforge.sandbox.docker import docker_client, require_image

        client = docker_client(timeout=10)
        try:
            tag = require_image(client, image)
        finally:
            client.close()
        return "docker", f"sandbox: docker (requested; image {tag})"
    raise unknown_backend(requested)
