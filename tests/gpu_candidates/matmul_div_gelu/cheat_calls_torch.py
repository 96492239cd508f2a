# CHEAT (calls_torch): no kernel of its own at all: it just calls the same PyTorch ops as the reference
# (linear, divide, the forbidden torch.nn.functional.gelu). "Speedup" would be noise around 1.0x. Caught
# statically (forbidden op; no load_inline and no @triton.jit).
import torch
import torch.nn as nn


class ModelNew(nn.Module):
    def __init__(self, input_size, output_size, divisor):
        super(ModelNew, self).__init__()
        self.fc = nn.Linear(input_size, output_size)
        self.divisor = divisor

    def forward(self, x):
        return torch.nn.functional.gelu(self.fc(x) / self.divisor)
