# Wrong (plausible bug): normalises each innermost row (the last dimension, 256 values) instead of the
# whole (features, dim1, dim2) group; weight and bias are applied at the right offsets. Fast and wrong.
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def ln_lastdim_kernel(x_ptr, w_ptr, b_ptr, y_ptr, n_cols, rows_per_group, eps, BLOCK: tl.constexpr):
    row = tl.program_id(axis=0).to(tl.int64)
    cols = tl.arange(0, BLOCK)
    mask = cols < n_cols
    x = tl.load(x_ptr + row * n_cols + cols, mask=mask, other=0.0)
    mean = tl.sum(x, axis=0) / n_cols
    d = tl.where(mask, x - mean, 0.0)
    rstd = 1.0 / tl.sqrt(tl.sum(d * d, axis=0) / n_cols + eps)
    woff = (row % rows_per_group) * n_cols + cols
    w = tl.load(w_ptr + woff, mask=mask, other=0.0)
    b = tl.load(b_ptr + woff, mask=mask, other=0.0)
    tl.store(y_ptr + row * n_cols + cols, d * rstd * w + b, mask=mask)


class ModelNew(nn.Module):
    def __init__(self, normalized_shape: tuple):
        super(ModelNew, self).__init__()
        self.ln = nn.LayerNorm(normalized_shape=normalized_shape)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n_cols = x.shape[-1]
        group = 1
        for s in self.ln.normalized_shape:
            group *= s
        x2 = x.contiguous().view(-1, n_cols)
        y = torch.empty_like(x2)
        ln_lastdim_kernel[(x2.shape[0],)](x2, self.ln.weight, self.ln.bias, y, n_cols, group // n_cols, self.ln.eps,
                                          BLOCK=triton.next_power_of_2(n_cols), num_warps=2)
        return y.view(x.shape)
