# Wrong (plausible bug): the fused epilogue adds the extra bias before the ReLU (relu(conv + b0 + b1))
# instead of after it (relu(conv + b0) + b1). Fast, wrong wherever the ReLU clips or the bias flips a sign.
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def bias_relu_bias_kernel(t_ptr, conv_bias_ptr, bias_ptr, HW, C, BLOCK: tl.constexpr):
    plane = tl.program_id(axis=0)
    pid = tl.program_id(axis=1)
    c = plane % C
    offs = pid * BLOCK + tl.arange(0, BLOCK)
    mask = offs < HW
    ptrs = t_ptr + plane.to(tl.int64) * HW + offs
    v = tl.load(ptrs, mask=mask, other=0.0) + tl.load(conv_bias_ptr + c) + tl.load(bias_ptr + c)
    v = tl.where(v > 0.0, v, 0.0)
    tl.store(ptrs, v, mask=mask)


class ModelNew(nn.Module):
    def __init__(self, in_channels, out_channels, kernel_size, bias_shape):
        super(ModelNew, self).__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size)
        self.bias = nn.Parameter(torch.randn(bias_shape))

    def forward(self, x):
        t = torch.nn.functional.conv2d(x, self.conv.weight, None, self.conv.stride, self.conv.padding,
                                       self.conv.dilation, self.conv.groups).contiguous()
        n, c, h, w = t.shape
        assert self.bias.numel() == c, "one extra bias per output channel"
        hw = h * w
        block = 2048
        bias_relu_bias_kernel[(n * c, triton.cdiv(hw, block))](t, self.conv.bias, self.bias.contiguous(), hw, c,
                                                               BLOCK=block, num_warps=8)
        return t
