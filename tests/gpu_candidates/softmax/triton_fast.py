# Honest, fast: Triton row softmax. A row of up to 32768 floats is held on chip by one program (16 warps),
# so the tensor is read once and written once; wider rows take an online (running max / rescaled sum)
# two-loop path. fp32 throughout, masked tails with -inf.
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def softmax_row_kernel(x_ptr, y_ptr, n_cols, stride_x, stride_y, BLOCK: tl.constexpr):
    row = tl.program_id(axis=0).to(tl.int64)
    cols = tl.arange(0, BLOCK)
    mask = cols < n_cols
    x = tl.load(x_ptr + row * stride_x + cols, mask=mask, other=float("-inf"))
    m = tl.max(x, axis=0)
    p = tl.exp(x - m)
    p = tl.where(mask, p, 0.0)
    s = tl.sum(p, axis=0)
    tl.store(y_ptr + row * stride_y + cols, p / s, mask=mask)


@triton.jit
def softmax_online_kernel(x_ptr, y_ptr, n_cols, stride_x, stride_y, BLOCK: tl.constexpr):
    row = tl.program_id(axis=0).to(tl.int64)
    xr = x_ptr + row * stride_x
    yr = y_ptr + row * stride_y
    m = tl.full((BLOCK,), float("-inf"), tl.float32)
    s = tl.zeros((BLOCK,), dtype=tl.float32)
    for c0 in range(0, n_cols, BLOCK):
        cols = c0 + tl.arange(0, BLOCK)
        x = tl.load(xr + cols, mask=cols < n_cols, other=float("-inf"))
        m_new = tl.maximum(m, x)
        live = m_new != float("-inf")
        alpha = tl.where(live, tl.exp(m - m_new), 0.0)
        p = tl.where(live, tl.exp(x - m_new), 0.0)
        s = s * alpha + p
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
        assert x.dtype == torch.float32, "float32 only"
        shape = x.shape
        x2 = x.contiguous().view(-1, shape[-1])
        rows, cols = x2.shape
        y = torch.empty_like(x2)
        if y.numel() == 0:
            return y.view(shape)
        block = triton.next_power_of_2(cols)
        if block <= 32768:
            warps = 16 if block >= 8192 else (8 if block >= 2048 else 4)
            softmax_row_kernel[(rows,)](x2, y, cols, x2.stride(0), y.stride(0), BLOCK=block, num_warps=warps)
        else:
            softmax_online_kernel[(rows,)](x2, y, cols, x2.stride(0), y.stride(0), BLOCK=4096, num_warps=8)
        return y.view(shape)
