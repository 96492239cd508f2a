# Honest but slow: a naive Triton GEMM without tl.dot: each program owns a 64x64 output tile and adds one
# rank-1 outer product per k (a strided column of A times a row of B), 4096 steps. fp32, correct, several
# times slower than cuBLAS.
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def matmul_outer_kernel(a_ptr, b_ptr, c_ptr, M, N, K, BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr):
    pid_m = tl.program_id(axis=0)
    pid_n = tl.program_id(axis=1)
    offs_m = pid_m * BLOCK_M + tl.arange(0, BLOCK_M)
    offs_n = pid_n * BLOCK_N + tl.arange(0, BLOCK_N)
    mm = offs_m < M
    mn = offs_n < N
    acc = tl.zeros((BLOCK_M, BLOCK_N), dtype=tl.float32)
    for k in range(0, K):
        a = tl.load(a_ptr + offs_m.to(tl.int64) * K + k, mask=mm, other=0.0)
        b = tl.load(b_ptr + k * N + offs_n, mask=mn, other=0.0)
        acc += a[:, None] * b[None, :]
    tl.store(c_ptr + offs_m[:, None].to(tl.int64) * N + offs_n[None, :], acc, mask=mm[:, None] & mn[None, :])


class ModelNew(nn.Module):
    def __init__(self):
        super(ModelNew, self).__init__()

    def forward(self, A: torch.Tensor, B: torch.Tensor) -> torch.Tensor:
        A = A.contiguous()
        B = B.contiguous()
        M, K = A.shape
        N = B.shape[1]
        C = torch.empty((M, N), dtype=torch.float32, device=A.device)
        grid = (triton.cdiv(M, 64), triton.cdiv(N, 64))
        matmul_outer_kernel[grid](A, B, C, M, N, K, BLOCK_M=64, BLOCK_N=64, num_warps=4, num_stages=1)
        return C
