# Honest but slow: one Triton program per sample walks its whole 4M-value group three times (mean, then
# variance, then normalise) 1024 values at a time: 16 programs on a 132-SM GPU, no pipelining.
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def ln_one_program_kernel(x_ptr, w_ptr, b_ptr, y_ptr, G, eps, BLOCK: tl.constexpr):
    row = tl.program_id(axis=0).to(tl.int64)
    xr = x_ptr + row * G
    yr = y_ptr + row * G
    acc = tl.zeros((BLOCK,), dtype=tl.float32)
    for c0 in range(0, G, BLOCK):
        offs = c0 + tl.arange(0, BLOCK)
        acc += tl.load(xr + offs, mask=offs < G, other=0.0)
    mean = tl.sum(acc, axis=0) / G
    acc = tl.zeros((BLOCK,), dtype=tl.float32)
    for c0 in range(0, G, BLOCK):
        offs = c0 + tl.arange(0, BLOCK)
        mask = offs < G
        d = tl.where(mask, tl.load(xr + offs, mask=mask, other=0.0) - mean, 0.0)
        acc += d * d
    rstd = 1.0 / tl.sqrt(tl.sum(acc, axis=0) / G + eps)
    for c0 in range(0, G, BLOCK):
        offs = c0 + tl.arange(0, BLOCK)
        mask = offs < G
        x = tl.load(xr + offs, mask=mask, other=0.0)
        w = tl.load(w_ptr + offs, mask=mask, other=0.0)
        b = tl.load(b_ptr + offs, mask=mask, other=0.0)
        tl.store(yr + offs, (x - mean) * rstd * w + b, mask=mask)


class ModelNew(nn.Module):
    def __init__(self, normalized_shape: tuple):
        super(ModelNew, self).__init__()
        self.ln = nn.LayerNorm(normalized_shape=normalized_shape)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        group = 1
        for s in self.ln.normalized_shape:
            group *= s
        x2 = x.contiguous().view(-1, group)
        y = torch.empty_like(x2)
        ln_one_program_kernel[(x2.shape[0],)](x2, self.ln.weight, self.ln.bias, y, group, self.ln.eps,
                                              BLOCK=1024, num_warps=4, num_stages=1)
        return y.view(x.shape)
