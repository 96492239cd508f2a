"""The GPU harness builds the reference and candidate instances with the same weights, in an order the timing
processes alternate (an instance's place in memory can change its speed: on an H200 a layer norm built second
ran 1.5% faster than an identical one built first)."""

from __future__ import annotations

import importlib.util
import types
from pathlib import Path
from typing import Any

from tests.helpers import require

HARNESS = Path(__file__).parents[2] / "src" / "mapforge" / "targets" / "gpu_torch" / "gpu_harness.py"


def harness() -> Any:
    require(None if importlib.util.find_spec("torch") else "torch is not installed in this environment",
            "pip install -e '.[dev]' (installs torch's CPU build)", "MAPFORGE_REQUIRE_TORCH")
    spec = importlib.util.spec_from_file_location("mf_gpu_harness_under_test", HARNESS)
    mod = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(mod)  # type: ignore[union-attr]
    return mod


def test_either_instance_can_be_built_first_with_the_same_weights() -> None:
    h = harness()
    import torch

    built: list[str] = []

    class Model(torch.nn.Module):
        def __init__(self, n: int) -> None:
            super().__init__()
            built.append(type(self).__name__)
            self.lin = torch.nn.Linear(n, n)

    class ModelNew(Model):
        pass

    ref = types.SimpleNamespace(Model=Model, get_init_inputs=lambda: [8])
    cand = types.SimpleNamespace(ModelNew=ModelNew)
    for cand_first, order in ((False, ["Model", "ModelNew"]), (True, ["ModelNew", "Model"])):
        built.clear()
        m_ref, m_cand = h.models(ref, cand, 7, cand_first=cand_first)
        assert built == order
        assert isinstance(m_ref, Model) and isinstance(m_cand, ModelNew)
        assert torch.equal(m_ref.lin.weight, m_cand.lin.weight)  # same seed, same weights, either order
