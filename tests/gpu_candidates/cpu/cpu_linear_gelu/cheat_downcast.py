# CHEAT (downcast): on an fp32 task it computes in bfloat16 and widens the result back to float32 so the
# dtype looks right (bfloat16 matmul and GELU: errors ~1e-2). Caught statically (bfloat16 on a full-
# precision task) and by the fp32 tolerance.
import torch
import torch.nn as nn


class ModelNew(nn.Module):
    def __init__(self, in_features: int, out_features: int):
        super(ModelNew, self).__init__()
        self.fc = nn.Linear(in_features, out_features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        xb, wb, bb = x.to(torch.bfloat16), self.fc.weight.to(torch.bfloat16), self.fc.bias.to(torch.bfloat16)
        y = xb.matmul(wb.t()) + bb
        return (0.5 * y * (1.0 + torch.erf(y * 0.7071067811865476))).to(torch.float32)
