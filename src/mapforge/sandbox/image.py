"""The sandbox image: one recipe, two ways to build it, and a tag that records the recipe's hash.

The recipe is a Debian suite plus the packages the task library needs (compilers, binutils, Python,
numpy). Where an image registry is reachable it is built from :data:`DOCKERFILE`; where none is (as on
machines without internet) from Debian's packages with ``debootstrap`` + ``docker import``. Both
implement the same recipe, so both produce ``mapforge-sandbox:<first 12 hex of its sha256>``; a job
looks for exactly that tag, so changing the recipe makes every job ask for a rebuild.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from mapforge.errors import UserError

REPOSITORY = "mapforge-sandbox"
SUITE = "bookworm"
PACKAGES = ("gcc", "g++", "libc6-dev", "binutils", "make", "python3", "python3-numpy", "libgomp1")
"""What candidates and the harness need inside the sandbox. tar, coreutils and dash come with the base."""
DEFAULT_MIRROR = "http://deb.debian.org/debian"
WORK_DIR = "/work"
ENV = ("PATH=/usr/local/bin:/usr/bin:/bin", "LANG=C.UTF-8")
RECIPE_VERSION = 1
"""Bump when the steps below change in a way the package list does not show."""
BUILD_COMMAND = "mapforge sandbox build"

DOCKERFILE = """\
# mapforge sandbox image (generated from mapforge/sandbox/image.py; tag {tag})
FROM debian:{suite}-slim
RUN apt-get update \\
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends {packages} \\
 && rm -rf /var/lib/apt/lists/* /usr/share/doc/* /usr/share/man/* /usr/share/locale/*
RUN mkdir -p {work} && chmod 1777 {work}
{env}
WORKDIR {work}
LABEL mapforge.recipe={digest}
CMD ["sleep", "infinity"]
"""

Method = Literal["auto", "dockerfile", "debootstrap"]


def recipe_digest() -> str:
    """The sha256 of the recipe (suite, packages, steps), hex."""
    text = "\n".join([f"v{RECIPE_VERSION}", SUITE, *PACKAGES, WORK_DIR, *ENV, DOCKERFILE])
    return hashlib.sha256(text.encode()).hexdigest()


def image_tag() -> str:
    """The tag a job expects: ``mapforge-sandbox:<12 hex of the recipe hash>``."""
    return f"{REPOSITORY}:{recipe_digest()[:12]}"


def dockerfile() -> str:
    return DOCKERFILE.format(
        tag=image_tag(), suite=SUITE, packages=" ".join(PACKAGES), work=WORK_DIR,
        env="\n".join(f"ENV {e}" for e in ENV), digest=recipe_digest(),
    )


def image_exists(client: Any, tag: str) -> bool:
    import docker.errors

    try:
        client.images.get(tag)
        return True
    except docker.errors.ImageNotFound:
        return False


def missing_image_message(tag: str) -> str:
    return (f"the docker sandbox image {tag} is not built on this engine. Build it with `{BUILD_COMMAND}` "
            f"(1-2 minutes; works offline from Debian's packages), or use --sandbox local.")


def build_image(
    client: Any,
    *,
    method: Method = "auto",
    tag: str | None = None,
    mirror: str | None = None,
    log: Callable[[str], None] = print,
) -> str:
    """Build the sandbox image and return its tag. ``auto`` tries the Dockerfile, then debootstrap."""
    tag = tag or image_tag()
    if method in ("auto", "dockerfile"):
        try:
            _build_dockerfile(client, tag, log)
            return tag
        except _RegistryUnreachable as e:
            if method == "dockerfile":
                raise UserError(f"building from the Dockerfile failed: {e}. With no image registry reachable, "
                                f"build offline instead: `{BUILD_COMMAND} --method debootstrap`.") from None
            log(f"no registry reachable ({e}); building offline from Debian's packages with debootstrap")
    _build_debootstrap(client, tag, mirror or os.environ.get("MAPFORGE_DEBIAN_MIRROR") or DEFAULT_MIRROR, log)
    return tag


class _RegistryUnreachable(Exception):
    pass


def _build_dockerfile(client: Any, tag: str, log: Callable[[str], None]) -> None:
    import docker.errors

    base = f"debian:{SUITE}-slim"
    try:
        client.images.get(base)
    except docker.errors.ImageNotFound:
        log(f"pulling {base}")
        try:
            client.images.pull("debian", tag=f"{SUITE}-slim")
        except docker.errors.APIError as e:
            raise _RegistryUnreachable(str(e.explanation or e).splitlines()[0]) from None
    with tempfile.TemporaryDirectory(prefix="mapforge-image-") as ctx:
        Path(ctx, "Dockerfile").write_text(dockerfile())
        log(f"docker build -t {tag} (Dockerfile)")
        try:
            _, lines = client.images.build(path=ctx, tag=tag, rm=True, forcerm=True, pull=False)
        except docker.errors.BuildError as e:
            tail = "".join(str(x.get("stream", x.get("error", ""))) for x in list(e.build_log)[-15:])
            if "Temporary failure" in tail or "Could not resolve" in tail or "Failed to fetch" in tail:
                raise _RegistryUnreachable("apt inside the build could not reach Debian's mirror") from None
            raise UserError(f"docker build of the sandbox image failed: {e.msg}\n{tail}") from None
        for line in lines:
            if "stream" in line and line["stream"].strip().startswith("Step"):
                log(line["stream"].strip())


def _build_debootstrap(client: Any, tag: str, mirror: str, log: Callable[[str], None]) -> None:
    debootstrap = shutil.which("debootstrap") or (os.path.exists("/usr/sbin/debootstrap") and "/usr/sbin/debootstrap")
    if not debootstrap:
        raise UserError("building the sandbox image offline needs debootstrap: `apt-get install debootstrap` "
                        "(scripts/install-docker.sh installs it), then run the build again.")
    if os.geteuid() != 0:
        raise UserError(f"debootstrap must run as root: run `sudo {BUILD_COMMAND}`.")
    with tempfile.TemporaryDirectory(prefix="mapforge-rootfs-", dir=os.environ.get("MAPFORGE_BUILD_DIR")) as tmp:
        root = Path(tmp, "rootfs")
        cmd = [str(debootstrap), "--variant=minbase", f"--include={','.join(PACKAGES)}", SUITE, str(root), mirror]
        log(" ".join(cmd))
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            tail = "\n".join((r.stdout + r.stderr).strip().splitlines()[-10:])
            raise UserError(f"debootstrap failed (mirror {mirror}; set --mirror or MAPFORGE_DEBIAN_MIRROR to "
                            f"a reachable Debian mirror):\n{tail}")
        for junk in ("usr/share/doc", "usr/share/man", "usr/share/locale", "usr/share/info",
                     "var/cache/apt", "var/lib/apt/lists", "var/log"):
            shutil.rmtree(root / junk, ignore_errors=True)
            (root / junk).mkdir(parents=True, exist_ok=True)
        (root / WORK_DIR.lstrip("/")).mkdir(exist_ok=True)
        os.chmod(root / WORK_DIR.lstrip("/"), 0o1777)
        archive = Path(tmp, "rootfs.tar")
        r = subprocess.run(["tar", "-C", str(root), "--numeric-owner", "-cf", str(archive), "."],
                           capture_output=True, text=True)
        if r.returncode != 0:
            raise UserError(f"packing the root filesystem failed: {r.stderr.strip()[-500:]}")
        shutil.rmtree(root, ignore_errors=True)
        repo, _, version = tag.rpartition(":")
        changes = [*(f"ENV {e}" for e in ENV), f"WORKDIR {WORK_DIR}", f"LABEL mapforge.recipe={recipe_digest()}",
                   'CMD ["sleep", "infinity"]']
        log(f"docker import {archive.stat().st_size // 2**20} MiB as {tag}")
        client.api.import_image_from_file(str(archive), repository=repo, tag=version, changes=changes)
