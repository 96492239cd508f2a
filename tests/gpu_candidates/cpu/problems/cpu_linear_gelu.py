import torch
import torch.nn as nn


class Model(nn.Module):
    """
    A linear layer followed by exact (erf) GELU, small sizes (a CPU-sized KernelBench level-2-style problem).
    """
    def __init__(self, in_features: int, out_features: int):
        super(Model, self).__init__()
        self.fc = nn.Linear(in_features, out_features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.nn.functional.gelu(self.fc(x))


batch_size = 8
in_features = 24
out_features = 40


def get_inputs():
    return [torch.randn(batch_size, in_features)]


def get_init_inputs():
    return [in_features, out_features]
