# Wrong (plausible bug): off-by-one in the row mask (rows < R - 1), so the last row of every reduction is
# never added. Fast, and wrong everywhere by one element's value.
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
        acc += tl.load(ptrs, mask=(rows[:, None] < R - 1) & cmask[None, :], other=0.0)
    tl.store(y_ptr + pid_o.to(tl.int64) * inner + cols, tl.sum(acc, axis=0), mask=cmask)


class ModelNew(nn.Module):
    def __init__(self, dim: int):
        super(ModelNew, self).__init__()
        self.dim = dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        d = self.dim % x.dim()
        x = x.contiguous()
        outer = 1
        for s in x.shape[:d]:
            outer *= s
        inner = 1
        for s in x.shape[d + 1:]:
            inner *= s
        out_shape = list(x.shape)
        out_shape[d] = 1
        y = torch.empty(out_shape, dtype=x.dtype, device=x.device)
        sum_mid_kernel[(outer, triton.cdiv(inner, 64))](x, y, x.shape[d], inner, BLOCK_R=64, BLOCK_C=64, num_warps=4)
        return y
