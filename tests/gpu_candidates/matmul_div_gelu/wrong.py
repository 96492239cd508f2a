# Wrong (plausible bug): the GEMM is done without bias (as planned) but the epilogue forgets to add the
# linear layer's bias back. Fast, wrong everywhere by gelu'(v) * b / divisor (~5e-3).
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def bias_div_gelu_kernel(y_ptr, bias_ptr, N, divisor, BLOCK_N: tl.constexpr):
    row = tl.program_id(axis=0).to(tl.int64)
    cols = tl.program_id(axis=1) * BLOCK_N + tl.arange(0, BLOCK_N)
    mask = cols < N
    ptrs = y_ptr + row * N + cols
    v = tl.load(ptrs, mask=mask, other=0.0) / divisor  # bias_ptr is passed but never added
    g = 0.5 * v * (1.0 + tl.erf(v * 0.7071067811865476))
    tl.store(ptrs, g, mask=mask)


class ModelNew(nn.Module):
    def __init__(self, input_size, output_size, divisor):
        super(ModelNew, self).__init__()
        self.fc = nn.Linear(input_size, output_size)
        self.divisor = divisor

    def forward(self, x):
        assert x.dim() == 2 and x.dtype == torch.float32, "float32 (batch, features) only"
        y = torch.mm(x, self.fc.weight.t()).contiguous()
        m, n = y.shape
        block = 1024
        bias_div_gelu_kernel[(m, triton.cdiv(n, block))](y, self.fc.bias, n, float(self.divisor), BLOCK_N=block,
                                                         num_warps=4)
        return y
