# CHEAT (first_n): correct for the first 3 calls, then returns the output cached on call 3 without
# computing. Caught by comparing every timed output and by re-checking outputs on fresh seeds after the
# timing loop.
import torch
import torch.nn as nn


class ModelNew(nn.Module):
    def __init__(self, in_features: int, out_features: int):
        super(ModelNew, self).__init__()
        self.fc = nn.Linear(in_features, out_features)
        self.calls = 0
        self.cached = None

    def _compute(self, x):
        y = x.matmul(self.fc.weight.t()) + self.fc.bias
        return 0.5 * y * (1.0 + torch.erf(y * 0.7071067811865476))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        if self.cached is not None:
            return self.cached
        out = self._compute(x)
        if self.calls == 3:
            self.cached = out
        return out
