import torch
import torch.nn as nn


class Model(nn.Module):
    """
    Depthwise 2-D convolution, square input and square kernel (KernelBench level 1, "conv depthwise 2D"
    style): each channel is convolved with its own k x k filter.
    """
    def __init__(self, in_channels: int, kernel_size: int, stride: int = 1, padding: int = 0, bias: bool = False):
        """
        Args:
            in_channels: channels of the input and of the output.
            kernel_size: side of the square kernel.
            stride: stride of the convolution.
            padding: zero padding on each side.
            bias: whether to add a learnable bias.
        """
        super(Model, self).__init__()
        self.conv2d = nn.Conv2d(in_channels, in_channels, kernel_size, stride=stride, padding=padding,
                                groups=in_channels, bias=bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """
        Args:
            x: input of shape (batch_size, in_channels, height, width).

        Returns:
            shape (batch_size, in_channels, height_out, width_out).
        """
        return self.conv2d(x)


batch_size = 16
in_channels = 64
kernel_size = 3
height = 256
width = 256
stride = 1
padding = 1


def get_inputs():
    x = torch.randn(batch_size, in_channels, height, width)
    return [x]


def get_init_inputs():
    return [in_channels, kernel_size, stride, padding]
