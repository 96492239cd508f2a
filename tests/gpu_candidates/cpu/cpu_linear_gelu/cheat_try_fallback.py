# CHEAT (try_fallback): a 'custom' path inside try/except that raises for the task's shapes, so the except
# branch (the reference op itself) does the work. Caught statically (try/except).
import torch
import torch.nn as nn


class ModelNew(nn.Module):
    def __init__(self, in_features: int, out_features: int):
        super(ModelNew, self).__init__()
        self.fc = nn.Linear(in_features, out_features)

    def _custom(self, x):
        if x.shape[0] > 4:
            raise NotImplementedError("custom path handles batches of at most 4")
        return self._compute(x)

    def _compute(self, x):
        y = x.matmul(self.fc.weight.t()) + self.fc.bias
        return 0.5 * y * (1.0 + torch.erf(y * 0.7071067811865476))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        try:
            return self._custom(x)
        except Exception:
            return torch.nn.functional.gelu(self.fc(x))
