# Honest (CPU test): the same math as the reference with different PyTorch ops. Allowed here because this
# problem's forbidden list is empty and allow_torch_only is true.
import torch
import torch.nn as nn


class ModelNew(nn.Module):
    def __init__(self, in_features: int, out_features: int):
        super(ModelNew, self).__init__()
        self.fc = nn.Linear(in_features, out_features)

    def _compute(self, x):
        y = x.matmul(self.fc.weight.t()) + self.fc.bias
        return 0.5 * y * (1.0 + torch.erf(y * 0.7071067811865476))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._compute(x)
