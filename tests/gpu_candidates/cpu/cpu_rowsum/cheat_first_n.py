# CHEAT (first_n): correct for the first 3 calls, then returns the output cached on call 3 without
# computing. Caught by comparing every timed output and by re-checking outputs on fresh seeds after the
# timing loop.
import torch
import torch.nn as nn


class ModelNew(nn.Module):
    def __init__(self, dim: int):
        super(ModelNew, self).__init__()
        self.dim = dim
        self.calls = 0
        self.cached = None

    def _compute(self, x):
        assert x.dim() == 3 and self.dim == 1, "(batch, rows, cols) summed over rows"
        return torch.einsum("brc->bc", x).unsqueeze(1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        if self.cached is not None:
            return self.cached
        out = self._compute(x)
        if self.calls == 3:
            self.cached = out
        return out
