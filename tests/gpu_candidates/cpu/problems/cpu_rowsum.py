import torch
import torch.nn as nn


class Model(nn.Module):
    """
    Sum over one dimension with keepdim, small 3-D tensor (a CPU-sized KernelBench-style problem).
    """
    def __init__(self, dim: int):
        super(Model, self).__init__()
        self.dim = dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sum(x, dim=self.dim, keepdim=True)


batch_size = 16
dim1 = 33
dim2 = 20
reduce_dim = 1


def get_inputs():
    return [torch.randn(batch_size, dim1, dim2)]


def get_init_inputs():
    return [reduce_dim]
