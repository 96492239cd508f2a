# Honest but slow: fused tanh-GELU, but a naive fixed grid of 32 programs, each walking its contiguous
# chunk 512 elements at a time with no pipelining. One pass over memory, yet far too little parallelism:
# correct, slower than eager's eight passes.
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def gelu_tanh_chunked_kernel(x_ptr, y_ptr, n_elements, chunk, BLOCK_SIZE: tl.constexpr):
    pid = tl.program_id(axis=0)
    start = pid.to(tl.int64) * chunk
    for off in range(0, chunk, BLOCK_SIZE):
        offs = start + off + tl.arange(0, BLOCK_SIZE)
        mask = (offs < n_elements) & (offs < start + chunk)
        x = tl.load(x_ptr + offs, mask=mask, other=0.0)
        u = 0.7978845608028654 * (x + 0.044715 * (x * x * x))
        t = 1.0 - 2.0 / (tl.exp(2.0 * u) + 1.0)
        tl.store(y_ptr + offs, (0.5 * x) * (1.0 + t), mask=mask)


class ModelNew(nn.Module):
    def __init__(self):
        super(ModelNew, self).__init__()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.contiguous()
        y = torch.empty_like(x)
        n = x.numel()
        programs, block = 32, 512
        chunk = triton.cdiv(triton.cdiv(n, programs), block) * block
        gelu_tanh_chunked_kernel[(programs,)](x, y, n, chunk, BLOCK_SIZE=block, num_warps=4, num_stages=1)
        return y
