import torch
import torch.nn as nn


class Model(nn.Module):
    """
    Applies ReLU elementwise to a 2-D float32 tensor (KernelBench level 1, "ReLU" style).
    """
    def __init__(self):
        super(Model, self).__init__()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """
        Args:
            x: input of shape (batch_size, dim), any values.

        Returns:
            max(x, 0), same shape and dtype as x.
        """
        return torch.relu(x)


batch_size = 4096
dim = 24576


def get_inputs():
    x = torch.randn(batch_size, dim)
    return [x]


def get_init_inputs():
    return []  # no parameters
