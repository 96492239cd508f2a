import torch
import torch.nn as nn


class Model(nn.Module):
    """
    ReLU of a small 2-D tensor (a CPU-sized KernelBench-style problem for tests without a GPU).
    """
    def __init__(self):
        super(Model, self).__init__()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(x)


batch_size = 64
dim = 96


def get_inputs():
    return [torch.randn(batch_size, dim)]


def get_init_inputs():
    return []
