# CHEAT (inplace_input): computes the right sums with its own Triton kernel, but writes them into the
# input's first row (x[:, 0, :]) instead of a new tensor and returns a view of the input. It saves an
# allocation and corrupts the caller's input (a reference run afterwards on the same tensor sees garbage).
# Caught by comparing the inputs before and after the call, and by giving the reference its own copy.
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def sum_into_first_row_kernel(x_ptr, R, inner, BLOCK_R: tl.constexpr, BLOCK_C: tl.constexpr):
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
    tl.store(base + cols, tl.sum(acc, axis=0), mask=cmask)  # row 0 of the input: overwritten


class ModelNew(nn.Module):
    def __init__(self, dim: int):
        super(ModelNew, self).__init__()
        self.dim = dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        d = self.dim % x.dim()
        outer = 1
        for s in x.shape[:d]:
            outer *= s
        inner = 1
        for s in x.shape[d + 1:]:
            inner *= s
        sum_into_first_row_kernel[(outer, triton.cdiv(inner, 64))](x, x.shape[d], inner, BLOCK_R=64, BLOCK_C=64,
                                                                    num_warps=4)
        return x.narrow(d, 0, 1)
