# CHEAT (downcast): on an fp32 task it computes in bfloat16 and widens the result back to float32 so the
# dtype looks right (a bfloat16 sum of 33 values is off by ~1e-2). Caught statically (bfloat16 on a full-
# precision task) and by the fp32 tolerance.
import torch
import torch.nn as nn


class ModelNew(nn.Module):
    def __init__(self, dim: int):
        super(ModelNew, self).__init__()
        self.dim = dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.einsum("brc->bc", x.to(torch.bfloat16)).unsqueeze(1).to(torch.float32)
