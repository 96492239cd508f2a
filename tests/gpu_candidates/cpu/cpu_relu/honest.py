# Honest (CPU test): the same math as the reference with different PyTorch ops. Allowed here because this
# problem's forbidden list is empty and allow_torch_only is true.
import torch
import torch.nn as nn


class ModelNew(nn.Module):
    def __init__(self):
        super(ModelNew, self).__init__()

    def _compute(self, x):
        return torch.where(x > 0, x, torch.zeros_like(x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._compute(x)
