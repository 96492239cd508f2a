# Honest, fast: Triton sum over one dimension with keepdim. The tensor is viewed as (outer, R, inner);
# each program owns 64 contiguous output columns of one outer index and walks R in 64-row tiles, keeping a
# 64x64 fp32 accumulator (coalesced 256-byte row segments, many loads in flight), reduced once at the end.
# Eager's reduction is already close to the bandwidth limit: parity is the honest expectation.
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def sum_mid_kernel(x_ptr, y_ptr, R, inner, BLOCK_R: tl.constexpr, BLOCK_C: tl.constexpr):
    pid_o = tl.program_id(axis=0)
    pid_c = tl.program_id(axis=1)
    cols = pid_c * BLOCK_C + tl.arange(0, BLOCK_C)
    cmask = cols < inner
    base = x_ptr + pid_o.to(tl.int64) * R * inner
    acc = tl.zeros((BLOCK_R, BLOCK_C), dtype=tl.float32)
    for r0 in range(0, R, BLOCK_R):
        rows = r0 + tl.arange(0, BLOCK_R)
        ptrs = base + rows[:, None].to(tl.int64) * inner + cols[None, :]
        acc += tl.load(ptrs, mask=(rows[:, None] < R) & cmask[None, :], other=0.0)
    total = tl.sum(acc, axis=0)
    tl.store(y_ptr + pid_o.to(tl.int64) * inner + cols, total, mask=cmask)


class ModelNew(nn.Module):
    def __init__(self, dim: int):
        super(ModelNew, self).__init__()
        self.dim = dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        assert x.dtype == torch.float32, "float32 only"
        d = self.dim % x.dim()
        x = x.contiguous()
        outer = 1
        for s in x.shape[:d]:
            outer *= s
        inner = 1
        for s in x.shape[d + 1:]:
            inner *= s
        reduced = x.shape[d]
        out_shape = list(x.shape)
        out_shape[d] = 1
        y = torch.empty(out_shape, dtype=x.dtype, device=x.device)
        if y.numel() == 0:
            return y
        block_r, block_c = 64, 64
        grid = (outer, triton.cdiv(inner, block_c))
        sum_mid_kernel[grid](x, y, reduced, inner, BLOCK_R=block_r, BLOCK_C=block_c, num_warps=4)
        return y
