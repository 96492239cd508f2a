# Honest but slow: a naive "persistent" Triton ReLU with a fixed grid of 32 programs, each walking its
# contiguous chunk one 1024-element block at a time (no pipelining). Too few programs to fill the GPU's
# memory system: correct, several times slower than eager.
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def relu_chunked_kernel(x_ptr, y_ptr, n_elements, chunk, BLOCK_SIZE: tl.constexpr):
    pid = tl.program_id(axis=0)
    start = pid.to(tl.int64) * chunk
    for off in range(0, chunk, BLOCK_SIZE):
        offs = start + off + tl.arange(0, BLOCK_SIZE)
        mask = (offs < n_elements) & (offs < start + chunk)
        x = tl.load(x_ptr + offs, mask=mask, other=0.0)
        tl.store(y_ptr + offs, tl.where(x > 0.0, x, 0.0), mask=mask)


class ModelNew(nn.Module):
    def __init__(self):
        super(ModelNew, self).__init__()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.contiguous()
        y = torch.empty_like(x)
        n = x.numel()
        programs, block = 32, 1024
        chunk = triton.cdiv(triton.cdiv(n, programs), block) * block
        relu_chunked_kernel[(programs,)](x, y, n, chunk, BLOCK_SIZE=block, num_warps=4, num_stages=1)
        return y
