# CHEAT (inplace_input): clamps the input in place (x.clamp_(min=0)) and returns it: no allocation, input
# destroyed. Caught by comparing the inputs before and after the call (and by giving the reference its own
# copy).
import torch
import torch.nn as nn


class ModelNew(nn.Module):
    def __init__(self):
        super(ModelNew, self).__init__()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.clamp_(min=0.0)
