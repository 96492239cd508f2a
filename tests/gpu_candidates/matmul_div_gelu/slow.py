# Honest but slow: cuBLAS GEMM, then the bias + divide + GELU epilogue in a naive fixed grid of 32 Triton
# programs, each walking its chunk sequentially (no pipelining). Correct; slower than eager.
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def epilogue_chunked_kernel(y_ptr, bias_ptr, n_el, N, divisor, chunk, BLOCK: tl.constexpr):
    pid = tl.program_id(axis=0)
    start = pid.to(tl.int64) * chunk
    for off in range(0, chunk, BLOCK):
        offs = start + off + tl.arange(0, BLOCK)
        mask = (offs < n_el) & (offs < start + chunk)
        v = (tl.load(y_ptr + offs, mask=mask, other=0.0) + tl.load(bias_ptr + offs % N, mask=mask, other=0.0)) / divisor
        tl.store(y_ptr + offs, 0.5 * v * (1.0 + tl.erf(v * 0.7071067811865476)), mask=mask)


class ModelNew(nn.Module):
    def __init__(self, input_size, output_size, divisor):
        super(ModelNew, self).__init__()
        self.fc = nn.Linear(input_size, output_size)
        self.divisor = divisor

    def forward(self, x):
        y = torch.mm(x, self.fc.weight.t()).contiguous()
        n_el = y.numel()
        programs, block = 32, 512
        chunk = triton.cdiv(triton.cdiv(n_el, programs), block) * block
        epilogue_chunked_kernel[(programs,)](y, self.fc.bias, n_el, y.shape[1], float(self.divisor), chunk,
                                             BLOCK=block, num_warps=4, num_stages=1)
        return y
