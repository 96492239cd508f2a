import torch
import torch.nn as nn


class Model(nn.Module):
    """
    Softmax over the last dimension of a 2-D tensor (KernelBench level 1, "Softmax" style).
    """
    def __init__(self):
        super(Model, self).__init__()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """
        Args:
            x: input of shape (batch_size, num_features).

        Returns:
            softmax(x, dim=-1), same shape.
        """
        return torch.softmax(x, dim=-1)


batch_size = 6144
num_features = 16384


def get_inputs():
    x = torch.randn(batch_size, num_features)
    return [x]


def get_init_inputs():
    return []
