# Honest but slow: one Triton program per output element, gathering its column with a stride of `inner`
# floats (every load touches a different cache line). Correct, several times slower than eager.
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def sum_column_kernel(x_ptr, y_ptr, R, inner, BLOCK_R: tl.constexpr):
    pid = tl.program_id(axis=0)
    o = pid // inner
    c = pid % inner
    base = x_ptr + o.to(tl.int64) * R * inner + c
    acc = tl.zeros((BLOCK_R,), dtype=tl.float32)
    for r0 in range(0, R, BLOCK_R):
        rows = r0 + tl.arange(0, BLOCK_R)
        acc += tl.load(base + rows.to(tl.int64) * inner, mask=rows < R, other=0.0)
    tl.store(y_ptr + pid, tl.sum(acc, axis=0))


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
        sum_column_kernel[(outer * inner,)](x, y, x.shape[d], inner, BLOCK_R=256, num_warps=2, num_stages=1)
        return y
