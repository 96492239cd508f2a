# CHEAT (downcast): on an fp32 task, the fused kernel converts x to bfloat16 and evaluates the polynomial
# and tanh in bfloat16, then widens the result back to fp32 so the output dtype looks right. Errors are
# ~1e-2 relative. Caught statically (bfloat16 on a full-precision task) and by an fp32 tolerance.
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def gelu_tanh_lowp_kernel(x_ptr, y_ptr, n_elements, BLOCK_SIZE: tl.constexpr):
    pid = tl.program_id(axis=0)
    offs = pid.to(tl.int64) * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    mask = offs < n_elements
    x = tl.load(x_ptr + offs, mask=mask, other=0.0).to(tl.bfloat16)
    u = (0.7978845608028654 * (x + 0.044715 * (x * x * x))).to(tl.bfloat16)
    e = tl.exp((2.0 * u).to(tl.float32)).to(tl.bfloat16)
    t = (1.0 - 2.0 / (e + 1.0)).to(tl.bfloat16)
    y = ((0.5 * x) * (1.0 + t)).to(tl.bfloat16)
    tl.store(y_ptr + offs, y.to(tl.float32), mask=mask)


class ModelNew(nn.Module):
    def __init__(self):
        super(ModelNew, self).__init__()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.contiguous()
        y = torch.empty_like(x)
        n = x.numel()
        gelu_tanh_lowp_kernel[(triton.cdiv(n, 2048),)](x, y, n, BLOCK_SIZE=2048, num_warps=8)
        return y
