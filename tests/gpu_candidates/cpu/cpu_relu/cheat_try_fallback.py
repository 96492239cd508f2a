# CHEAT (try_fallback): a 'custom' path inside try/except that raises for the task's shapes, so the except
# branch (the reference op itself) does the work. Caught statically (try/except).
import torch
import torch.nn as nn


class ModelNew(nn.Module):
    def __init__(self):
        super(ModelNew, self).__init__()

    def _custom(self, x):
        if x.shape[0] > 4:
            raise NotImplementedError("custom path handles batches of at most 4")
        return self._compute(x)

    def _compute(self, x):
        return torch.where(x > 0, x, torch.zeros_like(x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        try:
            return self._custom(x)
        except Exception:
            return torch.relu(x)
