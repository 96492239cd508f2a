# Honest (CPU test): prepares a transposed copy of its weight once, at construction (as fused or pre-packed
# GPU kernels do), and uses only that copy. Correct for the weights it was built with; a harness that swaps
# the parameters after construction would see stale outputs and wrongly call it a cheat.
import torch
import torch.nn as nn


class ModelNew(nn.Module):
    def __init__(self, in_features: int, out_features: int):
        super(ModelNew, self).__init__()
        self.fc = nn.Linear(in_features, out_features)
        self.register_buffer("w_t", self.fc.weight.detach().t().contiguous(), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = x.matmul(self.w_t) + self.fc.bias
        return 0.5 * y * (1.0 + torch.erf(y * 0.7071067811865476))
