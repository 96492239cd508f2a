import torch
import torch.nn as nn


class Model(nn.Module):
    """
    Layer normalisation over the last three dimensions (KernelBench level 1, "LayerNorm" style): every
    sample's (features, dim1, dim2) block is normalised as one group of 4M values, then scaled and shifted.
    """
    def __init__(self, normalized_shape: tuple):
        """
        Args:
            normalized_shape: the trailing shape normalised together, (features, dim1, dim2).
        """
        super(Model, self).__init__()
        self.ln = nn.LayerNorm(normalized_shape=normalized_shape)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """
        Args:
            x: input of shape (batch_size, features, dim1, dim2).

        Returns:
            LayerNorm(x) with eps 1e-5 and the module's weight and bias, same shape.
        """
        return self.ln(x)


batch_size = 16
features = 64
dim1 = 256
dim2 = 256


def get_inputs():
    x = torch.randn(batch_size, features, dim1, dim2)
    return [x]


def get_init_inputs():
    return [(features, dim1, dim2)]
