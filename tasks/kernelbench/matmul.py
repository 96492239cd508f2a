import torch
import torch.nn as nn


class Model(nn.Module):
    """
    A single square matrix multiplication C = A * B in fp32 (KernelBench level 1, "Square matrix
    multiplication" style). TF32 is off on both sides: this is true single precision.
    """
    def __init__(self):
        super(Model, self).__init__()

    def forward(self, A: torch.Tensor, B: torch.Tensor) -> torch.Tensor:
        """
        Args:
            A: shape (N, N).
            B: shape (N, N).

        Returns:
            A @ B, shape (N, N).
        """
        return torch.matmul(A, B)


N = 4096


def get_inputs():
    A = torch.randn(N, N)
    B = torch.randn(N, N)
    return [A, B]


def get_init_inputs():
    return []
