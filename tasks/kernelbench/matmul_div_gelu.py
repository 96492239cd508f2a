import torch
import torch.nn as nn


class Model(nn.Module):
    """
    A linear layer (matmul + bias), a division by a scalar, then exact (erf) GELU (KernelBench level 2,
    "Matmul Divide GELU" style).
    """
    def __init__(self, input_size, output_size, divisor):
        super(Model, self).__init__()
        self.linear = nn.Linear(input_size, output_size)
        self.divisor = divisor

    def forward(self, x):
        """
        Args:
            x: shape (batch_size, input_size).

        Returns:
            gelu((x @ W^T + b) / divisor), shape (batch_size, output_size).
        """
        x = self.linear(x)
        x = x / self.divisor
        x = torch.nn.functional.gelu(x)
        return x


batch_size = 16384
input_size = 512
output_size = 4096
divisor = 10.0


def get_inputs():
    return [torch.randn(batch_size, input_size)]


def get_init_inputs():
    return [input_size, output_size, divisor]
