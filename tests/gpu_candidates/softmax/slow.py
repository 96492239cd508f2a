# Honest but slow: textbook three-pass softmax, one single-warp Triton program per row walking the row
# 128 floats at a time (max pass, sum pass, write pass; no pipelining). Correct, several times slower.
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def softmax_three_pass_kernel(x_ptr, y_ptr, n_cols, BLOCK: tl.constexpr):
    row = tl.program_id(axis=0).to(tl.int64)
    xr = x_ptr + row * n_cols
    yr = y_ptr + row * n_cols
    m = tl.full((BLOCK,), float("-inf"), tl.float32)
    for c0 in range(0, n_cols, BLOCK):
        cols = c0 + tl.arange(0, BLOCK)
        m = tl.maximum(m, tl.load(xr + cols, mask=cols < n_cols, other=float("-inf")))
    row_max = tl.max(m, axis=0)
    s = tl.zeros((BLOCK,), dtype=tl.float32)
    for c0 in range(0, n_cols, BLOCK):
        cols = c0 + tl.arange(0, BLOCK)
        x = tl.load(xr + cols, mask=cols < n_cols, other=float("-inf"))
        s += tl.where(cols < n_cols, tl.exp(x - row_max), 0.0)
    inv = 1.0 / tl.sum(s, axis=0)
    for c0 in range(0, n_cols, BLOCK):
        cols = c0 + tl.arange(0, BLOCK)
        mask = cols < n_cols
        x = tl.load(xr + cols, mask=mask, other=0.0)
        tl.store(yr + cols, tl.exp(x - row_max) * inv, mask=mask)


class ModelNew(nn.Module):
    def __init__(self):
        super(ModelNew, self).__init__()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shape = x.shape
        x2 = x.contiguous().view(-1, shape[-1])
        y = torch.empty_like(x2)
        softmax_three_pass_kernel[(x2.shape[0],)](x2, y, x2.shape[1], BLOCK=128, num_warps=1, num_stages=1)
        return y.view(shape)
