import torch
import torch.nn as nn


class Model(nn.Module):
    """
    Sums a 3-D tensor over one dimension, keeping it (KernelBench level 1, "Sum reduction over a dimension").
    """
    def __init__(self, dim: int):
        """
        Args:
            dim: the dimension to reduce over.
        """
        super(Model, self).__init__()
        self.dim = dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """
        Args:
            x: input of shape (batch_size, dim1, dim2).

        Returns:
            the sum over `dim` with keepdim=True: shape (batch_size, 1, dim2) for dim = 1.
        """
        return torch.sum(x, dim=self.dim, keepdim=True)


batch_size = 112
dim1 = 2048
dim2 = 1024
reduce_dim = 1


def get_inputs():
    x = torch.randn(batch_size, dim1, dim2)
    return [x]


def get_init_inputs():
    return [reduce_dim]
