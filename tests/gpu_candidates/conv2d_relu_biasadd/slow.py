# Honest but slow: cuDNN convolution, then the bias + ReLU + bias epilogue in a naive fixed grid of 32
# Triton programs, each walking its chunk of the output sequentially (no pipelining). Correct; the
# starved epilogue costs more than eager's three full-speed passes.
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def epilogue_chunked_kernel(t_ptr, conv_bias_ptr, bias_ptr, n, HW, C, chunk, BLOCK: tl.constexpr):
    pid = tl.program_id(axis=0)
    start = pid.to(tl.int64) * chunk
    for off in range(0, chunk, BLOCK):
        offs = start + off + tl.arange(0, BLOCK)
        mask = (offs < n) & (offs < start + chunk)
        c = (offs // HW) % C
        v = tl.load(t_ptr + offs, mask=mask, other=0.0) + tl.load(conv_bias_ptr + c, mask=mask, other=0.0)
        v = tl.where(v > 0.0, v, 0.0) + tl.load(bias_ptr + c, mask=mask, other=0.0)
        tl.store(t_ptr + offs, v, mask=mask)


class ModelNew(nn.Module):
    def __init__(self, in_channels, out_channels, kernel_size, bias_shape):
        super(ModelNew, self).__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size)
        self.bias = nn.Parameter(torch.randn(bias_shape))

    def forward(self, x):
        t = torch.nn.functional.conv2d(x, self.conv.weight, None, self.conv.stride, self.conv.padding,
                                       self.conv.dilation, self.conv.groups).contiguous()
        n_el = t.numel()
        programs, block = 32, 512
        chunk = triton.cdiv(triton.cdiv(n_el, programs), block) * block
        epilogue_chunked_kernel[(programs,)](t, self.conv.bias, self.bias.contiguous(), n_el, t.shape[2] * t.shape[3],
                                             t.shape[1], chunk, BLOCK=block, num_warps=4, num_stages=1)
        return t
