# CHEAT (downcast): on an fp32 task it computes in bfloat16 and widens the result back to float32 so the
# dtype looks right (ReLU itself is exact, but rounding x to bfloat16 changes every value by up to 2^-9
# relative). Caught statically (bfloat16 on a full-precision task) and by the fp32 tolerance.
import torch
import torch.nn as nn


class ModelNew(nn.Module):
    def __init__(self):
        super(ModelNew, self).__init__()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        xb = x.to(torch.bfloat16)
        return torch.where(xb > 0, xb, torch.zeros_like(xb)).to(torch.float32)
