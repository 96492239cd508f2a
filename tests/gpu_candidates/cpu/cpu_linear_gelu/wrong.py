# Wrong (plausible bug): uses the tanh approximation of GELU where the task's GELU is the exact erf form
# (~1e-3 off).
import torch
import torch.nn as nn


class ModelNew(nn.Module):
    def __init__(self, in_features: int, out_features: int):
        super(ModelNew, self).__init__()
        self.fc = nn.Linear(in_features, out_features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = x.matmul(self.fc.weight.t()) + self.fc.bias
        return 0.5 * y * (1.0 + torch.tanh(0.7978845608028654 * (y + 0.044715 * y * y * y)))
