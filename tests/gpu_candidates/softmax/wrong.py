# Wrong (plausible bug): online softmax that forgets to rescale the running sum when the running maximum
# grows (s += exp(x - m_new) without s *= exp(m_old - m_new)). Right only when the first chunk already
# holds the row maximum.
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def softmax_online_kernel(x_ptr, y_ptr, n_cols, BLOCK: tl.constexpr):
    row = tl.program_id(axis=0).to(tl.int64)
    xr = x_ptr + row * n_cols
    yr = y_ptr + row * n_cols
    m = tl.full((BLOCK,), float("-inf"), tl.float32)
    s = tl.zeros((BLOCK,), dtype=tl.float32)
    for c0 in range(0, n_cols, BLOCK):
        cols = c0 + tl.arange(0, BLOCK)
        x = tl.load(xr + cols, mask=cols < n_cols, other=float("-inf"))
        m_new = tl.maximum(m, x)
        s += tl.where(m_new != float("-inf"), tl.exp(x - m_new), 0.0)
        m = m_new
    row_max = tl.max(m, axis=0)
    scale = tl.where(m != float("-inf"), tl.exp(m - row_max), 0.0)
    inv = 1.0 / tl.sum(s * scale, axis=0)
    for c0 in range(0, n_cols, BLOCK):
        cols = c0 + tl.arange(0, BLOCK)
        mask = cols < n_cols
        x = tl.load(xr + cols, mask=mask, other=float("-inf"))
        tl.store(yr + cols, tl.exp(x - row_max) * inv, mask=mask)


class ModelNew(nn.Module):
    def __init__(self):
        super(ModelNew, self).__init__()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shape = x.shape
        x2 = x.contiguous().view(-1, shape[-1])
        y = torch.empty_like(x2)
        softmax_online_kernel[(x2.shape[0],)](x2, y, x2.shape[1], BLOCK=2048, num_warps=8)
        return y.view(shape)
