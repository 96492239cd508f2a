import math

import torch
import torch.nn as nn


class Model(nn.Module):
    """
    The tanh approximation of GELU written out term by term, as in minGPT ("NewGELU"; KernelBench level 1
    style). Eager PyTorch runs one kernel per operator, so the tensor makes several trips through memory.
    """
    def __init__(self):
        super(Model, self).__init__()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """
        Args:
            x: input of shape (batch_size, dim).

        Returns:
            0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x^3))), same shape.
        """
        return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


batch_size = 8192
dim = 8192


def get_inputs():
    return [torch.randn(batch_size, dim)]


def get_init_inputs():
    return []
