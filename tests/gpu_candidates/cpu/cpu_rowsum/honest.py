# Honest (CPU test): the same math as the reference with different PyTorch ops. Allowed here because this
# problem's forbidden list is empty and allow_torch_only is true.
import torch
import torch.nn as nn


class ModelNew(nn.Module):
    def __init__(self, dim: int):
        super(ModelNew, self).__init__()
        self.dim = dim

    def _compute(self, x):
        assert x.dim() == 3 and self.dim == 1, "(batch, rows, cols) summed over rows"
        return torch.einsum("brc->bc", x).unsqueeze(1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._compute(x)
