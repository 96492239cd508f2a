import torch
import torch.nn as nn


class Model(nn.Module):
    """
    A 2-D convolution, then ReLU, then a per-channel bias added (KernelBench level 2, "Conv2D ReLU BiasAdd"
    style).
    """
    def __init__(self, in_channels, out_channels, kernel_size, bias_shape):
        super(Model, self).__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size)
        self.bias = nn.Parameter(torch.randn(bias_shape))

    def forward(self, x):
        """
        Args:
            x: shape (batch_size, in_channels, height, width).

        Returns:
            relu(conv(x)) + bias, shape (batch_size, out_channels, height - kernel_size + 1, width - kernel_size + 1).
        """
        x = self.conv(x)
        x = torch.relu(x)
        x = x + self.bias
        return x


batch_size = 32
in_channels = 64
out_channels = 128
height = 128
width = 128
kernel_size = 3
bias_shape = (out_channels, 1, 1)


def get_inputs():
    return [torch.randn(batch_size, in_channels, height, width)]


def get_init_inputs():
    return [in_channels, out_channels, kernel_size, bias_shape]
